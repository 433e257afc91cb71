"""The published figures and the targets file: every claim has a target, every target is coherent
with the codebook and with the printed value it stands for (no data involved)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd
import pytest
import yaml

from helpers import paths
from helpers.data import published
from helpers.data.codebook import load_codebook

KINDS = {"percentage", "odds_ratio", "count", "list"}
PERCENT_FIELDS = {
    "claim_id",
    "kind",
    "variable",
    "level",
    "population",
    "denominator",
    "count",
    "decimals",
    "assumed",
    "note",
}
OR_FIELDS = {
    "claim_id",
    "kind",
    "outcome",
    "exposure",
    "exposure_level",
    "model_type",
    "model",
    "term",
    "assumed",
    "note",
}


def rounded_percent(count: int, denominator: int, decimals: int) -> Decimal:
    """count/denominator as a percentage, rounded half up at `decimals` (exact arithmetic)."""
    exact = Fraction(100 * count, denominator)
    value = Decimal(exact.numerator) / Decimal(exact.denominator)
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def claims() -> pd.DataFrame:
    return published.load_claims()


@pytest.fixture(scope="module")
def targets() -> list[dict]:
    return published.load_targets()


def test_claims_frame(claims):
    assert list(claims.columns) == published.CLAIM_COLUMNS
    raw = yaml.safe_load(paths.PAPER_FIGURES.read_text(encoding="utf-8"))
    assert list(claims["claim_id"]) == [c["id"] for c in raw["claims"]]
    row = claims.set_index("claim_id").loc["or_shares_outcomes"]
    assert (row["value"], row["ci_low"], row["ci_high"]) == (6.03, 2.93, 12.43)
    row = claims.set_index("claim_id").loc["pct_captures_qualitative"]
    assert (row["count_low"], row["count_high"], row["denominator"]) == (371, 374, 409)


def test_every_claim_has_exactly_one_target(claims, targets):
    ids = [t["claim_id"] for t in targets]
    assert len(ids) == len(set(ids)), "duplicate claim ids in targets.yaml"
    assert set(ids) == set(claims["claim_id"])


def test_target_schema(targets):
    cb = load_codebook()
    known = set(cb.names) | set(cb.derived)
    for t in targets:
        assert t["kind"] in KINDS, t["claim_id"]
        assert isinstance(t.get("assumed"), list), t["claim_id"]
        if t["kind"] == "percentage":
            assert PERCENT_FIELDS <= set(t), (t["claim_id"], PERCENT_FIELDS - set(t))
            assert t["variable"] in known
            levels = cb.variables[t["variable"]].levels if t["variable"] in cb.variables else ("No", "Yes")
            assert t["level"] in levels, t["claim_id"]
        elif t["kind"] == "odds_ratio":
            assert OR_FIELDS <= set(t), (t["claim_id"], OR_FIELDS - set(t))
            assert t["outcome"] in known and t["exposure"] in known
            assert t["term"] == f"{t['exposure']}[{t['exposure_level']}]"
            assert t["model_type"] in {"logistic", "ordinal"}
            assert t["model"] in {"Model 1", "Model 2", "Model 3"}
            assert {"outcome", "model"} <= set(t["assumed"]), t["claim_id"]
        elif t["kind"] == "list":
            for v in t.get("variables", []):
                assert v in known, (t["claim_id"], v)


def test_percentage_targets_print_as_published(claims, targets):
    """Each target count over its denominator rounds to the printed value at its precision."""
    by_id = claims.set_index("claim_id")
    for t in targets:
        if t["kind"] != "percentage":
            continue
        claim = by_id.loc[t["claim_id"]]
        printed = Decimal(str(claim["value"]))
        assert rounded_percent(t["count"], t["denominator"], t["decimals"]) == printed, t["claim_id"]
        # the printed precision is the one targets.yaml states
        assert -printed.as_tuple().exponent == t["decimals"] or (t["decimals"] == 0 and "." not in str(claim["value"]))
        if not pd.isna(claim["count_low"]):
            assert claim["count_low"] <= t["count"] <= claim["count_high"], t["claim_id"]


def test_decisions_documented(targets):
    by_id = {t["claim_id"]: t for t in targets}
    assert by_id["pct_captures_qualitative"]["count"] == 372
    assert (by_id["pct_ons4_among_measure_users"]["count"], by_id["pct_ons4_among_measure_users"]["denominator"]) == (
        122,
        199,
    )
    assert by_id["pct_timing_begin_end"]["denominator"] == 372 and by_id["pct_timing_begin_end"]["count"] == 224
    assert by_id["pct_timing_every_session"]["count"] == 76
    outcomes = {t["exposure"]: t["outcome"] for t in targets if t["kind"] == "odds_ratio"}
    assert outcomes == {
        "aware_info_standard": "patient_outcomes_often",
        "shares_outcomes": "service_outcomes_often",
        "outcomes_inform_investment": "patient_outcomes_often",
        "patient_record_access": "uses_outcome_measures",
    }
    assert all(t["model"] == "Model 3" for t in targets if t["kind"] == "odds_ratio")
    nulls = by_id["null_predictors"]
    assert set(nulls["variables"]) == {"education", "training", "seniority", "age_group", "gender", "ethnicity"}
    assert {(m["outcome"], m["exposure"]) for m in nulls["models"]} == {(o, e) for e, o in outcomes.items()}
    # the timing denominator is one of the published candidates
    raw = yaml.safe_load(paths.PAPER_FIGURES.read_text(encoding="utf-8"))
    assert [372, 224, 76] in raw["timing_denominator_candidates"]


def test_assumed_margins_match_codebook_and_targets(targets):
    cb = load_codebook()
    margins = published.load_assumed_margins()
    n = next(t["count"] for t in targets if t["claim_id"] == "n_analysed")
    users = next(t["count"] for t in targets if t["claim_id"] == "pct_uses_quantitative_measures")
    timing_asked = next(t["denominator"] for t in targets if t["claim_id"] == "pct_timing_begin_end")
    for var, levels in margins.items():
        assert list(levels) == list(cb[var].levels), var
        expected = users if var.startswith("measure_") else timing_asked if var == "recording_timing" else n
        assert sum(levels.values()) == expected, var
    # sums fixed by published counts
    assert margins["patient_outcome_freq"]["Often"] + margins["patient_outcome_freq"]["Very often"] == 235
    assert margins["service_outcome_freq"]["Often"] + margins["service_outcome_freq"]["Very often"] == 186
    assert n - margins["patient_outcome_freq"]["Never"] == timing_asked
    # every categorical variable of the codebook gets its margin from somewhere
    from_targets = {t["variable"] for t in targets if t["kind"] == "percentage"}
    for name, var in cb.variables.items():
        if var.type != "id":
            assert name in margins or name in from_targets, name


def test_se_from_ci():
    assert published.se_from_ci(1.53, 3.42) == pytest.approx(0.2052, abs=1e-4)
    assert published.se_from_ci(2.93, 12.43) == pytest.approx(0.3686, abs=1e-4)
    assert published.se_from_ci(1.03, 3.02) == pytest.approx(0.2744, abs=1e-4)
    assert published.se_from_ci(0.11, 0.41) == pytest.approx(0.3356, abs=1e-4)
    ors = published.published_odds_ratios()
    assert len(ors) == 4
    assert (ors["log_or"] == ors["odds_ratio"].map(math.log)).all()


def test_2023_figures_and_comparisons():
    fig = published.load_2023()
    raw = yaml.safe_load(paths.SURVEY_2023_FIGURES.read_text(encoding="utf-8"))
    assert list(fig["claim_id"]) == [f["id"] for f in raw["figures"]]
    assert (fig["year"] == 2023).all() and (fig["responses"] == 777).all()
    comp = {c["claim_id"]: c for c in published.load_comparisons_2023()}
    assert set(comp) == set(fig["claim_id"])
    mapped = fig.set_index("claim_id")
    assert mapped.loc["pct_record_outcomes_frequently_2023", "variable"] == "patient_outcomes_often"
    assert mapped.loc["pct_never_record_outcomes_2023", ["variable", "level"]].tolist() == [
        "patient_outcome_freq",
        "Never",
    ]
    assert mapped.loc["pct_aware_information_standard_2023", "variable"] == "aware_info_standard"
    for c in comp.values():
        assert c["caveat"], c["claim_id"]
        assert c["value"] == mapped.loc[c["claim_id"], "value"]
