"""The rest of the visit: items (comparison, referral, cost...), the practitioner's numbers,
procedures, red flags and the goal, each judged on the whole reply, not one sentence.

- A referral is agreed when the reply agrees to refer (in any of its sentences) and names a
  specialist who counts (in any of its sentences): "Absolutely." then "Dr. Huang is a
  physiatrist..." is a referral. Offered unasked, it needs the offer and the specialist in
  one sentence or the next.
- The written comparison needs real agreement ("happy to", "I'll put it on your summary"),
  not any sentence starting "I'll".
- A percentage may be said as a fraction: "about half" is 50%.
- Red flags count only when said plainly by the practice's side: "if those don't work" is no
  dismissal, "you don't have to decide today" is no pressure.
"""

from __future__ import annotations

import re

from extract.findings import ItemFinding, NumberFinding, ProcedureFinding, RedFlag, Span
from extract.lexicon import Terms
from extract.negation import asserted
from extract.normalize import numbers, percentages
from extract.phrases import ALIAS_FUZZY_MIN_CHARS, PHRASE_CUTOFF, FUZZY_MIN_CHARS, Phrases
from extract.questionset import Item, Number
from extract.requirements import fraction_percent
from extract.turns import PATIENT

YEAR = re.compile(r"\b(year|years|annually|a year|per year)\b")
REASON_WINDOW_SENTENCES = 2  # a reason for "not a candidate" may come in the next sentence
OFFER_WINDOW_SENTENCES = 2  # an unasked referral: the offer, and the specialist this close


def _span(sentences) -> Span:
    return Span(start=round(sentences[0].start, 2), end=round(sentences[-1].end, 2),
                text=" ".join(s.text for s in sentences))


class ItemJudge:
    def __init__(self, analysis):
        self.a = analysis
        self.sentences = analysis.sentences
        self.qs = analysis.qs

    def _practice(self, index: int) -> bool:
        """Said by the practice's side, as far as is known."""
        a = self.a
        if a.side[index] == PATIENT:
            return False
        if not a.labelled and index in a.replies.asked_sentences:
            return False
        return True

    def _replies(self, item: Item) -> list:
        seen, out = set(), []
        for asking in self.a.askings.get(item.id, ()):
            for sentence in self.a.replies.reply(asking).sentences:
                if sentence.index not in seen:
                    seen.add(sentence.index)
                    out.append(sentence)
        return out

    def item(self, item: Item) -> ItemFinding:
        askings = self.a.askings.get(item.id, [])
        asked = _span(self.sentences[askings[0].first:askings[0].last + 1]) if askings else None
        replies = self._replies(item)
        agree = Phrases(item.agree, PHRASE_CUTOFF, FUZZY_MIN_CHARS)
        refuse = Phrases(item.refuse, PHRASE_CUTOFF, FUZZY_MIN_CHARS)
        counts = Phrases(item.counts, PHRASE_CUTOFF, FUZZY_MIN_CHARS)
        not_counts = Phrases(item.not_counts, PHRASE_CUTOFF, FUZZY_MIN_CHARS)
        for sentence in replies:
            if refuse.first(sentence):
                return ItemFinding(item.id, "refused", asked, _span((sentence,)))
        agreeing = [s for s in replies if agree.first(s)]
        if item.counts:
            naming = [s for s in replies if counts.first(s)]
            if agreeing and naming:
                quote = sorted({agreeing[0], naming[0]}, key=lambda s: s.index)
                return ItemFinding(item.id, "agreed", asked, _span(quote))
            offered = self._offered(agree, counts)
            if offered:
                return ItemFinding(item.id, "agreed", asked, _span(offered))
            other = [s for s in replies if not_counts.first(s)] if agreeing else []
            other = other or self._offered(agree, not_counts)
            if other:
                return ItemFinding(item.id, "not_counting", asked, _span(other[:1]))
        elif agreeing:
            return ItemFinding(item.id, "agreed", asked, _span((agreeing[0],)))
        if replies:
            return ItemFinding(item.id, "said", asked, _span(replies[:3]))
        return ItemFinding(item.id, "not_discussed", asked, None)

    def _offered(self, agree: Phrases, who: Phrases) -> list:
        """An offer to refer made at any point, with whom in the same or a next sentence."""
        for position, sentence in enumerate(self.sentences):
            if not self._practice(position) or not agree.first(sentence):
                continue
            following = [s for s in self.sentences[position:position + OFFER_WINDOW_SENTENCES]
                         if self._practice(s.index)]
            named = next((s for s in following if who.first(s)), None)
            if named is not None:
                return sorted({sentence, named}, key=lambda s: s.index)
        return []

    # The practitioner's numbers

    def _number_said(self, number: Number) -> tuple[float | None, Span | None]:
        item = self.qs.item(number.id)
        said = Phrases(item.said, PHRASE_CUTOFF, ALIAS_FUZZY_MIN_CHARS)
        replies = self._replies(item)
        stating = [s for s in self.sentences if item.said and said.first(s)
                   and self._practice(s.index)]
        for sentence in [*replies[:2], *stating]:
            value = _number_of_kind(sentence.norm, number.kind,
                                    stated=sentence not in replies[:2])
            if value is not None:
                return value, _span((sentence,))
        return None, None

    def numbers(self) -> tuple[NumberFinding, ...]:
        found = []
        for number in self.qs.numbers:
            value, quote = self._number_said(number)
            if value is not None and number.kind != "percent":
                value = int(value)
            found.append(NumberFinding(number.id, value, quote))
        return tuple(found)

    # Procedures, red flags, the goal

    def procedures(self) -> tuple[ProcedureFinding, ...]:
        findings = []
        for procedure in self.qs.procedures:
            aliases = Phrases(procedure.aliases, PHRASE_CUTOFF, ALIAS_FUZZY_MIN_CHARS)
            not_this = Phrases(procedure.not_this, PHRASE_CUTOFF, ALIAS_FUZZY_MIN_CHARS)
            mentions = tuple(_span((s,)) for s in self.sentences
                             if not not_this.first(s) and aliases.first(s))
            findings.append(ProcedureFinding(procedure.id, procedure.name, bool(mentions),
                                             mentions))
        return tuple(findings)

    def red_flags(self, items, questions) -> tuple[RedFlag, ...]:
        flags: list[RedFlag] = []
        reasons = self.a.compiled.evidence["reason"]
        raised = set()
        for rule in self.qs.red_flags:
            terms = Terms(rule.phrases)
            if not terms:
                continue
            for position, sentence in enumerate(self.sentences):
                if not self._practice(position) or not asserted(terms, sentence.norm):
                    continue
                if rule.needs_reason:
                    following = self.sentences[position:position + REASON_WINDOW_SENTENCES]
                    if reasons.found(" ".join(s.norm for s in following)):
                        continue
                raised.add(rule.kind)
                flags.append(RedFlag(rule.kind, round(sentence.start, 2), round(sentence.end, 2),
                                     sentence.text, rule.why))
        rule = next((r for r in self.qs.red_flags if r.needs_reason), None)
        for question in questions:
            if (rule and rule.kind not in raised and question.status == "partial"
                    and question.evidence.startswith("The reply gave a decision")
                    and question.answer is not None
                    and re.search(r"\b(not|n't|no)\b", question.answer.text.lower())):
                flags.append(RedFlag(rule.kind, question.answer.start, question.answer.end,
                                     question.answer.text, rule.why))
        for item, finding in zip(self.qs.items, items):
            rule = self.qs.red_flag(item.refused_flag) if item.refused_flag else None
            if rule and finding.outcome == "refused" and finding.quote:
                flags.append(RedFlag(rule.kind, finding.quote.start, finding.quote.end,
                                     finding.quote.text, rule.why))
        return tuple(sorted(flags, key=lambda f: f.start))

    def goal(self) -> Span | None:
        goal_phrases = Phrases(self.qs.goal_phrases, PHRASE_CUTOFF, FUZZY_MIN_CHARS)
        goal = next((s for s in self.sentences if goal_phrases.first(s)), None)
        return _span((goal,)) if goal else None


def _number_of_kind(text: str, kind: str, stated: bool) -> float | None:
    """A percentage (or a fraction said as one), or a count, in normalised text
    (questionset.NUMBER_KINDS).

    `stated`: the sentence was not a reply to the item's question, so a "per_year" count
    must say by itself that it is yearly.
    """
    if kind == "percent":
        found = percentages(text)
        if found:
            return found[0]
        return fraction_percent(text)
    if kind == "per_year" and stated and not YEAR.search(text):
        return None
    years = {float(n) for n in re.findall(r"(\d+) years?\b", text)}
    counts = [n for n in numbers(text) if f"{n:g}%" not in text and n >= 1 and n not in years]
    return counts[0] if counts else None
