"""Issue 10 against real processes: `lentune serve` survives the reviewers' requests, and logs no secret even at
trace; a third-party Procore SDK (pyprocore) lists companies against `lentune sandbox` with a service account.

No browser here: these drive the `lentune` binary over loopback HTTP as an attacker or a careless client would.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from conftest import LENTUNE, PASSWORD, Server, free_port


def request(url, method="GET", body=None, headers=None, opener=None):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def traced():
    """A fresh `lentune serve` logging at trace, an AP officer's token and a signed-in browser-like session."""
    with tempfile.TemporaryDirectory(prefix="lentune-hardening-") as tmp:
        server = Server(Path(tmp))
        server.env["LOG_LEVEL"] = "trace"
        server.user("Harbour Build Ltd", "ap@harbour.example", "ap_officer")
        server.user("Harbour Build Ltd", "auditor@harbour.example", "auditor")
        tokens = {}
        for email in ("ap@harbour.example", "auditor@harbour.example"):
            out = subprocess.run([LENTUNE, "user", "token", "--email", email, "--name", "hardening"], env=server.env,
                                 check=True, capture_output=True, text=True, timeout=60).stdout
            tokens[email] = re.search(r"lt_[A-Za-z0-9_-]+", out).group(0)
        server.start()
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        _, page = request(server.url + "/sign-in", opener=opener)
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"_csrf": csrf, "email": "ap@harbour.example", "password": PASSWORD})
        request(server.url + "/sign-in", "POST", form, {"Content-Type": "application/x-www-form-urlencoded"}, opener)
        session = next(c.value for c in jar if c.name == "lentune_session")
        yield {"server": server, "tokens": tokens, "opener": opener, "session": session, "csrf": csrf}
        server.stop()


def healthy(server) -> bool:
    status, _ = request(server.url + "/healthz")
    return status == 200 and server.process.poll() is None


def test_the_reviewers_requests_never_kill_the_server(traced):
    server, opener = traced["server"], traced["opener"]
    auditor = {"Authorization": "Bearer " + traced["tokens"]["auditor@harbour.example"], "Accept": "application/json"}
    ap = {"Authorization": "Bearer " + traced["tokens"]["ap@harbour.example"], "Accept": "application/json",
          "Content-Type": "application/json"}
    for page in ("9223372036854775807", "-9223372036854775808", "99999999999999999999999", "1e9"):
        status, body = request(f"{server.url}/api/v1/purchase-orders?page={page}", headers=auditor)
        assert status == 400, (page, body)
        status, _ = request(f"{server.url}/purchase-orders?page={page}", opener=opener)
        assert status == 400, page
        assert healthy(server), f"the server died on page={page}"
    weird_bodies = [
        '{"title": "x", "lines": [{"description": "a", "quantity": "1000000000", "unit_cost": "150000000"}]}',
        '{"title": "nul\\u0000byte", "lines": []}',
        '{"title": 1e400, "lines": [{"quantity": 99999999999999999999999999999}]}',
        '{"procore_line_item_id": 9223372036854775808}',
        '[' * 500 + ']' * 500,
        '{"lines": [' + ','.join(['{"description":"a","quantity":"1","unit_cost":"1"}'] * 5000) + ']}',
        'not json at all',
    ]
    for body in weird_bodies:
        status, _ = request(f"{server.url}/api/v1/purchase-orders", "POST", body, ap)
        assert 400 <= status < 500, (body[:60], status)
        assert healthy(server), f"the server died on {body[:60]!r}"
    status, _ = request(f"{server.url}/api/v1/purchase-orders", "POST", weird_bodies[0],
                        {**ap, "Content-Type": "text/plain"})
    assert status == 415
    assert healthy(server)


def test_no_secret_reaches_the_log_even_at_trace(traced):
    server = traced["server"]
    token = traced["tokens"]["ap@harbour.example"]
    request(f"{server.url}/api/v1/purchase-orders", headers={"Authorization": "Bearer " + token})
    request(f"{server.url}/purchase-orders", opener=traced["opener"])
    time.sleep(0.5)
    log = (server.workdir / "server.log").read_text()
    assert "Decoded HTTP part" in log, "the log is not at trace level, so this test proves nothing"
    secrets = {
        "API token": token,
        "API token body": token[3:],
        "API token hash": hashlib.sha256(token.encode()).hexdigest(),
        "session cookie": traced["session"],
        "session hash": hashlib.sha256(traced["session"].encode()).hexdigest(),
        "CSRF token": traced["csrf"],
        "password": PASSWORD,
    }
    for name, secret in secrets.items():
        assert secret not in log, f"the {name} is in the log"


def test_metrics_are_not_served_to_other_machines_without_a_token(traced):
    # From this machine (loopback) they are; the Swift suite checks the token and a non-loopback client.
    status, body = request(traced["server"].url + "/metrics")
    assert status == 200 and "lentune" in body


def test_pyprocore_lists_companies_against_the_sandbox_with_a_service_account():
    pyprocore = subprocess.run([sys.executable, "-c", "import pyprocore"], capture_output=True)
    assert pyprocore.returncode == 0, "pyprocore is not installed (scripts/test installs it)"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="lentune-pyprocore-") as tmp:
        sandbox = subprocess.Popen(
            [LENTUNE, "sandbox", "--port", str(port), "--seed", "demo", "--client-id", "pyprocore-app",
             "--client-secret", "pyprocore-secret"], cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(base + "/oauth/token", timeout=1)
                except urllib.error.HTTPError:
                    break
                except OSError:
                    time.sleep(0.2)
            env = {k: v for k, v in os.environ.items() if not k.startswith("PROCORE_")}
            env.update(PROCORE_CLIENT_ID="pyprocore-app", PROCORE_CLIENT_SECRET="pyprocore-secret",
                       PROCORE_LOGIN_URL=base, PROCORE_API_BASE=base, PROCORE_COMPANY_ID="4242",
                       PROCORE_AUTH_MODE="client_credentials", PROCORE_TOKEN_STORE_PATH=str(Path(tmp) / "tokens.json"))
            script = (
                "import json\n"
                "from pyprocore.client import Procore\n"
                "print(json.dumps([[c.id, c.name] for c in Procore().companies.list()]))\n"
            )
            result = subprocess.run([sys.executable, "-c", script], cwd=tmp, env=env, capture_output=True, text=True,
                                    timeout=60)
            assert result.returncode == 0, result.stderr[-2000:]
            companies = json.loads(result.stdout.strip().splitlines()[-1])
            assert [4242, "Kauri Construction Ltd"] in companies
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)
