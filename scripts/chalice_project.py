"""Running Chalice for a stage: a build copy of the project with the stage's infra in its config, and the CLI.

`chalice deploy` runs from out/<stage>/deploy/, a copy whose .chalice/config.json is the project's with the
infra stack's outputs added to the stage's environment variables, so nothing account-specific is written into
the repository. Chalice's record of what it deployed stays in out/<stage>/deploy/.chalice/deployed/ across
rebuilds: the next deploy and `chalice delete` need it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from scripts.stage_config import OUT, ROOT, chalice_config, token_queue_name

APP_FILES = ("app.py", "chalicelib", "requirements.txt", "vendor")  # what Chalice deploys from a project
CHALICE_STATE = ("deployed", "deployments")  # Chalice's own records and caches, kept across builds


def build_dir(stage: str) -> Path:
    return OUT / stage / "deploy"


def build_project(stage: str, environment: dict[str, str], target: Path | None = None) -> Path:
    """A copy of the project for `chalice deploy --stage <stage>`: the app, .chalice's policy files, and a
    config.json whose stage environment is the project's plus `environment`. Chalice's deployed records in
    the target survive the rebuild."""
    target = target or build_dir(stage)
    config = chalice_config(stage)
    stage_config = config["stages"][stage]
    stage_config["environment_variables"] = {**stage_config.get("environment_variables", {}), **environment}
    target.mkdir(parents=True, exist_ok=True)
    for name in APP_FILES:
        remove(target / name)
        if (ROOT / name).exists():
            _copy(ROOT / name, target / name)
    chalice_dir = target / ".chalice"
    chalice_dir.mkdir(exist_ok=True)
    for entry in chalice_dir.iterdir():
        if entry.name not in CHALICE_STATE:
            remove(entry)
    for entry in (ROOT / ".chalice").iterdir():
        if entry.name not in (*CHALICE_STATE, "config.json", "venv"):
            _copy(entry, chalice_dir / entry.name)
    (chalice_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return target


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        shutil.copy2(source, target)


def remove(path: Path) -> None:
    """Delete a file or a directory tree, if it is there."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def chalice(project: Path, stage: str, *arguments: str, environment: dict[str, str] | None = None) -> None:
    """Run chalice from this interpreter's environment. ESCROW_TOKEN_QUEUE names the stage's token queue for the
    `escrow_tokens` event source (chalicelib/jobs/escrow_tokens.py reads it when the app is loaded)."""
    executable = Path(sys.executable).parent / "chalice"
    variables = {**os.environ, "ESCROW_TOKEN_QUEUE": token_queue_name(stage), **(environment or {})}
    subprocess.run([str(executable), "--project-dir", str(project), *arguments], env=variables, check=True)


def deployed_record(project: Path, stage: str) -> Path:
    """Chalice's record of what it deployed for the stage from this build copy."""
    return project / ".chalice" / "deployed" / f"{stage}.json"


def deployed_rest_api(project: Path, stage: str) -> str:
    """The id of the REST API chalice deployed for the stage (from its record in the build copy)."""
    record = json.loads(deployed_record(project, stage).read_text())
    return str(next(r["rest_api_id"] for r in record["resources"] if r["resource_type"] == "rest_api"))
