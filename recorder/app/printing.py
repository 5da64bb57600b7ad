"""What a patient prints: the prep sheet written to disk, and HTML printed to PDF by a
headless browser (the converter, when one is installed).

The I/O edge around reports.prep, which only renders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from extract.errors import BadInput, VisitError
from recorder.storage.files import write_private
from reports.prep import PrepInput, render_prep_html

# Browsers that print HTML to PDF headless with --print-to-pdf, in the order they are tried.
PDF_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_TIMEOUT_S = 90  # a one-page sheet prints in about 2 s; a wedged browser must not hang us
PDF_MAGIC = b"%PDF-"


class PrintFailed(VisitError):
    """The browser could not print the page to PDF."""


def find_pdf_converter() -> Path | None:
    """The first headless-capable browser on PATH, or None."""
    for name in PDF_BROWSERS:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def _browser_command(browser: Path, profile: str, pdf: Path, html: Path) -> list[str]:
    command = [str(browser), "--headless", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
               f"--user-data-dir={profile}", f"--print-to-pdf={pdf}", html.resolve().as_uri()]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to start as root with its sandbox
    return command


def html_to_pdf(html: Path, pdf: Path, browser: Path) -> Path:
    """Print `html` to `pdf` with the page size and margins its own print CSS asks for."""
    with tempfile.TemporaryDirectory(prefix="visit-print-") as work:
        printed = Path(work) / "page.pdf"
        try:
            result = subprocess.run(_browser_command(browser, str(Path(work) / "profile"),
                                                     printed, html),
                                    capture_output=True, text=True, timeout=PRINT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise PrintFailed(f"{browser.name} did not finish printing {html.name} to PDF in "
                              f"{PRINT_TIMEOUT_S} s; open {html} in a browser and print it "
                              "from there.") from None
        data = printed.read_bytes() if printed.is_file() else b""
        if result.returncode != 0 or not data.startswith(PDF_MAGIC):
            detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise PrintFailed(f"{browser.name} could not print {html.name} to PDF ({detail}); "
                              f"open {html} in a browser and print it from there.")
    return write_private(pdf, data)


@dataclass(frozen=True)
class PrepFiles:
    html: Path
    pdf: Path | None  # None: no converter was found


def write_prep_sheet(html: Path, data: PrepInput, converter: Path | None) -> PrepFiles:
    """The prep sheet as HTML at `html`, and beside it as PDF when a converter is given."""
    if html.suffix.lower() not in (".html", ".htm"):
        raise BadInput(f"{html.name} is not an .html file name; give one such as "
                       "prep-sheet.html (the PDF is written beside it).")
    if not html.parent.is_dir():
        raise BadInput(f"The folder {html.parent} does not exist; create it, or choose another "
                       "file with --out.")
    written = write_private(html, render_prep_html(data))
    if converter is None:
        return PrepFiles(html=written, pdf=None)
    return PrepFiles(html=written, pdf=html_to_pdf(written, html.with_suffix(".pdf"), converter))
