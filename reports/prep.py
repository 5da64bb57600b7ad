"""QuestionSet -> the one-page prep sheet a patient prints and brings into the room.

Pure: takes the question set and the patient's own goal sentence, returns HTML (autoescaped,
print CSS for one page of A4 or Letter); recorder/paper.py writes it and prints it to PDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.questionset import Item, QuestionSet
from reports.render import environment

PAPER_SIZES = {"letter": "letter", "a4": "A4"}  # --paper choice -> CSS @page size
CONSENT_SENTENCE = ("I'd like to record our conversation so I can remember your answers "
                    "accurately. Is that all right with you?")


@dataclass(frozen=True)
class PrepInput:
    question_set: QuestionSet
    goal: str | None = None  # the patient's own sentence (--goal); None: the set's example
    paper: str = "letter"  # a key of PAPER_SIZES


def item_wording(item: Item) -> str:
    """How an item is asked on paper: its `display` wording, else its first `asked` phrase."""
    if item.display:
        return item.display
    first = item.asked[0] if item.asked else item.id.replace("_", " ")
    first = re.sub(r"\bi\b", "I", first)  # `asked` phrases are stored lower-cased
    return first[:1].upper() + first[1:] + "?"


def render_prep_html(data: PrepInput) -> str:
    questions = data.question_set
    return environment("html").get_template("prep.html").render(
        set_name=questions.name, questions=questions.questions,
        procedures=questions.procedures,
        items=[item_wording(item) for item in questions.items],
        goal=data.goal or questions.goal_example, goal_is_example=not data.goal,
        consent=CONSENT_SENTENCE, artifacts=questions.artifacts,
        verdict_hints=" ".join(v.checklist for v in questions.verdicts if v.checklist),
        reminder=questions.wording.prep_reminder, page_size=PAPER_SIZES[data.paper])
