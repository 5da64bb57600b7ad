"""`visit prep`: the one-page sheet a patient prints before the visit, as HTML and PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from selenium.webdriver.common.by import By

from extract.questionset import Item, load_question_set
from recorder.app.cli import main
from recorder.app.printing import PrintFailed, html_to_pdf
from reports.prep import PrepInput, item_wording, render_prep_html
from testkit.browser import (
    fetched_urls,
    full_page_screenshot,
    network_urls,
    pdf_info,
    pdf_pages,
    pdf_text,
    print_to_pdf,
    start_chromium,
    wait_for,
)
from testkit.paths import REPO

# The goal and its follow-up sentence from questions.md: a long goal, the hardest to fit.
GOAL = ("I want to return to lifting my grandchildren without back pain and I want to exhaust "
        "non-surgical options first. Before we discuss surgery, I want to understand every "
        "non-surgical option that fits my imaging.")
PAPER_NAMES = {"a4": "A4", "letter": "letter"}


def _flat(text: str) -> str:
    """PDF text as one line: whitespace runs joined, words split at a hyphen rejoined."""
    return re.sub(r"-\s+", "-", re.sub(r"\s+", " ", text))


def _prep(tmp_path, *args, env=None):
    out = tmp_path / "sheet.html"
    result = CliRunner().invoke(main, ["prep", "--out", str(out), *args], env=env)
    return out, result


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.mark.browser  # printed to PDF by Chromium
@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_prep_prints_everything_on_one_page(tmp_path, paper):
    out, result = _prep(tmp_path, "--goal", GOAL, "--paper", paper)
    assert result.exit_code == 0, result.output
    pdf = out.with_suffix(".pdf")
    assert str(out) in result.output and str(pdf) in result.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert pdf_pages(pdf) == 1
    assert PAPER_NAMES[paper] in pdf_info(pdf)["Page size"]
    text = _flat(pdf_text(pdf))
    questions = load_question_set()
    assert _flat(GOAL) in text
    for question in questions.questions:
        assert _flat(question.text) in text
    for procedure in questions.procedures:
        assert _flat(procedure.name) in text
    for item in questions.items:
        assert _flat(item_wording(item)) in text
    for artifact in questions.artifacts:
        assert _flat(artifact.name) in text


def test_the_prep_sheet_in_the_browser(browser, tmp_path):
    out, result = _prep(tmp_path, "--goal", GOAL)
    assert result.exit_code == 0, result.output
    fetched_urls(browser)  # forget what the browser fetched before
    browser.get(out.resolve().as_uri())
    wait_for(lambda: browser.execute_script("return document.readyState") == "complete",
             "the sheet to load")
    assert full_page_screenshot(browser, tmp_path / "prep.png").startswith(b"\x89PNG")
    fetched = fetched_urls(browser)
    assert out.resolve().as_uri() in fetched and network_urls(fetched) == []  # works offline
    goal = browser.find_element(By.ID, "goal")
    assert _flat(GOAL) in _flat(goal.text) and goal.get_attribute("data-example") == "false"
    questions = load_question_set()
    rows = browser.find_elements(By.CSS_SELECTOR, "li[data-question]")
    assert [row.get_attribute("data-question") for row in rows] == \
        [q.id for q in questions.questions]
    for row, question in zip(rows, questions.questions):
        assert question.text in row.text
        assert row.find_element(By.CSS_SELECTOR, ".notes").size["height"] >= 25  # room to write
    assert [li.text for li in browser.find_elements(By.CSS_SELECTOR, "li.item")] == \
        [item_wording(item) for item in questions.items]
    checks = browser.find_elements(By.CSS_SELECTOR, "li[data-artifact]")
    assert [li.get_attribute("data-artifact") for li in checks] == [a.id for a in questions.artifacts]
    assert all(li.find_elements(By.CSS_SELECTOR, ".box") for li in checks)
    for paper in ("letter", "a4"):  # the browser's own print, with the paper the sheet asks for
        pdf = tmp_path / f"printed-{paper}.pdf"
        pdf.write_bytes(print_to_pdf(browser, paper, css_page_size=True))
        assert pdf_pages(pdf) == 1


def test_prep_with_another_question_set_and_no_goal_shows_its_example():
    knee = load_question_set(REPO / "extract" / "knee_replacement.toml")
    html = render_prep_html(PrepInput(knee))
    for question in knee.questions:
        assert question.text.replace("'", "&#39;") in html
    assert knee.goal_example in html and 'data-example="true"' in html
    for item in knee.items:
        assert item_wording(item).replace("'", "&#39;") in html
    assert "Intra-annular fibrin injection" not in html  # the spine set's procedures are not


def test_an_item_without_a_display_wording_is_asked_in_its_first_phrasing():
    phrasings = ("could i have it in writing", "in writing?")
    assert item_wording(Item(id="comparison", asked=phrasings)) == "Could I have it in writing?"
    assert item_wording(Item(id="cost", asked=(), display="What will it cost?")) == \
        "What will it cost?"


def test_the_goal_is_printed_as_text_never_as_markup(tmp_path):
    goal = "<script>alert(1)</script> {{ x }}"
    html = render_prep_html(PrepInput(load_question_set(), goal=goal))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ x }}" in html and "<script" not in html


def test_without_a_converter_prep_writes_html_only_and_says_why(tmp_path):
    empty = tmp_path / "no-browsers"
    empty.mkdir()
    out, result = _prep(tmp_path, env={"PATH": str(empty)})
    assert result.exit_code == 0, result.output
    assert out.is_file() and not out.with_suffix(".pdf").exists()
    assert "No PDF was made because no Chromium or Chrome browser was found" in result.output


def test_prep_refuses_a_goal_too_long_for_one_page(tmp_path):
    out, result = _prep(tmp_path, "--goal", "I want " + "to walk again " * 40)
    assert result.exit_code == 2 and "so the sheet fits on one page" in result.output
    assert not out.exists()


def test_prep_refuses_an_output_that_is_not_html(tmp_path):
    result = CliRunner().invoke(main, ["prep", "--out", str(tmp_path / "sheet.pdf")])
    assert result.exit_code == 1 and "is not an .html file name" in result.output


def test_a_converter_that_fails_is_one_clear_sentence_and_leaves_no_pdf(tmp_path):
    page = tmp_path / "sheet.html"
    page.write_text(render_prep_html(PrepInput(load_question_set())))
    with pytest.raises(PrintFailed, match="could not print sheet.html to PDF .*print it from there"):
        html_to_pdf(page, tmp_path / "sheet.pdf", Path("/bin/false"))  # a program that fails
    assert not (tmp_path / "sheet.pdf").exists()
