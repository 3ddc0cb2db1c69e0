"""The tables in infra/template.yaml are the tables the PynamoDB models expect (keys, indexes, projections)."""
from __future__ import annotations

import pytest

from chalicelib.store import models
from scripts import provision

RESOURCES = provision.template()["Resources"]


def _sorted(items):
    return sorted(items, key=lambda item: sorted(item.items()) if isinstance(item, dict) else item)


# Which table of infra/template.yaml each model lives in.
TABLES = [
    ("ListingsTable", models.ListingModel), ("ProfilesTable", models.ProfileModel),
    ("SystemTable", models.CounterModel), ("SystemTable", models.KeyModel), ("SystemTable", models.RateCounterModel),
    ("ChatTable", models.ConversationMemberModel), ("ChatTable", models.MessageModel),
    ("ChatTable", models.ConversationPairModel), ("OrdersTable", models.OrderModel),
    ("IdempotencyTable", models.IdempotencyModel), ("LedgerTable", models.BalanceModel),
    ("LedgerTable", models.LineModel), ("LedgerTable", models.EntryModel),
    ("SystemTable", models.SuspensionModel), ("ReportsTable", models.ReportModel),
    ("ReviewsTable", models.ReviewModel),
]


@pytest.mark.parametrize("resource, model", TABLES)
def test_the_template_declares_the_keys_and_indexes_the_model_uses(resource, model):
    declared = RESOURCES[resource]["Properties"]
    schema = model._get_schema()
    assert declared["KeySchema"] == schema["key_schema"]
    declared_indexes = {i["IndexName"]: i for i in declared.get("GlobalSecondaryIndexes", [])}
    model_indexes = {i["index_name"]: i for i in schema.get("global_secondary_indexes", [])}
    assert set(declared_indexes) == set(model_indexes)
    for name, index in model_indexes.items():
        assert _sorted(declared_indexes[name]["KeySchema"]) == _sorted(index["key_schema"])
        projection = declared_indexes[name]["Projection"]
        assert projection["ProjectionType"] == index["projection"]["ProjectionType"]
        assert sorted(projection.get("NonKeyAttributes", [])) == sorted(index["projection"].get("NonKeyAttributes", []))
    declared_local = {i["IndexName"]: i for i in declared.get("LocalSecondaryIndexes", [])}
    model_local = {i["index_name"]: i for i in schema.get("local_secondary_indexes", [])}
    if model_local:
        assert set(declared_local) == set(model_local)
    for name, index in model_local.items():
        assert _sorted(declared_local[name]["KeySchema"]) == _sorted(index["key_schema"])
        assert declared_local[name]["Projection"]["ProjectionType"] == index["projection"]["ProjectionType"]
    declared_types = {a["AttributeName"]: a["AttributeType"] for a in declared["AttributeDefinitions"]}
    for definition in schema["attribute_definitions"]:
        assert declared_types[definition["AttributeName"]] == definition["AttributeType"]


@pytest.mark.parametrize(
    "resource, model", [("SystemTable", models.RateCounterModel), ("IdempotencyTable", models.IdempotencyModel)]
)
def test_tables_holding_expiring_items_have_ttl_on_the_models_expiry_attribute(resource, model):
    ttl = RESOURCES[resource]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": model.expires_at.attr_name, "Enabled": True}
