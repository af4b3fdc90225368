"""What the three chat forms ask, how their answers are shown, and which answer a user
means when they want to correct one. The slots of each form are listed in domain.yml."""
from __future__ import annotations

import re

FORM_KINDS = {"join_form": "beitritt", "funding_form": "foerderung", "study_form": "studium"}
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
# Words users use for a field they want to correct ("Die E-Mail ist falsch").
_CORRECTION_WORDS = [
    (r"e-?mail|mail|adresse", "app_email"),
    (r"telefon|handy|nummer|tel\b", "app_phone"),
    (r"funktion|amt\b|position|rolle", "app_function"),
    (r"name", "app_contact_name"),
    (r"kommune|gemeinde|stadt|ort\b", "app_commune"),
    (r"nachricht|mitteilung", "app_message"),
    (r"handlungsfeld|thema|bereich", "app_field"),
    (r"projekt|beschreibung|vorhaben", "app_project"),
    (r"kosten|betrag|euro|summe|preis", "app_cost"),
    (r"zeitraum|zeit|dauer|termin", "app_period"),
    (r"abschluss|bachelor|master|b\.?a\b|m\.?a\b", "app_degree"),
    (r"frage", "app_question"),
]


def field_to_correct(text: str, form_slots: list[str]) -> str | None:
    lowered = (text or "").lower()
    for pattern, slot in _CORRECTION_WORDS:
        if slot in form_slots and re.search(pattern, lowered):
            return slot
    return None


def format_value(slot: str, value) -> str:
    if value in (None, ""):
        return "–"
    if slot == "app_cost":
        euros = f"{float(value):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
        return f"{euros.removesuffix(',00')} €"
    if slot == "app_consent":
        return "erteilt" if value else "nicht erteilt"
    return str(value)
