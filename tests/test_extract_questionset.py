"""The question set is data: loaded, validated with one sentence naming the line, and general
enough for another kind of visit (extract/knee_replacement.toml)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from extract.analyze import analyze
from extract.errors import BadInput
from extract.questionset import REQUIREMENTS, load_question_set, parse_question_set
from recorder.app.cli import main
from testkit.corpus import read_consultation
from testkit.paths import REPO

SPINE = REPO / "extract" / "spine_fusion.toml"
KNEE = REPO / "extract" / "knee_replacement.toml"
KNEE_VISIT = REPO / "tests" / "corpus" / "27-knee-answered.txt"


@pytest.mark.parametrize("path", [None, KNEE])
def test_the_shipped_sets_load_and_hold_everything_the_analyzer_needs(path):
    question_set = load_question_set(path)
    assert len(question_set.questions) == 5
    assert sum(q.critical for q in question_set.questions) == 1
    assert all(q.requires in REQUIREMENTS and q.concepts for q in question_set.questions)
    assert {i.id for i in question_set.items} >= {"volume", "revision", "comparison", "referral"}
    assert question_set.item("referral").counts and question_set.red_flag("dismissal")


def test_the_default_set_has_the_procedures_and_the_recogniser_misspellings():
    question_set = load_question_set()
    procedures = {p.id: p for p in question_set.procedures}
    assert set(procedures) == {"fibrin", "prp", "decompression", "rehab"}
    assert "intra annular fiber injection" in procedures["fibrin"].aliases
    assert "laminectomy" in procedures["decompression"].not_this
    assert "platelet count" in procedures["prp"].not_this


def _mutated(old: str, new: str) -> tuple[str, int]:
    """The default set with one line changed, and the number of that line."""
    text = SPINE.read_text()
    assert text.count(old) == 1
    changed = text.replace(old, new)
    line = next(n for n, row in enumerate(changed.splitlines(), 1) if new.splitlines()[-1] in row)
    return changed, line


@pytest.mark.parametrize("old, new, says", [
    ('requires = "proportion"', 'requires = "percent"', "requires 'percent', which is not one of"),
    ('agree = ["i will write"', 'agreed = ["i will write"', "'agreed' is not a field of [[items]]"),
    ('id = "Q3"', 'id = "Q2"', "the id 'Q2' is used twice"),
    ('critical = true', 'critical = true\nparaphrase = ["x"]', "'paraphrase' is not a field"),
    ('said = ["fusion", "fusions"]', 'said = "fusion"', "said must be a list of strings"),
    # The visit's own numbers, artifacts, verdicts and wording (the ids "volume" and
    # "referral" are also items: the line is found in the right table)
    ('kind = "per_year"', 'kind = "yearly"', "number volume kind 'yearly' is not one of"),
    ('unit = " a year"', 'unit = 1', "number volume unit must be a string in quotes"),
    ('[[numbers]]\nid = "not_fused"', '[[numbers]]\nid = "not_fusedx"',
     "number not_fusedx has no [[items]] entry of the same id"),
    ('rule = "numbers volume revision given"', 'rule = "numbers volume revisions given"',
     "names 'revisions', which is not one of the set's numbers"),
    ('rule = "item referral agreed"', 'rule = "referral agreed"', "is not a rule; write one of"),
    ('rule = "item comparison agreed"', 'rule = "item comparison accepted"',
     "names the outcome 'accepted'"),
    ('name = "A referral to a non-surgical spine specialist"', 'name = ""',
     "artifact referral has no 'name'"),
    ('at_least = 3', 'at_least = 6', "at_least must be a whole number of artifacts from 0 to 5"),
    ('at_least = 3', 'at_least  = 5', "must be lower than the verdict above it"),
    ('at_least = 0', 'at_least = 1', "the last verdict (second_consultation_warranted) must"),
    ('headline = "Partly"', 'headline = 3', "verdict partial headline must be a string"),
    ('met = ["said"]', 'met = ["told"]', "item cost met must list outcomes from"),
    ('refused_flag = "refused_referral"', 'refused_flag = "refused_ref"',
     "refused_flag 'refused_ref' is not the kind of any [[red_flags]]"),
    ('name = "Written comparison"', 'name = 2', "item comparison name must be a string"),
    ('needs_reason = true', 'needs_reason = "yes"', "needs_reason must be true or false"),
    ('request = "your personal revision rate at five years"', 'request = 5',
     "number revision request must be a string"),
    ('not_counting = "Only a referral to another surgeon, not to a non-surgical specialist"',
     'not_counting = true', "item referral not_counting must be a string"),
    ('label = "You got some of what you came for. A few things are still missing."',
     'label = ""', "verdict partial has no 'label'"),
    ('label = "Referral refused"', 'label = false', "red flag refused_referral label must be"),
    ('last_step = "Bring', 'last_steps = "Bring', "'last_steps' is not a field of [report]"),
    ('practitioner = "Surgeon"', 'practitioner = "Oncologist"',
     "practitioner 'Oncologist' is not a speaker label the analyzer takes for the practice"),
    ('prep_reminder = "Planned surgery never has to be decided on the same day."',
     'prep_reminder = 1', "[report] prep_reminder must be a string in quotes"),
])
def test_a_malformed_set_gets_one_sentence_naming_its_line(old, new, says):
    text, line = _mutated(old, new)
    with pytest.raises(BadInput) as raised:
        parse_question_set(text, "mine.toml")
    message = str(raised.value)
    assert says in message
    assert f"at line {line}:" in message or (says.startswith("the id") and "at line" in message)
    assert message.endswith("see docs/question-sets.md for the format.")
    assert message.count(". ") == 0 and "\n" not in message


def test_a_set_that_is_not_toml_names_the_line(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[questions]\nid = "A"\n')
    with pytest.raises(BadInput, match="line 2"):
        load_question_set(bad)


def test_the_knee_set_finds_the_knee_questions_in_a_knee_visit(nlp):
    consultation = read_consultation(KNEE_VISIT)
    findings = analyze(consultation.transcript, load_question_set(KNEE), nlp)
    assert {q.id: q.status for q in findings.questions} == consultation.gold.statuses
    assert findings.question_set == "Knee replacement consultation"
    assert findings.number("volume") == consultation.gold.numbers[
        "fusions_per_year"]
    # The spine set finds nothing about spinal imaging, biologics or a six-month delay there
    # (its Q4, treatments that help more than half, is rightly found: the knee K4 asks it).
    spine = analyze(consultation.transcript, load_question_set(), nlp)
    assert [spine.question(q).status for q in ("Q1", "Q3", "Q5")] == ["not_asked"] * 3


def test_visit_analyze_takes_another_question_set(tmp_path: Path):
    consultation = read_consultation(KNEE_VISIT)
    transcript = tmp_path / "knee.txt"
    transcript.write_text("\n".join(words for _, words in consultation.turns) + "\n")
    result = CliRunner().invoke(main, ["analyze", str(transcript), "--questions", str(KNEE),
                                       "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert {q["id"]: q["status"] for q in printed["questions"]} == consultation.gold.statuses
    broken = tmp_path / "broken.toml"
    broken.write_text(KNEE.read_text().replace('requires = "structure"', 'requires = "shape"'))
    result = CliRunner().invoke(main, ["analyze", str(transcript), "--questions", str(broken)])
    assert result.exit_code == 1
    assert "requires 'shape'" in result.output and "Traceback" not in result.output


MINIMAL_SET = '''
name = "Dental implant consultation"

[[questions]]
id = "D1"
text = "What percentage of implants like mine are still in place after ten years?"
concepts = [["percentage", "percent", "how many"], ["implant", "implants"]]
requires = "proportion"
answer_must_contain = "a percentage"
'''


def test_a_minimal_set_of_ones_own_gets_a_report_in_its_own_words(tmp_path: Path, nlp):
    """A user's set with only its questions: one artifact (its answers), a yes-or-not-yet
    verdict, and wording that names no specialty, in every output."""
    mine = tmp_path / "dental.toml"
    mine.write_text(MINIMAL_SET)
    question_set = load_question_set(mine)
    assert question_set.source == str(mine.resolve())
    assert [a.rule for a in question_set.artifacts] == ["all questions answered"]
    transcript = tmp_path / "visit.txt"
    transcript.write_text("Patient: What percentage of implants like mine are still in place "
                          "after ten years?\nDentist: About 95 percent of them.\n")
    result = CliRunner().invoke(main, ["analyze", str(transcript), "--questions", str(mine),
                                       "--out", str(tmp_path / "visit")])
    assert result.exit_code == 0, result.output
    assert "Verdict: equipped (1 of 1)" in result.output
    result = CliRunner().invoke(main, ["report", str(tmp_path / "visit"), "--format", "txt"])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "visit" / "report.txt").read_text()
    assert "YOUR QUESTIONS, AND WHAT WAS SAID" in report and "surgeon" not in report.lower()
    assert "THE NUMBERS YOU ASKED FOR" not in report  # the set asks for none
    assert (tmp_path / "visit" / "followup.txt").read_text() == \
        question_set.wording.nothing_to_follow_up + "\n"
    mine.unlink()  # the set moved: the report says which file it needs, in one sentence
    result = CliRunner().invoke(main, ["report", str(tmp_path / "visit")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert str(mine) in result.output and "--questions" in result.output
