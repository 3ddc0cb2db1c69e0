"""The service categories a listing can be filed under. The id is part of search keys: never rename one."""
from __future__ import annotations

from chalicelib.domain.errors import InvalidInput

CATEGORIES: dict[str, str] = {
    "repair": "Repair",
    "education": "Education",
    "delivery": "Delivery",
    "cleaning": "Cleaning",
    "errands": "Errands",
    "tech": "Tech",
    "beauty": "Beauty",
    "fitness": "Fitness",
    "photography": "Photography",
    "other": "Other",
}


def is_category(category_id: str) -> bool:
    return category_id in CATEGORIES


def check_category(category_id: str) -> None:
    """InvalidInput unless the id is one of CATEGORIES."""
    if not is_category(category_id):
        raise InvalidInput(f"category: unknown category {category_id!r}; see GET /categories")
