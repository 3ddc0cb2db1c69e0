"""Write the API's OpenAPI 3.1 document, generated from the code, to docs/openapi.json.

    python -m scripts.openapi           # rewrite docs/openapi.json
    python -m scripts.openapi --check   # exit 1 if docs/openapi.json differs from what the code generates

The committed copy is what reviewers diff and what the contract fuzzer (tests/e2e/test_contract_fuzz.py)
runs against; the app serves the same document at GET /openapi.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"
REGENERATE = "python -m scripts.openapi"


def render() -> str:
    """The document as committed: pretty-printed, keys sorted, one trailing newline."""
    import app  # noqa: F401  (registers every blueprint, so the route table is complete)
    from chalicelib.api import openapi

    return json.dumps(openapi.build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the file is out of date")
    args = parser.parse_args(argv)

    text = render()
    current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else None
    if args.check:
        if current != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is out of date: run `{REGENERATE}`", file=sys.stderr)
            return 1
        print(f"{DOCUMENT.relative_to(ROOT)} is up to date")
        return 0
    if current != text:
        DOCUMENT.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    else:
        print(f"{DOCUMENT.relative_to(ROOT)} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
