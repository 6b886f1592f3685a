"""Issue 30: the outside security review's probes, run as an attacker would, against real `lentune serve` processes on
SQLite and on PostgreSQL (when LENTUNE_TEST_POSTGRES_URL is set; scripts/test always sets it).

Each server runs in production mode (LENTUNE_ENV=production) at LOG_LEVEL=trace, on data `lentune demo` seeded. Every
address contacted is on this machine: the URLs the policy must refuse (10.0.0.1, 169.254.169.254, …) are only ever
saved, never connected to, and the probes that do connect go to listeners this file starts on 127.0.0.1.
"""
import base64
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import LENTUNE, free_port, wait_healthy, wait_for

PG_URL = os.environ.get("LENTUNE_TEST_POSTGRES_URL")
DEMO_PASSWORD = "security-review-password"
ADMIN, AP = "admin@demo.lentune.test", "ap@demo.lentune.test"
KINDS = ["sqlite"] + (["postgres"] if PG_URL else [])


def psql(url: str, sql: str) -> None:
    parts = urllib.parse.urlsplit(url)
    subprocess.run(["psql", "-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username or "postgres",
                    "-d", "postgres", "-qc", sql], check=True, capture_output=True, timeout=60)


def postgres_database(name: str) -> str:
    """A fresh database on the test server; its URL carries a password, which the logs must never show."""
    assert "@127.0.0.1" in PG_URL or "@localhost" in PG_URL, "the test database must be local"
    psql(PG_URL, f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(PG_URL)
    return f"postgres://{parts.username or 'postgres'}:db-password-{name}@{parts.hostname}:{parts.port}/{name}?sslmode=disable"


class Target:
    """One database, seeded by `lentune demo`, served by `lentune serve` in production."""

    def __init__(self, kind: str, workdir: Path):
        self.kind, self.workdir = kind, workdir
        self.pg_name = None
        if kind == "postgres":
            self.pg_name = "lentune_security_" + secrets.token_hex(4)
            database = postgres_database(self.pg_name)
        else:
            database = f"sqlite://{workdir / 'lentune.sqlite'}"
        self.secret_key = base64.b64encode(secrets.token_bytes(32)).decode()
        base = {k: v for k, v in os.environ.items() if not k.startswith("LENTUNE_")}
        base.update(LENTUNE_DATABASE_URL=database, LENTUNE_SECRET_KEY=self.secret_key)
        self.database_url = database
        self.base_env = base
        self.sandbox_port = self.seed()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**base, "LENTUNE_ENV": "production", "LENTUNE_PUBLIC_URL": self.url, "LOG_LEVEL": "trace"}
        self.log = workdir / "serve.log"
        self.process = subprocess.Popen(
            [LENTUNE, "serve", "--hostname", "127.0.0.1", "--port", str(self.port), "--no-worker"], env=self.env,
            cwd=workdir, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        wait_healthy(self.url, self.process, timeout=60)
        self.tokens = {email: self.token(email) for email in (ADMIN, AP)}

    def seed(self) -> int:
        """Runs the demo once (it seeds the organisation, its users and a connection to its own sandbox), then stops it."""
        env = {**self.base_env, "LENTUNE_DEMO_PASSWORD": DEMO_PASSWORD}
        demo = subprocess.Popen([LENTUNE, "demo", "--port", str(free_port()), "--no-worker"], env=env, cwd=self.workdir,
                                stdout=subprocess.PIPE, stderr=open(self.workdir / "demo.log", "w"), text=True)
        try:
            text = ""
            deadline = time.monotonic() + 120
            while "Press Ctrl-C" not in text and time.monotonic() < deadline:
                line = demo.stdout.readline()
                if not line:
                    break
                text += line
            sandbox = re.search(r"Procore sandbox: http://127\.0\.0\.1:(\d+)", text)
            assert sandbox, f"demo printed: {text!r}"
            return int(sandbox.group(1))
        finally:
            demo.terminate()
            demo.wait(timeout=30)

    def token(self, email: str) -> str:
        out = subprocess.run([LENTUNE, "user", "token", "--email", email, "--name", "security"], env=self.env,
                             capture_output=True, text=True, timeout=60, check=True).stdout
        return re.search(r"lt_[A-Za-z0-9_-]+", out).group(0)

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        data = body.encode() if isinstance(body, str) else body
        connection.request(method, path, body=data, headers=headers or {})
        response = connection.getresponse()
        payload = response.read().decode(errors="replace")
        connection.close()
        return response.status, response.getheaders(), payload

    def api(self, method, path, email=ADMIN, body=None):
        headers = {"Authorization": "Bearer " + self.tokens[email], "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body) if not isinstance(body, str) else body
        status, _, payload = self.request(method, "/api/v1" + path, body, headers)
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        if self.pg_name:
            psql(PG_URL, f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)")


@pytest.fixture(scope="module", params=KINDS)
def target(request):
    with tempfile.TemporaryDirectory(prefix=f"lentune-security-{request.param}-") as tmp:
        t = Target(request.param, Path(tmp))
        yield t
        t.stop()


def anonymous_csrf(t: Target):
    status, headers, page = t.request("GET", "/sign-in")
    cookie = next(v.split(";")[0] for k, v in headers if k.lower() == "set-cookie" and v.startswith("lentune_csrf="))
    return cookie, re.search(r'name="_csrf" value="([^"]+)"', page).group(1)


def sign_in(t: Target, email: str, password: str, next_value=None, csrf=None):
    cookie, token = csrf or anonymous_csrf(t)
    form = {"_csrf": token, "email": email, "password": password}
    if next_value is not None:
        form["next"] = next_value
    return t.request("POST", "/sign-in", urllib.parse.urlencode(form),
                     {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})


# MARK: - 1. next: header injection and open redirect

INJECTIONS = ["/\r\nX-Probe-Injected: 1", "/%0d%0aX-Probe-Injected:%201", "/%09/evil.example/", "/\t/evil.example/",
              "//evil.example/", "/\\evil.example/", "/%5Cevil.example/", "https://evil.example/", "/%2F/evil.example",
              "/%252F%252Fevil.example", "/\u0000x"]


def test_sign_in_next_never_injects_a_header_or_leaves_the_site(target):
    for value in INJECTIONS:
        status, headers, _ = sign_in(target, ADMIN, DEMO_PASSWORD, next_value=value)
        names = [k.lower() for k, _ in headers]
        assert "x-probe-injected" not in names, (value, headers)
        location = next((v for k, v in headers if k.lower() == "location"), None)
        assert status == 303 and location == "/", (value, status, location)
        # The sign-in page itself, with next in its query string, keeps it out of its headers too.
        status, headers, page = target.request("GET", "/sign-in?next=" + urllib.parse.quote(value, safe=""))
        assert status == 200 and "x-probe-injected" not in [k.lower() for k, _ in headers], value
        assert "evil.example" not in page, value
    # A same-site path is still honoured.
    _, headers, _ = sign_in(target, ADMIN, DEMO_PASSWORD, next_value="/purchase-orders?status=draft")
    assert dict((k.lower(), v) for k, v in headers)["location"] == "/purchase-orders?status=draft"


# MARK: - 3. No secret in the log at trace

def test_no_secret_of_the_environment_reaches_the_log_at_trace(target):
    target.request("GET", "/api/v1/purchase-orders", headers={"Authorization": "Bearer " + target.tokens[AP]})
    wait_for(lambda: "Decoded HTTP part" in target.log.read_text(), "a trace-level line in the log")
    # A worker at trace with every secret in its environment, including a metrics token.
    metrics_token = "metrics-" + secrets.token_hex(16)
    worker_log = target.workdir / "worker.log"
    worker = subprocess.Popen([LENTUNE, "worker", "--concurrency", "1"], cwd=target.workdir,
                              env={**target.env, "LENTUNE_METRICS_TOKEN": metrics_token},
                              stdout=subprocess.PIPE, stderr=open(worker_log, "w"), text=True)
    try:
        assert "is running" in worker.stdout.readline()
        # Past its first line: the worker's trace of its database polls, which carry its configuration's reach.
        wait_for(lambda: "Starting service" in worker_log.read_text() and len(worker_log.read_text()) > 1000,
                 "the worker's service and trace lines", timeout=30)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    secret_values = {"LENTUNE_SECRET_KEY": target.secret_key, "LENTUNE_METRICS_TOKEN": metrics_token,
                     "API token": target.tokens[AP], "demo password": DEMO_PASSWORD}
    password = urllib.parse.urlsplit(target.database_url).password
    if password:
        secret_values["database password"] = password
    for path in (target.log, worker_log):
        text = path.read_text()
        assert len(text) > 1000, f"{path.name} holds too little to prove anything"
        for name, value in secret_values.items():
            assert value not in text, f"{name} is in {path.name}"


# MARK: - 4. State changes race (on PostgreSQL the real test; SQLite's single writer must agree)

def a_project_for_new_purchase_orders(t: Target):
    _, suppliers = t.api("GET", "/suppliers")
    _, projects = t.api("GET", "/projects")
    supplier = suppliers["data"][0]["id"]
    for project in projects["data"]:
        status, po = t.api("POST", "/purchase-orders", AP, {
            "supplier_id": supplier, "project_id": project["id"], "title": "Race",
            "lines": [{"description": "Steel", "quantity": "10", "unit_cost": "1000"}]})
        if status == 201:
            return po
    pytest.fail("no demo project takes new Lentune purchase orders")


def test_concurrent_approvals_of_one_purchase_order_have_one_winner(target):
    po = a_project_for_new_purchase_orders(target)
    status, submitted = target.api("POST", f"/purchase-orders/{po['id']}/submit", AP)
    assert status == 200 and submitted["status"] == "awaiting_approval", submitted
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: target.api("POST", f"/purchase-orders/{po['id']}/approve")[0], range(20)))
    assert statuses.count(200) == 1 and statuses.count(409) == 19, statuses


# MARK: - 5. Sign-in throttle

def test_thirty_concurrent_wrong_passwords_are_cut_off_at_the_limit(target):
    csrf = anonymous_csrf(target)
    email = f"victim-{secrets.token_hex(3)}@demo.lentune.test"
    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda _: sign_in(target, email, "wrong-password", csrf=csrf)[0], range(30)))
    assert statuses.count(401) <= 5 and statuses.count(429) >= 25, statuses
    assert set(statuses) <= {401, 429}, statuses


# MARK: - 6. Where Test connection may reach

REFUSED_URLS = ["http://127.1/", "http://[::1]:9/", "http://localhost:9/", "http://127.evil.invalid/", "https://10.0.0.1/",
                "https://169.254.169.254/", "https://[::ffff:127.0.0.1]/", "https://2130706433/", "https://0x7f.1/",
                "http://example.com/", "https://user:pw@api.example.com/", "https://192.168.1.10/", "https://[fe80::1]/"]


def test_custom_urls_to_internal_addresses_are_refused_when_saved(target):
    _, before = target.api("GET", "/procore/connection")
    for url in REFUSED_URLS:
        status, problem = target.api("PUT", "/procore/connection", body={
            "environment": "custom", "auth_base_url": url, "api_base_url": url, "client_id": "cid"})
        assert status == 422, (url, status, problem)
        assert "auth_base_url" in problem["errors"] and "api_base_url" in problem["errors"], (url, problem)
    _, after = target.api("GET", "/procore/connection")
    assert after == before


def test_test_connection_never_connects_to_a_stored_loopback_url(target):
    """The demo's connection points at its sandbox on 127.0.0.1: production refuses it at connect time, sending nothing."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", target.sandbox_port))
    listener.listen(8)
    listener.settimeout(0.5)
    try:
        status, tested = target.api("POST", "/procore/connection/test")
        assert status == 200 and tested["connected"] is False, tested
        assert "does not connect" in tested["error"], tested
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()


# MARK: - 7. Metrics behind the documented proxy

def test_metrics_need_the_token_in_production_even_from_loopback(target):
    status, _, body = target.request("GET", "/metrics")
    assert status == 403 and "lentune_http" not in body, (status, body[:200])


# MARK: - 8. Numbers and NUL

def test_a_decimal_comma_is_refused_with_a_message_never_reinterpreted(target):
    _, suppliers = target.api("GET", "/suppliers")
    _, projects = target.api("GET", "/projects")
    for field in ("quantity", "unit_cost"):
        line = {"description": "Bolts", "quantity": "1", "unit_cost": "1", field: "1,5"}
        status, problem = target.api("POST", "/purchase-orders", AP, {
            "supplier_id": suppliers["data"][0]["id"], "project_id": projects["data"][0]["id"], "title": "Comma",
            "lines": [line]})
        assert status == 422, (field, status, problem)
        assert "comma" in json.dumps(problem["errors"]).lower(), problem
    status, listed = target.api("GET", "/purchase-orders?q=Comma")
    assert not [po for po in listed["data"] if po.get("title") == "Comma"]


def test_an_invoice_number_with_nul_is_refused(target):
    _, suppliers = target.api("GET", "/suppliers")
    status, problem = target.api("POST", "/invoices", AP, {
        "supplier_id": suppliers["data"][0]["id"], "number": "INV\u0000-1", "invoice_date": "2026-11-30",
        "total_excluding_tax": "10.00", "total_including_tax": "11.50"})
    assert status == 422, (status, problem)
    assert "number" in problem["errors"], problem


# MARK: - 8b. SQLite contention, and 9. the webhook limit

def webhook_secret(t: Target):
    """The connection's webhook URL and Authorization value, as the administrator's settings page shows them."""
    status, headers, _ = sign_in(t, ADMIN, DEMO_PASSWORD)
    session = next(v.split(";")[0] for k, v in headers if k.lower() == "set-cookie" and v.startswith("lentune_session="))
    _, _, page = t.request("GET", "/administration/settings/procore", headers={"Cookie": session})
    path = re.search(r"/webhooks/procore/[0-9a-f-]{36}", page).group(0)
    secret = re.search(r"Bearer ([0-9a-f]{64})", page).group(1)
    return path, "Bearer " + secret


def event(n: int, pad: int = 0) -> str:
    body = ('{"id": %d, "ulid": "01EDPD2J6SBY1163N7%08d", "timestamp": "2026-12-01T10:00:00.000000Z", '
            '"api_version": "v2", "event_type": "update", "resource_name": "Purchase Order Contracts", '
            '"resource_id": %d, "company_id": 4242, "project_id": 4294968007, "user_id": 31337, "metadata": '
            '{"source_application_id": "another-app"}}') % (5982324300946918154 + n, n, 4294968269 + n)
    return body + " " * pad


def test_a_webhook_body_of_exactly_256_kb_is_accepted_and_one_byte_more_refused(target):
    path, authorization = webhook_secret(target)
    headers = {"Content-Type": "application/json", "Authorization": authorization}
    exact = event(900_001)
    exact += " " * (256 * 1024 - len(exact))
    assert len(exact) == 262_144
    status, _, body = target.request("POST", path, exact, headers)
    assert status in (200, 202, 204), (status, body[:300])
    status, _, _ = target.request("POST", path, event(900_002) + " " * (256 * 1024 - len(event(900_002)) + 1), headers)
    assert status == 413


def test_webhook_flood_while_saving_the_connection_never_answers_5xx(target):
    path, authorization = webhook_secret(target)
    headers = {"Content-Type": "application/json", "Authorization": authorization}
    # Saving a connection to Procore's developer sandbox: a valid save that writes (the secret and tokens go), and no
    # Test connection follows it, so nothing leaves this machine.
    body = {"environment": "developer_sandbox", "client_id": "flood-client", "client_secret": "flood-secret",
            "grant_type": "client_credentials"}
    stop = threading.Event()
    webhook_statuses = []

    def flood(worker: int):
        n = 0
        while not stop.is_set() and n < 2000:
            webhook_statuses.append(target.request("POST", path, event(worker * 10_000 + n), headers)[0])
            n += 1

    with ThreadPoolExecutor(max_workers=12) as pool:
        flooders = [pool.submit(flood, w) for w in range(6)]
        saves = list(pool.map(lambda _: target.api("PUT", "/procore/connection", body=body)[0], range(60)))
        stop.set()
        for f in flooders:
            f.result()
    assert all(s == 200 for s in saves), sorted(set(saves))
    assert webhook_statuses and all(s < 500 for s in webhook_statuses), sorted(set(webhook_statuses))


# MARK: - 2. The Procore client follows no redirect (a development server, so it may reach this machine)

class Recorder(BaseHTTPRequestHandler):
    seen: list = []
    redirect_to = None

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        Recorder.seen.append((self.server.server_port, self.path, self.rfile.read(length).decode(errors="replace")))
        if self.server.server_port == Recorder.leaky_port:
            body = b"<html>internal-dashboard-body: admin panel of whatever answered</html>"
            self.send_response(403)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.server.server_port == Recorder.redirect_port:
            self.send_response(307)
            self.send_header("Location", Recorder.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            body = b'{"access_token": "stolen", "expires_in": 7200, "created_at": 0}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args):
        pass


def test_the_procore_client_never_follows_a_redirect_with_its_secret():
    trap = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    redirector = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    leaky = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    Recorder.leaky_port = leaky.server_port
    Recorder.redirect_port = redirector.server_port
    Recorder.redirect_to = f"http://127.0.0.1:{trap.server_port}"
    Recorder.seen = []
    for server in (trap, redirector, leaky):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="lentune-redirect-") as tmp:
        t_env = {k: v for k, v in os.environ.items() if not k.startswith("LENTUNE_")}
        t_env.update(LENTUNE_DATABASE_URL=f"sqlite://{tmp}/lentune.sqlite", LENTUNE_ENV="testing", LOG_LEVEL="trace")
        subprocess.run([LENTUNE, "user", "create", "--org", "Harbour Build Ltd", "--email", ADMIN, "--role", "administrator"],
                       input=DEMO_PASSWORD + "\n", text=True, env=t_env, check=True, capture_output=True, timeout=60)
        token = re.search(r"lt_[A-Za-z0-9_-]+", subprocess.run(
            [LENTUNE, "user", "token", "--email", ADMIN, "--name", "redirect"], env=t_env, capture_output=True, text=True,
            timeout=60, check=True).stdout).group(0)
        port = free_port()
        server = subprocess.Popen([LENTUNE, "serve", "--hostname", "127.0.0.1", "--port", str(port), "--no-worker"],
                                  env=t_env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / "serve.log", "w"))
        try:
            wait_healthy(f"http://127.0.0.1:{port}", server)
            client_secret = "procore-client-secret-" + secrets.token_hex(8)

            def api(method, path, body=None):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                headers = {"Authorization": "Bearer " + token, "Accept": "application/json", "Content-Type": "application/json"}
                c.request(method, "/api/v1" + path, body=json.dumps(body) if body is not None else None, headers=headers)
                r = c.getresponse()
                return r.status, json.loads(r.read() or b"null")

            base = f"http://127.0.0.1:{redirector.server_port}"
            status, saved = api("PUT", "/procore/connection", {"environment": "custom", "auth_base_url": base,
                                                               "api_base_url": base, "client_id": "cid",
                                                               "client_secret": client_secret})
            assert status == 200, saved
            status, tested = api("POST", "/procore/connection/test")
            assert status == 200 and tested["connected"] is False, tested
            assert "307" in tested["error"] and "redirect" in tested["error"], tested
            assert [s for s in Recorder.seen if s[0] == trap.server_port] == [], "the redirect was followed"
            assert any(client_secret in s[2] for s in Recorder.seen), "the token request never reached the redirector"
            assert client_secret not in (Path(tmp) / "serve.log").read_text(), "the Procore client secret is in the log"

            # Point 6: an answer that is not Procore's error shape is shown as its status alone, never its body.
            leaky_base = f"http://127.0.0.1:{leaky.server_port}"
            status, _ = api("PUT", "/procore/connection", {"environment": "custom", "auth_base_url": leaky_base,
                                                          "api_base_url": leaky_base, "client_id": "cid"})
            assert status == 200
            status, tested = api("POST", "/procore/connection/test")
            assert status == 200 and tested["connected"] is False, tested
            assert "403" in tested["error"] and "internal-dashboard-body" not in tested["error"], tested
        finally:
            server.terminate()
            server.wait(timeout=30)
            for recorder in (trap, redirector, leaky):
                recorder.shutdown()
