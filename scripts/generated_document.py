"""Committed documents generated from the code (docs/openapi.json, the escrow ASL): write one, or check it.

`--check` compares only, and exits 1 with the command that regenerates the file if it is stale; a unit test
of each document does the same, so a stale one fails `make test`.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def main(argv: list[str] | None, description: str | None, document: Path, root: Path,
         render: Callable[[], str], regenerate: str) -> int:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the file is out of date")
    args = parser.parse_args(argv)

    text = render()
    current = document.read_text(encoding="utf-8") if document.exists() else None
    name = document.relative_to(root)
    if args.check:
        if current != text:
            print(f"{name} is out of date: run `{regenerate}` and commit it", file=sys.stderr)
            return 1
        print(f"{name} is up to date")
        return 0
    if current != text:
        document.write_text(text, encoding="utf-8")
        print(f"wrote {name}")
    else:
        print(f"{name} unchanged")
    return 0
