"""What every chapter does first: load the data, decide the disclosure threshold, find the output
folder, state what data it runs on. A chapter calls `setup(data_file, output_dir, min_cell_count)`
once, with its parameters."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import paths
from helpers.present.prose import data_statement, is_synthetic


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


@dataclass(frozen=True)
class Setup:
    """A chapter's starting point: the data, the suppression threshold applied to them, the data
    statement, and where the chapter writes files."""

    df: pd.DataFrame
    min_cell_count: int  # the parameter (the threshold for real data)
    min_count: int  # the threshold applied: 0 on synthetic data
    output_dir: str | None = None

    @property
    def statement(self) -> str:
        """The data statement shown at the top of the chapter (Markdown)."""
        return data_statement(self.df, self.min_cell_count)

    def output_folder(self) -> Path:
        return output_folder(self.output_dir)


def setup(data_file: str | None = None, output_dir: str | None = None, min_cell_count: int = 5) -> Setup:
    """Load `data_file` (None = the bundled synthetic file) and decide what may be shown."""
    df = load(data_file)
    return Setup(df, int(min_cell_count), suppression_threshold(df, min_cell_count), output_dir)
