"""Rasa sends the whole tracker to the action server with every custom action: every event of
the session as JSON, 1.1 MB after 300 turns, encoded anew each time (issue 12: after the
replay cache, JSON encoding was the largest part of the Rasa process that still grew with the
conversation). The actions read events far back (easy language, the staff transcript of a
handover, a form's earlier answers), so the events are all sent, unchanged; only their encoding
is reused: each event's JSON text is kept, and used again for the same event object while its
dict (`Event.as_dict()`, made anew for every request as before) equals the value the text
encodes (so an event changed in place is encoded anew). The request body is then the text
`json.dumps` makes of the whole body (json.dumps of a list is its items' json.dumps joined by
", "), except where Python's equality is looser than JSON text: a value changed in place from
1 to 1.0 or True, or a dict rebuilt in place with the same items in another order; no event is
changed so.

Kept for at most `KEPT_CONVERSATIONS` conversations of at least `LONG` events (shorter ones
cost little to encode), least recently used dropped. tests/test_action_payload.py compares the
bytes with aiohttp's own encoding."""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text

from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

KEPT_CONVERSATIONS = 16
LONG = 200  # events

_rasas_action_call_format = RemoteAction._action_call_format
_rasas_request = EndpointConfig.request
_encoded: "OrderedDict[Text, List[tuple]]" = OrderedDict()  # sender -> [(event, value of text, text)]
_lock = threading.Lock()
# Stands for the events in the body while the rest is encoded; json.dumps gives it as a string.
_PLACEHOLDER = "\x00asskomm-encoded-events\x00"


class EncodedEvents(list):
    """The event dicts of a request body, with their JSON text (a list like any other for all
    code that reads the body)."""

    def __init__(self, events: List[Dict[Text, Any]], texts: List[str]) -> None:
        super().__init__(events)
        self.texts = texts


def encode_events(sender_id: Text, objects: List[Any], events: List[Dict[Text, Any]]) -> Optional[EncodedEvents]:
    """The event dicts (`events`, made from the event `objects`) with their JSON texts, reusing
    a text of the conversation's last request where it was made for the same event object and
    the dict equals what the text says; None for a short conversation."""
    if len(events) < LONG or len(objects) != len(events):
        return None
    with _lock:
        before = _encoded.pop(sender_id, [])
    kept: List[tuple] = []
    for index, (event, data) in enumerate(zip(objects, events, strict=True)):
        if index < len(before) and before[index][0] is event and before[index][1] == data:
            kept.append(before[index])
        else:
            text = json.dumps(data)
            kept.append((event, json.loads(text), text))
    with _lock:
        _encoded[sender_id] = kept
        while len(_encoded) > KEPT_CONVERSATIONS:
            _encoded.popitem(last=False)
    return EncodedEvents(events, [text for _, _, text in kept])


def body_text(body: Dict[Text, Any]) -> Optional[str]:
    """json.dumps(body), with the events' kept texts; None when the body has none."""
    tracker = body.get("tracker")
    events = tracker.get("events") if isinstance(tracker, dict) else None
    if not isinstance(events, EncodedEvents):
        return None
    text = json.dumps({**body, "tracker": {**tracker, "events": _PLACEHOLDER}})
    placeholder = json.dumps(_PLACEHOLDER)
    if text.count(placeholder) != 1:  # a user typed it: encode as Rasa does
        return None
    return text.replace(placeholder, "[" + ", ".join(events.texts) + "]")


def _action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> Dict[Text, Any]:
    body = _rasas_action_call_format(self, tracker, domain)
    events = body.get("tracker", {}).get("events")
    if isinstance(events, list):
        # current_state(EventVerbosity.ALL) made them from tracker.events, in order
        encoded = encode_events(tracker.sender_id, list(tracker.events), events)
        if encoded is not None:
            body["tracker"]["events"] = encoded
    return body


async def _request(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
    body = kwargs.get("json")
    text = body_text(body) if isinstance(body, dict) else None
    if text is not None:
        # what aiohttp sends for json=body (json.dumps, UTF-8); EndpointConfig.request sets the
        # Content-Type application/json itself
        del kwargs["json"]
        kwargs["data"] = text.encode("utf-8")
    return await _rasas_request(self, *args, **kwargs)


def reuse_event_encoding() -> None:
    """Once per process."""
    if getattr(RemoteAction._action_call_format, "reuses_encoding", False):
        return
    _action_call_format.reuses_encoding = True  # type: ignore[attr-defined]
    RemoteAction._action_call_format = _action_call_format
    EndpointConfig.request = _request
