"""`helpers.models`, kept stable for callers outside this repository: see helpers.analysis.models."""

from helpers.analysis.models import (
    MODEL_NAMES,
    TIDY_COLUMNS,
    ModelFit,
    adjustment_sets,
    exposure_rows,
    fit_logistic,
    fit_ordinal,
    logistic,
    ordinal,
    sequential,
    term_label,
    wald_test_terms,
)

__all__ = [
    "MODEL_NAMES",
    "TIDY_COLUMNS",
    "ModelFit",
    "adjustment_sets",
    "exposure_rows",
    "fit_logistic",
    "fit_ordinal",
    "logistic",
    "ordinal",
    "sequential",
    "term_label",
    "wald_test_terms",
]
