"""The one logistic-regression core: maximum likelihood by Newton-Raphson (one fit or a batch of
fits on a shared design), Firth's penalised likelihood, the separation check and decision, and
the constants that go with them. Used by helpers.analysis.models, the simulation, the
sensitivity analyses, calibration (helpers.synth.generator) and Brant's test.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.stats as st
from scipy.special import expit

Z975 = float(st.norm.ppf(0.975))
# A log-odds standard error above this is taken as a sign of (quasi-)separation.
HUGE_SE = 10.0
DIVERGED = 15.0  # |log odds| beyond this = (quasi-)separation (an OR of 3.3 million)
# A batch fit with a |log odds| beyond this (or a huge SE, or no convergence) is decided by the
# data (`separation_flags`): well below where Newton-Raphson stops on separated data (17 to 22
# in chapter 8's replicates), well above the finite estimates there (below 6).
BORDERLINE = 10.0
# Step-halvings per Newton iteration before a step is given up (2^-60: below rounding of any step).
MAX_HALVINGS = 60


# --------------------------------------------------------------------------------------------
# Firth and separation
# --------------------------------------------------------------------------------------------


FIRTH_TOL = 1e-8
# Where a fit stops at FIRTH_TOL's rounding floor (no step improves the penalised likelihood in
# floating point, yet the gradient is above 1e-8), the refit that judges it at this tolerance.
FIRTH_FLOOR_TOL = 1e-6


def firth_model(tol: float | None = None):
    """firthmodels' Firth logistic regression with the project's one set of settings (intercept in
    X), at tolerance `tol` (default FIRTH_TOL)."""
    from firthmodels import FirthLogisticRegression

    tol = FIRTH_TOL if tol is None else tol
    return FirthLogisticRegression(fit_intercept=False, max_iter=200, gtol=tol, xtol=tol, backend="numpy")


def firth_fitted(X: np.ndarray, y: np.ndarray, offset: np.ndarray | None = None, sample_weight=None):
    """A fitted firthmodels model (its `lrt` then available): at FIRTH_TOL, and where that fit
    stopped unconverged, at FIRTH_FLOOR_TOL. Whether a fit counts as converged must not hang on
    rounding: a fit that stalls at 1e-8 on one side of a 1e-10 change in the offset and not on
    the other once turned a replicate's coverage decision over (its LR test NaN, the Wald rule
    instead)."""
    kwargs = {} if offset is None else {"offset": offset}
    if sample_weight is not None:
        kwargs["sample_weight"] = sample_weight
    model = firth_model().fit(X, y, **kwargs)
    if not model.converged_:
        retry = firth_model(FIRTH_FLOOR_TOL).fit(X, y, **kwargs)
        if retry.converged_:
            return retry
    return model


def fisher_cov(X: np.ndarray, params: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Inverse Fisher information X'WX at `params` (the standard errors logistf and brglm2 print)."""
    mu = expit(X @ params)
    v = mu * (1 - mu) if w is None else w * mu * (1 - mu)
    return np.linalg.inv(X.T @ (X * v[:, None]))


@dataclass
class FirthFit:
    params: np.ndarray
    cov: np.ndarray
    p_values: np.ndarray  # penalised likelihood-ratio p (Wald at the penalised estimate where that failed)
    conf_int: np.ndarray  # profile penalised-likelihood 95% CI (Wald where the profile search failed)
    converged: bool


def firth(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, features: list[int] | None = None) -> FirthFit:
    """Firth's penalised-likelihood fit (Heinze & Schemper 2002, logistf's defaults): profile CIs
    and penalised LR p-values for `features` (default: every column; others are NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = firth_fitted(X, y, sample_weight=w)
        params = np.asarray(model.coef_, dtype=float)
        cov = fisher_cov(X, params, w)
        try:  # the profile searches can fail on a degenerate design: Wald at the penalised fit then
            model.lrt(features=features)
            p_values = np.asarray(model.lrt_pvalues_, dtype=float)
        except Exception:
            p_values = np.full(len(params), np.nan)
        try:
            ci = np.asarray(model.conf_int(alpha=0.05, method="pl", features=features), dtype=float)
        except Exception:
            ci = np.full((len(params), 2), np.nan)
    se = np.sqrt(np.diag(cov))
    wald_p = 2 * st.norm.sf(np.abs(params / se))
    p_values = np.where(np.isfinite(p_values), p_values, wald_p)
    bad = ~np.all(np.isfinite(ci), axis=1)
    ci[bad, 0] = params[bad] - Z975 * se[bad]
    ci[bad, 1] = params[bad] + Z975 * se[bad]
    return FirthFit(params, cov, p_values, ci, bool(model.converged_))


def separated(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> bool:
    """Complete or quasi-complete separation of y by the columns of X (intercept in column 0):
    the linear-programming check of Konis (2007), firthmodels.detect_separation. An outcome
    with one value only is separated (by the intercept: its estimate is infinite), though the
    library refuses it (one class)."""
    from firthmodels import detect_separation

    if w is not None:
        keep = w > 0
        X, y = X[keep], y[keep]
    if len(y) and np.all(y == y[0]):
        return True
    try:
        return bool(detect_separation(X[:, 1:], y, fit_intercept=True).separation)
    except np.linalg.LinAlgError:
        # Aliased columns (a selected sample in which one level's column is the sum of others):
        # separation is a property of the column space, so any basis of it decides; the linear
        # program needs one, and once read the refusal as "not separated".
        X = X[:, independent_columns(X)]
    try:
        return bool(detect_separation(X[:, 1:], y, fit_intercept=True).separation)
    except Exception:  # the solver failed: the other checks (SE, convergence) decide
        return False


# Column k is aliased (a linear combination of the columns kept before it) when its residual after
# projection on them is at most RANK_TOL times its own norm, both over the rows in question. That
# is the tolerance of R's glm (qr(), LINPACK dqrdc2, 1e-7), and relative to each column's norm, so
# the decision does not change with a column's units. It is far from rounding on both sides: an
# exactly aliased column leaves a residual of ~p * 1e-16 of its norm (Gram-Schmidt twice), eight
# orders below; in chapter 8's 4,800 replicates on the small-cells export of
# tests/test_disclosure.py the aliased columns left at most 1.4e-16 and the kept ones at least 0.197,
# six orders above.
RANK_TOL = 1e-7
# Screen: a sample whose columns (scaled to unit norm) have a Gram matrix with smallest eigenvalue
# above this has every column's relative residual above its square root (0.01 >> RANK_TOL), so
# no column is aliased and the in-order decision need not run; eigenvalue rounding is ~1e-14, and
# a replicate near the screen's edge gets the same answer from either path.
_FULL_RANK_EIGENVALUE = 1e-4


def independent_columns(X: np.ndarray) -> list[int]:
    """Indices of the columns of X that span its column space, in order: a column that is a
    linear combination of earlier ones (to RANK_TOL of its norm) is left out, as R's glm leaves
    out an aliased column (coefficient NA); a column of zeros is left out too. Pivot-free
    (classical Gram-Schmidt, each column orthogonalised twice), so the intercept, when first and
    not all zero, stays first, and the decision is the same on every CPU."""
    X = np.asarray(X, dtype=float)
    basis = np.empty((X.shape[0], 0))
    keep: list[int] = []
    for k in range(X.shape[1]):
        x = X[:, k]
        norm = float(np.linalg.norm(x))
        if norm == 0.0:
            continue
        v = x / norm
        for _ in range(2):
            v = v - basis @ (basis.T @ v)
        residual = float(np.linalg.norm(v))
        if residual > RANK_TOL:
            basis = np.column_stack([basis, v / residual])
            keep.append(k)
    return keep


def estimable_columns(X: np.ndarray, present: np.ndarray | None = None, XX: np.ndarray | None = None) -> np.ndarray:
    """Which columns of X (n x p) each replicate can estimate: (R x p) bool for `present` (n x R,
    the rows of positive weight in each replicate; None: every row, R = 1). A column is left out
    where it is zero on every present row (a level nobody in a selected sample has) or aliased
    there (`independent_columns`: a combination of earlier columns among those rows, e.g. one
    level's column the sum of two others'). `XX`: the rows' outer products (n x p*p), if at hand.

    Cheap for hundreds of replicates: one matrix product gives every replicate's Gram matrix,
    and only a replicate whose unit-scaled Gram matrix is near singular (`_FULL_RANK_EIGENVALUE`)
    goes through the in-order decision on its rows."""
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    present = np.ones((n, 1), dtype=bool) if present is None else np.asarray(present, dtype=bool)
    nonzero = (present.T.astype(float) @ (X != 0)) > 0
    if XX is None:
        XX = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)
    G = (present.T.astype(float) @ XX).reshape(-1, p, p)
    d = np.sqrt(np.where(nonzero, np.diagonal(G, axis1=1, axis2=2), 1.0))
    C = G / (d[:, :, None] * d[:, None, :])
    off = ~(nonzero[:, :, None] & nonzero[:, None, :])
    C[off] = 0.0
    r_idx, k_idx = np.nonzero(~nonzero)
    C[r_idx, k_idx, k_idx] = 1.0
    with np.errstate(invalid="ignore"):
        smallest = np.linalg.eigvalsh(C)[:, 0]
    out = nonzero.copy()
    for r in np.flatnonzero(~(smallest > _FULL_RANK_EIGENVALUE)):
        out[r] = False
        out[r, independent_columns(X[present[:, r]])] = True
    return out


def overlap_certified(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, params: np.ndarray | None) -> bool:
    """Whether the maximum-likelihood fit `params` proves that y is NOT separated by X: then
    `separated` would say False, and its linear program need not run.

    Stiemke's lemma: with A = diag(s) X (s = +1 for y = 1, -1 for y = 0), either some b has
    A b >= 0, A b != 0 (complete or quasi-complete separation, what `separated` looks for) or
    some strictly positive lambda has A' lambda = 0, never both. At the estimate the score
    X' w (y - mu) is zero, so lambda = w |y - mu| is such a vector up to the rounding left in
    the score, r: it is certified when the correction c = X (X'X)^-1 r that removes r leaves
    every lambda_i - |c_i| above half of lambda_i. Near separation some mu_i tends to 0 or 1,
    the certificate fails and the linear program decides, as before. c is the projection of
    w (y - mu) onto the span of an orthonormal Q with X = QR: X'c = r holds also where X has
    aliased columns (X'X singular), where a solve with X'X could return anything."""
    if params is None or not np.all(np.isfinite(params)):
        return False
    y = np.asarray(y, dtype=float)
    if not np.all((y == 0.0) | (y == 1.0)):
        return False
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    keep = w > 0
    X, y, w = X[keep], y[keep], w[keep]
    mu = expit(X @ params)
    v = w * (y - mu)
    lam = np.abs(v)
    q = np.linalg.qr(X)[0]
    c = q @ (q.T @ v)
    return bool(np.all(np.isfinite(c)) and np.all(lam > 0) and np.all(np.abs(c) < 0.5 * lam))


def separating_column(X: np.ndarray, y: np.ndarray) -> bool:
    """Whether one column of X on its own separates 0/1 `y`: b = +-e_j with s_i x_ij >= 0 for
    every row and > 0 for some (s = +1 for y = 1, -1 for y = 0), the other alternative of
    Stiemke's lemma (see `overlap_certified`) with a coordinate direction, checked on signs
    alone (no rounding). A covariate level whose respondents all have one outcome is such a
    column: the common way a sample is separated, settled without the linear program."""
    sx = np.sign(X) * np.where(np.asarray(y) == 1, 1.0, -1.0)[:, None]
    nonzero = sx != 0
    up = np.all(sx >= 0, axis=0) & nonzero.any(axis=0)
    down = np.all(sx <= 0, axis=0) & nonzero.any(axis=0)
    return bool(np.any(up | down))


def separated_exactly(
    X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, params: np.ndarray | None = None
) -> bool:
    """Whether 0/1 `y` is (completely or quasi-completely) separated by the columns of X among
    the rows of positive weight, decided by the data alone: the overlap certificate at the ML
    fit `params` (`overlap_certified`), else a single separating column (`separating_column`),
    else the linear program (`separated`, on the distinct rows: repeats do not change whether a
    hyperplane separates the points). Columns that are zero on every such row (a level nobody
    in the sample has) are left out: they take no part in the fit, and an all-zero column would
    make the linear program rank-deficient."""
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    keep = w > 0
    X, y, w = X[keep], y[keep], w[keep]
    cols = np.flatnonzero(np.any(X != 0, axis=0))
    X = X[:, cols]
    if params is not None and overlap_certified(X, y, w, np.asarray(params, dtype=float)[cols]):
        return False
    if separating_column(X, y):
        return True
    points = np.unique(np.column_stack([X, y]), axis=0)
    return separated(points[:, :-1], points[:, -1])


def suspect(res: dict[str, np.ndarray]) -> np.ndarray:
    """Replicates of a `fit_logistic_batch` result whose ML fit may be separated: no
    convergence, an estimable coefficient beyond BORDERLINE, or a huge (> HUGE_SE) or non-finite
    standard error of one. Only these need `separated_exactly`."""
    est = res["estimable"]
    se = np.where(est, np.nan_to_num(res["std_errors"], nan=np.inf), 0.0)
    big = np.where(est, np.abs(res["params"]), 0.0) > BORDERLINE
    return ~res["converged"] | big.any(axis=1) | (se > HUGE_SE).any(axis=1)


def separation_flags(
    X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None, res: dict[str, np.ndarray]
) -> np.ndarray:
    """Which replicates (columns of 0/1 `Y`, rows of `X`, `weights` a vector or n x R) the report
    refits by Firth, given their ML fits `res` (`fit_logistic_batch`, on these rows or on their
    covariate patterns): a `suspect` fit whose data are separated (`separated_exactly`), or,
    where the data are not separated, whose finite maximum-likelihood estimate has not been
    reached or has a huge or non-finite standard error (as helpers.analysis.models judges one fit).

    Start-independent: separated data are flagged (by the data, or by the huge SE that a
    converged fit of separated data always has), data that overlap by the properties of their
    unique ML estimate. The rule once read a non-finite SE of a level absent from a selected
    sample as separation: that SE was the square root of a +-1e-32 rounding residue, so the
    decision flipped with 1e-10 changes of the start (the simulation's true value); absent levels
    are now left out of the fit (`fit_logistic_batch`, `estimable`).

    No cap on the estimate overrides the data: a converged fit of overlapping data is the finite
    ML estimate. (A cap at DIVERGED once did: on a real-shaped export with cells of 1-4, fits of
    overlapping data "converged" near 1e12-1e29 after Newton overshot from a separated start and
    took a deviance-raising step; the fitter no longer does, see `fit_logistic_batch`, and
    tests/test_separation_decision.py holds such a replicate.)"""
    W = None if weights is None else np.asarray(weights, dtype=float)
    flags = np.zeros(Y.shape[1], dtype=bool)
    for r in np.flatnonzero(suspect(res)):
        w = None if W is None else (W if W.ndim == 1 else W[:, r])
        est = res["estimable"][r]
        se = res["std_errors"][r][est]
        flags[r] = (  # on the replicate's own design: its absent and aliased columns left out
            separated_exactly(X[:, est], Y[:, r], w, res["params"][r][est])
            or not res["converged"][r]
            or not np.all(np.isfinite(se))
            or bool(np.any(se > HUGE_SE))
        )
    return flags


# --------------------------------------------------------------------------------------------
# Maximum likelihood, vectorised over replicates
# --------------------------------------------------------------------------------------------


@dataclass
class LogitFit:
    params: np.ndarray
    std_errors: np.ndarray
    converged: bool
    separated: bool
    n_iter: int
    names: list[str] = field(default_factory=list)

    def coef(self, term: str) -> tuple[float, float]:
        j = self.names.index(term)
        return float(self.params[j]), float(self.std_errors[j])


def _deviance(y: np.ndarray, eta: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    # -2 log-likelihood of a (fractional) response, column-wise; logaddexp for stability.
    # `w` has the shape of `y` (or is None).
    ll = y * eta - np.logaddexp(0.0, eta)
    if w is not None:
        ll = ll * w
    return -2.0 * ll.sum(axis=0)


def fit_logistic(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    beta0: np.ndarray | None = None,
    max_iter: int = 60,
    tol: float = 1e-10,
    names: list[str] | None = None,
) -> LogitFit:
    """Maximum-likelihood logistic regression (Newton-Raphson) with `y` in [0, 1].

    `y` may be fractional (an expected outcome, as for the true value). Convergence as R's glm:
    relative deviance change below `tol`. Separation is flagged when a coefficient diverges.
    """
    res = fit_logistic_batch(
        X, np.asarray(y, dtype=float)[:, None], weights=weights, beta0=beta0, max_iter=max_iter, tol=tol
    )
    return LogitFit(
        params=res["params"][0],
        std_errors=res["std_errors"][0],
        converged=bool(res["converged"][0]),
        separated=bool(res["separated"][0]),
        n_iter=int(res["n_iter"]),
        names=list(names or []),
    )


def _solve(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(H, g[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.stack([np.linalg.pinv(h) @ v for h, v in zip(H, g)])


def _drop_absent(H: np.ndarray, g: np.ndarray, absent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Absent columns: their rows and columns of H and entries of g are zero; the unit diagonal
    # makes H regular and their steps exactly zero.
    if not absent.any():
        return H, g
    H = np.where(absent[:, :, None] | absent[:, None, :], 0.0, H)
    r, k = np.nonzero(absent)
    H[r, k, k] = 1.0
    return H, np.where(absent, 0.0, g)


def _inverse_diag(H: np.ndarray) -> np.ndarray:
    out = np.full(H.shape[:2], np.nan)
    for r, h in enumerate(H):
        try:
            out[r] = np.diag(np.linalg.inv(h))
        except np.linalg.LinAlgError:
            out[r] = np.diag(np.linalg.pinv(h))
    return out


def fit_logistic_batch(
    X: np.ndarray,
    Y: np.ndarray,
    weights: np.ndarray | None = None,
    beta0: np.ndarray | None = None,
    max_iter: int = 60,
    tol: float = 1e-10,
) -> dict[str, np.ndarray]:
    """Fit one logistic regression per column of `Y` (n x R) on the shared design `X` (n x p).

    Vectorised Newton-Raphson: the R Hessians come from one matrix product, W.T @ (X_i X_j),
    and one batched solve per iteration. Returns params and std_errors (R x p), estimable
    (R x p), converged and separated (R,), n_iter, and last_step (R x p: |Newton step| of each
    coefficient at its replicate's last iteration). Each replicate stops when its relative
    deviance change is below `tol` (as R's glm) or its largest step below 1e-10; `tol=0` stops
    on the step alone. A step is halved until the deviance does not rise (R's glm halves only
    where it is not finite), so the deviance never rises from the start; a replicate whose step
    no halving makes descend stops there, unconverged. Under quasi-separation the diverging coefficients keep stepping while
    the estimable ones settle: `last_step` tells them apart (Brant's test). A replicate is `separated` when a coefficient
    exceeds |15| (quasi- or complete separation: the estimate of that coefficient is infinite)
    or has no finite SE; glm-style convergence of the deviance is still reached there, and the
    other coefficients are then usable. That reading of the fit is a heuristic: the report's
    decision is `separation_flags`.

    A column that is zero on every row of positive weight in a replicate (a level nobody in a
    selected sample has), or aliased there (a combination of earlier columns among those rows,
    `estimable_columns`), is not `estimable` there: it takes no part in the fit (it starts at 0,
    its Newton step is exactly 0, its row of the information matrix replaced by the unit row, so
    the others are the fit without that column, R's glm's fit with that coefficient NA) and gets
    NaN estimate and SE, instead of whatever the rounding in a singular information matrix would
    give (a NaN SE that once sent an overlapping replicate to a Firth refit that then failed).
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    n, p = X.shape
    R = Y.shape[1]
    # Weights: one vector for every replicate, or one column per replicate (n x R; a zero weight
    # leaves a row out of that replicate, e.g. a non-respondent in a selection scenario).
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is not None and w.ndim == 1:
        w = np.repeat(w[:, None], R, axis=1)
    XX = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)
    if w is None or weights.ndim == 1:  # one sample for every replicate: one decision
        shared = None if w is None else (weights > 0)[:, None]
        estimable = np.repeat(estimable_columns(X, shared, XX), R, axis=0)
    else:
        estimable = estimable_columns(X, w > 0, XX)
    absent = None if estimable.all() else ~estimable
    beta = np.zeros((R, p)) if beta0 is None else np.tile(np.asarray(beta0, dtype=float), (R, 1))
    # An aliased column starts at 0 and stays there (its step is 0): the fit is the fit without
    # it, as R's glm reports it (on the rows that count an absent column is 0 whatever its start).
    if absent is not None:
        beta[absent] = 0.0
    eta = X @ beta.T
    dev = _deviance(Y, eta, w)
    active = np.ones(R, dtype=bool)
    converged = np.zeros(R, dtype=bool)
    last_step = np.full((R, p), np.inf)
    it = 0
    for it in range(1, max_iter + 1):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        mu = expit(eta[:, idx])
        W = mu * (1.0 - mu)
        resid = Y[:, idx] - mu
        if w is not None:
            W = W * w[:, idx]
            resid = resid * w[:, idx]
        H = (W.T @ XX).reshape(idx.size, p, p)
        g = (X.T @ resid).T
        if absent is not None:
            H, g = _drop_absent(H, g, absent[idx])
        step = _solve(H, g)
        new_beta = beta[idx] + step
        new_eta = X @ new_beta.T
        new_dev = _deviance(Y[:, idx], new_eta, None if w is None else w[:, idx])
        # Step-halving while the deviance rises or is not finite, until it does not: the
        # deviance never rises from the start. Rare, but a start far out along a direction in
        # which the data overlap (a separated generating model's own estimate) makes Newton
        # overshoot by 1e8, beyond what 10 halvings undo; taking such a step anyway once sent
        # fits of overlapping data to |beta| ~ 1e12-1e29, where the weights underflow, the step
        # vanishes and the fit "converged" with a deviance of 1e13.
        for k in range(MAX_HALVINGS + 1):
            worse = ~(new_dev <= dev[idx] + 1e-9 * (np.abs(dev[idx]) + 0.1))
            if not worse.any() or k == MAX_HALVINGS:
                break
            step[worse] *= 0.5
            new_beta[worse] = beta[idx][worse] + step[worse]
            new_eta[:, worse] = X @ new_beta[worse].T
            new_dev[worse] = _deviance(Y[:, idx[worse]], new_eta[:, worse], None if w is None else w[:, idx[worse]])
        # A step that no halving makes descend is not taken: that replicate stops, unconverged.
        if worse.any():
            step[worse] = 0.0
            new_beta[worse] = beta[idx][worse]
            new_eta[:, worse] = eta[:, idx[worse]]
            new_dev[worse] = dev[idx][worse]
        change = np.abs(new_dev - dev[idx]) / (np.abs(new_dev) + 0.1)
        beta[idx] = new_beta
        eta[:, idx] = new_eta
        last_step[idx] = np.abs(step)
        dev[idx] = new_dev
        done = ((change < tol) | (np.abs(step).max(axis=1) < 1e-10)) & ~worse
        converged[idx[done]] = True
        active[idx[done | worse]] = False
    mu = expit(eta)
    W = mu * (1.0 - mu)
    if w is not None:
        W = W * w
    H = (W.T @ XX).reshape(R, p, p)
    if absent is not None:
        H, _ = _drop_absent(H, np.zeros((R, p)), absent)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(_inverse_diag(H))
    beta[~estimable] = se[~estimable] = np.nan
    diverged = (np.where(estimable, np.abs(beta), 0.0) > DIVERGED).any(axis=1)
    separated = diverged | ~(np.isfinite(se) | ~estimable).all(axis=1)
    return {
        "params": beta,
        "std_errors": se,
        "estimable": estimable,
        "converged": converged,
        "separated": separated,
        "n_iter": it,
        "last_step": last_step,
    }
