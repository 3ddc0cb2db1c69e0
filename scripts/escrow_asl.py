"""Write the escrow workflow's definition, generated from the code, to chalicelib/workflows/escrow.asl.json.

    python -m scripts.escrow_asl           # rewrite the file
    python -m scripts.escrow_asl --check   # exit 1 if the file differs from what the code generates

The builder is chalicelib/workflows/escrow_definition.py; it takes its key formats and the ledger's entry shape
from chalicelib/store/. The committed file is what infra/template.yaml deploys (scripts/provision.py inlines it).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from scripts import generated_document

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "chalicelib" / "workflows" / "escrow.asl.json"
REGENERATE = "python -m scripts.escrow_asl"


def render() -> str:
    """The definition as committed: pretty-printed in the builder's order, one trailing newline."""
    from chalicelib.workflows import escrow_definition

    return json.dumps(escrow_definition.definition(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    return generated_document.main(argv, __doc__, DOCUMENT, ROOT, render, REGENERATE)

if __name__ == "__main__":
    sys.exit(main())
