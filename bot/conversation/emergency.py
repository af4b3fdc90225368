"""The safety net for emergencies: words that mean acute danger or a crime in progress.

The NLU has an intent `emergency`; this net catches what it misses. A message that the NLU
put out of scope or could not place at all, and that says "randaliert", "eingebrochen" or
"es brennt", must still get 110/112 first: a missed emergency is dangerous, a false alarm
costs one sentence. So the words are whole words of acute danger, not the topics of
prevention work ("Einbruchschutz", "Unfallprävention", "Brandschutz" do not match).

The classifier alone is believed less: without a word of this net, its `emergency` needs a
sign that something is happening now (see `classifier_emergency_believable`), else "Kann ich
gegen den Bußgeldbescheid Einspruch einlegen?" gets 110/112 (blind set, 2026-11-30)."""
from __future__ import annotations

import re

from bot.communes.names import fold

# Whole words (after folding: lower case, Umlaute spelled out, punctuation as spaces).
_DANGER_WORDS = [
    # emergency services
    r"notruf", r"notrufnummer", r"notrufnummern", r"notfall", r"notarzt", r"krankenwagen", r"rettungswagen", r"rtw",
    # fire
    r"feuer", r"brand", r"brennt", r"brennts", r"flammen", r"qualm", r"qualmt", r"rauch", r"explosion",
    r"gasgeruch", r"riecht (?:\w+ ){0,3}nach gas",
    # accidents and injuries
    r"unfall", r"verunglueckt", r"verletzt", r"schwer verletzt", r"blutet", r"bewusstlos",
    r"atmet nicht mehr", r"atmet nicht", r"reagiert nicht", r"nicht ansprechbar",
    r"herzinfarkt", r"schlaganfall", r"ertrinkt",
    # burglary and theft in progress
    r"einbruch", r"einbrecher", r"eingebrochen", r"einbrechen", r"bricht (?:\w+ ){0,4}ein",
    r"brechen (?:\w+ ){0,4}ein", r"ueberfall", r"ueberfallen",
    # violence and threats
    r"bedroht", r"bedrohen", r"bedroht mich", r"droht mir", r"angegriffen", r"greift (?:\w+ ){0,4}an",
    r"schlaegt zu", r"schlaegt (?:\w+ ){0,3}(?:ein|mich|ihn|uns)", r"schlagen (?:\w+ ){0,4}ein", r"pruegelt", r"pruegeln", r"verpruegelt",
    r"zusammengeschlagen", r"schlaegerei", r"pruegelei", r"messer", r"waffe", r"pistole", r"knarre", r"gewehr",
    r"(?:bringt|bringen) (?:\w+ ){0,3}um", r"umbringen", r"durchs fenster",
    r"schiesst", r"schuesse", r"geschossen", r"erstochen", r"vergewaltigt", r"vergewaltigung",
    r"entfuehrt", r"geisel", r"amok", r"bombe", r"randaliert", r"randalieren", r"randale",
    r"randalierer", r"verfolgt mich", r"stalkt mich",
]
_DANGER = re.compile(r"(?<![a-z0-9])(?:" + "|".join(_DANGER_WORDS) + r")(?![a-z0-9])")
# "Mir brennt eine Frage unter den Nägeln" is an idiom, not a fire; "Brand-Erbisdorf" a town;
# "ist doch kein Notfall" says the opposite.
_IDIOM = re.compile(r"unter den naegeln|auf der zunge|brennend interessiert|brand erbisdorf"
                    r"|(?:kein|keine|keinen|nicht um einen?) (?:notfall|notruf|brand|feuer|unfall)")
# A cry for help: "Hilfe!!", "HILFE", "hilfe hilfe", or asking for the police right now.
_CRY = re.compile(r"hilfe\s*!{2,}|hilfe\W+hilfe", re.IGNORECASE)
_SHOUTED_CRY = re.compile(r"\bHILFE\b")
_POLICE_NOW = re.compile(
    r"(?<![a-z0-9])polizei(?![a-z0-9])(?:\W+\w+){0,5}\W+(?:sofort|schnell|dringend|kommen)(?![a-z0-9])"
    r"|(?<![a-z0-9])(?:ruf|rufen|ruft|holt|hol)(?:\W+\w+){0,3}\W+(?:polizei|feuerwehr)(?![a-z0-9])"
    # "Soll ich die Polizei rufen?": the same request in the other word order
    r"|(?<![a-z0-9])(?:polizei|feuerwehr|krankenwagen)\W+(?:\w+\W+){0,2}(?:rufen|holen|anrufen|alarmieren)(?![a-z0-9])"
)


# Where the NLU itself gives the intent emergency this much, a message it cannot place may be
# one: the bot says 110/112 in one line before it asks back (action_clarify), unless the
# message is a plain question about rights, money or procedures without urgency (below).
POSSIBLE_EMERGENCY_CONFIDENCE = 0.3


def may_be_emergency(ranking: list[dict], text: str | None) -> bool:
    """The NLU's ranking gives the intent emergency real weight (not the keyword net), and the
    message is not one that the classifier's emergency is disbelieved for."""
    return any(i.get("name") == "emergency" and (i.get("confidence") or 0) >= POSSIBLE_EMERGENCY_CONFIDENCE
               for i in ranking) and classifier_emergency_believable(text)


# Signs that something happens now: a cry, an exclamation mark, "gerade", "sofort", fear. "zu
# schnell" is a speed, not a hurry.
_URGENCY = re.compile(
    r"(?<![a-z0-9])(?:hilfe|huelfe|hilf|helft|helfen|gerade|grad|grade|jetzt|sofort|dringend|notfall|eilig|"
    r"(?<!zu )schnell|angst|panik|gefahr)(?![a-z0-9])")
# A question about rights, money or procedures ("Gibt es einen Zuschuss …?", "Kann ich gegen den
# Bescheid Einspruch einlegen?", "Wo ist die Polizeiwache?"): its opening word, after a greeting.
# "Was soll ich tun" is not one: it is how people in danger ask.
_GREETING = re.compile(r"^\W*(?:(?:hallo|moin|servus|hi|guten (?:tag|morgen|abend)|entschuldigung|"
                       r"sagen sie mal|eine frage|mal eine frage|mal ne frage|frage)\W+)+")
_INFORMATION_OPENER = re.compile(
    r"^(?:gibt es|gibts|gab es|kann|kannst|koennen|koennte|koennten|darf|darfst|duerfen|muss|musst|muessen|"
    r"bekomme|bekommt|bekommen|kriege|kriegt|kriegen|brauche|braucht|brauchen|lohnt|wie|wo|wann|wer|"
    r"wieviel\w*|welche\w*|bis wann|ab wann)(?![a-z0-9])")
# A second clause or sentence may report what happens ("Wo ist das Krankenhaus, mein Kind …").
_SECOND_CLAUSE = re.compile(r"[,;:.!?]\s*\S")


def shows_urgency(text: str | None) -> bool:
    """A word of the net, a cry, an exclamation mark or a word of now and fear."""
    if not text:
        return False
    return "!" in text or looks_like_emergency(text) or bool(_URGENCY.search(fold(text)))


def is_information_question(text: str | None) -> bool:
    """One question about rights, money or procedures, and nothing else in the message."""
    if not text:
        return False
    folded = _GREETING.sub("", " ".join(fold(text).split()))
    asked = text.strip().rstrip("?").strip()
    return bool(_INFORMATION_OPENER.match(folded)) and not _SECOND_CLAUSE.search(_GREETING.sub("", asked.lower()))


def classifier_emergency_believable(text: str | None) -> bool:
    """Whether the classifier's intent emergency (without a word of the net) is taken as one.
    Every emergency of the training data, the held-out set and both conversation sets is either
    caught by the net, shows urgency or is no information question; the two false alarms of the
    blind out-of-scope set are information questions without any urgency."""
    return shows_urgency(text) or not is_information_question(text)


def looks_like_emergency(text: str | None) -> bool:
    """True when the message speaks of acute danger or a crime in progress."""
    if not text or not text.strip():
        return False
    folded = fold(text)
    if _DANGER.search(folded) and not _IDIOM.search(folded):
        return True
    if _CRY.search(text) or _SHOUTED_CRY.search(text):
        return _cry_is_not_about_the_chat(folded)
    return bool(_POLICE_NOW.search(folded))


def _cry_is_not_about_the_chat(folded: str) -> bool:
    # "Hilfe!! ich verstehe den chat nicht" asks for help with the bot, not for the police.
    return not re.search(r"(?<![a-z0-9])(chat|bot|menue|bedienung|formular|verstehe)(?![a-z0-9])", folded)
