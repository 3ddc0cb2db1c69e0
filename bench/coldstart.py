"""Cold start: wall time to import the Lambda handler module (`app`) in fresh interpreters, beside the
floor every Python Lambda on AWS pays (a botocore session and a DynamoDB client)."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "import app"
BASELINE = "import botocore.session; botocore.session.get_session().create_client('dynamodb', region_name='us-east-1')"


def import_seconds(statement: str, runs: int) -> list[float]:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1"}
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    return [
        float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                             capture_output=True, text=True).stdout)
        for _ in range(runs)
    ]


def measure(runs: int = 15) -> dict[str, float]:
    import_seconds(APP, 1)  # let the OS cache the files (and Python its bytecode) before timing
    app = statistics.median(import_seconds(APP, runs))
    baseline = statistics.median(import_seconds(BASELINE, runs))
    return {"app_ms": app * 1000, "baseline_ms": baseline * 1000, "ratio": app / baseline, "runs": runs}
