"""What readers are told, computed from the frames: alt text, the SVG figure, the summary's
caveat and the recaps (fast; the rendered PDF and HTML are checked in test_readers_pdf/browser)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from helpers.present import alt_text, figures, plots, prose
from helpers.review import recaps, summary


def _forest_rows(ors3, ors1):
    rows = []
    for exposure, (o3, o1) in zip(["a", "b"], zip(ors3, ors1)):
        for model, o in (("Model 1", o1), ("Model 2", (o1 + o3) / 2), ("Model 3", o3)):
            rows.append(
                {
                    "model": model,
                    "exposure": exposure,
                    "term": f"{exposure}[Yes]",
                    "odds_ratio": o,
                    "conf_low": o * 0.7,
                    "conf_high": o * 1.4,
                    "estimate": __import__("math").log(o),
                }
            )
    return pd.DataFrame(rows)


def test_forest_alt_says_which_odds_ratios_lie_above_and_below_1():
    text = alt_text.forest(_forest_rows([2.5, 0.3], [2.0, 0.3]), {"a": "Aware → x", "b": "Access → y"})
    assert "above 1 for aware (2.50)" in text and "below 1 for access (0.30)" in text
    assert "by more than 25%" in text and "none crosses 1" in text
    crossing = alt_text.forest(_forest_rows([1.2, 0.3], [0.8, 0.3]), {"a": "Aware → x", "b": "Access → y"})
    assert "1 crosses 1" in crossing and "1 interval includes 1" in crossing


def test_bars_alt_follows_the_data():
    freq = pd.DataFrame({"label": ["A", "B", "C"], "percent": [10.0, 60.0, 30.0]})
    assert alt_text.bars(freq) == (
        "3 bars; the longest is B at 60% and the shortest A at 10%; next to the longest comes C (30%)."
    )


def test_figure_is_deterministic_svg_carrying_its_alt_text():
    plots.use_report_style()
    freq = pd.DataFrame(
        {
            "label": ["A", "B"],
            "percent": [10.0, 60.0],
            "ci_low": [5.0, 50.0],
            "ci_high": [15.0, 70.0],
            "n": [1, 6],
            "denominator": [10, 10],
        }
    )
    shown = figures.show(plots.bar_with_ci(freq), alt_text.bars(freq))
    data, meta = shown._repr_mimebundle_()
    again, _ = figures.show(plots.bar_with_ci(freq), alt_text.bars(freq))._repr_mimebundle_()
    assert data["image/svg+xml"] == again["image/svg+xml"]
    assert "<dc:description>" + shown.alt in data["image/svg+xml"]
    assert meta["image/svg+xml"]["alt"] == data["text/plain"] == shown.alt
    assert "<dc:date>" not in data["image/svg+xml"]
    with pytest.raises(ValueError):
        figures.show(plots.bar_with_ci(freq), "  ")


def test_the_caveat_is_said_once_and_only_for_synthetic_data():
    df = pd.DataFrame({"x": range(409)})
    df.attrs["source"] = "synthetic"
    assert "true by construction" in summary.agreement(df) and "409 invented" in summary.agreement(df)
    assert prose.data_statement(df) == ""  # chapters do not repeat it
    df.attrs.update(source="real", file="survey.sav")
    assert "genuine" in summary.agreement(df) and "construction" not in summary.agreement(df)
    assert "survey.sav" in prose.data_statement(df)


def test_recaps_state_results():
    sensitivity = pd.DataFrame(
        {
            "estimand": ["e"] * 3,
            "primary": [True, False, False],
            "analysis": ["estimator", "estimator", "cutpoints"],
            "odds_ratio": [2.0, 1.5, 0.9],
        }
    )
    simulation = pd.DataFrame({"coverage": [0.94, 0.96], "replicates": [500, 500]})
    scenarios = pd.DataFrame({"bias": [0.1, -0.4], "label": ["Correct model", "An unmeasured confounder"]})
    power = pd.DataFrame({"estimand": ["e"], "mdor": [1.8]})
    text = recaps.robustness(simulation, scenarios, power, sensitivity)
    assert "94.0% to 96.0% of 500 replicates" in text
    assert "-0.40" in text and "an unmeasured confounder" in text
    assert "1 of 2 alternative analyses keep the odds ratio on the same side of 1" in text


def test_patterns_recap_survives_suppressed_cells():
    """A real export with small cells: every measure share and every timing share may be
    suppressed (percent missing); the recap says so instead of failing or naming a hidden cell."""
    df = pd.DataFrame(
        {
            c: pd.Categorical(["Yes", "No", "Yes"], ["No", "Yes"])
            for c in ("patient_outcomes_often", "service_outcomes_often", "uses_outcome_measures")
        }
    )
    measures = pd.DataFrame({"label": ["ONS4", "MYCaW"], "percent": [float("nan"), float("nan")]})
    timing = pd.DataFrame({"level": ["At the start"], "percent": [float("nan")], "denominator": [3]})
    text = recaps.patterns(df, measures, timing, min_count=5)
    assert "shares of each measure are suppressed" in text and "ONS4" not in text
    assert "shares of when outcomes are recorded are suppressed" in text
    shown = recaps.patterns(df, measures.assign(percent=[40.0, 20.0]), timing.assign(percent=[60.0]), min_count=0)
    assert "ONS4 is the most used (40%)" in shown and "at the start (60% of 3 asked)" in shown
