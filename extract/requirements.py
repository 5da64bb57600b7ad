"""What an answer must contain, per requirement: typed extractors over a reply's sentences.

Each requirement of the question set (`requires = "proportion"`) is a function in
REQUIREMENTS, and the question-set loader refuses a name that is not here. A function gets
the reply's sentences (normalised text), the compiled evidence word lists and what the
question is about, and returns a Judgement: met (answered), on topic (partial), the facts it
found, and what is missing.

Numbers are typed by what they count. A proportion is a percentage, "n in m", "n out of m",
"of every n, m" or a fraction said as one ("about half", "two thirds"), never a case count,
an age, a duration, a dose or a pain score; it answers a question only in a sentence about
the question's topic (or right after one) and not about something else ("fusion works in
90%" answers no question about improving without surgery).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extract.lexicon import Terms, words
from extract.normalize import percentages

LEVEL = re.compile(r"\b[lstc]\d{1,2}(?:-[lstc]?\d{1,2})?\b")
_RATIO = re.compile(r"\b(\d+(?:\.\d+)?)\s+(?:in|out of)\s+(?:every\s+)?(\d+)\b")
_OF_EVERY = re.compile(r"\bof (?:every|each|the|those)? ?(\d+)\b[^.?!]{0,80}?\b(\d+)\b")
_FRACTION = re.compile(
    r"(?<!and )(?<!and a )\b(?:about |around |roughly |over |under |nearly |almost |more than |less than "
    r"|at least )?(half|a third|1 third|2 thirds|a quarter|1 quarter|3 quarters|a fifth)\b(?! an? \b)(?! (?:hour|day|year|month|week|dozen)s?\b)")
FRACTION_PERCENT = {"half": 50.0, "a third": 33.3, "1 third": 33.3, "2 thirds": 66.7,
                    "a quarter": 25.0, "1 quarter": 25.0, "3 quarters": 75.0, "a fifth": 20.0}
LEAD_STATEMENTS = 2  # a proportion in the reply's first statements answers what was just
#                     asked, unless the reply deflected; later, only in a sentence on topic


def proportions(text: str) -> list[str]:
    """Proportions in normalised text: "60%", "3 in 4", "7 of 10", "half"."""
    found = [f"{value:g}%" for value in percentages(text)]
    found += [f"{a} in {b}" for a, b in _RATIO.findall(text) if float(a) <= float(b)]
    found += [f"{b} of {a}" for a, b in _OF_EVERY.findall(text)
              if a in ("10", "100", "20", "5", "4", "3") and float(b) <= float(a)
              and f"{b}%" not in text]
    found += [m.group(1) for m in _FRACTION.finditer(text)]
    return found


def fraction_percent(text: str) -> float | None:
    """A percentage said as a fraction ("about half") -> 50.0."""
    for match in _FRACTION.finditer(text):
        if match.group(1) in FRACTION_PERCENT:
            return FRACTION_PERCENT[match.group(1)]
    return None


@dataclass(frozen=True)
class Judgement:
    met: bool  # the reply contains what the question asks for
    on_topic: bool  # the reply is about the question, whether or not it is complete
    facts: tuple[str, ...]
    missing: str  # what is missing, when not met
    bare_decision: bool = False  # a decision with no reason (candidacy): partial, red flag
    vague: tuple[str, ...] = ()  # vague quantities on topic ("the majority"): even beside a
    #                              deflection, the reply is on topic without its number
    named: tuple[str, ...] = ()  # what the reply names besides numbers (treatments): beside a
    #                              refusal to give the numbers only, it is on topic without them


@dataclass(frozen=True)
class About:
    """What a question is about, to tell its numbers from numbers about something else."""

    topic: Terms = field(default_factory=lambda: Terms(()))  # every concept word
    subject: Terms = field(default_factory=lambda: Terms(()))  # the thing asked about
    other: Terms = field(default_factory=lambda: Terms(()))  # evidence.other_subjects
    deflected: bool = False  # the reply holds a deflection: numbers count only on topic
    topic_carry: int = 1  # sentences after one on topic that are still about it
    #                       (AnalyzerSettings.topic_carry_sentences)

    def elsewhere(self, lemmas: list[str]) -> bool:
        return bool(self.other.found(lemmas)) and not self.subject.found(lemmas)


class Evidence:
    """The question set's [evidence] lists, compiled once."""

    def __init__(self, lists: dict[str, tuple[str, ...]]):
        self.terms = {key: Terms(value) for key, value in lists.items()}

    def __getitem__(self, key: str) -> Terms:
        return self.terms.get(key) or Terms(())


def _statements(sentences: list[str]) -> list[bool]:
    """Per sentence: a statement (not a question back, not a bare "No." or "Mm-hm.")."""
    return [not s.rstrip().endswith("?") and (len(s.split()) > 2 or bool(re.search(r"\d", s)))
            for s in sentences]


def _relevant(sentences: list[str], about: About, extra: Terms | None = None) -> list[str]:
    """Proportions on the question's topic: in a sentence with a topic word (or one of the
    `about.topic_carry` after it, before anything about something else), or in the reply's
    first LEAD_STATEMENTS statements when it did not deflect; never in a sentence about
    something else."""
    found = []
    statements = _statements(sentences)
    leading = [n for n, s in enumerate(statements) if s][:0 if about.deflected else LEAD_STATEMENTS]
    since_on_topic = about.topic_carry + 1
    for position, sentence in enumerate(sentences):
        lemmas = words(sentence)
        on_topic = bool(about.subject.found(lemmas)) or bool(extra and extra.found(lemmas))
        elsewhere = about.elsewhere(lemmas)
        if (on_topic or since_on_topic <= about.topic_carry
                or position in leading) and not elsewhere:
            found += proportions(sentence)
        since_on_topic = (0 if on_topic else since_on_topic) + 1
        if elsewhere:
            since_on_topic = about.topic_carry + 1
    return found


def _vague_on_topic(sentences, evidence: Evidence, about: About, extra: Terms) -> list[str]:
    """Vague quantities ("most people", "rare") in a sentence on the question's topic:
    "most people are walking the day after surgery", later in a reply, says nothing about the
    risk of waiting. As with a proportion, the reply's first LEAD_STATEMENTS sentences (not
    questions back) answer what was just asked unless it deflected: "It's low." is about the
    risk asked for, named by "it"."""
    found = []
    answering = [n for n, s in enumerate(sentences) if not s.rstrip().endswith("?")]
    leading = set(answering[:0 if about.deflected else LEAD_STATEMENTS])
    for position, sentence in enumerate(sentences):
        lemmas = words(sentence)
        if ((about.subject.found(lemmas) or extra.found(lemmas) or position in leading)
                and not about.elsewhere(lemmas)):
            found += evidence["vague_quantities"].found(lemmas)
    return found


def structure(sentences, evidence: Evidence, about: About) -> Judgement:
    text = " ".join(sentences)
    lemmas = words(text)
    vague = evidence["vague_structure"].found(lemmas)
    specific = text
    for phrase in vague:
        specific = specific.replace(phrase, " ")
    facts = LEVEL.findall(text) + evidence["structure"].found(specific)
    if vague and not set(facts) - set(evidence["generic_structure"].entries):
        # "It's wear and tear, your discs are a bit dried out": no specific structure.
        return Judgement(False, True, tuple(facts), "specific structure")
    return Judgement(bool(facts), bool(facts or vague), tuple(facts), "specific structure")


def proportion(sentences, evidence: Evidence, about: About) -> Judgement:
    found = _relevant(sentences, about, evidence["improvement"])
    vague = _vague_on_topic(sentences, evidence, about, evidence["improvement"])
    return Judgement(bool(found), bool(found or vague), tuple(found), "percentage or proportion",
                     vague=tuple(vague))


_PRONOUN = re.compile(r"^(that|this|it|those|these|them|one|the injection|the procedure)\b")
OBJECT_WORDS = 3  # "a candidate for <up to 3 words>": what the decision is about
_HYPOTHETICAL = re.compile(r"\b(whether|if)\b")
HYPOTHETICAL_CHARS = 24  # "whether you'd" / "if you were a": a question, not a decision
REASON_SENTENCES = 3  # a decision's reason: its own sentence or the two after it


def _decisions_about(text: str, terms: Terms, subject: Terms) -> list[str]:
    """Candidacy words about the thing asked: "a candidate", "a candidate for that", "a
    candidate for the fibrin injection", but not "a good candidate for fusion"."""
    found = []
    for entry in terms.entries:
        for match in re.finditer(rf"\b{re.escape(entry)}\b(?: for ((?:\S+ ?){{1,{OBJECT_WORDS}}}))?",
                                 text):
            thing = match.group(1)
            before = text[max(0, match.start() - HYPOTHETICAL_CHARS):match.start()]
            if _HYPOTHETICAL.search(before):
                continue  # "I don't know enough to say whether you'd qualify": no decision
            if thing is None or _PRONOUN.match(thing) or subject.found(thing):
                found.append(entry)
                break
    return found


def candidacy_with_reason(sentences, evidence: Evidence, about: About) -> Judgement:
    text = " ".join(sentences)
    lemmas = words(text)
    decision, reasons = [], []
    for position, sentence in enumerate(sentences):
        said = _decisions_about(sentence, evidence["candidacy"], about.subject)
        if said:
            decision += said
            # The reason comes with the decision: in its sentence or the next ones.
            near = " ".join(sentences[position:position + REASON_SENTENCES])
            # A named structure is a reason too: "the nerve is pinched by bone spurs".
            reasons += (evidence["reason"].found(near) + LEVEL.findall(near)
                        + evidence["structure"].found(near))
    if decision and not reasons:
        return Judgement(False, True, tuple(decision), "reason for the candidacy decision",
                         bare_decision=True)
    return Judgement(bool(decision and reasons), bool(decision or about.subject.found(lemmas)),
                     tuple(decision + reasons), "yes or no on candidacy with its reason")


def treatments_with_rates(sentences, evidence: Evidence, about: About) -> Judgement:
    treatments_terms = evidence["treatments"]
    named = [treatments_terms.found(s) for s in sentences]
    rates = []
    for position, sentence in enumerate(sentences):
        near = named[position] or (position and named[position - 1])
        lemmas = words(sentence)
        if near and (named[position] or not about.other.found(lemmas)):
            rates += proportions(sentence)
    treatments = [t for found in named for t in found]
    any_rate = any(proportions(s) for s in sentences)
    return Judgement(bool(treatments and rates), bool(treatments or any_rate),
                     tuple(dict.fromkeys(treatments + rates)),
                     "success rates" if treatments else "named treatments",
                     named=tuple(dict.fromkeys(treatments)))


def quantified_risk(sentences, evidence: Evidence, about: About) -> Judgement:
    text = " ".join(sentences)
    risk = evidence["risk_words"].found(text)
    vague = _vague_on_topic(sentences, evidence, about, evidence["risk_words"])
    found = _relevant(sentences, about, evidence["risk_words"])
    # No `vague` here: "Everyone is different. Some people get worse, some don't." hedges
    # the risk it will not put a number on; it stays unanswered.
    return Judgement(bool(found), bool(risk or vague), tuple(found + risk),
                     "number for the risk")


def number(sentences, evidence: Evidence, about: About) -> Judgement:
    found = re.findall(r"\d+(?:\.\d+)?", " ".join(sentences))
    return Judgement(bool(found), True, tuple(found), "number")


def on_topic(sentences, evidence: Evidence, about: About) -> Judgement:
    said = bool(" ".join(sentences).strip())
    return Judgement(said, said, (), "answer")


REQUIREMENTS = {
    "structure": structure,
    "proportion": proportion,
    "candidacy_with_reason": candidacy_with_reason,
    "treatments_with_rates": treatments_with_rates,
    "quantified_risk": quantified_risk,
    "number": number,
    "on_topic": on_topic,
}


def judge(requirement: str, sentences: list[str], evidence: Evidence,
          about: About = About()) -> Judgement:
    return REQUIREMENTS[requirement](sentences, evidence, about)
