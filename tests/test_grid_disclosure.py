"""specifications.csv on real data: no n from which a hidden small count is a difference."""

from __future__ import annotations

import pandas as pd

from helpers.review import grid


def _grid() -> pd.DataFrame:
    # Dropping the small confounder levels takes 3 respondents out of the odds ratio's sample:
    # 356 - 353 = 3 would be the size of a level that Table 1 suppresses.
    return pd.DataFrame(
        {
            "spec_id": [1, 1, 2, 2, 3],
            "sparse_levels": ["keep", "keep", "exclude", "exclude", "keep"],
            "claim_id": ["or_a", "pct_b", "or_a", "pct_b", "or_a"],
            "n": [356, 409, 353, 409, 356],
            "primary": [True, True, False, False, False],
        }
    )


def test_an_n_that_differs_from_the_primary_is_blank_on_real_data(tmp_path):
    protected = grid.protect_n(_grid(), min_count=5)
    assert protected["n"].isna().tolist() == [False, False, True, False, False]
    text = grid.write_csv(_grid(), tmp_path, min_count=5).read_text()
    assert "353" not in text and "356" in text


def test_synthetic_runs_keep_every_n(tmp_path):
    assert grid.protect_n(_grid(), min_count=0)["n"].tolist() == [356, 409, 353, 409, 356]
    assert "353" in grid.write_csv(_grid(), tmp_path).read_text()
