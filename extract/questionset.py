"""The question set: the patient's prepared questions and what counts as an answer, as data.

The default set is extract/spine_fusion.toml; `--questions FILE` loads another in the same
format (docs/question-sets.md). A malformed file gets one sentence naming the line.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from extract import requirements
from extract.errors import BadInput

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_QUESTION_SET = "spine_fusion.toml"
REQUIREMENTS = tuple(requirements.REQUIREMENTS)  # the registry of typed extractors


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    paraphrases: tuple[str, ...]
    concepts: tuple[tuple[str, ...], ...]  # each inner tuple: alternative words for one idea
    requires: str  # one of REQUIREMENTS
    answer_must_contain: str
    critical: bool = False


@dataclass(frozen=True)
class Procedure:
    id: str
    name: str
    aliases: tuple[str, ...]
    not_this: tuple[str, ...] = ()
    wants: str = ""


@dataclass(frozen=True)
class Item:
    id: str
    asked: tuple[str, ...]
    concepts: tuple[tuple[str, ...], ...] = ()
    agree: tuple[str, ...] = ()
    refuse: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    not_counts: tuple[str, ...] = ()
    said: tuple[str, ...] = ()  # words that mark a sentence stating this item's number
    display: str = ""  # the wording printed on the prep sheet; empty: the first `asked`


@dataclass(frozen=True)
class RedFlagRule:
    kind: str
    why: str
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionSet:
    name: str
    questions: tuple[Question, ...]
    procedures: tuple[Procedure, ...] = ()
    items: tuple[Item, ...] = ()
    red_flags: tuple[RedFlagRule, ...] = ()
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    deflections: tuple[str, ...] = ()
    vocabulary: tuple[str, ...] = ()
    goal_phrases: tuple[str, ...] = ()
    goal_example: str = ""
    look_alikes: tuple[str, ...] = ()  # questions close to the prepared ones that are none

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def red_flag(self, kind: str) -> RedFlagRule | None:
        return next((r for r in self.red_flags if r.kind == kind), None)


class _Problem(ValueError):
    """What is wrong, and where: the entry (a question or item id) and the key, if known."""

    def __init__(self, message: str, entry: str | None = None, key: str | None = None,
                 table: tuple[str, int] | None = None):
        super().__init__(message)
        self.entry, self.key, self.table = entry, key, table  # table: ("items", 3)


def _line_of(text: str, problem: _Problem) -> int:
    """The line of the problem's key inside its entry (found by id, or as the nth table)."""
    lines = text.splitlines()
    entry, key = problem.entry, problem.key
    if problem.table is not None:
        name, nth = problem.table
        headers = [n for n, line in enumerate(lines) if line.strip() == f"[[{name}]]"]
        if len(headers) >= nth:
            return headers[nth - 1] + 1
    first = 0
    if entry is not None:
        marker = re.compile(rf"^\s*(id|kind)\s*=\s*[\"']{re.escape(entry)}[\"']")
        first = next((n for n, line in enumerate(lines) if marker.match(line)), 0)
        while first > 0 and not lines[first - 1].lstrip().startswith("[") and \
                not lines[first].lstrip().startswith("["):
            first -= 1  # back to the [[header]], so keys above the id are found too
    if key is not None:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(first, len(lines)):
            if number > first and entry is not None and lines[number].lstrip().startswith("[["):
                break
            if pattern.match(lines[number]):
                return number + 1
    return first + 1


def _strings(value, where: str, entry: str | None = None, key: str | None = None,
             ) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Problem(f"{where} must be a list of strings", entry, key)
    return tuple(value)


def _lower(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.lower() for v in values)


def _concepts(value, where: str, entry: str) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list) or not all(isinstance(group, list) for group in value):
        raise _Problem(f"{where} must be a list of lists of strings, e.g. "
                       "[[\"delay\", \"wait\"], [\"risk\"]]", entry, "concepts")
    return tuple(_lower(_strings(group, where, entry, "concepts")) for group in value)


TOP_LEVEL_KEYS = {"name", "goal_example", "goal_phrases", "vocabulary", "deflections", "questions",
                  "evidence", "procedures", "items", "red_flags", "look_alikes"}
QUESTION_KEYS = {"id", "text", "paraphrases", "concepts", "requires", "answer_must_contain",
                 "critical"}
EVIDENCE_KEYS = {"structure", "vague_structure", "candidacy", "reason", "treatments", "risk_words",
                 "vague_quantities", "other_subjects", "improvement", "generic_structure"}
PROCEDURE_KEYS = {"id", "name", "aliases", "not_this", "wants"}
ITEM_KEYS = {"id", "asked", "display", "concepts", "agree", "refuse", "counts", "not_counts",
             "said"}
ITEM_LISTS = ("agree", "refuse", "counts", "not_counts", "said")
RED_FLAG_KEYS = {"kind", "why", "phrases"}


def _no_unknown(raw, known: set[str], where: str, entry: str | None = None) -> None:
    if not isinstance(raw, dict):
        raise _Problem(f"{where} must be a table of fields", entry)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _Problem(f"{unknown[0]!r} is not a field of {where} (known: "
                       f"{', '.join(sorted(known))})", entry, unknown[0])


def _entries(data: dict, table: str, id_key: str, known: set[str]) -> list[dict]:
    """The [[table]] entries, each a table with a non-empty, unique `id_key`."""
    entries = data.get(table, [])
    if not isinstance(entries, list):
        raise _Problem(f"{table} must be written as [[{table}]] tables", None, table)
    seen = set()
    for number, raw in enumerate(entries, start=1):
        entry = raw.get(id_key) if isinstance(raw, dict) else None
        where = f"[[{table}]] number {number}" + (f" ({entry})" if entry else "")
        _no_unknown(raw, known, where, entry)
        if not isinstance(entry, str) or not entry.strip():
            raise _Problem(f"{where} has no {id_key!r}", table=(table, number))
        if entry in seen:
            raise _Problem(f"the {id_key} {entry!r} is used twice in [[{table}]]",
                           table=(table, number))
        seen.add(entry)
    return entries


def _question(raw: dict) -> Question:
    qid = raw["id"]
    where = f"question {qid}"
    for key in ("text", "requires"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _Problem(f"{where} has no {key!r}", qid)
    if raw["requires"] not in REQUIREMENTS:
        raise _Problem(f"{where} requires {raw['requires']!r}, which is not one of "
                       f"{', '.join(REQUIREMENTS)}", qid, "requires")
    return Question(
        id=qid, text=raw["text"],
        paraphrases=_lower(_strings(raw.get("paraphrases", []), f"{where} paraphrases", qid,
                                    "paraphrases")),
        concepts=_concepts(raw.get("concepts", []), f"{where} concepts", qid),
        requires=raw["requires"], answer_must_contain=raw.get("answer_must_contain", ""),
        critical=bool(raw.get("critical", False)))


def _item(raw: dict) -> Item:
    iid = raw["id"]
    lists = {key: _lower(_strings(raw.get(key, []), f"item {iid} {key}", iid, key))
             for key in ("asked", *ITEM_LISTS)}
    display = raw.get("display", "")
    if not isinstance(display, str):
        raise _Problem(f"item {iid} display must be a string", iid, "display")
    return Item(id=iid, display=display,
                concepts=_concepts(raw.get("concepts", []), f"item {iid} concepts", iid), **lists)


def _build(data: dict) -> QuestionSet:
    _no_unknown(data, TOP_LEVEL_KEYS, "a question set")
    _no_unknown(data.get("evidence", {}), EVIDENCE_KEYS, "[evidence]")
    questions = tuple(_question(raw) for raw in _entries(data, "questions", "id", QUESTION_KEYS))
    if not questions:
        raise _Problem("it has no [[questions]]")
    procedures = tuple(
        Procedure(id=p["id"], name=p.get("name", p["id"]),
                  aliases=_lower(_strings(p.get("aliases", []), f"procedure {p['id']} aliases",
                                          p["id"], "aliases")),
                  not_this=_lower(_strings(p.get("not_this", []),
                                           f"procedure {p['id']} not_this", p["id"], "not_this")),
                  wants=p.get("wants", ""))
        for p in _entries(data, "procedures", "id", PROCEDURE_KEYS))
    items = tuple(_item(raw) for raw in _entries(data, "items", "id", ITEM_KEYS))
    red_flags = tuple(
        RedFlagRule(kind=r["kind"], why=r.get("why", ""),
                    phrases=_lower(_strings(r.get("phrases", []), f"red flag {r['kind']} phrases",
                                            r["kind"], "phrases")))
        for r in _entries(data, "red_flags", "kind", RED_FLAG_KEYS))
    evidence = {key: _lower(_strings(value, f"evidence {key}", None, key))
                for key, value in data.get("evidence", {}).items()}
    return QuestionSet(
        name=data.get("name", "Question set"), questions=questions, procedures=procedures,
        items=items, red_flags=red_flags, evidence=evidence,
        deflections=_lower(_strings(data.get("deflections", []), "deflections", None,
                                    "deflections")),
        vocabulary=_strings(data.get("vocabulary", []), "vocabulary", None, "vocabulary"),
        goal_phrases=_lower(_strings(data.get("goal_phrases", []), "goal_phrases", None,
                                     "goal_phrases")),
        goal_example=data.get("goal_example", ""),
        look_alikes=_lower(_strings(data.get("look_alikes", []), "look_alikes", None,
                                    "look_alikes")),
    )


def parse_question_set(text: str, source: str) -> QuestionSet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"The question set {source} is not valid TOML ({error}); fix that line "
                       "and try again.") from None
    try:
        return _build(data)
    except _Problem as problem:
        line = _line_of(text, problem)
        raise BadInput(f"The question set {source} is malformed at line {line}: {problem}; "
                       "see docs/question-sets.md for the format.") from None


def load_question_set(path: Path | None = None) -> QuestionSet:
    if path is None:
        text = resources.files("extract").joinpath(DEFAULT_QUESTION_SET).read_text("utf-8")
        return parse_question_set(text, DEFAULT_QUESTION_SET)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"The question set {path} cannot be read ({error.__class__.__name__}); "
                       "give a TOML file in the format of docs/question-sets.md.") from None
    return parse_question_set(text, str(path))
