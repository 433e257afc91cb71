"""Misspecified generating models (helpers.analysis.misspecification): the simulation can show bias.

On a simulated survey of 1,000 (tests/_robustness_toy.py) with one association: the correctly
specified scenario and selection on the outcome alone show no bias; an omitted confounder,
outcome misclassification and selection on outcome and exposure do, by the expected amount
where it is known. The power formula's promise (80% at the minimum detectable OR) is checked too.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from _robustness_toy import COVARIATES, toy_survey
from helpers.analysis.misspecification import SCENARIO_COLUMNS, SCENARIOS, misspecification_study, power_at_mdor
from helpers.analysis.power import power_table
from helpers.analysis.simulation import Estimand

EST = [
    Estimand(
        "aware",
        "patient_outcomes_often",
        "aware_info_standard",
        "aware_info_standard[Yes]",
        covariates=tuple(COVARIATES),
    )
]


@pytest.fixture(scope="module")
def toy():
    df, _ = toy_survey(1000, seed=5)
    df.attrs["source"] = "real"  # the generating model is Model 3 fitted to the file
    return df


@pytest.fixture(scope="module")
def study(toy):
    return misspecification_study(toy, replicates=150, seed=3, n_jobs=2, estimands=EST).set_index("scenario")


def _noise(row, extra=0.0):
    return 3 * row["bias_mc_se"] + extra


def test_frame_has_every_scenario(study):
    assert list(study.reset_index().columns) == SCENARIO_COLUMNS
    assert list(study.index) == [s.name for s in SCENARIOS]
    assert (study["replicates"] + study["failed"] == 150).all()


def test_correct_model_and_selection_on_the_outcome_alone_are_unbiased(study):
    # (0.03: the small-sample bias of maximum likelihood at n = 1000 with 21 parameters.)
    for name in ("correct", "selection_outcome"):
        row = study.loc[name]
        assert abs(row["bias"]) < _noise(row, 0.03), name
        assert row["coverage"] >= 0.90, name


def test_omitted_confounder_is_biased_and_undercovers(study):
    row = study.loc["confounder"]
    assert row["bias"] > 0.25 and row["bias"] > _noise(row)
    assert row["coverage"] < 0.6


def test_nondifferential_misclassification_pulls_toward_the_null(study):
    row = study.loc["misclassification"]
    assert abs(row["mean_log_or"]) < abs(row["true_log_or"]) - 0.15
    assert row["coverage"] < 0.85


def test_differential_misclassification_and_selection_bias_away(study):
    assert study.loc["differential", "bias"] > 0.2
    row = study.loc["selection_both"]
    assert row["expected_bias"] == pytest.approx(math.log(1.6))
    assert abs(row["bias"] - row["expected_bias"]) < _noise(row, 0.05)
    assert row["coverage"] < 0.7


def test_same_seed_same_frame_whatever_n_jobs(toy):
    scen = SCENARIOS[:2]
    one = misspecification_study(toy, replicates=30, seed=8, n_jobs=1, estimands=EST, scenarios=scen)
    two = misspecification_study(toy, replicates=30, seed=8, n_jobs=2, estimands=EST, scenarios=scen)
    pd.testing.assert_frame_equal(one, two)


def test_simulated_power_at_the_minimum_detectable_or_is_near_80_percent(toy):
    power = power_table(toy, EST)
    check = power_at_mdor(toy, power, replicates=300, seed=2, estimands=EST)
    row = check.iloc[0]
    assert row["mdor"] == pytest.approx(power.loc[0, "mdor"])
    assert abs(row["simulated_power"] - 0.8) < 3 * row["mc_se"] + 0.03
