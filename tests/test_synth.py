"""The committed synthetic file reproduces every published figure, and regenerates byte for byte.

Percentages: recomputed from the COMMITTED CSV with the population and denominator of
targets.yaml, equal at the printed precision. Odds ratios: the Model 3 logistic fit of
targets.yaml on the committed file, |ln OR_rep - ln OR_pub| <= 0.25 SE_pub with SE_pub =
(ln hi - ln lo) / 3.92, CI-width ratio 0.85-1.15, same significance decision; null predictors
p >= 0.05 (every term, and each variable's joint Wald test). Agreement is true by construction:
these tests check the generator and the code path, not the paper.
"""

from __future__ import annotations

import hashlib
import math
import time
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import norm

from helpers import paths
from helpers.data import published
from helpers.synth import generator as synth
from helpers.data.codebook import load_codebook

Z = norm.isf(0.025)


def _read_with_codebook_dtypes(path) -> pd.DataFrame:
    """The CSV of labels read by pandas directly (fallback when helpers.data is unavailable)."""
    cb = load_codebook()
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = pd.DataFrame({"respondent_id": raw["respondent_id"].astype("string")})
    for name, var in cb.variables.items():
        if var.type == "id":
            continue
        values = raw[name].where(raw[name] != "", None)
        df[name] = pd.Categorical(values, dtype=var.dtype())
    for d in cb.derived.values():
        src = df[d.source]
        yes = pd.Series(np.where(src.isin(d.events), "Yes", "No"), dtype=object)
        yes[src.isna()] = None
        df[d.name] = pd.Categorical(yes, categories=["No", "Yes"])
    return df


@pytest.fixture(scope="module")
def committed() -> pd.DataFrame:
    try:
        from helpers.data import load_survey
    except ImportError:
        return _read_with_codebook_dtypes(paths.SYNTHETIC_DATA)
    return load_survey(paths.SYNTHETIC_DATA, cache=False)


@pytest.fixture(scope="module")
def claims() -> pd.DataFrame:
    return published.load_claims().set_index("claim_id")


def _rounded(count: int, denominator: int, decimals: int) -> Decimal:
    exact = Fraction(100 * count, denominator)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
    )


def _population(df: pd.DataFrame, target: dict) -> pd.DataFrame:
    pop = target.get("population", "all")
    if pop == "all":
        return df
    if pop == "asked":
        return df[df[target["variable"]].notna()]
    return df.query(pop)


# ---------------------------------------------------------------------------------------------
# Shape, identifiers, dtypes, skip logic


def test_committed_file_is_the_synthetic_one(committed):
    assert len(committed) == 409
    manifest = yaml.safe_load(paths.SYNTHETIC_MANIFEST.read_text(encoding="utf-8"))
    assert manifest["sha256"] == hashlib.sha256(paths.SYNTHETIC_DATA.read_bytes()).hexdigest()
    assert manifest["n"] == 409 and manifest["seed"] == synth.DEFAULT_SEED and manifest["synthetic"] is True
    assert "not real survey responses" in manifest["statement"]
    if "source" in committed.attrs:
        assert committed.attrs["source"] == "synthetic"


def test_ids_unique_and_columns_in_codebook_order(committed):
    cb = load_codebook()
    assert committed["respondent_id"].is_unique
    assert committed["respondent_id"].str.fullmatch(r"SYN-\d{4}").all()
    header = paths.SYNTHETIC_DATA.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == cb.names  # no derived columns in the file
    assert b"\r" not in paths.SYNTHETIC_DATA.read_bytes()
    for name, var in cb.variables.items():
        if var.type != "id":
            assert list(committed[name].cat.categories) == list(var.levels), name


def test_skip_logic(committed):
    cb = load_codebook()
    users = committed["uses_outcome_measures"] == "Yes"
    measures = committed[cb.option_set("measures")]
    assert measures[~users].isna().all().all()
    assert measures[users].notna().all().all()
    assert (measures[users] == "Yes").any(axis=1).all(), "every measure user names a measure"
    never = committed["patient_outcome_freq"] == "Never"
    assert committed.loc[never, "recording_timing"].isna().all()
    assert committed.loc[~never, "recording_timing"].notna().all()
    helps = cb.option_set("helps")
    others = [h for h in helps if not cb[h].exclusive]
    ticked = (committed[others] == "Yes").sum(axis=1)
    none = committed["helps_none"] == "Yes"
    assert (ticked[none] == 0).all(), "helps_none is exclusive"
    assert (ticked[~none] >= 1).all()
    # no item non-response outside the skip logic
    asked_cols = [c for c in cb.names if cb[c].asked_if is None]
    assert committed[asked_cols].notna().all().all()


def test_margins_exact(committed):
    for var, levels in synth.margins().items():
        pop = committed[committed[var].notna()]
        assert pop[var].value_counts().reindex(list(levels)).tolist() == list(levels.values()), var


# ---------------------------------------------------------------------------------------------
# Published percentages from the committed file


PERCENT_TARGETS = [t for t in published.load_targets() if t["kind"] == "percentage"]


@pytest.mark.parametrize("target", PERCENT_TARGETS, ids=[t["claim_id"] for t in PERCENT_TARGETS])
def test_published_percentage_reproduced(committed, claims, target):
    pop = _population(committed, target)
    assert len(pop) == target["denominator"]
    count = int((pop[target["variable"]] == target["level"]).sum())
    assert count == target["count"]
    printed = Decimal(str(claims.loc[target["claim_id"], "value"]))
    assert _rounded(count, len(pop), target["decimals"]) == printed


def test_count_and_named_measures(committed):
    targets = {t["claim_id"]: t for t in published.load_targets()}
    assert len(committed) == targets["n_analysed"]["count"]
    named = targets["other_measures_named"]
    users = committed.query(named["population"])
    for var in named["variables"]:
        assert (users[var] == named["level"]).sum() > 0, var


# ---------------------------------------------------------------------------------------------
# Published odds ratios (Model 3) and the null predictors


def _model3(df: pd.DataFrame, outcome: str, exposure: str) -> tuple[pd.DataFrame, dict[str, float]]:
    """(tidy Model 3 frame, joint Wald p per covariate) via helpers.analysis.models, else statsmodels."""
    cb = load_codebook()
    covariates = cb.confounders("demographics") + cb.confounders("job")
    try:
        from helpers.analysis import models

        tidy = models.logistic(df, outcome, exposure, covariates)
        wald = models.wald_test_terms(df, outcome, exposure, covariates, terms=covariates)
        return tidy, dict(zip(wald["term"], wald["p_value"].astype(float)))
    except ImportError:
        pass
    import statsmodels.api as sm

    X = pd.DataFrame({"(Intercept)": 1.0}, index=df.index)
    for col in [exposure, *covariates]:
        for level in cb[col].levels[1:]:
            X[f"{col}[{level}]"] = (df[col] == level).astype(float)
    y = (df[outcome] == "Yes").astype(float)
    fit = sm.Logit(y, X).fit(disp=0)
    ci = fit.conf_int()
    tidy = pd.DataFrame(
        {
            "term": X.columns,
            "estimate": fit.params.values,
            "std_error": fit.bse.values,
            "odds_ratio": np.exp(fit.params.values),
            "conf_low": np.exp(ci[0].values),
            "conf_high": np.exp(ci[1].values),
            "p_value": fit.pvalues.values,
            "n": len(df),
        }
    )
    joint = {}
    for col in covariates:
        names = [f"{col}[{lvl}]" for lvl in cb[col].levels[1:]]
        R = np.zeros((len(names), X.shape[1]))
        for i, name in enumerate(names):
            R[i, list(X.columns).index(name)] = 1.0
        joint[col] = float(fit.wald_test(R, scalar=True).pvalue)
    return tidy, joint


OR_TARGETS = [t for t in published.load_targets() if t["kind"] == "odds_ratio"]


@pytest.fixture(scope="module")
def fits(committed) -> dict:
    return {t["claim_id"]: _model3(committed, t["outcome"], t["exposure"]) for t in OR_TARGETS}


@pytest.mark.parametrize("target", OR_TARGETS, ids=[t["claim_id"] for t in OR_TARGETS])
def test_published_odds_ratio_reproduced(fits, claims, target):
    assert target["model"] == "Model 3" and target["model_type"] == "logistic"
    tidy, _ = fits[target["claim_id"]]
    row = tidy.set_index("term").loc[target["term"]]
    assert int(row["n"]) == 409
    claim = claims.loc[target["claim_id"]]
    pub_log, pub_lo, pub_hi = math.log(claim["value"]), math.log(claim["ci_low"]), math.log(claim["ci_high"])
    se_pub = (pub_hi - pub_lo) / 3.92
    z = (math.log(row["odds_ratio"]) - pub_log) / se_pub
    assert abs(z) <= 0.25, f"z = {z:.3f}"
    width_ratio = (math.log(row["conf_high"]) - math.log(row["conf_low"])) / (pub_hi - pub_lo)
    assert 0.85 <= width_ratio <= 1.15, f"CI-width ratio {width_ratio:.3f}"
    significant_pub = claim["ci_low"] > 1 or claim["ci_high"] < 1
    significant_rep = row["conf_low"] > 1 or row["conf_high"] < 1
    assert significant_rep == significant_pub
    assert (row["p_value"] < 0.05) == significant_pub


def test_named_null_predictors_not_significant_jointly(fits):
    # The one calibration condition on nulls: each named null variable's joint Wald test.
    target = published.target("null_predictors")
    by_pair = {(t["outcome"], t["exposure"]): t["claim_id"] for t in OR_TARGETS}
    for spec in target["models"]:
        _, joint = fits[by_pair[(spec["outcome"], spec["exposure"])]]
        for var in synth.NAMED_NULLS:
            assert joint[var] >= synth.NULL_JOINT_P_MIN, (spec, var, joint[var])


def test_null_terms_vary_as_true_nulls_do(fits):
    # Not forced term by term: under no effect about one single term in six has p < 0.16 and
    # about one in twenty p < 0.05. Across the Model 3 fits the null and demographic terms must
    # look like that (a generator pushing every term away from significance fails this).
    target = published.target("null_predictors")
    by_pair = {(t["outcome"], t["exposure"]): t["claim_id"] for t in OR_TARGETS}
    p_values = []
    for spec in target["models"]:
        tidy, _ = fits[by_pair[(spec["outcome"], spec["exposure"])]]
        for var in target["variables"]:
            p_values += list(tidy.loc[tidy["term"].str.startswith(var + "["), "p_value"])
    p_values = np.array(p_values)
    assert len(p_values) >= 30
    assert 0.05 <= np.mean(p_values < 0.16) <= 0.40, np.sort(p_values)[:10]


def test_never_recorders_do_not_share_or_use_outcomes():
    df = synth.generate(synth.DEFAULT_SEED)
    never = (df["patient_outcome_freq"] == "Never") & (df["service_outcome_freq"] == "Never")
    assert never.sum() >= 1
    assert (df.loc[never, "shares_outcomes"] == "No").all()
    assert (df.loc[never, "outcomes_inform_investment"] == "No").all()


def test_routing_trades_codes_and_keeps_margins():
    c = {
        "patient_outcome_freq": np.array([0, 0, 0, 1, 3]),
        "service_outcome_freq": np.array([0, 0, 1, 2, 4]),
        "shares_outcomes": np.array([1, 0, 0, 0, 1]),
        "outcomes_inform_investment": np.array([0, 0, 0, 0, 0]),
    }
    before = np.sort(c["service_outcome_freq"])
    assert synth._route_never_recorders(c) == 1
    assert list(c["service_outcome_freq"]) == [1, 0, 0, 2, 4]
    assert (np.sort(c["service_outcome_freq"]) == before).all()


# ---------------------------------------------------------------------------------------------
# Determinism, regeneration, speed


def test_regeneration_is_byte_identical(tmp_path):
    start = time.perf_counter()
    out = synth.write(synth.DEFAULT_SEED, tmp_path / paths.SYNTHETIC_DATA.name)
    assert time.perf_counter() - start < 10
    assert out.read_bytes() == paths.SYNTHETIC_DATA.read_bytes()
    assert (tmp_path / "manifest.yaml").read_bytes() == paths.SYNTHETIC_MANIFEST.read_bytes()
    assert synth.main(["--check"]) == 0


def test_generate_deterministic_and_seed_dependent():
    a = synth.generate(2025)
    b = synth.generate(2025)
    pd.testing.assert_frame_equal(a, b)
    assert synth.csv_bytes(a) == paths.SYNTHETIC_DATA.read_bytes()
    c = synth.generate(2026)
    assert synth.csv_bytes(c) != synth.csv_bytes(a)
    # another seed still meets the published counts
    assert (c["uses_outcome_measures"] == "Yes").sum() == 199


def test_check_detects_a_changed_file(tmp_path):
    path = tmp_path / paths.SYNTHETIC_DATA.name
    synth.write(synth.DEFAULT_SEED, path)
    assert synth.main(["--check", "--output", str(path)]) == 0
    path.write_bytes(path.read_bytes().replace(b"SYN-0001", b"SYN-9999"))
    assert synth.main(["--check", "--output", str(path)]) == 1


# ---------------------------------------------------------------------------------------------
# The generating model


def test_outcome_probabilities_are_the_generating_model(committed):
    probs = synth.outcome_probabilities(committed)
    assert set(probs) == {"patient_outcomes_often", "service_outcomes_often", "uses_outcome_measures"}
    counts = {"patient_outcomes_often": 235, "service_outcomes_often": 186, "uses_outcome_measures": 199}
    for outcome, p in probs.items():
        assert p.shape == (409,) and np.all((p > 0) & (p < 1))
        assert p.sum() == pytest.approx(counts[outcome], abs=1e-6)  # intercept solved for the count
    # the expected (fractional-outcome) Model 3 fit of the truth gives the published log OR
    codes = synth._codes_from_frame(committed, [c for c in committed.columns if c != "respondent_id"])
    for t in synth._or_targets():
        beta, _, _ = synth._fit_model3(codes, probs[t.outcome], t.exposure, t.level)
        assert beta[1] == pytest.approx(t.log_or, abs=1e-5), t.claim_id
    # works on a frame without derived columns (as generate() returns) and agrees
    again = synth.outcome_probabilities(synth.generate(synth.DEFAULT_SEED))
    for outcome in probs:
        np.testing.assert_allclose(again[outcome], probs[outcome])
    model = synth.generating_model()
    assert model["uses_outcome_measures"]["coefficients"]["patient_record_access[Yes]"] < 0


def test_draw_outcomes_shapes(committed):
    draws = synth.draw_outcomes(committed, np.random.default_rng(1))
    assert set(draws) == {"patient_outcomes_often", "service_outcomes_often", "uses_outcome_measures"}
    for y in draws.values():
        assert y.shape == (409,) and set(np.unique(y)) <= {0, 1}
