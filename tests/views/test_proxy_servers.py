"""ALLOWED_PROXIES means the same under `python run.py` (waitress) and gunicorn (issue 18 item 1): real servers
started as subprocesses on a SQLite file prepared by `flask setup --demo`, HEALTH_NET_CIDRS=10.0.0.0/8, one proxy."""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app.domain.network import NO_INTERNET_MESSAGE
from app.services.seed import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "inst2_admin"  # internet access removed below

# X-Forwarded-For as the proxy sends it → admitted? (only the last entry, the one the proxy added, is trusted)
CASES = [
    ("8.8.8.8", False),
    ("10.1.2.3", True),
    ("10.1.2.3, 8.8.8.8", False),
    ("8.8.8.8, 10.1.2.3", True),
    (None, False),  # no header from the proxy: the client is unknown, treated as the internet
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("proxy_servers")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TEST_DATABASE_URL", "DATABASE_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp / 'app.db'}", SECRET_KEY="proxy-test-key-" + "0" * 40, ALLOWED_PROXIES="1",
               HEALTH_NET_CIDRS="10.0.0.0/8", UPLOAD_FOLDER=str(tmp / "uploads"), IMPORT_JOB_RUNNER="thread")
    subprocess.run([sys.executable, "-m", "flask", "--app", "run.py", "setup", "--demo"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    with sqlite3.connect(tmp / "app.db") as conn:
        assert conn.execute("UPDATE ab_user SET internet_access = 0 WHERE username = ?", (ACCOUNT,)).rowcount == 1
    return tmp, env


def _serve(command, env, tmp, name):
    port = _free_port()
    env = dict(env, HOST="127.0.0.1", PORT=str(port))
    log = open(tmp / f"{name}.log", "w+")
    proc = subprocess.Popen([part.format(port=port) for part in command], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, (tmp / f"{name}.log").read_text()
        try:
            urllib.request.urlopen(base + "/login/", timeout=5)
            break
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"{name} did not start: " + (tmp / f"{name}.log").read_text()[-2000:])
            time.sleep(0.5)
    return proc, base, log


def _login(base, forwarded_for):
    headers = {"Content-Type": "application/json"}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    body = json.dumps({"username": ACCOUNT, "password": DEMO_PASSWORD}).encode()
    req = urllib.request.Request(base + "/api/v1/security/login", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


SERVERS = {
    "waitress (python run.py)": [sys.executable, "run.py"],
    "gunicorn": [sys.executable, "-m", "gunicorn", "-w", "1", "-b", "127.0.0.1:{port}", "run:app"],
}


@pytest.mark.slow
@pytest.mark.parametrize("server", list(SERVERS))
def test_allowed_proxies_under_both_servers(prepared, server):
    tmp, env = prepared
    proc, base, log = _serve(SERVERS[server], env, tmp, server.split()[0])
    try:
        results = {xff: _login(base, xff) for xff, _ in CASES}
        _login(base, None)  # a second header-less request: still one warning
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    for xff, admitted in CASES:
        status, body = results[xff]
        if admitted:
            assert status == 200 and "access_token" in body, (server, xff, status, body)
        else:
            assert status == 401 and body["message"] == NO_INTERNET_MESSAGE, (server, xff, status, body)
    # Three header-less requests (the start-up probe and two logins), one warning (printed by up to two handlers).
    output = (tmp / f"{server.split()[0]}.log").read_text()
    assert 1 <= output.count("the proxy must set X-Forwarded-For") <= 2, output[-3000:]
