"""Which numeric codes may be read without value labels, and the codes file that confirms them.

A CSV or Excel export of codes (or an SPSS/Stata column without value labels) does not say what
its codes mean. The codebook's `codes` are used as they are only where they are the only
sensible reading: 0 = No and 1 = Yes of a No/Yes item. Any other code read through them would
be a guess: 1/2 of a binary item (exported as often 1 = No, 2 = Yes as 1 = Yes, 2 = No), a
scale (it may run 5 = Never ... 1 = Very often), a nominal item (the order of its options is the
export's own). Such a column is refused, with one line naming it and the codes seen, until the
codes are confirmed: `codes_confirmed` in data/codebook.yaml (every file), or a codes file next
to the data file (that file only), named after it plus `.codes.yaml`:

    # survey.csv.codes.yaml: what the codes of survey.csv mean (from the platform's codebook)
    uses_outcome_measures: {1: "No", 2: "Yes"}
    patient_outcome_freq: {1: "Very often", 2: "Often", 3: "Sometimes", 4: "Rarely", 5: "Never"}
    "measure_*": {0: "No", 1: "Yes"}       # a shell pattern over variable names
    q31: {1: "Male", 2: "Female", 3: "Another gender", 8: "Prefer not to say", 9: missing}
    "*": codebook                          # every other variable: the codebook's codes are right

Keys are variable names, aliases or shell patterns of names (an exact name wins over a pattern;
among patterns, the first that matches). A value is `codebook` (the codebook's `codes` are this
file's) or a map code -> one of the variable's levels, a non-substantive answer (coded as the
codebook's `non_substantive` says) or `missing`. Value labels of a labelled file always win.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
from collections.abc import Mapping
from pathlib import Path

import yaml

from helpers import yamlfile
from helpers.data.codebook import MISSING, Codebook, Variable, _choice
from helpers.data.checks import Problem, SurveyValidationError
from helpers.data.names import canonical_name

SUFFIX = ".codes.yaml"
USE_CODEBOOK = "codebook"
# The one reading of unlabelled codes that needs no confirmation (dummy coding of a No/Yes item).
DUMMY_CODES = {0: "No", 1: "Yes"}


def codes_file(data_file: str | os.PathLike) -> Path:
    """The codes file that belongs to a data file: `<data file name>.codes.yaml`, next to it."""
    data_file = Path(data_file)
    return data_file.with_name(data_file.name + SUFFIX)


def _targets(key: str, codebook: Codebook) -> tuple[list[str], bool]:
    """(the coded variables a key names, whether it is a pattern rather than a name or alias)."""
    coded = [v.name for v in codebook.variables.values() if v.is_categorical]
    exact = canonical_name(key, codebook)
    if exact is not None:
        return ([exact] if exact in coded else []), False
    return [n for n in coded if fnmatch.fnmatchcase(n.casefold(), key.casefold())], True


def _code_map(v: Variable, value, problems: list[Problem]) -> dict[int, str] | None:
    if isinstance(value, str) and value.strip().casefold() == USE_CODEBOOK:
        return dict(v.codes)
    if not isinstance(value, Mapping) or not value:
        problems.append(Problem(f"expected `{USE_CODEBOOK}` or a map of codes to levels, got {value!r}", (v.name,)))
        return None
    allowed = {*v.levels, *v.non_substantive}
    out: dict[int, str] = {}
    for code, level in value.items():
        try:
            number = float(code)
            if not number.is_integer():
                raise ValueError
        except (TypeError, ValueError):
            problems.append(Problem(f"{code!r} is not a whole-number code", (v.name,)))
            continue
        level = _choice(level)
        if level is not None and level not in allowed:
            problems.append(
                Problem(
                    f"code {int(number)}: {level!r} is none of its levels ({', '.join(v.levels)}), "
                    f"non-substantive answers ({', '.join(v.non_substantive)}) or 'missing'",
                    (v.name,),
                )
            )
            continue
        out[int(number)] = MISSING if level is None else level
    return out


def read_codes_file(path: Path, codebook: Codebook) -> dict[str, dict[int, str]]:
    """variable -> its confirmed code map, from one codes file; raises SurveyValidationError."""
    name = path.name
    try:
        raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        where = getattr(err, "problem_mark", None)
        at = f" (line {where.line + 1})" if where is not None else ""
        raise SurveyValidationError(name, [Problem(f"cannot be read as YAML{at}: {type(err).__name__}")]) from None
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SurveyValidationError(name, [Problem("expected a map of variable names to code maps")])
    problems: list[Problem] = []
    exact: dict[str, dict[int, str]] = {}
    patterned: dict[str, dict[int, str]] = {}
    for key, value in raw.items():
        targets, is_pattern = _targets(str(key), codebook)
        if not targets:
            problems.append(Problem(f"{str(key)!r} names no coded codebook variable (nor alias, nor pattern of names)"))
            continue
        for target in targets:
            code_map = _code_map(codebook.variables[target], value, problems)
            if code_map is None:
                continue
            if is_pattern:
                patterned.setdefault(target, code_map)
            else:
                exact[target] = code_map
    if problems:
        raise SurveyValidationError(name, problems)
    return patterned | exact


def with_codes_file(codebook: Codebook, data_file: str | os.PathLike) -> Codebook:
    """The codebook as it applies to `data_file`: the code maps its codes file confirms (if it
    has one) replace the codebook's, marked confirmed by that file."""
    path = codes_file(data_file)
    if not path.is_file():
        return codebook
    confirmed = read_codes_file(path, codebook)
    if not confirmed:
        return codebook
    variables = {
        n: dataclasses.replace(v, codes=confirmed[n], codes_confirmed=path.name) if n in confirmed else v
        for n, v in codebook.variables.items()
    }
    return dataclasses.replace(codebook, variables=variables)


def needs_confirmation(v: Variable, codes_read) -> bool:
    """True when numeric codes were read through the codebook's `codes` without value labels
    and that reading is not the only sensible one."""
    if not codes_read or v.codes_confirmed:
        return False
    if set(v.levels) == set(DUMMY_CODES.values()):
        return any(DUMMY_CODES.get(c) != v.codes.get(c) for c in codes_read)
    return True


def _why(v: Variable) -> str:
    if set(v.levels) == set(DUMMY_CODES.values()):
        return "a Yes/No item exported as 1/2 is coded 1 = No, 2 = Yes as often as the reverse"
    if v.ordered:
        return f"a scale may start from {v.levels[-1]} as well as from {v.levels[0]}"
    return "the order of the options is the export's own"


def unconfirmed_problem(v: Variable, counts: Mapping[int, int], data_name: str) -> Problem:
    """The refusal of one column whose codes would be a guess: the codes seen, with counts."""
    seen = ", ".join(f"{c} ({n} rows)" for c, n in sorted(counts.items()))
    reading = ", ".join(f"{c}={v.codes[c]}" for c in sorted(counts) if c in v.codes)
    return Problem(
        f"numeric codes without value labels: {seen}; reading them as the codebook does ({reading}) "
        f"would be a guess, as {_why(v)}: confirm the codes in {data_name}{SUFFIX} next to the data "
        "file (see data/real/README.md), or export the value labels",
        (v.name,),
    )
