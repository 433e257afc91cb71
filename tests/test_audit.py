"""Consistency audit of the published figures (no data): GRIM-style attainable counts, the shared
unknown denominator of the timing percentages, and the odds ratios against their own CIs."""

from __future__ import annotations

import math

import pytest

from helpers.review import audit

# The four published odds ratios (abstract of Fancourt & Bu 2026).
PUBLISHED_ORS = [
    {"id": "or_aware_information_standard", "value": 2.29, "ci": [1.53, 3.42]},
    {"id": "or_shares_outcomes", "value": 6.03, "ci": [2.93, 12.43]},
    {"id": "or_outcomes_inform_investment", "value": 1.76, "ci": [1.03, 3.02]},
    {"id": "or_patient_record_access", "value": 0.22, "ci": [0.11, 0.41]},
]
N_CLAIM = {"id": "n_analysed", "value": 409}


@pytest.mark.parametrize(
    ("value", "n", "counts"),
    [(57.5, 409, [235]), (45.5, 409, [186]), (48.7, 409, [199]), (91, 409, [371, 372, 373, 374]),
     (61, 199, [121, 122]), (33.3, 10, []), (60.2, 372, [224]), (20.4, 372, [76])],
)  # fmt: skip
def test_attainable_counts(value, n, counts):
    assert audit.attainable_counts(value, n) == counts


def test_a_half_is_attainable_under_either_rounding_convention():
    # 1/8 = 12.5% prints as 13% (half up) or 12% (half even): both are consistent with 1 of 8.
    assert audit.attainable_counts(13, 8, 0) == [1]
    assert audit.attainable_counts(12, 8, 0) == [1]


def test_grim_table_matches_the_published_count_ranges():
    table = audit.grim_table().set_index("claim_id")
    assert table["consistent"].all(), table.loc[~table["consistent"], "reason"]
    assert table.loc["pct_captures_qualitative", "counts"] == "371-374"
    assert table.loc["pct_ons4_among_measure_users", "denominator"] == 199  # documented, assumed
    assert "assumed" in table.loc["pct_ons4_among_measure_users", "denominator_source"]


def test_timing_denominators_include_372_and_186_and_match_the_yaml_list():
    found = audit.timing_denominators()
    assert {372, 186} <= set(found["n"])
    row = found.set_index("n").loc[372]
    assert (row["pct_timing_begin_end"], row["pct_timing_every_session"]) == (224, 76)
    computed = [tuple(int(x) for x in r) for r in found.itertuples(index=False)]
    assert computed == audit.load_timing_candidates()
    assert len(computed) == 41


def test_timing_candidates_coinciding_with_other_figures():
    coincide = audit.timing_coincidences().set_index("n")["matches"].to_dict()
    assert coincide == {186: "pct_service_outcomes_often", 372: "pct_captures_qualitative"}
    text = audit.timing_finding()
    assert "41 denominators" in text and "372" in text and "186" in text


def test_published_odds_ratios_are_centred_in_their_cis():
    checks = audit.odds_ratio_checks([N_CLAIM, *PUBLISHED_ORS]).set_index("claim_id")
    assert checks["consistent"].all(), checks["reason"]
    for claim in PUBLISHED_ORS:
        row = checks.loc[claim["id"]]
        lo, hi = claim["ci"]
        assert row["ci_centre"] == pytest.approx(math.sqrt(lo * hi))
        assert row["ratio_min"] <= 1 <= row["ratio_max"]
        assert row["se_log_or"] == pytest.approx((math.log(hi) - math.log(lo)) / 3.92)


def test_implied_statistics_of_the_investment_or():
    row = audit.odds_ratio_checks([N_CLAIM, PUBLISHED_ORS[2]]).iloc[0]
    # SE = ln(3.02/1.03)/3.92 = 0.2744; z = ln 1.76 / SE = 2.06; two-sided p = 0.039.
    assert row["se_log_or"] == pytest.approx(0.27436, abs=1e-4)
    assert row["z"] == pytest.approx(2.0605, abs=1e-3)
    assert row["p_value"] == pytest.approx(0.0394, abs=5e-4)
    # Woolf: every cell >= 1/SE^2 = 13.3 -> 14; the smallest cell <= 4/SE^2 = 53.1 -> 53.
    assert (row["min_cell_lower"], row["smallest_cell_upper"]) == (14, 53)


def test_the_published_figures_pass_every_check():
    table = audit.consistency_table()
    assert list(table.columns) == audit.AUDIT_COLUMNS
    assert not table["flag"].any(), table[table["flag"]].to_string()
    assert "nothing is flagged" in audit.audit_summary(table)


def test_inconsistent_fake_claims_are_flagged():
    fakes = [
        N_CLAIM,
        {"id": "fake_pct", "value": 33.3, "unit": "percent", "denominator": 10},  # no k/10 gives 33.3%
        {"id": "fake_range", "value": 57.5, "unit": "percent", "denominator": 409, "count_range": [234, 236]},
        {"id": "fake_centre", "value": 2.0, "ci": [1.5, 4.0]},  # centre sqrt(6) = 2.45
        {"id": "fake_outside", "value": 0.9, "ci": [1.1, 2.0]},
        {"id": "fake_cells", "value": 1.5, "ci": [1.45, 1.55]},  # SE 0.017: cells >= 3460, n = 409
        *PUBLISHED_ORS,
    ]
    table = audit.consistency_table(fakes, targets=[], candidates=[])
    flagged = set(table.loc[table["flag"], "claim_id"])
    assert flagged == {"fake_pct", "fake_range", "fake_centre", "fake_outside", "fake_cells"}
    reasons = table.set_index(["claim_id", "check"])["reason"]
    assert "no count" in reasons[("fake_pct", "GRIM: attainable counts")]
    assert "count_range" in reasons[("fake_range", "GRIM: attainable counts")]
    assert "geometric centre" in reasons[("fake_centre", "OR at the geometric centre of its CI")]
    assert "outside its own CI" in reasons[("fake_outside", "OR at the geometric centre of its CI")]
    assert "needs n" in reasons[("fake_cells", "Woolf cell bounds")]
    assert audit.audit_summary(table).startswith("5 of ")


def test_an_unattainable_timing_pair_is_flagged():
    claims = [
        {"id": "n_analysed", "value": 20},
        {"id": "t1", "value": 33.3, "unit": "percent", "denominator": "unknown"},
        {"id": "t2", "value": 12.3, "unit": "percent", "denominator": "unknown"},
    ]
    table = audit.consistency_table(claims, targets=[], candidates=[])
    row = table[table["check"] == "shared unknown denominator"].iloc[0]
    assert row["flag"] and "no n <= 20" in row["reason"]


def test_timing_denominator_revisited_with_2023():
    from helpers.review import audit

    text = audit.timing_finding()
    # 372 asked of 409 -> 37 never (9.0%); 2023 printed 28%, nearest candidate 294 (115/409 = 28.1%)
    assert "n = 372 implies that 9.0% never do, against 28% in 2023" in text
    assert "nearest the 2023 share is n = 294 (28.1% never)" in text
