"""Which sentences answer each asking: aligned over the whole visit, by content.

Askings in one turn form a group (a list read up front, two questions in one breath). A
group's window is what follows it up to the next asking in a later turn, at most
`reply_window_sentences` sentences (and `reply_window_s` seconds) per question in the group,
where the practice's back-channels ("Right.", "Okay.") do not count;
the patient's side never counts as a reply (its back-channels, its echo of a number, its own
next words). With one question in the group, the window is its reply; with several, each
sentence goes to the question it is closest to in meaning (`topic_similarity`), and a
sentence close to none continues the answer before it (answers in pieces).

After the window, a later sentence of the practice's side is a late answer to a question
("you asked about the odds earlier: ...") when it is closer to that question than to any
other, `late_reply_similarity` close, or right after words that point back to a question.
Order is only a weak prior: the window comes first, content decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from extract.asking import Asking, Target, similarities
from extract.lexicon import words
from extract.sentences import Sentence
from extract.settings import AnalyzerSettings
from extract.turns import (
    PATIENT,
    PRACTICE,
    back_channel,
    person,
    sounds_like_patient,
    speaks_for_self,
)

BACK_REFERENCE = re.compile(
    r"\b(you asked|your (?:first|second|third|fourth|fifth|last|earlier|other) question|"
    r"going back to|back to your|to answer your|as for your|about your question|"
    r"your question about|on your (?:first|second|third|fourth|fifth|last) question|"
    r"the (?:first|second|third|fourth|fifth|last) (?:one|question))\b")
BACK_REFERENCE_SENTENCES = 3  # what follows words that point back is the answer they name
# Words that name the question by its place: "your first question" is the prepared question
# asked first in this visit, whatever the answer's words are closest to.
ORDINALS = ("first", "second", "third", "fourth", "fifth")
_ORDINAL = "|".join(ORDINALS)
ORDINAL_REFERENCE = re.compile(
    rf"\b(?:(?:your|the) ({_ORDINAL}) question|your ({_ORDINAL}) one)\b")


@dataclass(frozen=True)
class Reply:
    sentences: tuple[Sentence, ...]
    late: tuple[Sentence, ...]  # sentences found later in the visit, by content
    confidence: str  # "high", "medium" or "low": how sure we are these are the reply


class Replies:
    def __init__(self, sentences: tuple[Sentence, ...], side: list[str | None],
                 askings: dict[str, list[Asking]], questions: list[Target],
                 settings: AnalyzerSettings, embedder=None, labelled: bool = False,
                 cue_turns: bool = False, items: list[Target] = ()):
        self.sentences = sentences
        self.side = side
        self.settings = settings
        self.labelled = labelled
        self.cue_turns = cue_turns
        # Without an embedder, several questions asked together share their reply: words
        # alone cannot tell which sentence answers which.
        self.embedder_used = embedder is not None
        self.questions = questions
        everything = sorted((a for found in askings.values() for a in found),
                            key=lambda a: (a.first, a.last))
        self.asking_turns = {sentences[i].turn for a in everything
                             for i in range(a.first, a.last + 1)}
        self.asked_sentences = {i for a in everything for i in range(a.first, a.last + 1)}
        self.groups: list[list[Asking]] = []
        for asking in everything:
            if self.groups and self._together(self.groups[-1][-1], asking):
                self.groups[-1].append(asking)
            else:
                self.groups.append([asking])
        # Similarity of every sentence to every question, for the alignment by content (and
        # to every item too, to tell when the talk moves on to one).
        texts = [s.norm for s in sentences]
        if embedder is not None:
            everything_asked = [*questions, *items]
            wordings = [w for q in everything_asked for w in q.wordings]
            owner = np.array([n for n, q in enumerate(everything_asked) for _ in q.wordings])
            raw = similarities(texts, wordings, embedder) if texts else np.zeros((0, 0))
            self.any_topic = np.full((len(texts), len(everything_asked)), -1.0)
            for n in range(len(everything_asked)):
                if (owner == n).any():
                    self.any_topic[:, n] = raw[:, owner == n].max(axis=1) if len(texts) else 0
            self.topic = self.any_topic[:, :len(questions)]
            self.topic_index = {t.id: n for n, t in enumerate(everything_asked)}
        else:
            self.topic = np.array([[q.concept_hits(words(t)) / max(1, len(q.concepts))
                                    for q in questions] for t in texts]).reshape(
                len(texts), len(questions))
            self.topic_index = {}
        self.question_index = {q.id: n for n, q in enumerate(questions)}
        # The prepared questions in the order they were first asked ("your first question").
        self.asked_order = list(dict.fromkeys(a.target for a in everything
                                              if a.target in self.question_index))
        self._cache: dict[tuple[str, int], Reply] = {}

    def _together(self, previous: Asking, asking: Asking) -> bool:
        """Asked in one go: in one turn, or (turns unknown) one right after the other."""
        if self.labelled or self.cue_turns:
            return self.sentences[asking.first].turn == self.sentences[previous.last].turn
        return (asking.first <= previous.last + 1
                and self.sentences[asking.first].pause_before < self.settings.chain_max_gap_s)

    def _new_question(self, index: int) -> bool:
        """The patient's side asking something new (a question the set does not hold): the
        reply before it is over, and what follows answers that, not the asking."""
        sentence = self.sentences[index]
        return (self.side[index] == PATIENT and sentence.norm.endswith("?")
                and len(sentence.norm.split()) >= self.settings.new_question_min_words)

    def _content(self, index: int) -> bool:
        """A sentence that may be (part of) a reply: not the patient's side, not an asking."""
        if index in self.asked_sentences or self.side[index] == PATIENT:
            return False
        if self.labelled or not self.cue_turns:
            return True
        return self.sentences[index].turn not in self.asking_turns

    def _window(self, group_index: int) -> list[int]:
        group = self.groups[group_index]
        after = max(a.last for a in group) + 1
        stop = (self.groups[group_index + 1][0].first if group_index + 1 < len(self.groups)
                else len(self.sentences))
        limit = self.settings.reply_window_sentences * len(group)
        asked_end = self.sentences[after - 1].end
        window = []
        turns_known = self.labelled or self.cue_turns
        if not turns_known:
            after = self._after_asker(after, stop)
        mine = [self.topic_index[a.target] for a in group if a.target in self.topic_index]
        dropped = 0  # sentences of the window that were not the reply: they use it up too
        asking_back = False
        free = 0  # sentences of the window that do not use it up
        for index in range(after, stop):
            sentence = self.sentences[index]
            if sentence.start - asked_end > self.settings.reply_window_s * len(group):
                break
            if window and (self._new_question(index) or self._other_topic(index, mine)):
                break
            # Without turns, who asks a question in the reply is unknown: mostly the patient
            # asking back ("And those are, like, over fifty percent?"), never an answer; and
            # what leads up to it or goes on from it with no pause is the same voice ("I
            # printed something... It says 60 to 70 percent... Is that right for me?", "Is
            # that like sixty percent? I'm trying to fill in the box.").
            if not turns_known:
                if sentence.norm.endswith("?"):
                    lead_in = self._lead_in(index, after)
                    dropped += 1 + sum(i >= lead_in for i in window)
                    window = [i for i in window if i < lead_in]
                    asking_back = True
                    continue
                asking_back = (asking_back and speaks_for_self(sentence.norm)
                               and sentence.pause_before < self.settings.turn_pause_s)
                if asking_back:
                    dropped += 1
                    continue
            if self._content(index):
                window.append(index)
                # The practice's own back-channels ("Right.", "Okay.", the "Yeah. Yes." of a
                # phone call taken mid-reply) say nothing: they leave the reply its budget. Of
                # unknown side, one is as likely the patient's acknowledgement: the reply over.
                free += self.side[index] == PRACTICE and back_channel(sentence.norm)
                if len(window) - free + dropped >= limit:
                    break
        return window

    def _lead_in(self, question: int, after: int) -> int:
        """The first sentence of the stretch that leads up to a question with no pause, back
        to words spoken to the other side ("You're not a candidate. Can I ask why?")."""
        first = question
        while (first > after and self.sentences[first].pause_before < self.settings.turn_pause_s
               and person(self.sentences[first - 1].norm) >= 0):
            first -= 1
        return first

    def _after_asker(self, after: int, stop: int) -> int:
        """Without turns, where the reply starts: the asker may go on after the question
        ("...For the neck thing.", "I'd even do months of proper physio"), and the longest
        silence among the next few sentences is the likeliest change of speaker. What comes
        before it is the asker's when all of it is in the first person."""
        ahead = range(after, min(stop, after + self.settings.asker_tail_sentences + 1))
        if not ahead:
            return after
        change = max(ahead, key=lambda i: self.sentences[i].pause_before)
        if not sounds_like_patient(self.sentences[change].norm) and all(
                speaks_for_self(self.sentences[i].norm) for i in range(after, change)):
            return change
        return after

    def _other_topic(self, index: int, mine: list[int]) -> bool:
        """The talk moving on: a question ("How many of these fusions do you do?"), or a
        sentence in the first person ("I've been reading about a biologic option..."), about
        another prepared question or item and not the ones asked. (The surgeon's explanation
        may touch another question's topic: "your problem is bone spur pressing on the cord"
        is the reason a treatment does not fit.)"""
        norm = self.sentences[index].norm
        if not self.embedder_used or not mine or not (norm.endswith("?")
                                                      or speaks_for_self(norm)):
            return False
        row = self.any_topic[index]
        closest = int(np.argmax(row))
        return (closest not in mine and row[closest] >= self.settings.topic_shift_similarity
                and row[closest] - max(row[m] for m in mine) >= self.settings.topic_shift_margin)

    def reply(self, asking: Asking) -> Reply:
        key = (asking.target, asking.first)
        if key not in self._cache:
            self._cache[key] = self._reply(asking)
        return self._cache[key]

    def _reply(self, asking: Asking) -> Reply:
        group_index = next(n for n, g in enumerate(self.groups) if asking in g)
        group = self.groups[group_index]
        window = self._window(group_index)
        confidence = "high" if self.labelled else "medium"
        questions_in_group = list(dict.fromkeys(a.target for a in group
                                                 if a.target in self.question_index))
        if (self.embedder_used and len(questions_in_group) > 1
                and asking.target in self.question_index):
            window = self._assigned(window, questions_in_group, asking.target)
            confidence = "medium"
        chosen = tuple(self.sentences[i] for i in window)
        return Reply(chosen, (), confidence)

    def _assigned(self, window: list[int], targets: list[str], mine: str) -> list[int]:
        columns = [self.question_index[t] for t in targets]
        current = None
        mine_column = self.question_index[mine]
        kept = []
        for index in window:
            row = self.topic[index, columns]
            best = int(np.argmax(row))
            if row[best] >= self.settings.topic_similarity and (
                    len(row) < 2 or row[best] - np.partition(row, -2)[-2] >= 0.02):
                current = columns[best]
            if current == mine_column:
                kept.append(index)
        return kept

    def _named_question(self, norm: str) -> str | None:
        """The prepared question words like "your second question" name by its place."""
        said = ORDINAL_REFERENCE.search(norm)
        if said is None:
            return None
        place = ORDINALS.index(said.group(1) or said.group(2))
        return self.asked_order[place] if place < len(self.asked_order) else None

    def late(self, asking: Asking, window_end: int) -> tuple[Sentence, ...]:
        """Sentences after the reply's window that answer this question by content."""
        if asking.target not in self.question_index:
            return ()
        column = self.question_index[asking.target]
        found = []
        follow = 0
        for index in range(window_end, len(self.sentences)):
            if not self._content(index):
                follow = 0
                continue
            sentence = self.sentences[index]
            row = self.topic[index]
            closest = int(np.argmax(row))
            if BACK_REFERENCE.search(sentence.norm):
                follow = BACK_REFERENCE_SENTENCES
                named = self._named_question(sentence.norm)
                if named is not None:
                    closest = self.question_index[named]
            if follow > 0:
                follow -= 1
                if closest == column:
                    found.append(sentence)
                    continue
            if closest == column and row[column] >= self.settings.late_reply_similarity:
                found.append(sentence)
        return tuple(found)
