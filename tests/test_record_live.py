"""`visit record --live` for real: the sample visit played into the virtual microphone while
the recorder captures it, transcribes it in the background and shows the checklist."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time

import soundfile as sf
from click.testing import CliRunner

from recorder.app.cli import main
from recorder.storage.audiofile import SAMPLE_RATE, load_audio
from tests.conftest import SAMPLE_AUDIO, SAMPLE_DIR
from tests.test_record import CHILD_TIMEOUT_S, record_stage, start_recording

ASKED_WITHIN_S = 20  # the bounds, from the end of the question / of the answer
ANSWERED_WITHIN_S = 30
CHECK_LINE = re.compile(r"^\[(.)\] (Q\d) (.+)$")
STATE_OF = {"not yet asked": "not_asked", "asked, waiting for an answer": "waiting",
            "answered": "answered", "partly answered": "partial", "not answered": "unanswered"}


def _turn_ends(opening: str) -> tuple[float, float]:
    turns = json.loads((SAMPLE_DIR / "turns.json").read_text())
    index = next(i for i, t in enumerate(turns) if t["text"].startswith(opening))
    return turns[index]["end"], turns[index + 1]["end"]


def test_the_live_checklist_follows_the_visit_and_matches_processing_afterwards(
        vmic, tmp_path, sample_truth):
    source = tmp_path / "sample.wav"
    audio = load_audio(SAMPLE_AUDIO)
    sf.write(source, audio, SAMPLE_RATE)
    folder = tmp_path / "visit"
    child = start_recording(folder, "--live", "--duration",
                            f"{audio.size / SAMPLE_RATE + 1.0:.1f}")
    lines: list[tuple[float, str]] = []
    started = time.monotonic()
    reader = threading.Thread(target=lambda: lines.extend(
        (time.monotonic() - started, line.rstrip("\n")) for line in child.stderr))
    reader.start()
    vmic.play(source).wait()
    out = child.stdout.read()
    child.wait(timeout=CHILD_TIMEOUT_S)
    reader.join()
    assert child.returncode == 0, "\n".join(text for _, text in lines)

    changes: dict[str, list[tuple[str, float]]] = {}
    for at, text in lines:
        if (match := CHECK_LINE.match(text)) and match[3] in STATE_OF:
            state = STATE_OF[match[3]]
            if not changes.get(match[2]) or changes[match[2]][-1][0] != state:
                changes.setdefault(match[2], []).append((state, at))
    assert {qid: states[-1][0] for qid, states in changes.items()} == sample_truth["questions"]
    for qid, opening in (("Q1", "Based on my imaging"), ("Q2", "What percentage"),
                         ("Q5", "If I delay surgery")):
        asked_end, answer_end = _turn_ends(opening)
        shown = changes[qid]
        first_asked = next(at for state, at in shown if state != "not_asked")
        assert first_asked - asked_end <= ASKED_WITHIN_S, shown
        assert shown[-1][1] - answer_end <= ANSWERED_WITHIN_S, shown
        assert [state for state, _ in shown][0] == "not_asked"
    # The capture never waited for the recogniser.
    assert record_stage(folder)["overflows"] == 0
    # At stop, the live transcript is reused: the report was written by the recorder itself.
    assert "Report:" in out and (folder / "report.html").is_file()
    assert f"Verdict: {sample_truth['verdict']}" in out
    live = json.loads((folder / "findings.json").read_text())

    # The same recording processed afterwards from scratch gives the same answers to the
    # questions. The verdict is not compared: it also hangs on a few short requests (the
    # surgeon's numbers, the comparison) that a recogniser hears differently from one pass
    # to the next (seen: an offline pass of the captured audio missing "how many fusions",
    # where the live pass and the original file both had it). The live verdict is checked
    # against the sample's truth above.
    again = tmp_path / "again.wav"
    shutil.copyfile(folder / "recording.wav", again)
    result = CliRunner().invoke(main, ["process", str(again)])
    assert result.exit_code == 0, result.output
    offline = json.loads((tmp_path / "again-visit" / "findings.json").read_text())
    # A second pass of the recogniser can hear one reply differently (seen: Q3's "because"
    # missed offline while the live pass and the truth had it): all but one must agree.
    agreeing = [q for q, o in zip(live["questions"], offline["questions"])
                if q["status"] == o["status"]]
    assert len(agreeing) >= len(live["questions"]) - 1, (live["questions"], offline["questions"])
