"""Running Chalice for a stage: a build copy of the project with the stage's infra in its config, and the CLI.

`chalice deploy` runs from out/<stage>/deploy/, a copy whose .chalice/config.json is the project's with the
infra stack's outputs added to the stage's environment variables, so nothing account-specific is written into
the repository. Chalice's record of what it deployed stays in out/<stage>/deploy/.chalice/deployed/ across
rebuilds: the next deploy and `chalice delete` need it. `deploy` binds the policies to the WebSocket API that
record names, deploying twice when the API is new.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from scripts.stage_config import OUT, ROOT, WEBSOCKET_API_PLACEHOLDER, chalice_config, token_queue_name

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


def _deployed(project: Path, stage: str, resource_type: str) -> dict[str, Any] | None:
    """The resource of that type in chalice's record of the stage, if there is a record and it holds one."""
    path = deployed_record(project, stage)
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    return next((r for r in record["resources"] if r["resource_type"] == resource_type), None)


def deployed_rest_api(project: Path, stage: str) -> str:
    """The id of the REST API chalice deployed for the stage (from its record in the build copy)."""
    rest_api = _deployed(project, stage, "rest_api")
    if rest_api is None:
        raise SystemExit(f"chalice recorded no REST API in {deployed_record(project, stage)}")
    return str(rest_api["rest_api_id"])


def deployed_websocket_api(project: Path, stage: str) -> str | None:
    """The id of the WebSocket API chalice deployed for the stage, None before its first deploy."""
    websocket_api = _deployed(project, stage, "websocket_api")
    return str(websocket_api["websocket_api_id"]) if websocket_api is not None else None


def bind_websocket_policies(project: Path, api_id: str, source: Path | None = None) -> list[str]:
    """Write each policy file of the build copy that names the WebSocket API again from the project's own
    (`source`), with WEBSOCKET_API_ID replaced by `api_id`; returns the files' names. From the project's files, so
    binding to another API (chalice made a new one) replaces the old id too."""
    source = source or ROOT / ".chalice"
    bound = []
    for policy in sorted(source.glob("policy-*.json")):
        text = policy.read_text()
        if WEBSOCKET_API_PLACEHOLDER in text:
            (project / ".chalice" / policy.name).write_text(text.replace(WEBSOCKET_API_PLACEHOLDER, api_id))
            bound.append(policy.name)
    return bound


def deploy(project: Path, stage: str, environment: dict[str, str]) -> str:
    """`chalice deploy` the build copy (`environment`: chalice's own, e.g. the streams to subscribe to); returns the
    WebSocket API's id.

    Why twice on a first deploy: the policies must name the stage's WebSocket API (execute-api:ManageConnections
    on that API only), but chalice writes policy files verbatim and creates the API in the same deploy as the
    roles, so its id exists only afterwards. The first deploy gives the roles the committed placeholder (which
    grants nothing on any API); the id chalice then records is written into the build copy's policy files and
    chalice deploys again, which only updates the roles' policies. Later deploys bind the recorded id first and
    deploy once, unless chalice had to make a new API (the recorded one was deleted): then twice again."""
    recorded = deployed_websocket_api(project, stage)
    if recorded is not None:
        bind_websocket_policies(project, recorded)
    chalice(project, stage, "deploy", "--stage", stage, environment=environment)
    deployed = deployed_websocket_api(project, stage)
    if deployed is None:
        raise SystemExit(f"chalice recorded no WebSocket API in {deployed_record(project, stage)}")
    if deployed != recorded:
        names = bind_websocket_policies(project, deployed)
        print(f"the WebSocket API {deployed} is new: {len(names)} policies now name it; deploying again", flush=True)
        chalice(project, stage, "deploy", "--stage", stage, environment=environment)
    return deployed
