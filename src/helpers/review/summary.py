"""The report's one-page summary (the preface): the findings in numbers, computed from the data
at build time, what agreement with the paper means, and the synthetic-data caveat, said once.

The chapters compute the same numbers with the same functions and seed, so the summary and the
chapters cannot disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis import analyses, models
from helpers.review import compare2023, scorecard
from helpers.present import narrative, prose
from helpers.analysis.sensitivity import all_sensitivity
from helpers.analysis.simulation import published_estimands

__all__ = ["front_page", "findings", "agreement"]


def _share(df: pd.DataFrame, column: str) -> str:
    answered = df[column].dropna()
    return prose.count_of(int((answered == "Yes").sum()), len(answered))


def agreement(df: pd.DataFrame) -> str:
    """What agreement with the paper means for the data this edition ran on (the caveat, once)."""
    if prose.is_synthetic(df):
        return (
            f"**What agreement means.** This edition ran on a synthetic file of {len(df):,} invented "
            "respondents, calibrated to the figures printed in the paper's abstract. Agreement with the paper "
            "is therefore true by construction: it shows that the code reproduces the published analysis path, "
            "not that the paper's findings hold. Run on the real survey file, the same scorecard becomes a "
            "genuine test."
        )
    return f"**What agreement means.** {scorecard.GENUINE_TEST}"


def findings(df: pd.DataFrame, seed: int = 2025) -> list[str]:
    """The headline results as Markdown bullets."""
    scored = scorecard.score(scorecard.load_claims(), scorecard.reproduce_claims(df))
    counts = scorecard.status_counts(scored)
    fits = analyses.fit_associations(df, kind="logistic")
    labels = narrative.association_labels(fits)
    rows = models.exposure_rows(fits)
    model3 = rows[rows["model"] == "Model 3"]
    ors = [
        f"{labels[r.exposure]}: {prose.odds_ratio(r.odds_ratio, r.conf_low, r.conf_high)}" for r in model3.itertuples()
    ]
    sensitivity = all_sensitivity(df, published_estimands(), seed=seed)
    alternatives = sensitivity[~sensitivity["primary"].astype(bool)]
    primary_side = {
        name: np.sign(np.log(block.loc[block["primary"].astype(bool), "odds_ratio"].iloc[0]))
        for name, block in sensitivity.groupby("estimand", sort=False)
    }
    same = int(sum(np.sign(np.log(r.odds_ratio)) == primary_side[r.estimand] for r in alternatives.itertuples()))
    comparison = compare2023.compare(df)
    waves = [
        f"{r.what} {r.value_2023:.0f}% in 2023, {r.value_2025:.1f}% here"
        for r in comparison[comparison["comparable"]].itertuples()
    ]
    return [
        f"**Reproduction:** {counts['reproduced']} of the {len(scored)} figures printed in the abstract are "
        f"reproduced ({counts['minor']} minor and {counts['major']} major differences, "
        f"{counts['not computable']} not computable).",
        f"**Recording:** {_share(df, 'patient_outcomes_often')} link workers record patient-level outcomes often "
        f"or very often, {_share(df, 'service_outcomes_often')} service-level outcomes.",
        "**Predictors** (fully adjusted Model 3 odds ratios, logistic regression):\n"
        + "\n".join(f"    - {o}" for o in ors),
        f"**Robustness:** across other estimators, missing-data handling and cut-points, {same} of "
        f"{len(alternatives)} alternative odds ratios lie on the same side of 1 as the primary estimate "
        "(sensitivity analyses).",
        f"**Against 2023** (different samples, not a measure of change): {'; '.join(waves)}.",
    ]


def front_page(df: pd.DataFrame, seed: int = 2025) -> str:
    """The summary section of the preface (Markdown)."""
    bullets = "\n".join(f"- {b}" for b in findings(df, seed))
    return f"## Summary {{#sec-summary}}\n\n{bullets}\n\n{agreement(df)}"
