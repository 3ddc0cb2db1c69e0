"""Who is calling: the verified token's subject and groups."""
from __future__ import annotations

from dataclasses import dataclass

OPERATORS_GROUP = "operators"


@dataclass(frozen=True)
class Caller:
    user_id: str
    groups: frozenset[str] = frozenset()
    name: str | None = None

    @property
    def is_operator(self) -> bool:
        return OPERATORS_GROUP in self.groups
