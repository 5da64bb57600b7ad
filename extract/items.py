"""The rest of the visit: items (comparison, referral, cost...), the practitioner's numbers,
procedures, red flags and the goal, each judged on the whole visit, not one sentence.

- Agreement: in the reply to the item's asking, a bare consent ("Sure.", "Absolutely.") or
  one of the item's `agree` acts; anywhere else (unasked, or where the asking was missed),
  only an act said by the practice, by lemma and never negated or conditional ("I'm
  referring you to...", not "I won't be referring her"). An act said negated in the reply
  is a refusal.
- Who counts: an item with `counts` (the referral) needs whom it names, in the reply or,
  for an act, in the same sentence or one beside it by the same speaker: "Absolutely." then
  "Dr. Huang is a physiatrist..." is a referral; "my partner, a surgeon" is `not_counting`.
- An item with no number that is named by anyone (its `said` words: "prior authorization")
  was discussed.
- The numbers are typed: a count said "a year" (or in reply to its question), narrowed to the
  level asked about ("45 a year, roughly 20 of them at L4-L5" is 20), never a duration ("the
  twelve-week program"); a percentage stated unasked must be the practitioner's own ("my",
  "I": not "the literature puts it around ten percent"); "about half" is 50%.
- Red flags count only when said plainly by the practice's side: "if those don't work" is no
  dismissal, "you don't have to decide today" is no pressure; a deadline stays pressure
  under a condition ("only if you sign before you leave today"); "not a candidate" is no red
  flag when the candidacy question was answered with its reason.
"""
from __future__ import annotations

import re

from extract.asking import looks_like_question
from extract.findings import ItemFinding, NumberFinding, ProcedureFinding, RedFlag, Span
from extract.lexicon import Terms
from extract.negation import asserted, denied
from extract.normalize import numbers, percentages
from extract.phrases import (
    ALIAS_FUZZY_MIN_CHARS,
    FUZZY_MIN_CHARS,
    PHRASE_CUTOFF,
    Phrases,
)
from extract.questionset import Item, Number
from extract.requirements import LEVEL, fraction_percent
from extract.turns import PATIENT

YEAR = re.compile(r"\b(year|years|annually|a year|per year)\b")
REASON_WINDOW_SENTENCES = 2  # a reason for "not a candidate" may come in the next sentence
OFFER_WINDOW_SENTENCES = 1  # an unasked referral: the offer, and the specialist in the same
#                             sentence or one beside it ("Dr. Mbeki is a physiatrist. I'll put
#                             the referral in today.")
REPLY_SENTENCES = 3  # a number asked for is in the first sentences of the reply
# Words that consent to whatever was just asked ("Sure.", "Of course."): in a reply to an
# item's asking they agree to it; unasked, only the item's own `agree` acts do.
CONSENT = Terms(("yes", "yeah", "sure", "of course", "absolutely", "certainly", "happy to",
                 "no problem", "will do", "glad to", "definitely", "i'd encourage that",
                 "we can do that", "i can do that"))
_REQUEST = re.compile(r"\b(could you|can you|would you|will you|i'd like|i would like|"
                      r"i want a|please)\b")
_ADDRESSED = re.compile(r"\b(your|yours)\b")
FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|my|mine|our|ours)\b")  # not "if we were
#                                                                 talking fusions"
# A number of weeks, sessions...: no count of operations ("the twelve-week program").
DURATION = re.compile(r"\b(\d+)[ -](?:years?|weeks?|months?|days?|hours?|minutes?|sessions?|visits?)\b")
# A count narrowed to the level asked about: "20 of them at L4-L5", "at C6-C7, around 30"
# (and not "250 knee replacements a year, about 80 of them partial knees").
NARROWED = re.compile(rf"\b(?:this|that) level\b|{LEVEL.pattern}")


def _span(sentences) -> Span:
    return Span(start=round(sentences[0].start, 2), end=round(sentences[-1].end, 2),
                text=" ".join(s.text for s in sentences))


class ItemJudge:
    def __init__(self, analysis):
        self.a = analysis
        self.sentences = analysis.sentences
        self.qs = analysis.qs

    def _practice(self, index: int, *, inferred: bool = True) -> bool:
        """Said by the practice's side, as far as is known. `inferred=False`: without speaker
        labels, only the sentences that ask are kept out (the turns guessed to be the
        patient's are a guess: a referral offered in the first person is the practice's)."""
        a = self.a
        if a.side[index] == PATIENT and (a.labelled or inferred):
            return False
        return a.labelled or index not in a.replies.asked_sentences

    def _same_speaker(self, one, other) -> bool:
        """The same turn, or (with speaker labels) the same speaker in the next cue."""
        return one.turn == other.turn or (self.a.labelled and one.speaker is not None
                                          and one.speaker == other.speaker)

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
        acts = Terms(item.agree)
        refuse = Phrases(item.refuse, PHRASE_CUTOFF, FUZZY_MIN_CHARS)
        counts = Phrases(item.counts, PHRASE_CUTOFF, FUZZY_MIN_CHARS)
        not_counts = Phrases(item.not_counts, PHRASE_CUTOFF, FUZZY_MIN_CHARS)
        for sentence in replies:
            if refuse.first(sentence) or denied(acts, sentence.norm):
                return ItemFinding(item.id, "refused", asked, _span((sentence,)))
        agreeing = [s for s in replies
                    if asserted(acts, s.norm) or asserted(CONSENT, s.norm)]
        if item.counts:
            naming = [s for s in replies if counts.first(s)]
            if agreeing and naming:
                quote = sorted({agreeing[0], naming[0]}, key=lambda s: s.index)
                return ItemFinding(item.id, "agreed", asked, _span(quote))
            offered = self._offered(item, counts)
            if offered:
                return ItemFinding(item.id, "agreed", asked, _span(offered))
            other = [s for s in replies if not_counts.first(s)] if agreeing else []
            other = other or self._offered(item, not_counts)
            if other:
                return ItemFinding(item.id, "not_counting", asked, _span(other[:1]))
        elif agreeing:
            return ItemFinding(item.id, "agreed", asked, _span((agreeing[0],)))
        elif offered := self._offered(item, None):
            return ItemFinding(item.id, "agreed", asked, _span(offered))
        if replies:
            return ItemFinding(item.id, "said", asked, _span(replies[:3]))
        if item.said and all(n.id != item.id for n in self.qs.numbers):
            said = Phrases(item.said, PHRASE_CUTOFF, ALIAS_FUZZY_MIN_CHARS)
            mention = next((s for s in self.sentences if said.first(s)), None)
            if mention is not None:
                return ItemFinding(item.id, "said", asked, _span((mention,)))
        return ItemFinding(item.id, "not_discussed", asked, None)

    def _offered(self, item: Item, who: Phrases | None) -> list:
        """Agreed unasked, or where the asking was missed: the practice commits to it in a
        statement (an item's `agree` acts, never a bare "sure" or "yes", which agree only to
        what was just asked), and names who (`who`: a specialist who counts) in the same
        sentence or one beside it, said by the same speaker."""
        acts = Terms(tuple(a for a in item.agree if a not in CONSENT.entries))
        # With no one to name, a reply to another item's asking agrees to that item: "Could I
        # have copies of my reports?" "Yes, they'll be in your portal tonight." is no written
        # plan.
        elsewhere = {s.index for other in self.qs.items if other.id != item.id
                     for s in self._replies(other)} if who is None else set()
        for sentence in self.sentences:
            if (sentence.index in elsewhere
                    or not self._practice(sentence.index, inferred=who is None)
                    or looks_like_question(sentence.norm) or _REQUEST.search(sentence.norm)
                    or not asserted(acts, sentence.norm)):
                continue
            if who is None:
                return [sentence]
            near = self.sentences[max(0, sentence.index - OFFER_WINDOW_SENTENCES):
                                  sentence.index + OFFER_WINDOW_SENTENCES + 1]
            named = next((s for s in near if self._same_speaker(s, sentence) and who.first(s)),
                         None)
            if named is not None:
                return sorted({sentence, named}, key=lambda s: s.index)
        return []

    # The practitioner's numbers

    def _number_said(self, number: Number) -> tuple[float | None, Span | None]:
        item = self.qs.item(number.id)
        said = Phrases(item.said, PHRASE_CUTOFF, ALIAS_FUZZY_MIN_CHARS)
        # A sentence naming another number of the same kind, and not this one, is about that
        # one: "My five-year revision rate is 5 percent" answers no question on not fusing.
        kind = number.kind
        same_kind = {n.id for n in self.qs.numbers if n.kind == kind and n.id != number.id}
        others = Phrases(tuple(w for other in self.qs.items if other.id in same_kind
                               for w in other.said), PHRASE_CUTOFF, ALIAS_FUZZY_MIN_CHARS)
        replies = [s for s in self._replies(item)
                   if said.first(s) or not others.first(s)][:REPLY_SENTENCES]
        stating = [s for s in self.sentences if item.said and said.first(s) and s not in replies
                   and not looks_like_question(s.norm)]
        # The reply to the item's question; then each sentence stating it unasked, with the
        # next sentence of the turn for a count narrowed there ("About 80 a year. At C6-C7
        # specifically, around 30."); a statement naming it with no number ("And your
        # revision rate. At five years.") is answered by the next turn.
        found = [(value, specific, sentence) for sentence in replies
                 for value, specific in _numbers_of_kind(sentence.norm, kind, stated=False)]
        for sentence in stating:
            if found:
                break
            following = self.sentences[sentence.index + 1:sentence.index + 1 + REPLY_SENTENCES]
            if self._practice(sentence.index, inferred=False):
                found = [(value, specific, sentence) for value, specific
                         in _numbers_of_kind(sentence.norm, kind, stated=True)]
                found += [(value, True, s) for s in following[:1] if found
                          and s.turn == sentence.turn
                          for value, specific in _numbers_of_kind(s.norm, kind, stated=False)
                          if specific]
            # Named with no number by the patient's side, or (no speaker labels) in words
            # addressed to the practice ("And your, uh, revision rate."): a request for it,
            # answered like the item's question ("Seven percent or so." is the surgeon's own:
            # "your" asked for it).
            if found or (self._practice(sentence.index)
                         and (self.a.labelled or not _ADDRESSED.search(sentence.norm))):
                continue
            answer = next((s for s in following if s.turn != sentence.turn), None)
            if answer is not None and self._practice(answer.index, inferred=False):
                found = [(value, specific, answer) for value, specific
                         in _numbers_of_kind(answer.norm, kind, stated=False)]
        if not found:
            return None, None
        value, _, sentence = next((f for f in found if f[1]), found[0])
        return value, _span((sentence,))

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
        # A decision whose reason came in the reply, after a "Why not?" too: no red flag.
        reasoned = [q.answer for q in questions if q.status == "answered" and q.answer
                    and any(c.id == q.id and c.requires == "candidacy_with_reason"
                            for c in self.qs.questions)]
        raised = set()
        for rule in self.qs.red_flags:
            terms = Terms(rule.phrases)
            if not terms:
                continue
            conditionals = not rule.even_if_conditional
            for position, sentence in enumerate(self.sentences):
                if not self._practice(position) or not asserted(terms, sentence.norm,
                                                                conditionals=conditionals):
                    continue
                if rule.needs_reason:
                    following = self.sentences[position:position + REASON_WINDOW_SENTENCES]
                    if reasons.found(" ".join(s.norm for s in following)) or any(
                            span.start <= sentence.start < span.end for span in reasoned):
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


def _numbers_of_kind(text: str, kind: str, stated: bool) -> list[tuple[float, bool]]:
    """The percentages (or fractions said as one), or the yearly counts, in normalised text,
    each with whether it is the specific one: a count narrowed to the level asked about ("45
    a year, roughly 20 of them at L4-L5": 20).

    `stated`: the sentence was not a reply to the item's question, so it must say by itself
    that the count is yearly, and a percentage must be the surgeon's own ("my", "I"): "the
    literature puts the revision rate around ten percent" is nobody's own figure.
    """
    if kind == "percent":
        if stated and not FIRST_PERSON.search(text):
            return []
        found = percentages(text)
        if not found and fraction_percent(text) is not None:
            found = [fraction_percent(text)]
        return [(value, False) for value in found[:1]]
    if kind == "per_year" and stated and not YEAR.search(text):
        return []
    years = {float(n) for n in re.findall(r"(\d+) years?\b", text)}
    out = []
    for clause in re.split(r"[,;:]| and ", text):
        durations = {float(n) for n in DURATION.findall(clause)}
        out += [(n, bool(NARROWED.search(clause))) for n in numbers(clause)
                if f"{n:g}%" not in clause and n >= 1 and n not in years | durations]
    if len(out) == 1 and NARROWED.search(text):
        out = [(out[0][0], True)]  # "At C6-C7 specifically, around 30."
    return out
