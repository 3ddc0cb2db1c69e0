"""`make lint`: cfn-lint on the infra template and on a stage's packaged app; exit 1 on errors or warnings.

    python -m scripts.lint_templates --stage prod

The tests lint the same templates (tests/integration/test_packaging.py).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from scripts.infra_stack import render_infra
from scripts.stage_config import region_or_default


def lint(paths: list[Path]) -> list[str]:
    """cfn-lint's errors and warnings for the templates, in the session's region."""
    from cfnlint.api import ManualArgs, lint_file

    region = region_or_default()
    problems = []
    for path in paths:
        for match in lint_file(path, config=ManualArgs(regions=[region])):
            if match.rule.id[0] in "EW":
                problems.append(f"{path}:{match.linenumber}: {match.rule.id} {match.message}")
    return problems


def report(paths: list[Path]) -> int:
    """Print the problems and a summary; the exit code: 1 if there is any problem."""
    problems = lint(paths)
    for problem in problems:
        print(problem)
    print(f"cfn-lint: {len(problems)} error(s) and warning(s) in {', '.join(map(str, paths))}")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    from scripts.package import package

    parser = argparse.ArgumentParser(prog="python -m scripts.lint_templates", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json, e.g. dev or prod")
    stage = parser.parse_args(argv).stage
    with tempfile.TemporaryDirectory() as scratch:
        infra = render_infra(Path(scratch) / "infra.yaml")
        return report([infra, package(stage, Path(scratch) / "package")])


if __name__ == "__main__":
    sys.exit(main())
