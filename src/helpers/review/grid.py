"""The specification grid: every combination of the open analysis choices, scored against the abstract.

`specifications(spec)` is the cross product of the choices marked `grid: true` in
data/analysis_spec.yaml (primary option first, so S001 is the primary (assumed) specification).
`fit_grid(df)` fits every published odds ratio under every specification through the public
model API (`helpers.analysis.models.logistic`, on the shared complete-case sample that
`helpers.analysis.models.sequential` uses) and scores it with the scorecard's own rules (z on the log
scale against the SE the published CI implies, CI-width ratio, significance decision), and
recomputes the two printed outcome shares the cut-point decides. One row per specification and
published figure; `write_csv` gives `specifications.csv`. The `method` column says how each odds
ratio was fitted ('ml', or 'firth' where maximum likelihood separates, as helpers.analysis.models decides),
or why it could not be (the row's status is then 'not computable').

On the synthetic file the primary specification agrees by construction (the file was calibrated
to it); on a real survey file the grid shows which analyses reproduce the paper.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis import models
from helpers.review import scorecard
from helpers.data.codebook import load_codebook
from helpers.stats.design import complete_cases
from helpers.analysis.patterns import collapse_frame
from helpers.analysis.simulation import process_budget
from helpers.data.published import load_claims, load_targets
from helpers.analysis.spec import Spec, load_spec

# The printed shares whose computation a grid choice (the cut-point) changes.
SHARE_CLAIMS = {
    "pct_patient_outcomes_often": "patient_outcomes_often",
    "pct_service_outcomes_often": "service_outcomes_often",
}

RESULT_COLUMNS = [
    "claim_id", "kind", "outcome", "n", "estimate", "conf_low", "conf_high", "std_error", "p_value",
    "published", "published_low", "published_high", "z", "ci_width_ratio", "decision_agrees", "status", "method",
]  # fmt: skip


def specifications(spec: Spec | None = None) -> pd.DataFrame:
    """One row per specification: spec_id, one column per grid choice, primary (S001 only)."""
    spec = spec or load_spec()
    choices = spec.grid_choices()
    rows = [dict(zip(choices, combo)) for combo in itertools.product(*choices.values())]
    frame = pd.DataFrame(rows, columns=list(choices))
    frame.insert(0, "spec_id", [f"S{i:03d}" for i in range(1, len(frame) + 1)])
    primary = spec.primary()
    frame["primary"] = np.logical_and.reduce([frame[k] == primary[k] for k in choices])
    return frame


def exposures() -> dict[str, str]:
    """Claim id -> exposure column of every published odds ratio (targets.yaml)."""
    return {t["claim_id"]: t["exposure"] for t in load_targets() if t.get("kind") == "odds_ratio"}


# --- Data variants (cut-point, "Don't know" coding, sparse confounder levels) -------------------
def recut(df: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """The derived binary outcomes recomputed with `levels` of their source item as 'Yes'."""
    out = df.copy()
    for name, derived in load_codebook().derived.items():
        source = df[derived.source]
        yes = source.astype(object).isin(levels)
        values = pd.Series(np.where(yes, "Yes", "No"), index=df.index).where(source.notna())
        out[name] = pd.Categorical(values, categories=["No", "Yes"])
    return out


def code_dont_know(df: pd.DataFrame, option: str, columns: list[str]) -> pd.DataFrame:
    """Missing answers of the exposure `columns` kept missing, or (option 'no') counted as 'No'."""
    if option == "missing":
        return df
    out = df.copy()
    for column in columns:
        out[column] = out[column].fillna("No")
    return out


def drop_sparse_levels(df: pd.DataFrame, option: str, columns: list[str], min_count: int) -> pd.DataFrame:
    """All rows ('keep'), or ('exclude') without respondents in a level of `columns` below `min_count`."""
    if option == "keep":
        return df
    keep = np.ones(len(df), dtype=bool)
    for column in columns:
        counts = df[column].value_counts()
        small = [level for level, count in counts.items() if 0 < count < min_count]
        keep &= ~df[column].isin(small).to_numpy()
    return df.loc[keep]


def _confounders() -> list[str]:
    book = load_codebook()
    return book.confounders("demographics") + book.confounders("job")


def prepare(df: pd.DataFrame, choices: dict, spec: Spec) -> pd.DataFrame:
    """The model data of one specification (its cut-point, "Don't know" coding, sparse levels)."""
    frame = recut(df, spec.cut_levels(choices["cut_point"]))
    frame = code_dont_know(frame, choices["dont_know"], list(exposures().values()))
    return drop_sparse_levels(frame, choices["sparse_levels"], _confounders(), spec.min_level_count())


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()).hexdigest()


# --- Fitting ------------------------------------------------------------------------------------
def model_covariates(outcome: str, exposure: str, level: str, adjust: str) -> tuple[list[str], list[str]]:
    """(covariates of the model, columns of the shared complete-case sample) for one fit."""
    sets = models.adjustment_sets(exposure, outcome)
    others = [e for e in exposures().values() if e != exposure] if adjust == "mutually_adjusted" else []
    covariates = [*others, *sets[level]]
    return covariates, [outcome, exposure, *others, *sets["Model 3"]]


def fit_one(frame: pd.DataFrame, outcome: str, exposure: str, level: str, adjust: str) -> pd.DataFrame:
    """The tidy frame of one grid model, fitted through the public API on the shared sample."""
    covariates, columns = model_covariates(outcome, exposure, level, adjust)
    shared = complete_cases(frame, columns)
    # On the covariate patterns with their counts: the same fit and n (helpers.analysis.patterns).
    collapsed, weight = collapse_frame(shared, columns)
    return models.logistic(collapsed, outcome, exposure, covariates, weights=weight)


def _or_row(tidy: pd.DataFrame | str, term: str, published: dict) -> dict:
    pub, (lo, hi) = float(published["value"]), (float(published["ci_low"]), float(published["ci_high"]))
    hits = tidy[tidy["term"] == term] if isinstance(tidy, pd.DataFrame) else None
    if hits is None or hits.empty:
        reason = tidy if isinstance(tidy, str) else f"term {term} not in the fitted model"
        return {
            "kind": "odds_ratio", "n": 0, "estimate": np.nan, "conf_low": np.nan, "conf_high": np.nan,
            "std_error": np.nan, "p_value": np.nan, "published": pub, "published_low": lo, "published_high": hi,
            "z": np.nan, "ci_width_ratio": np.nan, "decision_agrees": False, "status": "not computable",
            "method": reason,
        }  # fmt: skip
    hit = hits.iloc[0]
    scored = scorecard.odds_ratio_status(
        pub, lo, hi, float(hit["odds_ratio"]), float(hit["conf_low"]), float(hit["conf_high"])
    )
    return {
        "kind": "odds_ratio", "n": int(hit["n"]), "estimate": float(hit["odds_ratio"]),
        "conf_low": float(hit["conf_low"]), "conf_high": float(hit["conf_high"]),
        "std_error": float(hit["std_error"]), "p_value": float(hit["p_value"]),
        "published": pub, "published_low": lo, "published_high": hi,
        "z": scored["z"], "ci_width_ratio": scored["ci_width_ratio"],
        "decision_agrees": bool(scored["decision_agrees"]), "status": scored["status"], "method": str(hit["method"]),
    }  # fmt: skip


def _share_row(frame: pd.DataFrame, column: str, published: dict, decimals: int) -> dict:
    answered = frame[column].notna()
    count, n = int((frame.loc[answered, column] == "Yes").sum()), int(answered.sum())
    status, _ = scorecard.percentage_status(float(published["value"]), Fraction(100 * count, n), decimals)
    return {
        "kind": "percentage", "n": n, "estimate": 100 * count / n, "conf_low": np.nan, "conf_high": np.nan,
        "std_error": np.nan, "p_value": np.nan, "published": float(published["value"]),
        "published_low": np.nan, "published_high": np.nan, "z": np.nan, "ci_width_ratio": np.nan,
        "decision_agrees": status == "reproduced", "status": status, "method": "",
    }  # fmt: skip


_FRAMES: dict[str, pd.DataFrame] = {}


def _init_worker(frames: dict[str, pd.DataFrame]) -> None:
    _FRAMES.clear()
    _FRAMES.update(frames)


def _fit_task(task: tuple) -> pd.DataFrame | str:
    """The tidy frame of one fit, or why it could not be fitted (a grid row then says so)."""
    digest, outcome, exposure, level, adjust = task
    try:
        return fit_one(_FRAMES[digest], outcome, exposure, level, adjust)
    except (ValueError, KeyError, np.linalg.LinAlgError) as exc:
        return f"not fitted: {exc}"


def fit_grid(df: pd.DataFrame, spec: Spec | None = None, n_jobs: int = 1) -> pd.DataFrame:
    """One row per (specification, published figure): the choices, the estimate, its score.

    Fits are shared between specifications whose model data and formula coincide (identical
    inputs give identical fits), so choices that change nothing in a file cost nothing. With
    `n_jobs` > 1 the distinct fits run in that many processes; the result is the same.
    """
    spec = spec or load_spec()
    specs = specifications(spec)
    choice_keys = [c for c in specs.columns if c not in ("spec_id", "primary")]
    claims = load_claims().set_index("claim_id").to_dict("index")
    targets = {t["claim_id"]: t for t in load_targets()}
    exposure_of = exposures()
    records = specs.to_dict("records")
    # 1. the model data of each specification (shared by content) and the distinct fits needed
    variants: dict[tuple, str] = {}
    frames: dict[str, pd.DataFrame] = {}
    tasks: dict[tuple, None] = {}
    for record in records:
        key = tuple(record[k] for k in ("cut_point", "dont_know", "sparse_levels"))
        if key not in variants:
            frame = prepare(df, record, spec)
            variants[key] = _digest(frame)
            frames.setdefault(variants[key], frame)
        record["_digest"] = variants[key]
        for claim_id, exposure in exposure_of.items():
            outcome = spec.outcome(claim_id, record["outcome_map"])
            tasks.setdefault((record["_digest"], outcome, exposure, record["model_level"], record["exposures"]))
    # 2. the fits (in order; a process pool returns them in the same order)
    order = list(tasks)
    n_jobs = max(1, min(int(n_jobs or 1), len(order), process_budget()))
    if n_jobs == 1:
        _init_worker(frames)
        results = [_fit_task(t) for t in order]
    else:
        with ProcessPoolExecutor(max_workers=n_jobs, initializer=_init_worker, initargs=(frames,)) as pool:
            results = list(pool.map(_fit_task, order, chunksize=max(1, len(order) // (4 * n_jobs))))
    _FRAMES.clear()
    fits = dict(zip(order, results))
    # 3. one row per specification and published figure
    # Specifications that share a fit (or a cut-point) share its scored row: each is scored once.
    shares = {cut: recut(df, spec.cut_levels(cut)) for cut in spec["cut_point"].values}
    or_rows: dict[tuple, dict] = {}
    share_rows: dict[tuple, dict] = {}
    rows = []
    for record in records:
        digest = record.pop("_digest")
        for claim_id, exposure in exposure_of.items():
            outcome = spec.outcome(claim_id, record["outcome_map"])
            fit_key = (digest, outcome, exposure, record["model_level"], record["exposures"])
            if (fit_key, claim_id) not in or_rows:
                or_rows[fit_key, claim_id] = _or_row(fits[fit_key], targets[claim_id]["term"], claims[claim_id])
            rows.append({**record, "claim_id": claim_id, "outcome": outcome, **or_rows[fit_key, claim_id]})
        # Printed shares: the whole sample (descriptive), under this cut-point.
        for claim_id, column in SHARE_CLAIMS.items():
            cut = record["cut_point"]
            if (cut, claim_id) not in share_rows:
                decimals = int(targets[claim_id].get("decimals", 1))
                share_rows[cut, claim_id] = _share_row(shares[cut], column, claims[claim_id], decimals)
            rows.append({**record, "claim_id": claim_id, "outcome": column, **share_rows[cut, claim_id]})
    out = pd.DataFrame(rows, columns=["spec_id", *choice_keys, *RESULT_COLUMNS, "primary"])
    out["n"] = out["n"].astype(int)
    out.attrs["distinct_fits"] = len(order)
    return out


# --- Summaries ----------------------------------------------------------------------------------
def consistency(grid: pd.DataFrame) -> pd.DataFrame:
    """One row per specification: whether every published figure agrees (decision agrees and the
    scorecard status is not major), the largest |z| and how many figures agree."""
    choice_keys = [c for c in grid.columns if c not in ("spec_id", "primary", *RESULT_COLUMNS)]
    ok = grid["decision_agrees"].astype(bool) & (grid["status"] != "major")
    summary = (
        grid.assign(ok=ok, abs_z=grid["z"].abs())
        .groupby("spec_id", sort=True)
        .agg(
            **{k: (k, "first") for k in choice_keys},
            primary=("primary", "first"),
            agree=("ok", "sum"),
            figures=("ok", "size"),
            max_abs_z=("abs_z", "max"),
        )  # fmt: skip
        .reset_index()
    )
    summary["consistent"] = summary["agree"] == summary["figures"]
    return summary


def consistent_table(grid: pd.DataFrame):
    """The specifications consistent with every published figure, as a report table."""
    from helpers.review.scorecard import html_table

    summary = consistency(grid)
    shown = summary[summary["consistent"]].copy()
    shown["primary"] = shown["primary"].map({True: "primary", False: ""})
    shown["max_abs_z"] = shown["max_abs_z"].map(lambda v: f"{v:.2f}")
    shown = shown.drop(columns=["agree", "figures", "consistent"])
    shown.columns = [c.replace("_", " ") for c in shown.columns]
    return html_table(
        shown.rename(columns={"spec id": "Specification", "max abs z": "largest |z|"}), "tbl-consistent-gt"
    )


def primary_rows(grid: pd.DataFrame) -> pd.DataFrame:
    return grid[grid["primary"]].reset_index(drop=True)


def summary_sentence(grid: pd.DataFrame, synthetic: bool) -> str:
    """How many specifications agree with every published figure, and what that means here."""
    summary = consistency(grid)
    n, good = len(summary), int(summary["consistent"].sum())
    primary_ok = bool(summary.loc[summary["primary"], "consistent"].iloc[0])
    n_claims = grid["claim_id"].nunique()
    text = (
        f"Of the {n} specifications, {good} agree with all {n_claims} published figures they compute "
        f"(every significance decision the same, no major difference); the primary (assumed) specification "
        f"{'is' if primary_ok else 'is not'} among them."
    )
    if synthetic:
        text += (
            " On this synthetic file the primary agrees by construction (the data were calibrated to it); "
            "the other specifications show how far each open choice moves the figures, not which analysis the paper ran."
        )
    else:
        text += (
            " On this survey file the specifications that agree are the analyses that could have produced the paper."
        )
    return text


def decision_changes(grid: pd.DataFrame, spec: Spec | None = None) -> str:
    """For each published odds ratio: how many specifications change its significance decision,
    and the single-choice departures from the primary that do."""
    spec = spec or load_spec()
    primary = spec.primary()
    choice_keys = [k for k in spec.grid_choices()]
    ors = grid[grid["kind"] == "odds_ratio"]
    lines = []
    for claim_id, block in ors.groupby("claim_id", sort=False):
        flips = block[~block["decision_agrees"].astype(bool)]
        one_off = block[(block[choice_keys] != pd.Series(primary)[choice_keys]).sum(axis=1) == 1]
        single = [
            f"{k} = {r[k]}: {r['estimate']:.2f} ({r['conf_low']:.2f}-{r['conf_high']:.2f}), p = {r['p_value']:.2f}"
            for r in one_off.to_dict("records") if not r["decision_agrees"]
            for k in choice_keys if r[k] != primary[k]
        ]  # fmt: skip
        text = f"- `{claim_id}`: {len(flips)} of {len(block)} specifications change the significance decision"
        text += ("; one choice alone does it: " + "; ".join(single)) if single else "; no single change of choice does"
        lines.append(text + ".")
    return "\n".join(lines)


def claim_labels() -> dict[str, str]:
    """Claim id -> the published figure in words (the scorecard's 'Figure' column)."""
    return {c["claim_id"]: scorecard.plain_label(c["what"]) for c in scorecard.load_claims()}


def spec_curve(grid: pd.DataFrame):
    """Specification curve: each published odds ratio under every specification, sorted by size,
    with its 95% CI, the published OR and CI as a band, and the primary specification marked."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    from helpers.present import plots, style

    plots.use_report_style()
    ors = grid[grid["kind"] == "odds_ratio"]
    claim_ids = list(dict.fromkeys(ors["claim_id"]))
    fig, axes = plt.subplots(
        len(claim_ids), 1, figsize=(style.FIGURE_WIDTH, 2.0 * len(claim_ids)), layout="constrained"
    )
    colours = {True: style.OKABE_ITO["blue"], False: style.OKABE_ITO["vermillion"]}
    titles = claim_labels()  # plain language: the ids stay in claims.csv
    for ax, claim_id in zip(np.atleast_1d(axes), claim_ids):
        block = ors[ors["claim_id"] == claim_id].sort_values(["estimate", "spec_id"]).reset_index(drop=True)
        x = np.arange(len(block))
        first = block.iloc[0]
        ax.axhspan(first["published_low"], first["published_high"], color="#DDDDDD", zorder=0)
        ax.axhline(first["published"], color="#555555", linewidth=0.8, linestyle="--")
        ax.axhline(1, color=style.REFERENCE_LINE_COLOR, linewidth=0.6)
        for agrees in (True, False):
            part = block[block["decision_agrees"].astype(bool) == agrees]
            if len(part):
                ax.errorbar(part.index, part["estimate"],
                            yerr=[part["estimate"] - part["conf_low"], part["conf_high"] - part["estimate"]],
                            fmt="o", markersize=2.5, linewidth=0.6, capsize=0, color=colours[agrees],
                            label="decision agrees" if agrees else "decision differs")  # fmt: skip
        prim = block[block["primary"]]
        ax.plot(prim.index, prim["estimate"], "D", color="black", markersize=5, label="primary (assumed)")
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(mpl.ticker.FixedLocator(plots.NICE_RATIOS))
        ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
        ax.set_xlim(-1, len(x))
        ax.set_xticks([])
        ax.set_title(titles.get(claim_id, claim_id), fontsize=9, loc="left")
        ax.set_ylabel("OR", fontsize=8)
    np.atleast_1d(axes)[-1].set_xlabel(
        "specifications, sorted by odds ratio (grey band: published 95% CI; dashed: published OR)", fontsize=8
    )
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return plots.finish(fig)


# --- Output -------------------------------------------------------------------------------------
def csv_text(grid: pd.DataFrame) -> str:
    """specifications.csv as text: the scorecard's CSV conventions (floats %.4f, true/false)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(grid.columns))
    for record in grid.astype(object).itertuples(index=False):
        writer.writerow([scorecard._csv_cell(v) for v in record])
    return buffer.getvalue()


def protect_n(grid: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """The grid with `n` blank wherever it differs from the primary specification's n for the same
    figure, when small cells are suppressed (`min_count` > 0, real data).

    Two specifications' n differ by the respondents one of them drops (those in small confounder
    levels, those answering "Don't know"): a count of 1-4 that the tables hide would be their
    difference. The primary n is printed by the chapters anyway."""
    if min_count <= 0:
        return grid
    primary = grid[grid["primary"].astype(bool)].set_index("claim_id")["n"]
    same = grid["n"].to_numpy() == grid["claim_id"].map(primary).to_numpy()
    out = grid.copy()
    out["n"] = out["n"].astype("Int64").where(same, pd.NA)
    return out


def write_csv(grid: pd.DataFrame, folder: str | Path, min_count: int = 0) -> Path:
    """specifications.csv in `folder`; with `min_count` > 0 the n that could reveal a small count
    are blank (protect_n)."""
    path = Path(folder) / "specifications.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(protect_n(grid, min_count)), encoding="utf-8", newline="")
    return path
