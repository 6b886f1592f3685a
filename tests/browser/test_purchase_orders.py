"""Purchase orders in a real browser against `lentune demo` (its projects belong to the sandbox's Procore company).
With the company on Procore, New Purchase Order is disabled and a direct POST is refused; on Lentune and on neither,
a PO with three lines is created, edited, approved and closed, with totals right to the cent (GST per line)."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_settings import box, company_row
from test_shell import click_and_wait, sign_in

AP = "ap@demo.lentune.test"


def sign_out(browser):
    click_and_wait(browser, browser.find_element(By.ID, "sign-out"))


def set_source(browser, demo, lentune, procore):
    """As the administrator, on the Procore company list."""
    sign_in(browser, demo["url"], demo["email"], demo["password"])
    browser.get(demo["url"] + "/administration/settings/procore")
    for kind, wanted in (("lentune", lentune), ("procore", procore)):
        if box(browser, kind).is_selected() and not wanted:
            box(browser, kind).click()
    for kind, wanted in (("lentune", lentune), ("procore", procore)):
        if wanted and not box(browser, kind).is_selected():
            box(browser, kind).click()
    click_and_wait(browser, browser.find_element(By.ID, "save-companies"))
    confirm = browser.find_elements(By.ID, "confirm-save")
    if confirm:
        click_and_wait(browser, confirm[0])
    sign_out(browser)


def count(browser, demo):
    browser.get(demo["url"] + "/purchase-orders")
    return int(browser.find_element(By.ID, "result-count").text.split()[0])


def fill_line(browser, index, description, quantity, unit_cost, project="WSA-01"):
    prefix = f"lines[{index}]"
    field = browser.find_element(By.NAME, prefix + "[description]")
    field.clear()
    field.send_keys(description)
    browser.find_element(By.CSS_SELECTOR, f"select[name='{prefix}[cost_code]'] optgroup[label='{project}'] option").click()
    Select(browser.find_element(By.NAME, prefix + "[cost_type]")).select_by_visible_text("M Materials")
    Select(browser.find_element(By.NAME, prefix + "[tax_code]")).select_by_visible_text("GST 15%")
    for name, value in (("quantity", quantity), ("unit_cost", unit_cost)):
        element = browser.find_element(By.NAME, f"{prefix}[{name}]")
        element.clear()
        element.send_keys(value)


def totals(browser):
    return tuple(browser.find_element(By.ID, i).text for i in ("total-excl", "total-tax", "total-incl"))


def test_procore_sourced_company_disables_new_purchase_order(demo, browser):
    set_source(browser, demo, lentune=False, procore=True)
    try:
        sign_in(browser, demo["url"], AP, demo["password"])
        before = count(browser, demo)
        button = browser.find_element(By.ID, "new-purchase-order")
        assert button.tag_name == "button" and not button.is_enabled()
        assert "Procore company whose purchase orders are created in Procore" in browser.find_element(By.ID, "new-po-reason").text
        browser.get(demo["url"] + "/purchase-orders/new")
        assert "New Purchase Order is not available" in browser.find_element(By.CLASS_NAME, "error-detail").text
        # A hand-made POST is refused too, and nothing is stored.
        browser.get(demo["url"] + "/purchase-orders")
        csrf = browser.find_element(By.CSS_SELECTOR, "#sign-out").find_element(By.XPATH, "..").find_element(By.NAME, "_csrf").get_attribute("value")
        status = browser.execute_async_script(
            """
            const [url, csrf, done] = arguments;
            const body = new URLSearchParams({_csrf: csrf, title: "Sneaky", supplier: "x", project: "y"});
            fetch(url, {method: "POST", body, credentials: "same-origin"}).then(r => done(r.status));
            """, demo["url"] + "/purchase-orders", csrf)
        assert status in (409, 422)
        assert count(browser, demo) == before
        sign_out(browser)
    finally:
        set_source(browser, demo, lentune=False, procore=False)


@pytest.mark.parametrize("lentune", [True, False], ids=["lentune", "neither"])
def test_three_line_purchase_order_is_created_edited_approved_and_closed(demo, browser, lentune):
    set_source(browser, demo, lentune=lentune, procore=False)
    try:
        sign_in(browser, demo["url"], AP, demo["password"])
        browser.get(demo["url"] + "/purchase-orders")
        click_and_wait(browser, browser.find_element(By.ID, "new-purchase-order"))
        Select(browser.find_element(By.ID, "supplier")).select_by_visible_text("Placemakers Ltd")
        Select(browser.find_element(By.ID, "project")).select_by_visible_text("WSA-01 Wharf Street Apartments")
        browser.find_element(By.ID, "title").send_keys("Browser PO <b>" + ("lentune" if lentune else "neither") + "</b>")
        # 3 × 3.33 = 9.99 (GST 1.4985 → 1.50); 1 × 1.005 → 1.01 (GST 0.1515 → 0.15); 1000 × 10.005 = 10005.00 (GST 1500.75).
        fill_line(browser, 0, "Ready-mix", "3", "3.33")
        fill_line(browser, 1, "Bolts", "1", "1.005")
        fill_line(browser, 2, "Steel", "1000", "10.005")
        click_and_wait(browser, browser.find_element(By.ID, "save-po"))
        errors = browser.find_elements(By.ID, "form-errors")
        assert not errors, errors[0].text if errors else ""
        assert browser.find_elements(By.ID, "status"), browser.find_element(By.TAG_NAME, "main").text[:500]
        assert browser.find_element(By.ID, "status").text == "Draft"
        assert totals(browser) == ("10,016.00", "1,502.40", "11,518.40")
        assert "<b>" in browser.find_element(By.TAG_NAME, "h1").text or "Browser PO" in browser.page_source
        assert "<b>lentune</b>" not in browser.page_source and "<b>neither</b>" not in browser.page_source

        # Edit: the bolts now cost 2.005 → 2.01 (GST 0.3015 → 0.30).
        click_and_wait(browser, browser.find_element(By.ID, "edit"))
        unit = browser.find_element(By.NAME, "lines[1][unit_cost]")
        unit.clear()
        unit.send_keys("2.005")
        click_and_wait(browser, browser.find_element(By.ID, "save-po"))
        assert totals(browser) == ("10,017.00", "1,502.55", "11,519.55")

        # Over the AP officer's limit (5,000): submitted for approval; the administrator approves and closes.
        click_and_wait(browser, browser.find_element(By.ID, "submit"))
        assert browser.find_element(By.ID, "status").text == "Awaiting approval"
        assert not browser.find_elements(By.ID, "approve")
        po_url = browser.current_url
        sign_out(browser)
        sign_in(browser, demo["url"], demo["email"], demo["password"])
        browser.get(po_url)
        click_and_wait(browser, browser.find_element(By.ID, "approve"))
        assert browser.find_element(By.ID, "status").text == "Approved"
        assert browser.find_elements(By.ID, "edit")  # approved POs may be revised (back to draft, approved again)
        click_and_wait(browser, browser.find_element(By.ID, "close"))
        # Close asks first (issue 29); Keep it open leaves it approved.
        assert "takes no more invoices" in browser.find_element(By.ID, "confirm-close-box").text
        click_and_wait(browser, browser.find_element(By.ID, "keep-open"))
        assert browser.find_element(By.ID, "status").text == "Approved"
        click_and_wait(browser, browser.find_element(By.ID, "close"))
        click_and_wait(browser, browser.find_element(By.ID, "confirm-close"))
        assert browser.find_element(By.ID, "status").text == "Closed"
        assert browser.find_element(By.ID, "source").text == "Source: Lentune"
        assert not browser.find_elements(By.ID, "new-invoice"), "a closed PO takes no invoices"
        # Reopen (issue 29): approved again, and it takes invoices.
        click_and_wait(browser, browser.find_element(By.ID, "reopen"))
        assert browser.find_elements(By.ID, "status"), browser.find_element(By.TAG_NAME, "main").text[:800]
        assert browser.find_element(By.ID, "status").text == "Approved"
        assert "Reopened" in browser.find_element(By.CLASS_NAME, "notice").text

        # Invoice from PO (issue 29): the form starts from the PO's lines and remaining amounts, each allocated to
        # its line; once saved, the invoice is fully allocated and may be marked as checked at once.
        click_and_wait(browser, browser.find_element(By.ID, "new-invoice"))
        amounts = [browser.find_element(By.NAME, f"lines[{i}][amount]").get_attribute("value") for i in range(3)]
        assert amounts == ["9.99", "2.01", "10005.00"], amounts
        assert browser.find_element(By.NAME, "lines[0][description]").get_attribute("value") == "Ready-mix"
        assert browser.find_element(By.ID, "purchase_order_number").get_attribute("value").startswith("PO-")
        assert browser.find_element(By.ID, "total_excluding_tax").get_attribute("value") == "10017.00"
        number = "FROM-PO-" + ("L" if lentune else "N")
        browser.find_element(By.ID, "number").send_keys(number)
        browser.execute_script("arguments[0].value = '2026-11-28'", browser.find_element(By.ID, "invoice_date"))
        Select(browser.find_element(By.ID, "approver")).select_by_index(1)
        click_and_wait(browser, browser.find_element(By.ID, "save-invoice"))
        assert not browser.find_elements(By.ID, "form-errors"), browser.find_element(By.ID, "form-errors").text
        assert "Allocated: 10,017.00 of 10,017.00" in browser.find_element(By.ID, "allocated").text
        click_and_wait(browser, browser.find_element(By.ID, "check"))
        assert browser.find_element(By.ID, "status").text == "Awaiting approval", browser.find_element(By.TAG_NAME, "main").text[:800]
        sign_out(browser)
    finally:
        set_source(browser, demo, lentune=False, procore=False)


def test_choosing_a_project_narrows_the_cost_codes_to_its_own(demo, browser):
    """Issue 29: the cost code lists held every project's codes. Choosing a project shows only its codes (no reload);
    a code already picked from another project is cleared when the project changes."""
    sign_in(browser, demo["url"], AP, demo["password"])
    try:
        browser.get(demo["url"] + "/purchase-orders/new")
        groups = browser.find_elements(By.CSS_SELECTOR, "select[name='lines[0][cost_code]'] optgroup")
        assert len(groups) >= 2, "the demo has codes of several projects"
        project = Select(browser.find_element(By.ID, "project"))
        project.select_by_visible_text("WSA-01 Wharf Street Apartments")
        shown = [g.get_attribute("label") for g in groups if not g.get_property("hidden")]
        assert shown == ["WSA-01"], shown
        browser.find_element(By.CSS_SELECTOR, "select[name='lines[0][cost_code]'] optgroup[label='WSA-01'] option").click()
        assert Select(browser.find_element(By.NAME, "lines[0][cost_code]")).first_selected_option.get_attribute("value") != ""
        other = next(o.text for o in project.options if o.get_attribute("value") and not o.text.startswith("WSA-01"))
        project.select_by_visible_text(other)
        assert Select(browser.find_element(By.NAME, "lines[0][cost_code]")).first_selected_option.get_attribute("value") == ""
        shown = [g.get_attribute("label") for g in groups if not g.get_property("hidden")]
        assert shown == [other.split()[0]], shown

        # The invoice form: the same, its codes named "WSA-01 · …".
        browser.get(demo["url"] + "/invoices/new")
        Select(browser.find_element(By.ID, "project")).select_by_visible_text("WSA-01 Wharf Street Apartments")
        codes = browser.find_elements(By.CSS_SELECTOR, "select[name='lines[0][cost_code]'] option[data-project]")
        visible = {o.text.split(" · ")[0] for o in codes if not o.get_property("hidden")}
        assert visible == {"WSA-01"}, visible
        assert any(o.get_property("hidden") for o in codes)
    finally:
        sign_out(browser)


def test_lines_work_out_gst_as_typed_and_can_be_added_and_removed(demo, browser):
    """Issue 29: GST is worked out from the tax code as the amount is typed (a PO line's amount from quantity × unit
    cost), the invoice form says what its lines add up to, and lines are added and removed without a fixed count."""
    sign_in(browser, demo["url"], AP, demo["password"])
    try:
        browser.get(demo["url"] + "/invoices/new")
        Select(browser.find_element(By.NAME, "lines[0][tax_code]")).select_by_visible_text("GST 15%")
        browser.find_element(By.NAME, "lines[0][amount]").send_keys("$1,234.50")
        # 1,234.50 × 15 % = 185.175 → 185.18, rounded as the server rounds.
        assert browser.find_element(By.NAME, "lines[0][tax]").get_attribute("value") == "185.18"
        assert "1,234.50 excl. GST and 185.18 GST (1,419.68 incl. GST)" in browser.find_element(By.ID, "lines-total").text
        # A GST typed by hand is kept when the amount changes.
        tax = browser.find_element(By.NAME, "lines[0][tax]")
        tax.clear()
        tax.send_keys("185.17")
        browser.find_element(By.NAME, "lines[0][amount]").send_keys("0")
        assert tax.get_attribute("value") == "185.17"
        # "12,50" is not an amount: nothing is worked out from it.
        Select(browser.find_element(By.NAME, "lines[1][tax_code]")).select_by_visible_text("GST 15%")
        browser.find_element(By.NAME, "lines[1][amount]").send_keys("12,50")
        assert browser.find_element(By.NAME, "lines[1][tax]").get_attribute("value") == ""
        rows = len(browser.find_elements(By.CSS_SELECTOR, "#invoice-lines tbody tr"))
        browser.find_element(By.ID, "add-line").click()
        assert len(browser.find_elements(By.CSS_SELECTOR, "#invoice-lines tbody tr")) == rows + 1
        assert browser.find_elements(By.NAME, f"lines[{rows}][amount]")

        # A PO: two lines, one of them added; a blank one removed; the amounts and GST shown before saving.
        browser.get(demo["url"] + "/purchase-orders/new")
        Select(browser.find_element(By.ID, "supplier")).select_by_visible_text("Placemakers Ltd")
        Select(browser.find_element(By.ID, "project")).select_by_visible_text("WSA-01 Wharf Street Apartments")
        browser.find_element(By.ID, "title").send_keys("Lines added in the browser")
        fill_line(browser, 0, "Ready-mix", "3", "3.33")
        assert browser.find_element(By.NAME, "lines[0][amount]").get_attribute("placeholder") == "9.99"
        assert browser.find_elements(By.CSS_SELECTOR, "#line-items tbody tr output.gst")[0].get_attribute("value") == "1.50"
        rows = len(browser.find_elements(By.CSS_SELECTOR, "#line-items tbody tr"))
        browser.find_element(By.ID, "add-line").click()
        fill_line(browser, rows, "Added line", "1000", "10.005")
        assert browser.find_elements(By.CSS_SELECTOR, "#line-items tbody tr output.gst")[rows].get_attribute("value") == "1,500.75"
        browser.find_elements(By.CSS_SELECTOR, "#line-items tbody tr button.remove-line")[1].click()
        assert len([r for r in browser.find_elements(By.CSS_SELECTOR, "#line-items tbody tr") if r.is_displayed()]) == rows
        click_and_wait(browser, browser.find_element(By.ID, "save-po"))
        errors = browser.find_elements(By.ID, "form-errors")
        assert not errors, errors[0].text if errors else ""
        assert totals(browser) == ("10,014.99", "1,502.25", "11,517.24")
    finally:
        sign_out(browser)
