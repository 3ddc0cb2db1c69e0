"""Rules for free text written by users (titles, descriptions, names, messages)."""
from __future__ import annotations

import unicodedata

ALLOWED_CONTROLS = {"\n", "\t"}
# Zero-width (non-)joiners are format characters, but emoji sequences and some scripts need them.
JOINERS = {"\u200c", "\u200d"}


def has_control_characters(text: str, allow_newlines: bool = False) -> bool:
    """True if the text holds control or format characters (newlines and tabs allowed when asked, joiners always)."""
    for char in text:
        if (allow_newlines and char in ALLOWED_CONTROLS) or char in JOINERS:
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Cs"):
            return True
    return False


def matches_keyword(keyword: str, *texts: str) -> bool:
    """Case-insensitive substring match of the keyword in any of the texts."""
    needle = keyword.casefold()
    return any(needle in text.casefold() for text in texts)


def keyword_text(title: str, description: str) -> str:
    """What a keyword is matched against, kept in the keyword index: both texts casefolded, one per line.

    A keyword has no line break (the API refuses control characters in it), so a match never spans both.
    """
    return f"{title.casefold()}\n{description.casefold()}"
