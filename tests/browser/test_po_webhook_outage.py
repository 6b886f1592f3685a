"""Lentune down while Procore changes a commitment (issue 14): the sandbox (`lentune sandbox`, its own process)
pauses the hook and retries; when `lentune serve` is back the delivery arrives and the PO appears. A delivery the
sandbox discards after its retry window (12 h in Procore, 12 s here through `webhook_time_scale`) is caught by the
sweep `lentune serve` runs when it starts.
"""
import json
import os
import re
import subprocess
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from conftest import LENTUNE, PASSWORD, api_token, database_url, free_port, read_until, wait_for, wait_healthy

COMPANY = 4242
ADMIN = "admin@outage.example"


def call(method, url, token=None, body=None, form=None):
    headers = {"Accept": "application/json"}
    data = None
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
        return json.loads(text) if text.startswith(("{", "[")) else text


def test_deliveries_during_an_outage_are_retried_and_discarded_ones_are_swept():
    with tempfile.TemporaryDirectory(prefix="lentune-outage-") as tmp:
        tmp = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LENTUNE_")}
        port = free_port()
        env.update(LENTUNE_DATABASE_URL=database_url(tmp), LENTUNE_ENV="testing", LOG_LEVEL="warning",
                   LENTUNE_PUBLIC_URL=f"http://127.0.0.1:{port}")
        sandbox = subprocess.Popen([LENTUNE, "sandbox", "--port", "0", "--client-id", "outage-app", "--client-secret", "outage-secret"],
                                   env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        serve = None

        def start_lentune():
            process = subprocess.Popen([LENTUNE, "serve", "--hostname", "127.0.0.1", "--port", str(port)], env=env, cwd=tmp,
                                       stdout=subprocess.DEVNULL, stderr=open(tmp / "serve.log", "a"))
            wait_healthy(f"http://127.0.0.1:{port}", process)
            return process

        def stop(process):
            process.terminate()
            process.wait(timeout=20)

        try:
            api = re.search(r"API base URL:\s+(\S+)", read_until(sandbox, "Press Ctrl-C")).group(1)
            # Procore's 12 h retry window becomes 12 s, its backoff (1 s … 1 h) 0.3 ms … 1 s.
            settings = call("GET", api + "/_sandbox/settings")
            settings["webhook_time_scale"] = 3600
            call("PUT", api + "/_sandbox/settings", body=settings)

            subprocess.run([LENTUNE, "user", "create", "--org", "Outage Builders Ltd", "--email", ADMIN, "--role", "administrator"],
                           input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True, timeout=60)
            subprocess.run([LENTUNE, "procore", "connect", "--admin", ADMIN, "--client-id", "outage-app", "--environment", "custom",
                            "--auth-base-url", api, "--api-base-url", api, "--company-id", str(COMPANY)],
                           input="outage-secret\n", text=True, env=env, check=True, capture_output=True, timeout=60)
            token = api_token(env, ADMIN, "outage")
            serve = start_lentune()
            base = f"http://127.0.0.1:{port}"

            # Link the company on Procore purchase order; wait for its import and its webhook hook.
            company = next(c for c in call("GET", base + "/api/v1/procore/companies", token)["data"] if c["procore_company_id"] == COMPANY)
            call("PUT", f"{base}/api/v1/procore/companies/{company['id']}", token, {
                "linked": True, "lentune_purchase_order": False, "procore_purchase_order": True,
                "project_stages": ["Course of Construction"], "rounding_tolerance": "0.05", "version": company["version"]})
            wait_for(lambda: any(p["procore_id"] for p in call("GET", base + "/api/v1/projects", token)["data"]), "the project import")
            wait_for(lambda: call("GET", api + "/_sandbox/state")["hooks"], "the webhook hook")
            # The commitment triggers are on each project's hook, and the registration that adds them reads the
            # commitments again (subscribe, then read): wait for that import too, so what arrives below arrives by
            # webhook, not by that import.
            def finished(kind):
                jobs = call("GET", base + "/api/v1/sync/jobs?kind=" + kind, token)["data"]
                return jobs and all(j["state"] in ("done", "failed", "cancelled") for j in jobs)

            wait_for(lambda: finished("hooks.register"), "the hooks' registration")
            wait_for(lambda: finished("po.import"), "the imports of the commitments")
            state = call("GET", api + "/_sandbox/state")
            project = next(p for p in state["projects"] if p.get("projectNumber") == "WSA-01")
            vendor = next(v for v in state["vendors"] if v["companyID"] == COMPANY)
            budget = next(c for c in state["wbsCodes"] if c["projectID"] == project["id"])

            def create_commitment(title):
                call("POST", api + "/_sandbox/console/commitments", form={
                    "project_id": project["id"], "vendor_id": vendor["id"], "title": title, "status": "Approved",
                    "line_description": "Hire", "line_amount": "500.00", "wbs_code_id": budget["id"]})
                return next(c for c in call("GET", api + "/_sandbox/state")["purchaseOrders"] if c.get("title") == title)["id"]

            def deliveries(commitment):
                return [d for d in call("GET", api + "/_sandbox/state")["deliveries"]
                        if d["resourceName"] == "Purchase Order Contracts" and f'"resource_id":{commitment}' in d["payload"].replace(" ", "")]

            def in_lentune(title):
                page = call("GET", base + "/api/v1/purchase-orders?source=procore&per_page=200&q=" + urllib.parse.quote(title), token)
                return [p for p in page["data"] if p["title"] == title]

            # A. Lentune is down for a few seconds: the sandbox retries the delivery, which arrives once it is back.
            stop(serve)
            first = create_commitment("During the outage")
            wait_for(lambda: any(d["status"] == "retrying" for d in deliveries(first)), "the sandbox retrying the delivery", timeout=30)
            serve = start_lentune()
            wait_for(lambda: in_lentune("During the outage"), "the retried delivery's PO in Lentune", timeout=60)
            # The PO may arrive first by the import that the restarted worker's hook registration queues ("subscribe,
            # then read"); the sandbox's retry still delivers once Lentune is back.
            wait_for(lambda: any(d["status"] == "delivered" for d in deliveries(first)), "the retried delivery delivered", timeout=60)

            # B. Down longer than the retry window: the sandbox discards the delivery; the sweep finds the commitment.
            stop(serve)
            second = create_commitment("Discarded delivery")
            wait_for(lambda: deliveries(second) and all(d["status"] == "discarded" for d in deliveries(second)),
                     "the sandbox discarding the delivery", timeout=60)
            # No attempt of it ever succeeded; Lentune's sweep (run when `lentune serve` starts, then every 15 minutes,
            # and on Sweep now) reads what changed while it was away.
            assert not any(a["success"] for d in deliveries(second) for a in d["attempts"])
            serve = start_lentune()
            wait_for(lambda: in_lentune("Discarded delivery"), "the sweep's read of the discarded commitment", timeout=60)
            assert all(d["status"] == "discarded" for d in deliveries(second))
        except Exception:
            try:
                for d in call("GET", api + "/_sandbox/state")["deliveries"][-4:]:
                    print(d["resourceName"], d["status"], len(d["attempts"]), d["payload"][:300])
            except Exception as error:
                print("no state:", error)
            if (tmp / "serve.log").exists():
                print((tmp / "serve.log").read_text()[-4000:])
            raise
        finally:
            for process in (serve, sandbox):
                if process and process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        process.kill()
