"""Reconcile, as an integration engineer runs it after an incident (issue 25): on the Integration log of a demo
connected to the sandbox, a lost push (its job gone) and a commitment another application changed in Procore are
found and repaired; then, on Procore purchase order, a hand-made duplicate (two Lentune POs for one commitment, the
shape a half-finished push followed by a switch used to leave) is found and merged. `lentune reconcile` agrees.

The demo runs in its own folder; the duplicate is made in its SQLite file directly, as a broken earlier version did.
"""
import json
import os
import sqlite3
import subprocess
import tempfile
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import LENTUNE, wait_for
from test_po_sync import start_demo
from test_purchase_orders import fill_line, set_source, sign_out
from test_shell import click_and_wait, sign_in


def create_approved_po(browser, demo, title, quantity, cost):
    browser.get(demo["url"] + "/purchase-orders")
    click_and_wait(browser, browser.find_element(By.ID, "new-purchase-order"))
    Select(browser.find_element(By.ID, "supplier")).select_by_visible_text("Placemakers Ltd")
    Select(browser.find_element(By.ID, "project")).select_by_visible_text("WSA-01 Wharf Street Apartments")
    browser.find_element(By.ID, "title").send_keys(title)
    fill_line(browser, 0, title, quantity, cost)
    click_and_wait(browser, browser.find_element(By.ID, "save-po"))
    assert not browser.find_elements(By.ID, "form-errors")
    url = browser.current_url.split("?")[0]  # the PO page opens with its "created" notice
    click_and_wait(browser, browser.find_element(By.ID, "submit"))
    if browser.find_elements(By.ID, "approve"):
        click_and_wait(browser, browser.find_element(By.ID, "approve"))
    assert browser.find_element(By.ID, "status").text == "Approved"
    return url, url.rstrip("/").split("/")[-1], browser.find_element(By.TAG_NAME, "h1").text.split()[-1]


def _try(attempt):
    try:
        return attempt()
    except AssertionError:
        return False


def sync_state(browser, url):
    browser.get(url)
    return browser.find_element(By.ID, "sync-state").text


class Procore:
    """The sandbox's REST API as another application uses it (the demo prints its client)."""

    def __init__(self, demo):
        self.base = demo["sandbox"].rstrip("/")
        body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": demo["person_id"],
                                       "client_secret": demo["person_secret"]}).encode()
        with urllib.request.urlopen(urllib.request.Request(self.base + "/oauth/token", data=body), timeout=30) as answer:
            self.token = json.load(answer)["access_token"]

    def call(self, method, path, body=None):
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Procore-Company-Id": "4242", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
            return json.loads(text) if text else None

    def project(self, number):
        return next(p["id"] for p in self.call("GET", "/rest/v1.1/projects?company_id=4242") if p["project_number"] == number)

    def commitment(self, project, origin):
        found = self.call("GET", f"/rest/v1.0/purchase_order_contracts?project_id={project}&filters[origin_id]={origin}")
        return found[0] if found else None


def faults(demo, document):
    request = urllib.request.Request(demo["sandbox"].rstrip("/") + "/_sandbox/faults", method="PUT",
                                     data=json.dumps(document).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).read()


def reconcile(browser, demo, repair=False):
    browser.get(demo["url"] + "/administration/integration-log")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#reconcile button"))
    if repair:
        click_and_wait(browser, browser.find_element(By.ID, "reconcile-repair"))
        assert "queued" in browser.find_element(By.ID, "reconcile-notice").text
    rows = browser.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
    return [row.text for row in rows]


def agrees(browser, demo):
    findings = reconcile(browser, demo)
    return not findings and "nothing lost, duplicated or diverged" in browser.page_source


def make_duplicate(database, number):
    """Two Lentune POs for one commitment: a copy read from Procore takes the commitment, the PO Lentune made loses it."""
    with sqlite3.connect(database, timeout=30) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(purchase_orders)")]
        original, commitment = db.execute("SELECT id, procore_commitment_id FROM purchase_orders WHERE number = ?", (number,)).fetchone()
        assert commitment, f"{number} is not paired with a commitment"
        copy = uuid.uuid4().bytes if isinstance(original, bytes) else str(uuid.uuid4()).upper()
        values = {"id": "?", "origin": "'procore'", "number": "number || ' · COPY'", "request_key": "NULL"}
        select = ", ".join(values.get(c, c) for c in columns)
        db.execute("UPDATE purchase_orders SET procore_commitment_id = NULL WHERE id = ?", (original,))
        db.execute(f"INSERT INTO purchase_orders ({', '.join(columns)}) SELECT {select} FROM purchase_orders WHERE id = ?", (copy, original))
        db.execute("UPDATE purchase_orders SET procore_commitment_id = ? WHERE id = ?", (commitment, copy))
        line_columns = [row[1] for row in db.execute("PRAGMA table_info(purchase_order_lines)")]
        for (line,) in db.execute("SELECT id FROM purchase_order_lines WHERE purchase_order_id = ?", (original,)).fetchall():
            new = uuid.uuid4().bytes if isinstance(line, bytes) else str(uuid.uuid4()).upper()
            select = ", ".join({"id": "?", "purchase_order_id": "?"}.get(c, c) for c in line_columns)
            db.execute(f"INSERT INTO purchase_order_lines ({', '.join(line_columns)}) SELECT {select} FROM purchase_order_lines WHERE id = ?",
                       (new, copy, line))


def test_reconcile_finds_and_repairs_a_lost_push_a_drifted_commitment_and_a_duplicate(browser):
    with tempfile.TemporaryDirectory(prefix="lentune-reconcile-") as tmp:
        process, demo = start_demo(tmp)
        try:
            set_source(browser, demo, lentune=True, procore=False)
            sign_in(browser, demo["url"], demo["email"], demo["password"])
            assert agrees(browser, demo), "a freshly connected demo must reconcile clean"

            # A PO sent to Procore, then changed there by another application: drift, shown, never read back.
            drifting_url, drifting_id, drifting = create_approved_po(browser, demo, "Drifting formwork", "3", "120")
            wait_for(lambda: "Synced" in sync_state(browser, drifting_url), f"{drifting} synced")
            procore = Procore(demo)
            project = procore.project("WSA-01")
            commitment = procore.commitment(project, drifting_id)
            procore.call("PATCH", f"/rest/v1.0/purchase_order_contracts/{commitment['id']}?project_id={project}",
                         {"purchase_order_contract": {"status": "Draft"}})
            # On Lentune purchase order Procore sends no commitment webhooks: the sweep finds the change.
            def swept_and_changed():
                browser.get(demo["url"] + "/administration/integration-log")
                click_and_wait(browser, browser.find_element(By.ID, "sweep-now"))
                return wait_for(lambda: "Changed in Procore" in sync_state(browser, drifting_url), "the sweep's drift check", timeout=20)
            wait_for(lambda: _try(swept_and_changed), f"{drifting} shown as changed in Procore", timeout=120, interval=1)
            assert browser.find_elements(By.XPATH, "//button[normalize-space()=\"Send Lentune's version\"]")

            # A PO whose push was lost: Procore is down while it is approved, and its job is lost from the outbox.
            faults(demo, {"errorRates": {"*": 1.0}})
            lost_url, lost_id, lost = create_approved_po(browser, demo, "Lost scaffold hire", "2", "80")
            database = Path(tmp) / "lentune-demo.sqlite"

            def job_deleted():
                with sqlite3.connect(database, timeout=30) as db:
                    if db.execute("SELECT COUNT(*) FROM outbox_jobs WHERE kind = 'po.push' AND state = 'running'").fetchone()[0]:
                        return False
                    db.execute("DELETE FROM outbox_jobs WHERE kind = 'po.push' AND state = 'pending'")
                    return db.execute("SELECT COUNT(*) FROM outbox_jobs WHERE kind = 'po.push' AND state IN ('pending', 'running')").fetchone()[0] == 0
            wait_for(job_deleted, "the lost push's job removed")
            faults(demo, {})
            assert procore.commitment(project, lost_id) is None

            findings = reconcile(browser, demo)
            assert any(f.startswith("Lost") and lost in f for f in findings), findings
            assert any(f.startswith("Diverged") and drifting in f and "Draft in Procore" in f for f in findings), findings
            reconcile(browser, demo, repair=True)
            wait_for(lambda: procore.commitment(project, lost_id) is not None, f"{lost} pushed by the repair")
            wait_for(lambda: procore.commitment(project, drifting_id)["status"] == "Approved", f"{drifting} put right in Procore")
            wait_for(lambda: agrees(browser, demo), "Lentune and Procore agree after the repairs")

            # On Procore purchase order: a hand-made duplicate of the commitment is found and merged.
            sign_out(browser)
            set_source(browser, demo, lentune=False, procore=True)
            sign_in(browser, demo["url"], demo["email"], demo["password"])
            wait_for(lambda: agrees(browser, demo), "the import reconciles clean")
            make_duplicate(database, drifting)
            findings = reconcile(browser, demo)
            assert any(f.startswith("Duplicated") and drifting in f and "COPY" in f for f in findings), findings
            reconcile(browser, demo, repair=True)
            wait_for(lambda: agrees(browser, demo), "the duplicate merged")
            with sqlite3.connect(database, timeout=30) as db:
                assert db.execute("SELECT COUNT(*) FROM purchase_orders WHERE number LIKE '% · COPY'").fetchone()[0] == 0

            # The command agrees with the page.
            env = {k: v for k, v in os.environ.items() if not k.startswith("LENTUNE_")}
            env["LENTUNE_DATABASE_URL"] = f"sqlite://{database}"
            result = subprocess.run([LENTUNE, "reconcile", "--company", "4242"], env=env, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stdout + result.stderr
            assert "lost 0, duplicated 0, diverged 0" in result.stdout
        finally:
            process.terminate()
            process.wait(timeout=20)
