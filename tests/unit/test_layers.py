"""The arrows between chalicelib's layers point one way: api → services → domain and store.

A module may import only the layers listed for its own; the domain imports no AWS library. Read from the
source (no imports run), so a wrong arrow fails here before anything else.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

CHALICELIB = Path(__file__).parents[2] / "chalicelib"
SHARED = {"settings", "observability"}  # top-level modules every layer below api may use

ALLOWED: dict[str, set[str]] = {
    "api": {"api", "services", "domain"} | SHARED,
    "services": {"services", "domain", "store", "workflows", "metrics"} | SHARED,
    "jobs": {"services", "domain"} | SHARED,
    "workflows": {"workflows", "domain", "aws_clients"} | SHARED,
    "store": {"store", "domain", "aws_clients"} | SHARED,
    "domain": {"domain"},
    "settings": {"domain"},
    "observability": set(),
    "metrics": {"settings", "aws_clients"},  # CloudWatch metrics the services publish (the escrow sweep's counts)
    "aws_clients": {"settings"},  # boto3 clients of the services besides DynamoDB, for the store and workflows
}
# The few arrows that skip a layer, each for a reason written here.
EXCEPTIONS = {
    # Idempotency is an edge concern: the run-once records hold HTTP statuses and bodies.
    ("api/idempotency.py", "store.idempotency"),
    # The escrow workflow's builder takes its key formats and the ledger's entry shape from the store.
    ("workflows/escrow_definition.py", "store.entry_shape"),
    ("workflows/escrow_definition.py", "store.key_layouts"),
}
AWS_LIBRARIES = {"boto3", "botocore", "pynamodb", "chalice", "moto"}


def layer_of(path: Path) -> str:
    relative = path.relative_to(CHALICELIB)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imports_of(path: Path) -> set[str]:
    """Every module the file imports, absolute and dotted (`chalicelib.` prefix removed for our own)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "chalicelib":
                found |= {alias.name for alias in node.names}
            else:
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name.removeprefix("chalicelib.") for name in found}


MODULES = sorted(path for path in CHALICELIB.rglob("*.py") if path.name != "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(CHALICELIB)))
def test_a_module_imports_only_the_layers_below_it(path):
    layer = layer_of(path)
    ours = {name for name in imports_of(path) if name.split(".")[0] in ALLOWED}
    name = str(path.relative_to(CHALICELIB))
    wrong = {
        imported
        for imported in ours
        if imported.split(".")[0] not in ALLOWED[layer] and (name, ".".join(imported.split(".")[:2])) not in EXCEPTIONS
    }
    assert not wrong, f"{name} ({layer}) may not import {sorted(wrong)}"


@pytest.mark.parametrize("path", [p for p in MODULES if layer_of(p) == "domain"], ids=lambda p: p.name)
def test_the_domain_imports_no_aws_library(path):
    assert not {name.split(".")[0] for name in imports_of(path)} & AWS_LIBRARIES


def test_the_check_sees_a_wrong_arrow(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("from chalicelib.services import orders\nfrom chalicelib.domain import ledger\n")
    assert imports_of(wrong) == {"services.orders", "domain.ledger"}
    assert "services" not in ALLOWED["domain"]
