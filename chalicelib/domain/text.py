"""Rules for free text written by users (titles, descriptions, names, messages)."""
from __future__ import annotations

import unicodedata

ALLOWED_CONTROLS = {"\n", "\t"}
# Zero-width (non-)joiners are format characters, but emoji sequences and some scripts need them.
JOINERS = {"\u200c", "\u200d"}

# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt, 15.1): characters a renderer shows as
# nothing. Some are letters by category (U+3164 HANGUL FILLER, U+115F/U+1160, U+FFA0), so the category alone
# would let a name made only of them through.
DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
# Not ignorable by Unicode's list, yet drawn as a blank glyph.
BLANK_GLYPHS = frozenset({"\u2800", "\U0001d159"})  # BRAILLE PATTERN BLANK, MUSICAL SYMBOL NULL NOTEHEAD
# Letters, numbers, punctuation and symbols draw something; separators (spaces), controls, format characters,
# unassigned and private-use code points, and marks with nothing to sit on do not.
_DRAWN_CATEGORIES = frozenset("LNPS")


def has_control_characters(text: str, allow_newlines: bool = False) -> bool:
    """True if the text holds control or format characters (newlines and tabs allowed when asked, joiners always)."""
    for char in text:
        if (allow_newlines and char in ALLOWED_CONTROLS) or char in JOINERS:
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Cs"):
            return True
    return False


def is_default_ignorable(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in DEFAULT_IGNORABLE)


def is_visible(char: str) -> bool:
    """True if the character draws something a reader can see."""
    return (
        unicodedata.category(char)[0] in _DRAWN_CATEGORIES
        and char not in BLANK_GLYPHS
        and not is_default_ignorable(char)
    )


def has_visible_character(text: str) -> bool:
    """True if the text shows at least one character: not only spaces, fillers, blanks or zero-width characters."""
    return any(is_visible(char) for char in text)


def matches_keyword(keyword: str, *texts: str) -> bool:
    """Case-insensitive substring match of the keyword in any of the texts."""
    needle = keyword.casefold()
    return any(needle in text.casefold() for text in texts)


def keyword_text(title: str, description: str) -> str:
    """What a keyword is matched against, kept in the keyword index: both texts casefolded, one per line.

    A keyword has no line break (the API refuses control characters in it), so a match never spans both.
    """
    return f"{title.casefold()}\n{description.casefold()}"
