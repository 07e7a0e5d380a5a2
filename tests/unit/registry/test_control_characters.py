"""Input text refuses Unicode's control characters (category Cc); a free-text field
keeps its line breaks and tabs. The checks are regular expressions: here they are held
to unicodedata over every code point."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from pydantic import ValidationError

from hozen.access.schemas import FollowUpCreate
from hozen.registry.schemas import CONTROL, CONTROL_BUT_BREAKS, LINE_BREAKS


def test_the_patterns_match_exactly_unicodes_control_characters():
    for point in range(sys.maxunicode + 1):
        c = chr(point)
        control = unicodedata.category(c) == "Cc"
        assert bool(CONTROL.search(c)) == control, hex(point)
        assert bool(CONTROL_BUT_BREAKS.search(c)) == (control and c not in LINE_BREAKS), \
            hex(point)


@pytest.mark.parametrize("c", ["\x00", "\x1b", "\x7f", "\x85", "\x9f"])
def test_a_control_character_anywhere_is_refused(c):
    with pytest.raises(ValidationError, match="control characters"):
        FollowUpCreate(contacted_on="2026-01-01", note=f"called{c}back")


def test_a_free_text_field_keeps_line_breaks_and_tabs_and_other_text():
    note = "line one\r\n\tline two ・ 電話済み \u200b\u00a0"
    assert FollowUpCreate(contacted_on="2026-01-01", note=note).note == note.strip()


def test_a_field_that_is_not_free_text_refuses_line_breaks_too():
    from hozen.access.schemas import ProgrammeCreate

    with pytest.raises(ValidationError, match="control characters"):
        ProgrammeCreate(code="ABC", name_ja="一行目\n二行目", name_en="x")
