"""What the four chat forms ask and how their answers are shown. The slots of each form are
listed in domain.yml; which field a correction names is in corrections.py."""
from __future__ import annotations

FORM_KINDS = {"join_form": "beitritt", "funding_form": "foerderung", "study_form": "studium",
              "callback_form": "rueckruf"}
KIND_FORMS = {kind: form for form, kind in FORM_KINDS.items()}

LABELS = {
    "app_commune": "Kommune",
    "app_contact_name": "Name",
    "app_function": "Funktion",
    "app_email": "E-Mail",
    "app_phone": "Telefon",
    "app_message": "Nachricht",
    "app_field": "Handlungsfeld",
    "app_project": "Projekt",
    "app_cost": "Geschätzte Kosten",
    "app_period": "Zeitraum",
    "app_degree": "Abschluss",
    "app_question": "Frage",
    "app_consent": "Einwilligung Datenschutz",
}
def format_value(slot: str, value) -> str:
    if value in (None, ""):
        return "–"
    if slot == "app_cost":
        euros = f"{float(value):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
        return f"{euros.removesuffix(',00')} €"
    if slot == "app_consent":
        return "erteilt" if value else "nicht erteilt"
    return str(value)
