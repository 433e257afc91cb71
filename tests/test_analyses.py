"""The chapter-level glue: published associations fitted once, and the sentences built from them."""

from __future__ import annotations

import pytest

from helpers.analysis import analyses, models
from helpers.present import narrative, report
from helpers.data.codebook import load_codebook


@pytest.fixture(scope="module")
def survey():
    return report.load(None)


@pytest.fixture(scope="module")
def logistic_fits(survey):
    return analyses.fit_associations(survey, kind="logistic")


def test_associations_follow_targets():
    logistic = analyses.associations("logistic")
    assert [a["exposure"] for a in logistic] == [
        "aware_info_standard",
        "shares_outcomes",
        "outcomes_inform_investment",
        "patient_record_access",
    ]
    ordinal = analyses.associations("ordinal")
    # uses_outcome_measures is binary: it has no ordinal model
    assert {a["outcome"] for a in ordinal} == {"patient_outcome_freq", "service_outcome_freq"}
    assert len(ordinal) == 3


def test_each_association_has_three_models_on_one_sample(logistic_fits):
    rows = models.exposure_rows(logistic_fits)
    assert len(rows) == 4 * 3
    for _, per_claim in rows.groupby("claim_id"):
        assert list(per_claim["model"]) == ["Model 1", "Model 2", "Model 3"]
        assert per_claim["n"].nunique() == 1


def test_exposure_rows_keep_only_the_exposure_term(logistic_fits):
    rows = models.exposure_rows(logistic_fits)
    assert all(term == f"{exposure}[Yes]" for term, exposure in zip(rows["term"], rows["exposure"]))


def test_null_predictor_tests_cover_every_confounder_but_not_the_exposure(survey):
    tests = analyses.null_predictor_tests(survey)
    book = load_codebook()
    confounders = set(book.confounders("demographics") + book.confounders("job"))
    for exposure, per_model in tests.groupby("exposure"):
        assert set(per_model["term"]) == confounders - {exposure}
    assert (tests["df"] >= 1).all() and tests["p_value"].between(0, 1).all()


def test_association_summary_quotes_model_3(logistic_fits):
    text = narrative.association_summary(logistic_fits)
    model3 = models.exposure_rows(logistic_fits).query("model == 'Model 3'")
    assert text.count("\n- ") == 4
    for row in model3.itertuples():
        assert f"OR {row.odds_ratio:.2f} (95% CI {row.conf_low:.2f} to {row.conf_high:.2f}" in text


def test_frequency_summary_counts_from_the_data(survey):
    text = narrative.frequency_summary(survey)
    often = int(survey["patient_outcome_freq"].isin(["Often", "Very often"]).sum())
    assert f"{often} of {len(survey)}" in text
