"""Supplier invoices through a real browser (issue 15): capture (with the PDF) → Checked → Approve → posted, in each
of the three modes, with the destination read back from the sandbox through Procore's API as any Procore client would:
- neither box ticked: a Direct Cost of type invoice with its vendor, line, amount and tax code;
- Lentune purchase order: a Subcontractor Invoice (requisition) on the commitment of the PO pushed from Lentune;
- Procore purchase order: a requisition on a commitment imported from Procore, allocated on the invoice page.
"""
import json
import re
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import wait_for
from test_po_sync import start_demo
from test_purchase_orders import fill_line, set_source, sign_out
from test_shell import click_and_wait, sign_in

PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")


def procore(demo, path):
    """GET on the sandbox as another Procore client (the demo's `demo-person` service account)."""
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": demo["person_id"],
                                   "client_secret": demo["person_secret"]}).encode()
    with urllib.request.urlopen(urllib.request.Request(demo["sandbox"] + "/oauth/token", data=form), timeout=10) as response:
        token = json.load(response)["access_token"]
    request = urllib.request.Request(demo["sandbox"] + path, headers={"Authorization": "Bearer " + token, "Procore-Company-Id": "4242"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wsa_project(demo):
    return next(p["id"] for p in procore(demo, "/rest/v1.0/projects?company_id=4242") if p.get("project_number") == "WSA-01")


def set_value(browser, element_id, value):
    """Date inputs are typed in the browser's locale; set the ISO value the form posts."""
    browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, element_id), value)


def type_into(field, text):
    """Types `text` into a field of the invoice page, and again if it did not all arrive: the page's PDF loads in an
    iframe, and Chromium's PDF viewer can take the keyboard focus mid-typing (the allocation then went unsaved as
    "Allocated: 0.00", once in CI and once in a local run of the whole suite)."""
    for _ in range(3):
        field.clear()
        field.send_keys(text)
        if field.get_attribute("value") == text:
            return
    assert field.get_attribute("value") == text, field.get_attribute("value")


def capture(browser, demo, pdf_path, number, amount, tax, supplier=None, po_number=None):
    """Fills the New invoice form (one line on WSA-01) and saves it; answers the invoice page's address."""
    browser.get(demo["url"] + "/invoices")
    click_and_wait(browser, browser.find_element(By.ID, "new-invoice"))
    if supplier:
        Select(browser.find_element(By.ID, "supplier")).select_by_visible_text(supplier)
    browser.find_element(By.ID, "number").send_keys(number)
    set_value(browser, "invoice_date", "2026-11-28")
    set_value(browser, "due_date", "2026-12-20")
    total = f"{float(amount) + float(tax):.2f}"
    browser.find_element(By.ID, "total_excluding_tax").send_keys(amount)
    browser.find_element(By.ID, "total_including_tax").send_keys(total)
    if po_number:
        browser.find_element(By.ID, "purchase_order_number").send_keys(po_number)
    else:
        Select(browser.find_element(By.ID, "project")).select_by_visible_text("WSA-01 Wharf Street Apartments")
    Select(browser.find_element(By.ID, "approver")).select_by_index(1)
    browser.find_element(By.NAME, "lines[0][description]").send_keys("Work to " + number)
    codes = Select(browser.find_element(By.NAME, "lines[0][cost_code]"))
    codes.select_by_visible_text(next(o.text for o in codes.options if o.text.startswith("WSA-01 · 01-100")))
    Select(browser.find_element(By.NAME, "lines[0][cost_type]")).select_by_visible_text("M Materials")
    Select(browser.find_element(By.NAME, "lines[0][tax_code]")).select_by_visible_text("GST 15%")
    browser.find_element(By.NAME, "lines[0][amount]").send_keys(amount)
    # The GST is worked out as the amount is typed (issue 29); typed over here, as a person would to change it.
    gst = browser.find_element(By.NAME, "lines[0][tax]")
    gst.clear()
    gst.send_keys(tax)
    browser.find_element(By.ID, "document").send_keys(str(pdf_path))
    click_and_wait(browser, browser.find_element(By.ID, "save-invoice"))
    assert not browser.find_elements(By.ID, "form-errors"), browser.find_element(By.ID, "form-errors").text
    assert browser.find_elements(By.ID, "status"), browser.page_source[:3000]
    assert browser.find_element(By.ID, "status").text == "Unchecked"
    assert browser.find_elements(By.ID, "invoice-pdf")
    return browser.current_url.split("?")[0]


def check_approve_and_wait_posted(browser, url):
    click_and_wait(browser, browser.find_element(By.ID, "check"))
    assert browser.find_element(By.ID, "status").text == "Awaiting approval", browser.page_source[:2000]
    click_and_wait(browser, browser.find_element(By.ID, "approve"))
    assert browser.find_element(By.ID, "status").text in ("Approved", "Posted")

    def posted():
        # The page reads the invoice, then its posting: a post landing between the two reads shows ✓ beside
        # "Approved" once, so both are waited for.
        browser.get(url)
        return "✓" in browser.find_element(By.ID, "posting-state").text and browser.find_element(By.ID, "status").text == "Posted"

    wait_for(posted, "the invoice posted to Procore", timeout=120)
    return url.rstrip("/").split("/")[-1]


def test_capture_check_approve_and_post_in_each_mode(browser):
    with tempfile.TemporaryDirectory(prefix="lentune-invoices-") as tmp:
        pdf_path = Path(tmp) / "supplier-invoice.pdf"
        pdf_path.write_bytes(PDF)
        process, demo = start_demo(tmp)
        try:
            project = wsa_project(demo)

            # Neither box ticked (the demo's start): a direct cost.
            sign_in(browser, demo["url"], demo["email"], demo["password"])
            url = capture(browser, demo, pdf_path, "BR-DC-1", "250.00", "37.50", supplier="Placemakers Ltd")
            invoice = check_approve_and_wait_posted(browser, url)
            costs = procore(demo, f"/rest/v1.1/projects/{project}/direct_costs?filters[origin_id]={invoice}")
            assert len(costs) == 1
            cost = procore(demo, f"/rest/v1.1/projects/{project}/direct_costs/{costs[0]['id']}")
            assert cost["direct_cost_type"] == "invoice" and cost["invoice_number"] == "BR-DC-1"
            assert cost["vendor"]["name"] == "Placemakers Ltd"
            assert [float(line["amount"]) for line in cost["line_items"]] == [250.0]
            assert cost["line_items"][0]["tax_code_id"] is not None
            assert [attachment["filename"] for attachment in cost["attachments"]] == ["supplier-invoice.pdf"]
            # The page names what was made in Procore, with its id (issue 29).
            made = browser.find_element(By.CSS_SELECTOR, "#procore-link, #procore-id").text
            assert made.startswith("Direct cost BR-DC-1") and f"#{costs[0]['id']}" in made, made
            sign_out(browser)

            # Lentune purchase order: a PO raised here and pushed; an invoice against it becomes a requisition.
            set_source(browser, demo, lentune=True, procore=False)
            sign_in(browser, demo["url"], demo["email"], demo["password"])
            browser.get(demo["url"] + "/purchase-orders/new")
            Select(browser.find_element(By.ID, "supplier")).select_by_visible_text("Placemakers Ltd")
            Select(browser.find_element(By.ID, "project")).select_by_visible_text("WSA-01 Wharf Street Apartments")
            browser.find_element(By.ID, "title").send_keys("Scaffold for invoicing")
            fill_line(browser, 0, "Scaffold hire", "2", "50")
            click_and_wait(browser, browser.find_element(By.ID, "save-po"))
            po_url = browser.current_url
            po_number = browser.find_element(By.TAG_NAME, "h1").text.split()[-1]
            click_and_wait(browser, browser.find_element(By.ID, "submit"))
            if browser.find_elements(By.ID, "approve"):
                click_and_wait(browser, browser.find_element(By.ID, "approve"))

            def pushed():
                browser.get(po_url)
                return "✓ Synced" in browser.find_element(By.ID, "procore-sync").text

            wait_for(pushed, "the PO pushed to Procore", timeout=120)
            commitment = int(re.search(r"#(\d+)", browser.find_element(By.ID, "procore-commitment").text).group(1))
            # The PO appears beside the form once its number is entered (Show PO saves nothing).
            browser.get(demo["url"] + "/invoices/new")
            browser.find_element(By.ID, "purchase_order_number").send_keys(po_number)
            click_and_wait(browser, browser.find_element(By.ID, "show-po"))
            assert "Scaffold hire" in browser.find_element(By.ID, "form-po-lines").text
            url = capture(browser, demo, pdf_path, "BR-REQ-1", "100.00", "15.00", po_number=po_number)
            # A single-line PO takes the whole invoice; the indicator is green.
            assert browser.find_element(By.ID, "po-indicator").get_attribute("data-comparison") == "equal"
            invoice = check_approve_and_wait_posted(browser, url)
            requisitions = procore(demo, f"/rest/v1.1/requisitions?project_id={project}&filters[origin_id]={invoice}")
            assert len(requisitions) == 1 and requisitions[0]["commitment_id"] == commitment
            items = procore(demo, f"/rest/v1.0/requisitions/{requisitions[0]['id']}/contract_items?project_id={project}")
            assert [float(item["work_completed_this_period"]) for item in items] == [100.0]
            sign_out(browser)

            # Procore purchase order: a commitment imported from Procore; the invoice is allocated on its page.
            set_source(browser, demo, lentune=False, procore=True)
            sign_in(browser, demo["url"], demo["email"], demo["password"])

            def imported():
                browser.get(demo["url"] + "/purchase-orders?q=PO-WSA-01-1")
                rows = browser.find_elements(By.CSS_SELECTOR, "#purchase-orders tbody tr")
                return any("PO-WSA-01-1" in row.text for row in rows)

            wait_for(imported, "the Procore commitment imported into Lentune", timeout=120)
            url = capture(browser, demo, pdf_path, "BR-REQ-2", "1855.00", "278.25", po_number="PO-WSA-01-1")
            assert browser.find_element(By.ID, "po-indicator").get_attribute("data-comparison") == "under"
            type_into(browser.find_element(By.NAME, "allocations[000][amount]"), "1855.00")
            click_and_wait(browser, browser.find_element(By.ID, "allocate"))
            allocated = browser.find_element(By.ID, "allocated").text
            # On a refusal the page says why (an alert); show it if this fails (it failed once in CI, not reproduced).
            alerts = [alert.text for alert in browser.find_elements(By.CSS_SELECTOR, "[role=alert]")]
            assert "1,855.00 of" in allocated or "1855.00 of" in allocated, (allocated, alerts, browser.current_url)
            invoice = check_approve_and_wait_posted(browser, url)
            commitments = procore(demo, f"/rest/v1.0/purchase_order_contracts?project_id={project}")
            wsa1 = next(c["id"] for c in commitments if c["number"] == "PO-WSA-01-1")
            requisitions = procore(demo, f"/rest/v1.1/requisitions?project_id={project}&filters[origin_id]={invoice}")
            assert len(requisitions) == 1 and requisitions[0]["commitment_id"] == wsa1
            items = procore(demo, f"/rest/v1.0/requisitions/{requisitions[0]['id']}/contract_items?project_id={project}")
            assert sorted(float(item["work_completed_this_period"]) for item in items) == [0.0, 0.0, 1855.0]
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_the_procore_panel_updates_itself_while_the_posting_runs(browser):
    """Issue 29, live status: Procore answers slowly (6 s a request); the approved invoice's page says it waits, then,
    with no reload, shows it posted, its stage Posted, and the link to the direct cost."""
    with tempfile.TemporaryDirectory(prefix="lentune-live-") as tmp:
        pdf_path = Path(tmp) / "supplier-invoice.pdf"
        pdf_path.write_bytes(PDF)
        process, demo = start_demo(tmp)
        try:
            sign_in(browser, demo["url"], demo["email"], demo["password"])
            url = capture(browser, demo, pdf_path, "BR-LIVE-1", "90.00", "13.50", supplier="Placemakers Ltd")
            click_and_wait(browser, browser.find_element(By.ID, "check"))
            faults_request = urllib.request.Request(
                demo["sandbox"].rstrip("/") + "/_sandbox/faults", method="PUT", data=json.dumps({"latencyMilliseconds": 6000}).encode(),
                headers={"Content-Type": "application/json"})
            urllib.request.urlopen(faults_request, timeout=30).read()
            click_and_wait(browser, browser.find_element(By.ID, "approve"))
            assert "Waiting to post" in browser.find_element(By.ID, "posting-state").text, browser.find_element(By.ID, "posting-state").text
            browser.execute_script("window.notReloaded = true")
            # (Read by script: the panel is replaced in place, so an element found a moment earlier may be gone.)
            def text(element_id):
                return browser.execute_script("const e = document.getElementById(arguments[0]); return e ? e.textContent : ''", element_id)

            wait_for(lambda: "✓" in text("posting-state"), "the panel showing the posting", timeout=120)
            assert browser.execute_script("return window.notReloaded === true"), "the page updated in place, without a reload"
            assert text("status").strip() == "Posted"
            assert "Direct cost BR-LIVE-1" in text("posting-state")
        finally:
            urllib.request.urlopen(urllib.request.Request(demo["sandbox"].rstrip("/") + "/_sandbox/faults", method="DELETE"), timeout=30).read()
            process.terminate()
            process.wait(timeout=20)
