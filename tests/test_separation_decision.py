"""The separation decision of the logistic core (helpers.stats.logit.separation_flags): decided by
the data (overlap certificate, then the linear program), so a replicate's decision does not
hang on its start, and it can say both "separated" and "not separated" (R: results/separation_r.py).

tests/fixtures/separation_knife_edge.npz holds two replicates of chapter 8's cell
selection_both x or_patient_record_access (seed [2025, 23, 4] of misspecification.run_cells):
X (409 respondents x 21 columns, intercept first), the knife-edge replicate 114 (`y`, `w`: 1 =
selected) and replicate 0 (`y_separated`, `w_separated`); `start_a` and `start_b` are that cell's
starting values beta* (the projection of the generating model) from calibration's own Newton fit
and from the core's fit at its deviance tolerance: 2e-10 apart. With the old rule (separated
when a standard error was not finite) replicate 114 was "not separated" from start_a and
"separated" from start_b: its level x6 has nobody selected, and the variance of that
coefficient, read off the pseudo-inverse of a singular information matrix, was +1.5e-33 from
one start (fitted alone) and -1.2e-32 (a NaN standard error) from the other.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from helpers.analysis.simulation import policy_fit_batch
from helpers.stats.logit import (
    DIVERGED,
    firth_fitted,
    fit_logistic,
    fit_logistic_batch,
    separated,
    separated_exactly,
    separating_column,
    separation_flags,
    suspect,
)
from results import separation_r as R

FIXTURE = Path(__file__).parent / "fixtures" / "separation_knife_edge.npz"
ABSENT = 6  # the level nobody selected in replicate 114 has


@pytest.fixture(scope="module")
def cases() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as data:
        return {k: data[k].astype(float) for k in data.files}


def _perturbed_starts(start: np.ndarray, k: int = 12) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [start + 1e-10 * rng.standard_normal(start.size) for _ in range(k)]


def _batch(X, y, w, start, **kw):
    res = fit_logistic_batch(X, y[:, None], weights=w[:, None], beta0=start, **kw)
    return res, bool(separation_flags(X, y[:, None], w, res)[0])


def test_the_knife_edge_replicate_is_decided_by_its_data_not_its_start(cases):
    X, y, w = cases["X"], cases["y"], cases["w"]
    a, b = cases["start_a"], cases["start_b"]
    assert 0 < np.abs(a - b).max() < 1e-9  # the two starts of the old flip
    assert not np.any(X[w > 0, ABSENT]) and np.all(np.any(X[w > 0][:, np.arange(21) != ABSENT], axis=0))
    kept = np.flatnonzero(np.arange(X.shape[1]) != ABSENT)
    alone = fit_logistic(X[w > 0][:, kept], y[w > 0])  # the model without the absent level
    old_reading = []
    for start in [a, b, *_perturbed_starts(a, 40)]:
        res, flagged = _batch(X, y, w, start)
        assert not flagged
        # What the old rule read: the absent coefficient's variance in the pseudo-inverse of the
        # information matrix at the fit (a NaN SE, "separated", when negative).
        mu = expit(X @ np.where(res["estimable"][0], res["params"][0], start))
        old_reading.append(np.linalg.pinv(X.T @ (X * (w * mu * (1 - mu))[:, None]))[ABSENT, ABSENT])
        assert not res["estimable"][0, ABSENT] and np.isnan(res["std_errors"][0, ABSENT])
        assert np.all(np.isfinite(res["std_errors"][0, kept]))
        np.testing.assert_allclose(res["params"][0, kept], alone.params, atol=1e-8)
        np.testing.assert_allclose(res["std_errors"][0, kept], alone.std_errors, atol=1e-8)
    # rounding residue of either sign: the old decision was a coin flip over 1e-10 changes
    assert max(abs(v) for v in old_reading) < 1e-25
    assert min(old_reading) < 0 < max(old_reading)
    # R: the linear program finds no separating direction; glm's finite fit
    assert not separated_exactly(X, y, w)
    assert R.KNIFE_EDGE["optimum"] == 0 and not R.KNIFE_EDGE["infinite"]
    assert (int((w > 0).sum()), kept.size) == (R.KNIFE_EDGE["n"], R.KNIFE_EDGE["p"])
    assert np.abs(alone.params).max() == pytest.approx(R.KNIFE_EDGE_GLM["max_abs_coef"], abs=5e-4)
    assert alone.std_errors.max() == pytest.approx(R.KNIFE_EDGE_GLM["max_se"], abs=5e-5)


def test_a_separated_replicate_is_flagged_wherever_newton_stops(cases):
    X, y, w = cases["X"], cases["y_separated"], cases["w_separated"]
    assert (int((w > 0).sum()), X.shape[1]) == (R.SEPARATED["n"], R.SEPARATED["p"])
    assert separated_exactly(X, y, w)  # R: optimum 5 > 0, direction x6
    assert R.SEPARATED["optimum"] > 0 and R.SEPARATED["infinite"] == [f"x{ABSENT}"]
    stops = []
    for start in [None, cases["start_a"], *_perturbed_starts(cases["start_a"], 4)]:
        for max_iter in (5, 12, 60):  # stopped early (|beta| below DIVERGED) or at convergence
            res, flagged = _batch(X, y, w, start, max_iter=max_iter)
            assert flagged
            stops.append(float(np.abs(res["params"][0]).max()))
    assert min(stops) < DIVERGED < max(stops)


@pytest.fixture(scope="module")
def endometrial() -> pd.DataFrame:
    from test_models_reference import ENDOMETRIAL

    return pd.read_csv(io.StringIO(ENDOMETRIAL), sep=" ")


def test_the_decision_says_separated_and_not_separated(endometrial):
    d = endometrial
    X = np.column_stack([np.ones(len(d)), d[["NV", "PI", "EH"]].to_numpy(float)])
    y = d["HG"].to_numpy(float)
    assert R.ENDOMETRIAL_NV["optimum"] > 0 and R.ENDOMETRIAL_NO_NV["optimum"] == 0
    assert separated_exactly(X, y)  # NV = 1 only with HG = 1
    assert not separated_exactly(X[:, [0, 2, 3]], y)
    # In a batch: the separated outcome, an overlapping one (one NV patient without HG), and the
    # overlapping one fitted only for 3 iterations (not converged: Firth, as for one fit).
    y2 = y.copy()
    y2[np.flatnonzero(d["NV"].to_numpy() == 1)[0]] = 0
    Y = np.column_stack([y, y2])
    res = fit_logistic_batch(X, Y)
    assert list(suspect(res)) == [True, False]
    assert list(separation_flags(X, Y, None, res)) == [True, False]
    early = fit_logistic_batch(X, Y, max_iter=3)
    assert list(separation_flags(X, Y, None, early)) == [True, True]
    # frequency weights: leaving out the NV patient without HG (weight 0) separates y2 again
    W = np.ones_like(Y)
    W[np.flatnonzero((d["NV"].to_numpy() == 1) & (y2 == 0)), 1] = 0
    weighted = fit_logistic_batch(X, Y, weights=W)
    assert list(separation_flags(X, Y, W, weighted)) == [True, True]


def test_a_replicate_without_the_exposure_fails_and_is_not_called_separated(cases):
    X, y, w = cases["X"], cases["y"], cases["w"].copy()
    W = np.column_stack([w, w])
    W[X[:, 1] == 1, 1] = 0  # the second copy loses every exposed respondent (column 1)
    out = policy_fit_batch(X, np.column_stack([y, y]), 1, 0.0, weights=W, p_values=False)
    assert not out["separated"][1] and not out["converged"][1] and np.isnan(out["log_or"][1])
    assert out["converged"][0] and np.isfinite(out["log_or"][0]) and not out["separated"][0]


def test_one_separating_column_and_the_linear_program_agree():
    """A single column that separates (a level with one outcome) settles the question without
    the linear program; separation by a combination of columns is left to the linear program."""
    rng = np.random.default_rng(7)
    by_column = overlap = 0
    for _ in range(150):
        n = int(rng.integers(12, 60))
        X = np.column_stack([np.ones(n), rng.integers(0, 2, size=(n, 3)).astype(float)])
        y = (rng.random(n) < 1 / (1 + np.exp(-(X @ rng.normal(0, 2.5, 4))))).astype(float)
        if np.linalg.matrix_rank(X) < 4 or y.min() == y.max():
            continue
        lp = separated(X, y)
        if separating_column(X, y):
            by_column += 1
            assert lp  # a separating column is a separating direction
        elif not lp:
            overlap += 1
        assert separated_exactly(X, y, None, fit_logistic(X, y).params) == lp
    assert by_column > 10 and overlap > 10
    # x separates y completely, but no column does on its own (x > 0 in both groups)
    x = np.arange(1.0, 9.0)
    X, y = np.column_stack([np.ones(8), x]), (x > 4).astype(float)
    assert not separating_column(X, y) and separated_exactly(X, y)


# ---------------------------------------------------------------------------------------------
# A separated start (tests/fixtures/separation_overshoot.npz, see make_separation_overshoot.py):
# chapter 8's cells start every replicate's fit at beta*, Model 3 fitted to the file, and on the
# small-cells export that fit is itself quasi-separated (x12 = x7 + x8 except on 5 respondents
# who all have one outcome). Replicates in which those 5 have both outcomes overlap.

OVERSHOOT = Path(__file__).parent / "fixtures" / "separation_overshoot.npz"


@pytest.fixture(scope="module")
def overshoot() -> dict[str, np.ndarray]:
    with np.load(OVERSHOOT) as data:
        return {k: data[k].astype(float) for k in data.files}


def _deviance(X, y, beta):
    eta = X @ beta
    return float(-2 * np.sum(y * eta - np.logaddexp(0, eta)))


def test_overlapping_data_fitted_from_a_separated_start_are_not_flagged(overshoot):
    """These data overlap (R: no separating direction, every SE settles): the fit from beta*
    reaches glm's finite estimate, the replicate keeps its ML estimate. Newton's first step from
    beta* overshoots by ~1e8; the old fitter took it once 10 halvings had not undone it and
    "converged" near 1e28 with small SEs, which only a cap on |beta| sent to Firth."""
    X, y, start = overshoot["X"], overshoot["y_overlap"], overshoot["start"]
    ref, glm = R.OVERSHOOT_OVERLAP, R.OVERSHOOT_OVERLAP_GLM
    assert X.shape == (ref["n"], ref["p"]) and ref["optimum"] == 0 and ref["max_se_ratio"] < 1.5
    assert not separated(X, y) and not separated_exactly(X, y)
    assert np.abs(start).max() > 19  # the start is far out (R's glm from it: unconverged, 1e15)
    assert not R.OVERSHOOT_OVERLAP_GLM_FROM_START["converged"]
    for max_iter in (1, 2, 3, 5):  # the deviance never rises above the start's
        early = fit_logistic_batch(X, y[:, None], beta0=start, max_iter=max_iter)
        assert _deviance(X, y, early["params"][0]) <= _deviance(X, y, start)
    res = fit_logistic_batch(X, y[:, None], beta0=start)
    assert res["converged"][0]
    assert np.abs(res["params"][0]).max() == pytest.approx(glm["max_abs_coef"], abs=5e-6)
    assert res["std_errors"][0].max() == pytest.approx(glm["max_se"], abs=5e-6)
    assert _deviance(X, y, res["params"][0]) == pytest.approx(glm["deviance"], abs=5e-5)
    assert not separation_flags(X, y[:, None], None, res)[0]
    out = policy_fit_batch(X, y[:, None], 1, 0.0, beta0=start, p_values=False, coverage=False)
    assert not out["separated"][0] and out["converged"][0]
    assert out["log_or"][0] == pytest.approx(glm["x1"], abs=5e-8)
    assert out["std_error"][0] == pytest.approx(glm["se_x1"], abs=5e-8)


def test_quasi_separation_by_a_combination_of_columns_is_flagged_and_refitted_by_firth(overshoot):
    """R: separated in the direction x12 - x7 - x8; no single column separates."""
    X, y, start = overshoot["X"], overshoot["y_separated"], overshoot["start"]
    ref = R.OVERSHOOT_SEPARATED
    assert X.shape == (ref["n"], ref["p"]) and ref["optimum"] > 0 and ref["infinite"] == ["x7", "x8", "x12"]
    assert not separating_column(X, y)
    assert separated(X, y) and separated_exactly(X, y)
    for beta0 in (None, start):
        res = fit_logistic_batch(X, y[:, None], beta0=beta0)
        assert separation_flags(X, y[:, None], None, res)[0]
        out = policy_fit_batch(X, y[:, None], 1, 0.0, beta0=beta0, p_values=False, coverage=False)
        assert out["separated"][0]
        assert out["log_or"][0] == pytest.approx(float(firth_fitted(X, y.astype(int)).coef_[1]), abs=1e-10)


def test_aliased_columns_do_not_hide_separation(overshoot):
    """Among the respondents of this selected sample x12 = x7 + x8 (R's glm: x12 aliased), and
    the data are quasi-separated (R: optimum 12). The linear program refuses an aliased design;
    that refusal once read as "not separated", and this replicate's fit (converged, |beta| ~ 1e16,
    SEs below 10) was flagged only by the cap on |beta|."""
    X, y, w, start = overshoot["X"], overshoot["y_aliased"], overshoot["w_aliased"], overshoot["start"]
    ref = R.OVERSHOOT_ALIASED
    keep = w > 0
    assert (int(keep.sum()), X.shape[1]) == (ref["n"], ref["p"]) and ref["optimum"] > 0
    assert np.linalg.matrix_rank(X[keep]) == X.shape[1] - len(ref["aliased"])
    assert np.array_equal(X[keep, 12], X[keep, 7] + X[keep, 8])
    assert not separating_column(X[keep], y[keep])
    assert separated(X, y, w) and separated_exactly(X, y, w)
    res = fit_logistic_batch(X, y[:, None], weights=w[:, None], beta0=start)
    assert separation_flags(X, y[:, None], w, res)[0]


def test_aliased_columns_in_overlapping_data_are_not_called_separated(overshoot):
    """Aliased as above (another selected sample), the data overlapping (R: optimum 0, every SE
    settles, glm drops x12): the linear program on a basis of the columns says so."""
    X, y, w = overshoot["X"], overshoot["y_aliased_overlap"], overshoot["w_aliased_overlap"]
    ref = R.OVERSHOOT_ALIASED_OVERLAP
    keep = w > 0
    assert (int(keep.sum()), X.shape[1]) == (ref["n"], ref["p"]) and ref["optimum"] == 0
    assert np.array_equal(X[keep, 12], X[keep, 7] + X[keep, 8]) and ref["aliased"] == ["x12"]
    assert not separated(X, y, w) and not separated_exactly(X, y, w)
    assert not separated_exactly(X, y, w, fit_logistic_batch(X, y[:, None], weights=w[:, None])["params"][0])
