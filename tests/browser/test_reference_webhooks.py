"""Reference data by webhook, end to end over real HTTP (issue 13): `lentune demo` links its Procore company (the
sandbox registers Lentune's webhook), a project is moved into and out of an accepted stage through the sandbox's
Procore API, the sandbox delivers the webhook to Lentune, the worker imports, and /api/v1/projects shows it; a
webhook the sandbox drops is caught by the sweep an administrator starts from the Integration log.

The demo runs in its own folder so the other browser tests' demo is not disturbed.
"""
import json
import os
import re
import subprocess
import tempfile
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from conftest import LENTUNE, api_token, database_url, free_port, read_demo_banner, wait_for

COMPANY = "4242"


def request(method, url, headers=None, body=None):
    data = None
    headers = dict(headers or {})
    if isinstance(body, dict):
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif isinstance(body, str):
        data = body.encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.load(response)


def test_a_project_entering_and_leaving_an_accepted_stage_arrives_by_webhook():
    with tempfile.TemporaryDirectory(prefix="lentune-reference-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LENTUNE_")}
        env["LENTUNE_DEMO_PASSWORD"] = "reference-test-password"
        env["LENTUNE_DATABASE_URL"] = database_url(tmp, "lentune-demo.sqlite")
        port = free_port()
        demo = subprocess.Popen([LENTUNE, "demo", "--port", str(port)], env=env, cwd=tmp, text=True,
                                stdout=subprocess.PIPE, stderr=open(Path(tmp) / "demo.log", "w"))
        try:
            banner = read_demo_banner(demo)
            base, sandbox = banner["url"], banner["sandbox"]
            token = api_token(env, "admin@demo.lentune.test", "reference")

            def projects():
                page = request("GET", base + "/api/v1/projects?per_page=200", {"Authorization": "Bearer " + token})
                return {p["procore_id"]: p for p in page["data"] if p["procore_id"] is not None}

            # The demo's first import has run: the three projects under construction are linked.
            before = projects()
            assert len(before) == 3 and all(p["active"] for p in before.values())

            # Another Procore app (a second service account) moves TPO-04 from Pre-Construction into construction.
            request("POST", sandbox + "/_sandbox/oauth/clients",
                    body={"client_id": "other-app", "client_secret": "other-secret", "company_ids": [int(COMPANY)]})
            access = request("POST", sandbox + "/oauth/token", body=urllib.parse.urlencode(
                {"grant_type": "client_credentials", "client_id": "other-app", "client_secret": "other-secret"}))["access_token"]
            procore = {"Authorization": "Bearer " + access, "Procore-Company-Id": COMPANY}
            stages = {s["name"]: s["id"] for s in request(
                "GET", f"{sandbox}/rest/v1.0/companies/{COMPANY}/project_stages", procore)}
            tpo = next(p["id"] for p in request("GET", f"{sandbox}/rest/v1.0/companies/{COMPANY}/projects", procore)
                       if p["project_number"] == "TPO-04")
            assert tpo not in before

            def move(stage, project=tpo):
                request("PATCH", f"{sandbox}/rest/v1.0/projects/{project}?company_id={COMPANY}", procore,
                        {"project": {"project_stage_id": stages[stage]}})

            move("Course of Construction")
            arrived = wait_for(lambda: projects().get(tpo), "the webhook import of TPO-04")
            assert arrived["code"] == f"PROCORE{tpo}" and arrived["name"] == "Te Papa Offices Fit-out"
            assert arrived["active"] and arrived["source"] == "procore"

            # Leaving the accepted stages keeps the project (POs may point at it) and marks it inactive.
            move("Completed")
            wait_for(lambda: projects()[tpo]["active"] is False, "the webhook deactivation of TPO-04")
            assert len(projects()) == 4

            # A webhook that never arrives: the sandbox discards the next delivery unsent (as Procore does after 12 h
            # of failures). RCL-05 enters construction, Lentune hears nothing, and the sweep finds it.
            rcl = next(p["id"] for p in request("GET", f"{sandbox}/rest/v1.0/companies/{COMPANY}/projects", procore)
                       if p["project_number"] == "RCL-05")
            request("PUT", sandbox + "/_sandbox/faults", body={"drop_webhooks": 1})
            move("Course of Construction", project=rcl)
            wait_for(lambda: request("GET", sandbox + "/_sandbox/faults").get("drop_webhooks", 0) == 0,
                     "the sandbox discarding the delivery")
            # The sender's own record says it never went out: discarded with no attempt (no waiting on Lentune to
            # show nothing happened).
            dropped = [d for d in request("GET", sandbox + "/_sandbox/state")["deliveries"]
                       if d["resourceName"] == "Projects" and f'"resource_id":{rcl}' in d["payload"].replace(" ", "")]
            assert dropped and all(d["status"] == "discarded" and not d["attempts"] for d in dropped), dropped
            assert rcl not in projects(), "the dropped webhook reached Lentune"

            # An administrator presses Sweep on the Integration log.
            jar = CookieJar()
            browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            form = {"Content-Type": "application/x-www-form-urlencoded"}

            def page(path, body=None):
                req = urllib.request.Request(base + path, data=body.encode() if body else None, headers=form if body else {},
                                             method="POST" if body else "GET")
                with browser.open(req, timeout=10) as response:
                    return response.read().decode()

            csrf = re.search(r'name="_csrf" value="([^"]+)"', page("/sign-in")).group(1)
            page("/sign-in", urllib.parse.urlencode(
                {"_csrf": csrf, "email": "admin@demo.lentune.test", "password": env["LENTUNE_DEMO_PASSWORD"]}))
            csrf = re.search(r'name="_csrf" value="([^"]+)"', page("/administration/integration-log")).group(1)
            page("/administration/integration-log/sweep", urllib.parse.urlencode({"_csrf": csrf}))
            swept = wait_for(lambda: projects().get(rcl), "the sweep's import of RCL-05")
            assert swept["active"] and swept["source"] == "procore"
        finally:
            demo.terminate()
            try:
                demo.wait(timeout=10)
            except subprocess.TimeoutExpired:
                demo.kill()
