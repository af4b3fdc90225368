"""Who may answer or end a handover in the staff room (bot/matrix_bridge/handover.py): the
listed Matrix ids when ASSKOMM_HANDOVER_STAFF is set, else room members with at least the
power level (default 50); a level that cannot be read lets nobody in. The bridge's check
against a real Synapse is in tests/test_handover_matrix.py."""
import asyncio

import pytest

from bot.matrix_bridge.handover import StaffCheck, power_level_of

LEVELS = {"@admin:lpr": 100, "@mod:lpr": 50, "@guest:lpr": 0}


async def level(room_id, user_id):
    return LEVELS.get(user_id)


def admits(check: StaffCheck, user: str) -> bool:
    return asyncio.run(check.admits(user, "!staff:lpr", level))


def test_empty_setting_means_moderators_and_above():
    check = StaffCheck.parse("", "")
    assert [admits(check, u) for u in ("@admin:lpr", "@mod:lpr", "@guest:lpr", "@unknown:lpr")] == \
        [True, True, False, False]


def test_a_list_admits_exactly_those_ids_whatever_their_level():
    check = StaffCheck.parse(" @guest:lpr , @eva:lpr", "")
    assert [admits(check, u) for u in ("@guest:lpr", "@eva:lpr", "@admin:lpr")] == [True, True, False]


def test_the_level_can_be_raised():
    check = StaffCheck.parse("", "100")
    assert admits(check, "@admin:lpr") and not admits(check, "@mod:lpr")


@pytest.mark.parametrize("users, level, reason", [
    ("anna", "", "keine Matrix-Kennung"),
    ("@anna:lpr,eva@lpr", "", "eva@lpr"),
    ("", "0", "mindestens 1"),
])
def test_settings_that_would_open_the_room_or_cannot_be_read_are_refused(users, level, reason):
    with pytest.raises(ValueError, match=reason):
        StaffCheck.parse(users, level)


def state(version: str, creator: str = "@admin:lpr", users=None, extra_creators=()):
    create = {"type": "m.room.create", "sender": creator,
              "content": {"room_version": version, "additional_creators": list(extra_creators)}}
    levels = {"type": "m.room.power_levels", "content": {"users": users or {}, "users_default": 0}}
    return [create, levels]


def test_power_levels_are_read_from_the_room_state_including_creators_of_version_12():
    # version 12: the creators are not in m.room.power_levels and outrank everyone
    room12 = state("12", users={"@mod:lpr": 50}, extra_creators=["@co:lpr"])
    assert power_level_of(room12, "@admin:lpr") > 100 and power_level_of(room12, "@co:lpr") > 100
    assert power_level_of(room12, "@mod:lpr") == 50 and power_level_of(room12, "@guest:lpr") == 0
    # older versions list the creator with 100
    room10 = state("10", users={"@admin:lpr": 100})
    assert power_level_of(room10, "@admin:lpr") == 100 and power_level_of(room10, "@co:lpr") == 0
    assert power_level_of(room10[:1], "@admin:lpr") == 100  # no power levels at all
