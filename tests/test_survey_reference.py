"""The report's own associations agree with R on the bundled synthetic file.

Reference values and the R call: tests/results/survey_r.py. Tolerances, by what limits the
agreement: logistic fits converge to machine precision on both sides (estimates 1e-8 absolute,
standard errors and p-values 1e-7 relative); MASS::polr and our ordinal fit stop at their
optimisers' tolerances (estimates 5e-7 absolute, standard errors 1e-6 and p-values 5e-5 relative;
seen: 1.1e-7, 9e-8 and 7e-6).
"""

from __future__ import annotations

import hashlib

import pytest

from helpers import paths
from helpers.analysis import analyses
from helpers.data import load_survey
from results import survey_r

TOLERANCE = {  # kind: (estimate atol, std_error rtol, p_value rtol)
    "logistic": (1e-8, 1e-7, 1e-7),
    "ordinal": (5e-7, 1e-6, 5e-5),
}


@pytest.fixture(scope="module")
def synthetic():
    digest = hashlib.sha256(paths.SYNTHETIC_DATA.read_bytes()).hexdigest()
    assert digest == survey_r.SYNTHETIC_SHA256, "synthetic file regenerated: rerun the R script"
    return load_survey()


@pytest.mark.parametrize("kind", ["logistic", "ordinal"])
def test_exposure_coefficients_match_r(synthetic, kind):
    fits = analyses.fit_associations(synthetic, kind)
    atol, se_rtol, p_rtol = TOLERANCE[kind]
    checked = 0
    for assoc in analyses.associations(kind):
        for model in ("Model 1", "Model 2", "Model 3"):
            row = fits[
                (fits.claim_id == assoc["claim_id"])
                & (fits.model == model)
                & (fits.term == f"{assoc['exposure']}[Yes]")
            ].iloc[0]
            estimate, std_error, p_value = survey_r.EXPOSURE[(kind, assoc["claim_id"], model)]
            assert row.estimate == pytest.approx(estimate, abs=atol), (assoc, model)
            assert row.std_error == pytest.approx(std_error, rel=se_rtol), (assoc, model)
            assert row.p_value == pytest.approx(p_value, rel=p_rtol), (assoc, model)
            checked += 1
    assert checked == sum(k == kind for k, _, _ in survey_r.EXPOSURE)
