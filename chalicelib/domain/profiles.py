"""A user's profile. Privileged status is granted once, at the first published listing, and kept for good."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.reputation import rating_score as bayesian_score
from chalicelib.domain.text import has_control_characters, has_visible_character

DISPLAY_NAME_MAX = 60


@dataclass(frozen=True)
class Profile:
    user_id: str
    display_name: str
    bio: str
    privileged: bool
    provider_since: str | None
    rating_sum: int
    rating_count: int
    created_at: str
    updated_at: str

    @property
    def rating_avg(self) -> float | None:
        if not self.rating_count:
            return None
        return round(self.rating_sum / self.rating_count, 2)

    @property
    def rating_score(self) -> float | None:
        """The score shown and ranked by (domain/reputation.py): a few reviews cannot push it to the top."""
        return bayesian_score(self.rating_sum, self.rating_count)

    @property
    def is_provider(self) -> bool:
        return self.provider_since is not None


def default_display_name(user_id: str, claimed_name: str | None) -> str:
    """A name to show before the user picks one: the token's name if it obeys the display-name rules
    (users can write their own Cognito `name`), else a neutral handle."""
    name = (claimed_name or "").strip()
    if len(name) <= DISPLAY_NAME_MAX and has_visible_character(name) and not has_control_characters(name):
        return name
    return f"User {user_id.replace('-', '')[:6]}"
