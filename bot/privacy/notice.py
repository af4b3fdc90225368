"""The privacy notice of the chat (DSGVO Art. 13, short form), built from the settings so
that retention periods and the controller are said where they are configured."""
from __future__ import annotations

from bot.config import Settings

NO_CONTROLLER = ("der Betreiber dieses Chats; Name und Anschrift stehen in den Datenschutzhinweisen")


def privacy_notice(settings: Settings) -> str:
    days = settings.retention_days
    kept = (f"{days} Tage nach Ihrer letzten Nachricht gelöscht" if days > 0
            else "nicht automatisch gelöscht")
    app_days = settings.application_retention_days
    applications = (f"{app_days} Tage nach dem Abschluss Ihres Anliegens gelöscht" if app_days > 0
                    else "nach den Fristen des Landespräventionsrats gelöscht")
    # With a live handover (docs/handover.md) staff see the conversation: a recipient too.
    others = ("Wenn Sie mit einem Menschen sprechen möchten, sehen die Mitarbeitenden des Landespräventionsrats "
              "den Verlauf ohne E-Mail-Adressen und Telefonnummern und alles, was Sie ihnen danach schreiben."
              if settings.handover_room.strip() else "Sonst gebe ich nichts weiter.")
    return "\n".join([
        "**Datenschutz in diesem Chat**",
        "",
        "- **Was ich speichere:** den Verlauf dieses Gesprächs, damit ich den Zusammenhang kenne. "
        "Was Sie in eine Anfrage eintragen (Name, E-Mail, Telefon, Freitext), steht im Verlauf nur als "
        "Platzhalter, zum Beispiel „[E-Mail]“.",
        f"- **Wie lange:** Der Verlauf wird {kept}. Eine abgeschickte Anfrage wird {applications}.",
        f"- **Wer sie erhält:** Abgeschickte Anfragen gehen per E-Mail an den Landespräventionsrat Sachsen. {others}",
        f"- **Verantwortlich:** {settings.privacy_controller.strip() or NO_CONTROLLER}.",
        "- **Löschen:** Schreiben Sie „Bitte löschen Sie meine Daten“. Dann lösche ich dieses Gespräch sofort.",
        "",
        f"Alle Einzelheiten und Ihre Rechte: [Datenschutzhinweise]({settings.privacy_url})",
    ])
