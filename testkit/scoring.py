"""One scorer for every labelled corpus: a visit's findings against its labels, added up
into the rows of benchmarks/extract.py's tables and the floors the tests assert.

The labels come from tests/corpus (testkit/corpus.py), ../shared/corpus and tests/visits
(testkit/shared_corpus.py), each read into `Labels` named by the question set's own ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from extract.analyze import STATUS_RANK
from extract.findings import Findings
from extract.normalize import normalize

ITEM_OUTCOMES = frozenset(("agreed", "refused", "not_counting", "said", "not_discussed"))
Where = Callable[[float, float], str]  # a time span -> where it is in the visit ("turn 4")


@dataclass(frozen=True)
class QuestionLabel:
    asked: bool
    ask_turn: int | None  # the first turn that asks it
    status: str
    answer_turns: tuple[int, ...]
    key_facts: tuple[str, ...]  # as written; compare through `fact_form`


@dataclass(frozen=True)
class ItemLabel:
    """What an item's outcome should be: one of `outcomes` when `truth` is a yes or no (the
    spine corpus), or exactly `truth` when it is an outcome (the generic corpora)."""

    what: str  # as a mistake names it: "referral given", "item plan"
    item: str  # the question set's item id
    truth: bool | str
    outcomes: frozenset[str] = frozenset()

    def predicted(self, outcome: str) -> bool | str:
        return outcome in self.outcomes if self.outcomes else outcome


@dataclass(frozen=True)
class Labels:
    questions: dict[str, QuestionLabel]
    procedures: frozenset[str]  # ids discussed
    labelled_procedures: frozenset[str]  # ids the labels say anything about
    numbers: tuple[tuple[str, str, float | None], ...]  # (as a mistake names it, id, value)
    items: tuple[ItemLabel, ...]
    red_flags: frozenset[str]
    labelled_red_flags: frozenset[str] | None  # kinds the labels cover; None: every kind
    artifacts: dict[str, bool]
    verdict: str


def is_overclaim(predicted: str, truth: str) -> bool:
    """Answered or partial where the truth is lower: the error that must never happen."""
    return predicted in ("answered", "partial") and STATUS_RANK[predicted] > STATUS_RANK[truth]


def fact_form(text: str) -> str:
    """A key fact or an answer as the README compares them: lower case, numbers as digits,
    "%" as "percent", no punctuation, no spaces ("L five S one" and "L5-S1" are "l5s1")."""
    return re.sub(r"[^a-z0-9]", "", normalize(text).replace("%", " percent "))


@dataclass
class Totals:
    """Counts over some cases: one row of a benchmark table."""

    cases: int = 0
    status_right: int = 0
    status_total: int = 0
    overclaims: int = 0
    asked_tp: int = 0
    asked_fp: int = 0
    asked_fn: int = 0
    facts_found: int = 0
    facts_total: int = 0
    verdicts_right: int = 0
    procedures_right: int = 0
    procedures_total: int = 0
    numbers_right: int = 0
    numbers_total: int = 0
    items_right: int = 0  # cost discussed, written comparison agreed, referral given
    items_total: int = 0
    red_flags_right: int = 0  # cases whose set of labelled red-flag kinds is exactly right
    artifacts_right: int = 0
    artifacts_total: int = 0
    question_right: dict[str, int] = field(default_factory=dict)  # status right, per question
    mistakes: list[str] = field(default_factory=list)

    def add(self, other: Totals) -> Totals:
        for name, value in vars(other).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
        for qid, right in other.question_right.items():
            self.question_right[qid] = self.question_right.get(qid, 0) + right
        self.mistakes += other.mistakes
        return self

    def row(self, name: str) -> tuple[int, int]:
        """(right, checked) for one of FINDING_ROWS: "verdict", "artifacts"..."""
        _, right, checked = next(row for row in FINDING_ROWS if row[0] == name)
        return getattr(self, right), getattr(self, checked)

    @property
    def status_accuracy(self) -> float:
        return self.status_right / self.status_total if self.status_total else 0.0

    @property
    def asked_precision(self) -> float | None:
        found = self.asked_tp + self.asked_fp
        return self.asked_tp / found if found else None

    @property
    def asked_recall(self) -> float | None:
        real = self.asked_tp + self.asked_fn
        return self.asked_tp / real if real else None

    @property
    def asked_f1(self) -> float | None:
        p, r = self.asked_precision, self.asked_recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def key_facts(self) -> float | None:
        return self.facts_found / self.facts_total if self.facts_total else None

    @property
    def asked_found(self) -> int:
        """Questions the analyzer took as asked (for visits where none is: PriMock57)."""
        return self.asked_tp + self.asked_fp


def total(scores) -> Totals:
    """Add up case scores (an iterable of Totals) into one row."""
    result = Totals()
    for score in scores:
        result.add(score)
    return result


# The rows below the questions: (name, right, checked) fields of Totals.
FINDING_ROWS = (("verdict", "verdicts_right", "cases"),
                ("artifacts", "artifacts_right", "artifacts_total"),
                ("procedures", "procedures_right", "procedures_total"),
                ("numbers", "numbers_right", "numbers_total"),
                ("items", "items_right", "items_total"),
                ("red flags", "red_flags_right", "cases"))


def score(name: str, labels: Labels, findings: Findings, *, where: Where | None = None,
          questions: frozenset[str] | None = None) -> Totals:
    """One visit's findings against its labels. `where` names the place of a time span in
    mistakes (turn numbers); `questions` scores only those questions (a per-question row)."""
    score = Totals(cases=1)

    def place(start: float, end: float) -> str:
        return where(start, end) if where else f"{start:.0f}-{end:.0f} s"

    for finding in findings.questions:
        label = labels.questions.get(finding.id)
        if label is None or (questions is not None and finding.id not in questions):
            continue
        asked = finding.status != "not_asked"
        right = finding.status == label.status
        score.status_total += 1
        score.status_right += right
        score.question_right[finding.id] = int(right)
        score.overclaims += is_overclaim(finding.status, label.status)
        score.asked_tp += asked and label.asked
        score.asked_fp += asked and not label.asked
        score.asked_fn += label.asked and not asked
        answer = fact_form(finding.answer.text) if finding.answer else ""
        missing = [f for f in label.key_facts if fact_form(f) not in answer]
        score.facts_total += len(label.key_facts)
        score.facts_found += len(label.key_facts) - len(missing)
        if not right or missing:
            said = []
            if finding.asked:
                said.append("asked at " + place(finding.asked.start, finding.asked.end))
            if finding.answer:
                said.append("answer at " + place(finding.answer.start, finding.answer.end))
            truth = [f"asked at turn {label.ask_turn}"] if label.asked else []
            if label.answer_turns:
                truth.append(f"answer turns {list(label.answer_turns)}")
            overclaim = " OVERCLAIM" if is_overclaim(finding.status, label.status) else ""
            line = (f"{name} {finding.id}: predicted {finding.status}, label "
                    f"{label.status}{overclaim}; {', '.join(said) or 'nothing found'}; label "
                    f"{', '.join(truth) or 'not asked'}")
            if missing:
                line += f"; key facts missing {missing}"
            score.mistakes.append(line)

    # Disagreements below the verdict (numbers, items, red flags, artifacts): listed under a
    # wrong verdict, to show why it is wrong; on their own when the verdict is right.
    why: list[str] = []

    def check(predicted, truth, what: str, said: str = "", into: list | None = None) -> bool:
        if predicted != truth:
            (score.mistakes if into is None else into).append(
                f"{name} {what}: predicted {predicted}, label {truth}{said}")
        return predicted == truth

    def quoted(span) -> str:
        return f' ("{span.text}")' if span is not None else ""

    for procedure in findings.procedures:
        if procedure.id in labels.labelled_procedures:
            score.procedures_total += 1
            score.procedures_right += check(procedure.discussed,
                                            procedure.id in labels.procedures, procedure.id)
    numbers = {n.id: n for n in findings.numbers}
    for key, number_id, truth in labels.numbers:
        number = numbers.get(number_id)
        predicted = number.value if number else None
        same = (predicted is None) == (truth is None) and (
            predicted is None or abs(float(predicted) - float(truth)) < 1e-6)
        score.numbers_total += 1
        score.numbers_right += same
        if not same:
            quote = number.quote if number else None
            why.append(f"{name} {key}: predicted {predicted}, label {truth}{quoted(quote)}")
    items = {item.id: item for item in findings.items}
    for label in labels.items:
        found = items.get(label.item)
        predicted = label.predicted(found.outcome if found else "not_discussed")
        said_item = (f" [{found.outcome}]{quoted(found.quote)}" if found else "")
        score.items_total += 1
        score.items_right += check(predicted, label.truth, label.what, said_item, why)
    labelled = labels.labelled_red_flags
    flags = [f for f in findings.red_flags if labelled is None or f.kind in labelled]
    kinds = sorted({f.kind for f in flags})
    score.red_flags_right += check(
        kinds, sorted(labels.red_flags), "red flags",
        "".join(f' ({f.kind}: "{f.text}")' for f in flags if f.kind not in labels.red_flags),
        why)
    for key, truth in labels.artifacts.items():
        score.artifacts_total += 1
        score.artifacts_right += check(findings.artifact(key), truth,
                                       f"artifact {key}", into=why)
    verdict_right = findings.verdict == labels.verdict
    score.verdicts_right += verdict_right
    if verdict_right:
        score.mistakes += why
    else:
        score.mistakes.append(f"{name} verdict: predicted {findings.verdict}, label "
                              f"{labels.verdict}" + "".join(f"\n      {line.split(' ', 1)[1]}"
                                                            for line in why))
    return score
