"""The real local stack (`make run`'s runner: moto server + chalice local) on free ports, one per test module,
and signing in to it through Cognito as a client would."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import boto3
import pytest
import requests

from tests.conftest import ROOT

REQUEST_EXPIRY_S = 30  # long enough to accept a request on a loaded machine (expiry: test_local_stack_expiry.py)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def stack_settings() -> dict[str, str]:
    """The environment of the module's stack; a test module overrides this fixture to change it."""
    return {"DEMO_LISTINGS": "300", "DEMO_PROVIDERS": "40", "REQUEST_EXPIRY_S": str(REQUEST_EXPIRY_S),
            "LOCAL_SCHEDULE_S": "1"}


@pytest.fixture(scope="module")
def running_stack(tmp_path_factory, stack_settings):
    state_dir = tmp_path_factory.mktemp("stack")
    moto_port, api_port, ws_port, web_port = _free_port(), _free_port(), _free_port(), _free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTEST_XDIST_WORKER"
    }
    env.update(MOTO_PORT=str(moto_port), API_PORT=str(api_port), WS_PORT=str(ws_port), WEB_PORT=str(web_port),
               STATE_DIR=str(state_dir),
               **stack_settings)
    log = (state_dir / "run.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "scripts.local_stack"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    stack_file = state_dir / "stack.json"
    deadline = time.monotonic() + 300
    api_url = None
    while time.monotonic() < deadline and process.poll() is None:
        if stack_file.exists():
            api_url = json.loads(stack_file.read_text())["api_url"]
            try:
                if requests.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
        time.sleep(0.5)
    else:
        process.kill()
        pytest.fail(f"local stack did not come up:\n{(state_dir / 'run.log').read_text()[-3000:]}")
    yield {"process": process, "state_dir": state_dir, "moto_port": moto_port, "api_port": api_port, "ws_port": ws_port,
           **json.loads(stack_file.read_text())}
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)


def sign_in(stack: dict, email: str, password: str) -> dict[str, str]:
    cognito = boto3.client("cognito-idp", endpoint_url=stack["aws_endpoint"], region_name=stack["region"],
                           aws_access_key_id="x", aws_secret_access_key="x")
    result = cognito.initiate_auth(ClientId=stack["user_pool_client_id"], AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": email, "PASSWORD": password})
    return {"Authorization": f"Bearer {result['AuthenticationResult']['IdToken']}"}
