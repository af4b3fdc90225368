"""The rules of bot/conversation/: emergencies, other Länder, typed commands, and when an
out-of-scope guess of the NLU really gets the out-of-scope answer."""
import pytest
import yaml

from bot.conversation.emergency import looks_like_emergency
from bot.conversation.other_laender import DATA_FILE, other_laender, other_land_named
from bot.conversation.scope import MAX_CHOICES, Kind, decide, typed_command
from bot.knowledge.store import KnowledgeBase
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_directory(ROOT / "knowledge")


def ranking(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


@pytest.mark.parametrize("text", [
    "Hilfe!!! vor meinem haus randaliert grad einer und schlägt autoscheiben ein",
    "werde bedroht", "Einbruch", "hier wird gerade eingebrochen", "Hilfe, hier wird gerade eingebrochen",
    "Feuer", "Unfall", "es brennt", "ES BRENNT", "bei uns brennts", "EINBRUCH!!!", "HILFE", "hilfe hilfe",
    "Hilfe!!", "da bricht grad einer ins auto ein", "der hat ein messer", "ruft die polizei",
    "Polizei sofort kommen bitte", "mein mann schlägt mich", "jemand liegt bewusstlos im flur",
    "Ueberfall an der Tankstelle", "notfall", "Soll ich die Polizei rufen?", "wie ist die Notrufnummer",
])
def test_acute_danger_is_an_emergency(text):
    assert looks_like_emergency(text)


@pytest.mark.parametrize("text", [
    "", "   ", None, "Hilfe", "hilfe bitte", "Hilfe!", "Ich brauche Hilfe mit dem Chat.",
    "HILFE ich versteh den bot nicht", "Wird Einbruchschutz gefördert?", "Projekt zur Unfallprävention",
    "Brandschutz in Schulen", "Wie trete ich der Feuerwehr bei?", "Mir brennt eine Frage unter den Nägeln",
    "Mein Fahrrad wurde geklaut", "Ich wurde bestohlen.", "Wie kontaktiere ich die Polizei?", "polizei",
    "Feuerwerk an Silvester", "Was kostet das Studium?", "Wie kann unsere Gemeinde beitreten?",
    "Bei uns gibt es viele Einbrüche, was kann die Kommune tun?",
])
def test_everyday_and_prevention_words_are_no_emergency(text):
    assert not looks_like_emergency(text)


def test_the_data_file_names_the_15_other_laender_with_source():
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    names = {land["name"] for land in data["laender"]}
    assert len(names) == 15 and "Sachsen" not in names
    assert data["source"]["title"] and data["source"]["stand"]
    assert len(other_laender()) == 15


@pytest.mark.parametrize("land", yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))["laender"],
                         ids=lambda land: land["name"])
def test_every_land_is_found_by_name_and_capital(land):
    assert other_land_named(f"Wir sind eine Gemeinde in {land['name']}").name == land["name"]
    assert other_land_named(f"Grüße aus {land['capital']}!").name == land["name"]


@pytest.mark.parametrize("text, land", [
    ("Wir sind die Stadt Gera in Thüringen, können wir bei ASSKomm mitmachen?", "Thüringen"),
    ("eine thüringische Kleinstadt", "Thüringen"),
    ("Gemeinde aus Thueringen", "Thüringen"),
    ("wir als bayerische gemeinde", "Bayern"),
    ("Landkreis in Sachsen-Anhalt", "Sachsen-Anhalt"),
    ("sachsen anhalt", "Sachsen-Anhalt"),
    ("niedersächsische Stadt", "Niedersachsen"),
    ("Kommune in NRW", "Nordrhein-Westfalen"),
    ("MÜNCHEN", "Bayern"),
])
def test_other_laender_by_spelling_and_adjective(text, land):
    assert other_land_named(text).name == land


@pytest.mark.parametrize("text", [
    "Wir sind die Stadt Werdau in Sachsen", "sächsische Gemeinde", "Freistaat Sachsen", "Dresden",
    "Wir wohnen in der Berliner Straße", "", None, "Oelsnitz im Erzgebirge",
])
def test_saxony_and_saxon_places_are_no_other_land(text):
    assert other_land_named(text) is None


@pytest.mark.parametrize("text, intent, command", [
    ("/hilfe", None, "help"), ("/HELP", None, "help"), ("/start", "ask_capabilities", "help"),
    ("/stop", None, "stop"), ("/abbrechen", "cancel", "stop"), ("/foo", "out_of_scope", "unknown"),
    ("/", None, "unknown"), ("  /xyz bla", None, "unknown"),
    ("/nlu_fallback", "nlu_fallback", None),  # the payload of "Nichts davon"
    ("hilfe", None, None), ("Preis 10/20", None, None), ("", None, None),
])
def test_typed_commands(text, intent, command):
    assert typed_command(text, intent) == command


def test_an_emergency_wins_over_everything(kb):
    decision = decide("Hilfe!!! hier randaliert einer, Förderung?", ranking(("out_of_scope", 0.99)), kb)
    assert decision.kind is Kind.EMERGENCY


def test_a_named_topic_is_asked_back_not_put_out_of_scope(kb):
    decision = decide("bis zu welcher entgeltgruppe?", ranking(("out_of_scope", 0.6), ("ask_funding_amount", 0.05)), kb)
    assert decision.kind is Kind.CLARIFY
    assert decision.entry_ids[0] == "funding_amount"


def test_a_named_topic_without_a_ranked_answer_offers_the_topic_overview(kb):
    decision = decide("ist das an der polizeihochschule?", ranking(("out_of_scope", 0.6)), kb)
    assert decision.kind is Kind.CLARIFY and decision.entry_ids == ["study"]


def test_a_named_topic_stays_out_of_scope_when_the_nlu_is_sure(kb):
    decision = decide("Förderung für Solaranlagen", ranking(("out_of_scope", 0.98), ("ask_funding", 0.01)), kb)
    assert decision.kind is Kind.OUT_OF_SCOPE


@pytest.mark.parametrize("text, expected", [
    # no topic keyword, only the subject itself: what ASSKomm is and its funding are offered
    ("Gibt es vom Innenministerium Geld für ein Gewaltpräventionsprojekt an unseren Schulen?", ["asskomm", "funding"]),
    ("suchtpraevention im jugendclub?", ["asskomm", "funding"]),
    ("nu, mir ham in unserm dorf jede woche graffiti an dr bushaltestelle, gibts da was vom land dagegen?",
     ["asskomm", "funding"]),
    # a named topic (fördern) with prevention: that topic, even though the NLU is sure
    ("Vermüllung am Bahnhof – kann man dagegen ein Präventionsprojekt fördern lassen?", ["funding"]),
])
def test_prevention_is_never_out_of_scope_however_sure_the_nlu_is(kb, text, expected):
    decision = decide(text, ranking(("out_of_scope", 0.99)), kb)
    assert decision.kind is Kind.CLARIFY
    assert [kb.entries[entry_id].topic for entry_id in decision.entry_ids] == expected


def test_a_damage_report_for_the_police_stays_out_of_scope(kb):
    decision = decide("Wo zeige ich eine Sachbeschädigung an, die letzte Woche war?", ranking(("out_of_scope", 0.97)), kb)
    assert decision.kind is Kind.OUT_OF_SCOPE


def test_a_real_second_guess_is_offered(kb):
    decision = decide("wie läuft das mit der gruppe vor ort", ranking(("out_of_scope", 0.5), ("ask_prevention_council", 0.3),
                                                                    ("greet", 0.15), ("ask_study", 0.01)), kb)
    assert decision.kind is Kind.CLARIFY and decision.entry_ids == ["prevention_council"]


def test_a_follow_up_is_asked_back_within_the_topic_just_answered(kb):
    text = "und die wand selber also bau der fläche, farben, gerüst?"
    decision = decide(text, ranking(("out_of_scope", 0.84), ("ask_funding_amount", 0.03)), kb, "funding_fields")
    assert decision.kind is Kind.CLARIFY and decision.entry_ids == ["funding_amount"]
    # with nothing of the topic in the ranking, the answer just given is offered again
    decision = decide(text, ranking(("out_of_scope", 0.99)), kb, "funding_fields")
    assert decision.entry_ids == ["funding_fields"]


def test_a_new_subject_after_an_answer_is_still_out_of_scope(kb):
    decision = decide("Wie wird das Wetter morgen?", ranking(("out_of_scope", 0.99)), kb, "funding_fields")
    assert decision.kind is Kind.OUT_OF_SCOPE


def test_at_most_three_choices(kb):
    decision = decide("Förderung, Studium, Beitritt und Kontakt?", ranking(
        ("out_of_scope", 0.4), ("ask_funding", 0.2), ("ask_study", 0.15), ("ask_join_process", 0.12),
        ("ask_contact", 0.11)), kb)
    assert decision.kind is Kind.CLARIFY and len(decision.entry_ids) == MAX_CHOICES


def test_asskomm_from_another_land_is_outside_saxony(kb):
    decision = decide("Gibt es ASSKomm auch in Bayern?", ranking(("out_of_scope", 0.7)), kb)
    assert decision.kind is Kind.OUTSIDE_SAXONY and decision.land.name == "Bayern"


def test_another_land_without_a_topic_is_just_out_of_scope(kb):
    decision = decide("Wo gibt es die beste Thüringer Bratwurst?", ranking(("out_of_scope", 0.99)), kb)
    assert decision.kind is Kind.OUT_OF_SCOPE


@pytest.mark.parametrize("text", ["/foo", "/hilfe"])
def test_a_typed_command_is_a_command(kb, text):
    assert decide(text, ranking(("out_of_scope", 0.9)), kb, intent="out_of_scope").kind is Kind.COMMAND


def test_plain_out_of_scope(kb):
    assert decide("Wie beantrage ich Kindergeld?", ranking(("out_of_scope", 0.97)), kb).kind is Kind.OUT_OF_SCOPE
    assert decide("", [], kb).kind is Kind.OUT_OF_SCOPE


def test_an_emergency_hinted_by_the_nlu_is_flagged_for_the_110_112_line(kb):
    decision = decide("er kommt gleich wieder her", ranking(("out_of_scope", 0.5), ("emergency", 0.3)), kb)
    assert decision.kind is Kind.OUT_OF_SCOPE and decision.possible_emergency
    assert not decide("Wie wird das Wetter?", ranking(("out_of_scope", 0.9), ("emergency", 0.05)), kb).possible_emergency


@pytest.mark.parametrize("text", [
    "is doch kein notfall, nur ärgerlich",
    "Ist Brand-Erbisdorf bei ASSKomm dabei?",
    "Die Gemeinde schlägt vor, einen Präventionsrat zu gründen",
])
def test_words_that_only_look_like_danger_are_no_emergency(text):
    from bot.conversation.emergency import looks_like_emergency

    assert not looks_like_emergency(text)


def test_an_emergency_hint_on_a_plain_information_question_gets_no_110_112_line(kb):
    # "Gibt es einen Zuschuss für …?" is no emergency, whatever weight the classifier gives it
    hint = ranking(("out_of_scope", 0.5), ("emergency", 0.35))
    assert not decide("Gibt es einen Zuschuss für den Austausch einer alten Ölheizung?", hint, kb).possible_emergency
    assert decide("Gibt es hier jemanden, der hilft? Er steht wieder vor der Tür", hint, kb).possible_emergency


def _emergency_examples(path):
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in data["nlu"]:
        if item.get("intent") == "emergency":
            yield from (line[2:].strip() for line in item["examples"].splitlines() if line.strip().startswith("- "))


def test_every_known_emergency_is_believed_when_the_classifier_alone_finds_it():
    # training examples and the held-out ones (read here, never trained on): the rule that
    # disbelieves a classifier-only emergency must not touch any of them
    from bot.conversation.emergency import classifier_emergency_believable
    from tests.conftest import ROOT

    examples = [*_emergency_examples(ROOT / "data" / "nlu" / "emergency.yml"),
                *_emergency_examples(ROOT / "tests" / "nlu_heldout.yml")]
    assert len(examples) >= 55
    assert [t for t in examples if not classifier_emergency_believable(t)] == []
