"""Purchase orders both ways through a real browser (issue 14): on Lentune purchase order, a PO approved in Lentune
appears in the sandbox's console as an approved commitment with its origin_id, and a revision of it (edited, approved
again) brings the same commitment to the new amount; switched to Procore purchase order, a
commitment created in the console arrives in Lentune's PO list by webhook, and New Purchase Order is not accessible.

The demo runs in its own folder, so the other browser tests' demo is not disturbed.
"""
import os
import re
import subprocess
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import LENTUNE, database_url, free_port, read_demo_banner, wait_for
from test_purchase_orders import fill_line, set_source, sign_out
from test_shell import click_and_wait, sign_in

PASSWORD = "po-sync-test-password"


def start_demo(tmp):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LENTUNE_")}
    env["LENTUNE_DEMO_PASSWORD"] = PASSWORD
    env["LENTUNE_DATABASE_URL"] = database_url(tmp, "lentune-demo.sqlite")
    demo = subprocess.Popen([LENTUNE, "demo", "--port", str(free_port())], env=env, cwd=tmp, text=True,
                            stdout=subprocess.PIPE, stderr=open(Path(tmp) / "demo.log", "w"))
    return demo, {**read_demo_banner(demo), "password": PASSWORD}


def test_a_po_goes_to_procore_and_a_commitment_comes_to_lentune(browser):
    with tempfile.TemporaryDirectory(prefix="lentune-po-sync-") as tmp:
        process, demo = start_demo(tmp)
        try:
            # Lentune purchase order: a PO raised and approved in Lentune is sent to Procore.
            set_source(browser, demo, lentune=True, procore=False)
            sign_in(browser, demo["url"], demo["email"], demo["password"])
            browser.get(demo["url"] + "/purchase-orders")
            click_and_wait(browser, browser.find_element(By.ID, "new-purchase-order"))
            Select(browser.find_element(By.ID, "supplier")).select_by_visible_text("Placemakers Ltd")
            Select(browser.find_element(By.ID, "project")).select_by_visible_text("WSA-01 Wharf Street Apartments")
            browser.find_element(By.ID, "title").send_keys("Scaffold hire, level 3")
            fill_line(browser, 0, "Scaffold hire", "2", "50")
            click_and_wait(browser, browser.find_element(By.ID, "save-po"))
            assert not browser.find_elements(By.ID, "form-errors")
            po_url = browser.current_url.split("?")[0]  # the PO page opens with its "created" notice
            po_id = po_url.rstrip("/").split("/")[-1]
            number = browser.find_element(By.TAG_NAME, "h1").text.split()[-1]
            click_and_wait(browser, browser.find_element(By.ID, "submit"))
            if browser.find_elements(By.ID, "approve"):
                click_and_wait(browser, browser.find_element(By.ID, "approve"))
            assert browser.find_element(By.ID, "status").text == "Approved"

            def in_console(text):
                browser.get(demo["console"])
                return text in browser.page_source

            wait_for(lambda: in_console(po_id), "the commitment in the sandbox console")
            row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "table[id^='commitments-'] tbody tr") if po_id in r.text)
            assert number in row.text and "Approved" in row.text and "Placemakers" in row.text
            # 2 × 50.00, excluding GST: 100, not 115. Whole numbers only, because the row also shows the PO's origin_id
            # (a UUID), whose hex digits may contain either.
            assert re.search(r"\b100(\.00)?\b", row.text) and not re.search(r"\b115(\.00)?\b", row.text)

            def synced():
                browser.get(po_url)
                return "✓ Synced" in browser.find_element(By.ID, "procore-sync").text

            wait_for(synced, "the PO page showing it synced")
            assert browser.find_elements(By.CSS_SELECTOR, "#procore-commitment")

            # Revised after it was sent: back to draft (Procore keeps the approved version meanwhile), approved again,
            # and the same commitment in the console carries the new amount.
            click_and_wait(browser, browser.find_element(By.ID, "edit"))
            quantity = browser.find_element(By.NAME, "lines[0][quantity]")
            quantity.clear()
            quantity.send_keys("3")
            click_and_wait(browser, browser.find_element(By.ID, "save-po"))
            assert not browser.find_elements(By.ID, "form-errors")
            assert browser.find_element(By.ID, "status").text == "Draft"
            assert "Procore has the version approved before this edit" in browser.find_element(By.ID, "procore-sync").text
            click_and_wait(browser, browser.find_element(By.ID, "submit"))
            if browser.find_elements(By.ID, "approve"):
                click_and_wait(browser, browser.find_element(By.ID, "approve"))
            assert browser.find_element(By.ID, "status").text == "Approved"

            def revised_in_console():
                browser.get(demo["console"])
                rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "table[id^='commitments-'] tbody tr") if po_id in r.text]
                return len(rows) == 1 and re.search(r"\b150(\.00)?\b", rows[0]) and "Approved" in rows[0]

            wait_for(revised_in_console, "the revised commitment (3 × 50.00) in the sandbox console")
            wait_for(synced, "the PO page showing the revision synced")
            sign_out(browser)

            # Procore purchase order: a commitment created "in Procore" (the console) arrives in Lentune.
            set_source(browser, demo, lentune=False, procore=True)
            browser.get(demo["console"])
            form = browser.find_element(By.CSS_SELECTOR, "form[id^='new-commitment-']")
            Select(form.find_element(By.NAME, "project_id")).select_by_visible_text("WSA-01 Wharf Street Apartments")
            form.find_element(By.NAME, "title").send_keys("Console commitment: cranes")
            Select(form.find_element(By.NAME, "status")).select_by_visible_text("Approved")
            form.find_element(By.NAME, "line_description").send_keys("Crane hire")
            form.find_element(By.NAME, "line_amount").send_keys("1234.50")
            budget = Select(form.find_element(By.NAME, "wbs_code_id"))
            budget.select_by_visible_text(next(o.text for o in budget.options if o.text.startswith("WSA-01: ")))
            click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type='submit']"))
            assert "created" in browser.find_element(By.CLASS_NAME, "notice").text

            sign_in(browser, demo["url"], "ap@demo.lentune.test", demo["password"])

            def listed():
                browser.get(demo["url"] + "/purchase-orders?source=procore&q=Console+commitment")
                return browser.find_elements(By.CSS_SELECTOR, "#purchase-orders tbody a")

            links = wait_for(listed, "the console's commitment in Lentune's PO list")
            assert len(links) == 1
            button = browser.find_element(By.ID, "new-purchase-order")
            assert button.tag_name == "button" and not button.is_enabled()
            click_and_wait(browser, links[0])
            assert "Console commitment: cranes" in browser.find_element(By.ID, "main").text
            assert browser.find_element(By.ID, "source").text == "Source: Procore"
            assert "1,234.50" in browser.find_element(By.ID, "total-excl").text
            assert browser.find_elements(By.ID, "sync-refresh") and not browser.find_elements(By.ID, "edit")
            sign_out(browser)

            # The company row shows how the import of its commitments went.
            sign_in(browser, demo["url"], demo["email"], demo["password"])
            browser.get(demo["url"] + "/administration/settings/procore")
            progress = browser.find_element(By.CSS_SELECTOR, ".import-progress").text
            assert re.search(r"Purchase orders: \d+ read from Procore", progress), progress
        except Exception:
            print((Path(tmp) / "demo.log").read_text()[-6000:])
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
