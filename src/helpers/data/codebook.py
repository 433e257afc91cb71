"""Read the codebook (data/codebook.yaml): the single description of every analysis variable."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from helpers import paths, yamlfile


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    type: str  # id | binary | ordinal | nominal | multiple
    role: str  # outcome | exposure | confounder | descriptive | id
    definition: str  # published | assumed
    question: str | None = None
    levels: tuple[str, ...] = ()
    codes: dict[int, str] = field(default_factory=dict)
    group: str | None = None
    set: str | None = None
    exclusive: bool = False
    asked_if: str | None = None
    required: bool = True
    aliases: tuple[str, ...] = ()
    # Who confirmed that `codes` are this export's codes (None: nobody; the codebook's reading
    # is then used for unlabelled codes only where it is the only sensible one, see codemap.py).
    codes_confirmed: str | None = None
    # Non-substantive answer ("Don't know", ...) -> the level it counts as, or None (missing).
    non_substantive: dict[str, str | None] = field(default_factory=dict)

    @property
    def is_categorical(self) -> bool:
        return self.type in {"binary", "ordinal", "nominal", "multiple"}

    @property
    def ordered(self) -> bool:
        return self.type == "ordinal"

    def dtype(self) -> pd.CategoricalDtype | None:
        """The pandas dtype of this column: a Categorical with the reference level first."""
        if not self.is_categorical:
            return None
        return _categorical(self.levels, self.ordered)


@lru_cache(maxsize=256)  # built for every column of every load; a dtype is immutable
def _categorical(levels: tuple[str, ...], ordered: bool) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(levels), ordered=ordered)


@dataclass(frozen=True)
class Derived:
    name: str
    label: str
    source: str
    events: tuple[str, ...]  # levels of `source` counted as "Yes"
    definition: str


@dataclass(frozen=True)
class Codebook:
    variables: dict[str, Variable]
    derived: dict[str, Derived]
    missing_labels: tuple[str, ...]
    missing_codes: tuple[int, ...]
    dataset: str = ""
    population: str = ""
    ignore_columns: tuple[str, ...] = ()  # raw columns dropped on load (shell-style patterns)
    non_substantive: dict[str, str | None] = field(default_factory=dict)  # the default per answer

    def __getitem__(self, name: str) -> Variable:
        return self.variables[name]

    @property
    def names(self) -> list[str]:
        return list(self.variables)

    def by_role(self, role: str) -> list[str]:
        return [v.name for v in self.variables.values() if v.role == role]

    def confounders(self, group: str) -> list[str]:
        """Confounders of one adjustment group: 'demographics' (Model 2) or 'job' (Model 3)."""
        return [v.name for v in self.variables.values() if v.role == "confounder" and v.group == group]

    def model3_covariates(self) -> list[str]:
        """Model 3's covariates: the demographics (Model 2), then job and training, in codebook order."""
        return self.confounders("demographics") + self.confounders("job")

    def option_set(self, set_name: str) -> list[str]:
        """The Yes/No columns of one tick-all-that-apply question, in codebook order."""
        return [v.name for v in self.variables.values() if v.type == "multiple" and v.set == set_name]

    def is_ignored(self, column: str) -> bool:
        """True when a raw column matches an `ignore_columns` pattern (case-insensitive)."""
        name = " ".join(str(column).split()).casefold()
        return any(fnmatch.fnmatchcase(name, p.casefold()) for p in self.ignore_columns)

    def label(self, name: str) -> str:
        if name in self.variables:
            return self.variables[name].label
        if name in self.derived:
            return self.derived[name].label
        return name

    def association_label(self, exposure: str, outcome: str) -> str:
        """'Aware of the SP Information Standard → records patient-level outcomes often or very often'."""
        return association_label(self.label(exposure), self.label(outcome))


def _parse_rule(rule: str) -> tuple[str, ...]:
    # Rules read "level in ['Often', 'Very often']": keep the listed levels.
    listed = rule.split(" in ", 1)[1]
    return tuple(yamlfile.safe_load(listed))


MISSING = "missing"  # the word for "read as a missing answer" in the codebook and codes files


def _choice(value) -> str | None:
    if isinstance(value, bool):  # YAML reads an unquoted No / Yes as a boolean
        return "Yes" if value else "No"
    return None if value is None or str(value).strip().casefold() == MISSING else str(value)


def _non_substantive(entry: dict, default: dict[str, str | None], path: Path) -> dict[str, str | None]:
    """The variable's coding of each non-substantive answer: the codebook default, overridden
    by its own `non_substantive` key; a level that is not one of its levels is an error."""
    own = {str(k): _choice(v) for k, v in (entry.get("non_substantive") or {}).items()}
    choices = default | own
    levels = set(entry.get("levels", ()))
    for answer, level in choices.items():
        if level is not None and level not in levels:
            raise ValueError(
                f"{path.name}: variable {entry['name']!r}: non_substantive {answer!r}: "
                f"{level!r} is neither 'missing' nor one of its levels"
            )
    return choices


def _confirmed(entry: dict, patterns: tuple[str, ...], path: Path) -> str | None:
    if entry.get("codes_confirmed") or any(fnmatch.fnmatchcase(entry["name"], p) for p in patterns):
        return path.name
    return None


class CodebookError(ValueError):
    """A codebook that cannot be read: one line naming the file, the entry and the key."""


@lru_cache(maxsize=4)
def _load(path: Path) -> Codebook:
    try:
        raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CodebookError(f"{path.name}: not valid YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("variables"), list):
        raise CodebookError(f"{path.name}: key 'variables' (a list of variables) is missing")
    for kind, entries in (("variable", raw["variables"]), ("derived variable", raw.get("derived") or [])):
        for i, entry in enumerate(entries, 1):
            required = (
                ("name", "type", "role", "definition")
                if kind == "variable"
                else ("name", "label", "from", "rule", "definition")
            )
            where = f"{kind} {entry.get('name')!r}" if isinstance(entry, dict) and entry.get("name") else f"{kind} {i}"
            if not isinstance(entry, dict):
                raise CodebookError(f"{path.name}: {where}: not a mapping of keys")
            for key in required:
                if key not in entry:
                    raise CodebookError(f"{path.name}: {where}: key {key!r} is missing")
    default = {str(k): _choice(v) for k, v in (raw.get("non_substantive") or {}).items()}
    confirmed = tuple(str(p) for p in raw.get("codes_confirmed") or ())
    variables = {}
    for entry in raw["variables"]:
        variables[entry["name"]] = Variable(
            name=entry["name"],
            label=entry.get("label", entry["name"]),
            type=entry["type"],
            role=entry["role"],
            definition=entry["definition"],
            question=entry.get("question"),
            levels=tuple(entry.get("levels", ())),
            codes={int(k): v for k, v in (entry.get("codes") or {}).items()},
            group=entry.get("group"),
            set=entry.get("set"),
            exclusive=bool(entry.get("exclusive", False)),
            asked_if=entry.get("asked_if"),
            required=bool(entry.get("required", True)),
            aliases=tuple(entry.get("aliases", ())),
            codes_confirmed=_confirmed(entry, confirmed, path),
            non_substantive=_non_substantive(entry, default, path) if entry["type"] != "id" else {},
        )
    derived = {
        d["name"]: Derived(
            name=d["name"],
            label=d["label"],
            source=d["from"],
            events=_parse_rule(d["rule"]),
            definition=d["definition"],
        )
        for d in raw.get("derived", [])
    }
    missing = raw.get("missing", {})
    return Codebook(
        variables=variables,
        derived=derived,
        missing_labels=tuple(missing.get("labels", ())),
        missing_codes=tuple(int(c) for c in missing.get("codes", ())),
        dataset=raw.get("dataset", ""),
        population=raw.get("population", ""),
        ignore_columns=tuple(str(p) for p in raw.get("ignore_columns") or ()),
        non_substantive=default,
    )


def load_codebook(path: str | Path | None = None) -> Codebook:
    """The codebook at `path` (default: the project's data/codebook.yaml)."""
    return _load(Path(path) if path is not None else paths.CODEBOOK)


def non_substantive_text(choices: dict[str, str | None]) -> str:
    """{"Don't know": None, "Prefer not to say": None} -> "Don't know, Prefer not to say: missing"."""
    groups: dict[str, list[str]] = {}
    for answer, level in choices.items():
        groups.setdefault(level if level is not None else "missing", []).append(answer)
    return "; ".join(f"{', '.join(answers)}: {level}" for level, answers in groups.items())


def lower_first(text: str) -> str:
    """A label inside a sentence: 'Aware of the SP ...' -> 'aware of the SP ...'; a leading
    acronym ('ONS4 ...', 'IT systems') stays as it is."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def association_label(exposure_label: str, outcome_label: str) -> str:
    """The one way an association is named: 'exposure label → outcome label'."""
    return f"{exposure_label} \u2192 {lower_first(outcome_label)}"
