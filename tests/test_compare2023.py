"""2023 vs 2025 comparison: the interval and test formulas against published reference values, the
reconstruction of 2023 counts from rounded percentages, and the comparison table itself."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy.stats import chi2

from helpers import paths
from helpers.review import compare2023


# --- Reference values --------------------------------------------------------------------------------
def test_two_proportion_z_squared_is_r_prop_test_chi_square():
    # R: prop.test(c(94, 39), c(214, 128), correct = FALSE)
    #   X-squared = 6.1026, df = 1, p-value = 0.01350
    #   95 percent confidence interval: 0.03074072 0.23838896; prop 1 0.4392523, prop 2 0.3046875
    # (output shown in "Two-sample test for independent proportions - using R",
    #  https://influentialpoints.com/notes/n9rmf3.htm; the counts are those proportions' numerators.)
    z, p = compare2023.two_proportion_test(94, 214, 39, 128)
    assert z**2 == pytest.approx(6.1026, abs=1e-4)
    assert p == pytest.approx(0.01350, abs=1e-5)

    # By hand: Pearson's chi-square of the 2 x 2 table, sum (O - E)^2 / E, is what prop.test
    # reports without continuity correction, and equals z^2 of the pooled z test.
    table = [[94, 214 - 94], [39, 128 - 39]]
    rows = [sum(r) for r in table]
    cols = [sum(c) for c in zip(*table)]
    total = sum(rows)
    pearson = sum(
        (table[i][j] - rows[i] * cols[j] / total) ** 2 / (rows[i] * cols[j] / total) for i in range(2) for j in range(2)
    )
    assert z**2 == pytest.approx(pearson, rel=1e-12)
    assert p == pytest.approx(chi2.sf(pearson, 1), rel=1e-10)


def test_wilson_interval_matches_newcombe_1998():
    # Newcombe RG (1998) Two-sided confidence intervals for the single proportion: comparison of
    # seven methods. Stat Med 17:857-872, Table I, Wilson score method (percent).
    assert compare2023.wilson(81, 263) == pytest.approx((25.53, 36.62), abs=0.01)
    assert compare2023.wilson(15, 148) == pytest.approx((6.24, 16.05), abs=0.01)
    assert compare2023.wilson(0, 20) == pytest.approx((0.0, 16.11), abs=0.01)


def test_newcombe_hybrid_score_difference_matches_newcombe_1998():
    # Newcombe RG (1998) Interval estimation for the difference between independent proportions:
    # comparison of eleven methods. Stat Med 17:873-890, example (a) 56/70 - 48/80, method 10:
    # 0.0524 to 0.3339.
    low, high = compare2023.newcombe_difference(56, 70, 48, 80)
    assert (low, high) == pytest.approx((5.24, 33.39), abs=0.01)


# --- 2023 counts from rounded percentages --------------------------------------------------------------
@pytest.mark.parametrize(
    ("percent", "counts"),
    [(42, (326, 323, 330)), (28, (218, 214, 221)), (55, (427, 424, 431))],
)
def test_reconstructed_2023_counts_cover_the_rounding(percent, counts):
    central, low, high = compare2023.reconstruct_count(percent, 777)
    assert (central, low, high) == counts
    for k in (low, high):
        assert round(100 * k / 777) == percent
    assert round(100 * (low - 1) / 777) != percent and round(100 * (high + 1) / 777) != percent


# --- The comparison on a hand-made frame --------------------------------------------------------------
FIGURES = [
    {"claim_id": "often", "what": "record outcomes frequently", "value": 42, "variable": "patient_outcomes_often",
     "level": "Yes", "population": "all", "caveat": "Different wording."},
    {"claim_id": "snomed", "what": "familiar with SNOMED codes", "value": 59, "variable": None, "level": None,
     "caveat": "Not comparable: no SNOMED item in the 2025 analysis."},
    {"claim_id": "synthetic_only", "what": "aware", "value": 55, "variable": "aware_info_standard", "level": "Yes",
     "caveat": "The 2025 value is an assumption of the synthetic data. Wording differs."},
]  # fmt: skip


def test_compare_on_a_small_frame(valid_frame):
    df = valid_frame
    df.attrs["source"] = "real"
    table = compare2023.compare(df, FIGURES, responses=777).set_index("claim_id")
    often = table.loc["often"]
    k = int((df["patient_outcomes_often"] == "Yes").sum())
    n = int(df["patient_outcomes_often"].notna().sum())
    assert (often["count_2025"], often["n_2025"]) == (k, n)
    assert often["value_2025"] == pytest.approx(100 * k / n)
    assert often["difference"] == pytest.approx(100 * (k / n - 326 / 777))
    # Widening for the 2023 rounding only ever widens.
    assert (
        often["diff_low_rounding"]
        <= often["diff_low"]
        < often["difference"]
        < often["diff_high"]
        <= often["diff_high_rounding"]
    )
    assert often["ci_2023_low"] < 41.5 and often["ci_2023_high"] > 42.5
    assert often["p_value_max"] >= often["p_value"]
    assert often["caveat"] == "Different wording."
    assert "Different samples" in often["general_caveat"]
    assert not table.loc["snomed", "comparable"] and math.isnan(table.loc["snomed", "value_2025"])
    # On data that are not synthetic, caveats about the synthetic data do not apply.
    assert table.loc["synthetic_only", "caveat"] == "Wording differs."


def test_small_2025_counts_are_suppressed(valid_frame):
    df = valid_frame.copy()
    df["aware_info_standard"] = pd.Categorical(["Yes"] * 2 + ["No"] * (len(df) - 2), categories=["No", "Yes"])
    df.attrs["source"] = "real"
    table = compare2023.compare(df, FIGURES, responses=777)
    shown = compare2023.display_frame(table, suppress_below=5)
    assert shown.loc[2, "2025 % (95% CI)"] == "suppressed (small count)"
    assert "suppressed" in compare2023.summary(table, suppress_below=5)
    assert "suppressed" not in compare2023.display_frame(table, suppress_below=0).loc[2, "2025 % (95% CI)"]


def test_plot_has_both_waves(valid_frame):
    table = compare2023.compare(valid_frame, FIGURES, responses=777)
    fig = compare2023.plot_comparison(table)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 2  # the two comparable figures
    assert [t.get_text() for t in ax.get_legend().get_texts()][0].startswith("2023")


# --- The synthetic data ----------------------------------------------------------------------------------
def test_compare_on_the_synthetic_data():
    if not paths.SYNTHETIC_DATA.exists():
        pytest.skip(f"{paths.SYNTHETIC_DATA.relative_to(paths.ROOT)} not written yet (python -m helpers synth)")
    from helpers.data import load_survey

    df = load_survey(paths.SYNTHETIC_DATA)
    table = compare2023.compare(df).set_index("claim_id")
    assert len(table) == 5 and table.attrs["responses_2023"] == 777
    often = table.loc["pct_record_outcomes_frequently_2023"]
    assert often["comparable"] and (often["count_2025"], often["n_2025"]) == (235, 409)
    assert often["published_2025"] == 57.5
    assert not table.loc["pct_familiar_snomed_2023", "comparable"]
    assert "code path" in compare2023.summary(table.reset_index()) or df.attrs.get("source") != "synthetic"


def test_p_values_are_labelled_nominal_with_the_reasons(valid_frame):
    table = compare2023.compare(valid_frame)
    shown = compare2023.display_frame(table)
    assert "Nominal z test" in shown.columns and "z test" not in shown.columns
    assert all("nominal p" in v for v in shown["Nominal z test"] if v)
    caveats = compare2023.caveats_markdown(table)
    assert "nominal" in caveats and "independent random samples" in caveats


def test_modest_improvements_is_judged_on_the_published_figure():
    def table(value_2025):
        row = {
            "what": "record outcomes frequently",
            "comparable": True,
            "value_2023": 42.0,
            "value_2025": value_2025,
            "published_2025": value_2025,
            "difference": value_2025 - 42.0,
            "count_2025": 200,
            "n_2025": 409,
        }
        return pd.DataFrame([row])

    assert 'larger than "modest" suggests' in compare2023.improvement_statement(table(57.5))
    assert 'consistent with "modest"' in compare2023.improvement_statement(table(46.0))
