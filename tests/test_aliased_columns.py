"""Aliased columns in a selected sample (helpers.stats.logit.estimable_columns): a column that is a
linear combination of earlier columns among a replicate's rows is left out of that replicate's
fit, as R's glm leaves it out (coefficient NA), so the exposure keeps its estimate and a finite
SE; a flagged replicate's Firth refit uses the same reduced design (R: results/separation_r.py).

The replicates are tests/fixtures/separation_overshoot.npz's (chapter 8's cells on the
small-cells export, see tests/fixtures/make_separation_overshoot.py): among the respondents of
`w_aliased` and of `w_aliased_overlap` the column x12 is exactly x7 + x8.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.sensitivity import cutpoint_analysis, fit_term
from helpers.analysis.simulation import Estimand, policy_fit_batch, published_estimands
from helpers.stats.logit import (
    RANK_TOL,
    estimable_columns,
    fit_logistic_batch,
    independent_columns,
    separated,
    separation_flags,
)
from results import separation_r as R

OVERSHOOT = Path(__file__).parent / "fixtures" / "separation_overshoot.npz"
ALIASED = 12  # x12 = x7 + x8 among the respondents of both aliased replicates
# Our fit and glm's agree to glm's own convergence (relative deviance change 1e-8): 1e-6 on the
# log odds is far below the x1 SEs (0.28-0.31) and far above the rounding of either fit.
GLM_TOL = 1e-6
# brglm2 and firthmodels both stop at a gradient of ~1e-8: 1e-7 on the estimate and its SE.
FIRTH_TOL = 1e-7


@pytest.fixture(scope="module")
def overshoot() -> dict[str, np.ndarray]:
    with np.load(OVERSHOOT) as data:
        return {k: data[k].astype(float) for k in data.files}


@pytest.mark.parametrize("start", ["zero", "beta*"])
def test_an_aliased_overlapping_replicate_keeps_glms_estimate(overshoot, start):
    """glm drops x12 and estimates x1 = 0.1376 (SE 0.2814). The old fit kept x12: its
    information matrix was singular, its SEs NaN, the replicate was flagged as separated and its
    Firth refit failed on the rank deficiency: a lost replicate."""
    X, y, w = overshoot["X"], overshoot["y_aliased_overlap"], overshoot["w_aliased_overlap"]
    beta0 = None if start == "zero" else overshoot["start"]
    ref = R.OVERSHOOT_ALIASED_OVERLAP_GLM
    assert ref["aliased"] == [f"x{ALIASED}"]
    res = fit_logistic_batch(X, y[:, None], weights=w[:, None], beta0=beta0)
    est = res["estimable"][0]
    assert list(np.flatnonzero(~est)) == [ALIASED]
    assert np.isnan(res["params"][0, ALIASED]) and np.all(np.isfinite(res["std_errors"][0, est]))
    assert res["converged"][0] and not res["separated"][0]
    assert res["params"][0, 1] == pytest.approx(ref["x1"], abs=GLM_TOL)
    assert res["std_errors"][0, 1] == pytest.approx(ref["se_x1"], abs=GLM_TOL)
    assert not separation_flags(X, y[:, None], w, res)[0]
    out = policy_fit_batch(X, y[:, None], 1, 0.0, weights=w[:, None], beta0=beta0, p_values=False)
    assert not out["separated"][0] and out["converged"][0]  # kept: maximum likelihood, not lost
    assert out["log_or"][0] == pytest.approx(ref["x1"], abs=GLM_TOL)
    assert out["std_error"][0] == pytest.approx(ref["se_x1"], abs=GLM_TOL)
    assert np.isfinite(out["p_value"][0]) and out["covers"][0]  # truth 0 is inside 0.14 +- 0.55


def test_an_aliased_separated_replicate_is_refitted_by_firth_on_the_reduced_design(overshoot):
    """Quasi-separated (R: optimum 12) with x12 aliased: flagged, and its Firth refit is brglm2's
    fit of the design without x12 (the old refit failed on the rank deficiency: lost)."""
    X, y, w, start = overshoot["X"], overshoot["y_aliased"], overshoot["w_aliased"], overshoot["start"]
    ml, ref = R.OVERSHOOT_ALIASED_GLM, R.OVERSHOOT_ALIASED_FIRTH
    assert R.OVERSHOOT_ALIASED["optimum"] > 0 and ref["converged"]
    for beta0 in (None, start):
        res = fit_logistic_batch(X, y[:, None], weights=w[:, None], beta0=beta0)
        assert list(np.flatnonzero(~res["estimable"][0])) == [ALIASED]
        assert res["params"][0, 1] == pytest.approx(ml["x1"], abs=GLM_TOL)  # glm's x1, x12 NA
        assert separation_flags(X, y[:, None], w, res)[0]
        out = policy_fit_batch(X, y[:, None], 1, 0.0, weights=w[:, None], beta0=beta0, p_values=False)
        assert out["separated"][0] and out["converged"][0]
        assert out["log_or"][0] == pytest.approx(ref["x1"], abs=FIRTH_TOL)
        assert out["std_error"][0] == pytest.approx(ref["se_x1"], abs=FIRTH_TOL)


def test_replicates_in_one_batch_are_decided_each_on_its_own_rows(overshoot):
    """The two aliased replicates and the overlapping full-sample one (x12 not aliased: it
    differs from x7 + x8 on 5 respondents) in one batch, each with its own respondents."""
    X = overshoot["X"]
    Y = np.column_stack([overshoot["y_aliased_overlap"], overshoot["y_aliased"], overshoot["y_overlap"]])
    W = np.column_stack([overshoot["w_aliased_overlap"], overshoot["w_aliased"], np.ones(len(X))])
    res = fit_logistic_batch(X, Y, weights=W, beta0=overshoot["start"])
    assert [list(np.flatnonzero(~e)) for e in res["estimable"]] == [[ALIASED], [ALIASED], []]
    out = policy_fit_batch(X, Y, 1, 0.0, weights=W, beta0=overshoot["start"], p_values=False)
    assert list(out["separated"]) == [False, True, False] and out["converged"].all()
    expected = [R.OVERSHOOT_ALIASED_OVERLAP_GLM["x1"], R.OVERSHOOT_ALIASED_FIRTH["x1"], R.OVERSHOOT_OVERLAP_GLM["x1"]]
    np.testing.assert_allclose(out["log_or"], expected, atol=GLM_TOL)


def test_the_rank_decision_is_in_order_scale_free_and_far_from_rounding():
    rng = np.random.default_rng(11)
    n = 200
    a = rng.integers(0, 2, size=(n, 3)).astype(float)
    X = np.column_stack([np.ones(n), a, a[:, 0] + a[:, 1], rng.normal(size=n)])
    assert independent_columns(X) == [0, 1, 2, 3, 5]  # column 4 = 1 + 2, the later one goes
    # in order: the same columns listed with the sum first keep the sum and drop column 2
    assert independent_columns(X[:, [0, 4, 1, 2, 3, 5]]) == [0, 1, 2, 4, 5]
    # units do not matter: a column in 1e-9 or 1e9 units is decided as before
    for scale in (1e-9, 1e9):
        Xs = X.copy()
        Xs[:, 4] *= scale
        Xs[:, 5] *= 1 / scale
        assert independent_columns(Xs) == [0, 1, 2, 3, 5]
    # rounding-level noise (1e-12 of the column) leaves the alias; one respondent off breaks it
    noisy = X.copy()
    noisy[:, 4] *= 1 + 1e-12 * rng.standard_normal(n)
    assert independent_columns(noisy) == [0, 1, 2, 3, 5]
    off = X.copy()
    off[np.flatnonzero((off[:, 4] == 0) & (off[:, 3] == 0))[0], 4] = 1.0
    assert independent_columns(off) == [0, 1, 2, 3, 4, 5]
    # ... and at a small multiple of the tolerance the alias is real, at a large one it is not
    assert 4 not in independent_columns(X + np.outer(np.eye(n)[0], np.eye(6)[4]) * RANK_TOL / 10)
    assert 4 in independent_columns(X + np.outer(np.eye(n)[0], np.eye(6)[4]) * RANK_TOL * 1e3)
    # the batch decision: per replicate, on its own rows; a column of zeros is absent
    present = np.ones((n, 3), dtype=bool)
    present[off[:, 4] != X[:, 4], 1] = False  # the one respondent off left out: aliased again
    present[X[:, 3] == 1, 2] = False  # nobody with a[:, 2] = 1
    est = estimable_columns(off, present)
    assert [list(np.flatnonzero(~e)) for e in est] == [[], [4], [3]]


@pytest.fixture(scope="module")
def aliased_frame() -> pd.DataFrame:
    """A covariate `b` whose level b1 is exactly `a` in {a1, a2}: b[b1] = a[a1] + a[a2]."""
    rng = np.random.default_rng(3)
    n = 300
    a, x = rng.integers(0, 3, n), rng.integers(0, 2, n)
    y = rng.random(n) < 1 / (1 + np.exp(-(-0.3 + 0.5 * x + 0.4 * (a == 1) - 0.3 * (a == 2))))

    def cat(codes, levels):
        return pd.Categorical(np.asarray(levels)[codes], categories=levels)

    return pd.DataFrame(
        {
            "y": cat(y.astype(int), ["No", "Yes"]),
            "x": cat(x, ["No", "Yes"]),
            "a": cat(a, ["a0", "a1", "a2"]),
            "b": cat((a > 0).astype(int), ["b0", "b1"]),
        }
    )


@pytest.mark.parametrize("firth", ["auto", True])
def test_a_sensitivity_term_fit_leaves_an_aliased_covariate_out(aliased_frame, firth):
    """b adds nothing to a (its column is in their span): the fit with both is the fit with a,
    as glm's. The old term fit read the aliased column's NaN SE as a huge SE, went to Firth and
    failed on the rank deficiency (LinAlgError)."""
    with_b = fit_term(aliased_frame, "y", Estimand("t", "y", "x", "x[Yes]", covariates=("a", "b")), firth=firth)
    without = fit_term(aliased_frame, "y", Estimand("t", "y", "x", "x[Yes]", covariates=("a",)), firth=firth)
    assert with_b.method == without.method == ("ml" if firth == "auto" else "firth")
    assert with_b.warning == without.warning
    for field in ("estimate", "std_error", "conf_low", "conf_high", "p_value"):
        assert getattr(with_b, field) == pytest.approx(getattr(without, field), rel=1e-9)


def test_a_constant_outcome_is_separated():
    X = np.column_stack([np.ones(6), [0, 1, 0, 1, 1, 0.0]])
    assert separated(X, np.ones(6)) and separated(X, np.zeros(6))
    assert separated(X, np.array([1, 1, 1, 0, 1, 1.0]), w=np.array([1, 1, 1, 0, 1, 1.0]))
    assert not separated(X, np.array([1, 0, 0, 1, 1, 0.0]))


@pytest.fixture(scope="module")
def synthetic():
    from helpers.data import load_survey

    return load_survey(Path(__file__).parents[1] / "data" / "synthetic" / "survey_2025_synthetic.csv")


def test_cutpoints_skip_the_cut_beyond_an_absent_end_level(synthetic):
    """Nobody answers the top level of the 5-level item (possible in a small export): the cut
    above it has one outcome only. The old analysis fitted it anyway and stopped (firthmodels:
    "Got 1 classes"); now that cut is left out, the proportional-odds row says so, and the
    other cuts are as before."""
    from helpers.analysis.sensitivity import ordinal_source

    est = next(e for e in published_estimands() if ordinal_source(e.outcome))
    source = ordinal_source(est.outcome)
    levels = list(synthetic[source].cat.categories)
    df = synthetic.drop(columns=[est.outcome])
    df[source] = df[source].where(df[source] != levels[-1], levels[-2])
    assert (df[source] == levels[-1]).sum() == 0
    out = cutpoint_analysis(df, [est])
    assert len(out) == 1 + len(levels) - 2  # the ordinal row and three of the four cuts
    assert f"no respondent at level(s) {levels[-1]}" in out["note"].iloc[0]
    full = cutpoint_analysis(synthetic.drop(columns=[est.outcome]), [est])
    assert len(full) == len(levels) and "no respondent" not in " ".join(full["note"])
    with pytest.raises(ValueError, match="single level"):
        fit_term(df.assign(_c=pd.Categorical(["No"] * len(df), categories=["No", "Yes"])), "_c", est)


def test_the_screen_and_the_in_order_decision_agree_on_selected_samples(overshoot):
    """Every replicate's columns, whether the full-rank screen settled them or the in-order
    decision on its rows did, are the in-order decision's on its rows: random selections of the
    fixture's respondents, thinned until levels vanish and x12 = x7 + x8 holds."""
    X = overshoot["X"]
    rng = np.random.default_rng(5)
    present = rng.random((len(X), 120)) < np.linspace(0.95, 0.25, 120)
    est = estimable_columns(X, present)
    expected = np.zeros_like(est)
    for r in range(present.shape[1]):
        expected[r, independent_columns(X[present[:, r]])] = True
    assert np.array_equal(est, expected)
    assert (~est[:, ALIASED] & est[:, 7] & est[:, 8]).any() and est.all(axis=1).any()  # both kinds


def test_a_one_shot_model_names_its_aliased_term(aliased_frame):
    """helpers.analysis.models keeps its rule (a rank-deficient Model 3 on the whole analysed
    sample is an error, not a silent drop) and says which term is the combination."""
    from helpers.analysis import models

    with pytest.raises(ValueError, match=r"aliased \(each a linear combination of earlier terms\): b\[b1\]$"):
        models.logistic(aliased_frame, "y", "x", ["a", "b"])
    assert models.logistic(aliased_frame, "y", "x", ["a"])["term"].tolist()[:2] == ["(Intercept)", "x[Yes]"]
