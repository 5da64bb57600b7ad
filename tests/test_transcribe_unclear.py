"""Speech no hearing can write down is marked "[unclear speech]": the real model, end to end.

The patient asks where the nerve is pinched, the surgeon's answer is mumbled (low-passed at
300 Hz: voice and rhythm kept, the words gone), and the patient says she did not catch it.
Voice activity detection hears the answer as seconds of speech; Whisper base writes next to
nothing for it, neither with the question set's vocabulary nor on the coverage guard's two
retries without it, so the guard marks it, and `visit transcribe` shows "[unclear speech]"
at its time. Both voice sets, so the stimulus is not one synthesiser's accident.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from rapidfuzz import utils

from extract.transcript import UNCLEAR_SPEECH, clock
from recorder.app.cli import main
from recorder.storage.transcript_files import read_transcript
from recorder.transcription.coverage import MIN_RETRY_WORDS_PER_S, WORD_REACH_S
from testkit.speech import VOICE_SET_NAMES, muffled, speak

pytestmark = pytest.mark.whisper  # the real base model through `visit transcribe`

ASKED, MUMBLED, NOT_CAUGHT = 0, 1, 2  # the turns, in order
TURNS = [
    ("patient", "Where exactly is the nerve being pinched?"),
    ("surgeon", ("The nerve root is pressed on at the fifth lumbar level, mostly on the "
                 "right side.")),
    ("patient", "Sorry, I did not catch that. Could you say it again?"),
]
# Words of the clear turns that every hearing so far wrote (espeak-ng's patient voice is
# heard as "Where amactylism of being pinched?").
CLEAR_WORDS = {ASKED: "pinched", NOT_CAUGHT: "did not catch that"}
# Of the mumbled turn's length, at least this much is marked: the answer's first second may
# be taken by a word of the question stretched over it (the rest of it then still is).
MIN_MARKED_SHARE = 0.5


@pytest.fixture(scope="module", params=VOICE_SET_NAMES)
def transcribed(request, tmp_path_factory):
    """The three turns in one voice set, the answer mumbled, through `visit transcribe`."""
    folder = tmp_path_factory.mktemp(f"unclear-{request.param}")
    spoken = muffled(speak(TURNS, voices=request.param), MUMBLED)
    recording = spoken.write(folder / "recording.wav")
    result = CliRunner().invoke(main, ["transcribe", str(recording), "--out",
                                       str(folder / "visit")])
    assert result.exit_code == 0, result.output
    return spoken, folder / "visit"


def _inside(start: float, end: float, turn) -> float:
    """Seconds of [start, end] inside `turn`."""
    return max(0.0, min(end, turn.end) - max(start, turn.start))


def test_the_mumbled_answer_is_marked_unclear_and_not_made_up(transcribed):
    spoken, visit = transcribed
    answer = spoken.turns[MUMBLED]
    segments = read_transcript(visit / "transcript.json").segments
    written = [w for s in segments for w in s.words
               if answer.start <= (w.start + w.end) / 2 <= answer.end]
    # The stimulus works: far fewer words than the guard would take as what was said.
    assert len(written) < MIN_RETRY_WORDS_PER_S * (answer.end - answer.start) / 2, written
    marks = [s for s in segments if not s.text]
    assert marks, [(s.start, s.end, s.text) for s in segments]
    assert all(s.low_confidence and s.words == () for s in marks)
    assert all(_inside(s.start, s.end, answer) > 0 for s in marks)  # only where it was said
    marked = sum(_inside(s.start, s.end, answer) for s in marks)
    assert marked >= MIN_MARKED_SHARE * (answer.end - answer.start), marks


def test_the_clear_turns_around_it_are_written_and_silence_stays_empty(transcribed):
    spoken, visit = transcribed
    segments = read_transcript(visit / "transcript.json").segments
    for turn, words in CLEAR_WORDS.items():
        said = spoken.turns[turn]
        heard = " ".join(w.text for s in segments for w in s.words
                         if said.start - WORD_REACH_S <= (w.start + w.end) / 2
                         <= said.end + WORD_REACH_S)
        assert words in utils.default_process(heard), heard
    # Lead-in, the pauses between turns and the tail are silence: no word is placed there.
    for word in (w for s in segments for w in s.words):
        middle = (word.start + word.end) / 2
        assert any(t.start - WORD_REACH_S <= middle <= t.end + WORD_REACH_S
                   for t in spoken.turns), word


def test_transcript_txt_shows_unclear_speech_at_the_answers_time(transcribed):
    spoken, visit = transcribed
    answer = spoken.turns[MUMBLED]
    marks = [s for s in read_transcript(visit / "transcript.json").segments if not s.text]
    lines = (visit / "transcript.txt").read_text().splitlines()
    shown = [line for line in lines if line.endswith(UNCLEAR_SPEECH)]
    assert len(shown) == len(marks) >= 1, lines
    for line, mark in zip(shown, marks):
        assert line.startswith(f"[{clock(mark.start)}] "), (line, mark)
        assert int(answer.start) <= int(mark.start) <= answer.end  # the second shown
    # Every other line has words: no stretch is shown blank, neither words nor mark.
    assert all(line.split("] ", 1)[1].strip() for line in lines)
    # Read top to bottom, the mark comes after the question and before "did not catch that"
    # (the first hearing can write both in one segment around it, which the mark then cuts).
    texts = [utils.default_process(line) for line in lines]
    first_mark = texts.index(utils.default_process(shown[0]))
    assert any(CLEAR_WORDS[ASKED] in text for text in texts[:first_mark]), lines
    assert any(CLEAR_WORDS[NOT_CAUGHT] in text for text in texts[first_mark + 1:]), lines
