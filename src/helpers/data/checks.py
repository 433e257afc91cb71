"""Check a survey export against the codebook; every problem is one line.

    python -m helpers validate FILE [FILE ...]

prints `FILE: valid, N respondents, K variables (source: real|synthetic)` for a good file (exit 0)
or one line per problem on stderr (exit 2), never a traceback:

    survey.csv: column 'gender': rows 3, 7: unknown label 'Femal': did you mean 'Female'? (...)

Row numbers count data rows, the header not counted: "row 1" is the first respondent (spreadsheet
row 2, CSV line 2 when no value spans lines, SPSS/Stata case 1). Long lists are abbreviated
("rows 3, 7, 12, 15, 20 and 40 more").

Column-level checks (required columns, allowed levels and codes, id type and uniqueness) are a
pandera schema validated lazily, so every failure is collected at once (of the columns that can
fail it: one holding only its levels, or sound ids, passes for certain); the survey's own rules
(skip logic, exclusive options, all-missing model variables, enough complete rows to fit the
models, derived columns) are plain checks below. `helpers.data.load_survey` runs all of them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd

from helpers import yamlfile
from helpers.data.codebook import Codebook, Variable, load_codebook
from helpers.data.memo import per_codebook

# Fewest respondents with every outcome, exposure and confounder answered for the models
# (up to ~15 parameters in Model 3) to be fitted at all.
MIN_COMPLETE_ROWS = 50
# Abbreviation of long lists in messages.
MAX_ROWS_SHOWN = 5
MAX_VALUES_SHOWN = 3
# Longest value echoed in a message: a longer one is cut (it may hold other respondents' data,
# e.g. after a stray quote).
MAX_VALUE_CHARS = 60
# Roles whose variables enter the models: an all-missing one makes the analysis impossible.
MODEL_ROLES = ("outcome", "exposure", "confounder")


# --------------------------------------------------------------------------------------------
# Problems and the error
# --------------------------------------------------------------------------------------------


def format_rows(rows: Iterable[int]) -> str:
    """'row 3', 'rows 3, 7', 'rows 3, 7, 12, 15, 20 and 40 more'."""
    rows = sorted({int(r) for r in rows})
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_SHOWN])
    rest = len(rows) - MAX_ROWS_SHOWN
    return f"rows {shown} and {rest} more" if rest > 0 else f"rows {shown}"


def clip(value, limit: int = MAX_VALUE_CHARS) -> str:
    """A value as echoed in a message: on one line, at most `limit` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def format_list(items: Sequence[str], limit: int = MAX_VALUES_SHOWN, quote: bool = True) -> str:
    shown = [repr(clip(i)) if quote else clip(i) for i in items[:limit]]
    rest = len(items) - limit
    return ", ".join(shown) + (f" and {rest} more" if rest > 0 else "")


@dataclass(frozen=True)
class Problem:
    """One problem: the column(s) it concerns, the data rows, and what is wrong."""

    message: str
    columns: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()

    def line(self, file: str) -> str:
        parts = [file]
        if len(self.columns) == 1:
            parts.append(f"column {self.columns[0]!r}")
        elif self.columns:
            parts.append(f"columns {format_list(self.columns, limit=6)}")
        if self.rows:
            parts.append(format_rows(self.rows))
        parts.append(self.message)
        return ": ".join(parts)


class SurveyValidationError(ValueError):
    """A survey file that cannot be analysed. `.file` is the file's name (never a path),
    `.problems` one line per problem, `.details` the `Problem` objects; str() is one line."""

    def __init__(self, file: str, problems: Sequence[Problem | str]):
        self.file = str(file)
        self.details = [p if isinstance(p, Problem) else Problem(str(p)) for p in problems]
        self.problems = [p.line(self.file) for p in self.details]
        super().__init__(self._summary())

    @property
    def messages(self) -> list[str]:
        """Alias of `.problems` (what reportbuild.cli looks for)."""
        return self.problems

    def _summary(self) -> str:
        if len(self.details) == 1:
            return self.problems[0]
        columns: list[str] = []
        for p in self.details:
            columns += [c for c in p.columns if c not in columns]
        where = f" in columns {format_list(columns, limit=4)}" if columns else ""
        first = self.details[0].line("").removeprefix(": ")
        return f"{self.file}: {len(self.details)} problems{where}; first: {first}"

    def __reduce__(self):  # picklable (papermill, multiprocessing)
        return (self.__class__, (self.file, self.details))


# --------------------------------------------------------------------------------------------
# Skip logic
# --------------------------------------------------------------------------------------------

_CONDITION = re.compile(r"^\s*(\w+)\s*(==|!=|not in|in)\s*(.+?)\s*$")


@lru_cache(maxsize=256)  # a pure function of the text; the result is immutable
def parse_condition(expr: str) -> tuple[str, bool, tuple[str, ...]]:
    """`"x == 'A'"` -> ('x', True, ('A',)); `"x != 'A'"` -> ('x', False, ('A',)); `in [...]` too.
    Returns (source column, whether membership means asked, levels)."""

    m = _CONDITION.match(expr)
    if not m:
        raise ValueError(f"cannot read asked_if condition {expr!r}")
    column, op, value = m.groups()
    values = yamlfile.safe_load(value)
    values = tuple(str(v) for v in (values if isinstance(values, list) else [values]))
    return column, op in ("==", "in"), values


class Skip(NamedTuple):
    """Per row, under one skip condition: asked, not asked (neither: its source unanswered)."""

    asked: np.ndarray
    not_asked: np.ndarray


def skip_masks(condition: str, columns: Mapping[str, np.ndarray]) -> Skip | None:
    """Who was asked under `condition`, from the columns' values (object arrays, None for
    missing); None when its source is not among `columns`."""
    column, member, values = parse_condition(condition)
    if column not in columns:
        return None
    source = columns[column]
    said = _isin(source, values) == member
    known = ~pd.isna(source)
    return Skip(known & said, known & ~said)


def _isin(values: np.ndarray, allowed: tuple[str, ...]) -> np.ndarray:
    return np.fromiter((x in allowed for x in values), dtype=bool, count=len(values))


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


def _is_text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def build_schema(codebook: Codebook, names: Sequence[str] | None = None):
    """The pandera schema of a survey frame whose values are codebook levels (object dtype);
    `names`: of those variables only (default: all), in codebook order."""
    import pandera.pandas as pa

    columns = {}
    for v in codebook.variables.values():
        if names is not None and v.name not in names:
            continue
        if v.type == "id":
            columns[v.name] = pa.Column(
                nullable=False,
                unique=True,
                required=v.required,
                checks=pa.Check(_is_text, element_wise=True, name="is_text"),
            )
        else:
            columns[v.name] = pa.Column(
                nullable=True,
                required=v.required,
                checks=pa.Check.isin(list(v.levels)),
            )
    return pa.DataFrameSchema(columns, strict=False, coerce=False, name="survey")


@per_codebook
def _schemas(codebook: Codebook) -> dict[tuple[str, ...], object]:
    return {}  # variables checked -> their schema (validating does not change a schema)


def _schema(codebook: Codebook, names: tuple[str, ...]):
    schemas = _schemas(codebook)
    if names not in schemas:
        if len(schemas) > 64:  # a few variants per codebook in practice
            schemas.clear()
        schemas[names] = build_schema(codebook, names)
    return schemas[names]


def _sound_ids(column: pd.Series) -> bool:
    """Every id text and none repeated: the id passes the schema's checks."""
    values = column.to_numpy()
    return all(map(_is_text, values)) and len(set(values)) == len(values)


def _allowed(codebook: Codebook, name: str) -> tuple[str, ...] | None:
    """The values a column may hold besides missing: a categorical variable's levels, a derived
    column's No/Yes; None for any other column (the id, a column the codebook does not know)."""
    v = codebook.variables.get(name)
    if v is not None:
        return v.levels if v.is_categorical else None
    return ("No", "Yes") if name in codebook.derived else None


def _within_levels(frame: pd.DataFrame, codebook: Codebook) -> set[str]:
    """The columns that pass the schema's checks for certain: those with a set of allowed
    values (`_allowed`) that hold nothing else (missing, None, aside; they need no masking in
    `_valid` either), and a sound id column."""
    clean: set[str] = set()
    if not frame.columns.is_unique:  # the checks' own path (every column looked at)
        return clean
    for name in frame.columns:
        allowed = _allowed(codebook, name)
        if allowed is None:
            v = codebook.variables.get(name)
            if v is not None and v.type == "id" and _sound_ids(frame[name]):
                clean.add(name)
            continue
        try:
            seen = set(frame[name].to_numpy())
        except TypeError:  # an unhashable value: not a level, and the checks say so
            continue
        seen.discard(None)
        if seen.issubset(allowed):
            clean.add(name)
    return clean


def _levels_text(v: Variable) -> str:
    return f"expected one of {', '.join(v.levels)}"


def _codes_text(v: Variable, codebook: Codebook) -> str:
    codes = ", ".join(f"{c}={lvl}" for c, lvl in sorted(v.codes.items()))
    missing = ", ".join(str(c) for c in codebook.missing_codes)
    return f"expected codes {codes}" + (f"; missing: {missing}" if missing else "")


def _is_number(value) -> bool:
    import numbers

    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _number_text(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else str(value)


def _suggest(text: str, levels: Sequence[str]) -> str:
    folded = {lvl.casefold(): lvl for lvl in levels}
    close = difflib.get_close_matches(text.casefold(), list(folded), n=1, cutoff=0.75)
    return f": did you mean {folded[close[0]]!r}?" if close else ""


def _level_problems(v: Variable, cases: pd.DataFrame, codebook: Codebook, labelled: bool) -> list[Problem]:
    """Lines for one column's values outside its levels (`cases`: failure_case, index).
    Numbers are codes that matched nothing; text is a label that matched nothing."""
    groups: dict[tuple[str, str], list[int]] = {}
    for value, row in zip(cases["failure_case"], cases["index"]):
        kind, text = ("code", _number_text(value)) if _is_number(value) else ("label", str(value))
        groups.setdefault((kind, text), []).append(int(row))
    groups = dict(sorted(groups.items(), key=lambda kv: min(kv[1])))  # in file order
    out = []
    for kind in ("label", "code"):
        values = {text: rows for (k, text), rows in groups.items() if k == kind}
        if not values:
            continue
        if kind == "code":
            what = "has no value label and is not a codebook code" if labelled else "is not a codebook code"
            expected = _codes_text(v, codebook)
        else:
            expected = _levels_text(v)
        if len(values) > MAX_VALUES_SHOWN:
            rows = tuple(r for rs in values.values() for r in rs)
            shown = format_list(list(values), quote=kind == "label")
            noun = "codes that are not codebook codes" if kind == "code" else "unknown labels"
            out.append(Problem(f"{len(values)} {noun} ({shown}; {expected})", (v.name,), rows))
            continue
        for text, rows in values.items():
            if kind == "code":
                out.append(Problem(f"code {text} {what} ({expected})", (v.name,), tuple(rows)))
            else:
                hint = _suggest(text, v.levels)
                out.append(Problem(f"unknown label {clip(text)!r}{hint} ({expected})", (v.name,), tuple(rows)))
    return out


def _pandera_problems(
    frame: pd.DataFrame, codebook: Codebook, labelled: set[str], file_kind: str, clean: set[str]
) -> list[Problem]:
    import pandera.pandas as pa

    # pandera costs about half a millisecond a column: it checks the columns that may fail
    # (not `clean`) and the presence of the absent required ones; the others pass for certain.
    names = tuple(
        v.name for v in codebook.variables.values() if v.name not in clean and (v.name in frame or v.required)
    )
    if not names:
        return []
    try:
        _schema(codebook, names).validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    except pa.errors.SchemaError as err:  # pragma: no cover - lazy=True raises SchemaErrors
        return [Problem(f"schema check failed: {str(err).splitlines()[0]}")]
    order = {name: i for i, name in enumerate(codebook.names)}
    problems: list[tuple[int, Problem]] = []
    for (column, check), group in cases.groupby([cases["column"].fillna(""), "check"], sort=False):
        check = str(check)
        if check == "column_in_dataframe":
            missing = sorted((str(n) for n in group["failure_case"]), key=lambda n: order.get(n, -1))
            if len(missing) > MAX_VALUES_SHOWN:
                problems.append((-1, Problem(f"required but missing from the {file_kind}", tuple(missing))))
                continue
            for name in missing:
                v = codebook.variables.get(name)
                names = (v.name, *v.aliases) if v else (name,)
                problems.append(
                    (
                        order.get(name, -1),
                        Problem(f"required but missing from the {file_kind} (looked for {', '.join(names)})", (name,)),
                    )
                )
            continue
        v = codebook.variables.get(column)
        rows = tuple(int(r) for r in group["index"].dropna())
        key = order.get(column, len(order))
        if check == "not_nullable":
            problems.append((key, Problem("missing id: every respondent needs one", (column,), rows)))
        elif check == "field_uniqueness":
            ids = list(dict.fromkeys(str(x) for x in group["failure_case"]))
            problems.append(
                (
                    key,
                    Problem(f"duplicate ids {format_list(ids)}: each respondent may appear only once", (column,), rows),
                )
            )
        elif check == "is_text":
            problems.append((key, Problem("id is not text", (column,), rows)))
        elif check.startswith("isin") and v is not None:
            for p in _level_problems(v, group[["failure_case", "index"]], codebook, column in labelled):
                problems.append((key, p))
        else:  # pragma: no cover - a check added to the schema without its own wording
            values = format_list([str(x) for x in group["failure_case"].drop_duplicates()])
            problems.append((key, Problem(f"fails check {check} ({values})", (str(column),) if column else (), rows)))
    problems.sort(key=lambda kp: kp[0])
    return [p for _, p in problems]


def _valid(frame: pd.DataFrame, codebook: Codebook, clean: set[str]) -> dict[str, np.ndarray]:
    """Each column's values that are codebook levels, None elsewhere (object arrays); columns
    without levels as they are. `clean`: columns known to hold levels only (`_within_levels`)."""
    out = {}
    for name in frame.columns:
        values = frame[name].to_numpy(dtype=object)
        allowed = _allowed(codebook, name)
        if allowed is not None and name not in clean:
            values = np.array([x if x in allowed else None for x in values], dtype=object)
        out[name] = values
    return out


# The survey's own rules run on numpy arrays, one per column: a pandas operation costs tens of
# microseconds whatever the size, and these rules take a few hundred of them per file.


def _survey_problems(frame: pd.DataFrame, codebook: Codebook, clean: set[str]) -> list[Problem]:
    """The survey's own rules on a frame of codebook levels (object, NA elsewhere)."""
    valid = _valid(frame, codebook, clean)
    blank = {name: pd.isna(values) for name, values in valid.items()}
    rows = frame.index
    problems: list[Problem] = []
    n = len(frame)

    # Every model variable needs some answers.
    all_missing = set()
    for v in codebook.variables.values():
        if v.role in MODEL_ROLES and v.name in valid and pd.isna(frame[v.name].to_numpy()).all():
            all_missing.add(v.name)
            problems.append(Problem(f"no answers in any of the {n} rows (every {v.role} needs answers)", (v.name,)))

    # Skip logic: nothing answered (ticked, for tick boxes) by respondents who were not asked.
    skips = {
        c: skip_masks(c, valid)
        for c in dict.fromkeys(v.asked_if for v in codebook.variables.values() if v.asked_if and v.name in valid)
    }
    for v in codebook.variables.values():
        skip = skips.get(v.asked_if) if v.name in valid else None
        if skip is None:
            continue
        source = parse_condition(v.asked_if)[0]
        answered = valid[v.name] == "Yes" if v.type == "multiple" else ~blank[v.name]
        bad = skip.not_asked & answered
        if bad.any():
            seen = format_list(list(dict.fromkeys(valid[source][bad])))
            verb = "ticked" if v.type == "multiple" else "answered"
            problems.append(
                Problem(
                    f"{verb} although {source} is {seen} (asked only if {v.asked_if})",
                    (v.name,),
                    tuple(rows[bad]),
                )
            )

    # Exclusive options: "none of these" may not be ticked with another option of its set.
    for v in codebook.variables.values():
        if not (v.exclusive and v.set and v.name in valid):
            continue
        others = [o for o in codebook.option_set(v.set) if o != v.name and o in valid]
        ticked = {o: valid[o] == "Yes" for o in others}
        bad = (valid[v.name] == "Yes") & np.logical_or.reduce([np.zeros(n, dtype=bool), *ticked.values()])
        if bad.any():
            with_ = [o for o in others if ticked[o][bad].any()]
            problems.append(
                Problem(
                    f"{v.label!r} ticked together with other options of the same question ({format_list(with_, quote=False)})",
                    (v.name,),
                    tuple(rows[bad]),
                )
            )

    # Derived columns, if the file carries them, must agree with their source.
    for d in codebook.derived.values():
        if d.name not in valid or d.source not in valid:
            continue
        expected = np.where(_isin(valid[d.source], d.events), "Yes", "No").astype(object)
        bad = ~blank[d.name] & ~blank[d.source] & (valid[d.name] != expected)
        if bad.any():
            problems.append(
                Problem(
                    f"disagrees with {d.source} (Yes exactly when it is {' or '.join(d.events)}); "
                    "derived columns are recomputed on load: drop the column or fix it",
                    (d.name,),
                    tuple(rows[bad]),
                )
            )

    problems += _unanalysable_problems(frame, valid, blank, codebook, all_missing, skips)

    # Enough complete rows to fit the models.
    model = [
        v.name
        for v in codebook.variables.values()
        if v.role in MODEL_ROLES and v.name in valid and v.name not in all_missing
    ]
    if model and n:
        used = np.logical_and.reduce([~blank[m] for m in model])
        complete = int(used.sum())
        if complete < MIN_COMPLETE_ROWS:
            problems.append(
                Problem(
                    f"only {complete} of {n} rows answer every outcome, exposure and confounder; "
                    f"the models need at least {MIN_COMPLETE_ROWS} (MIN_COMPLETE_ROWS)"
                )
            )
        else:
            problems += _single_level_in_models(valid, blank, used, model, codebook)
    return problems


def _single_level_in_models(
    valid: dict[str, np.ndarray], blank: dict[str, np.ndarray], used: np.ndarray, model: list[str], codebook: Codebook
) -> list[Problem]:
    """A model variable with answers of several kinds overall but one kind only among the rows
    the models use (`used`: those answering every model variable): its term cannot be estimated."""
    problems = []
    complete = int(used.sum())
    for name in model:
        seen = list(dict.fromkeys(valid[name][used]))
        if len(seen) == 1 and len(set(valid[name][~blank[name]])) > 1:
            role = codebook.variables[name].role
            problems.append(
                Problem(
                    f"all {complete} respondents who answer every outcome, exposure and confounder "
                    f"answer {clip(seen[0])!r}: the other answers come only from rows the models leave out "
                    f"(a missing answer elsewhere), so this {role} cannot be adjusted for",
                    (name,),
                )
            )
    return problems


def _unanalysable_problems(
    frame: pd.DataFrame,
    valid: dict[str, np.ndarray],
    blank: dict[str, np.ndarray],
    codebook: Codebook,
    all_missing: set[str],
    skips: dict[str, Skip | None],
) -> list[Problem]:
    """Data that parse but cannot be analysed: an option column blank throughout while the
    export records unticked boxes of its question; an outcome or exposure (or a derived outcome)
    with a single answer; a question blank for everyone it was asked of."""
    problems: list[Problem] = []
    variables = [v for v in codebook.variables.values() if v.name in valid]

    sets = dict.fromkeys(v.set for v in variables if v.type == "multiple" and v.set)
    for name in sets:
        options = [o for o in codebook.option_set(name) if o in valid]
        unticked = [o for o in options if (valid[o] == "No").any()]
        empty = [o for o in options if pd.isna(frame[o].to_numpy()).all()]
        if unticked and empty and len(empty) < len(options):
            answered = int(np.logical_or.reduce([~blank[o] for o in options]).sum())
            problems.append(
                Problem(
                    f"blank in every row, although {answered} respondents answered the question and the export "
                    f"records unticked boxes of its other options as 'No' (e.g. {unticked[0]!r}): "
                    "the option's answers were lost in the export",
                    tuple(empty),
                )
            )

    for v in variables:
        if v.role not in ("outcome", "exposure") or v.name in all_missing:
            continue
        answers = valid[v.name][~blank[v.name]]
        seen = list(dict.fromkeys(answers))
        if len(seen) == 1:
            problems.append(
                Problem(
                    f"all {len(answers)} answers are {clip(seen[0])!r}: an {v.role} needs at least two different answers",
                    (v.name,),
                )
            )
    for d in codebook.derived.values():
        if d.source not in valid or d.source in all_missing:
            continue
        answers = valid[d.source][~blank[d.source]]
        events = _isin(answers, d.events)
        if len(answers) and (events.all() or not events.any()) and len(set(answers)) > 1:
            which = "all" if events.all() else "none"
            problems.append(
                Problem(
                    f"{which} of the {len(answers)} answers are {' or '.join(d.events)}: the derived outcome "
                    f"{d.name!r} would have one level",
                    (d.source,),
                )
            )

    done = set()
    for v in variables:
        if not v.asked_if or v.name in all_missing or v.name in done:
            continue
        skip = skips.get(v.asked_if)
        if skip is None:
            continue
        if not skip.asked.any():
            continue
        columns = [v.name]
        if v.type == "multiple" and v.set:
            columns = [o for o in codebook.option_set(v.set) if o in valid]
            done.update(columns)
        if all(blank[c][skip.asked].all() for c in columns):
            problems.append(
                Problem(
                    f"blank for all {int(skip.asked.sum())} respondents asked (asked only if {v.asked_if})",
                    tuple(columns),
                )
            )
    return problems


def check_frame(
    frame: pd.DataFrame,
    codebook: Codebook | None = None,
    *,
    labelled: Iterable[str] = (),
    file_kind: str = "file",
) -> list[Problem]:
    """Every problem of a survey frame whose columns are codebook names and whose values are
    codebook levels (anything else is reported), NA for missing; its index holds the data row
    numbers used in messages. `labelled`: columns whose codes came with value labels."""
    codebook = codebook or load_codebook()
    if len(frame) == 0:
        return [Problem("no data rows (the header is there but no respondents)")]
    frame = frame.astype(object).where(frame.notna(), None)
    clean = _within_levels(frame, codebook)
    problems = _pandera_problems(frame, codebook, set(labelled), file_kind, clean)
    problems += _survey_problems(frame, codebook, clean)
    return problems


def validate_frame(df: pd.DataFrame, file: str = "data frame", codebook: Codebook | None = None) -> pd.DataFrame:
    """Check a frame that claims to be canonical (e.g. a synthetic one before it is written):
    codebook columns (plus the derived ones), codebook levels, survey rules. Rows are counted
    from 1 in frame order. Returns `df` unchanged; raises SurveyValidationError."""
    codebook = codebook or load_codebook()
    known = set(codebook.names) | set(codebook.derived)
    problems = []
    unknown = [c for c in df.columns if c not in known]
    if unknown:
        problems.append(
            Problem("not in the codebook (neither a variable nor a derived column)", tuple(map(str, unknown)))
        )
    for name in df.columns:
        v = codebook.variables.get(name)
        dtype = df[name].dtype
        if v is not None and v.is_categorical and isinstance(dtype, pd.CategoricalDtype):
            if list(dtype.categories) != list(v.levels) or bool(dtype.ordered) != v.ordered:
                problems.append(
                    Problem(
                        f"categories {list(dtype.categories)} (ordered={dtype.ordered}) differ from the "
                        f"codebook levels {list(v.levels)} (ordered={v.ordered})",
                        (name,),
                    )
                )
    frame = df[[c for c in df.columns if c in known]].copy()
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    problems += check_frame(frame, codebook, file_kind="frame")
    if problems:
        raise SurveyValidationError(file, problems)
    return df
