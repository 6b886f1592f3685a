"""Issue 29: every page an AP team works in, at 1366 px and at 390 px, signed in as the demo administrator: no page
scrolls sideways at 390 px (tables scroll inside themselves, the navigation wraps, the PDF goes below the form),
axe-core finds no serious or critical violation, and a screenshot of each is kept as a test artefact
(`$LENTUNE_ARTIFACTS`, by default `.artifacts/screenshots`)."""
import os
import re
from pathlib import Path

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By

from test_shell import click_and_wait, sign_in

ARTIFACTS = Path(os.environ.get("LENTUNE_ARTIFACTS", Path(__file__).resolve().parents[2] / ".artifacts")) / "screenshots"
WIDTHS = {"1366": (1366, 900), "390": (390, 844)}


def first_link(browser, url, pattern):
    browser.get(url)
    for anchor in browser.find_elements(By.CSS_SELECTOR, "main a[href]"):
        href = anchor.get_attribute("href")
        if re.search(pattern, href or ""):
            return href
    return None


def pages(browser, demo):
    base = demo["url"]
    found = {
        "invoices": base + "/invoices", "new-invoice": base + "/invoices/new", "approvals": base + "/approvals",
        "purchase-orders": base + "/purchase-orders", "new-purchase-order": base + "/purchase-orders/new",
        "suppliers": base + "/suppliers", "projects": base + "/projects", "administration": base + "/administration",
        "integration-log": base + "/administration/integration-log", "audit-log": base + "/administration/audit-log",
        "users": base + "/administration/users", "procore-settings": base + "/administration/settings/procore",
    }
    for name, (listing, pattern) in {
        "invoice": ("/invoices", r"/invoices/[0-9a-f-]{36}$"), "purchase-order": ("/purchase-orders", r"/purchase-orders/[0-9a-f-]{36}$"),
        "supplier": ("/suppliers", r"/suppliers/[0-9a-f-]{36}$"), "project": ("/projects", r"/projects/[0-9a-f-]{36}$"),
    }.items():
        link = first_link(browser, base + listing, pattern)
        assert link, f"the demo has a {name} to open"
        found[name] = link
    return found


def check_pages(browser, named_urls, width, prefix=""):
    """Each page at `width`: its screenshot kept, no sideways scroll, no serious or critical axe violation."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(*WIDTHS[width])
    problems = []
    for name, url in named_urls.items():
        browser.get(url)
        browser.save_screenshot(str(ARTIFACTS / f"{prefix}{name}-{width}.png"))
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 1:
            wide = browser.execute_script("""
                const limit = document.documentElement.clientWidth;
                return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > limit + 1
                    && !e.closest('.scroll')).slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className);
                """)
            problems.append(f"{prefix}{name}: scrolls sideways by {overflow} px ({wide})")
        axe = Axe(browser)
        axe.inject()
        results = axe.run()
        for violation in results["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [node["target"] for node in violation["nodes"][:3]]
                problems.append(f"{prefix}{name}: axe {violation['impact']} {violation['id']}: {violation['help']} {targets}")
    return problems


@pytest.mark.parametrize("width", list(WIDTHS), ids=[f"{w}px" for w in WIDTHS])
def test_every_page_fits_its_width_and_passes_axe(demo, browser, width):
    sign_in(browser, demo["url"], demo["email"], demo["password"])
    found = pages(browser, demo)
    # Each stage of an invoice and of a PO that the demo has, as its own page (they show different actions).
    for listing, pattern, prefix in (("/invoices?status=", r"/invoices/[0-9a-f-]{36}$", "invoice"),
                                     ("/purchase-orders?status=", r"/purchase-orders/[0-9a-f-]{36}$", "purchase-order")):
        states = ["unchecked", "awaiting_approval", "approved", "held", "posted"] if prefix == "invoice" \
            else ["draft", "awaiting_approval", "approved", "closed"]
        for state in states:
            link = first_link(browser, demo["url"] + listing + state, pattern)
            if link:
                found[f"{prefix}-{state}"] = link
    problems = check_pages(browser, found, width)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", list(WIDTHS), ids=[f"{w}px" for w in WIDTHS])
def test_the_ap_officers_pages_fit_and_pass_axe(demo, browser, width):
    """The AP officer sees other navigation and other actions (no Administration, Integration log read-only)."""
    sign_in(browser, demo["url"], demo["officer"], demo["password"])
    found = {name: url for name, url in pages(browser, demo).items()
             if name not in ("administration", "audit-log", "users", "procore-settings", "approvals")}
    problems = check_pages(browser, found, width, prefix="officer-")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", list(WIDTHS), ids=[f"{w}px" for w in WIDTHS])
def test_the_sandbox_console_fits_and_passes_axe(demo, browser, width):
    """The sandbox console is where the demo clears a hold (billing periods): it is a page people use too."""
    problems = check_pages(browser, {"sandbox-console": demo["console"]}, width)
    assert not problems, "\n".join(problems)


def test_a_list_sorts_by_the_heading_clicked_and_back(demo, browser):
    sign_in(browser, demo["url"], demo["email"], demo["password"])
    browser.get(demo["url"] + "/purchase-orders")

    def numbers():
        return [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#purchase-orders tbody tr td:first-child a")]

    def heading(label):
        return browser.find_element(By.XPATH, f"//table[@id='purchase-orders']//th[a[starts-with(normalize-space(.), '{label}')]]")

    assert len(numbers()) >= 2, "the demo has purchase orders to sort"
    click_and_wait(browser, heading("Number").find_element(By.TAG_NAME, "a"))
    assert heading("Number").get_attribute("aria-sort") == "ascending"
    assert numbers() == sorted(numbers())
    click_and_wait(browser, heading("Number").find_element(By.TAG_NAME, "a"))
    assert heading("Number").get_attribute("aria-sort") == "descending"
    assert numbers() == sorted(numbers(), reverse=True)
    # Filtering keeps the order.
    # Waiting for the new page: reading the heading while it loads met a stale element once.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#po-filters button[type=submit]"))
    assert heading("Number").get_attribute("aria-sort") == "descending"
