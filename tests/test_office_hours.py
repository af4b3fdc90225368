"""Office hours for the handover: weekly hours, Saxon public holidays, closed days, the next
opening, the settings that configure them and the clock that fixes the moment in tests."""
from datetime import datetime

import pytest
from pydantic import ValidationError

from bot.clock import SAXONY, now
from bot.config import Settings
from bot.handover.office_hours import OfficeHours, from_settings, german_moment, holiday_name

DEFAULT = OfficeHours.parse("Mo-Fr 09:00-15:00", "24.12.,31.12.")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SAXONY)


@pytest.mark.parametrize("moment, open_", [
    ("2026-11-30T09:00", True),     # Monday, first minute
    ("2026-11-30T14:59", True),
    ("2026-11-30T15:00", False),    # the end is not inside
    ("2026-11-30T08:59", False),
    ("2026-12-05T10:00", False),    # Saturday
    ("2026-11-18T10:00", False),    # Buß- und Bettag: a public holiday in Saxony only
    ("2026-10-31T10:00", False),    # Reformationstag (a Saturday anyway)
    ("2026-12-24T10:00", False),    # Heiligabend, a Thursday: closed by the default setting
    ("2026-12-23T10:00", True),
    ("2026-12-25T10:00", False),    # Erster Weihnachtstag
])
def test_open_by_weekday_time_holiday_and_closed_day(moment, open_):
    assert DEFAULT.is_open(at(moment)) is open_


def test_buss_und_bettag_is_a_saxon_holiday_and_not_elsewhere():
    assert holiday_name(at("2026-11-18T00:00").date()) == "Buß- und Bettag"
    assert holiday_name(at("2026-11-19T00:00").date()) is None


def test_christmas_eve_is_open_when_no_closed_days_are_configured():
    assert OfficeHours.parse("Mo-Fr 9-15").is_open(at("2026-12-24T10:00"))


def test_times_in_other_zones_are_read_in_saxon_time():
    utc = datetime.fromisoformat("2026-11-30T08:30+00:00")  # 9:30 in Saxony (winter time)
    assert DEFAULT.is_open(utc)
    summer = datetime.fromisoformat("2026-07-01T13:30+00:00")  # 15:30 in Saxony (summer time)
    assert not DEFAULT.is_open(summer)


@pytest.mark.parametrize("moment, opening", [
    ("2026-11-30T10:00", "2026-11-30T10:00"),  # open now
    ("2026-11-30T07:00", "2026-11-30T09:00"),
    ("2026-11-30T16:00", "2026-12-01T09:00"),
    ("2026-12-04T15:30", "2026-12-07T09:00"),  # Friday afternoon → Monday
    ("2026-11-17T16:00", "2026-11-19T09:00"),  # skips Buß- und Bettag
    ("2026-12-23T15:00", "2026-12-28T09:00"),  # 24. closed, 25./26. holidays, then the weekend
    ("2026-12-30T18:00", "2027-01-04T09:00"),  # 31.12. closed, Neujahr, weekend
])
def test_next_opening(moment, opening):
    assert DEFAULT.next_opening(at(moment)) == at(opening)


def test_several_ranges_and_short_times():
    hours = OfficeHours.parse("Mo-Do 9-15; Fr 9-12")
    assert hours.is_open(at("2026-12-03T14:00"))        # Thursday
    assert not hours.is_open(at("2026-12-04T13:00"))    # Friday afternoon
    assert hours.next_opening(at("2026-12-04T13:00")) == at("2026-12-07T09:00")
    listed = OfficeHours.parse("Mo, Mi 10:30-11:00")
    assert listed.is_open(at("2026-12-02T10:45")) and not listed.is_open(at("2026-12-01T10:45"))


def test_without_hours_there_is_no_opening():
    assert OfficeHours.parse("").next_opening(at("2026-11-30T10:00")) is None


@pytest.mark.parametrize("hours, closed", [
    ("Mo-Fx 9-15", ""), ("Montag bis Freitag", ""), ("Mo-Fr 15-9", ""), ("Fr-Mo 9-15", ""),
    ("Mo-Fr 9-15", "31.04."), ("Mo-Fr 9-15", "Heiligabend"),
])
def test_unreadable_settings_are_refused_with_a_reason(hours, closed):
    with pytest.raises(ValidationError) as error:
        Settings(office_hours=hours, office_closed_days=closed)
    assert "nicht lesbar" in str(error.value) or "vor ihrem Beginn" in str(error.value) \
        or "Reihenfolge" in str(error.value) or "day is out of range" in str(error.value)


def test_settings_and_clock_fix_the_moment():
    settings = Settings(now="2026-11-18T10:00", office_hours="Mo-Fr 8-16", office_closed_days="")
    assert now(settings) == at("2026-11-18T10:00")
    hours = from_settings(settings)
    assert not hours.is_open(now(settings))  # still Buß- und Bettag
    assert hours.next_opening(now(settings)) == at("2026-11-19T08:00")
    assert now(Settings(today="2026-12-24")).date().isoformat() == "2026-12-24"


def test_german_moment():
    assert german_moment(at("2026-12-01T09:00")) == "Dienstag, 1. Dezember 2026, 9 Uhr"
    assert german_moment(at("2027-01-04T09:30")) == "Montag, 4. Januar 2027, 9:30 Uhr"
