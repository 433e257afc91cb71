"""The report's sentences: each function turns a computed result into Markdown for one chapter.

Notebooks display these with `display(Markdown(...))`, so every number in the prose comes from
the data at build time.
"""

from __future__ import annotations

import hashlib
import importlib.metadata

import pandas as pd

from helpers import paths
from helpers.analysis import describe, models
from helpers.present import disclosure, prose
from helpers.data.codebook import load_codebook, lower_first

FREQUENCY_ITEMS = ["patient_outcome_freq", "service_outcome_freq"]
MEASURE_COLUMNS = load_codebook().option_set("measures")
HELP_COLUMNS = load_codebook().option_set("helps")
TABLE_ONE_COLUMNS = (
    load_codebook().confounders("demographics")
    + load_codebook().confounders("job")
    + load_codebook().by_role("exposure")
)
# Packages whose versions the preface lists (the ones that compute or render results).
# The libraries that compute or render this edition (each imported by the project's code).
REPORTED_PACKAGES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "firthmodels",
    "pandera",
    "matplotlib",
    "great-tables",
    "papermill",
    "jupytext",
    "pypandoc-binary",
    "typst",
)

data_statement = prose.data_statement


def provenance(df: pd.DataFrame, seed: int) -> str:
    """What this edition was built from: the data file's sha256, the seed and the lock's digest
    (no dates, no paths: the same inputs give the same text on any machine)."""
    lock = hashlib.sha256(paths.LOCK.read_bytes()).hexdigest() if paths.LOCK.exists() else "absent"
    return (
        "Built from:\n\n"
        f"- data file `{df.attrs.get('file', '?')}`, sha256 `{df.attrs.get('sha256', '?')}`\n"
        f"- random seed {seed} (synthetic generation, simulations, imputation)\n"
        f"- environment `requirements.lock`, sha256 `{lock}` (every installed distribution, pinned with hashes)"
    )


def software_versions() -> str:
    rows = [f"| {name} | {importlib.metadata.version(name)} |" for name in REPORTED_PACKAGES]
    return "Software used to build this edition:\n\n| package | version |\n|---|---|\n" + "\n".join(rows)


def sample_summary(df: pd.DataFrame) -> str:
    codebook = load_codebook()
    return (
        f"The analysed sample is {len(df):,} respondents: {codebook.population[0].lower()}{codebook.population[1:]}. "
        f"Percentages in this report use as denominator those who answered the question, "
        f"so a denominator below {len(df):,} means some did not answer or were not asked."
    )


def frequency_summary(df: pd.DataFrame, min_count: int = 0) -> str:
    patient = _yes(df, "patient_outcomes_often")
    service = _yes(df, "service_outcomes_often")
    # the same disclosure control as the frequency table and figure of these items
    items = disclosure.protect_frequencies(
        frequency_items_table(df), min_count, published_sums=disclosure.derived_sums()
    )
    never = items.loc[
        (items["item"] == load_codebook().label("patient_outcome_freq")) & (items["level"] == "Never")
    ].iloc[0]
    never_text = (
        f"{disclosure.MARKER} (a suppressed count) of {int(never['denominator']):,}"
        if never["suppressed"]
        else prose.count_of(int(never["n"]), int(never["denominator"]))
    )
    return (
        f"{prose.count_of(*patient, min_count=min_count)} link workers record or monitor patient-level outcomes often or "
        f"very often, and {prose.count_of(*service, min_count=min_count)} do so for service-level outcomes. "
        f"{never_text} never record patient-level outcomes."
    )


def frequency_items_table(df: pd.DataFrame) -> pd.DataFrame:
    """Both frequency items as one long frequency table (item, level, n, denominator, percent, CI)."""
    parts = []
    for column in FREQUENCY_ITEMS:
        table = describe.frequency_table(df, column)
        table.insert(0, "item", load_codebook().label(column))
        parts.append(table)
    return pd.concat(parts, ignore_index=True)


def _yes(df: pd.DataFrame, column: str) -> tuple[int, int]:
    answered = df[column].dropna()
    return int((answered == "Yes").sum()), len(answered)


def measures_summary(df: pd.DataFrame, measures: pd.DataFrame, min_count: int = 0) -> str:
    top = measures.iloc[0]
    return (
        f"{prose.count_of(*_yes(df, 'uses_outcome_measures'), min_count=min_count)} use quantitative outcome measures, and "
        f"{prose.count_of(*_yes(df, 'captures_qualitative'), min_count=min_count)} capture qualitative data. Among the "
        f"{int(top['denominator']):,} measure users, the most used measure is {top['label']}, "
        f"used by {prose.count_of(int(top['n']), int(top['denominator']), min_count=min_count, both_sides=False)}; "
        "@fig-measures shows the others."
    )


def timing_summary(timing: pd.DataFrame) -> str:
    rows = timing.set_index("level")
    denominator = int(rows["denominator"].iloc[0])
    hidden = rows["suppressed"] if "suppressed" in rows.columns else pd.Series(False, index=rows.index)
    parts = [
        f"{disclosure.MARKER if hidden[level] else prose.percent(rows.loc[level, 'percent'])} {level.lower()}"
        for level in rows.index
    ]
    return f"Of the {denominator:,} respondents asked when they record outcomes, {prose.listing(parts)} (@fig-timing)."


def association_labels(fits: pd.DataFrame) -> dict[str, str]:
    """Exposure column -> 'label -> outcome label' for tables and plots."""
    codebook = load_codebook()
    pairs = fits[["exposure", "outcome"]].drop_duplicates()
    return {row.exposure: codebook.association_label(row.exposure, row.outcome) for row in pairs.itertuples()}


def association_summary(fits: pd.DataFrame) -> str:
    """One bullet per association: its fully adjusted (Model 3) odds ratio and sample size."""
    rows = models.exposure_rows(fits)
    model3 = rows[rows["model"] == "Model 3"]
    labels = association_labels(fits)
    bullets = [
        f"- {labels[row.exposure]}: {prose.odds_ratio(row.odds_ratio, row.conf_low, row.conf_high, row.p_value)}, "
        f"n = {int(row.n):,}"
        + (" (Firth-penalised fit)" if row.method == "firth" else "")
        + (f". Note: {row.warning}" if row.warning else "")
        for row in model3.itertuples()
    ]
    return "Fully adjusted (Model 3) odds ratios, each on its complete-case sample:\n\n" + "\n".join(bullets)


def null_summary(null_tests: pd.DataFrame) -> str:
    significant = null_tests[null_tests["p_value"] < 0.05]
    codebook = load_codebook()
    if significant.empty:
        return (
            f"None of the {null_tests['term'].nunique()} confounders tested is jointly significant "
            f"(all p ≥ 0.05) in any of the {null_tests['outcome'].nunique()} outcome models."
        )
    named = [
        f"{lower_first(codebook.label(r.term))} ({lower_first(codebook.label(r.outcome))}, {prose.p_text(r.p_value)})"
        for r in significant.itertuples()
    ]
    return f"Jointly significant at the 5% level: {prose.listing(named)}."


def brant_summary(brant: pd.DataFrame) -> str:
    """What the valid Brant tests say: the omnibus test of each model where it is computable,
    else the omnibus test without the terms that are not (never a number that is not a test)."""
    codebook = load_codebook()
    omnibus = brant[brant["term"].str.startswith("Omnibus") & brant["computable"]]
    omnibus = omnibus.groupby("exposure", sort=False).head(1)
    not_computable = brant[~brant["computable"] & ~brant["term"].str.startswith("Omnibus")]
    sentences = []
    if not not_computable.empty:
        terms = [models.term_label(t) if "[" in t else codebook.label(t) for t in dict.fromkeys(not_computable["term"])]
        sentences.append(
            f"The test is not computable for {prose.listing(terms)} "
            f"({not_computable['reason'].iloc[0].removeprefix('not computable: ')}); "
            f"the 'Omnibus without' rows leave such terms out."
        )
    failing = omnibus[omnibus["p_value"] < 0.05]
    if failing.empty:
        sentences.append(
            f"Of the computable omnibus tests, none rejects proportional odds "
            f"({len(omnibus)} model{'s' if len(omnibus) != 1 else ''}, every p ≥ 0.05)."
        )
    else:
        named = [f"{lower_first(codebook.label(r.exposure))} ({prose.p_text(r.p_value)})" for r in failing.itertuples()]
        sentences.append(
            f"The omnibus Brant test rejects proportional odds for the models of {prose.listing(named)}: "
            f"their ordinal odds ratios average over cut-points that differ (see the Robustness chapter)."
        )
    return " ".join(sentences)


def helps_summary(helps: pd.DataFrame, min_count: int = 0) -> str:
    ranked = helps[helps["option"] != "helps_none"]
    first, second = ranked.iloc[0], ranked.iloc[1]
    second_share = (
        disclosure.MARKER if disclosure.primary([second["n"]], min_count)[0] else prose.percent(second["percent"])
    )
    return (
        f"The most chosen option is {lower_first(first['label'])} "
        f"({prose.count_of(int(first['n']), int(first['denominator']), min_count=min_count, both_sides=False)}), "
        f"followed by {lower_first(second['label'])} ({second_share})."
    )
