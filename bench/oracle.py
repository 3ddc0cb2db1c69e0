"""Brute force: every listing's distance, the correctness oracle of the searches (recall is measured against it).

numpy narrows to a 1 m margin; the exact haversine the search uses decides. A keyword matches as the search
matches it: a substring of the casefolded title or description (`keyword_text`).
"""
from __future__ import annotations

import math

import numpy as np

from bench.dataset import Search
from chalicelib.domain import geo
from chalicelib.domain.listings import Listing
from chalicelib.domain.text import keyword_text


class BruteForce:
    def __init__(self, listings: list[Listing]) -> None:
        self.listings = listings
        self.lat = np.radians(np.array([x.lat for x in listings]))
        self.lon = np.radians(np.array([x.lon for x in listings]))
        self.category = np.array([x.category for x in listings])
        self.text = [keyword_text(x.title, x.description) for x in listings]

    def found(self, search: Search) -> set[str]:
        """The ids of every listing the search must return, over all its pages."""
        lat0, lon0 = math.radians(search.lat), math.radians(search.lon)
        a = np.sin((self.lat - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(self.lat) * np.sin((self.lon - lon0) / 2) ** 2
        near = 2 * geo.EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, a))) <= search.radius_m + 1.0
        if search.category is not None:
            near &= self.category == search.category
        needle = search.q.casefold() if search.q else None
        return {
            self.listings[i].listing_id for i in np.flatnonzero(near)
            if geo.haversine_m(search.lat, search.lon, self.listings[i].lat, self.listings[i].lon) <= search.radius_m
            and (needle is None or needle in self.text[i])
        }
