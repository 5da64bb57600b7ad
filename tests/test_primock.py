"""57 real primary-care consultations in which none of our questions is asked.

A real-world check on false alarms: the analyzer must find no question asked there, even
though words such as "pain", "percent", "scan" and "physio" occur, and raise no red flag.
"""

import pytest

from extract.analyze import analyze
from recorder.storage.transcript_files import read_transcript
from testkit.paths import PRIMOCK_DIR

pytestmark = pytest.mark.slow  # real consultation transcripts through the analyzer (~15 s)


def test_no_question_is_found_in_real_consultations_that_never_ask_them(nlp, question_set):
    asked = {}
    for path in sorted(PRIMOCK_DIR.glob("*.vtt")):
        findings = analyze(read_transcript(path), question_set, nlp)
        found = [q.id for q in findings.questions if q.status != "not_asked"]
        if found:
            asked[path.name] = found
        assert findings.verdict == "second_consultation_warranted"
        assert all(n.value is None for n in findings.numbers), path.name
        # No red flag, no goal, nothing agreed or refused: a GP visit asks for no written
        # comparison and no cost (a patient asking a GP for a referral is real, and "said").
        assert findings.red_flags == () and findings.goal is None, path.name
        outcomes = {i.id: i.outcome for i in findings.items}
        assert outcomes["comparison"] == outcomes["cost"] == "not_discussed", path.name
        assert "agreed" not in outcomes.values() and "refused" not in outcomes.values()
    assert asked == {}
