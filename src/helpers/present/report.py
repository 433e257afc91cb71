"""What every chapter does first: load the data, decide the disclosure threshold, find the output folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers import paths
from helpers.present.prose import is_synthetic


def load(data_file: str | None = None) -> pd.DataFrame:
    """The validated canonical survey frame (None = the bundled synthetic file)."""
    from helpers.data.load import load_survey

    return load_survey(data_file)


def suppression_threshold(df: pd.DataFrame, min_cell_count: int) -> int:
    """Counts below this are suppressed in tables: none for synthetic data, `min_cell_count` for real data."""
    return 0 if is_synthetic(df) else int(min_cell_count)


def output_folder(output_dir: str | None = None) -> Path:
    """Where a chapter writes files (claims.csv, simulation.csv); created if absent."""
    folder = Path(output_dir) if output_dir else paths.OUTPUT
    folder.mkdir(parents=True, exist_ok=True)
    return folder
