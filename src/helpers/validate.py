"""`python -m helpers validate FILE ...`: check survey exports, print their mapping reports.

The checks are helpers.data.checks (run by helpers.data.load_survey); the report is
helpers.present.mapping. This is the command on top of both.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from helpers.data.checks import MAX_VALUE_CHARS, Problem, SurveyValidationError, format_rows, validate_frame
from helpers.data.codebook import Codebook, load_codebook

__all__ = [
    "MAX_VALUE_CHARS",
    "Problem",
    "SurveyValidationError",
    "format_rows",
    "main",
    "validate_file",
    "validate_frame",
]

USAGE = """usage: python -m helpers validate [--summary] [--out DIR] FILE [FILE ...]

Check survey exports (.csv UTF-8 comma-separated, .xlsx first sheet, SPSS .sav/.zsav, Stata .dta)
against data/codebook.yaml. Prints one line per valid file, then its mapping report (how every
raw column and value was read, with counts; not with --summary), exit 0; or one line per
problem on stderr (exit 2). "row N" is the N-th data row (the header is not counted).
--out DIR also writes the mapping report to DIR/mapping.csv (one FILE only; small counts
suppressed; for real data DIR must be outside the repository or git-ignored, e.g. _output_real).
Without --out nothing is written. Set HELPERS_DEBUG=1 to see the traceback of an unexpected error."""


def validate_file(path: str | os.PathLike, codebook: Codebook | None = None) -> pd.DataFrame:
    """Load and check one survey file (what the build calls before executing anything).
    Returns the canonical frame; raises SurveyValidationError with one line per problem."""
    from helpers.data.load import load_survey

    return load_survey(path, codebook=codebook)


def _safe_message(err: BaseException, path: str) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    for p in sorted({str(Path(path)), str(Path(path).resolve()), os.path.abspath(path)}, key=len, reverse=True):
        text = text.replace(p, Path(path).name)
    return f"{type(err).__name__}: {text}"


def _warn_if_committable(path: Path) -> None:
    """A real export inside the repository where git would see it: say so (stderr)."""
    from helpers import datafile

    try:
        warning = datafile.tracked_data_warning(path, datafile.data_source(path))
    except (datafile.DataFileError, OSError):
        return  # not a readable file: the load says why
    if warning:
        print(warning, file=sys.stderr)


def duplicate_answers_warning(df: pd.DataFrame, name: str) -> str | None:
    """A warning when respondents repeat another respondent's answers to every question (only
    the id differs): a form submitted twice, or rows copied in a spreadsheet. Kept as they are."""
    answers = df.drop(columns=[c for c in ("respondent_id",) if c in df]).astype(object)
    again = answers.duplicated(keep="first").to_numpy()
    if not again.any():
        return None
    rows = [i + 1 for i in range(len(df)) if again[i]]
    return (
        f"warning: {name}: {format_rows(rows)} repeat an earlier respondent's answers to every question "
        "(only the id differs): duplicate submissions? They are analysed as they are"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    from helpers.data.load import load_survey
    from helpers.present.mapping import cli_options, print_report

    args, summary, out = cli_options(args)
    if out is not None and len(args) != 1:
        print("validate: --out takes one FILE (its mapping report is DIR/mapping.csv)", file=sys.stderr)
        return 2
    status = 0
    for arg in args:
        name = Path(arg).name or str(arg)
        _warn_if_committable(Path(arg))
        try:
            df = load_survey(arg, cache=False)  # a check leaves no copy of the data behind
        except SurveyValidationError as err:
            for line in err.problems:
                print(line, file=sys.stderr)
            status = 2
        except Exception as err:  # never a traceback for a user's file
            if os.environ.get("HELPERS_DEBUG"):
                raise
            print(f"{name}: cannot be read: {_safe_message(err, arg)}", file=sys.stderr)
            status = 2
        else:
            warning = duplicate_answers_warning(df, name)
            if warning:
                print(warning, file=sys.stderr)
            ignored = df.attrs.get("ignored_columns") or []
            dropped = f"; dropped {len(ignored)} platform columns: {', '.join(ignored)}" if ignored else ""
            n_vars = sum(1 for c in df.columns if c in load_codebook().variables)
            print(
                f"{name}: valid, {len(df)} respondents, {n_vars} variables "
                f"(source: {df.attrs.get('source', 'real')}{dropped})"
            )
            if not summary or out is not None:
                status = max(status, print_report(arg, df, out, show=not summary))
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
