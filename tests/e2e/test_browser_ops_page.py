"""The ops page in headless Chromium (Debian's chromium + chromium-driver, via Selenium): on a populated
database it shows live tickets, opens a vehicle and draws its charts; a screenshot is saved."""
import shutil

import pytest

from tests.integration.test_api_support import LiveApi, emptied, populate

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver "
                                                                   "(scripts/setup.sh installs them)")]

CANVAS_INK = """
const c = arguments[0], ctx = c.getContext('2d');
const d = ctx.getImageData(0, 0, c.width, c.height).data;
let ink = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink++;
return ink;"""


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,2200"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_ops_page_shows_tickets_and_a_vehicle_chart(stack, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    conn = emptied(stack.database_url)
    fleet = populate(conn)
    with LiveApi(stack.database_url) as api:
        browser.get(f"{api.url}/#token={fleet['ops']}")
        wait = WebDriverWait(browser, 20)
        rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#tickets tr.ticket-row"))
        assert len(rows) == 4 and any("TIRE_FLAT" in r.text for r in rows)
        wait.until(lambda d: "vehicles" in d.find_element(By.ID, "summary").text)
        assert browser.execute_script(CANVAS_INK, browser.find_element(By.ID, "map")) > 0  # vehicles drawn
        flat = next(r for r in rows if "TIRE_FLAT" in r.text)
        flat.click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "v-id"), "V-000"))
        charts = wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#charts .chart canvas")) == 4
                            and d.find_elements(By.CSS_SELECTOR, "#charts .chart canvas"))
        ink = [browser.execute_script(CANVAS_INK, c) for c in charts]
        assert all(n > 100 for n in ink), ink  # each chart actually drew its series and axes
        assert "health 40 / 100" in browser.find_element(By.ID, "v-health").text
        shot = tmp_path / "ops-page.png"
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    conn.close()
