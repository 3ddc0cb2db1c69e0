"""`make status`: the running local stack's banner again (URLs, demo accounts, where the coordinates are)."""
from __future__ import annotations

import sys

from scripts import local_state


def main() -> int:
    print(local_state.banner(local_state.running()).strip("\n").removesuffix("Ctrl-C stops everything.").rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
