"""Write the escrow workflow's definition, generated from the code, to chalicelib/workflows/escrow.asl.json.

    python -m scripts.escrow_asl           # rewrite the file
    python -m scripts.escrow_asl --check   # exit 1 if the file differs from what the code generates

The builder is chalicelib/workflows/escrow_definition.py; it takes its key formats and the ledger's entry shape
from chalicelib/store/. The committed file is what infra/template.yaml deploys (scripts/provision.py inlines it).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "chalicelib" / "workflows" / "escrow.asl.json"
REGENERATE = "python -m scripts.escrow_asl"


def render() -> str:
    """The definition as committed: pretty-printed in the builder's order, one trailing newline."""
    from chalicelib.workflows import escrow_definition

    return json.dumps(escrow_definition.definition(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the file is out of date")
    args = parser.parse_args(argv)

    text = render()
    current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else None
    name = DOCUMENT.relative_to(ROOT)
    if args.check:
        if current != text:
            print(f"{name} is out of date: run `{REGENERATE}` (or `make escrow-asl`) and commit it", file=sys.stderr)
            return 1
        print(f"{name} is up to date")
        return 0
    if current != text:
        DOCUMENT.write_text(text, encoding="utf-8")
        print(f"wrote {name}")
    else:
        print(f"{name} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
