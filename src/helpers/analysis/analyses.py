"""The paper's associations, fitted once per chapter: one stacked tidy frame feeds tables, plots and prose."""

from __future__ import annotations

import pandas as pd

from helpers.analysis import brant, patterns
from helpers.data.codebook import load_codebook
from helpers.analysis.spec import odds_ratio_table


def associations(kind: str = "logistic") -> list[dict]:
    """The published associations (claim id, outcome, exposure): the odds ratios of
    helpers.analysis.spec.odds_ratio_table, each outcome as the primary specification maps it.

    For `kind='ordinal'`, the outcome becomes the five-level item it was cut from (the codebook's
    derived variables); associations whose outcome has no ordinal form are left out.
    """
    derived = load_codebook().derived
    found = []
    for row in odds_ratio_table().itertuples():
        outcome = str(row.outcome)
        if kind == "ordinal":
            if outcome not in derived:
                continue
            outcome = derived[outcome].source
        found.append({"claim_id": str(row.claim_id), "outcome": outcome, "exposure": str(row.exposure)})
    return found


def fit_associations(df: pd.DataFrame, kind: str = "logistic") -> pd.DataFrame:
    """Models 1-3 of every published association, stacked, tagged with claim id, outcome and exposure."""
    frames = []
    for assoc in associations(kind):
        tidy = patterns.sequential(df, assoc["outcome"], assoc["exposure"], kind=kind)
        frames.append(tidy.assign(**assoc))
    return pd.concat(frames, ignore_index=True)


def _model3_covariates(exposure: str) -> list[str]:
    codebook = load_codebook()
    return [c for c in codebook.confounders("demographics") + codebook.confounders("job") if c != exposure]


def null_predictor_tests(df: pd.DataFrame) -> pd.DataFrame:
    """Joint Wald test of each confounder in the Model 3 of every published logistic association."""
    frames = []
    for assoc in associations("logistic"):
        covariates = _model3_covariates(assoc["exposure"])
        frames.append(
            patterns.wald_test_terms(
                df, assoc["outcome"], assoc["exposure"], covariates, kind="logistic", terms=covariates
            )
        )
    return pd.concat(frames, ignore_index=True)


SPARSE_EXCLUDED = "Omnibus, respondents of sparse levels excluded (sensitivity)"


def brant_tests(df: pd.DataFrame) -> pd.DataFrame:
    """The Brant test of proportional odds for the Model 3 of every ordinal association.

    Stated rule for sparse levels (a level with an empty outcome cell): its term is not tested
    and the omnibus test is taken over the other terms ("Omnibus without ..."). The other
    choice, dropping those respondents and refitting, is added as a sensitivity row."""
    frames = []
    for assoc in associations("ordinal"):
        covariates = _model3_covariates(assoc["exposure"])
        test = patterns.brant_test(df, assoc["outcome"], assoc["exposure"], covariates)
        frames.append(test.assign(outcome=assoc["outcome"], exposure=assoc["exposure"]))
        sparse = [t for t in test.loc[~test["computable"], "term"] if "[" in t and not t.startswith("Omnibus")]
        if sparse:
            keep = pd.Series(True, index=df.index)
            for term in sparse:
                column, level = term[:-1].split("[", 1)
                keep &= df[column].astype(object) != level
            subset = df[keep].copy()
            for column in {t.split("[", 1)[0] for t in sparse}:
                subset[column] = subset[column].cat.remove_unused_categories()
            try:
                refit = patterns.brant_test(subset, assoc["outcome"], assoc["exposure"], covariates)
                omnibus = refit[refit["term"] == "Omnibus"].assign(term=SPARSE_EXCLUDED)
            except ValueError as exc:  # e.g. a covariate left with one level: no test, say why
                omnibus = test.iloc[[0]].assign(
                    term=SPARSE_EXCLUDED,
                    chi2=float("nan"),
                    p_value=float("nan"),
                    computable=False,
                    reason=f"{brant.NOT_COMPUTABLE}: {exc}",
                    n=int(keep.sum()),
                )
            frames.append(omnibus.assign(outcome=assoc["outcome"], exposure=assoc["exposure"]))
    return pd.concat(frames, ignore_index=True)
