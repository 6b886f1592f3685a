"""Browser tests: real headless Chromium (Debian's) driving a real `lentune` server on a free loopback port.

Each test session starts its own servers on fresh SQLite files; nothing outside 127.0.0.1 is contacted. With
LENTUNE_BROWSER_DATABASE=postgres the servers run on fresh PostgreSQL databases instead (on the server of
LENTUNE_TEST_POSTGRES_URL, dropped at the end): scripts/test runs the tests that write both ways.
"""
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
LENTUNE = os.environ.get("LENTUNE_BIN", str(ROOT / ".build" / "debug" / "lentune"))
PASSWORD = "browser-test-password"
BROWSER_DATABASE = os.environ.get("LENTUNE_BROWSER_DATABASE", "sqlite")
CREATED_DATABASES = []


def database_url(folder, sqlite_name: str = "lentune.sqlite") -> str:
    """The LENTUNE_DATABASE_URL for a server a test starts: a SQLite file in `folder`, or with
    LENTUNE_BROWSER_DATABASE=postgres a fresh PostgreSQL database."""
    if BROWSER_DATABASE == "sqlite":
        return f"sqlite://{Path(folder) / sqlite_name}"
    assert BROWSER_DATABASE == "postgres", f"LENTUNE_BROWSER_DATABASE is sqlite or postgres, not {BROWSER_DATABASE!r}"
    return fresh_postgres_database()


def fresh_postgres_database(prefix: str = "lentune_browser") -> str:
    """A new, empty database on the server of LENTUNE_TEST_POSTGRES_URL (dropped when the session ends)."""
    server = os.environ.get("LENTUNE_TEST_POSTGRES_URL", "")
    assert server.startswith("postgres"), "LENTUNE_TEST_POSTGRES_URL must name a PostgreSQL server (scripts/test starts one)"
    parts = urllib.parse.urlsplit(server)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    subprocess.run(["psql", urllib.parse.urlunsplit(parts._replace(path="/postgres")), "-qc", f"CREATE DATABASE {name}"],
                   check=True, timeout=60)
    CREATED_DATABASES.append((urllib.parse.urlunsplit(parts._replace(path="/postgres")), name))
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session", autouse=True)
def drop_created_databases():
    yield
    for admin, name in CREATED_DATABASES:
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], timeout=60,
                       capture_output=True)


def read_until(process: subprocess.Popen, marker: str, timeout: float = 60) -> str:
    """What `process` prints on stdout up to the line containing `marker` (read from the pipe itself, not through
    Python's buffer, so nothing else may read that pipe); fails when the process ends first or `timeout` passes,
    instead of waiting for ever on a process that died or fell silent."""
    fd = process.stdout.fileno()
    text = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in text or not text.split(marker.encode(), 1)[1].count(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {marker!r} within {timeout} s; printed: {text.decode(errors='replace')!r}")
        ready, _, _ = select.select([fd], [], [], min(left, 1.0))
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(
                    f"the process ended (status {process.poll()}) before printing {marker!r}: {text.decode(errors='replace')!r}")
            text += chunk
    return text.decode(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"lentune exited early with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"lentune did not become healthy at {url}")


class Server:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.env = dict(os.environ)
        self.env.update(
            LENTUNE_DATABASE_URL=database_url(workdir),
            LENTUNE_ENV="testing",
            LOG_LEVEL="warning",
        )
        self.env.pop("LENTUNE_DEMO_PASSWORD", None)
        self.process = None
        self.url = None

    def user(self, org: str, email: str, role: str) -> None:
        subprocess.run(
            [LENTUNE, "user", "create", "--org", org, "--email", email, "--role", role],
            input=PASSWORD + "\n", text=True, env=self.env, check=True, capture_output=True, timeout=60,
        )

    def start(self, *options: str) -> "Server":
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [LENTUNE, "serve", "--hostname", "127.0.0.1", "--port", str(port), *options],
            env=self.env, cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=open(self.workdir / "server.log", "w"),
        )
        wait_healthy(self.url, self.process)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture(scope="session")
def server():
    with tempfile.TemporaryDirectory(prefix="lentune-browser-") as tmp:
        s = Server(Path(tmp))
        s.user("Harbour Build Ltd", "admin@harbour.example", "administrator")
        s.user("Harbour Build Ltd", "ap@harbour.example", "ap_officer")
        s.user("Other Builders Ltd", "admin@other.example", "administrator")
        s.start()
        yield s
        s.stop()


@pytest.fixture(scope="session")
def demo():
    """`lentune demo` exactly as a newcomer runs it, on embedded defaults, in an empty folder."""
    with tempfile.TemporaryDirectory(prefix="lentune-demo-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LENTUNE_")}
        if BROWSER_DATABASE != "sqlite":
            env["LENTUNE_DATABASE_URL"] = database_url(tmp)
        port = free_port()
        process = subprocess.Popen(
            [LENTUNE, "demo", "--port", str(port)], env=env, cwd=tmp,
            stdout=subprocess.PIPE, stderr=open(Path(tmp) / "demo.log", "w"), text=True,
        )
        output = read_until(process, "API client:")
        url = re.search(r"running at (http://\S+)", output)
        email = re.search(r"administrator:\s+(\S+)", output)
        officer = re.search(r"AP officer:\s+(\S+)", output)
        password = re.search(r"password:\s+(\S+)", output)
        console = re.search(r"console:\s+(http://\S+)", output)
        assert url and email and officer and password and console, f"demo printed: {output!r}"
        yield {"url": url.group(1), "email": email.group(1), "officer": officer.group(1), "password": password.group(1),
               "console": console.group(1), "dir": Path(tmp)}
        process.terminate()
        process.wait(timeout=10)


def make_driver(javascript: bool = True):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900"):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


@pytest.fixture
def browser():
    driver = make_driver()
    yield driver
    driver.quit()


def wait_for(condition, what, timeout=45.0, interval=0.25):
    """Polls until `condition()` is truthy and returns it: a functional deadline, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def read_demo_banner(process: subprocess.Popen, timeout: float = 120) -> dict:
    """What `lentune demo` prints when it is up: its address, the administrator, the sandbox and its console."""
    text = read_until(process, "API client:", timeout)
    found = {key: re.search(pattern, text) for key, pattern in {
        "url": r"running at (http://\S+)", "email": r"administrator:\s+(\S+)",
        "sandbox": r"Procore sandbox: (http://\S+)", "console": r"console:\s+(http://\S+)"}.items()}
    assert all(found.values()), f"demo printed: {text!r}"
    banner = {key: match.group(1) for key, match in found.items()}
    person = re.search(r"API client:\s+(\S+) / (\S+)", text)
    if person:
        banner["person_id"], banner["person_secret"] = person.group(1), person.group(2)
    return banner


def api_token(env: dict, email: str, name: str = "test") -> str:
    """A bearer token for `email`, from `lentune user token`."""
    out = subprocess.run([LENTUNE, "user", "token", "--email", email, "--name", name], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return re.search(r"lt_[A-Za-z0-9_-]+", out).group(0)
