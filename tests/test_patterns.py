"""Fits on covariate patterns (helpers.analysis.patterns) equal the fits on the rows they summarise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import brant, models, patterns
from helpers.analysis.imputation import collapsed, fit_multinomial
from helpers.analysis.sensitivity import MATCH_DECIMALS, _distances, nearest_donors, nearest_observed
from helpers.stats.design import complete_cases
from helpers.stats.logit import fit_logistic, fit_logistic_batch


def _indicator_design(rng, n, levels=(3, 4, 2, 3)):
    blocks = [np.ones((n, 1))]
    for k in levels:
        g = rng.integers(0, k, size=n)
        blocks.append((g[:, None] == np.arange(1, k)[None, :]).astype(float))
    return np.hstack(blocks)


def test_patterns_rebuild_the_matrix_and_count_its_rows():
    rng = np.random.default_rng(0)
    X = _indicator_design(rng, 500)
    pat = patterns.patterns(X)
    assert pat.size < 500 and pat.counts.sum() == 500
    np.testing.assert_array_equal(pat.X[pat.inverse], X)
    assert len(np.unique(pat.X, axis=0)) == pat.size  # each pattern once
    np.testing.assert_array_equal(pat.sums(np.ones(500)), pat.counts)


def test_patterns_of_wide_and_mixed_matrices_are_the_distinct_rows_in_order_of_first_appearance():
    # 0/1 columns are grouped as the bits of integers (60 to an integer): 130 of them take three,
    # mixed with a count column, a real-valued one with repeats, signed zeros and NaN.
    rng = np.random.default_rng(5)
    n = 400
    base = rng.integers(0, 2, size=(40, 130)).astype(float)
    rows = rng.integers(0, 40, size=n)
    X = np.column_stack([base[rows], rows % 3, np.round(rng.normal(size=40), 1)[rows]])
    X[::7, 0] = -0.0  # equal to 0.0
    X[5, -1] = X[6, -1] = np.nan
    pat = patterns.patterns(X)
    np.testing.assert_array_equal(pat.X[pat.inverse], X)
    assert pat.counts.sum() == n
    # the reference: rows as tuples (NaN as a value), numbered in order of first appearance
    keys = [tuple("nan" if np.isnan(v) else v + 0.0 for v in row) for row in X]
    first_seen = list(dict.fromkeys(keys))
    assert pat.size == len(first_seen)
    np.testing.assert_array_equal(pat.inverse, [first_seen.index(k) for k in keys])
    # NaN is a value like any other, wherever its column is
    nan_first = np.array([[0.0, -0.0, 1.0], [-0.0, 0.0, 1.0], [np.nan, 1.0, 0.0], [np.nan, 1.0, 0.0], [1.0, 1.0, 0.0]])
    for order in ([0, 1, 2], [1, 2, 0]):
        np.testing.assert_array_equal(patterns.patterns(nan_first[:, order]).inverse, [0, 0, 1, 1, 2])


def test_multinomial_information_is_the_sum_over_respondents():
    # -d2 loglik / dB2 of the softmax model, level by level: sum_i (diag(P_i) - P_i P_i') (x) x_i x_i'
    from helpers.analysis.imputation import _neg_hessian

    rng = np.random.default_rng(6)
    X = _indicator_design(rng, 60)
    n, p = X.shape
    eta = rng.normal(size=(n, 4))
    P = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    w = rng.integers(1, 4, size=n).astype(float)
    expected = sum(w[i] * np.kron(np.diag(P[i]) - np.outer(P[i], P[i]), np.outer(X[i], X[i])) for i in range(n))
    np.testing.assert_allclose(_neg_hessian(X, P, 0.5, w), expected + 0.5 * np.eye(4 * p), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        _neg_hessian(X, P, 0.0),
        sum(np.kron(np.diag(P[i]) - np.outer(P[i], P[i]), np.outer(X[i], X[i])) for i in range(n)),
        rtol=1e-12,
        atol=1e-12,
    )


def test_logistic_fit_on_patterns_equals_the_fit_on_rows():
    rng = np.random.default_rng(1)
    X = _indicator_design(rng, 800)
    y = (rng.random(800) < 0.3 + 0.3 * X[:, 1]).astype(float)
    rows = fit_logistic(X, y)
    pat = patterns.patterns(X)
    share, counts = pat.shares(y)
    grouped = fit_logistic(pat.X, share, weights=counts)
    np.testing.assert_allclose(grouped.params, rows.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grouped.std_errors, rows.std_errors, rtol=1e-10)


def test_selection_weights_per_replicate_collapse_too():
    # A zero weight leaves a row out of that replicate (the misspecification study's selection).
    rng = np.random.default_rng(2)
    X = _indicator_design(rng, 600)
    Y = (rng.random((600, 5)) < 0.4).astype(float)
    W = (rng.random((600, 5)) < 0.7).astype(float)
    rows = fit_logistic_batch(X, Y, weights=W)
    share, counts = patterns.patterns(X).shares(Y, W)
    grouped = fit_logistic_batch(patterns.patterns(X).X, share, weights=counts)
    np.testing.assert_allclose(grouped["params"], rows["params"], rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(grouped["std_errors"], rows["std_errors"], rtol=1e-9)


def test_distinct_points_keep_first_appearances():
    X = np.array([[1, 0], [1, 1], [1, 0], [1, 1], [1, 0]], dtype=float)
    y = np.array([0, 1, 1, 1, 0], dtype=float)
    Xd, yd = patterns.distinct_points(X, y)
    np.testing.assert_array_equal(Xd, [[1, 0], [1, 1], [1, 0]])
    np.testing.assert_array_equal(yd, [0, 1, 1])


def _survey(rng, n=600):
    return pd.DataFrame(
        {
            "y": pd.Categorical(rng.choice(["No", "Yes"], n), categories=["No", "Yes"]),
            "o": pd.Categorical(
                rng.choice(["Never", "Rarely", "Sometimes", "Often"], n),
                categories=["Never", "Rarely", "Sometimes", "Often"],
                ordered=True,
            ),
            "x": pd.Categorical(rng.choice(["No", "Yes"], n), categories=["No", "Yes"]),
            "a": pd.Categorical(rng.choice(["18-34", "35-54", "55+"], n), categories=["18-34", "35-54", "55+"]),
            "g": pd.Categorical(rng.choice(["F", "M"], n, p=[0.8, 0.2]), categories=["F", "M", "Other"]),
        }
    )


def test_collapsed_frame_keeps_dtypes_and_gives_the_same_public_fits():
    df = _survey(np.random.default_rng(3))
    collapsed_df, weight = patterns.collapse_frame(df, ["y", "o", "x", "a", "g"])
    assert len(collapsed_df) < len(df) and collapsed_df[weight].sum() == len(df)
    for c in ("y", "o", "x", "a", "g"):
        assert collapsed_df[c].dtype == df[c].dtype  # levels, order and unused levels kept
    # Logistic: Newton to machine precision. Ordinal: BFGS stops at a gradient of 1e-8, so the two
    # fits agree to the optimiser's tolerance, not to the last bit.
    for fn, outcome, tol in ((models.logistic, "y", {"rtol": 1e-10}), (models.ordinal, "o", {"atol": 1e-6})):
        rows = fn(df, outcome, "x", ["a", "g"])
        grouped = fn(collapsed_df, outcome, "x", ["a", "g"], weights=weight)
        assert list(grouped["term"]) == list(rows["term"]) and list(grouped["n"]) == list(rows["n"])
        assert list(grouped["warning"]) == list(rows["warning"])
        np.testing.assert_allclose(
            grouped[["estimate", "std_error", "p_value"]].to_numpy(float),
            rows[["estimate", "std_error", "p_value"]].to_numpy(float),
            **tol,
        )
    b_rows = brant.brant_test(df, "o", "x", ["a", "g"])
    b_grouped = patterns.brant_test(df, "o", "x", ["a", "g"])
    np.testing.assert_allclose(b_grouped["chi2"].to_numpy(float), b_rows["chi2"].to_numpy(float), rtol=1e-8)
    assert list(b_grouped["n"]) == list(b_rows["n"])
    w_rows = models.wald_test_terms(df, "y", "x", ["a", "g"])
    w_grouped = patterns.wald_test_terms(df, "y", "x", ["a", "g"])
    np.testing.assert_allclose(w_grouped["chi2"].to_numpy(float), w_rows["chi2"].to_numpy(float), rtol=1e-10)
    seq_rows = models.sequential(df, "y", "x", demographics=["a", "g"], job=[])
    assert seq_rows["n"].nunique() == 1


def test_multinomial_fit_on_distinct_rows_equals_the_fit_on_respondents():
    rng = np.random.default_rng(4)
    X = _indicator_design(rng, 700, levels=(3, 2))
    codes = rng.integers(0, 4, size=700)
    B_rows, H_rows = fit_multinomial(X, codes, 4)
    Xc, cc, wc = collapsed(X, codes)
    assert len(Xc) < len(X) and wc.sum() == len(X)
    B, H = fit_multinomial(Xc, cc, 4, weights=wc)
    np.testing.assert_allclose(B, B_rows, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(H, H_rows, rtol=1e-10)


@pytest.mark.parametrize("decimals", [MATCH_DECIMALS, 17])
def test_nearest_observed_equals_the_full_comparison(monkeypatch, decimals):
    import helpers.analysis.sensitivity as sensitivity

    monkeypatch.setattr(sensitivity, "MATCH_DECIMALS", decimals)
    rng = np.random.default_rng(5)
    for trial in range(150):
        n_obs, n_mis = int(rng.integers(1, 300)), int(rng.integers(0, 40))
        levels = int(rng.choice([2, 5, 50, 10**6]))
        noise = rng.standard_normal(n_obs) * 1e-9 if trial % 3 == 0 else 0.0
        yo = np.round(rng.integers(0, levels, size=n_obs) / 7 + noise, decimals)
        ym = np.round(rng.integers(0, levels, size=n_mis) / 7 + rng.choice([0.0, 0.5 / 7]), decimals)
        for d in (1, 3, 5):
            if d <= n_obs:
                np.testing.assert_array_equal(nearest_observed(ym, yo, d), nearest_donors(_distances(ym, yo), d))


def test_nearest_observed_falls_back_when_the_window_is_too_narrow():
    # Distinct predictive means and a window of one group per side: 2 candidates for 5 donors.
    # The exactness check must notice and fall back (same answer as the full comparison).
    rng = np.random.default_rng(6)
    yo = np.round(rng.permutation(200) / 7, 8)
    ym = np.round(rng.integers(0, 200, size=30) / 7 + 0.01, 8)
    np.testing.assert_array_equal(nearest_observed(ym, yo, 5, window=1), nearest_donors(_distances(ym, yo), 5))


def test_complete_cases_then_collapse_is_what_the_call_sites_fit():
    df = _survey(np.random.default_rng(7))
    df.loc[::10, "a"] = np.nan
    shared = complete_cases(df, ["y", "x", "a", "g"])
    c, w = patterns.collapse_frame(shared, ["y", "x", "a", "g"])
    assert c[w].sum() == len(shared) == len(df) - 60


def test_collapsing_only_where_the_patterns_at_most_halve_the_rows():
    # Few repeats: the call sites fit the rows themselves (the reference, to the last bit).
    rng = np.random.default_rng(8)
    distinct = np.column_stack([np.ones(300), rng.permutation(300)])
    assert patterns.useful_patterns(distinct) is None
    repeated = _indicator_design(rng, 300, levels=(3, 2))
    pat = patterns.useful_patterns(repeated)
    assert pat is not None and pat.size * patterns.MIN_SAVING <= 300
    assert patterns.worth_collapsing(50, 100) and not patterns.worth_collapsing(51, 100)
    df = _survey(rng, n=40).assign(id=pd.Categorical([f"r{i}" for i in range(40)]))
    frame, weight = patterns.collapse_frame(df, ["y", "x", "id"])
    assert frame is df and weight is None
    frame, weight = patterns.collapse_frame(df, ["y", "x"])
    assert weight == patterns.WEIGHT and len(frame) <= 4
    # Then the public wrappers give exactly the fit to the rows.
    small = df.drop(columns="id").assign(z=rng.standard_normal(40))  # every row its own pattern
    pd.testing.assert_frame_equal(
        patterns.wald_test_terms(small, "y", "x", ["a", "z"]), models.wald_test_terms(small, "y", "x", ["a", "z"])
    )
