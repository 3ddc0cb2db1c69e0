"""The committed OpenAPI document (docs/openapi.json) is exactly what the code generates, and covers every route."""
from __future__ import annotations

import json

from app import app
from scripts import openapi as generator

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def committed() -> dict:
    return json.loads(generator.DOCUMENT.read_text(encoding="utf-8"))


def test_the_committed_document_is_what_the_code_generates():
    assert generator.DOCUMENT.exists(), f"docs/openapi.json is missing: run `{generator.REGENERATE}`"
    assert generator.DOCUMENT.read_text(encoding="utf-8") == generator.render(), (
        f"docs/openapi.json no longer matches the routes and models: run `{generator.REGENERATE}` and commit it"
    )


def test_every_route_of_the_app_is_in_the_committed_document_and_nothing_else():
    routes = {(method.lower(), path) for path, methods in app.routes.items() for method in methods}
    documented = {
        (method, path) for path, item in committed()["paths"].items() for method in item if method in METHODS
    }
    assert routes - documented == set(), "routes the document does not describe"
    assert documented - routes == set(), "documented operations the app does not serve"


def test_every_documented_error_has_the_code_and_message_shape_and_a_401_also_the_gateways():
    error = {"$ref": "#/components/schemas/ErrorOut"}
    unauthorized = {"anyOf": [error, {"$ref": "#/components/schemas/GatewayErrorOut"}]}
    document = committed()
    assert document["components"]["schemas"]["ErrorOut"]["required"] == ["Code", "Message"]
    for path, item in document["paths"].items():
        for method, entry in item.items():
            for status, response in entry["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == (unauthorized if status == "401" else error), (method, path, status)


def test_an_operation_on_a_path_id_documents_404_for_an_id_that_names_nothing():
    for path, item in committed()["paths"].items():
        for method, entry in item.items():
            if "{" in path:
                assert "404" in entry["responses"], (method, path)
