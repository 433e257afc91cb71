"""Check a survey export against the codebook; every problem is one line.

    python -m helpers validate FILE [FILE ...]

prints `FILE: valid, N respondents, K variables (source: real|synthetic)` for a good file (exit 0)
or one line per problem on stderr (exit 2), never a traceback:

    survey.csv: column 'gender': rows 3, 7: unknown label 'Femal': did you mean 'Female'? (...)

Row numbers count data rows, the header not counted: "row 1" is the first respondent (spreadsheet
row 2, CSV line 2 when no value spans lines, SPSS/Stata case 1). Long lists are abbreviated
("rows 3, 7, 12, 15, 20 and 40 more").

Column-level checks (required columns, allowed levels and codes, id type and uniqueness) are a
pandera schema validated lazily, so every failure is collected at once; the survey's own rules
(skip logic, exclusive options, all-missing model variables, enough complete rows to fit the
models, derived columns) are plain checks below. `helpers.data.load_survey` runs all of them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

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
    import yaml

    m = _CONDITION.match(expr)
    if not m:
        raise ValueError(f"cannot read asked_if condition {expr!r}")
    column, op, value = m.groups()
    values = yaml.safe_load(value)
    values = tuple(str(v) for v in (values if isinstance(values, list) else [values]))
    return column, op in ("==", "in"), values


def asked(variable: Variable, frame: pd.DataFrame) -> pd.Series | None:
    """Per row: True when `variable` was asked, False when skip logic hid it, NA when unknown
    (its condition's source unanswered). None when the variable is always asked or the source
    column is absent."""
    if not variable.asked_if:
        return None
    return _asked_if(variable.asked_if, frame)


def _asked_if(condition: str, frame: pd.DataFrame) -> pd.Series | None:
    column, member, values = parse_condition(condition)
    if column not in frame:
        return None
    source = frame[column].astype(object)
    result = source.isin(values) if member else ~source.isin(values)
    return result.astype("boolean").mask(source.isna())


def asked_all(codebook: Codebook, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """`asked` of each variable in `frame` that has a skip condition whose source is in `frame`
    too (the others are always asked), each distinct condition evaluated once (the options of
    a question share theirs)."""
    conditions = {v.name: v.asked_if for v in codebook.variables.values() if v.asked_if and v.name in frame}
    by_condition = {c: _asked_if(c, frame) for c in dict.fromkeys(conditions.values())}
    return {name: by_condition[c] for name, c in conditions.items() if by_condition[c] is not None}


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


def _is_text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def build_schema(codebook: Codebook):
    """The pandera schema of a survey frame whose values are codebook levels (object dtype)."""
    import pandera.pandas as pa

    columns = {}
    for v in codebook.variables.values():
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


_schema = per_codebook(build_schema)  # validating does not change a schema: one per codebook


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


def _pandera_problems(frame: pd.DataFrame, codebook: Codebook, labelled: set[str], file_kind: str) -> list[Problem]:
    import pandera.pandas as pa

    try:
        _schema(codebook).validate(frame, lazy=True)
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


def _valid(frame: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Values that are codebook levels; anything else NA (object dtype)."""
    out = {}
    for name in frame.columns:
        s = frame[name].astype(object)
        v = codebook.variables.get(name)
        if v is not None and v.is_categorical:
            s = s.where(s.isin(v.levels), None)
        elif name in codebook.derived:
            s = s.where(s.isin(["No", "Yes"]), None)
        out[name] = s
    return pd.DataFrame(out, index=frame.index)


def _survey_problems(frame: pd.DataFrame, codebook: Codebook) -> list[Problem]:
    """The survey's own rules on a frame of codebook levels (object, NA elsewhere)."""
    valid = _valid(frame, codebook)
    problems: list[Problem] = []
    n = len(frame)

    # Every model variable needs some answers.
    all_missing = set()
    for v in codebook.variables.values():
        if v.role in MODEL_ROLES and v.name in frame and frame[v.name].isna().all():
            all_missing.add(v.name)
            problems.append(Problem(f"no answers in any of the {n} rows (every {v.role} needs answers)", (v.name,)))

    # Skip logic: nothing answered (ticked, for tick boxes) by respondents who were not asked.
    was_asked_of = asked_all(codebook, valid)
    for v in codebook.variables.values():
        if v.name not in valid:
            continue
        was_asked = was_asked_of.get(v.name)
        if was_asked is None:
            continue
        source, member, values = parse_condition(v.asked_if)
        not_asked = (was_asked == False).fillna(False).astype(bool)  # noqa: E712
        answered = valid[v.name].eq("Yes") if v.type == "multiple" else valid[v.name].notna()
        bad = not_asked & answered
        if bad.any():
            seen = format_list(list(dict.fromkeys(valid.loc[bad, source])))
            verb = "ticked" if v.type == "multiple" else "answered"
            problems.append(
                Problem(
                    f"{verb} although {source} is {seen} (asked only if {v.asked_if})",
                    (v.name,),
                    tuple(frame.index[bad]),
                )
            )

    # Exclusive options: "none of these" may not be ticked with another option of its set.
    for v in codebook.variables.values():
        if not (v.exclusive and v.set and v.name in valid):
            continue
        others = [o for o in codebook.option_set(v.set) if o != v.name and o in valid]
        ticked = valid[others].eq("Yes")
        bad = valid[v.name].eq("Yes") & ticked.any(axis=1)
        if bad.any():
            with_ = [o for o in others if ticked.loc[bad, o].any()]
            problems.append(
                Problem(
                    f"{v.label!r} ticked together with other options of the same question ({format_list(with_, quote=False)})",
                    (v.name,),
                    tuple(frame.index[bad]),
                )
            )

    # Derived columns, if the file carries them, must agree with their source.
    for d in codebook.derived.values():
        if d.name not in valid or d.source not in valid:
            continue
        expected = valid[d.source].isin(d.events).map({True: "Yes", False: "No"})
        both = valid[d.name].notna() & valid[d.source].notna()
        bad = both & (valid[d.name] != expected)
        if bad.any():
            problems.append(
                Problem(
                    f"disagrees with {d.source} (Yes exactly when it is {' or '.join(d.events)}); "
                    "derived columns are recomputed on load: drop the column or fix it",
                    (d.name,),
                    tuple(frame.index[bad]),
                )
            )

    problems += _unanalysable_problems(frame, valid, codebook, all_missing, was_asked_of)

    # Enough complete rows to fit the models.
    model = [
        v.name
        for v in codebook.variables.values()
        if v.role in MODEL_ROLES and v.name in valid and v.name not in all_missing
    ]
    if model and n:
        complete = int(valid[model].notna().all(axis=1).sum())
        if complete < MIN_COMPLETE_ROWS:
            problems.append(
                Problem(
                    f"only {complete} of {n} rows answer every outcome, exposure and confounder; "
                    f"the models need at least {MIN_COMPLETE_ROWS} (MIN_COMPLETE_ROWS)"
                )
            )
        else:
            problems += _single_level_in_models(valid, model, codebook, complete)
    return problems


def _single_level_in_models(valid: pd.DataFrame, model: list[str], codebook: Codebook, complete: int) -> list[Problem]:
    """A model variable with answers of several kinds overall but one kind only among the rows
    the models use (those answering every model variable): its term cannot be estimated."""
    rows = valid[model].notna().all(axis=1)
    problems = []
    for name in model:
        seen = list(dict.fromkeys(valid.loc[rows, name]))
        if len(seen) == 1 and valid[name].nunique() > 1:
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
    valid: pd.DataFrame,
    codebook: Codebook,
    all_missing: set[str],
    was_asked_of: dict[str, pd.Series],
) -> list[Problem]:
    """Data that parse but cannot be analysed: an option column blank throughout while the
    export records unticked boxes of its question; an outcome or exposure (or a derived outcome)
    with a single answer; a question blank for everyone it was asked of."""
    problems: list[Problem] = []
    variables = [v for v in codebook.variables.values() if v.name in valid]

    sets = dict.fromkeys(v.set for v in variables if v.type == "multiple" and v.set)
    for name in sets:
        options = [o for o in codebook.option_set(name) if o in valid]
        unticked = [o for o in options if valid[o].eq("No").any()]
        blank = [o for o in options if frame[o].isna().all()]
        if unticked and blank and len(blank) < len(options):
            answered = int(valid[options].notna().any(axis=1).sum())
            problems.append(
                Problem(
                    f"blank in every row, although {answered} respondents answered the question and the export "
                    f"records unticked boxes of its other options as 'No' (e.g. {unticked[0]!r}): "
                    "the option's answers were lost in the export",
                    tuple(blank),
                )
            )

    for v in variables:
        if v.role not in ("outcome", "exposure") or v.name in all_missing:
            continue
        seen = list(dict.fromkeys(valid[v.name].dropna()))
        if len(seen) == 1:
            count = int(valid[v.name].notna().sum())
            problems.append(
                Problem(
                    f"all {count} answers are {clip(seen[0])!r}: an {v.role} needs at least two different answers",
                    (v.name,),
                )
            )
    for d in codebook.derived.values():
        if d.source not in valid or d.source in all_missing:
            continue
        answers = valid[d.source].dropna()
        if len(answers) and len(set(answers.isin(d.events))) == 1 and answers.nunique() > 1:
            which = "all" if answers.isin(d.events).all() else "none"
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
        was_asked = was_asked_of.get(v.name)
        if was_asked is None:
            continue
        mask = was_asked.fillna(False).astype(bool)
        if not mask.any():
            continue
        columns = [v.name]
        if v.type == "multiple" and v.set:
            columns = [o for o in codebook.option_set(v.set) if o in valid]
            done.update(columns)
        if valid.loc[mask, columns].isna().all().all():
            problems.append(
                Problem(
                    f"blank for all {int(mask.sum())} respondents asked (asked only if {v.asked_if})", tuple(columns)
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
    problems = _pandera_problems(frame, codebook, set(labelled), file_kind)
    problems += _survey_problems(frame, codebook)
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
