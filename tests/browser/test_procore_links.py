"""Issue 29, items 8 and 9: every Procore id Lentune shows is a link into Procore's web app (in the demo, the sandbox's
stand-in for it, at the same paths), opening the record it names; the short lists and the Integration log sort by
the heading clicked; an administrator deactivating an approver hands their waiting invoices to someone who can
approve them, in the browser."""
import re
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_shell import click_and_wait, sign_in


def sandbox_base(demo):
    parts = urllib.parse.urlsplit(demo["console"])
    return f"{parts.scheme}://{parts.netloc}"


def procore_links(browser, selector="main a[target=_blank]"):
    return [(a.text, a.get_attribute("href")) for a in browser.find_elements(By.CSS_SELECTOR, selector)]


def opened_record(browser, href):
    """The title of the page a "View in Procore" link opens (the sandbox's web-app page of the record)."""
    browser.get(href)
    assert browser.find_elements(By.ID, "record"), f"{href} opened no record page: {browser.page_source[:300]}"
    return browser.find_element(By.ID, "record").text


def test_every_procore_id_links_to_the_record_in_procores_web_app(demo, browser):
    sign_in(browser, demo["url"], demo["email"], demo["password"])
    base = sandbox_base(demo)

    # The posted demo invoice: its Procore panel names what was made and links to it.
    browser.get(demo["url"] + "/invoices?status=posted")
    invoice = browser.find_element(By.CSS_SELECTOR, "main table tbody tr td a")
    number = invoice.text
    click_and_wait(browser, invoice)
    link = browser.find_element(By.ID, "procore-link")
    made, href = link.text, link.get_attribute("href")
    assert href.startswith(base + "/") and re.search(r"/project/(direct_costs|commitments/purchase_order_contracts)/\d+", href), href
    assert number in made and "↗" in made, made
    title = opened_record(browser, href)
    assert number in title and (title.startswith("Direct cost") or title.startswith("Subcontractor invoice")), title

    # A project from Procore, a supplier with its vendor, and the company on the settings page.
    checks = {"/projects": "Project ", "/suppliers": "Vendor "}
    for listing, kind in checks.items():
        browser.get(demo["url"] + listing)
        links = procore_links(browser)
        assert links, f"{listing} shows no Procore link"
        text, href = links[0]
        assert href.startswith(base + "/") and re.fullmatch(r"#\d+ ↗", text), (text, href)
        assert opened_record(browser, href).startswith(kind)
    browser.get(demo["url"] + "/administration/settings/procore")
    company = [(t, h) for t, h in procore_links(browser) if "/company/home/list" in h]
    assert company, "the company list links each company into Procore"
    assert opened_record(browser, company[0][1]).startswith("Company ")

    # The Integration log's Procore records.
    browser.get(demo["url"] + "/administration/integration-log")
    logged = [(t, h) for t, h in procore_links(browser, "#jobs a[target=_blank]")]
    assert logged, "the Integration log links the Procore record of a finished job"
    assert opened_record(browser, logged[0][1])


def test_the_supplier_list_and_the_integration_log_sort_by_the_heading_clicked(demo, browser):
    sign_in(browser, demo["url"], demo["email"], demo["password"])
    browser.get(demo["url"] + "/suppliers")

    def names():
        return [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#suppliers tbody tr td:first-child a")]

    def heading(table, label):
        return browser.find_element(By.XPATH, f"//table[@id='{table}']//th[a[starts-with(normalize-space(.), '{label}')]]")

    def as_read(name):
        """Names as people read them: any case, numbers by value ("Site 9" before "Site 10")."""
        return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name.lower())]

    assert len(names()) >= 2, "the demo has suppliers to sort"
    assert heading("suppliers", "Name").get_attribute("aria-sort") == "ascending"
    assert names() == sorted(names(), key=as_read)
    click_and_wait(browser, heading("suppliers", "Name").find_element(By.TAG_NAME, "a"))
    assert heading("suppliers", "Name").get_attribute("aria-sort") == "descending"
    assert names() == sorted(names(), key=as_read, reverse=True)

    browser.get(demo["url"] + "/administration/integration-log")
    click_and_wait(browser, heading("jobs", "Outcome").find_element(By.TAG_NAME, "a"))
    assert heading("jobs", "Outcome").get_attribute("aria-sort") == "ascending"
    order = ["pending", "running", "done", "held", "failed", "cancelled"]
    states = [e.get_attribute("data-state") for e in browser.find_elements(By.CSS_SELECTOR, "#jobs tbody [data-state]")]
    assert states and [order.index(s) for s in states] == sorted(order.index(s) for s in states), states
    # Filtering keeps the order.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#log-filters button[type=submit]"))
    assert heading("jobs", "Outcome").get_attribute("aria-sort") == "ascending"


def test_deactivating_an_approver_hands_their_invoices_to_the_one_chosen(demo, browser):
    from test_workbench_flows import capture_invoice, mark_checked

    sign_in(browser, demo["url"], demo["email"], demo["password"])
    # A new approver, who is given an invoice of this test's own, checked and so waiting for them.
    browser.get(demo["url"] + "/administration/users")
    email = "leaving.approver@demo.example"
    browser.find_element(By.ID, "new-email").send_keys(email)
    browser.find_element(By.ID, "new-name").send_keys("Leaving Approver")
    browser.find_element(By.ID, "new-approval_limit").send_keys("10000")
    browser.find_element(By.ID, "new-password").send_keys("a long password")
    Select(browser.find_element(By.ID, "new-role")).select_by_value("approver")
    click_and_wait(browser, browser.find_element(By.ID, "add-user-button"))
    assert "User added" in browser.find_element(By.CLASS_NAME, "notice").text

    invoice_url = capture_invoice(browser, demo, "BR-LEAVER-1", "40.00", "6.00", "Placemakers Ltd", approver="Leaving Approver")
    mark_checked(browser, invoice_url)
    browser.get(invoice_url)
    assert browser.find_element(By.ID, "status").text == "Awaiting approval"
    assert browser.find_element(By.CSS_SELECTOR, "dd#approver").text == "Leaving Approver"

    browser.get(demo["url"] + "/administration/users")
    row = browser.find_element(By.XPATH, f"//table[@id='users']//tr[td[normalize-space(.)='{email}']]")
    # Deactivating without saying who takes the invoice is refused, and nothing changes.
    click_and_wait(browser, row.find_element(By.XPATH, ".//button[normalize-space(.)='Deactivate']"))
    assert "waits for this user" in browser.find_element(By.CSS_SELECTOR, "[role=alert], .error").text
    row = browser.find_element(By.XPATH, f"//table[@id='users']//tr[td[normalize-space(.)='{email}']]")
    assert "Active" in row.text and "Their 1 invoice to approve go to" in row.text, row.text
    chooser = Select(row.find_element(By.CSS_SELECTOR, "select[name=reassign_to]"))
    chooser.select_by_visible_text(demo["email"])
    click_and_wait(browser, row.find_element(By.XPATH, ".//button[normalize-space(.)='Deactivate']"))
    assert "User deactivated" in browser.find_element(By.CLASS_NAME, "notice").text
    browser.get(invoice_url)
    assert browser.find_element(By.CSS_SELECTOR, "dd#approver").text == "Demo Administrator"
    browser.get(demo["url"] + "/approvals")
    assert "BR-LEAVER-1" in browser.find_element(By.ID, "main").text, "the invoice waits in the new approver's inbox"
