"""Sign-in, navigation and role checks in a real browser."""
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import PASSWORD

NAVIGATION = ["Approvals", "Invoices", "Purchase Orders", "Suppliers", "Projects", "Administration"]


def sign_in(browser, url, email, password=PASSWORD, open_page=True):
    if open_page:
        browser.get(url + "/sign-in")
        if not browser.find_elements(By.ID, "email"):  # still signed in from an earlier step: sign out first
            click_and_wait(browser, browser.find_element(By.ID, "sign-out"))
            browser.get(url + "/sign-in")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#sign-in button[type=submit]"))


def click_and_wait(browser, element):
    """Clicks something that navigates, and waits until the new page has replaced the old one."""
    old = browser.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(driver):
        # Chromium sometimes reports a node of the old page as "not in the document" rather than stale.
        try:
            old.tag_name
            return False
        except (StaleElementReferenceException, WebDriverException):
            return True

    WebDriverWait(browser, 15).until(replaced)
    # The whole new page, not only its start: Chromium parses a page as it arrives, and an h1 can be there before the
    # table below it (a settings test once found no company row straight after a save).
    WebDriverWait(browser, 15).until(lambda driver: driver.execute_script("return document.readyState") == "complete")
    WebDriverWait(browser, 15).until(EC.presence_of_element_located((By.TAG_NAME, "h1")))


def heading(browser):
    return browser.find_element(By.TAG_NAME, "h1").text


def nav_labels(browser):
    return [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav[aria-label=Main] a")]


def test_administrator_signs_in_and_walks_the_navigation(server, browser):
    browser.get(server.url + "/purchase-orders")
    assert heading(browser) == "Sign in"
    sign_in(browser, server.url, "admin@harbour.example", open_page=False)
    # Back where they were going before signing in.
    assert heading(browser) == "Purchase Orders"
    assert nav_labels(browser) == NAVIGATION
    assert "Harbour Build Ltd" in browser.find_element(By.CLASS_NAME, "org").text
    for label in NAVIGATION:
        click_and_wait(browser, browser.find_element(By.LINK_TEXT, label))
        assert heading(browser) == label
        current = browser.find_element(By.CSS_SELECTOR, "nav a[aria-current=page]")
        assert current.text == label
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Audit log"))
    assert heading(browser) == "Audit log"
    click_and_wait(browser, browser.find_element(By.ID, "sign-out"))
    assert heading(browser) == "Sign in"
    browser.get(server.url + "/invoices")
    assert heading(browser) == "Sign in"


def test_wrong_password_shows_message_and_stays_signed_out(server, browser):
    sign_in(browser, server.url, "admin@harbour.example", password="not the password")
    assert heading(browser) == "Sign in"
    assert browser.find_element(By.CSS_SELECTOR, ".flash.error").text == "The email or password is incorrect."
    assert browser.find_element(By.ID, "email").get_attribute("value") == "admin@harbour.example"
    browser.get(server.url + "/invoices")
    assert heading(browser) == "Sign in"


def test_unknown_user_gets_the_same_message(server, browser):
    sign_in(browser, server.url, "nobody@harbour.example")
    assert browser.find_element(By.CSS_SELECTOR, ".flash.error").text == "The email or password is incorrect."


def test_ap_officer_has_no_administration(server, browser):
    sign_in(browser, server.url, "ap@harbour.example")
    assert heading(browser) == "Invoices"
    assert "Administration" not in nav_labels(browser)
    assert "Approvals" not in nav_labels(browser), "an AP officer approves nothing"
    browser.get(server.url + "/administration")
    assert heading(browser) == "Access denied"
    assert "Only administrators can open this page." in browser.find_element(By.CLASS_NAME, "error-detail").text


def test_organisations_see_only_their_own_users(server, browser):
    sign_in(browser, server.url, "admin@other.example")
    browser.get(server.url + "/administration/users")
    table = browser.find_element(By.ID, "users").text
    assert "admin@other.example" in table
    assert "harbour.example" not in table


def test_demo_prints_credentials_that_sign_in(demo, browser):
    sign_in(browser, demo["url"], demo["email"], demo["password"])
    assert heading(browser) == "Invoices"
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Purchase Orders"))
    numbers = [row.find_element(By.TAG_NAME, "a").text for row in browser.find_elements(By.CSS_SELECTOR, "#purchase-orders tbody tr")]
    assert {"PO-00001", "PO-00002", "PO-00003"} <= set(numbers)
    assert (demo["dir"] / "lentune-demo.sqlite").exists()
