"""Text must show something: strings of only spaces, fillers, blanks and zero-width characters are refused."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.profiles import default_display_name
from chalicelib.domain.text import DEFAULT_IGNORABLE, has_visible_character, is_default_ignorable

# What issue 14 names, and their kin: each draws nothing.
INVISIBLE = [
    " ", "\t", "\n", "\u00a0", "\u2003", "\u3000",  # spaces
    "\u3164", "\u115f", "\u1160", "\uffa0",  # Hangul fillers (letters by category)
    "\u2800",  # braille pattern blank (a symbol by category)
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e",  # zero-width and format characters
    "\u034f", "\ufe0f", "\U000e0041",  # grapheme joiner, variation selector, tag
    "\u0301",  # a combining mark with nothing to sit on
]
invisible_text = st.lists(st.sampled_from(INVISIBLE), max_size=30).map("".join)
# Characters that certainly draw something: Latin and Greek letters, digits, CJK ideographs, punctuation, emoji.
visible_char = st.one_of(
    st.characters(categories=["Lu", "Ll", "Nd", "Po"]),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x1F600, max_codepoint=0x1F64F),
)


@pytest.mark.parametrize("text", ["", *INVISIBLE, "\u3164\u3164\u3164", " \u2800 \u200b ", "\u115f\u1160\uffa0"])
def test_the_invisible_strings_the_issue_names_show_nothing(text):
    assert not has_visible_character(text)


@pytest.mark.parametrize("text", ["Bike repair", "修自行车", "5", "?", "🚲", "e\u0301", "\u3164x"])
def test_ordinary_text_shows_something(text):
    assert has_visible_character(text)


@given(invisible_text)
def test_any_mix_of_invisible_characters_shows_nothing(text):
    assert not has_visible_character(text)


@given(invisible_text, visible_char, invisible_text)
def test_one_visible_character_anywhere_among_invisible_ones_is_enough(before, char, after):
    assert has_visible_character(before + char + after)


@given(st.text(max_size=40), invisible_text)
def test_adding_invisible_characters_never_changes_the_answer(text, padding):
    assert has_visible_character(text) == has_visible_character(padding + text + padding)


def test_the_ignorable_ranges_are_unicodes():
    regex = pytest.importorskip("regex")  # a test-only oracle: \p{Default_Ignorable_Code_Point}
    ignorable = regex.compile(r"\p{Default_Ignorable_Code_Point}")
    assert DEFAULT_IGNORABLE
    assert [hex(c) for c in range(0x110000) if bool(ignorable.match(chr(c))) != is_default_ignorable(chr(c))] == []


@pytest.mark.parametrize("claimed", ["\u3164", "\u2800\u2800", "\u200b"])
def test_an_invisible_name_from_the_sign_in_token_is_not_used_as_the_display_name(claimed):
    assert default_display_name("0f3a9c21-aaaa-bbbb", claimed) == "User 0f3a9c"
