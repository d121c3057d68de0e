"""Save a screenshot of a running ops page (for the README): `.venv/bin/python scripts/ops_screenshot.py URL OUT.png`.

URL is what `fleet demo` prints (`http://127.0.0.1:8000/#token=…`). Opens the first live critical
ticket's vehicle so its charts are in the picture. Uses Debian's chromium and chromedriver.
"""
import shutil
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def main(url: str, out: str) -> int:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,2300"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(url)
        wait = WebDriverWait(driver, 30)
        rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#tickets tr.ticket-row"))
        critical = [r for r in rows if "critical" in r.text] or rows
        critical[0].click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#charts .chart canvas")) >= 1)
        time.sleep(1.5)  # let the charts and the map finish drawing
        driver.execute_script("window.scrollTo(0, 0)")
        time.sleep(0.5)
        driver.save_screenshot(out)
    finally:
        driver.quit()
    print(out)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: ops_screenshot.py URL OUT.png")
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
