"""An outsider's attack on a rendered real-data report: it reads only the output folder
(report.html and the CSVs beside it) and the public codebook, never the data or the report's
own disclosure code.

Every count-bearing table it recognises becomes integer unknowns and linear facts, joined
across tables: Table 1 (levels + 'Missing' = n; rounded percentages of the answered), the
mapping report (its raw values' counts add up to Table 1's levels and missing answers; the
options of one tick-box question share who skipped it), the 'what would help' cross-tab (groups
add up to the overall column, which is the option's Yes count in the mapping; rounded
percentages of each group's n). For each hidden cell ('[c]') it solves, by integer programming,
the smallest and largest value it can take. A hidden cell that may be below k and can take
fewer than k values is recovered.

`shown_small_counts` also looks for counts of 1..k-1 printed as such ('3 (0.7%)', '3 of 409').
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

MARKER = "[c]"
_N_PCT = re.compile(r"^(\d+) \((\d+\.\d)%\)$")
_HEAD_N = re.compile(r"\(n = ([\d,]+)\)")
_BIG = 10**6


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._open: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            self._open.append([])
        elif tag == "tr" and self._open:
            self._open[-1].append([])
        elif tag in ("td", "th") and self._open:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag in ("td", "th") and self._open and self._cell is not None:
            if self._open[-1]:
                self._open[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._open:
            self.tables.append(self._open.pop())

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
            if self._cell is not None:
                self._cell.append(data)


def read_report(path: Path) -> tuple[list[list[list[str]]], str]:
    parser = _Tables()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser.tables, " ".join(" ".join(parser.text).split())


@dataclass
class Solver:
    """Integer unknowns named by keys; facts sum(coef * x) in [lo, hi]."""

    lo: list[float] = field(default_factory=list)
    hi: list[float] = field(default_factory=list)
    keys: dict[object, int] = field(default_factory=dict)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

    def var(self, key, lo=0, hi=_BIG) -> int:
        if key not in self.keys:
            self.keys[key] = len(self.lo)
            self.lo.append(lo)
            self.hi.append(hi)
        else:
            i = self.keys[key]
            self.lo[i], self.hi[i] = max(self.lo[i], lo), min(self.hi[i], hi)
        return self.keys[key]

    def cell(self, key, text: str):
        """A displayed cell: a count (with its rounded percentage), or hidden (at least 1)."""
        if text == MARKER:
            return self.var(key, 1), None
        m = _N_PCT.match(text)
        value = int(m.group(1)) if m else int(text.replace(",", ""))
        return self.var(key, value, value), (float(m.group(2)) if m else None)

    def fact(self, coefs: dict[int, float], lo: float, hi: float | None = None):
        self.rows.append((coefs, lo, lo if hi is None else hi))

    def total(self, parts, whole):
        coefs = {}
        for p in parts:
            coefs[p] = coefs.get(p, 0.0) + 1.0
        coefs[whole] = coefs.get(whole, 0.0) - 1.0
        self.fact(coefs, 0.0)

    def range(self, key) -> tuple[int, int]:
        from scipy.optimize import Bounds, LinearConstraint, milp

        n = len(self.lo)
        a = np.zeros((len(self.rows), n))
        lo = np.array([r[1] for r in self.rows], dtype=float)
        hi = np.array([r[2] for r in self.rows], dtype=float)
        for i, (coefs, _, _) in enumerate(self.rows):
            for j, c in coefs.items():
                a[i, j] += c
        out = []
        for sign in (1.0, -1.0):
            c = np.zeros(n)
            c[self.keys[key]] = sign
            res = milp(
                c,
                integrality=np.ones(n),
                bounds=Bounds(np.array(self.lo, float), np.array(self.hi, float)),
                constraints=[LinearConstraint(a, lo, hi)] if self.rows else [],
            )
            assert res.x is not None, f"the published facts contradict each other ({res.message})"
            out.append(int(round(res.x[self.keys[key]])))
        return out[0], out[1]


def _label_of(codebook) -> dict[str, str]:
    return {v.label: v.name for v in codebook.variables.values()}


def _table_one(table, s: Solver, names: dict[str, str], hidden: list):
    n = int(_HEAD_N.search(table[0][1]).group(1).replace(",", ""))
    variable = None
    block: dict[str, tuple[int, float | None]] = {}

    def close():
        if variable is None:
            return
        levels = [k for k in block if k != "Missing"]
        parts = [block[k][0] for k in block]
        s.total(parts, s.var("N", n, n))
        answered = s.var((variable, "answered"))
        s.total([block[k][0] for k in levels], answered)
        for k in levels:
            cell, pct = block[k]
            if pct is not None:  # 100 x in [(p - .05) A, (p + .05) A]
                s.fact({cell: 100.0, answered: -(pct - 0.05)}, 0.0, np.inf)
                s.fact({cell: 100.0, answered: -(pct + 0.05)}, -np.inf, 0.0)
        if "Missing" not in block:
            s.fact({s.var((variable, "(missing)")): 1.0}, 0.0)

    for row in table[1:]:
        if len(row) == 1:
            if row[0] in names:
                close()
                variable, block = names[row[0]], {}
            continue
        if variable is None or len(row) < 2:
            continue
        level, text = row[0], row[1]
        key = (variable, "(missing)") if level == "Missing" else (variable, level)
        block[level] = s.cell(key, text)
        if text == MARKER:
            hidden.append(key)
    close()


def _mapping(table, s: Solver, codebook, hidden: list):
    """Blocks 'raw -> variable (...)', rows raw value | label | read as | reason | n."""
    by_variable: dict[str, dict[str, list[int]]] = {}
    skipped: dict[str, list[int]] = {}
    variable = None
    for i, row in enumerate(table[1:]):
        if len(row) == 1:
            m = re.match(r"^(.+?) -> (\w+) ", row[0] + " ")
            variable = m.group(2) if m and m.group(2) in codebook.variables else None
            continue
        if variable is None or len(row) < 5 or not row[4] or row[0].startswith("(respondent ids"):
            continue
        key = ("mapping", variable, i)
        cell, _ = s.cell(key, row[4])
        read_as = row[2]
        if row[4] == MARKER and read_as != "(missing)":  # missing answers are facts, not people's answers
            hidden.append(key)
        by_variable.setdefault(variable, {}).setdefault(read_as, []).append(cell)
        if read_as == "(missing)" and row[3] == "blank":
            v = codebook.variables[variable]
            if v.set:
                skipped.setdefault(v.set, []).append(cell)
    for variable, levels in by_variable.items():
        v = codebook.variables[variable]
        for read_as, cells in levels.items():
            if read_as == "(missing)":
                if v.type != "multiple" and not v.asked_if:
                    s.total(cells, s.var((variable, "(missing)")))
            else:
                s.total(cells, s.var((variable, read_as)))
        s.total([c for cells in levels.values() for c in cells], s.var("N"))
    for cells in skipped.values():  # the same respondents skipped every option of the question
        for a, b in zip(cells, cells[1:]):
            s.total([a], b)


def _cross_tab(table, s: Solver, codebook, hidden: list):
    heads = table[0]
    size = [int(_HEAD_N.search(h).group(1).replace(",", "")) for h in heads[1:]]
    label_to_option = {v.label: v.name for v in codebook.variables.values()}
    for r, row in enumerate(table[1:]):
        if len(row) != len(heads) or row[0] not in label_to_option:
            continue
        option = label_to_option[row[0]]
        cells = []
        for j, text in enumerate(row[1:]):
            key = (option, "Yes") if j == 0 else ("cross", option, j)
            cell, pct = s.cell(key, text)
            s.fact({cell: 1.0}, 0.0, size[j])
            if pct is not None:
                s.fact({cell: 100.0}, (pct - 0.05) * size[j], (pct + 0.05) * size[j])
            if text == MARKER:
                hidden.append(key)
            cells.append(cell)
        slack = s.var(("cross-slack", option), 0, size[0] - sum(size[1:]))
        s.total([*cells[1:], slack], cells[0])
        # the overall column's n answered the question: Yes + No of the option
        s.total([s.var((option, "Yes")), s.var((option, "No"))], s.var(("answered-helps",), size[0], size[0]))


def attack(folder: Path, codebook, k: int) -> list[str]:
    """Every hidden cell of the report at `folder` that may be a small count (1..k-1) and that
    the published facts pin to fewer than k values, as 'what: lo..hi'."""
    tables, _ = read_report(Path(folder) / "report.html")
    names = _label_of(codebook)
    solvers: list[tuple[Solver, list]] = []
    s, hidden = Solver(), []
    for table in tables:
        if not table or not table[0]:
            continue
        head = table[0]
        if head[:1] == ["raw value"] and head[-1:] == ["n"]:
            _mapping(table, s, codebook, hidden)
        elif len(head) == 2 and head[1].startswith("Overall (n = "):
            _table_one(table, s, names, hidden)
        elif len(head) > 2 and head[1].startswith("Overall (n = "):
            _cross_tab(table, s, codebook, hidden)
    solvers.append((s, hidden))
    found = []
    for solver, keys in solvers:
        for key in dict.fromkeys(keys):
            lo, hi = solver.range(key)
            if hi - lo + 1 < k and lo < k:  # a small count pinned (a large complement may be known)
                found.append(f"{key}: {lo}..{hi}")
    return found


def shown_small_counts(folder: Path, k: int) -> list[str]:
    """Counts 1..k-1 printed in the report's text or in a CSV's count columns."""
    top = k - 1
    pattern = re.compile(
        rf"(?<![\d.,\-])[1-{top}](?: of [\d,]+)? \(\d+\.\d%\)|(?<![\d.,\-])[1-{top}] of [\d,]+ respondents"
    )
    _, text = read_report(Path(folder) / "report.html")
    found = [m.group(0) for m in pattern.finditer(text)]
    for path in sorted(Path(folder).glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                for column in ("n", "count"):
                    value = (row.get(column) or "").strip()
                    if value.isdigit() and 0 < int(value) < k:
                        found.append(f"{path.name}: {column} = {value} ({row})"[:200])
    return found
