"""Which codebook variable a raw column name stands for (exact or loosely spelled), one rule."""

from __future__ import annotations

import re

from helpers.data.checks import Problem, format_list
from helpers.data.codebook import Codebook, load_codebook

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def _fold(text) -> str:
    """Case, spacing, curly quotes and dashes ignored ("Don\u2019t  know" == "don't know")."""
    return " ".join(str(text).translate(_QUOTES).split()).casefold()


def _squash(text) -> str:
    return re.sub(r"[^0-9a-z]", "", _fold(text))


_LOOKUPS: dict[int, tuple[Codebook, tuple[dict[str, str], dict[str, str]]]] = {}


def _name_lookup(codebook: Codebook) -> tuple[dict[str, str], dict[str, str]]:
    """(exact folded name -> canonical, squashed name -> canonical); squashed keys that two
    variables share are left out (ambiguous), so only an exact match can reach them."""
    hit = _LOOKUPS.get(id(codebook))
    if hit is not None and hit[0] is codebook:
        return hit[1]
    exact: dict[str, str] = {}
    squashed: dict[str, set[str]] = {}
    targets = [(v.name, v.aliases) for v in codebook.variables.values()]
    targets += [(d, ()) for d in codebook.derived]
    for canonical, aliases in targets:
        for n in (canonical, *aliases):
            exact.setdefault(_fold(n), canonical)
            squashed.setdefault(_squash(n), set()).add(canonical)
    result = exact, {k: next(iter(v)) for k, v in squashed.items() if len(v) == 1 and k}
    if len(_LOOKUPS) > 16:
        _LOOKUPS.clear()
    _LOOKUPS[id(codebook)] = (codebook, result)
    return result


def canonical_name(raw: str, codebook: Codebook | None = None) -> str | None:
    """The codebook column a raw column name stands for, or None."""
    exact, squashed = _name_lookup(codebook or load_codebook())
    return exact.get(_fold(raw)) or squashed.get(_squash(raw))


def match_columns(raw_names, codebook: Codebook) -> tuple[dict[str, str], list[str], list[Problem]]:
    """(raw -> canonical for the columns kept, ignored raw names, problems)."""
    mapping: dict[str, str] = {}
    claimed: dict[str, list[str]] = {}
    ignored, unknown = [], []
    for raw in raw_names:
        canonical = canonical_name(raw, codebook)
        if canonical is not None:
            claimed.setdefault(canonical, []).append(str(raw))
            mapping.setdefault(str(raw), canonical)
        elif codebook.is_ignored(raw):
            ignored.append(str(raw))
        else:
            unknown.append(str(raw))
    problems = []
    for canonical, raws in claimed.items():
        if len(raws) > 1:
            problems.append(Problem(f"all name the codebook variable {canonical!r}: keep one of them", tuple(raws)))
            for r in raws[1:]:
                mapping.pop(r, None)
    if unknown and not claimed:
        problems.append(
            Problem(
                f"none of the {len(unknown)} columns is a codebook variable ({format_list(unknown)}): "
                "is this the survey export?"
            )
        )
    elif unknown:
        problems.append(
            Problem(
                "not in the codebook (neither a variable nor an alias, nor matched by ignore_columns): "
                "remove or rename it, or add it to data/codebook.yaml",
                tuple(unknown),
            )
        )
    return mapping, ignored, problems
