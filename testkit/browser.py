"""A real headless Chromium (Debian's chromium + chromium-driver, installed by
scripts/setup.sh) driven by Selenium, and poppler's pdfinfo / pdftotext to read what it
prints. Shared by the report and prep-sheet tests."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

from testkit.waiting import wait_until as wait_for  # noqa: F401  (the browser tests' name)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run")
PAPER_INCHES = {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}


def start_chromium(profile: Path, width: int = 1000, height: int = 900):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})  # for fetched_urls
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def fetched_urls(driver) -> list[str]:
    """Every request the browser made since the last call (the page, its audio, anything else,
    and Chromium's own chrome:// and data: pages), from its DevTools network log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


NETWORK_SCHEMES = ("http:", "https:", "ws:", "wss:", "ftp:")


def network_urls(urls: list[str]) -> list[str]:
    return [url for url in urls if url.lower().startswith(NETWORK_SCHEMES)]


def full_page_screenshot(driver, path: Path) -> bytes:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(driver.get_window_size()["width"], min(height + 120, 12000))
    driver.save_screenshot(str(path))
    return path.read_bytes()


def print_to_pdf(driver, paper: str, *, css_page_size: bool = False) -> bytes:
    """The page printed by Chromium's own print path (DevTools Page.printToPDF)."""
    width, height = PAPER_INCHES[paper]
    result = driver.execute_cdp_cmd("Page.printToPDF", {
        "paperWidth": width, "paperHeight": height, "printBackground": True,
        "preferCSSPageSize": css_page_size})
    return base64.b64decode(result["data"])


def pdf_info(pdf: Path) -> dict[str, str]:
    output = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                            check=True).stdout
    return dict(re.findall(r"^([^:]+):\s*(.*)$", output, flags=re.MULTILINE))


def pdf_pages(pdf: Path) -> int:
    return int(pdf_info(pdf)["Pages"])


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
