"""A user's reputation changed (a review about them was published): what follows from it."""
from __future__ import annotations


def reputation_changed(user_id: str) -> None:
    """Called after each publish for each reviewed user. A stub here: the reputation branch fills it (it refreshes
    the provider's search pins) and replaces this module at merge."""
    return None
