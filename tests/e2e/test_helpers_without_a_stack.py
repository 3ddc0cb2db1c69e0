"""The helper commands, when no local stack answers: a sentence that says to start `make run`, no traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HELPERS = (["scripts.status"], ["scripts.token", "alice"], ["scripts.token", "--new", "Mei"], ["scripts.reconcile"],
           ["scripts.redrive", "01J0000000000000000000000A"])


def run(helper: list[str], state_dir: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("STAGE", "LEDGER_TABLE")}
    return subprocess.run([sys.executable, "-m", *helper], cwd=ROOT, env={**env, "STATE_DIR": state_dir},
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("helper", HELPERS, ids=" ".join)
def test_a_helper_with_no_stack_says_to_start_make_run(tmp_path, helper):
    result = run(helper, str(tmp_path))
    assert result.returncode != 0
    assert "start it with `make run` first" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("helper", HELPERS, ids=" ".join)
def test_a_helper_whose_stack_was_killed_says_to_start_make_run(tmp_path, helper):
    """A stack killed without its clean stop leaves its coordinates behind; nothing answers there."""
    (tmp_path / "stack.json").write_text(json.dumps({"api_url": "http://127.0.0.1:9", "aws_endpoint": "http://127.0.0.1:9"}))
    result = run(helper, str(tmp_path))
    assert result.returncode != 0
    assert "does not answer" in result.stderr and "make run" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
