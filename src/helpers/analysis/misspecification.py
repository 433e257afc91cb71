"""Simulations that can fail: misspecified generating models, and power at the detectable OR.

The simulation study of helpers.analysis.simulation redraws outcomes from a model that Model 3 fits (on
the synthetic file, a projection of the generator; on a real file, the fitted Model 3 itself),
so coverage near 95% restates a property of maximum likelihood. Here the *same* analysis
(Model 3, the report's ML-unless-separated-then-Firth rule, `simulation.policy_fit_batch`) meets
data generated in ways it does not model:

* **Omitted confounder**: the outcome depends on an unmeasured U ~ N(0, 1), correlated with the
  exposure (``U = rho z + sqrt(1 - rho^2) e``, z the standardised exposure), with log OR
  ``log(confounder_or)`` per SD; U is redrawn in each replicate and is not in Model 3.
* **Outcome misclassification**: the recorded outcome is the true one seen through sensitivity
  Se and specificity Sp, the same in both exposure groups (non-differential) or not
  (differential).
* **Selection**: respondents take part with a probability that depends on the outcome (and the
  exposure); only they are analysed (a zero weight in the batch fit).

In every scenario the *true value* is the exposure's log OR in the generating model (Model 3's
projection ``beta*``: conditional on the Model 3 covariates, and on U where there is one), so
bias and coverage say what a reader of the published OR would be misled by. Selection that
depends on the exposure and outcome only changes the OR among respondents by exactly
``log(r11 r00 / (r10 r01))`` (r_xy the response probabilities): that is each scenario's
`expected_bias`; selection on the outcome alone leaves the OR unbiased (``r11 r00 = r10 r01``).

`power_at_mdor` checks the power formula (helpers.analysis.power, Hsieh et al. 1998) where it matters:
the generating model is Model 3 with the exposure's OR set to the minimum detectable OR at 80%
power and the intercept re-solved to keep the outcome prevalence, and the simulated rejection
rate should come out near 80%.

Replicates are fitted in chunks of fixed size, each with its own seed
(``SeedSequence([seed, cell, chunk])``), so results do not depend on the number of processes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

from helpers.analysis.patterns import useful_patterns
from helpers.analysis.simulation import (
    CHUNK_SIZE,
    Estimand,
    _blas_single_thread,
    _prepare,
    coverage_mc_se,
    generating_probabilities,
    policy_fit_batch,
    published_estimands,
    run_chunks,
    with_derived,
)

SCENARIO_COLUMNS = [
    "scenario",
    "label",
    "estimand",
    "true_log_or",
    "true_or",
    "mean_log_or",
    "bias",
    "bias_mc_se",
    "expected_bias",
    "coverage",
    "coverage_mc_se",
    "rejection_rate",
    "rejection_mc_se",
    "mean_n",
    "replicates",
    "separated",
    "failed",
]
# In the scenarios, rejection_rate counts Firth refits by their Wald p (only coverage is computed
# by profile likelihood there); in the power check every p is the one the chapters report.


@dataclass(frozen=True)
class Scenario:
    """How the data are generated, around Model 3's projection of the generating model.

    `sensitivity`, `specificity`: of the recorded outcome, in the unexposed then the exposed;
    `response`: P(respond) for (unexposed, no outcome), (unexposed, outcome), (exposed, no
    outcome), (exposed, outcome); `exposure_or`: replaces the exposure's OR (the intercept is then
    re-solved to keep the outcome prevalence), as for the power check.
    """

    name: str
    label: str
    confounder_or: float = 1.0
    confounder_corr: float = 0.0
    sensitivity: tuple[float, float] = (1.0, 1.0)
    specificity: tuple[float, float] = (1.0, 1.0)
    response: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    exposure_or: float | None = None

    @property
    def expected_bias(self) -> float:
        """The bias of the log OR known in advance: 0 for the correct model, the selection odds
        ratio log(r11 r00 / (r10 r01)) for selection; NaN where it has no closed form."""
        r00, r01, r10, r11 = self.response
        if self.confounder_or != 1.0 or self.sensitivity != (1.0, 1.0) or self.specificity != (1.0, 1.0):
            return float("nan")
        return math.log(r11 * r00 / (r10 * r01))


SCENARIOS = (
    Scenario("correct", "Correctly specified (Model 3 generates the outcome)"),
    Scenario(
        "confounder",
        "Omitted confounder (correlation 0.4 with the exposure, OR 2 per SD)",
        confounder_or=2.0,
        confounder_corr=0.4,
    ),
    Scenario(
        "misclassification",
        "Outcome misclassified, non-differential (Se 0.85, Sp 0.90)",
        sensitivity=(0.85, 0.85),
        specificity=(0.90, 0.90),
    ),
    Scenario(
        "differential",
        "Outcome misclassified, differential (Se 0.80 unexposed, 0.95 exposed; Sp 0.90)",
        sensitivity=(0.80, 0.95),
        specificity=(0.90, 0.90),
    ),
    Scenario(
        "selection_outcome",
        "Selection on the outcome (response 80% with it, 50% without)",
        response=(0.5, 0.8, 0.5, 0.8),
    ),
    Scenario(
        "selection_both",
        "Selection on outcome and exposure (response 80% if exposed with the outcome, else 50%)",
        response=(0.5, 0.5, 0.5, 0.8),
    ),
)


def _draw(rng: np.random.Generator, cell: dict, size: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Recorded outcomes (n x size) and response weights (None: everyone responds)."""
    sc: Scenario = cell["scenario"]
    eta, x = cell["eta"], cell["exposure"]
    n = eta.size
    eta = np.repeat(eta[:, None], size, axis=1)
    if sc.confounder_or != 1.0:
        z = (x - x.mean()) / x.std()
        rho = sc.confounder_corr
        U = rho * z[:, None] + math.sqrt(1 - rho**2) * rng.standard_normal((n, size))
        eta = eta + math.log(sc.confounder_or) * U
    y = rng.random((n, size)) < expit(eta)
    exposed = x[:, None] > 0.5
    recorded = y
    if sc.sensitivity != (1.0, 1.0) or sc.specificity != (1.0, 1.0):
        se = np.where(exposed, sc.sensitivity[1], sc.sensitivity[0])
        sp = np.where(exposed, sc.specificity[1], sc.specificity[0])
        u = rng.random((n, size))
        recorded = np.where(y, u < se, u >= sp)
    weights = None
    if sc.response != (1.0, 1.0, 1.0, 1.0):
        r = np.asarray(sc.response)[2 * exposed.astype(int) + y.astype(int)]
        weights = (rng.random((n, size)) < r).astype(float)
    return recorded.astype(float), weights


def _run_cell_chunk(task, payload=None):
    from helpers.analysis import simulation

    payload = payload if payload is not None else simulation._PAYLOAD
    c, seed_words, start, size = task
    cell = payload["cells"][c]
    rng = np.random.default_rng(np.random.SeedSequence(seed_words))
    Y, W = _draw(rng, cell, size)
    # On the covariate patterns where they repeat (same estimates as on the rows; helpers.analysis.patterns).
    pat = cell["patterns"]
    X, Yfit, Wfit, rows = cell["X"], Y, W, None
    if pat is not None:
        (Yfit, Wfit), X, rows = pat.shares(Y, W), pat.X, (cell["X"], Y, W)
    with _blas_single_thread():
        res = policy_fit_batch(
            X,
            Yfit,
            cell["j"],
            cell["truth"],
            weights=Wfit,
            beta0=cell["beta0"],
            p_values=cell["power"],
            coverage=not cell["power"],
            rows=rows,
        )
    n = np.full(size, cell["X"].shape[0]) if W is None else W.sum(axis=0)
    return {"cell": c, "replicate": np.arange(start, start + size), "n": n} | res


def _base_cells(df: pd.DataFrame, estimands: list[Estimand]) -> list[dict]:
    """Per estimand: Model 3's design and the projection beta* of the generating model."""
    df = with_derived(df)
    probabilities, keys = generating_probabilities(df, estimands)
    out = []
    for p in _prepare(df, estimands, probabilities, keys):
        out.append({"estimand": p.estimand.name, "X": p.X, "j": p.j, "beta": p.true_params.copy()})
    return out


def _cell(base: dict, scenario: Scenario, prevalence: float | None = None) -> dict:
    # `prevalence`: the outcome prevalence to hold when the exposure's OR is replaced (default:
    # the generating model's own).
    beta = base["beta"].copy()
    X, j = base["X"], base["j"]
    if scenario.exposure_or is not None:
        prevalence = float(expit(X @ beta).mean()) if prevalence is None else prevalence
        beta[j] = math.log(scenario.exposure_or)
        shift = brentq(lambda d: float(expit(X @ beta + d).mean()) - prevalence, -20, 20, xtol=1e-12)
        beta[0] += shift
    return {
        "estimand": base["estimand"],
        "scenario": scenario,
        "X": X,
        "j": j,
        "eta": X @ beta,
        "exposure": X[:, j],
        "beta0": beta,
        "truth": float(beta[j]),
        "patterns": useful_patterns(X),
        # The power check needs p-values, the scenarios coverage: Firth refits compute one.
        "power": scenario.exposure_or is not None,
    }


def run_cells(cells: list[dict], replicates: int, seed: int, n_jobs: int = 2) -> pd.DataFrame:
    """Replicate estimates of every (scenario, estimand) cell: one row per cell and replicate."""
    n_chunks = max(1, math.ceil(replicates / CHUNK_SIZE))
    tasks = [
        (c, [seed, c, k], k * CHUNK_SIZE, min(CHUNK_SIZE, replicates - k * CHUNK_SIZE))
        for c in range(len(cells))
        for k in range(n_chunks)
    ]
    results = run_chunks(_run_cell_chunk, tasks, {"cells": cells}, n_jobs)
    frame = pd.concat([pd.DataFrame(r) for r in results], ignore_index=True)
    frame["usable"] = np.isfinite(frame[["log_or", "std_error", "p_value"]].to_numpy()).all(axis=1)
    return frame


def _summary(cells: list[dict], reps: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for c, cell in enumerate(cells):
        r = reps[reps["cell"] == c]
        use = r[r["usable"]]
        k = len(use)
        est = use["log_or"].to_numpy()
        cov = float(use["covers"].mean()) if k else float("nan")
        rej = float((use["p_value"] < 0.05).mean()) if k else float("nan")
        sc = cell["scenario"]
        rows.append(
            {
                "scenario": sc.name,
                "label": sc.label,
                "estimand": cell["estimand"],
                "true_log_or": cell["truth"],
                "true_or": math.exp(cell["truth"]),
                "mean_log_or": float(est.mean()) if k else float("nan"),
                "bias": float(est.mean()) - cell["truth"] if k else float("nan"),
                "bias_mc_se": float(est.std(ddof=1) / math.sqrt(k)) if k > 1 else float("nan"),
                "expected_bias": sc.expected_bias,
                "coverage": cov,
                "coverage_mc_se": coverage_mc_se(cov, k),
                "rejection_rate": rej,
                "rejection_mc_se": coverage_mc_se(rej, k),
                "mean_n": float(use["n"].mean()) if k else float("nan"),
                "replicates": k,
                "separated": int(r["separated"].sum()),
                "failed": int((~r["usable"]).sum()),
            }
        )
    return pd.DataFrame(rows, columns=SCENARIO_COLUMNS)


def misspecification_study(
    df: pd.DataFrame,
    replicates: int = 200,
    seed: int = 2025,
    n_jobs: int = 2,
    *,
    estimands: list[Estimand] | None = None,
    scenarios: tuple[Scenario, ...] = SCENARIOS,
) -> pd.DataFrame:
    """Bias (log OR, with Monte Carlo SE), coverage of the 95% CI and rejection rate of Model 3
    in every scenario for every estimand: a tidy frame (SCENARIO_COLUMNS), scenarios in order."""
    estimands = published_estimands() if estimands is None else list(estimands)
    bases = _base_cells(df, estimands)
    cells = [_cell(b, sc) for sc in scenarios for b in bases]
    out = _summary(cells, run_cells(cells, replicates, seed, n_jobs))
    out.attrs.update({"replicates": replicates, "seed": seed})
    return out


POWER_CHECK_COLUMNS = ["estimand", "mdor", "formula_power", "simulated_power", "mc_se", "replicates", "separated"]


def power_at_mdor(
    df: pd.DataFrame,
    power: pd.DataFrame,
    replicates: int = 200,
    seed: int = 2025,
    n_jobs: int = 2,
    *,
    estimands: list[Estimand] | None = None,
    target: float = 0.8,
) -> pd.DataFrame:
    """Simulated power (share of replicates with p < 0.05) when the exposure's OR is the minimum
    detectable OR of `power` (helpers.analysis.power.power_table) and the rest of the model is Model 3's
    projection, the intercept set so the outcome prevalence is the one the formula used; the
    formula promises `target`."""
    estimands = published_estimands() if estimands is None else list(estimands)
    mdor = dict(zip(power["estimand"], power["mdor"]))
    prevalence = dict(zip(power["estimand"], power["outcome_prevalence"]))
    bases = [b for b in _base_cells(df, estimands) if np.isfinite(mdor.get(b["estimand"], np.nan))]
    power_scenario = Scenario("mdor", "Model 3 with the exposure's OR at the minimum detectable OR")
    cells = [
        _cell(b, replace(power_scenario, exposure_or=float(mdor[b["estimand"]])), prevalence[b["estimand"]])
        for b in bases
    ]
    summary = _summary(cells, run_cells(cells, replicates, seed + 1, n_jobs))
    out = pd.DataFrame(
        {
            "estimand": summary["estimand"],
            "mdor": summary["true_or"],
            "formula_power": target,
            "simulated_power": summary["rejection_rate"],
            "mc_se": summary["rejection_mc_se"],
            "replicates": summary["replicates"],
            "separated": summary["separated"],
        }
    )
    return out[POWER_CHECK_COLUMNS]


__all__ = [
    "Scenario",
    "SCENARIOS",
    "SCENARIO_COLUMNS",
    "POWER_CHECK_COLUMNS",
    "misspecification_study",
    "power_at_mdor",
    "run_cells",
]
