"""The logistic core's shortcut around the separation linear program: the maximum-likelihood
fit's own certificate that the data overlap (Stiemke's lemma), and when it must not be trusted."""

import numpy as np
import pytest

from helpers.stats.logit import fit_logistic, fit_logistic_batch, overlap_certified, separated


def _data(rng, n=120, p=4, strength=1.0):
    X = np.column_stack([np.ones(n), rng.integers(0, 2, size=(n, p - 1)).astype(float)])
    beta = rng.normal(0, strength, p)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ beta)))).astype(float)
    return X, y


def test_certificate_agrees_with_the_linear_program_on_random_data():
    rng = np.random.default_rng(3)
    certified = lp_separated = 0
    for _ in range(200):
        X, y = _data(rng, n=int(rng.integers(15, 80)), strength=2.5)
        if np.linalg.matrix_rank(X) < X.shape[1] or y.min() == y.max():
            continue
        fit = fit_logistic(X, y)
        sep = separated(X, y)
        lp_separated += sep
        if overlap_certified(X, y, None, fit.params):
            certified += 1
            assert not sep  # a certificate of overlap never meets a separated data set
    assert certified > 50 and lp_separated > 10  # both kinds occurred


def test_no_certificate_under_complete_or_quasi_separation():
    X = np.column_stack([np.ones(8), [0, 0, 0, 0, 1, 1, 1, 1.0]])
    y = np.array([0, 0, 1, 0, 1, 1, 1, 1.0])  # quasi: x = 1 always has y = 1
    fit = fit_logistic(X, y)
    assert separated(X, y)
    assert not overlap_certified(X, y, None, fit.params)
    y_complete = X[:, 1].copy()
    assert not overlap_certified(X, y_complete, None, fit_logistic(X, y_complete).params)


def test_certificate_needs_the_estimate_not_any_parameters():
    rng = np.random.default_rng(5)
    X, y = _data(rng, n=200, strength=0.5)
    fit = fit_logistic(X, y)
    assert overlap_certified(X, y, None, fit.params)
    # far from the estimate the score is not zero: no certificate (the linear program decides)
    assert not overlap_certified(X, y, None, fit.params + 0.5)
    assert not overlap_certified(X, y, None, None)
    assert not overlap_certified(X, np.full(len(y), 0.5), None, fit.params)  # not a 0/1 outcome


@pytest.mark.parametrize("seed", [0, 1])
def test_certificate_with_frequency_weights(seed):
    rng = np.random.default_rng(seed)
    X, y = _data(rng, n=150, strength=0.5)
    w = rng.integers(0, 4, size=len(y)).astype(float)
    fit = fit_logistic(X, y, weights=w)
    assert overlap_certified(X, y, w, fit.params)


def test_a_firth_fit_stalled_at_the_strict_tolerance_is_judged_at_the_floor_tolerance(monkeypatch):
    """A fit that cannot reach FIRTH_TOL in floating point is refitted at FIRTH_FLOOR_TOL, not
    kept unconverged (its LR test would be NaN and a replicate's decision would hang on rounding)."""
    from helpers.stats import logit

    rng = np.random.default_rng(4)
    X = np.column_stack([np.ones(80), rng.normal(size=80)])
    y = (rng.random(80) < 0.4).astype(int)
    assert logit.firth_fitted(X, y).converged_
    monkeypatch.setattr(logit, "FIRTH_TOL", 1e-300)  # unreachable: the strict fit stalls
    stalled = logit.firth_model(logit.FIRTH_TOL).fit(X, y)
    assert not stalled.converged_
    judged = logit.firth_fitted(X, y)
    assert judged.converged_ and np.isfinite(judged.lrt(features=[1]).lrt_pvalues_[1])


def test_last_step_is_the_newton_step_of_the_last_iteration():
    X, y = _data(np.random.default_rng(8), n=200)
    start = fit_logistic_batch(X, y[:, None], max_iter=3, tol=0.0)
    after = fit_logistic_batch(X, y[:, None], max_iter=4, tol=0.0)
    np.testing.assert_allclose(after["last_step"], np.abs(after["params"] - start["params"]), rtol=1e-12)
    assert (after["last_step"] > 1e-10).any()
    done = fit_logistic_batch(X, y[:, None], tol=0.0)
    assert done["converged"].all() and (done["last_step"] < 1e-10).all()


def test_under_quasi_separation_the_estimable_coefficients_settle_at_the_overlapping_fit():
    # Column 1 = 1 always has y = 1 (first replicate) or y = 0 (second): that slope diverges
    # (to +inf, -inf); the others tend to the fit on the rows with column 1 = 0, and settle.
    rng = np.random.default_rng(4)
    X, y = _data(rng, n=300)
    ones = X[:, 1] == 1
    Y = np.column_stack([np.where(ones, 1.0, y), np.where(ones, 0.0, y)])
    res = fit_logistic_batch(X, Y, max_iter=100, tol=0.0)
    rest = fit_logistic(np.delete(X[~ones], 1, axis=1), y[~ones])
    for r in range(2):
        assert abs(res["params"][r, 1]) > 15
        others = np.delete(np.arange(X.shape[1]), 1)
        assert (res["last_step"][r, others] < 1e-8).all()
        np.testing.assert_allclose(res["params"][r, others], rest.params, atol=1e-6)
