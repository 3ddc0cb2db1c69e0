"""The service categories a listing can be filed under. The id is part of search keys: never rename one."""
from __future__ import annotations

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
