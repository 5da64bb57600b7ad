"""`visit record --live` for real: the sample visit played into the virtual microphone while
the recorder captures it, transcribes it in the background and shows the checklist.

What is asserted is behaviour and order, never how many seconds anything took (that is
benchmarks/live.py's job): the checklist moves forward (not asked -> asked -> settled), no
sound is dropped, and the report written at stop is what analysing the live transcript
gives.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import threading

import pytest
import soundfile as sf
from click.testing import CliRunner

from recorder.app.cli import main
from recorder.storage.audiofile import SAMPLE_RATE, load_audio
from testkit.heard import MAX_SPEECH_LOST_S, overlapping, sample_turns, speech_lost_s
from testkit.paths import SAMPLE_AUDIO
from testkit.recording import (
    CHILD_TIMEOUT_S,
    record_stage,
    recorded_s,
    share_of_windows_heard,
    start_recording,
    wait_until,
)

pytestmark = [pytest.mark.microphone, pytest.mark.whisper]

# The recording is stopped with Ctrl-C once the sample has been played, however late the
# player started on a busy machine; this cap only keeps a stuck player from hanging the run.
RECORDING_CAP_S = 600.0
# Sound still on its way from the player to the recorder when the player exits (PulseAudio
# buffers); the recorder is stopped after this much more audio has reached the file.
DELIVERY_ROOM_S = 2.0
CHECK_LINE = re.compile(r"^\[(.)\] (Q\d) (.+)$")
STATE_OF = {"not yet asked": "not_asked", "asked, waiting for an answer": "waiting",
            "answered": "answered", "partly answered": "partial", "not answered": "unanswered"}
STATUS_RANK = {"not_asked": 0, "unanswered": 1, "partial": 2, "answered": 3}
VERDICT_RANK = {"second_consultation_warranted": 0, "partial": 1, "equipped": 2}
PROGRESS = {"not_asked": 0, "waiting": 1, "answered": 2, "partial": 2, "unanswered": 2}


@pytest.fixture(scope="module")
def live_visit(vmic, speaker_model, tmp_path_factory):
    """The sample played into the microphone during `visit record --live`, once, with the
    models a set-up machine has: (the visit folder, what the command printed on stdout, the
    lines of its stderr, the source)."""
    tmp = tmp_path_factory.mktemp("live")
    source = tmp / "sample.wav"
    audio = load_audio(SAMPLE_AUDIO)
    sf.write(source, audio, SAMPLE_RATE)
    folder = tmp / "visit"
    child = start_recording(folder, "--live", "--duration", f"{RECORDING_CAP_S:.0f}")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(
        line.rstrip("\n") for line in child.stderr))
    reader.start()
    vmic.play(source).wait()
    played_until = recorded_s(folder / "recording.wav")
    wait_until(lambda: recorded_s(folder / "recording.wav") >= played_until + DELIVERY_ROOM_S,
               "the recorder to take in the end of the playback")
    child.send_signal(signal.SIGINT)
    out = child.stdout.read()
    child.wait(timeout=CHILD_TIMEOUT_S)
    reader.join()
    assert child.returncode == 0, "\n".join(lines)
    return folder, out, lines, source


def _shown_states(lines: list[str]) -> dict[str, list[str]]:
    """Each question's states in the order the checklist showed them, repeats dropped."""
    shown: dict[str, list[str]] = {}
    for text in lines:
        if (match := CHECK_LINE.match(text)) and match[3] in STATE_OF:
            states = shown.setdefault(match[2], [])
            if not states or states[-1] != STATE_OF[match[3]]:
                states.append(STATE_OF[match[3]])
    return shown


def test_the_checklist_only_moves_forward_while_recording(live_visit, sample_truth):
    _, _, lines, _ = live_visit
    shown = _shown_states(lines)
    assert set(shown) == set(sample_truth["questions"]), lines
    for qid, states in shown.items():
        # Every question is on the checklist as "not yet asked" before anything else (the
        # sample's first question comes 27 s in), and it never goes back down: not asked ->
        # asked, waiting -> answered, partly answered or not answered.
        assert states[0] == "not_asked", (qid, states)
        ranks = [PROGRESS[state] for state in states]
        assert ranks == sorted(ranks), (qid, states)
    # The checklist is live: the first question, asked and answered in the first minute,
    # is seen settled while the recording still goes on, not only in the report at stop.
    assert shown["Q1"][-1] == sample_truth["questions"]["Q1"], shown["Q1"]
    assert all(states == ["not_asked"] for qid, states in shown.items()
               if sample_truth["questions"][qid] == "not_asked"), shown


def test_no_sound_is_dropped_and_the_live_transcript_covers_the_recording(live_visit):
    folder, _, _, source = live_visit
    # The capture never waited for the recogniser, and what was played is what was kept.
    assert record_stage(folder)["overflows"] == 0
    assert share_of_windows_heard(folder / "recording.wav", source) >= 0.9
    transcript = json.loads((folder / "transcript.json").read_text())
    assert transcript["duration_s"] == pytest.approx(sf.info(folder / "recording.wav").duration,
                                                     abs=0.05)
    segments = transcript["segments"]
    # In time order: no word overlaps another, nor a mark of unclear speech it is not in.
    assert overlapping(segments) == []
    # Every turn of the sample, the first and the last included, is written down.
    assert speech_lost_s(sample_turns(), " ".join(s["text"] for s in segments)) \
        < MAX_SPEECH_LOST_S


def test_the_report_at_stop_is_the_live_transcript_analysed(live_visit, tmp_path):
    folder, out, _, _ = live_visit
    # At stop, the live transcript is reused: the report was written by the recorder itself.
    assert "Report:" in out and (folder / "report.html").is_file()
    live = (folder / "findings.json").read_text()
    # Analysing the same transcript again, on its own, gives exactly the same findings.
    again = tmp_path / "again"
    again.mkdir()
    shutil.copyfile(folder / "transcript.json", again / "transcript.json")
    result = CliRunner().invoke(main, ["analyze", str(again / "transcript.json"),
                                       "--out", str(again / "visit")])
    assert result.exit_code == 0, result.output
    assert (again / "visit" / "findings.json").read_text() == live
    assert f"Verdict: {json.loads(live)['verdict']}" in out


def test_the_live_pass_never_claims_more_than_the_visit_holds(live_visit, sample_truth):
    """Against the sample's truth, by construction of its script. The live pass is a
    recogniser pass of its own whose windows depend on when the transcriber got to the
    audio: on a busy machine a window can cut a sentence and a question or a short reply
    come out less sure (seen under a load of 10-12 on 2 cores: Q3's reply lost to a
    window cut, Q5 heard as "what is the real issue? of anesthetic risk"). What holds on any
    machine: nothing more confident than the truth (the deflected Q5 is never answered,
    Q4 never asked), and Q1, asked and answered at length in the first minute, answered.
    Exact statuses are asserted where the audio and its windows are fixed: on a fixed feed
    of the same audio (tests/test_live.py) and on the sample file (tests/test_end_to_end.py)."""
    folder, _, _, _ = live_visit
    findings = json.loads((folder / "findings.json").read_text())
    found = {q["id"]: q["status"] for q in findings["questions"]}
    truth = sample_truth["questions"]
    assert all(STATUS_RANK[found[qid]] <= STATUS_RANK[truth[qid]] for qid in truth), found
    assert found["Q1"] == truth["Q1"] == "answered", found
    assert VERDICT_RANK[findings["verdict"]] <= VERDICT_RANK[sample_truth["verdict"]]
