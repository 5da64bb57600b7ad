"""The question set: the patient's prepared questions and what counts as an answer, as data.

The default set is extract/spine_fusion.toml; `--questions FILE` loads another in the same
format (docs/question-sets.md). A malformed file gets one sentence naming the line.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path

from extract import requirements
from extract.errors import BadInput
from extract.turns import PRACTICE, side_of_label

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
    name: str = ""  # the report's label ("Written comparison"); empty: not in the report
    met: tuple[str, ...] = ("agreed",)  # the outcomes that give the patient what they asked
    request: str = ""  # the follow-up email's line asking for it, when an artifact needs it
    refused_flag: str = ""  # the red flag kind raised when it is refused
    not_counting: str = ""  # the report's words for an agreement with someone who does not count


@dataclass(frozen=True)
class Number:
    """A number the patient asks the practitioner for, read from the reply to the item of
    the same id (or from a sentence holding one of the item's `said` words)."""

    id: str  # the [[items]] entry where it is asked
    name: str  # "Fusions per year"
    kind: str  # one of NUMBER_KINDS: what counts as this number
    unit: str = ""  # appended to the value in the report: " a year", "%"
    meaning: str = ""  # what the number tells the patient
    request: str = ""  # the follow-up email's line asking for it when it was not said


@dataclass(frozen=True)
class Artifact:
    """One thing a visit like this should give the patient, as a rule over the findings."""

    id: str
    name: str  # "A referral to a non-surgical spine specialist"
    todo: str  # what to do when it is missing
    rule: str  # as written: "item referral agreed"
    needs: str  # one of ARTIFACT_RULES
    ids: tuple[str, ...] = ()  # the questions, item or numbers the rule names
    outcomes: tuple[str, ...] = ()  # for an item rule: the outcomes that give it


@dataclass(frozen=True)
class Verdict:
    """One verdict: given when at least `at_least` artifacts are in hand."""

    id: str
    at_least: int
    headline: str  # "Yes", "Partly", "Not yet"
    label: str  # the sentence under the headline
    next_step: str = ""  # added to the report's next steps when this is the verdict
    checklist: str = ""  # the prep sheet's hint: "All five: you can decide."


@dataclass(frozen=True)
class Wording:
    """Every sentence the reports say about this kind of visit; the defaults name no
    specialty, so a new set reads right before it sets any of them."""

    questions_heading: str = "Your questions, and what was said"
    numbers_heading: str = "The numbers you asked for"
    requests_heading: str = "Your other requests"
    procedures_heading: str = "Options discussed"
    no_procedures: str = "None of the options you asked about was named in the recording."
    no_red_flags: str = "None heard."
    red_flags_step: str = "Read the warning signs below before you decide anything."
    last_step: str = "Bring this report and the recording to your next appointment."
    nothing_to_follow_up: str = ("Nothing to follow up: everything you came for was given "
                                 "in the visit.")
    prep_reminder: str = "You never have to decide on the same day."


@dataclass(frozen=True)
class RedFlagRule:
    kind: str
    why: str
    phrases: tuple[str, ...] = ()
    label: str = ""  # the report's heading for it; empty: the kind, in words
    needs_reason: bool = False  # not raised when a reason follows within two sentences
    even_if_conditional: bool = False  # a deadline: "only if you sign before you leave today"
    #                                    is pressure; only a negation undoes the phrase


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
    numbers: tuple[Number, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    verdicts: tuple[Verdict, ...] = ()  # highest `at_least` first; the last is at 0
    wording: Wording = field(default_factory=Wording)
    practitioner: str = "Doctor"  # the speaker label of whoever answers for the practice
    source: str = DEFAULT_QUESTION_SET  # a packaged file's name, or the path it was read from

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def red_flag(self, kind: str) -> RedFlagRule | None:
        return next((r for r in self.red_flags if r.kind == kind), None)

    def verdict(self, verdict_id: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.id == verdict_id), None)


class _Problem(ValueError):
    """What is wrong, and where: the entry (a question or item id), the table ("items", 3:
    the third [[items]]; "report", 0: the [report] table) and the key, if known."""

    def __init__(self, message: str, entry: str | None = None, key: str | None = None,
                 table: tuple[str, int] | None = None):
        super().__init__(message)
        self.entry, self.key, self.table = entry, key, table


HEADER = re.compile(r"^\s*\[\[?\s*[\w.-]+\s*\]\]?\s*(#.*)?$")  # [table], [[table]]


def _line_of(text: str, problem: _Problem) -> int:
    """The line of the problem's key inside its table (found by the entry's id, or as the
    nth table), or of the table itself; tomllib reports no lines for values."""
    lines = text.splitlines()
    start = 0
    if problem.table is not None:
        name, nth = problem.table
        header = f"[{name}]" if nth == 0 else f"[[{name}]]"
        headers = [n for n, line in enumerate(lines) if line.split("#")[0].strip() == header]
        if len(headers) > max(nth - 1, 0):
            start = headers[max(nth - 1, 0)]
    elif problem.entry is not None:
        marker = re.compile(rf"^\s*(id|kind)\s*=\s*[\"']{re.escape(problem.entry)}[\"']")
        start = next((n for n, line in enumerate(lines) if marker.match(line)), 0)
        while start > 0 and not HEADER.match(lines[start]):
            start -= 1  # back to the [[header]], so keys above the id are found too
    if problem.key is not None:
        pattern = re.compile(rf"^\s*{re.escape(problem.key)}\s*=")
        for number in range(start, len(lines)):
            if number > start and HEADER.match(lines[number]):
                break
            if pattern.match(lines[number]):
                return number + 1
    return start + 1


def _strings(value, where: str, entry: str | None = None, key: str | None = None,
             table: tuple[str, int] | None = None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Problem(f"{where} must be a list of strings", entry, key, table)
    return tuple(value)


def _text(raw: dict, key: str, where: str, entry: str | None = None, *, required: bool = False,
          table: tuple[str, int] | None = None, default: str = "") -> str:
    """A string field: one sentence of wording, or a name."""
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise _Problem(f"{where} {key} must be a string in quotes", entry, key, table)
    if required and not value.strip():
        raise _Problem(f"{where} has no {key!r}", entry, key if key in raw else None, table)
    return value


def _lower(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.lower() for v in values)


def _concepts(value, where: str, entry: str) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list) or not all(isinstance(group, list) for group in value):
        raise _Problem(f"{where} must be a list of lists of strings, e.g. "
                       "[[\"delay\", \"wait\"], [\"risk\"]]", entry, "concepts")
    return tuple(_lower(_strings(group, where, entry, "concepts")) for group in value)


TOP_LEVEL_KEYS = {"name", "goal_example", "goal_phrases", "vocabulary", "deflections", "questions",
                  "evidence", "procedures", "items", "red_flags", "look_alikes", "numbers",
                  "artifacts", "verdicts", "report", "practitioner"}
QUESTION_KEYS = {"id", "text", "paraphrases", "concepts", "requires", "answer_must_contain",
                 "critical"}
EVIDENCE_KEYS = {"structure", "vague_structure", "candidacy", "reason", "treatments", "risk_words",
                 "vague_quantities", "other_subjects", "improvement", "generic_structure"}
PROCEDURE_KEYS = {"id", "name", "aliases", "not_this", "wants"}
ITEM_KEYS = {"id", "asked", "display", "concepts", "agree", "refuse", "counts", "not_counts",
             "said", "name", "met", "request", "refused_flag", "not_counting"}
ITEM_LISTS = ("agree", "refuse", "counts", "not_counts", "said")
ITEM_OUTCOMES = ("agreed", "refused", "not_counting", "said", "not_discussed")
RED_FLAG_KEYS = {"kind", "why", "phrases", "label", "needs_reason", "even_if_conditional"}
NUMBER_KEYS = {"id", "name", "kind", "unit", "meaning", "request"}
# What counts as the number: a count said with "a year" (or in reply to its question), a
# percentage (or a fraction said as one: "about half"), or any count.
NUMBER_KINDS = ("per_year", "percent", "count")
ARTIFACT_KEYS = {"id", "name", "todo", "rule"}
# The rules an artifact may be, as written in the set (ids are the set's own):
ARTIFACT_RULES = {
    "all_questions": "all questions answered",
    "critical_questions": "critical questions answered",
    "questions": "questions Q1 Q5 answered",
    "item": "item referral agreed (or: item cost said or agreed)",
    "numbers": "numbers volume revision given",
}
VERDICT_KEYS = {"id", "at_least", "headline", "label", "next_step", "checklist"}
WORDING_KEYS = {f.name for f in fields(Wording)}


def _no_unknown(raw, known: set[str], where: str, entry: str | None = None,
                table: tuple[str, int] | None = None) -> None:
    if not isinstance(raw, dict):
        raise _Problem(f"{where} must be a table of fields", entry, table=table)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _Problem(f"{unknown[0]!r} is not a field of {where} (known: "
                       f"{', '.join(sorted(known))})", entry, unknown[0], table)


def _entries(data: dict, table: str, id_key: str, known: set[str]) -> list[dict]:
    """The [[table]] entries, each a table with a non-empty, unique `id_key`."""
    entries = data.get(table, [])
    if not isinstance(entries, list):
        raise _Problem(f"{table} must be written as [[{table}]] tables", None, table)
    seen = set()
    for number, raw in enumerate(entries, start=1):
        entry = raw.get(id_key) if isinstance(raw, dict) else None
        where = f"[[{table}]] number {number}" + (f" ({entry})" if entry else "")
        _no_unknown(raw, known, where, entry, table=(table, number))
        if not isinstance(entry, str) or not entry.strip():
            raise _Problem(f"{where} has no {id_key!r}", table=(table, number))
        if entry in seen:
            raise _Problem(f"the {id_key} {entry!r} is used twice in [[{table}]]",
                           table=(table, number))
        seen.add(entry)
    return entries


def _each(data: dict, table: str, id_key: str, known: set[str], build) -> tuple:
    """`build` applied to each [[table]] entry; a problem in one is placed in its table, so
    its line is found even when another table uses the same id ("referral")."""
    built = []
    for number, raw in enumerate(_entries(data, table, id_key, known), start=1):
        try:
            built.append(build(raw))
        except _Problem as problem:
            problem.table = problem.table or (table, number)
            raise
    return tuple(built)


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
    where = f"item {iid}"
    lists = {key: _lower(_strings(raw.get(key, []), f"{where} {key}", iid, key))
             for key in ("asked", *ITEM_LISTS)}
    met = _strings(raw.get("met", ["agreed"]), f"{where} met", iid, "met")
    wrong = [outcome for outcome in met if outcome not in ITEM_OUTCOMES]
    if wrong or not met:
        raise _Problem(f"{where} met must list outcomes from {', '.join(ITEM_OUTCOMES)}"
                       + (f", not {wrong[0]!r}" if wrong else ""), iid, "met")
    words = {key: _text(raw, key, where, iid)
             for key in ("display", "name", "request", "refused_flag", "not_counting")}
    return Item(id=iid, met=met, concepts=_concepts(raw.get("concepts", []), f"{where} concepts",
                                                    iid), **words, **lists)


def _number(raw: dict, items: dict[str, Item]) -> Number:
    nid = raw["id"]
    where = f"number {nid}"
    if nid not in items:
        raise _Problem(f"{where} has no [[items]] entry of the same id to say how it is asked; "
                       "add one with its `asked` wordings", nid, "id")
    kind = _text(raw, "kind", where, nid, required=True)
    if kind not in NUMBER_KINDS:
        raise _Problem(f"{where} kind {kind!r} is not one of {', '.join(NUMBER_KINDS)}", nid,
                       "kind")
    return Number(id=nid, name=_text(raw, "name", where, nid, required=True), kind=kind,
                  **{key: _text(raw, key, where, nid) for key in ("unit", "meaning", "request")})


def _artifact(raw: dict, known: dict[str, set[str]]) -> Artifact:
    aid = raw["id"]
    where = f"artifact {aid}"
    rule = _text(raw, "rule", where, aid, required=True)
    words = rule.lower().split()

    def bad(why: str) -> _Problem:
        return _Problem(f"{where} rule {rule!r} {why}; write one of: "
                        + "; ".join(ARTIFACT_RULES.values()), aid, "rule")

    outcomes: tuple[str, ...] = ()
    if words == ["all", "questions", "answered"]:
        needs, ids = "all_questions", ()
    elif words == ["critical", "questions", "answered"]:
        needs, ids = "critical_questions", ()
    elif len(words) >= 3 and words[0] == "questions" and words[-1] == "answered":
        needs, ids = "questions", tuple(rule.split()[1:-1])
    elif len(words) >= 3 and words[0] == "item":
        needs, ids = "item", (rule.split()[1],)
        outcomes = tuple(w for w in words[2:] if w != "or")
        wrong = [o for o in outcomes if o not in ITEM_OUTCOMES]
        if wrong:
            raise bad(f"names the outcome {wrong[0]!r}, which is not one of "
                      f"{', '.join(ITEM_OUTCOMES)}")
    elif len(words) >= 3 and words[0] == "numbers" and words[-1] == "given":
        needs, ids = "numbers", tuple(rule.split()[1:-1])
    else:
        raise bad("is not a rule")
    kind = {"questions": "questions", "item": "items", "numbers": "numbers"}.get(needs)
    unknown = [i for i in ids if i not in known.get(kind, set())]
    if unknown:
        raise bad(f"names {unknown[0]!r}, which is not one of the set's {kind}")
    return Artifact(id=aid, name=_text(raw, "name", where, aid, required=True),
                    todo=_text(raw, "todo", where, aid), rule=rule, needs=needs, ids=ids,
                    outcomes=outcomes)


def _verdict(raw: dict, artifacts: tuple[Artifact, ...], above: Verdict | None) -> Verdict:
    vid = raw["id"]
    where = f"verdict {vid}"
    at_least = raw.get("at_least")
    if not isinstance(at_least, int) or isinstance(at_least, bool) or not \
            0 <= at_least <= len(artifacts):
        raise _Problem(f"{where} at_least must be a whole number of artifacts from 0 to "
                       f"{len(artifacts)}", vid, "at_least")
    if above is not None and at_least >= above.at_least:
        raise _Problem(f"{where} at_least must be lower than the verdict above it (list "
                       "the verdicts from the most artifacts to the fewest)", vid, "at_least")
    return Verdict(
        id=vid, at_least=at_least, headline=_text(raw, "headline", where, vid, required=True),
        label=_text(raw, "label", where, vid, required=True),
        next_step=_text(raw, "next_step", where, vid),
        checklist=_text(raw, "checklist", where, vid))


def _verdicts(data: dict, artifacts: tuple[Artifact, ...]) -> tuple[Verdict, ...]:
    verdicts: list[Verdict] = []
    for number, raw in enumerate(_entries(data, "verdicts", "id", VERDICT_KEYS), start=1):
        try:
            verdicts.append(_verdict(raw, artifacts, verdicts[-1] if verdicts else None))
        except _Problem as problem:
            problem.table = problem.table or ("verdicts", number)
            raise
    if not verdicts:
        if len(artifacts) == 1:
            return DEFAULT_VERDICTS
        raise _Problem("it has more than one of [[artifacts]] but no [[verdicts]]; give each "
                       "verdict with the number of artifacts it needs (at_least)")
    if verdicts[-1].at_least != 0:
        raise _Problem(f"the last verdict ({verdicts[-1].id}) must have at_least = 0, so that "
                       "every visit gets a verdict", None, "at_least",
                       ("verdicts", len(verdicts)))
    return tuple(verdicts)


# A set that names no artifacts has one, its answers, and these verdicts.
DEFAULT_ARTIFACTS = (Artifact(
    id="answers", name="Clear answers to all your questions",
    todo="Ask the practice to answer the open questions in writing.",
    rule="all questions answered", needs="all_questions"),)
DEFAULT_VERDICTS = (
    Verdict("equipped", 1, "Yes", "You have what you need to make an informed decision."),
    Verdict("second_consultation_warranted", 0, "Not yet",
            "The visit did not give you enough information. Ask for the rest in writing, "
            "or get a second opinion, before you decide."),
)


def _wording(data: dict) -> Wording:
    raw = data.get("report", {})
    _no_unknown(raw, WORDING_KEYS, "[report]", table=("report", 0))
    return Wording(**{key: _text(raw, key, "[report]", table=("report", 0), required=True)
                      for key in raw})


def _red_flag(raw: dict) -> RedFlagRule:
    kind = raw["kind"]
    where = f"red flag {kind}"
    flags = {key: raw.get(key, False) for key in ("needs_reason", "even_if_conditional")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise _Problem(f"{where} {key} must be true or false", kind, key)
    return RedFlagRule(kind=kind, why=_text(raw, "why", where, kind),
                       phrases=_lower(_strings(raw.get("phrases", []), f"{where} phrases", kind,
                                               "phrases")),
                       label=_text(raw, "label", where, kind), **flags)


def _practitioner(data: dict) -> str:
    label = _text(data, "practitioner", "the set's", default="Doctor", required=True)
    if side_of_label(label) != PRACTICE:
        raise _Problem(f"practitioner {label!r} is not a speaker label the analyzer takes for "
                       "the practice's side; use a word such as Doctor, Surgeon, Physician, "
                       "Specialist or Consultant", None, "practitioner")
    return label


def _build(data: dict) -> QuestionSet:
    _no_unknown(data, TOP_LEVEL_KEYS, "a question set")
    _no_unknown(data.get("evidence", {}), EVIDENCE_KEYS, "[evidence]", table=("evidence", 0))
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
    items = _each(data, "items", "id", ITEM_KEYS, _item)
    red_flags = _each(data, "red_flags", "kind", RED_FLAG_KEYS, _red_flag)
    kinds = {r.kind for r in red_flags}
    for number, item in enumerate(items, start=1):
        if item.refused_flag and item.refused_flag not in kinds:
            raise _Problem(f"item {item.id} refused_flag {item.refused_flag!r} is not the kind of "
                           "any [[red_flags]]; add that red flag, with its why", item.id,
                           "refused_flag", ("items", number))
    by_id = {i.id: i for i in items}
    numbers = _each(data, "numbers", "id", NUMBER_KEYS, lambda raw: _number(raw, by_id))
    known = {"questions": {q.id for q in questions}, "items": set(by_id),
             "numbers": {n.id for n in numbers}}
    artifacts = _each(data, "artifacts", "id", ARTIFACT_KEYS, lambda raw: _artifact(raw, known))
    artifacts = artifacts or DEFAULT_ARTIFACTS
    evidence = {key: _lower(_strings(value, f"evidence {key}", None, key, ("evidence", 0)))
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
        numbers=numbers, artifacts=artifacts, verdicts=_verdicts(data, artifacts),
        wording=_wording(data), practitioner=_practitioner(data),
    )


def parse_question_set(text: str, source: str, *, stored_as: str | None = None) -> QuestionSet:
    """The set in `text`; `source` names it in messages, `stored_as` (default: `source`) is
    how findings.json names it so the reports can load it again."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"The question set {source} is not valid TOML ({error}); fix that line "
                       "and try again.") from None
    try:
        question_set = _build(data)
    except _Problem as problem:
        line = _line_of(text, problem)
        raise BadInput(f"The question set {source} is malformed at line {line}: {problem}; "
                       "see docs/question-sets.md for the format.") from None
    return replace(question_set, source=stored_as or source)


def _packaged(name: str):
    return resources.files("extract").joinpath(name)


def load_question_set(path: Path | None = None) -> QuestionSet:
    """The default set, or the one in `path`. A set shipped with the tool is remembered by
    its file name, any other by its full path (findings.json `question_set_file`)."""
    if path is None:
        return parse_question_set(_packaged(DEFAULT_QUESTION_SET).read_text("utf-8"),
                                  DEFAULT_QUESTION_SET)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"The question set {path} cannot be read ({error.__class__.__name__}); "
                       "give a TOML file in the format of docs/question-sets.md.") from None
    shipped = _packaged(path.name)
    stored_as = (path.name if shipped.is_file() and Path(str(shipped)).resolve() == path.resolve()
                 else str(path.resolve()))
    return parse_question_set(text, str(path), stored_as=stored_as)


def load_question_set_named(source: str) -> QuestionSet:
    """The set a findings.json names: a shipped file's name, or a path."""
    if "/" not in source and "\\" not in source and _packaged(source).is_file():
        return parse_question_set(_packaged(source).read_text("utf-8"), source)
    return load_question_set(Path(source))
