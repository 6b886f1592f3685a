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
import uuid
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from conftest import LENTUNE, PASSWORD, Server, free_port, read_until, wait_for


def request(url, method="GET", body=None, headers=None, opener=None):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


CLIENT_ID, CLIENT_SECRET, COMPANY = "hardening-app", "hardening-client-secret-5f1c", 4242


@pytest.fixture(scope="module")
def traced():
    """A fresh `lentune serve` logging at trace, connected to a `lentune sandbox` (so it holds a Procore client secret
    and OAuth tokens), with an AP officer's token and a signed-in browser-like session."""
    with tempfile.TemporaryDirectory(prefix="lentune-hardening-") as tmp:
        server = Server(Path(tmp))
        server.env["LOG_LEVEL"] = "trace"
        sandbox = subprocess.Popen([LENTUNE, "sandbox", "--port", "0", "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET],
                                   env=server.env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        api = re.search(r"API base URL:\s+(\S+)", read_until(sandbox, "Press Ctrl-C")).group(1)
        server.user("Harbour Build Ltd", "admin@harbour.example", "administrator")
        server.user("Harbour Build Ltd", "ap@harbour.example", "ap_officer")
        server.user("Harbour Build Ltd", "auditor@harbour.example", "auditor")
        subprocess.run([LENTUNE, "procore", "connect", "--admin", "admin@harbour.example", "--client-id", CLIENT_ID,
                        "--environment", "custom", "--auth-base-url", api, "--api-base-url", api, "--company-id", str(COMPANY)],
                       input=CLIENT_SECRET + "\n", text=True, env=server.env, check=True, capture_output=True, timeout=60)
        tokens = {}
        for email in ("admin@harbour.example", "ap@harbour.example", "auditor@harbour.example"):
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
        try:
            yield {"server": server, "tokens": tokens, "opener": opener, "session": session, "csrf": csrf, "sandbox": api}
        finally:
            server.stop()
            sandbox.terminate()
            sandbox.wait(timeout=15)


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
    admin = {"Authorization": "Bearer " + traced["tokens"]["admin@harbour.example"], "Accept": "application/json"}
    request(f"{server.url}/api/v1/purchase-orders", headers={"Authorization": "Bearer " + token})
    request(f"{server.url}/purchase-orders", opener=traced["opener"])
    # Lentune calls Procore: it gets an OAuth token with the client secret and lists the companies with it.
    status, body = request(f"{server.url}/api/v1/procore/connection/test", "POST", headers=admin)
    assert status == 200 and '"connected":true' in body.replace(" ", ""), body
    status, connection = request(f"{server.url}/api/v1/procore/connection", headers=admin)
    assert status == 200 and '"has_client_secret":true' in connection.replace(" ", ""), connection
    # Everything before this marker request has been logged once the marker is (requests are logged in turn).
    marker = "/marker-" + uuid.uuid4().hex
    request(server.url + marker)
    log_file = server.workdir / "server.log"
    wait_for(lambda: marker in log_file.read_text(), "the marker request in the log", timeout=30, interval=0.1)
    log = log_file.read_text()
    assert "Decoded HTTP part" in log, "the log is not at trace level, so this test proves nothing"
    assert "/api/v1/procore/connection/test" in log, "the Procore call is not in the log, so this test proves nothing"
    state = json.loads(request(traced["sandbox"] + "/_sandbox/state")[1])
    issued = [access for access, grant in state["tokens"].items() if grant.get("clientID") == CLIENT_ID]
    assert issued, "the sandbox issued Lentune no OAuth token, so this test proves nothing"
    refreshes = [refresh for refresh, access in state.get("refreshTokens", {}).items() if access in issued]
    secrets = {
        "API token": token,
        "API token body": token[3:],
        "API token hash": hashlib.sha256(token.encode()).hexdigest(),
        "session cookie": traced["session"],
        "session hash": hashlib.sha256(traced["session"].encode()).hexdigest(),
        "CSRF token": traced["csrf"],
        "password": PASSWORD,
        "Procore client secret": CLIENT_SECRET,
        **{f"Procore access token {i + 1}": value for i, value in enumerate(issued)},
        **{f"Procore refresh token {i + 1}": value for i, value in enumerate(refreshes)},
    }
    for name, secret in secrets.items():
        assert secret not in log, f"the {name} is in the log"


def test_metrics_are_served_to_this_machine_with_what_the_docs_list(traced):
    # From loopback, without a token (none is configured), /metrics is Prometheus text with the documented families,
    # counting the requests this module made; the Swift suite checks a token and a client from another machine.
    status, body = request(traced["server"].url + "/metrics")
    assert status == 200
    for family in ("lentune_outbox_jobs", "lentune_http_requests_total", "lentune_http_request_duration_seconds"):
        assert f"# TYPE {family}" in body, f"{family} is not in /metrics"
    counted = re.search(r'lentune_http_requests_total\{[^}]*route="/api/v1/purchase-orders"[^}]*\} ([0-9.]+)', body)
    assert counted and float(counted.group(1)) >= 1, "the API requests made here are not counted"


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
