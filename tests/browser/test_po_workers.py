"""Two `lentune worker` processes on one PostgreSQL database push Lentune POs to Procore; one is killed with SIGKILL
mid-batch and restarted (issue 14). Every PO must end as exactly one commitment in the sandbox with its lines.

`lentune demo --no-worker` owns the sandbox and the web API; the workers share its PostgreSQL database (a fresh
database on the server of LENTUNE_TEST_POSTGRES_URL) and its (development) secret key.
"""
import json
import os
import re
import signal
import subprocess
import tempfile
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import LENTUNE, api_token, free_port, read_demo_banner, wait_for

POS = 120
SERVER = os.environ.get("LENTUNE_TEST_POSTGRES_URL", "")


def call(method, url, token=None, body=None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@pytest.mark.skipif(not SERVER.startswith("postgres"), reason="needs LENTUNE_TEST_POSTGRES_URL (scripts/test starts one)")
def test_two_workers_and_a_killed_one_push_each_po_exactly_once():
    parts = urllib.parse.urlsplit(SERVER)
    name = "lentune_workers_" + uuid.uuid4().hex[:8]
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    database = urllib.parse.urlunsplit(parts._replace(path="/" + name))
    with tempfile.TemporaryDirectory(prefix="lentune-workers-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LENTUNE_")}
        env.update({"LENTUNE_DATABASE_URL": database, "LENTUNE_DEMO_PASSWORD": "workers-test-password"})
        demo = subprocess.Popen([LENTUNE, "demo", "--port", str(free_port()), "--no-worker"], env=env, cwd=tmp, text=True,
                                stdout=subprocess.PIPE, stderr=open(Path(tmp) / "demo.log", "w"))
        workers = []

        def start_worker(label):
            log = open(Path(tmp) / f"worker-{label}.log", "w")
            return subprocess.Popen([LENTUNE, "worker", "--concurrency", "4", "--lease-seconds", "15"], env=env, cwd=tmp,
                                    stdout=log, stderr=subprocess.STDOUT)

        try:
            banner = read_demo_banner(demo)
            base, sandbox = banner["url"], banner["sandbox"]
            token = api_token(env, "admin@demo.lentune.test", "workers")

            # The company on Lentune purchase order.
            company = call("GET", base + "/api/v1/procore/companies", token)["data"][0]
            call("PUT", f"{base}/api/v1/procore/companies/{company['id']}", token, {
                "linked": True, "lentune_purchase_order": True, "procore_purchase_order": False,
                "project_stages": company["project_stages"], "rounding_tolerance": company["rounding_tolerance"],
                "version": company["version"]})

            # POS approved POs on WSA-01, two lines each, coded to Procore's cost codes.
            project = next(p for p in call("GET", base + "/api/v1/projects?per_page=200", token)["data"] if p["code"] == "WSA-01")
            codes = [c for c in call("GET", f"{base}/api/v1/cost-codes?project={project['id']}&per_page=200", token)["data"]
                     if c["procore_id"] is not None]
            cost_type = next(t for t in call("GET", base + "/api/v1/cost-types", token)["data"] if t["code"] == "M")
            supplier = next(s for s in call("GET", base + "/api/v1/suppliers", token)["data"] if s["name"] == "Placemakers Ltd")
            ids = []
            for index in range(POS):
                po = call("POST", base + "/api/v1/purchase-orders", token, {
                    "supplier_id": supplier["id"], "project_id": project["id"], "title": f"Worker test {index}",
                    "lines": [{"description": f"Line {n}", "cost_code_id": codes[n % len(codes)]["id"], "cost_type_id": cost_type["id"],
                               "quantity": str(n + 1), "unit_cost": "10.50"} for n in range(2)]})
                assert call("POST", f"{base}/api/v1/purchase-orders/{po['id']}/submit", token)["status"] == "approved"
                ids.append(po["id"].lower())

            def commitments():
                state = call("GET", sandbox + "/_sandbox/state")
                ours = [c for c in state["purchaseOrders"] if c.get("originID") in ids and c.get("deletedAt") is None]
                return state, ours

            # Two workers; one is killed with SIGKILL while it holds a batch, then started again.
            workers = [start_worker("a"), start_worker("b")]

            def sql(query):
                return subprocess.run(["psql", database, "-Atc", query], capture_output=True, text=True, check=True).stdout.strip()

            name_a = wait_for(lambda: re.search(r"Lentune worker (\S+) is running", (Path(tmp) / "worker-a.log").read_text()),
                              "worker a to start").group(1)
            held = f"SELECT id FROM outbox_jobs WHERE state = 'running' AND locked_by = '{name_a}'"
            wait_for(lambda: sql(held), "worker a to hold a batch", timeout=60, interval=0.05)
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=10)
            orphaned = sql(held).split()
            killed_at = len(commitments()[1])
            workers[0] = start_worker("a-again")

            def all_synced():
                page = call("GET", base + "/api/v1/purchase-orders?sync=synced&per_page=200", token)
                return len([p for p in page["data"] if p["id"].lower() in ids]) == POS

            wait_for(all_synced, "every PO synced", timeout=300)
            # The jobs the killed worker held were taken over after their lease and finished. A PO can show synced
            # before its job does: the killed worker may have pushed it (and recorded it synced) without living to
            # mark the job done, so the job runs again after its lease, changing nothing (CI met it running once).
            assert orphaned, "worker a held no job when it was killed"
            states = f"SELECT DISTINCT state FROM outbox_jobs WHERE id IN ({', '.join(repr(i) for i in orphaned)})"
            wait_for(lambda: sql(states) == "done", "the killed worker's jobs to be taken over and done", timeout=120)
            state, ours = commitments()
            origins = [c["originID"] for c in ours]
            assert len(origins) == POS and len(set(origins)) == POS, (len(origins), len(set(origins)), killed_at)
            for commitment in ours:
                assert commitment["status"] == "Approved"
                commitment_lines = [l for l in state["poLineItems"] if l["holderID"] == commitment["id"] and l.get("deletedAt") is None]
                assert len(commitment_lines) == 2, commitment["number"]
                assert sorted(float(l["amount"]) for l in commitment_lines) == [10.5, 21.0]
        except Exception:
            jobs = subprocess.run(["psql", database, "-Atc", "SELECT kind, state, count(*), max(last_error) FROM outbox_jobs GROUP BY 1, 2"],
                                  capture_output=True, text=True).stdout
            print("--- outbox\n" + jobs)
            for log in sorted(Path(tmp).glob("*.log")):
                print(f"--- {log.name}\n" + log.read_text()[-3000:])
            raise
        finally:
            for process in workers + [demo]:
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        process.kill()
            subprocess.run(["psql", admin_url, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)
