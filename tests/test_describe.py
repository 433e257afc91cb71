"""Descriptive helpers: denominators (those asked and answering), Wilson CIs, multiple response,
Likert distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import describe

YES_NO = pd.CategoricalDtype(["No", "Yes"])
FREQ = pd.CategoricalDtype(["Never", "Rarely", "Sometimes", "Often", "Very often"], ordered=True)


@pytest.fixture
def frame() -> pd.DataFrame:
    # 10 respondents; 'uses' decides who is asked the measures question.
    return pd.DataFrame(
        {
            "uses": pd.Categorical(["Yes"] * 6 + ["No"] * 3 + [None], dtype=YES_NO),
            "m_a": pd.Categorical(["Yes", "Yes", "Yes", "No", "No", "Yes"] + [None] * 4, dtype=YES_NO),
            "m_b": pd.Categorical(["No", "Yes", "No", "No", "No", "No"] + [None] * 4, dtype=YES_NO),
            "m_c": pd.Categorical(["Yes", "Yes", "Yes", "Yes", "No", "Yes"] + [None] * 4, dtype=YES_NO),
            "freq": pd.Categorical(
                ["Never", "Often", "Often", "Very often", "Sometimes", None, "Rarely", "Often", "Never", "Often"],
                dtype=FREQ,
            ),
            "freq2": pd.Categorical(["Often"] * 9 + ["Very often"], dtype=FREQ),
        }
    )


def test_wilson_matches_newcombe_1998():
    # Newcombe (1998) Stat Med 17:857-872, Table II, method 3 (Wilson score, no continuity
    # correction): 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605; 0/20 -> 0-0.1611;
    # 1/29 -> 0.0061-0.1718.
    low, high = describe.wilson_ci([81, 15, 0, 1], [263, 148, 20, 29])
    np.testing.assert_allclose(low, [25.53, 6.24, 0.0, 0.61], atol=5e-3)
    np.testing.assert_allclose(high, [36.62, 16.05, 16.11, 17.18], atol=5e-3)


def test_frequency_table_levels_and_denominator(frame):
    table = describe.frequency_table(frame, "freq")
    assert list(table.columns) == ["level", "n", "denominator", "percent", "ci_low", "ci_high"]
    assert list(table["level"]) == list(FREQ.categories)  # all levels, in order, zeros kept
    assert list(table["n"]) == [2, 1, 1, 4, 1]
    assert set(table["denominator"]) == {9}  # one missing answer excluded
    assert table["percent"].sum() == pytest.approx(100)
    assert (table["ci_low"] <= table["percent"]).all() and (table["percent"] <= table["ci_high"]).all()


def test_frequency_table_population(frame):
    by_query = describe.frequency_table(frame, "freq", population="uses == 'Yes'")
    by_mask = describe.frequency_table(frame, "freq", population=frame["uses"] == "Yes")
    assert set(by_query["denominator"]) == {5}  # 6 asked, one did not answer
    pd.testing.assert_frame_equal(by_query, by_mask)


def test_proportion(frame):
    p = describe.proportion(frame, "freq", level=["Often", "Very often"])
    assert (p.n, p.denominator) == (5, 9)
    assert p.percent == pytest.approx(100 * 5 / 9)
    low, high = describe.wilson_ci(5, 9)
    assert (p.ci_low, p.ci_high) == (pytest.approx(float(low)), pytest.approx(float(high)))
    assert describe.proportion(frame, "uses").n == 6


def test_multiple_response_denominator_and_order(frame):
    table = describe.multiple_response(frame, ["m_a", "m_b", "m_c"], labels={"m_a": "A", "m_b": "B", "m_c": "C"})
    assert list(table.columns) == ["option", "label", "n", "denominator", "percent", "ci_low", "ci_high"]
    assert list(table["option"]) == ["m_c", "m_a", "m_b"]  # most ticked first
    assert list(table["label"]) == ["C", "A", "B"]
    assert list(table["n"]) == [5, 4, 1]
    assert set(table["denominator"]) == {6}  # respondents asked, not all 10
    unsorted = describe.multiple_response(frame, ["m_a", "m_b", "m_c"], labels=["A", "B", "C"], sort=False)
    assert list(unsorted["option"]) == ["m_a", "m_b", "m_c"]


def test_multiple_response_uses_codebook_labels():
    frame = pd.DataFrame({"measure_ons4": pd.Categorical(["Yes", "No"], dtype=YES_NO)})
    assert describe.multiple_response(frame, ["measure_ons4"])["label"].iloc[0] == "ONS4 personal wellbeing"


def test_likert_distribution(frame):
    dist = describe.likert_distribution(frame, ["freq", "freq2"], labels={"freq": "Item 1", "freq2": "Item 2"})
    assert {"item", "level", "n", "percent"} <= set(dist.columns)
    assert len(dist) == 2 * 5
    assert list(dist["level"].cat.categories) == list(FREQ.categories)
    assert dist["level"].cat.ordered
    sums = dist.groupby("item")["percent"].sum()
    assert sums.to_dict() == {"freq": pytest.approx(100), "freq2": pytest.approx(100)}
    assert dist.loc[(dist["item"] == "freq2") & (dist["level"] == "Never"), "n"].item() == 0


def test_in_population_all_asked_and_query():
    from helpers.analysis.describe import in_population
    from helpers.data import load_survey
    from helpers.data.codebook import load_codebook

    df = load_survey()
    book = load_codebook()
    name, rule = next((v.name, v.asked_if) for v in book.variables.values() if v.asked_if)
    assert in_population(df, None) is df and in_population(df, "all") is df
    assert in_population(df, "asked") is df  # no variable: nothing to ask about
    asked = in_population(df, "asked", name)
    assert len(asked) == len(df.query(rule)) < len(df)
    assert in_population(df, rule).equals(asked)
