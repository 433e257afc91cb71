"""The analysis specification (data/analysis_spec.yaml): the open choices and the primary one.

The only reader of that file. The chapters take the primary (assumed) specification from here
(`analysis_targets`, `odds_ratio_table`), the specification grid crosses the choices marked
`grid: true` (`grid_choices`), and the assumptions register lists every choice. The synthetic
generator's calibration reads data/published/targets.yaml and never this file, so editing the
specification for a real survey file cannot break `make synth`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from helpers import paths, yamlfile

REQUIRED_FIELDS = ("label", "primary", "alternatives", "options", "assumed", "evidence", "grid", "applies_to")

# The option of each choice that chapters 3-8 implement. `outcome_map` and `model_level` may take
# any option; for the others, an alternative primary is fitted by the grid (chapter 9) only.
IMPLEMENTED_PRIMARY = {
    "exposures": "one_at_a_time",
    "cut_point": "often",
    "dont_know": "missing",
    "sparse_levels": "keep",
    "model_type": "logistic",
    "ci_method": "wald",
    "confounders": "codebook",
}


class SpecError(ValueError):
    """An invalid analysis specification (one line naming the file and the choice)."""


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    primary: str
    alternatives: tuple[str, ...]
    options: dict[str, dict]
    assumed: bool
    evidence: str
    grid: bool
    applies_to: tuple[str, ...]
    where: str = ""

    @property
    def values(self) -> tuple[str, ...]:
        """The primary first, then the alternatives."""
        return (self.primary, *self.alternatives)

    def describe(self, option: str) -> str:
        return str(self.options.get(option, {}).get("description", option))


@dataclass(frozen=True)
class Spec:
    choices: dict[str, Choice]
    file: str = field(default="analysis_spec.yaml")

    def __getitem__(self, key: str) -> Choice:
        return self.choices[key]

    def primary(self) -> dict[str, str]:
        return {key: c.primary for key, c in self.choices.items()}

    def grid_choices(self) -> dict[str, tuple[str, ...]]:
        """The choices the grid crosses, each with its options (primary first)."""
        return {key: c.values for key, c in self.choices.items() if c.grid}

    def outcome(self, claim_id: str, mapping: str | None = None) -> str:
        """The outcome column of a published odds ratio under an outcome mapping (default: primary)."""
        choice = self.choices["outcome_map"]
        return str(choice.options[mapping or choice.primary]["outcomes"][claim_id])

    def cut_levels(self, option: str | None = None) -> list[str]:
        choice = self.choices["cut_point"]
        return list(choice.options[option or choice.primary]["levels"])

    def min_level_count(self) -> int:
        return int(self.choices["sparse_levels"].options["exclude"].get("min_count", 10))


def _fail(file: Path, message: str) -> None:
    raise SpecError(f"{Path(file).name}: {message}")


def _parse(raw: Any, file: Path) -> Spec:
    if not isinstance(raw, dict) or not isinstance(raw.get("choices"), dict):
        _fail(file, "no 'choices:' mapping")
    choices = {}
    for key, entry in raw["choices"].items():
        if not isinstance(entry, dict):
            _fail(file, f"choice '{key}' is not a mapping")
        missing = [f for f in REQUIRED_FIELDS if f not in entry]
        if missing:
            _fail(file, f"choice '{key}' lacks {', '.join(missing)}")
        options = {str(k): (v or {}) for k, v in (entry["options"] or {}).items()}
        primary = str(entry["primary"])
        alternatives = tuple(str(a) for a in (entry["alternatives"] or []))
        unknown = [o for o in (primary, *alternatives) if o not in options]
        if unknown:
            _fail(file, f"choice '{key}': option(s) {', '.join(unknown)} not defined under options")
        if not isinstance(entry["assumed"], bool):
            _fail(file, f"choice '{key}': assumed must be true or false")
        choices[str(key)] = Choice(
            key=str(key), label=str(entry["label"]), primary=primary, alternatives=alternatives,
            options=options, assumed=entry["assumed"], evidence=" ".join(str(entry["evidence"]).split()),
            grid=bool(entry["grid"]), applies_to=tuple(str(a) for a in entry["applies_to"] or []),
            where=str(entry.get("where", "")),
        )  # fmt: skip
    spec = Spec(choices, Path(file).name)
    for key, implemented in IMPLEMENTED_PRIMARY.items():
        if key in choices and choices[key].primary != implemented:
            _fail(file, f"choice '{key}': primary '{choices[key].primary}' is fitted by the specification grid "
                        f"only; the chapters implement '{implemented}' (make it an alternative)")  # fmt: skip
    for key in ("outcome_map", "model_level", "cut_point"):
        if key not in choices:
            _fail(file, f"choice '{key}' is required")
    for option, meaning in choices["outcome_map"].options.items():
        if not isinstance(meaning.get("outcomes"), dict):
            _fail(file, f"outcome_map option '{option}' lacks 'outcomes:' (claim id -> outcome column)")
    return spec


@lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int) -> Spec:
    file = Path(path)
    try:
        raw = yamlfile.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(f"{file.name}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return _parse(raw, file)


def load_spec(path: str | Path | None = None) -> Spec:
    """The analysis specification (default data/analysis_spec.yaml), validated."""
    file = Path(path) if path is not None else paths.ANALYSIS_SPEC
    if not file.exists():
        raise SpecError(f"{file.name}: the analysis specification file is missing")
    return _cached(str(file), file.stat().st_mtime_ns)


def analysis_targets(targets: list[dict] | None = None, spec: Spec | None = None) -> list[dict]:
    """targets.yaml's entries with each odds ratio's outcome and model, and the null-predictor
    models, taken from the primary specification (what the chapters compute)."""
    from helpers.data.published import load_targets

    spec = spec or load_spec()
    model = spec["model_level"].primary
    out = []
    entries = copy.deepcopy(load_targets() if targets is None else targets)
    or_entries = {t["claim_id"]: t for t in entries if t.get("kind") == "odds_ratio"}
    for entry in entries:
        if entry.get("kind") == "odds_ratio":
            entry["outcome"] = spec.outcome(entry["claim_id"])
            entry["model"] = model
        elif entry.get("claim_id") == "null_predictors":
            entry["model"] = model
            entry["models"] = [
                {"outcome": spec.outcome(cid), "exposure": t["exposure"]} for cid, t in or_entries.items()
            ]
        out.append(entry)
    return out


def odds_ratio_table(spec: Spec | None = None) -> pd.DataFrame:
    """published.published_odds_ratios() with outcome and model from the primary specification."""
    from helpers.data.published import published_odds_ratios

    spec = spec or load_spec()
    table = published_odds_ratios()
    table["outcome"] = [spec.outcome(c) for c in table["claim_id"]]
    table["model"] = spec["model_level"].primary
    return table


# targets.yaml fields the analysis specification now decides (outcome and model of each OR).
DECIDED_BY_SPEC = {"outcome": "outcome_map", "model": "model_level"}


def rests_on(claim_id: str, spec: Spec | None = None, targets: list[dict] | None = None) -> list[str]:
    """What a published figure's reproduction rests on: its assumed analysis choices, then its
    calibration assumptions (prefixed 'calibration:')."""
    from helpers.data.published import load_targets

    spec = spec or load_spec()
    found = [k for k, c in spec.choices.items() if c.assumed and claim_id in c.applies_to]
    for t in load_targets() if targets is None else targets:
        if t["claim_id"] == claim_id:
            found += [f"calibration: {f}" for f in t.get("assumed") or [] if f not in DECIDED_BY_SPEC]
    return found
