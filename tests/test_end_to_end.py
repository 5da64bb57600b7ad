"""`visit process` on the bundled sample visit, with the real Whisper model and spaCy."""

from __future__ import annotations

import hashlib
import json
import stat

from click.testing import CliRunner

from recorder.app.cli import main
from testkit.paths import SAMPLE_AUDIO


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_each_question_status_matches_the_known_truth(processed_sample, sample_truth):
    findings = json.loads((processed_sample / "findings.json").read_text())
    statuses = {q["id"]: q["status"] for q in findings["questions"]}
    assert statuses == sample_truth["questions"]
    assert findings["verdict"] == sample_truth["verdict"]
    assert {a["id"]: a["present"] for a in findings["artifacts"]} == sample_truth["artifacts"]


def test_the_surgeons_numbers_red_flags_and_procedures_are_found(processed_sample, sample_truth):
    findings = json.loads((processed_sample / "findings.json").read_text())
    numbers = {n["id"]: n["value"] for n in findings["numbers"]}
    assert numbers["volume"] == sample_truth["surgeon_numbers"]["fusions_per_year"]
    assert numbers["revision"] == sample_truth["surgeon_numbers"]["revision_rate_5yr_pct"]
    assert [r["kind"] for r in findings["red_flags"]] == sample_truth["red_flags"]
    assert [p["id"] for p in findings["procedures"] if p["discussed"]] == sample_truth["procedures_discussed"]
    assert (findings["goal"] is not None) == sample_truth["goal_stated"]


def test_answers_are_verbatim_transcript_words_at_their_times(processed_sample):
    findings = json.loads((processed_sample / "findings.json").read_text())
    transcript = json.loads((processed_sample / "transcript.json").read_text())
    words = " ".join(w["text"] for s in transcript["segments"] for w in s["words"])
    squashed = words.replace(" ", "")
    for question in findings["questions"]:
        if question["answer"]:
            assert question["answer"]["text"].replace(" ", "") in squashed
            assert question["asked"]["end"] <= question["answer"]["start"]
    q1 = next(q for q in findings["questions"] if q["id"] == "Q1")
    assert "L5-S1" in q1["answer"]["text"]
    # Q1 is asked about 27 s into the sample, answered about 33 s in (turns.json).
    assert 25 <= q1["asked"]["start"] <= 29 and 31 <= q1["answer"]["start"] <= 36


def test_the_transcript_is_real_whisper_output_with_word_times(processed_sample):
    transcript = json.loads((processed_sample / "transcript.json").read_text())
    assert transcript["engine"] == "faster-whisper" and transcript["model"] == "base"
    text = " ".join(s["text"] for s in transcript["segments"]).lower()
    for phrase in ("structural problem", "revision rate", "second opinion", "written comparison"):
        assert phrase in text
    words = [w for s in transcript["segments"] for w in s["words"]]
    assert len(words) > 300
    assert all(0 <= w["start"] <= w["end"] <= transcript["duration_s"] + 0.5 for w in words)
    vtt = (processed_sample / "transcript.vtt").read_text()
    assert vtt.startswith("WEBVTT") and vtt.count("-->") == len(transcript["segments"])


def test_visit_files_are_private_and_the_recording_is_an_exact_copy(processed_sample):
    assert stat.S_IMODE(processed_sample.stat().st_mode) == 0o700
    for path in processed_sample.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    manifest = json.loads((processed_sample / "manifest.json").read_text())
    recording = processed_sample / manifest["audio_file"]
    assert _sha(recording) == _sha(SAMPLE_AUDIO) == manifest["audio_sha256"]
    assert {s["stage"] for s in manifest["stages"]} == {"transcribe", "speakers", "analyze",
                                                        "report"}


def test_process_again_resumes_without_transcribing_or_touching_the_recording(processed_sample):
    transcript_before = (processed_sample / "transcript.json").read_bytes()
    recording = processed_sample / "recording.mp3"
    mtime = recording.stat().st_mtime_ns
    result = CliRunner().invoke(main, ["process", str(processed_sample)])
    assert result.exit_code == 0, result.output
    assert "reusing" in result.output
    assert (processed_sample / "transcript.json").read_bytes() == transcript_before
    assert recording.stat().st_mtime_ns == mtime


def test_process_prints_where_the_report_is_and_each_status(processed_sample, sample_truth):
    result = CliRunner().invoke(main, ["process", str(processed_sample)])
    assert f"Report: {processed_sample / 'report.html'}" in result.output
    for qid, status in sample_truth["questions"].items():
        label = {"answered": "Answered", "partial": "Partly answered",
                 "unanswered": "Not answered", "not_asked": "Not asked"}[status]
        assert any(line.strip().startswith(f"{qid}  {label}") for line in result.output.splitlines())
    assert f"Verdict: {sample_truth['verdict']}" in result.output


def test_a_transcript_file_gets_a_visit_folder_beside_it(tmp_path, processed_sample,
                                                       sample_truth):
    exported = tmp_path / "exported.json"
    exported.write_bytes((processed_sample / "transcript.json").read_bytes())
    result = CliRunner().invoke(main, ["analyze", str(exported), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)  # --json prints the findings and nothing else
    assert {q["id"]: q["status"] for q in printed["questions"]} == sample_truth["questions"]
    written = json.loads((tmp_path / "exported-visit" / "findings.json").read_text())
    assert written == printed
