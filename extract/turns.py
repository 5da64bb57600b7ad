"""Who is speaking: the patient's side asks the prepared questions, the practice's answers.

A transcript may carry speaker labels (WebVTT `<v Name>`, "Name:" lines, our own
`Segment.speaker`). A label is mapped to a side by what it says ("Patient", "Wife",
"Interpreter" are the patient's side; "Surgeon", "Dr. Lee", "Resident", "PA", "Nurse" the
practice's). A label that says neither ("Speaker 1", "SPEAKER_00") gets the side of what its
speaker does: the one who asks the prepared questions is the patient's side.

Without labels, a stretch of speech that asks a prepared question is the patient's side and
everything else is unknown: such a stretch is never taken as a reply.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from extract.lexicon import words

PATIENT, PRACTICE = "patient", "practice"

_PATIENT_LABELS = re.compile(
    r"\b(patient|pt|client|companion|wife|husband|spouse|partner|son|daughter|mother|mom|"
    r"mum|father|dad|sister|brother|friend|relative|family|interpreter|translator|caregiver|"
    r"carer|guardian|niece|nephew|grand\w*|aunt|uncle|fianc\w*)\b")
_PRACTICE_LABELS = re.compile(
    r"\b(surgeon|doctor|dr|md|do|physician|resident|fellow|attending|registrar|consultant|"
    r"pa|pa-c|np|nurse|rn|physiatrist|specialist|therapist|scheduler|receptionist|"
    r"coordinator|assistant|staff|clinician|provider|neurosurgeon|orthopedist|radiologist|"
    r"prof|professor|mr|ms|mrs|miss)\b")


def side_of_label(label: str | None) -> str | None:
    """The side a speaker label names, or None when it names neither ("Speaker 1")."""
    if not label:
        return None
    text = label.lower().replace(".", " ").replace("_", " ")
    if _PATIENT_LABELS.search(text):
        return PATIENT
    if _PRACTICE_LABELS.search(text):
        return PRACTICE
    return None


def sides(labels: Iterable[str | None], askers: Counter) -> dict[str, str]:
    """Every label's side: by its name, else by what it does (`askers`: label -> how many
    prepared questions it asked). Unnamed labels that ask are the patient's side; the others
    are the practice's, once someone is known to ask."""
    result: dict[str, str] = {}
    unknown = []
    for label in dict.fromkeys(labels):
        if label is None:
            continue
        side = side_of_label(label)
        if side is None:
            unknown.append(label)
        else:
            result[label] = side
    if unknown:
        # The patient's side asks most: a clinician's own look-alike question or two do not
        # make them the patient ("what percentage of the day do you have the pain?").
        most = max((askers.get(label, 0) for label in unknown), default=0)
        asking = {label for label in unknown
                  if askers.get(label, 0) > 0 and askers.get(label, 0) * 2 >= most}
        for label in unknown:
            if label in asking:
                result[label] = PATIENT
            elif asking or PATIENT in result.values():
                result[label] = PRACTICE
    return result


_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|i'll|me|my|mine|myself|we|our|us)\b")
_SECOND_PERSON = re.compile(r"\b(you|you're|you've|you'd|you'll|your|yours|yourself)\b")
SHORT_TURN_WORDS = 4  # "Okay.", "Two percent. Okay.": a back-channel, not an answer


def infer_patient_turns(turn_texts: dict[int, str], asking_turns: set[int]) -> set[int]:
    """Turns that are likely the patient's side, in a transcript without speaker labels.

    The turns that ask are the patient's. After one, speakers mostly alternate: the turns at
    an even distance from the last asking turn are the patient's again when they also sound
    like it (more "I"/"my" than "you"/"your", a question back, or a short back-channel).
    How sure this is: it only keeps such turns out of replies, it never makes an asking.
    """
    patient = set(asking_turns)
    last_asking = None
    for turn in sorted(turn_texts):
        if turn in asking_turns:
            last_asking = turn
            continue
        if last_asking is None:
            continue
        distance = turn - last_asking
        if distance % 2:
            continue
        if sounds_like_patient(turn_texts[turn]):
            patient.add(turn)
    return patient


def sounds_like_patient(text: str) -> bool:
    """Words that sound like the patient's side: more "I"/"my" than "you"/"your", a question,
    or a short back-channel with no number in it."""
    short = len(text.split()) <= SHORT_TURN_WORDS and not re.search(r"\d", text)
    return speaks_for_self(text) or short or text.rstrip().endswith("?")


def person(text: str) -> int:
    """How many more "I"/"my" than "you"/"your": above 0, someone telling their own story
    (mostly the patient); below 0, someone speaking to the other (a surgeon explains in the
    second person: "your MRI shows...")."""
    text = text.lower()
    return len(_FIRST_PERSON.findall(text)) - len(_SECOND_PERSON.findall(text))


def speaks_for_self(text: str) -> bool:
    return person(text) > 0


# Words that only keep the talk going, by lemma: acknowledging, greeting, thanking, a filler
# or an apology. ("No" is left out: it can be the whole answer.)
BACK_CHANNEL_WORDS = frozenset({"yeah", "yes", "yep", "yup", "okay", "ok", "right", "alright",
                                "sure", "hi", "hello", "thank", "sorry", "oh", "um", "uh", "mm",
                                "mhm", "hmm", "huh"})


def back_channel(text: str) -> bool:
    """A sentence of back-channel words only ("Okay.", "Right.", "Yeah. Yes.", "Thanks."):
    it says nothing of its own, whoever says it to whom."""
    found = words(text)
    return bool(found) and all(w in BACK_CHANNEL_WORDS for w in found)
