"""The question set: the patient's prepared questions and what counts as an answer, as data.

The default set is extract/spine_fusion.toml; `--questions FILE` loads another in the same
format (docs/question-sets.md). A malformed file gets one sentence naming the line.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from recorder.errors import BadInput

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_QUESTION_SET = "spine_fusion.toml"
REQUIREMENTS = ("structure", "proportion", "candidacy_with_reason", "treatments_with_rates",
                "quantified_risk", "number", "on_topic")


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

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def red_flag(self, kind: str) -> RedFlagRule | None:
        return next((r for r in self.red_flags if r.kind == kind), None)


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1


def _strings(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    return tuple(value)


def _lower(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.lower() for v in values)


def _concepts(value, where: str) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list of lists of strings")
    return tuple(_lower(_strings(group, where)) for group in value)


TOP_LEVEL_KEYS = {"name", "goal_example", "goal_phrases", "vocabulary", "deflections", "questions",
                  "evidence", "procedures", "items", "red_flags"}
QUESTION_KEYS = {"id", "text", "paraphrases", "concepts", "requires", "answer_must_contain",
                 "critical"}
EVIDENCE_KEYS = {"structure", "candidacy", "reason", "treatments", "risk_words", "vague_quantities"}


def _no_unknown(keys, known: set[str], where: str) -> None:
    unknown = sorted(set(keys) - known)
    if unknown:
        raise ValueError(f"{unknown[0]} is not a field of {where} (known: {', '.join(sorted(known))})")


def _build(data: dict) -> QuestionSet:
    _no_unknown(data, TOP_LEVEL_KEYS, "a question set")
    _no_unknown(data.get("evidence", {}), EVIDENCE_KEYS, "[evidence]")
    for raw in data.get("questions", []):
        _no_unknown(raw, QUESTION_KEYS, f"question {raw.get('id', '?')}")
    questions = []
    for index, raw in enumerate(data.get("questions", [])):
        where = f"question {raw.get('id', index + 1)}"
        for key in ("id", "text", "requires"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise ValueError(f"{where} has no {key!r}")
        if raw["requires"] not in REQUIREMENTS:
            raise ValueError(f"{where} requires {raw['requires']!r}, which is not one of "
                             f"{', '.join(REQUIREMENTS)}")
        questions.append(Question(
            id=raw["id"], text=raw["text"],
            paraphrases=_lower(_strings(raw.get("paraphrases", []), f"{where} paraphrases")),
            concepts=_concepts(raw.get("concepts", []), f"{where} concepts"),
            requires=raw["requires"],
            answer_must_contain=raw.get("answer_must_contain", ""),
            critical=bool(raw.get("critical", False)),
        ))
    if not questions:
        raise ValueError("it has no [[questions]]")
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"question ids repeat: {', '.join(ids)}")
    procedures = tuple(
        Procedure(id=p["id"], name=p.get("name", p["id"]),
                  aliases=_lower(_strings(p.get("aliases", []), f"procedure {p['id']} aliases")),
                  not_this=_lower(_strings(p.get("not_this", []), f"procedure {p['id']} not_this")),
                  wants=p.get("wants", ""))
        for p in data.get("procedures", []))
    items = tuple(
        Item(id=i["id"], asked=_lower(_strings(i.get("asked", []), f"item {i['id']} asked")),
             display=i.get("display", ""),
             concepts=_concepts(i.get("concepts", []), f"item {i['id']} concepts"),
             **{key: _lower(_strings(i.get(key, []), f"item {i['id']} {key}"))
                for key in ("agree", "refuse", "counts", "not_counts")})
        for i in data.get("items", []))
    red_flags = tuple(
        RedFlagRule(kind=r["kind"], why=r.get("why", ""),
                    phrases=_lower(_strings(r.get("phrases", []), f"red flag {r['kind']} phrases")))
        for r in data.get("red_flags", []))
    evidence = {key: _lower(_strings(value, f"evidence {key}"))
                for key, value in data.get("evidence", {}).items()}
    return QuestionSet(
        name=data.get("name", "Question set"), questions=tuple(questions), procedures=procedures,
        items=items, red_flags=red_flags, evidence=evidence,
        deflections=_lower(_strings(data.get("deflections", []), "deflections")),
        vocabulary=_strings(data.get("vocabulary", []), "vocabulary"),
        goal_phrases=_lower(_strings(data.get("goal_phrases", []), "goal_phrases")),
        goal_example=data.get("goal_example", ""),
    )


def parse_question_set(text: str, source: str) -> QuestionSet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"The question set {source} is not valid TOML ({error}); fix that line "
                       "and try again.") from None
    try:
        return _build(data)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        problem = str(error).strip("'")
        needle = problem.split()[1] if problem.startswith("question ") else problem.split()[0]
        line = _line_of(text, needle)
        raise BadInput(f"The question set {source} is malformed near line {line}: {problem}; "
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
