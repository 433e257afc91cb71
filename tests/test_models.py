"""Behaviour of the model helpers on survey-shaped toy data: sequential models, terms, reference
levels, complete cases, weights, separation and the Firth fallback, joint Wald tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import models
from helpers.data.codebook import load_codebook

YES_NO = pd.CategoricalDtype(["No", "Yes"])


def make_survey(n: int = 409, seed: int = 11) -> pd.DataFrame:
    """A survey-shaped frame: every codebook column with its codebook dtype, an outcome that
    depends on the exposure, a few missing answers in the confounders."""
    book = load_codebook()
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"respondent_id": [f"R{i:04d}" for i in range(n)]})
    for name, variable in book.variables.items():
        if variable.type == "id":
            continue
        levels = list(variable.levels)
        frame[name] = pd.Categorical(rng.choice(levels, size=n), categories=levels, ordered=variable.ordered)
    aware = (frame["aware_info_standard"] == "Yes").to_numpy()
    latent = 0.9 * aware + rng.logistic(size=n)
    codes = np.searchsorted([-1.5, -0.6, 0.3, 1.4], latent)
    frame["patient_outcome_freq"] = pd.Categorical.from_codes(
        codes, categories=list(book["patient_outcome_freq"].levels), ordered=True
    )
    often = np.isin(codes, [3, 4])
    frame["patient_outcomes_often"] = pd.Categorical(np.where(often, "Yes", "No"), dtype=YES_NO)
    frame.loc[[3, 50, 77], "age_group"] = np.nan
    frame.loc[[5, 60], "employer_type"] = np.nan
    return frame


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return make_survey()


# ---------------------------------------------------------------------------------- frame shape


def test_tidy_columns_and_terms(survey):
    tidy = models.logistic(survey, "patient_outcomes_often", "aware_info_standard")
    assert list(tidy.columns) == models.TIDY_COLUMNS + ["outcome", "exposure"]
    assert list(tidy["term"]) == ["(Intercept)", "aware_info_standard[Yes]"]
    row = tidy.iloc[1]
    assert row["odds_ratio"] == pytest.approx(np.exp(row["estimate"]))
    assert row["method"] == "ml" and row["warning"] == ""
    assert row["n"] == len(survey)


def test_reference_is_first_category_and_strings_sort(survey):
    tidy = models.logistic(survey, "patient_outcomes_often", "education")
    assert list(tidy["term"]) == ["(Intercept)", "education[Degree]", "education[Postgraduate]"]
    as_strings = survey.assign(education=survey["education"].astype(str))
    tidy = models.logistic(as_strings, "patient_outcomes_often", "education")
    # Plain strings: levels sorted, 'Below degree' first.
    assert list(tidy["term"]) == ["(Intercept)", "education[Degree]", "education[Postgraduate]"]
    reordered = survey.assign(
        education=survey["education"].cat.reorder_categories(["Postgraduate", "Below degree", "Degree"])
    )
    tidy = models.logistic(reordered, "patient_outcomes_often", "education")
    assert list(tidy["term"])[1:] == ["education[Below degree]", "education[Degree]"]


def test_numeric_bool_and_01_outcomes():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=300), "flag": rng.random(300) < 0.5})
    frame["y"] = (rng.random(300) < 1 / (1 + np.exp(-frame["x"]))).astype(int)
    by_int = models.logistic(frame, "y", "x", ["flag"])
    by_bool = models.logistic(frame.assign(y=frame["y"].astype(bool)), "y", "x", ["flag"])
    by_cat = models.logistic(
        frame.assign(y=pd.Categorical(np.where(frame["y"] == 1, "Yes", "No"), dtype=YES_NO)), "y", "x", ["flag"]
    )
    assert list(by_int["term"]) == ["(Intercept)", "x", "flag[True]"]
    np.testing.assert_allclose(by_int["estimate"], by_bool["estimate"])
    np.testing.assert_allclose(by_int["estimate"], by_cat["estimate"])


def test_event_is_last_level(survey):
    flipped = survey.assign(
        patient_outcomes_often=survey["patient_outcomes_often"].cat.reorder_categories(["Yes", "No"])
    )
    a = models.logistic(survey, "patient_outcomes_often", "aware_info_standard")
    b = models.logistic(flipped, "patient_outcomes_often", "aware_info_standard")
    assert a["estimate"].iloc[1] == pytest.approx(-b["estimate"].iloc[1])


def test_complete_cases_and_weights_n(survey):
    tidy = models.logistic(survey, "patient_outcomes_often", "aware_info_standard", ["age_group", "employer_type"])
    assert set(tidy["n"]) == {len(survey) - 5}
    weighted = survey.assign(w=2)
    tidy = models.logistic(weighted, "patient_outcomes_often", "aware_info_standard", weights="w")
    assert set(tidy["n"]) == {2 * len(survey)}


def test_exposure_not_its_own_covariate(survey):
    tidy = models.logistic(survey, "patient_outcomes_often", "training", ["training", "education"])
    assert list(tidy["term"]) == ["(Intercept)", "training[Yes]", "education[Degree]", "education[Postgraduate]"]


def test_absent_level_dropped_with_warning(survey):
    data = survey.loc[survey["gender"] != "Another gender"]
    tidy = models.logistic(data, "patient_outcomes_often", "aware_info_standard", ["gender"])
    assert "gender[Another gender]" not in set(tidy["term"])
    assert "Another gender" in tidy["warning"].iloc[0]


def test_single_level_outcome_raises(survey):
    data = survey.loc[survey["patient_outcomes_often"] == "Yes"]
    with pytest.raises(ValueError, match="single level"):
        models.logistic(data, "patient_outcomes_often", "aware_info_standard")


# ----------------------------------------------------------------------------------- ordinal


def test_ordinal_terms_thresholds_and_sign(survey):
    tidy = models.ordinal(survey, "patient_outcome_freq", "aware_info_standard")
    assert list(tidy["term"]) == [
        "aware_info_standard[Yes]",
        "Never|Rarely",
        "Rarely|Sometimes",
        "Sometimes|Often",
        "Often|Very often",
    ]
    assert np.all(np.diff(tidy["estimate"].iloc[1:]) > 0)  # cut-points increase
    # Simulated with +0.9 on the latent scale: polr's sign makes the log-OR positive.
    assert tidy["estimate"].iloc[0] == pytest.approx(0.9, abs=0.35)


def test_ordinal_requires_ordered_outcome(survey):
    with pytest.raises(TypeError):
        models.ordinal(survey, "patient_outcomes_often", "aware_info_standard")


def test_ordinal_empty_cell_flagged():
    rng = np.random.default_rng(5)
    n = 300
    x = rng.random(n) < 0.5
    y = rng.integers(0, 4, n)
    y[x & (y == 0)] = 1  # nobody exposed in the lowest category
    frame = pd.DataFrame(
        {
            "y": pd.Categorical.from_codes(y, categories=list("ABCD"), ordered=True),
            "x": pd.Categorical(np.where(x, "Yes", "No"), dtype=YES_NO),
        }
    )
    tidy = models.ordinal(frame, "y", "x")
    assert "empty cell in x x y" in tidy["warning"].iloc[0]
    assert set(tidy["method"]) == {"ml"}


# ------------------------------------------------------------------------------ sequential


def test_sequential_shared_sample_and_terms(survey):
    seq = models.sequential(survey, "patient_outcomes_often", "aware_info_standard")
    book = load_codebook()
    assert list(seq.columns[:2]) == ["model", "term"]
    assert list(dict.fromkeys(seq["model"])) == ["Model 1", "Model 2", "Model 3"]
    # One shared complete-case sample: rows missing age_group or employer_type dropped everywhere.
    assert set(seq["n"]) == {len(survey) - 5}
    terms = {m: list(g["term"]) for m, g in seq.groupby("model")}
    assert terms["Model 1"] == ["(Intercept)", "aware_info_standard[Yes]"]
    cols = lambda ts: {models.parse_term(t)[0] for t in ts} - {"(Intercept)"}
    assert cols(terms["Model 2"]) == {"aware_info_standard", *book.confounders("demographics")}
    assert cols(terms["Model 3"]) == {
        "aware_info_standard",
        *book.confounders("demographics"),
        *book.confounders("job"),
    }
    # Model 1 on the shared sample equals a direct fit on those rows.
    shared = survey.dropna(subset=["age_group", "employer_type"])
    direct = models.logistic(shared, "patient_outcomes_often", "aware_info_standard")
    np.testing.assert_allclose(seq.loc[seq["model"] == "Model 1", "estimate"], direct["estimate"])


def test_sequential_ordinal_and_exposure_in_confounder_group(survey):
    seq = models.sequential(survey, "patient_outcome_freq", "training", kind="ordinal")
    m3 = seq.loc[seq["model"] == "Model 3", "term"].tolist()
    assert m3.count("training[Yes]") == 1
    assert "Never|Rarely" in m3
    assert len(set(seq["n"])) == 1


def test_adjustment_sets_custom_groups():
    sets = models.adjustment_sets("a", "y", demographics=["b", "a"], job=["c", "y"])
    assert sets == {"Model 1": [], "Model 2": ["b"], "Model 3": ["b", "c"]}


def test_exposure_rows_pick_the_exposure_per_analysis(survey):
    seq = pd.concat(
        [
            models.sequential(survey, "patient_outcomes_often", "aware_info_standard"),
            models.sequential(survey, "patient_outcomes_often", "education"),
        ],
        ignore_index=True,
    )
    rows = models.exposure_rows(seq)
    assert len(rows) == 3 * 1 + 3 * 2
    assert set(rows["term"]) == {"aware_info_standard[Yes]", "education[Degree]", "education[Postgraduate]"}
    only = models.exposure_rows(seq, "education")
    # education is a Model 3 covariate of the first analysis too: 3 + 3*2 rows
    assert len(only) == 1 * 2 + 3 * 2


# ------------------------------------------------------------------------- separation/Firth


def toy_separation(n_per_cell: int = 10) -> pd.DataFrame:
    x = ["No"] * 2 * n_per_cell + ["Yes"] * 2 * n_per_cell
    y = ["No"] * 2 * n_per_cell + ["Yes"] * 2 * n_per_cell  # complete separation
    return pd.DataFrame({"x": pd.Categorical(x, dtype=YES_NO), "y": pd.Categorical(y, dtype=YES_NO)})


def test_complete_separation_detected_and_firth_used():
    tidy = models.logistic(toy_separation(), "y", "x")
    assert set(tidy["method"]) == {"firth"}
    warning = tidy["warning"].iloc[0]
    assert "separation detected" in warning and "Firth" in warning and "empty cell" in warning
    row = tidy.set_index("term").loc["x[Yes]"]
    assert np.isfinite(row["estimate"]) and np.isfinite(row["conf_high"])
    # One binary covariate (saturated 2x2): Firth = add 1/2 to every cell (Haldane):
    # log((20.5 * 20.5) / (0.5 * 0.5)).
    assert row["estimate"] == pytest.approx(np.log(20.5 * 20.5 / 0.25), abs=1e-6)
    # firthmodels' docstring example x = y = (0,0,0,1,1,1): 3.89181893 at its default
    # tolerance; the exact value is log(3.5 * 3.5 / (0.5 * 0.5)) = log 49.
    small = models.logistic(pd.DataFrame({"x": [0, 0, 0, 1, 1, 1], "y": [0, 0, 0, 1, 1, 1]}), "y", "x")
    assert small["estimate"].iloc[1] == pytest.approx(np.log(49), abs=1e-6)
    assert small["estimate"].iloc[1] == pytest.approx(3.89181893, abs=5e-6)


def test_haldane_identity_for_quasi_separation():
    # 2x2 with one zero cell: a = 0 events among 22 exposed, 7 among 363 unexposed.
    x = [1] * 22 + [0] * 363
    y = [0] * 22 + [1] * 7 + [0] * 356
    tidy = models.logistic(pd.DataFrame({"x": x, "y": y}), "y", "x")
    assert set(tidy["method"]) == {"firth"}
    assert tidy["estimate"].iloc[1] == pytest.approx(np.log(0.5 * 356.5 / (22.5 * 7.5)), abs=1e-6)


def test_sequential_flags_firth_per_model():
    frame = toy_separation(15)
    rng = np.random.default_rng(2)
    frame["age_group"] = pd.Categorical(rng.choice(["18-34", "35-44"], size=len(frame)), categories=["18-34", "35-44"])
    seq = models.sequential(frame, "y", "x", demographics=["age_group"], job=[])
    assert set(seq["method"]) == {"firth"}
    assert len(set(seq["n"])) == 1


def test_firth_can_be_forced_or_refused(survey):
    forced = models.fit_logistic(survey, "patient_outcomes_often", "aware_info_standard", firth=True)
    assert forced.method == "firth"
    refused = models.fit_logistic(toy_separation(), "y", "x", firth=False)
    assert refused.method == "ml" and "separation detected" in refused.warning


# ------------------------------------------------------------------------------ Wald tests


def test_wald_single_term_is_z_squared(survey):
    fit = models.logistic(survey, "patient_outcomes_often", "aware_info_standard", ["training"])
    wald = models.wald_test_terms(survey, "patient_outcomes_often", "aware_info_standard", ["training"])
    z = fit.set_index("term").loc["training[Yes]"]
    row = wald.set_index("term").loc["training"]
    assert row["df"] == 1
    assert row["chi2"] == pytest.approx((z["estimate"] / z["std_error"]) ** 2)
    assert row["p_value"] == pytest.approx(z["p_value"])


def test_wald_multilevel_and_ordinal(survey):
    sets = models.adjustment_sets("aware_info_standard", "patient_outcomes_often")
    wald = models.wald_test_terms(
        survey,
        "patient_outcomes_often",
        "aware_info_standard",
        sets["Model 3"],
        terms=["education", "seniority", "years_in_role"],
    )
    assert list(wald["term"]) == ["education", "seniority", "years_in_role"]
    assert list(wald["df"]) == [2, 2, 3]
    assert wald["p_value"].between(0, 1).all()
    ordinal = models.wald_test_terms(
        survey, "patient_outcome_freq", "aware_info_standard", ["education"], kind="ordinal"
    )
    assert list(ordinal["term"]) == ["aware_info_standard", "education"]
    assert ordinal.set_index("term").loc["aware_info_standard", "p_value"] < 0.001
    with pytest.raises(KeyError):
        models.wald_test_terms(survey, "patient_outcomes_often", "aware_info_standard", terms=["gender"])


# ----------------------------------------------------------------------------------- labels


def test_term_labels():
    assert models.term_label("aware_info_standard[Yes]") == "Aware of the SP Information Standard"
    assert models.term_label("age_group[35-44]") == "Age group: 35-44"
    assert models.term_label("Never|Rarely") == "Never|Rarely"
    assert models.term_label("(Intercept)") == "(Intercept)"
    assert models.term_label("unknown_numeric") == "unknown_numeric"
    assert models.parse_term("education[Postgraduate]") == ("education", "Postgraduate")


def test_ordinal_separation_is_flagged_not_refitted():
    rng = np.random.default_rng(1)
    n = 200
    x = rng.random(n) < 0.3
    y = rng.integers(0, 4, n)
    y[x] = 3  # every exposed respondent in the top category: the MLE is +Inf
    frame = pd.DataFrame(
        {
            "y": pd.Categorical.from_codes(y, categories=list("ABCD"), ordered=True),
            "x": pd.Categorical(np.where(x, "Yes", "No"), dtype=YES_NO),
        }
    )
    tidy = models.ordinal(frame, "y", "x")
    warning = tidy["warning"].iloc[0]
    assert "separation detected" in warning and "huge standard errors" in warning
    assert set(tidy["method"]) == {"ml"}
