"""Sentence formatting: the numbers the prose quotes are formatted the same way everywhere."""

import pandas as pd
import pytest

from helpers.present import prose


def test_count_of_gives_count_denominator_and_percent():
    assert prose.count_of(235, 409) == "235 of 409 (57.5%)"


def test_count_of_zero_denominator_is_not_a_number():
    assert prose.count_of(0, 0) == "0 of 0 (n/a)"


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0004, "p < 0.001"), (0.0012, "p = 0.001"), (0.0123, "p = 0.01"), (0.34, "p = 0.34")],
)
def test_p_text(p, text):
    assert prose.p_text(p) == text


def test_odds_ratio_sentence():
    assert prose.odds_ratio(2.2912, 1.531, 3.4249, 0.00004) == "OR 2.29 (95% CI 1.53 to 3.42; p < 0.001)"


def test_listing():
    assert prose.listing(["a"]) == "a"
    assert prose.listing(["a", "b", "c"]) == "a, b and c"


def test_data_statement_says_synthetic_only_for_synthetic_data():
    df = pd.DataFrame({"x": range(3)})
    df.attrs["source"] = "synthetic"
    # the chapters do not repeat the caveat: the summary says it once (test_summary.py)
    assert prose.data_statement(df) == ""
    assert "by construction" in prose.synthetic_statement(df)
    df.attrs.update(source="real", file="survey.sav")
    statement = prose.data_statement(df, min_cell_count=5)
    assert "survey.sav" in statement and "below 5" in statement
    assert "Synthetic" not in statement
