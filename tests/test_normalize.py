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
])
def test_spoken_numbers_and_levels(spoken, written):
    assert normalize(spoken) == written


def test_proportions_and_numbers_skip_spine_levels():
    text = normalize("About half, maybe forty percent, at L5-S1; rare, under 1 in 100")
    assert proportions(text) == ["40%", "1 in 100", "half"]
    assert numbers(text) == [40.0, 1.0, 100.0]
