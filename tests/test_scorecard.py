"""Reproduction scorecard: the status rules on hand-made values, the pipeline on small frames and
fake model fits, and the whole scorecard on the synthetic data (where every computable figure must
be reproduced: the data were calibrated to them) and on deliberately perturbed copies of it."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pandas as pd
import pytest

from helpers import paths
from helpers.review import scorecard
from helpers.review.scorecard import odds_ratio_status, percentage_status, round_half_up

CLAIM_IDS = [
    "n_analysed", "pct_patient_outcomes_often", "pct_service_outcomes_often", "pct_uses_quantitative_measures",
    "pct_captures_qualitative", "pct_ons4_among_measure_users", "other_measures_named", "pct_timing_begin_end",
    "pct_timing_every_session", "or_aware_information_standard", "or_shares_outcomes",
    "or_outcomes_inform_investment", "or_patient_record_access", "null_predictors",
]  # fmt: skip


# --- The rules, on hand-made values -----------------------------------------------------------------
def test_round_half_up_is_exact_at_the_half():
    assert round_half_up(Fraction(5745, 100), 1) == 57.5  # round-half-even would give 57.4
    assert round_half_up(Fraction(235 * 100, 409), 1) == 57.5
    assert round_half_up(90.5, 0) == 91.0


@pytest.mark.parametrize(
    ("published", "reproduced", "decimals", "status", "difference"),
    [
        (57.5, Fraction(23500, 409), 1, "reproduced", 0.0),  # 235/409 = 57.457 -> 57.5
        (57.5, 57.56, 1, "minor", 0.1),  # prints 57.6: one unit of 0.1 off
        (57.5, 57.3, 1, "major", -0.2),
        (91, Fraction(37200, 409), 0, "reproduced", 0.0),  # 372/409 = 90.95 -> 91
        (91, 90.49, 0, "minor", -1.0),
        (91, 89.4, 0, "major", -2.0),
    ],
)
def test_percentage_rule(published, reproduced, decimals, status, difference):
    got_status, got_difference = percentage_status(published, reproduced, decimals)
    assert got_status == status
    assert got_difference == pytest.approx(difference)


def _shifted(published, low, high, z, width=1.0):
    """A reproduced OR z published SEs away from `published`, its CI `width` times as wide."""
    se = (math.log(high) - math.log(low)) / 3.92
    centre = math.log(published) + z * se
    return math.exp(centre), math.exp(centre - 1.96 * se * width), math.exp(centre + 1.96 * se * width)


def test_odds_ratio_identical_is_reproduced():
    result = odds_ratio_status(2.29, 1.53, 3.42, 2.29, 1.53, 3.42)
    assert result == {"z": 0.0, "ci_width_ratio": 1.0, "decision_agrees": True, "status": "reproduced"}


@pytest.mark.parametrize(
    ("z", "width", "status"),
    [
        (0.2, 1.0, "reproduced"),
        (-0.25, 1.14, "reproduced"),
        (0.2, 1.3, "minor"),  # close, but the CI is 30% wider: the SE is off
        (0.6, 1.0, "minor"),
        (-1.0, 1.0, "minor"),
        (1.5, 1.0, "major"),
    ],
)
def test_odds_ratio_rule_by_z_and_width(z, width, status):
    rep = _shifted(6.03, 2.93, 12.43, z, width)
    result = odds_ratio_status(6.03, 2.93, 12.43, *rep)
    assert result["z"] == pytest.approx(z)
    assert result["ci_width_ratio"] == pytest.approx(width)
    assert result["decision_agrees"]
    assert result["status"] == status


def test_decision_error_is_major_whatever_the_size():
    # NOTES.md, "Comparing with the paper": a decision error is a reproduction failure whatever
    # the size of the difference. 1.76 (1.03-3.02) reproduced as 1.74 (0.99-3.06): z = -0.04.
    result = odds_ratio_status(1.76, 1.03, 3.02, 1.74, 0.99, 3.06)
    assert abs(result["z"]) < 0.05
    assert 0.85 <= result["ci_width_ratio"] <= 1.15
    assert not result["decision_agrees"]
    assert result["status"] == "major"


def test_reversed_direction_is_a_flipped_decision():
    result = odds_ratio_status(0.22, 0.11, 0.41, 1 / 0.22, 1 / 0.41, 1 / 0.11)
    assert not result["decision_agrees"]
    assert result["status"] == "major"


def test_count_rule():
    assert scorecard.count_status(409, 409) == ("reproduced", 0.0)
    assert scorecard.count_status(409, 406)[0] == "minor"
    assert scorecard.count_status(409, 380)[0] == "major"


def test_rules_are_stated_with_their_constants():
    assert "0.25" in scorecard.RULE_ODDS_RATIO and "0.85" in scorecard.RULE_ODDS_RATIO
    assert scorecard.STATUSES == ("reproduced", "minor", "major", "not computable")


# --- The pipeline on a small hand-made frame --------------------------------------------------------
def _percentage_target(claim_id, variable, level="Yes", population="all", decimals=1):
    return {"claim_id": claim_id, "kind": "percentage", "variable": variable, "level": level,
            "population": population, "decimals": decimals}  # fmt: skip


def test_percentages_follow_population_and_denominator(valid_frame):
    df = valid_frame
    users = df["uses_outcome_measures"] == "Yes"
    answered = df.loc[users, "measure_ons4"].notna()
    k = int((df.loc[users, "measure_ons4"][answered] == "Yes").sum())
    n = int(answered.sum())
    value = round_half_up(Fraction(100 * k, n), 1)
    claims = [{"id": "ons4", "value": value, "unit": "percent"},
              {"id": "timing", "value": 0.0, "unit": "percent"}]  # fmt: skip
    targets = [
        _percentage_target("ons4", "measure_ons4", population="uses_outcome_measures == 'Yes'"),
        _percentage_target("timing", "recording_timing", level="Every session", population="asked"),
    ]
    scored = scorecard.score(claims, scorecard.reproduce_claims(df, targets, claims))
    ons4 = scored.set_index("claim_id").loc["ons4"]
    assert ons4["status"] == "reproduced" and ons4["denominator"] == n
    timing = scored.set_index("claim_id").loc["timing"]
    asked = df["patient_outcome_freq"] != "Never"
    assert timing["denominator"] == int(df.loc[asked, "recording_timing"].notna().sum())
    assert timing["status"] == "major"  # published 0.0 is wrong on purpose


def test_missing_columns_are_not_computable(valid_frame):
    df = valid_frame.drop(columns=["recording_timing", "aware_info_standard"])
    claims = [{"id": "timing", "value": 20.4, "unit": "percent"},
              {"id": "or", "value": 2.29, "ci": [1.53, 3.42]},
              {"id": "no_target", "value": 1.0, "unit": "percent"}]  # fmt: skip
    targets = [
        _percentage_target("timing", "recording_timing", level="Every session", population="asked"),
        {"claim_id": "or", "kind": "odds_ratio", "outcome": "patient_outcomes_often",
         "exposure": "aware_info_standard", "model": "Model 3", "term": "aware_info_standard[Yes]"},
    ]  # fmt: skip
    scored = scorecard.score(claims, scorecard.reproduce_claims(df, targets, claims)).set_index("claim_id")
    assert (scored["status"] == "not computable").all()
    assert "recording_timing" in scored.loc["timing", "reason"]
    assert "aware_info_standard" in scored.loc["or", "reason"]
    assert "no calibration target" in scored.loc["no_target", "reason"]


def _fake_fit(estimates: dict[str, tuple[float, float]], n: int = 409) -> pd.DataFrame:
    """A tidy Models 1-3 stack with the given (estimate, std_error) per term, identical in each model."""
    rows = []
    for model in ("Model 1", "Model 2", "Model 3"):
        for term, (b, se) in estimates.items():
            z = b / se
            p = math.erfc(abs(z) / math.sqrt(2))
            rows.append({"model": model, "term": term, "estimate": b, "std_error": se, "odds_ratio": math.exp(b),
                         "conf_low": math.exp(b - 1.959964 * se), "conf_high": math.exp(b + 1.959964 * se),
                         "p_value": p, "n": n, "method": "ml", "warning": ""})  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture
def fake_models(monkeypatch):
    """Replace the model fits by hand-made tidy frames (education's p set by the test)."""
    import helpers.analysis.models as models

    state = {"education_p": 0.4}

    def sequential(df, outcome, exposure, kind="logistic", **_):
        z_edu = _normal_quantile(1 - state["education_p"] / 2)
        return _fake_fit({
            "(Intercept)": (0.1, 0.2),
            f"{exposure}[Yes]": (math.log(2.29), (math.log(3.42) - math.log(1.53)) / 3.92),
            "age_group[35-44]": (0.1, 0.3), "gender[Male]": (0.1, 0.3), "ethnicity[Asian or Asian British]": (0.1, 0.3),
            "education[Degree]": (0.3 * z_edu, 0.3), "training[Yes]": (0.05, 0.25), "seniority[Manager or coordinator]": (0.2, 0.4),
        })  # fmt: skip

    def wald_test_terms(df, outcome, exposure, covariates=(), kind="logistic", weights=None, terms=None):
        return pd.DataFrame(
            {"term": list(terms), "p_value": [state["education_p"] if t == "education" else 0.5 for t in terms]}
        )

    monkeypatch.setattr(models, "sequential", sequential)
    monkeypatch.setattr(models, "wald_test_terms", wald_test_terms)
    return state


def _normal_quantile(q: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(q)


NULL_CLAIM = {
    "id": "null_predictors",
    "value": ["education", "training", "job seniority", "most demographic variables"],
}
NULL_TARGET = {"claim_id": "null_predictors", "kind": "list", "model": "Model 3", "model_type": "logistic",
               "models": [{"outcome": "patient_outcomes_often", "exposure": "aware_info_standard"}]}  # fmt: skip
OR_CLAIM = {"id": "or_aware", "value": 2.29, "ci": [1.53, 3.42]}
OR_TARGET = {"claim_id": "or_aware", "kind": "odds_ratio", "outcome": "patient_outcomes_often",
             "exposure": "aware_info_standard", "model_type": "logistic", "model": "Model 3",
             "term": "aware_info_standard[Yes]"}  # fmt: skip


def test_odds_ratio_and_null_predictors_through_fake_fits(valid_frame, fake_models):
    claims, targets = [OR_CLAIM, NULL_CLAIM], [OR_TARGET, NULL_TARGET]
    scored = scorecard.score(claims, scorecard.reproduce_claims(valid_frame, targets, claims)).set_index("claim_id")
    assert scored.loc["or_aware", "status"] == "reproduced"
    assert scored.loc["or_aware", "z"] == pytest.approx(0.0, abs=1e-2)
    assert scored.loc["null_predictors", "status"] == "reproduced"
    assert "education: joint p ≥ 0.40" in scored.loc["null_predictors", "reproduced"]

    fake_models["education_p"] = 0.01  # education now predicts the outcome: the claim fails
    scored = scorecard.score(claims, scorecard.reproduce_claims(valid_frame, targets, claims)).set_index("claim_id")
    assert scored.loc["null_predictors", "status"] == "major"


# --- claims.csv -----------------------------------------------------------------------------------
def _toy_scored():
    claims = [{"id": "a", "value": 57.5, "unit": "percent", "what": "a share, with a comma"},
              {"id": "b", "value": 2.29, "ci": [1.53, 3.42]}]  # fmt: skip
    reproduced = pd.DataFrame([
        {"claim_id": "a", "kind": "percentage", "value": 100 * 235 / 409, "count": 235, "denominator": 409,
         "decimals": 1, "computable": True, "reason": ""},
        {"claim_id": "b", "kind": "odds_ratio", "value": 2.3, "conf_low": 1.5, "conf_high": 3.5,
         "denominator": 409, "computable": True, "reason": ""},
    ])  # fmt: skip
    return scorecard.score(claims, reproduced)


def test_claims_csv_is_deterministic(tmp_path):
    scored = _toy_scored()
    first = scorecard.write_claims_csv(scored, tmp_path / "one")
    second = scorecard.write_claims_csv(scored.copy(), tmp_path / "two" / "claims.csv")
    assert first.name == "claims.csv"
    data = first.read_bytes()
    assert data == second.read_bytes()
    assert b"\r" not in data and data.endswith(b"\n")
    lines = data.decode().splitlines()
    assert lines[0] == ",".join(scorecard.CSV_COLUMNS)
    assert lines[1].startswith('a,percentage,"a share, with a comma",57.5000,1,,,57.4572,')
    assert ",true,409,reproduced," in lines[2]


# --- The synthetic data ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic():
    if not paths.SYNTHETIC_DATA.exists():
        pytest.skip(f"{paths.SYNTHETIC_DATA.relative_to(paths.ROOT)} not written yet (python -m helpers synth)")
    pytest.importorskip("helpers.analysis.models", reason="helpers.analysis.models not available yet")
    from helpers.data import load_survey

    return load_survey(paths.SYNTHETIC_DATA)


@pytest.fixture(scope="module")
def synthetic_scored(synthetic):
    return scorecard.score(scorecard.load_claims(), scorecard.reproduce_claims(synthetic))


def _statuses(scored: pd.DataFrame) -> dict[str, str]:
    return dict(zip(scored["claim_id"], scored["status"].astype(str)))


def test_synthetic_data_reproduce_every_computable_figure(synthetic_scored):
    # True by construction: the synthetic file was calibrated to these figures.
    assert list(synthetic_scored["claim_id"]) == CLAIM_IDS
    computable = synthetic_scored[synthetic_scored["status"] != "not computable"]
    failed = computable[computable["status"] != "reproduced"]
    assert failed.empty, failed[["claim_id", "published", "reproduced", "z", "ci_width_ratio", "reason"]].to_string()
    assert len(computable) == len(CLAIM_IDS)


def test_timing_uses_the_documented_denominator(synthetic_scored):
    timing = synthetic_scored.set_index("claim_id").loc[["pct_timing_begin_end", "pct_timing_every_session"]]
    assert (timing["denominator"] == 372).all()


def test_flipping_outcomes_breaks_the_right_rows(synthetic):
    df = synthetic.copy()
    # 40 respondents unaware of the Information Standard who do not record often now do.
    who = df.index[(df["patient_outcomes_often"] == "No") & (df["aware_info_standard"] == "No")][:40]
    assert len(who) == 40
    df.loc[who, "patient_outcomes_often"] = "Yes"
    status = _statuses(scorecard.score(scorecard.load_claims(), scorecard.reproduce_claims(df)))
    assert status["pct_patient_outcomes_often"] == "major"  # 275/409 = 67.2% against 57.5%
    assert status["or_aware_information_standard"] in ("minor", "major")
    for untouched in ("pct_service_outcomes_often", "pct_uses_quantitative_measures", "pct_timing_begin_end",
                      "or_shares_outcomes", "or_patient_record_access"):  # fmt: skip
        assert status[untouched] == "reproduced", untouched


def test_a_few_flips_give_a_minor_difference(synthetic):
    df = synthetic.copy()
    who = df.index[df["captures_qualitative"] == "No"][:4]
    df.loc[who, "captures_qualitative"] = "Yes"  # 376/409 = 91.9% prints as 92%, one unit off 91%
    status = _statuses(scorecard.score(scorecard.load_claims(), scorecard.reproduce_claims(df)))
    assert status["pct_captures_qualitative"] == "minor"


def test_swapping_exposure_levels_is_a_flipped_decision(synthetic):
    df = synthetic.copy()
    swapped = df["patient_record_access"].map({"No": "Yes", "Yes": "No"}).astype(object)
    df["patient_record_access"] = pd.Categorical(swapped, categories=["No", "Yes"])
    scored = scorecard.score(scorecard.load_claims(), scorecard.reproduce_claims(df)).set_index("claim_id")
    row = scored.loc["or_patient_record_access"]
    assert row["reproduced"] == pytest.approx(1 / 0.219, rel=0.1)
    assert not row["decision_agrees"]
    assert row["status"] == "major"
    others = scored.drop(index="or_patient_record_access")
    assert (others["status"] == "reproduced").all()


# --- The notebook stays thin -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["06_scorecard.pct.py", "07_comparison_2023.pct.py"])
def test_notebooks_are_thin_and_parameterised(name):
    source = (paths.NOTEBOOKS / name).read_text(encoding="utf-8")
    assert source.startswith("# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,.pct.py:percent\n")
    assert not re.search(r"^\s*(def|class) ", source, re.M)
    params = source.split('# %% tags=["parameters"]\n', 1)[1].split("\n\n", 1)[0]
    assert params.splitlines() == ["data_file = None", "output_dir = None", "seed = 2025", "min_cell_count = 5"]
    assert "## Recap" in source
    for block in source.split("# %%")[1:]:
        if block.startswith(" [markdown]") or block.startswith(" tags="):
            continue
        code = [ln for ln in block.splitlines()[1:] if ln.strip() and not ln.startswith("#|")]
        if any(ln.startswith(("from ", "import ")) for ln in code):
            continue  # the imports-and-load cell
        assert len(code) <= 3, block
        assert "#| echo: false" in block
