"""Two questions in one message become two turns; one question is never cut."""
import pytest

from bot.conversation.splitting import split_questions


@pytest.mark.parametrize("message,parts", [
    ("Wie viele Einwohner hat Chemnitz und ist es dabei?", ["Wie viele Einwohner hat Chemnitz", "ist es dabei?"]),
    ("Ist Großenhain Mitglied und seit wann?", ["Ist Großenhain Mitglied", "seit wann?"]),
    ("Was ist ASSKomm? Wie kann man beitreten? Was kostet das?",
     ["Was ist ASSKomm?", "Wie kann man beitreten?", "Was kostet das?"]),
    ("Hallo, was ist ein Präventionsrat und wie gründet man den?",
     ["Hallo, was ist ein Präventionsrat", "wie gründet man den?"]),
    ("Was kostet das Studium. Außerdem: wie lange dauert es?", ["Was kostet das Studium.", "wie lange dauert es?"]),
    ("Wir sind eine kleine Gemeinde und haben kein Geld. Was kostet der Beitritt und brauchen wir einen Präventionsrat?",
     ["Wir sind eine kleine Gemeinde und haben kein Geld. Was kostet der Beitritt", "brauchen wir einen Präventionsrat?"]),
    ("ist werdau dabei und was ist mit zwickau", ["ist werdau dabei", "was ist mit zwickau"]),
    ("Drei Fragen: Wann wurde ASSKomm gegründet, welche Städte waren Modellkommunen, und wie viele sind es heute?",
     ["Drei Fragen: Wann wurde ASSKomm gegründet", "welche Städte waren Modellkommunen", "wie viele sind es heute?"]),
    ("Wer darf den Antrag stellen, wie viel Geld gibt es und bis wann?",
     ["Wer darf den Antrag stellen", "wie viel Geld gibt es", "bis wann?"]),
    ("Gibt es Förderung für Graffiti? Noch eine Frage: wer darf den Antrag stellen?",
     ["Gibt es Förderung für Graffiti?", "wer darf den Antrag stellen?"]),
])
def test_two_questions_are_cut_at_their_seam(message, parts):
    assert split_questions(message) == parts


@pytest.mark.parametrize("message", [
    "Können Städte und Gemeinden beitreten?",  # "und" joins two nouns
    "Wie und wann kann man beitreten?",
    "Ich weiß nicht, wie das geht",  # a statement before the comma
    "Können Sie mir sagen, wie viele Kommunen dabei sind?",  # one question with a clause
    "Wer ist dabei und wer nicht?",  # one question with a contrast
    "Das Projekt läuft bis März und geht dann weiter",  # a statement
    "Wir sind eine kleine Gemeinde und haben eine Frage zur Förderung",
    "Ist Werdau dabei? Danke!",  # a word of thanks is no question of its own
    "Was ist ASSKomm? Wir sind Nachbarn von Werdau.",  # context after the question
    '/inform_commune{"commune_ags": "14524300"}',  # payloads are never cut
    "",
    "   ",
    "😀 und 😀",
])
def test_one_question_stays_whole(message):
    assert split_questions(message) == [message.strip()] or split_questions(message) == [message]


def test_a_flood_of_questions_gives_at_most_three_turns():
    message = " ".join(["Was ist das?"] * 10)
    parts = split_questions(message)
    assert len(parts) == 3
    assert " ".join(parts).count("?") == 10  # nothing is lost


def test_a_very_long_message_is_not_cut():
    message = "Was ist ASSKomm und wie kann man beitreten? " * 40
    assert split_questions(message) == [message]
