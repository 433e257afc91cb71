"""Each chapter's Recap: what the chapter found, in numbers, from the frames it computed.

One function per chapter, each returning Markdown bullets. They say the result ("the odds ratio
of X is 2.29"), not where it is ("Table 3.1 shows ...").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.present import disclosure, narrative, prose
from helpers.analysis import models
from helpers.review import scorecard
from helpers.present.alt_text import short_label
from helpers.data.codebook import load_codebook

__all__ = ["data", "patterns", "logistic", "ordinal", "solutions", "scorecard_recap", "comparison", "robustness"]


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {i}" for i in items if i)


def _model3(fits: pd.DataFrame) -> list[str]:
    rows = models.exposure_rows(fits)
    labels = narrative.association_labels(fits)
    model3 = rows[rows["model"] == "Model 3"]
    return [
        f"{short_label(labels[r.exposure])} {r.odds_ratio:.2f} ({r.conf_low:.2f} to {r.conf_high:.2f})"
        for r in model3.itertuples()
    ]


def _shift(fits: pd.DataFrame) -> float:
    rows = models.exposure_rows(fits).pivot_table(index="exposure", columns="model", values="estimate")
    return float(100 * (np.exp((rows["Model 3"] - rows["Model 1"]).abs().max()) - 1))


def data(df: pd.DataFrame) -> str:
    codebook = load_codebook()
    answered = df[narrative.TABLE_ONE_COLUMNS].notna().sum()
    fewest = answered.idxmin()
    return _bullets(
        [
            f"{len(df):,} respondents are analysed"
            + (
                " (all invented: the bundled synthetic file)."
                if prose.is_synthetic(df)
                else f", from `{df.attrs.get('file', '?')}`."
            ),
            f"The least answered characteristic, {codebook.label(fewest).lower()}, has {int(answered[fewest]):,} "
            f"answers of {len(df):,}; percentages use those who answered as denominator.",
        ]
    )


def patterns(df: pd.DataFrame, measures: pd.DataFrame, timing: pd.DataFrame, min_count: int = 0) -> str:
    def share(column):
        answered = df[column].dropna()
        return prose.count_of(int((answered == "Yes").sum()), len(answered), min_count=min_count)

    measured = measures.dropna(subset=["percent"])  # suppressed cells have no percentage
    timed = timing.dropna(subset=["percent"]).sort_values("percent", ascending=False, kind="stable")
    lines = [
        f"{share('patient_outcomes_often')} record patient-level outcomes often or very often; "
        f"{share('service_outcomes_often')} do so for service-level outcomes.",
        f"{share('uses_outcome_measures')} use quantitative measures"
        + (
            f"; among them {measured.iloc[0]['label']} is the most used ({prose.percent(measured.iloc[0]['percent'], 0)})."
            if len(measured)
            else "; the shares of each measure are suppressed (small cells)."
        ),
    ]
    if len(timed):
        when = timed.iloc[0]
        lines.append(
            f"The most common time to record is {str(when['level']).lower()} ({prose.percent(when['percent'], 0)} of "
            f"{int(when['denominator']):,} asked)."
        )
    else:
        lines.append("The shares of when outcomes are recorded are suppressed (small cells).")
    return _bullets(lines)


def logistic(fits: pd.DataFrame, null_tests: pd.DataFrame) -> str:
    significant = int((null_tests["p_value"] < 0.05).sum())
    return _bullets(
        [
            "Fully adjusted (Model 3) odds ratios, 95% CI: " + "; ".join(_model3(fits)) + ".",
            f"Adjusting for demographics and job characteristics moves no odds ratio by more than {_shift(fits):.0f}%.",
            f"{significant} of {len(null_tests)} joint tests of the other characteristics reach p < 0.05"
            + (": as the paper says, they do not predict outcome reporting." if significant == 0 else "."),
        ]
    )


def ordinal(fits: pd.DataFrame, brant: pd.DataFrame) -> str:
    omnibus = (
        brant[brant["term"].str.startswith("Omnibus") & brant["computable"]].groupby("exposure", sort=False).head(1)
    )
    rejected = int((omnibus["p_value"] < 0.05).sum())
    return _bullets(
        [
            "On the whole five-level scale, Model 3 odds ratios (95% CI): " + "; ".join(_model3(fits)) + ".",
            f"The Brant test rejects proportional odds in {rejected} of {len(omnibus)} models (p < 0.05)"
            + (
                "; the ordinal odds ratios are a fair one-number summary."
                if rejected == 0
                else "; there the ordinal odds ratio averages cut-points that differ."
            ),
        ]
    )


def solutions(helps: pd.DataFrame, min_count: int = 0) -> str:
    ranked = helps[helps["option"] != "helps_none"].head(3)
    hidden = disclosure.primary(list(ranked["n"]), min_count)
    parts = [
        f"{r.label.lower()} ({disclosure.MARKER if h else prose.percent(r.percent, 0)})"
        for r, h in zip(ranked.itertuples(), hidden)
    ]
    return _bullets(
        [
            f"The three most chosen kinds of help: {prose.listing(parts)}.",
            "The answer options are this report's assumption: the abstract does not list them.",
        ]
    )


def scorecard_recap(scored: pd.DataFrame, df: pd.DataFrame) -> str:
    meaning = scorecard.TRUE_BY_CONSTRUCTION if prose.is_synthetic(df) else scorecard.GENUINE_TEST
    return _bullets([scorecard.summary_sentence(scored), meaning])


def comparison(table: pd.DataFrame, df: pd.DataFrame) -> str:
    rows = table[table["comparable"]]
    parts = [
        f"{r.what}: {r.value_2023:.0f}% → {r.value_2025:.1f}% ({r.difference:+.1f} points, 95% CI "
        f"{r.diff_low_rounding:+.1f} to {r.diff_high_rounding:+.1f})"
        for r in rows.itertuples()
    ]
    return _bullets(
        [
            f"{len(rows)} of the {len(table)} 2023 headline figures have a comparable 2025 item: "
            + "; ".join(parts)
            + ".",
            "Different samples and wording: descriptive contrasts, not a test of change.",
            "On the synthetic data the 2025 values are calibration targets, so the differences test the code only."
            if prose.is_synthetic(df)
            else "",
        ]
    )


def robustness(
    simulation: pd.DataFrame,
    scenarios: pd.DataFrame,
    power: pd.DataFrame,
    sensitivity: pd.DataFrame,
    labels: dict[str, str] | None = None,
) -> str:
    alternatives = sensitivity[~sensitivity["primary"].astype(bool)]
    side = {
        name: np.sign(np.log(block.loc[block["primary"].astype(bool), "odds_ratio"].iloc[0]))
        for name, block in sensitivity.groupby("estimand", sort=False)
    }
    same = int(sum(np.sign(np.log(r.odds_ratio)) == side[r.estimand] for r in alternatives.itertuples()))
    worst = scenarios.loc[scenarios["bias"].abs().idxmax()]
    labels = labels or {}
    return _bullets(
        [
            f"Model 3 recovers a known model: 95% intervals covered the true odds ratio in "
            f"{prose.percent(100 * simulation['coverage'].min())} to {prose.percent(100 * simulation['coverage'].max())} "
            f"of {int(simulation['replicates'].max()):,} replicates.",
            f"Misspecification can move the estimates: the largest bias, {worst['bias']:+.2f} on the log-OR scale, "
            f"comes from {str(worst['label']).lower()}.",
            "Smallest odds ratios the design detects with 80% power: "
            + "; ".join(f"{short_label(labels.get(r.estimand, r.estimand))} {r.mdor:.2f}" for r in power.itertuples())
            + ".",
            f"{same} of {len(alternatives)} alternative analyses keep the odds ratio on the same side of 1 as the "
            "primary (assumed) specification.",
        ]
    )
