"""Writing a benchmark's figures into a document that several benchmarks share, each its own `## ` section."""
from __future__ import annotations

import re
from pathlib import Path


def replace_section(doc: Path, heading: str, section: str, title: str) -> None:
    """Write `section` (starting with its `## ` heading) into `doc` in place of the section of that heading, up to
    the next `## `, leaving the others; a new section goes at the end (a new document starts with `title`)."""
    text = doc.read_text() if doc.exists() else f"{title}\n\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    doc.write_text(text)
