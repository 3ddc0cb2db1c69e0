"""PynamoDB models: the only place that knows the tables' key layouts.

Listings table — one item per listing, keyed by `id` (the listing id). While a listing is active it also
carries the partition attributes of five sparse global secondary indexes (paused and deleted listings
drop them, so they can never be found):

| index        | partition key                  | sort key                  | used by                      |
|--------------|--------------------------------|---------------------------|------------------------------|
| geo5         | `g5`  = geohash[:5]            | `gh` = geohash (12 chars) | search, radius <= a few km   |
| geo5_cat     | `g5c` = category#geohash[:5]   | `gh`                      | search with a category       |
| geo4         | `g4`  = geohash[:4]            | `gh`                      | search, large radius         |
| geo4_cat     | `g4c` = category#geohash[:4]   | `gh`                      | search with a category       |
| by_provider  | `provider_active`=provider_id  | `provider_sk`=created#id  | a user's active listings     |

Why: a Query reads one partition key, and what it reads it pays for, filtered or not. Putting the
category in the key means a category search reads only that category. The full 12-character geohash is
the sort key (a GSI's keys need not be unique), so any geohash cell (down to ~4 cm) is one contiguous
`BETWEEN` range: the search covers the circle with cells and reads ranges, not whole partitions (see
chalicelib/domain/geo.py). Two partition sizes (geohash-5 cells are ~4.9 x 4.2 km at Shanghai, geohash-4
~39 x 20 km) keep small searches spread over many keys (hot spots) while a 10-20 km search still needs
only a few Queries.

Read cost is item size, so the geo index entries are kept small: they project only the position and the
privileged flag, the attributes they carry are stored under short names (`id`, `gh`, `la`, `lo`, `pv`),
and listing ids are 26-character ULIDs — an entry is ~75 bytes, about a ninth of a full listing.
bench/ measures what that buys.
"""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

GEO_PROJECTION = ["la", "lo", "pv"]  # stored names of lat, lon, privileged


def _geo_index(index_name: str, partition_attribute: str) -> GlobalSecondaryIndex["ListingModel"]:
    """A thin geo index: `partition_attribute` (a geohash prefix, maybe behind the category) + `geohash`."""
    meta = type("Meta", (), {"index_name": index_name, "projection": IncludeProjection(GEO_PROJECTION)})
    attributes = {
        "Meta": meta,
        partition_attribute: UnicodeAttribute(hash_key=True),
        "geohash": UnicodeAttribute(range_key=True, attr_name="gh"),
    }
    return type(f"GeoIndex_{index_name}", (GlobalSecondaryIndex,), attributes)()


class ProviderIndex(GlobalSecondaryIndex["ListingModel"]):
    class Meta:
        index_name = "by_provider"
        projection = AllProjection()

    provider_active = UnicodeAttribute(hash_key=True)
    provider_sk = UnicodeAttribute(range_key=True)


class ListingModel(Model):
    class Meta:
        table_name = "listings"  # bound to the stage's table by chalicelib.store.tables.bind

    listing_id = UnicodeAttribute(hash_key=True, attr_name="id")
    provider_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    category = UnicodeAttribute()
    price_cents = NumberAttribute()
    currency = UnicodeAttribute()
    lat = NumberAttribute(attr_name="la")
    lon = NumberAttribute(attr_name="lo")
    geohash = UnicodeAttribute(attr_name="gh")
    status = UnicodeAttribute()
    privileged = BooleanAttribute(default=False, attr_name="pv")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()

    g5 = UnicodeAttribute(null=True)
    g5c = UnicodeAttribute(null=True)
    g4 = UnicodeAttribute(null=True)
    g4c = UnicodeAttribute(null=True)
    provider_active = UnicodeAttribute(null=True)
    provider_sk = UnicodeAttribute(null=True)

    geo5 = _geo_index("geo5", "g5")
    geo5_cat = _geo_index("geo5_cat", "g5c")
    geo4 = _geo_index("geo4", "g4")
    geo4_cat = _geo_index("geo4_cat", "g4c")
    by_provider = ProviderIndex()


class ProfileModel(Model):
    class Meta:
        table_name = "profiles"

    user_id = UnicodeAttribute(hash_key=True)
    display_name = UnicodeAttribute()
    bio = UnicodeAttribute(default="")
    privileged = BooleanAttribute(default=False)
    provider_since = UnicodeAttribute(null=True)
    rating_sum = NumberAttribute(default=0)
    rating_count = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class CounterModel(Model):
    """A named counter in the system table (e.g. how many privileged providers exist), updated atomically."""

    class Meta:
        table_name = "system"

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)


class KeyModel(Model):
    """A named key generated once per stage and kept in the system table (e.g. the cursor HMAC key)."""

    class Meta:
        table_name = "system"

    name = UnicodeAttribute(hash_key=True)
    secret = UnicodeAttribute()
