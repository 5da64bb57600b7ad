"""The HTML report in a real headless Chromium: what a patient sees, clicks and prints."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from selenium.webdriver.common.by import By

from extract.questionset import load_question_set
from reports.render import MACHINE_NOTE, STATUS_LABELS, render_html
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
from testkit.report_cases import GOLDEN, report_input

PAPER_NAMES = {"a4": "A4", "letter": "letter"}  # as pdfinfo names the page size


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def sample_findings(processed_sample) -> dict:
    return json.loads((processed_sample / "findings.json").read_text())


def _open(browser, page):
    browser.get(page.resolve().as_uri())
    wait_for(lambda: browser.execute_script("return document.readyState") == "complete",
             "the page to load")


def _audio_time(browser) -> float:
    return browser.execute_script("return document.getElementById('recording').currentTime")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_the_report_shows_the_verdict_and_each_question_with_its_status(
        browser, processed_sample, sample_findings, tmp_path):
    _open(browser, processed_sample / "report.html")
    screenshot = full_page_screenshot(browser, tmp_path / "report.png")
    assert screenshot.startswith(b"\x89PNG") and len(screenshot) > 50_000  # a whole page drawn

    verdict = browser.find_element(By.ID, "verdict")
    assert verdict.get_attribute("data-verdict") == sample_findings["verdict"]
    headline = load_question_set().verdict(sample_findings["verdict"]).headline
    assert verdict.text.startswith(headline)
    present = {li.get_attribute("data-artifact"): li.get_attribute("data-present") == "true"
               for li in browser.find_elements(By.CSS_SELECTOR, "[data-artifact]")}
    assert present == {a["id"]: a["present"] for a in sample_findings["artifacts"]}

    cards = browser.find_elements(By.CSS_SELECTOR, "article.card")
    assert len(cards) == 5
    assert [(c.get_attribute("id"), c.get_attribute("data-status")) for c in cards] == \
        [(q["id"], q["status"]) for q in sample_findings["questions"]]
    badge_colours = {}
    for card, question in zip(cards, sample_findings["questions"]):
        badge = card.find_element(By.CSS_SELECTOR, ".badge")
        assert badge.text.endswith(STATUS_LABELS[question["status"]])  # words, not colour alone
        badge_colours[question["status"]] = badge.value_of_css_property("background-color")
        assert question["text"] in card.text
        if question["answer"]:
            assert question["answer"]["text"] in card.text
        assert question["evidence"] in card.text
    assert len(set(badge_colours.values())) == len(badge_colours)  # and colour as well
    emails = [pre.text for pre in browser.find_elements(By.ID, "email-text")]
    followup = (processed_sample / "followup.txt").read_text()
    assert emails == ([followup.strip()] if followup.startswith("Subject:") else [])


def test_a_play_button_moves_the_recording_to_that_answer(browser, processed_sample,
                                                         sample_findings):
    fetched_urls(browser)  # forget what the browser fetched before
    _open(browser, processed_sample / "report.html")
    wait_for(lambda: browser.execute_script(
        "return document.getElementById('recording').readyState") >= 1,
        "the recording's metadata (readyState HAVE_METADATA)")
    fetched = fetched_urls(browser)
    assert (processed_sample / "recording.mp3").resolve().as_uri() in fetched
    assert network_urls(fetched) == []  # the page and its recording, nothing from a network
    answered = [q for q in sample_findings["questions"] if q["answer"]]
    assert len(answered) >= 2
    for question in (answered[0], answered[-1]):
        start, end = question["answer"]["start"], question["answer"]["end"]
        assert not start - 0.1 <= _audio_time(browser) <= end + 1.0  # somewhere else before
        browser.find_element(By.CSS_SELECTOR, f"#{question['id']} button.play").click()
        # Playing may carry it on past the start, but the button stops it at the answer's end.
        wait_for(lambda: start - 0.1 <= _audio_time(browser) <= end + 1.0,
                 f"currentTime to move to {question['id']}'s answer at {start} s")


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_report_prints_on_a4_and_letter_without_its_buttons(browser, processed_sample,
                                                               sample_findings, tmp_path,
                                                               paper):
    _open(browser, processed_sample / "report.html")
    pdf = tmp_path / f"report-{paper}.pdf"
    pdf.write_bytes(print_to_pdf(browser, paper))
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert pdf_pages(pdf) >= 2  # the verdict, five questions and the transcript
    assert PAPER_NAMES[paper] in pdf_info(pdf)["Page size"]
    text = _flat(pdf_text(pdf))
    assert "Did you get what you came for?" in text
    for question in sample_findings["questions"]:
        assert f"({question['id']})" in text
    assert "Listen to this reply" not in text  # the buttons are for the screen only
    assert _flat(MACHINE_NOTE) in text


def test_a_report_copied_without_its_recording_says_so(browser, processed_sample, tmp_path):
    shutil.copyfile(processed_sample / "report.html", tmp_path / "report.html")
    _open(browser, tmp_path / "report.html")
    notice = browser.find_element(By.ID, "missing-audio")
    wait_for(notice.is_displayed, "the missing-recording notice")
    assert "was not found next to this report" in notice.text


def test_script_html_and_template_syntax_in_a_transcript_stay_plain_text(browser, tmp_path):
    case = GOLDEN / "red-flags"
    data = report_input(case)
    page = tmp_path / "report.html"
    page.write_text(render_html(data), encoding="utf-8")
    _open(browser, page)
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    assert browser.find_elements(By.TAG_NAME, "img") == []  # a marker note held <img onerror>
    assert browser.find_elements(By.CSS_SELECTOR, "blockquote b, .transcript b") == []
    transcript = browser.find_element(By.CSS_SELECTOR, ".transcript").text
    assert "<script>window.pwned = 1</script> {{ 7 * 7 }} {% if true %}x{% endif %}" in transcript
    assert "{{ diagnosis }}" in browser.find_element(By.ID, "Q1").text
    unclear = browser.find_elements(By.CSS_SELECTOR, ".transcript p.unclear")
    assert len(unclear) == sum(s.low_confidence for s in data.transcript.segments) == 2
    assert all("unclear" in p.text for p in unclear)  # marked in words, not only in colour
