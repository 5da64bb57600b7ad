"""How recogniser text is normalised before matching."""

import pytest

from extract.normalize import normalize, numbers, proportions


@pytest.mark.parametrize("spoken, written", [
    ("thirty six point eight percent", "36.8%"),
    ("about sixty per cent", "about 60%"),
    ("seventy-five percent", "75%"),
    ("L five S one", "l5-s1"),
    ("L4 L5 and L5-S1", "l4-l5 and l5-s1"),
    ("one hundred and twenty fusions", "120 fusions"),
    ("100 and 20 fusions", "120 fusions"),
    ("one in a hundred", "1 in 100"),
    ("a good point", "a good point"),
    ("1,200 cases", "1200 cases"),
    # Numbers said one after another are several numbers, never their sum.
    ("better than fifty-fifty", "better than 50 50"),
    ("seventy eighty percent", "70 80%"),
    ("born in nineteen ninety two", "born in 19 92"),
    ("three four times a day", "3 4 times a day"),
    ("two thousand and five", "2005"),
    ("twenty five hundred", "2500"),
    ("one point two five", "1.25"),
    # Neighbouring vertebrae in shorthand.
    ("the disc at l four five", "the disc at l4-l5"),
    ("L4-5 and C5-6", "l4-l5 and c5-c6"),
    ("l4 7 times", "l4 7 times"),
])
def test_spoken_numbers_and_levels(spoken, written):
    assert normalize(spoken) == written


def test_proportions_and_numbers_skip_spine_levels():
    text = normalize("About half, maybe forty percent, at L5-S1; rare, under 1 in 100")
    assert proportions(text) == ["40%", "1 in 100", "half"]
    assert numbers(text) == [40.0, 1.0, 100.0]
