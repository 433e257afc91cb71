"""Robustness chapter: simulation study, precision and power, sensitivity analyses.

The computations live in three modules, re-exported here:

- helpers.analysis.simulation   `simulate(df, replicates=500, seed=2025, n_jobs=2) -> (replicates, summary)`,
                       `write_simulation_csv(summary, output_dir)`, `published_estimands()`
- helpers.analysis.power        `minimum_detectable_or(...)`, `power_for_or(...)`, `power_table(df)`
                       (Hsieh, Bloch & Larsen 1998)
- helpers.analysis.misspecification  `misspecification_study(df)` (omitted confounder, outcome
                       misclassification, selection), `power_at_mdor(df, power)`
- helpers.analysis.sensitivity  `firth_vs_ml`, `imputation_analysis`, `cutpoint_analysis`,
                       `dichotomisation_analysis`, `all_sensitivity`, `rubin_pool`
- helpers.analysis.imputation   the missingness mechanism, nominal imputation, R-hat

This module adds what the notebook shows: display tables, the two figures (sampling
distributions; a forest plot of every sensitivity analysis) and the sentences quoting their
numbers. Nothing here refits anything.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.present import prose
from helpers.present.tables import format_or, format_p
from helpers.analysis.power import minimum_detectable_or, power_for_or, power_table, sample_size_logistic_binary
from helpers.analysis.sensitivity import (
    ANALYSES,
    SENSITIVITY_COLUMNS,
    all_sensitivity,
    cutpoint_analysis,
    dichotomisation_analysis,
    firth_vs_ml,
    imputation_analysis,
    rubin_pool,
)
from helpers.analysis.misspecification import SCENARIOS, misspecification_study, power_at_mdor
from helpers.data.codebook import lower_first
from helpers.analysis.simulation import (
    SIMULATION_COLUMNS,
    Estimand,
    published_estimands,
    simulate,
    write_simulation_csv,
)

__all__ = [
    "simulate",
    "run_simulation",
    "write_simulation_csv",
    "published_estimands",
    "Estimand",
    "minimum_detectable_or",
    "power_for_or",
    "power_table",
    "sample_size_logistic_binary",
    "firth_vs_ml",
    "imputation_analysis",
    "cutpoint_analysis",
    "dichotomisation_analysis",
    "all_sensitivity",
    "rubin_pool",
    "SIMULATION_COLUMNS",
    "SENSITIVITY_COLUMNS",
    "ANALYSES",
    "estimand_labels",
    "simulation_table",
    "simulation_table_frame",
    "power_display",
    "power_display_frame",
    "sensitivity_table",
    "sensitivity_table_frame",
    "plot_sampling_distributions",
    "plot_sensitivity",
    "simulation_statement",
    "sensitivity_statement",
    "design_statement",
    "misspecification_study",
    "power_at_mdor",
    "SCENARIOS",
    "scenario_table",
    "scenario_table_frame",
    "scenario_statement",
    "power_check_statement",
    "imputation_statement",
    "convergence_table",
    "convergence_table_frame",
    "estimator_rule_statement",
]


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def run_simulation(df: pd.DataFrame, replicates: int = 500, seed: int = 2025, output_dir=None, n_jobs: int = 2):
    """simulate() then write output_dir/simulation.csv (None -> helpers.paths.OUTPUT).

    Returns (replicate estimates, summary); the CSV's path is in summary.attrs['csv'] (name only).
    """
    reps, summary = simulate(df, replicates=replicates, seed=seed, n_jobs=n_jobs)
    path = write_simulation_csv(summary, output_dir)
    summary.attrs["csv"] = Path(path).name
    return reps, summary


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------


def estimand_labels(estimands=None) -> dict[str, str]:
    """Estimand name -> 'Exposure label → outcome label' (codebook labels)."""
    from helpers.data.codebook import load_codebook

    cb = load_codebook()
    estimands = published_estimands() if estimands is None else estimands
    return {e.name: cb.association_label(e.exposure, e.outcome) for e in estimands}


def _exposure_phrase(label: str) -> str:
    return lower_first(label.split(" → ")[0])


def _labels_for(frame: pd.DataFrame) -> dict[str, str]:
    labels = estimand_labels()
    return {name: labels.get(name, name) for name in frame["estimand"].unique()}


# --------------------------------------------------------------------------------------------
# Tables (display frames: formatted text, deterministic)
# --------------------------------------------------------------------------------------------


def simulation_table_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """The simulation summary for display: one row per published association."""
    labels = _labels_for(summary)
    rows = []
    for r in summary.itertuples():
        rows.append(
            {
                "Association": labels[r.estimand],
                "Published OR": f"{r.published_or:.2f}",
                "True OR (Model 3 projection)": f"{r.true_value:.2f}",
                "Mean estimate (geometric mean OR)": f"{r.mean_estimate:.2f}",
                "Bias (log OR)": f"{r.bias:+.3f}",
                "Empirical SE": f"{r.empirical_se:.3f}",
                "Mean model SE": f"{r.mean_model_se:.3f}",
                "Coverage of 95% CI (MC SE)": f"{100 * r.coverage:.1f}% ({100 * r.mc_se:.1f})",
                "Power (p < 0.05)": f"{100 * r.rejection_rate:.1f}%",
                "Replicates used": f"{r.replicates:,}",
                "Nuisance separation": f"{r.separated:,}",
            }
        )
    return pd.DataFrame(rows)


def power_display_frame(power: pd.DataFrame, check: pd.DataFrame | None = None) -> pd.DataFrame:
    """The precision table for display: the design and the minimum detectable OR; with the
    simulation check (misspecification.power_at_mdor), the simulated power at that OR."""
    labels = _labels_for(power)
    simulated = {} if check is None else {r.estimand: r for r in check.itertuples()}
    rows = []
    for r in power.itertuples():
        row = {
            "Association": labels[r.estimand],
            "n": f"{r.n:,}",
            "Exposed": f"{100 * r.exposure_prevalence:.1f}%",
            "Outcome": f"{100 * r.outcome_prevalence:.1f}%",
            "R² of exposure with covariates": f"{r.r2_exposure:.3f}",
            "Published OR": f"{r.published_or:.2f}",
            "Minimum detectable OR (80% power)": f"{r.mdor:.2f}",
        }
        if check is not None:
            sim = simulated.get(r.estimand)
            row["Simulated power at that OR (MC SE)"] = (
                f"{100 * sim.simulated_power:.1f}% ({100 * sim.mc_se:.1f})" if sim is not None else "n/a"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def scenario_table_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The misspecification study for display: one row per scenario and association."""
    labels = _labels_for(frame)
    rows = []
    for r in frame.itertuples():
        rows.append(
            {
                "Scenario": r.label,
                "Association": labels[r.estimand],
                "True OR": f"{r.true_or:.2f}",
                "Mean estimate (geometric mean OR)": f"{math.exp(r.mean_log_or):.2f}",
                "Bias, log OR (MC SE)": f"{r.bias:+.3f} ({r.bias_mc_se:.3f})",
                "Expected bias": f"{r.expected_bias:+.3f}" if np.isfinite(r.expected_bias) else "",
                "Coverage of 95% CI (MC SE)": f"{100 * r.coverage:.1f}% ({100 * r.coverage_mc_se:.1f})",
                "Mean n analysed": f"{r.mean_n:.0f}",
                "Firth refits": f"{r.separated:,}",
            }
        )
    return pd.DataFrame(rows)


def convergence_table_frame(sensitivity: pd.DataFrame) -> pd.DataFrame:
    """The imputation chains' convergence check for display (from all_sensitivity's attrs)."""
    info = sensitivity.attrs.get("imputation", {})
    from helpers.data.codebook import load_codebook

    cb = load_codebook()
    rows = []
    for r in info.get("convergence", []):
        rows.append(
            {
                "Variable": cb.label(r["variable"]),
                "Imputation model": {
                    "polyreg": "multinomial logistic (nominal)",
                    "pmm": "predictive mean matching (ordinal)",
                }[r["method"]],
                "Chains (m)": f"{r['chains']}",
                "Iterations": f"{r['iterations']}",
                "Largest R-hat, second half": f"{r['rhat_max']:.3f}"
                if np.isfinite(r["rhat_max"])
                else "not computable",
                "Mixed (R-hat < 1.1)": "yes" if r["converged"] else "no",
            }
        )
    return pd.DataFrame(rows)


def _by_estimand(frame: pd.DataFrame) -> pd.DataFrame:
    # Rows grouped by association (first-appearance order), analyses in their original order.
    order = {name: i for i, name in enumerate(dict.fromkeys(frame["estimand"]))}
    return frame.assign(_o=frame["estimand"].map(order)).sort_values("_o", kind="stable").drop(columns="_o")


def sensitivity_table_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every sensitivity row for display, grouped by association and analysis."""
    labels = _labels_for(frame)
    rows = []
    for r in _by_estimand(frame).itertuples():
        rows.append(
            {
                "Association": labels[r.estimand],
                "Analysis": ANALYSES.get(r.analysis, r.analysis).split(":")[0],
                "Specification": r.variant + (" *" if r.primary else ""),
                "OR (95% CI)": format_or(r.odds_ratio, r.conf_low, r.conf_high),
                "p": format_p(r.p_value),
                "n": f"{r.n:,}",
                "Fit": r.method + ("" if r.ci_method == "Wald" else f"; {r.ci_method} CI"),
            }
        )
    return pd.DataFrame(rows)


def _gt(frame: pd.DataFrame, prefix: str, **kwargs):
    from helpers.present.tables import report_table

    return report_table(frame, prefix, **kwargs)


def simulation_table(summary: pd.DataFrame):
    """great_tables version of `simulation_table_frame`."""
    return _gt(simulation_table_frame(summary), "simulation", rowname_col="Association")


def power_display(power: pd.DataFrame, check: pd.DataFrame | None = None):
    """great_tables version of `power_display_frame`."""
    return _gt(power_display_frame(power, check), "power", rowname_col="Association")


def scenario_table(frame: pd.DataFrame):
    """great_tables version of `scenario_table_frame`, one row group per scenario."""
    return _gt(scenario_table_frame(frame), "misspecification", groupname_col="Scenario")


def convergence_table(sensitivity: pd.DataFrame):
    """great_tables version of `convergence_table_frame`."""
    return _gt(convergence_table_frame(sensitivity), "imputation-convergence", rowname_col="Variable")


def sensitivity_table(frame: pd.DataFrame):
    """great_tables version of `sensitivity_table_frame`, one row group per association."""
    return _gt(sensitivity_table_frame(frame), "sensitivity", groupname_col="Association")


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def _style() -> list[str]:
    """Apply the report's style (helpers.present.plots) and return its colour cycle (helpers.present.style)."""
    from helpers.present import plots, style

    plots.use_report_style()
    return list(style.CYCLE)


def _finish(fig, rect=None) -> None:
    # The report style uses constrained layout; tight_layout only for a figure without one.
    if fig.get_layout_engine() is None:
        fig.tight_layout(rect=rect)


def _log_axis(ax) -> None:
    # Log-scale x axis labelled 0.1, 0.2, 0.5, 1, 2, 5, 10, ...
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def plot_sampling_distributions(replicates: pd.DataFrame, summary: pd.DataFrame, published: bool = True):
    """One panel per estimand: the estimated ORs over replicates (histogram and KDE on a log
    axis), the true value (the generating model's Model 3 projection, solid) and the published
    OR (dashed)."""
    import matplotlib.pyplot as plt
    from scipy.stats import gaussian_kde

    palette = _style()
    labels = _labels_for(summary)
    k = len(summary)
    ncols = 2 if k > 1 else 1
    nrows = math.ceil(k / ncols)
    from helpers.present import style

    fig, axes = plt.subplots(nrows, ncols, figsize=(style.FIGURE_WIDTH, 2.9 * nrows), squeeze=False)
    for ax, r in zip(axes.flat, summary.itertuples()):
        use = replicates[(replicates["estimand"] == r.estimand) & replicates["usable"]]
        lor = use["log_or"].to_numpy()
        if lor.size:
            edges = np.linspace(lor.min(), lor.max(), 31)
            ax.hist(
                np.exp(lor),
                bins=np.exp(edges),
                density=False,
                weights=np.full(lor.size, 1 / (lor.size * (edges[1] - edges[0]))),
                color=palette[0],
                alpha=0.45,
                edgecolor="white",
                linewidth=0.5,
            )
            if lor.size > 2 and np.std(lor) > 0:
                grid = np.linspace(lor.min() - 0.3, lor.max() + 0.3, 300)
                ax.plot(np.exp(grid), gaussian_kde(lor)(grid), color=palette[0], linewidth=1.5)
        ax.axvline(r.true_value, color=palette[1], linewidth=2, label="true OR (generating model)")
        if published and np.isfinite(r.published_or):
            ax.axvline(r.published_or, color=palette[2], linewidth=1.5, linestyle="--", label="published OR")
        _log_axis(ax)
        ax.set_title("\n".join(textwrap.wrap(labels[r.estimand], 42)), fontsize=8)
        ax.set_xlabel("estimated odds ratio (log scale)")
        ax.set_ylabel("density (per unit log OR)")
    for ax in list(axes.flat)[k:]:
        ax.set_visible(False)
    handles, names = axes.flat[0].get_legend_handles_labels()
    constrained = fig.get_layout_engine() is not None
    fig.legend(
        handles, names, loc="outside lower center" if constrained else "lower center", ncol=2, fontsize=8, frameon=False
    )
    _finish(fig, rect=(0, 0.05, 1, 1))
    from helpers.present.plots import finish

    return finish(fig)


def _forest_rows(frame: pd.DataFrame) -> pd.DataFrame:
    # The primary specification once per estimand, then each analysis's alternatives.
    out = []
    for name, block in frame.groupby("estimand", sort=False):
        primary = block[block["primary"] & (block["analysis"] == "estimator")]
        if primary.empty:
            primary = block[block["primary"]].head(1)
        first = primary.head(1).assign(variant="Published specification (Model 3, ML)", analysis="primary")
        out.append(first)
        out.append(block[~block["primary"]])
    return pd.concat(out, ignore_index=True)


def plot_sensitivity(frame: pd.DataFrame):
    """Forest plot of every sensitivity analysis: one panel per association, the published
    specification first (its OR as a dotted line), then each alternative coloured by analysis."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    palette = _style()
    labels = _labels_for(frame)
    rows = _forest_rows(frame)
    groups = list(dict.fromkeys(rows["estimand"]))
    sizes = [int((rows["estimand"] == g).sum()) for g in groups]
    colours = {"primary": "black"}
    for i, key in enumerate(ANALYSES):
        colours[key] = palette[i % len(palette)]
    from helpers.present import style

    fig, axes = plt.subplots(
        len(groups),
        1,
        figsize=(style.FIGURE_WIDTH, 0.27 * sum(sizes) + 0.9 * len(groups)),
        gridspec_kw={"height_ratios": sizes},
        sharex=True,
        squeeze=False,
    )
    lo_all = max(min(rows["conf_low"].min(), 0.5) * 0.8, 0.01)
    hi_all = min(max(rows["conf_high"].max(), 2) * 1.25, 1000)
    for ax, g in zip(axes[:, 0], groups):
        block = rows[rows["estimand"] == g].reset_index(drop=True)
        y = np.arange(len(block))[::-1]
        for yi, r in zip(y, block.itertuples()):
            c = colours.get(r.analysis, "grey")
            ax.plot([max(r.conf_low, lo_all), min(r.conf_high, hi_all)], [yi, yi], color=c, linewidth=1.6)
            ax.plot(r.odds_ratio, yi, marker="D" if r.analysis == "primary" else "o", color=c, markersize=5)
        ax.axvline(1, color=style.REFERENCE_LINE_COLOR, linewidth=0.8)
        ax.axvline(block.loc[0, "odds_ratio"], color="black", linewidth=0.8, linestyle=":")
        ax.set_yticks(y)
        ax.set_yticklabels([textwrap.shorten(v, 46, placeholder="…") for v in block["variant"]], fontsize=8)
        ax.set_title("\n".join(textwrap.wrap(labels[g], 70)), fontsize=8, loc="left")
        ax.set_xscale("log")
        ax.set_xlim(lo_all, hi_all)
    ax = axes[-1, 0]
    _log_axis(ax)
    ax.set_xlim(lo_all, hi_all)
    ax.set_xlabel("odds ratio (95% CI, log scale)")
    handles = [Line2D([], [], color="black", marker="D", linestyle="", label="primary (assumed) specification")]
    handles += [
        Line2D([], [], color=colours[k], marker="o", label=v.split(":")[0])
        for k, v in ANALYSES.items()
        if k in set(rows["analysis"])
    ]
    constrained = fig.get_layout_engine() is not None
    fig.legend(
        handles=handles,
        loc="outside lower center" if constrained else "lower center",
        ncol=3,
        fontsize=7,
        frameon=False,
    )
    _finish(fig, rect=(0, 0.03, 1, 1))
    from helpers.present.plots import finish

    return finish(fig)


# --------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------


def design_statement(df: pd.DataFrame, replicates: int, seed: int) -> str:
    """What the simulation is, and what it can and cannot show, for the data it runs on."""
    n = len(df)
    if df.attrs.get("source") == "real":
        return (
            f"**What this simulation shows, and what it cannot.** It is a parametric bootstrap of the fitted "
            f"model: the generating model is Model 3 as fitted to the survey file itself (one fit per "
            f"association). Each of {replicates:,} replicates (seed {seed}) keeps the {n:,} respondents' "
            "covariates and redraws the outcome from the fitted probabilities. Coverage near 95% then says "
            "that Wald intervals are honest at this sample size *if the model is right*; it cannot say "
            "whether the model is right. The misspecified scenarios below ask what happens when it is not."
        )
    return (
        f"**What this simulation shows, and what it cannot.** On the synthetic file the outcomes were "
        "generated by the project's own calibrated model, whose odds ratios equal the published ones by "
        f"construction. Each of {replicates:,} replicates (seed {seed}) keeps the {n:,} synthetic "
        "respondents' covariates, redraws the outcomes from the generator's probabilities and refits "
        "Model 3; the true value of each odds ratio is the Model 3 coefficient the generator implies "
        "(Model 3 fitted to the expected outcomes). Coverage near 95% therefore restates a textbook "
        "property of maximum likelihood when the model is right; it says nothing about the paper. "
        "The misspecified scenarios below are the part of the simulation that could show a problem."
    )


def simulation_statement(summary: pd.DataFrame) -> str:
    """Coverage, bias and SE calibration in words."""
    labels = _labels_for(summary)
    R = int(summary["replicates"].max())
    cov_lo, cov_hi = summary["coverage"].min(), summary["coverage"].max()
    mc = summary["mc_se"].max()
    away = [
        labels[r.estimand] for r in summary.itertuples() if np.sign(r.bias) == np.sign(r.true_log_or) and r.bias != 0
    ]
    worst = summary.loc[summary["relative_bias_pct"].abs().idxmax()]
    ratio_lo, ratio_hi = summary["se_ratio"].min(), summary["se_ratio"].max()
    failed = int(summary["failed"].sum())
    separated = int(summary["separated"].sum())
    text = (
        f"Across {R:,} replicates the 95% confidence intervals covered the true odds ratio in "
        f"{prose.percent(100 * cov_lo)} to {prose.percent(100 * cov_hi)} of replicates (nominal 95%; "
        f"Monte Carlo SE at most {100 * mc:.1f} percentage points). "
        f"The estimates overstated the size of the association in "
        f"{len(away)} of {len(summary)} cases (bias away from the null), by at most "
        f"{abs(worst['relative_bias_pct']):.1f}% on the odds-ratio scale "
        f"({_exposure_phrase(labels[worst['estimand']])}): the small-sample bias of the "
        "logistic MLE with many covariates, which Firth's correction addresses. "
        f"Model-based standard errors were {ratio_lo:.2f} to {ratio_hi:.2f} times the empirical ones."
    )
    if separated:
        text += (
            f" {separated:,} of {int(summary['replicates'].sum() + failed):,} replicate fits were separated "
            "(a sparse covariate level perfectly predicted the outcome) and were refitted by Firth's "
            "method, as the report's rule prescribes."
        )
    if failed:
        text += f" {failed:,} replicate fits gave no usable estimate and were left out."
    return text


def scenario_statement(frame: pd.DataFrame) -> str:
    """What each scenario did to bias and coverage, in words (one bullet per scenario)."""
    lines = []
    R = int(frame["replicates"].min())
    for name, block in frame.groupby("scenario", sort=False):
        label = block["label"].iloc[0]
        bias_lo, bias_hi = block["bias"].min(), block["bias"].max()
        cov_lo, cov_hi = block["coverage"].min(), block["coverage"].max()
        z = (block["bias"].abs() / block["bias_mc_se"]).max()
        text = (
            f"- *{label}*: bias {bias_lo:+.2f} to {bias_hi:+.2f} on the log-OR scale (up to {z:.0f} Monte "
            f"Carlo SEs from zero), coverage {prose.percent(100 * cov_lo)} to {prose.percent(100 * cov_hi)}"
        )
        expected = block["expected_bias"].iloc[0]
        if np.isfinite(expected):
            text += f"; expected bias {expected:+.2f}"
        if name == "correct":
            text += (
                " (what remains is the small-sample bias of maximum likelihood with many covariates, "
                "away from the null: the yardstick for the other scenarios)"
            )
        if name == "misclassification":
            toward = int((block["mean_log_or"].abs() < block["true_log_or"].abs()).sum())
            text += f"; {toward} of {len(block)} estimates pulled toward the null"
        lines.append(text + ".")
    return (
        f"Each scenario has {R:,} replicates per association (coverage Monte Carlo SE at most "
        f"{100 * frame['coverage_mc_se'].max():.1f} points).\n\n" + "\n".join(lines)
    )


def power_check_statement(power: pd.DataFrame, check: pd.DataFrame, target: float = 0.8) -> str:
    """Minimum detectable ORs and whether the simulation confirms the formula's power there."""
    labels = _labels_for(power)
    merged = power.merge(check, on="estimand", suffixes=("", "_check"))
    parts = [
        f"{_exposure_phrase(labels[r.estimand])} {r.mdor:.2f} (simulated power {prose.percent(100 * r.simulated_power)})"
        for r in merged.itertuples()
    ]
    gap = (merged["simulated_power"] - target).abs() / merged["mc_se"]
    held = gap <= 2
    verdict = (
        f"the formula holds: every simulated power is within 2 Monte Carlo SEs of {int(100 * target)}%"
        if held.all()
        else f"the formula is off for {int((~held).sum())} of {len(merged)} associations (more than 2 Monte Carlo SEs "
        f"from {int(100 * target)}%)"
    )
    return (
        f"Minimum detectable odds ratios at {int(100 * target)}% power (α = 0.05, two-sided, in the direction of "
        "the published OR, @hsieh1998 with the exposure's R² deflating n): " + "; ".join(parts) + ". "
        f"Generating data at exactly those odds ratios ({int(check['replicates'].min()):,} replicates each), "
        + verdict
        + ". Power at the published odds ratios is not shown: computed at an observed estimate it "
        "is a restatement of its p-value."
    )


def imputation_statement(sensitivity: pd.DataFrame) -> str:
    """The missingness mechanism, complete-case bias and what imputation recovered, in words."""
    info = sensitivity.attrs.get("imputation", {})
    labels = _labels_for(sensitivity)
    block = sensitivity[(sensitivity["analysis"] == "missing_data") & (sensitivity["estimand"] == info["driver"])]
    get = {v.split(" (")[0]: r for v, r in zip(block["variant"], block.itertuples())}
    before, cc = get["Before imposed missingness"], get["Complete case"]
    mi = next(r for v, r in get.items() if v.startswith("Multiple imputation"))
    conv = info["convergence"]
    worst = max((r["rhat_max"] for r in conv if np.isfinite(r["rhat_max"])), default=float("nan"))
    mixed = all(r["converged"] for r in conv)
    return (
        f"For {_exposure_phrase(labels[info['driver']])} (the association whose exposure and outcome drive the "
        f"missingness), complete-case analysis moved the log OR from {before.estimate:.2f} to {cc.estimate:.2f} "
        f"({cc.estimate - before.estimate:+.2f}; expected {info['expected_cc_bias']:+.2f}) on "
        f"{cc.n:,} respondents; multiple imputation gave {mi.estimate:.2f} "
        f"({mi.estimate - before.estimate:+.2f}) on {mi.n:,}. "
        f"{info['m']} imputations, each a chain of {info['iterations']} iterations; the largest R-hat of the "
        f"chain statistics over the second half of the iterations was {worst:.3f} "
        + (
            "(below 1.1 for every variable: the chains mixed)."
            if mixed
            else "(at or above 1.1 for some variable: "
            "the chains had not mixed and the imputations should not be trusted)."
        )
    )


def estimator_rule_statement(sensitivity: pd.DataFrame, simulation: pd.DataFrame, scenarios: pd.DataFrame) -> str:
    """How often the report's one estimator rule switched to Firth, chapter section by section."""
    rows = sensitivity[sensitivity["analysis"] != "estimator"]
    firth_rows = int((rows["method"] == "firth").sum())
    sim_total = int(simulation["replicates"].sum() + simulation["failed"].sum())
    sc_total = int(scenarios["replicates"].sum() + scenarios["failed"].sum())
    return (
        f"Under this rule {firth_rows} of {len(rows)} sensitivity fits (outside the Firth-versus-ML comparison), "
        f"{int(simulation['separated'].sum()):,} of {sim_total:,} simulation refits and "
        f"{int(scenarios['separated'].sum()):,} of {sc_total:,} misspecification-scenario refits were separated "
        "and fitted by Firth's method."
    )


def sensitivity_statement(frame: pd.DataFrame) -> str:
    """Whether the alternatives agree with the primary (assumed) specification, association by association."""
    labels = _labels_for(frame)
    lines = []
    for name, block in frame.groupby("estimand", sort=False):
        primary = block[block["primary"] & (block["analysis"] == "estimator")]
        primary = primary.iloc[0] if len(primary) else block[block["primary"]].iloc[0]
        alt = block[~block["primary"]]
        side = np.sign(np.log(primary["odds_ratio"]))
        same_side = int((np.sign(np.log(alt["odds_ratio"])) == side).sum())
        null_ci = alt[(alt["conf_low"] <= 1) & (alt["conf_high"] >= 1)]
        text = (
            f"- {labels[name]}: primary (assumed) specification OR {primary['odds_ratio']:.2f}; "
            f"the {len(alt)} alternatives range from {alt['odds_ratio'].min():.2f} to {alt['odds_ratio'].max():.2f}, "
            f"{same_side} of {len(alt)} on the same side of 1"
        )
        if len(null_ci):
            text += "; CI includes 1 for " + prose.listing(
                [
                    f"{v.lower()} ({a.split(':')[0].lower()})"
                    for v, a in zip(null_ci["variant"], null_ci["analysis"].map(ANALYSES))
                ]
            )
        else:
            text += "; every CI excludes 1"
        lines.append(text + ".")
    return "\n".join(lines)
