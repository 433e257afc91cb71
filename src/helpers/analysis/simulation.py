"""Simulation study: does the analysis recover the model that generated the data?

The design (a parametric bootstrap of the outcomes with the covariates held fixed):

* Covariates are the respondents' own values (exposure + the Model 3 confounders), never redrawn.
* The *generating model* gives every respondent a probability ``p_i`` of each calibrated binary
  outcome. On the synthetic data it is the generator's own model
  (``helpers.synth.generator.outcome_probabilities``); on a real survey file it is the Model 3 logistic
  regression fitted to that file (one generating model per estimand), so the simulation then asks
  how well the design recovers the fitted model, not the truth about link workers.
* Each replicate draws every outcome as ``Bernoulli(p_i)`` and refits Model 3 for every published
  association; the log odds ratio of the exposure and its model-based (Wald) SE are kept.
* The *true value* of an estimand is the Model 3 coefficient the generating model implies: the
  coefficient of Model 3 fitted to the "expected data", in which respondent ``i`` counts with
  weight ``p_i`` as a "Yes" and ``1 - p_i`` as a "No" (equivalently, a logistic fit to the
  fractional response ``p_i``). It is the population projection of the generating model onto
  Model 3, the value the Model 3 estimator converges to as the covariate design is replicated.
  It equals the generating coefficient only when the generating model *is* Model 3; otherwise
  (other covariates, interactions, a non-logistic link) it differs, because the odds ratio is
  non-collapsible. Using the generator's coefficient instead would make coverage wrong by
  construction.

Performance measures (Morris, White & Crowther 2019, Stat Med 38:2074): bias of the log OR,
empirical SE, mean model SE, coverage of the 95% CI with its Monte Carlo SE
``sqrt(c (1 - c) / R)``, and the rejection rate at alpha = 0.05 (empirical power). Each replicate
is analysed as the report analyses the data (`policy_fit_batch`): maximum likelihood with Wald
CI, or Firth with a profile CI when the replicate's ML fit is separated.

Misspecified generating models (omitted confounder, outcome misclassification, selection) and
the simulated power at the minimum detectable OR are in helpers.analysis.misspecification.

Speed: the design matrix is built once; each chunk of replicates is fitted by a vectorised
Newton-Raphson over all its replicates at once (numpy), on the design's covariate patterns where
they repeat (each replicate's outcomes drawn per respondent, then counted per pattern:
helpers.analysis.patterns; the same estimates at the cost of the patterns); chunks run in a process pool. Chunks have a
fixed size and each has its own seed from ``numpy.random.SeedSequence(seed).spawn``, so the result
is identical for the same seed whatever ``n_jobs`` is.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy.special import expit

from helpers.analysis.patterns import useful_patterns
from helpers.data.load import add_derived
from helpers.stats.design import design_matrix
from helpers.stats.logit import (
    DIVERGED,
    Z975,
    LogitFit,
    firth_fitted,
    fisher_cov,
    fit_logistic,
    fit_logistic_batch,
    separation_flags,
)

CHUNK_SIZE = 25  # replicates per chunk: fixed, so results do not depend on n_jobs

SIMULATION_COLUMNS = [
    "estimand",
    "true_value",
    "mean_estimate",
    "coverage",
    "mc_se",
    "replicates",
    "outcome",
    "exposure",
    "term",
    "true_log_or",
    "mean_log_or",
    "bias",
    "relative_bias_pct",
    "empirical_se",
    "mean_model_se",
    "se_ratio",
    "rejection_rate",
    "published_or",
    "failed",
    "separated",
    "n",
]
REPLICATE_COLUMNS = [
    "estimand",
    "replicate",
    "log_or",
    "std_error",
    "p_value",
    "covers",
    "converged",
    "separated",
    "usable",
]


# --------------------------------------------------------------------------------------------
# Estimands and design matrices
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimand:
    """One published association: `term` of `exposure` in Model 3 for a binary `outcome`."""

    name: str
    outcome: str
    exposure: str
    term: str
    published_or: float = float("nan")
    published_low: float = float("nan")
    published_high: float = float("nan")
    covariates: tuple[str, ...] = field(default=())


def model3_covariates() -> tuple[str, ...]:
    """Model 3's confounders: demographics then job and training, in codebook order."""
    from helpers.data.codebook import load_codebook

    return tuple(load_codebook().model3_covariates())


def published_estimands(model_type: str = "logistic") -> list[Estimand]:
    """The published odds ratios as Model 3 estimands, outcomes from the primary specification."""
    from helpers.analysis.spec import odds_ratio_table

    covariates = model3_covariates()
    table = odds_ratio_table()
    if "model_type" in table.columns and model_type is not None:
        table = table[table["model_type"].astype(str).str.lower() == model_type]
    return [
        Estimand(
            name=str(row.claim_id),
            outcome=str(row.outcome),
            exposure=str(row.exposure),
            term=str(row.term),
            published_or=float(row.odds_ratio),
            published_low=float(row.conf_low),
            published_high=float(row.conf_high),
            covariates=covariates,
        )
        for row in table.itertuples()
    ]


def event_indicator(series: pd.Series, event: str = "Yes") -> np.ndarray:
    """1.0 / 0.0 / NaN from a Yes/No Categorical (or a 0/1 numeric column)."""
    if isinstance(series.dtype, pd.CategoricalDtype):  # on the integer codes (-1 = missing)
        codes = series.array.codes
        levels = list(series.dtype.categories)
        event_code = levels.index(event) if event in levels else -2
        return np.where(codes < 0, np.nan, (codes == event_code).astype(float))
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        values = series.astype(object)
        out = np.where(values.isna(), np.nan, (values == event).astype(float))
        return out.astype(float)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


# --------------------------------------------------------------------------------------------
# The report's one estimator policy, applied to a batch of replicate fits
# --------------------------------------------------------------------------------------------


def policy_fit_batch(
    X: np.ndarray,
    Y: np.ndarray,
    j: int,
    truth: float,
    weights: np.ndarray | None = None,
    beta0: np.ndarray | None = None,
    p_values: bool = True,
    coverage: bool = True,
    rows: tuple | None = None,
) -> dict[str, np.ndarray]:
    """Column j's estimate for every replicate (column of `Y`) under the report's one rule:
    maximum likelihood (Wald CI and p) unless the ML fit is separated, then Firth's penalised
    likelihood (profile penalised-likelihood CI, penalised LR p), as in every chapter.

    Which replicates are refitted is decided by the data (helpers.stats.logit.separation_flags):
    a replicate whose ML fit looks separated (a coefficient beyond |10|, a huge (> 10) or
    infinite standard error, or no convergence) is judged by the overlap certificate, then the
    linear program, as helpers.analysis.models judges one fit; never by where Newton-Raphson
    happened to stop, which depends on its start `beta0`. A replicate whose sample has nobody
    with the exposure has no estimate (a failed replicate).
    `covers` says whether the replicate's 95% CI contains `truth`; for a Firth refit it is the
    penalised likelihood-ratio test of beta_j = truth (an offset fit), which accepts exactly when
    the profile CI contains `truth`, at a quarter of the cost of profiling both bounds.
    `p_values` / `coverage` False: the Firth refits skip that test (see `firth_replicate`).
    `rows`: when X, Y and weights are covariate patterns (helpers.analysis.patterns: shares and counts),
    the respondents' (X, Y, weights) they summarise, for the Firth refits (which need rows).
    Returns log_or, std_error, p_value, covers, converged, separated (= refitted by Firth).
    """
    from scipy import stats

    res = fit_logistic_batch(X, Y, weights=weights, beta0=beta0)
    b, se = res["params"][:, j].copy(), res["std_errors"][:, j].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * stats.norm.sf(np.abs(b / se))
    covers = (b - Z975 * se <= truth) & (truth <= b + Z975 * se)
    if rows is not None:
        X, Y, weights = rows
    W = None if weights is None else np.asarray(weights, dtype=float)
    no_exposure = ~res["estimable"][:, j]
    flagged = separation_flags(X, Y, W, res) & ~no_exposure
    converged = (res["converged"] | flagged) & ~no_exposure
    for r in np.flatnonzero(flagged):
        keep = slice(None) if W is None else (W if W.ndim == 1 else W[:, r]) > 0
        Xr = X[keep]
        # The ML fit's design: a selected sample can lose every respondent of a level, or have a
        # level's column the sum of others (aliased); those columns are left out (the model then
        # has no such term; the exposure is estimable, see no_exposure).
        cols = np.flatnonzero(res["estimable"][r])
        try:
            b[r], se[r], p[r], covers[r] = firth_replicate(
                Xr[:, cols], Y[keep, r], int(np.searchsorted(cols, j)), truth, p_values, coverage
            )
        except np.linalg.LinAlgError:  # not estimable: counted as a failed replicate, never as a number
            b[r] = se[r] = p[r] = np.nan
            covers[r] = False
            converged[r] = False
    return {"log_or": b, "std_error": se, "p_value": p, "covers": covers, "converged": converged, "separated": flagged}


def firth_replicate(
    X: np.ndarray, y: np.ndarray, j: int, truth: float, p_value: bool = True, coverage: bool = True
) -> tuple[float, float, float, bool]:
    """Firth fit of one replicate, as helpers.analysis.sensitivity.firth_term (same library and settings):
    (estimate, SE, penalised LR p of beta_j = 0, whether the profile CI contains `truth`).

    The coverage decision comes from the fit with offset truth * x_j (the same fit,
    reparametrised) and its penalised LR test. What is not asked for costs nothing: without
    `p_value` the p is the Wald p at the Firth estimate, without `coverage` the decision is the
    Wald interval's at the Firth estimate (the scenarios need only coverage, the power check only p).
    """
    import warnings

    yi = np.asarray(y).astype(int)
    p = p_truth = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if coverage:
            shifted = firth_fitted(X, yi, offset=truth * X[:, j]).lrt(features=[j])
            params = np.asarray(shifted.coef_, dtype=float).copy()
            params[j] += truth
            p_truth = float(shifted.lrt_pvalues_[j])
        if p_value or not coverage:
            fit = firth_fitted(X, yi)
            if p_value:
                p = float(fit.lrt(features=[j]).lrt_pvalues_[j])
            if not coverage:
                params = np.asarray(fit.coef_, dtype=float)
    se = float(np.sqrt(fisher_cov(X, params)[j, j]))
    b = float(params[j])
    # As firth_term: where a constrained fit fails (NaN), the Wald test at the Firth estimate.
    if not np.isfinite(p):
        p = float(2 * NormalDist().cdf(-abs(b / se)))
    covers = p_truth >= 0.05 if np.isfinite(p_truth) else abs(b - truth) <= Z975 * se
    return b, se, p, bool(covers)


# --------------------------------------------------------------------------------------------
# Generating model and true values
# --------------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    estimand: Estimand
    gen_key: str
    rows: np.ndarray  # indices of the analysis sample in df
    X: np.ndarray
    names: list[str]
    j: int  # column of the exposure term
    true_params: np.ndarray
    true_log_or: float


def with_derived(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with the codebook's derived Yes/No columns added where absent (helpers.data.load.add_derived)."""
    return add_derived(df, missing_only=True)


def analysis_rows(df: pd.DataFrame, est: Estimand) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Design of Model 3 for one estimand and the complete-case rows (outcome observed too)."""
    columns = [est.exposure, *est.covariates]
    X, names, complete = design_matrix(df, columns)
    complete &= df[est.outcome].notna().to_numpy()
    if est.term not in names:
        raise KeyError(f"term {est.term!r} not in the Model 3 design ({', '.join(names[:4])}, ...)")
    return X, names, complete


def generating_probabilities(
    df: pd.DataFrame, estimands: list[Estimand]
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The generating model's probabilities and, per estimand, the key of the outcome it uses.

    Synthetic data: ``helpers.synth.generator.outcome_probabilities(df)`` (one model per outcome, shared by
    the estimands of that outcome). Real data (``df.attrs['source'] == 'real'``): each estimand's
    Model 3 fitted to the file (key = the estimand's name).
    """
    if df.attrs.get("source") == "real":
        probs, keys = {}, {}
        for est in estimands:
            X, names, rows = analysis_rows(df, est)
            y = event_indicator(df[est.outcome])
            fit = fit_logistic(X[rows], y[rows], names=names)
            p = np.full(len(df), np.nan)
            p[rows] = expit(X[rows] @ fit.params)
            probs[est.name] = p
            keys[est.name] = est.name
        return probs, keys
    from helpers.synth.generator import outcome_probabilities

    probs = {k: np.asarray(v, dtype=float) for k, v in outcome_probabilities(df).items()}
    missing = sorted({e.outcome for e in estimands} - set(probs))
    if missing:
        raise KeyError(f"helpers.synth.generator.outcome_probabilities has no probabilities for {missing}")
    return probs, {e.name: e.outcome for e in estimands}


def true_value(X: np.ndarray, p: np.ndarray, names: list[str] | None = None) -> LogitFit:
    """Model 3 fitted to the expected data (each respondent Yes with weight p, No with 1 - p).

    The weighted two-row-per-respondent likelihood sum_i p_i log mu_i + (1 - p_i) log(1 - mu_i)
    is exactly the logistic likelihood of the fractional response p_i, so this is one fit.
    """
    return fit_logistic(X, p, names=names)


def _prepare(df: pd.DataFrame, estimands: list[Estimand], probabilities, keys) -> list[_Prepared]:
    prepared = []
    for est in estimands:
        X, names, rows = analysis_rows(df, est)
        p = probabilities[keys[est.name]]
        rows &= np.isfinite(p)
        idx = np.flatnonzero(rows)
        Xs = X[idx]
        truth = true_value(Xs, p[idx], names)
        j = names.index(est.term)
        prepared.append(_Prepared(est, keys[est.name], idx, Xs, names, j, truth.params, float(truth.params[j])))
    return prepared


# --------------------------------------------------------------------------------------------
# Replicates (worker side)
# --------------------------------------------------------------------------------------------

_PAYLOAD: dict | None = None


def _init_worker(payload: dict) -> None:
    global _PAYLOAD
    _PAYLOAD = payload


_CONTROLLERS: dict[int, object] = {}


def _blas_single_thread():
    # Same arithmetic whatever the number of processes: BLAS on one thread everywhere. One
    # controller per process: finding the thread pools scans every loaded library (ms per chunk).
    try:
        from threadpoolctl import ThreadpoolController
    except Exception:  # pragma: no cover - threadpoolctl missing
        return nullcontext()
    pid = os.getpid()
    if pid not in _CONTROLLERS:
        _CONTROLLERS.clear()
        _CONTROLLERS[pid] = ThreadpoolController()
    return _CONTROLLERS[pid].limit(limits=1)


def process_budget() -> int:
    """How many processes a computation may use: the cores, or fewer when HELPERS_MAX_WORKERS
    says so (a parallel build gives each kernel its share of the cores). Results never depend
    on it: every replicate chunk has its own seed."""
    cores = os.cpu_count() or 1
    try:
        limit = int(os.environ.get("HELPERS_MAX_WORKERS", cores))
    except ValueError:
        limit = cores
    return max(1, min(cores, limit))


def run_chunks(worker, tasks: list, payload: dict, n_jobs: int) -> list:
    """worker(task, payload) for every task, in a process pool of `n_jobs` (results in task order).

    firthmodels (the Firth refits of separated replicates) is imported here first so the forked
    workers inherit it instead of each importing it (seconds: it loads scikit-learn)."""
    import firthmodels  # noqa: F401

    n_jobs = max(1, min(int(n_jobs or 1), len(tasks), process_budget()))
    if n_jobs == 1:
        return [worker(t, payload) for t in tasks]
    with ProcessPoolExecutor(max_workers=n_jobs, initializer=_init_worker, initargs=(payload,)) as pool:
        return list(pool.map(worker, tasks))


def _run_chunk(task: tuple[int, np.random.SeedSequence, int, int], payload: dict | None = None) -> list[dict]:
    chunk, seed_seq, start, size = task
    payload = payload if payload is not None else _PAYLOAD
    rng = np.random.default_rng(seed_seq)
    draws = {}
    for key in payload["gen_keys"]:  # fixed order: one draw per outcome per replicate
        p = payload["probabilities"][key]
        draws[key] = rng.random((p.size, size)) < p[:, None]
    out = []
    with _blas_single_thread():
        for item in payload["prepared"]:
            Y = draws[item["gen_key"]][item["rows"]].astype(float)
            # On the covariate patterns where they repeat (same estimates as on the rows; helpers.analysis.patterns).
            pat = item["patterns"]
            if pat is None:
                res = policy_fit_batch(item["X"], Y, item["j"], item["truth"], beta0=item["beta0"])
            else:
                share, counts = pat.shares(Y)
                res = policy_fit_batch(
                    pat.X,
                    share,
                    item["j"],
                    item["truth"],
                    weights=counts,
                    beta0=item["beta0"],
                    rows=(item["X"], Y, None),
                )
            out.append(
                {"estimand": item["name"], "replicate": np.arange(start, start + size)}
                | {k: res[k] for k in REPLICATE_COLUMNS if k in res}
            )
    return out


# --------------------------------------------------------------------------------------------
# The study
# --------------------------------------------------------------------------------------------


def coverage(estimates: np.ndarray, std_errors: np.ndarray, truth: float, level: float = 0.95) -> float:
    """Share of Wald CIs estimate +/- z * SE that contain `truth` (NaNs ignored)."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    est = np.asarray(estimates, dtype=float)
    se = np.asarray(std_errors, dtype=float)
    ok = np.isfinite(est) & np.isfinite(se)
    if not ok.any():
        return float("nan")
    inside = (est[ok] - z * se[ok] <= truth) & (truth <= est[ok] + z * se[ok])
    return float(inside.mean())


def coverage_mc_se(c: float, replicates: int) -> float:
    """Monte Carlo SE of a coverage proportion: sqrt(c (1 - c) / R)."""
    if replicates <= 0 or not np.isfinite(c):
        return float("nan")
    return math.sqrt(c * (1.0 - c) / replicates)


def usable(reps: pd.DataFrame) -> pd.Series:
    """Replicates with a finite, converged estimate, SE and p-value (ML or Firth)."""
    finite = np.isfinite(reps[["log_or", "std_error", "p_value"]].to_numpy()).all(axis=1)
    return reps["converged"] & finite & (reps["log_or"].abs() < DIVERGED)


def summarise(replicate_frame: pd.DataFrame, truths: pd.DataFrame) -> pd.DataFrame:
    """Performance measures per estimand from the replicate estimates.

    `truths`: one row per estimand with estimand, outcome, exposure, term, true_log_or,
    published_or, n. mean_estimate is on the OR scale: exp(mean log OR), the geometric mean of
    the estimated ORs; bias is on the log scale (mean log OR - true log OR); relative_bias_pct
    = 100 (mean_estimate / true_value - 1).
    """
    rows = []
    for t in truths.itertuples():
        r = replicate_frame[replicate_frame["estimand"] == t.estimand]
        use = r[r["usable"]]
        est, se = use["log_or"].to_numpy(), use["std_error"].to_numpy()
        n_used = int(len(use))
        c = float(use["covers"].mean()) if n_used else float("nan")
        mean_log = float(est.mean()) if n_used else float("nan")
        emp_se = float(est.std(ddof=1)) if n_used > 1 else float("nan")
        model_se = float(se.mean()) if n_used else float("nan")
        rows.append(
            {
                "estimand": t.estimand,
                "true_value": math.exp(t.true_log_or),
                "mean_estimate": math.exp(mean_log) if n_used else float("nan"),
                "coverage": c,
                "mc_se": coverage_mc_se(c, n_used),
                "replicates": n_used,
                "outcome": t.outcome,
                "exposure": t.exposure,
                "term": t.term,
                "true_log_or": t.true_log_or,
                "mean_log_or": mean_log,
                "bias": mean_log - t.true_log_or,
                "relative_bias_pct": 100.0 * (math.exp(mean_log - t.true_log_or) - 1.0) if n_used else float("nan"),
                "empirical_se": emp_se,
                "mean_model_se": model_se,
                "se_ratio": model_se / emp_se if emp_se and np.isfinite(emp_se) else float("nan"),
                "rejection_rate": float((use["p_value"].to_numpy() < 0.05).mean()) if n_used else float("nan"),
                "published_or": t.published_or,
                "failed": int((~r["usable"]).sum()),
                "separated": int(r["separated"].sum()),
                "n": int(t.n),
            }
        )
    return pd.DataFrame(rows, columns=SIMULATION_COLUMNS)


def simulate(
    df: pd.DataFrame,
    replicates: int = 500,
    seed: int = 2025,
    n_jobs: int = 2,
    *,
    estimands: list[Estimand] | None = None,
    probabilities: dict[str, np.ndarray] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the simulation study: (replicate estimates, summary per estimand).

    `estimands` default to the published odds ratios (targets.yaml, Model 3); `probabilities`
    (outcome -> p per row of `df`) default to the generating model (see module docstring).
    Every replicate is fitted under the report's estimator rule (`policy_fit_batch`: maximum
    likelihood unless separated, then Firth); `separated` counts the replicates refitted by Firth,
    `failed` those whose estimate is still unusable (non-finite), left out of the summary.
    """
    if estimands is None:
        estimands = published_estimands()
    df = with_derived(df)
    if probabilities is None:
        probabilities, keys = generating_probabilities(df, estimands)
    else:
        probabilities = {k: np.asarray(v, dtype=float) for k, v in probabilities.items()}
        keys = {e.name: e.outcome for e in estimands}
    prepared = _prepare(df, estimands, probabilities, keys)
    gen_keys = sorted({p.gen_key for p in prepared})
    payload = {
        "gen_keys": gen_keys,
        "probabilities": {k: np.nan_to_num(probabilities[k]) for k in gen_keys},
        "prepared": [
            {
                "name": p.estimand.name,
                "gen_key": p.gen_key,
                "rows": p.rows,
                "X": p.X,
                "j": p.j,
                "beta0": p.true_params,
                "truth": p.true_log_or,
                "patterns": useful_patterns(p.X),
            }
            for p in prepared
        ],
    }
    n_chunks = max(1, math.ceil(replicates / chunk_size))
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)
    tasks = [(c, seeds[c], c * chunk_size, min(chunk_size, replicates - c * chunk_size)) for c in range(n_chunks)]
    results = run_chunks(_run_chunk, tasks, payload, n_jobs)
    pieces = [pd.DataFrame(item) for chunk in results for item in chunk]
    reps = pd.concat(pieces, ignore_index=True)
    reps["usable"] = usable(reps)
    order = {p.estimand.name: i for i, p in enumerate(prepared)}
    reps = reps.sort_values(["estimand", "replicate"], key=lambda s: s.map(order) if s.name == "estimand" else s)
    reps = reps.reset_index(drop=True)[REPLICATE_COLUMNS]
    truths = pd.DataFrame(
        {
            "estimand": [p.estimand.name for p in prepared],
            "outcome": [p.estimand.outcome for p in prepared],
            "exposure": [p.estimand.exposure for p in prepared],
            "term": [p.estimand.term for p in prepared],
            "true_log_or": [p.true_log_or for p in prepared],
            "published_or": [p.estimand.published_or for p in prepared],
            "n": [p.rows.size for p in prepared],
        }
    )
    summary = summarise(reps, truths)
    summary.attrs.update({"seed": seed, "replicates_requested": replicates, "generating_model": _generating_label(df)})
    return reps, summary


def _generating_label(df: pd.DataFrame) -> str:
    return (
        "Model 3 fitted to the survey file" if df.attrs.get("source") == "real" else "the synthetic generator's model"
    )


def write_simulation_csv(summary: pd.DataFrame, output_dir: str | Path | None = None) -> Path:
    """Write output_dir/simulation.csv (None -> helpers.paths.OUTPUT) with fixed formatting."""
    from helpers import paths

    folder = Path(output_dir) if output_dir is not None else paths.OUTPUT
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "simulation.csv"
    summary[SIMULATION_COLUMNS].to_csv(out, index=False, float_format="%.6f", lineterminator="\n")
    return out
