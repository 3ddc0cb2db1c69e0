"""Moving a deployed stage to new search indexes: one index created or deleted per stack update."""
from __future__ import annotations

import itertools
import json

import pytest

from scripts import migrate_search, provision

TARGET = provision.load(provision.packaged_template())
NEW = migrate_search._indexes(TARGET)
OLD = [
    {"IndexName": name,
     "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}, {"AttributeName": "gh", "KeyType": "RANGE"}],
     "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["la", "lo", "pv"]}}
    for name, key in (("geo5", "g5"), ("geo5_cat", "g5c"), ("geo4", "g4"), ("geo4_cat", "g4c"))
] + [index for index in NEW if index["IndexName"] == "by_provider"]


def names(indexes):
    return {index["IndexName"] for index in indexes}


def test_adding_creates_the_new_indexes_one_per_step_and_keeps_the_old():
    planned = migrate_search.steps(OLD, NEW, "add")
    assert len(planned) == len(names(NEW) - names(OLD))
    previous = names(OLD)
    for indexes in planned:
        assert len(names(indexes) - previous) == 1 and previous <= names(indexes)
        previous = names(indexes)
    assert previous == names(OLD) | names(NEW)


def test_dropping_deletes_the_old_indexes_one_per_step_and_ends_at_the_template():
    everything = migrate_search.steps(OLD, NEW, "add")[-1]
    planned = migrate_search.steps(everything, NEW, "drop")
    assert len(planned) == 4
    assert all(len(names(a) - names(b)) == 1 for a, b in itertools.pairwise([everything, *planned]))
    assert names(planned[-1]) == names(NEW)


def test_a_step_defines_exactly_the_key_attributes_its_indexes_use():
    everything = migrate_search.steps(OLD, NEW, "add")[-1]
    table = migrate_search.with_indexes(TARGET, everything)["Resources"]["ListingsTable"]["Properties"]
    defined = {d["AttributeName"] for d in table["AttributeDefinitions"]}
    assert defined == {"id", "gh", "g5", "g5c", "g4", "g4c", "v3", "v3c", "o4", "o4c", "provider_active", "provider_sk"}
    json.dumps(table)  # deployable as a JSON template


def test_when_the_stage_already_has_the_template_indexes_there_is_nothing_to_do():
    assert migrate_search.steps(NEW, NEW, "add") == [] and migrate_search.steps(NEW, NEW, "drop") == []


BEFORE_REPUTATION = {"vip3r": "vip3", "vip3r_cat": "vip3_cat", "vtext3r": "vtext3", "pins4r": "pins4",
                     "pins4r_cat": "pins4_cat", "text4r": "text4"}


def _before_reputation(index):
    """A search index as it was before pins carried the provider's reputation: its old name, no rs/rc."""
    if index["IndexName"] not in BEFORE_REPUTATION:
        return index
    kept = [name for name in index["Projection"]["NonKeyAttributes"] if name not in ("rs", "rc")]
    return {**index, "IndexName": BEFORE_REPUTATION[index["IndexName"]],
            "Projection": {**index["Projection"], "NonKeyAttributes": kept}}


def test_the_move_to_pins_with_reputation_adds_six_indexes_then_drops_the_six_old():
    before = [_before_reputation(index) for index in NEW]
    added = migrate_search.steps(before, NEW, "add")
    assert len(added) == 6 and names(added[-1]) == names(before) | names(NEW)
    dropped = migrate_search.steps(added[-1], NEW, "drop")
    assert len(dropped) == 6 and names(dropped[-1]) == names(NEW)


def test_a_search_index_keeping_its_name_with_the_new_projection_is_refused():
    renamed_back = [{**index, "IndexName": BEFORE_REPUTATION.get(index["IndexName"], index["IndexName"])}
                    for index in NEW]
    before = [_before_reputation(index) for index in NEW]
    with pytest.raises(SystemExit, match="give the new one a new name"):
        migrate_search.steps(before, renamed_back, "add")
