"""What the user hears when a custom action cannot run (action server stopped, restarting,
overloaded or failing): one short German message per turn, instead of Rasa's silence.

For a form's validation action the answer just extracted is taken back, so no unchecked value
stays in a form; the form then asks the same question again, and once the action server is
back the conversation goes on where it was."""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, List

from rasa.core.actions.action import ActionExecutionRejection
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered

log = logging.getLogger(__name__)

UNAVAILABLE = ("Dieser Teil des Assistenten ist vorübergehend nicht verfügbar. Bitte versuchen Sie es "
               "in ein paar Minuten noch einmal. Ihre bisherigen Angaben bleiben erhalten.")


def run_or_apologise(run: Callable) -> Callable:
    """Wraps RemoteAction.run."""

    @functools.wraps(run)
    async def wrapper(self, output_channel, nlg, tracker, domain) -> List[Event]:
        try:
            return await run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a form rejecting an answer is no failure
        except Exception as error:  # noqa: BLE001 - any failure is answered, none is silent
            log.error("Aktion %s fehlgeschlagen (%s: %s); der Nutzer erfährt, dass sie vorübergehend "
                      "nicht verfügbar ist.", self.name(), type(error).__name__, error)
            events: List[Event] = [] if _apologised_this_turn(tracker) else [BotUttered(UNAVAILABLE)]
            if self.name().startswith("validate_"):
                events += [SlotSet(name, None) for name in _unchecked_answers(tracker)]
            return events

    wrapper.apologises = True  # type: ignore[attr-defined]
    return wrapper


def _events_of_this_turn(tracker: Any) -> list:
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return events[index + 1:]
    return events


def _apologised_this_turn(tracker: Any) -> bool:
    return any(isinstance(e, BotUttered) and e.text == UNAVAILABLE for e in _events_of_this_turn(tracker))


def _unchecked_answers(tracker: Any) -> list[str]:
    """The slots a form's validation was asked to check: Rasa's form puts them after its own
    ActionExecuted in the temporary tracker it hands to the validation action."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], ActionExecuted):
            return list(dict.fromkeys(e.key for e in events[index + 1:] if isinstance(e, SlotSet)
                                      and e.key != "requested_slot"))
    return []
