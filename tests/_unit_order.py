"""The order `make test` hands out its units of work: the costliest first.

pytest-xdist (`--dist loadfile --no-loadscope-reorder`) gives each process the next test module
or notebook, in collection order, as it comes free. Alphabetical order left the last minutes to
whichever long module came late (test_validate.py) while the other core idled. Longest first
(LPT) ends both processes within about the shortest units' time of each other.

The costs are a scheduling hint only, never a verdict: `unit_costs.json` holds each unit's
seconds from one serial run (`make unit-costs`). A unit it does not know (a new module) counts
as UNKNOWN_COST, a stale figure only makes the run a little longer, and the set of tests run
is the same in any order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

COSTS = Path(__file__).with_name("unit_costs.json")
UNKNOWN_COST = 1.0  # seconds: a new unit goes before the many small ones, after the long ones


def unit(nodeid: str) -> str:
    """The unit of work of a test: its module or notebook (as pytest-xdist's loadfile splits it)."""
    return nodeid.split("::", 1)[0]


def read_costs(path: Path = COSTS) -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def costliest_first(items: list, costs: dict[str, float]) -> list:
    """`items` grouped by unit, the units by falling cost (ties: collection order), each unit's
    tests in their own order."""
    groups: dict[str, list] = defaultdict(list)
    for item in items:
        groups[unit(item.nodeid)].append(item)
    order = sorted(groups, key=lambda u: -costs.get(u, UNKNOWN_COST))  # sorted() is stable
    return [item for u in order for item in groups[u]]


# ---------------------------------------------------------------------------- pytest hooks
# (imported by conftest.py)


def pytest_addoption(parser):
    parser.addoption(
        "--write-unit-costs",
        metavar="PATH",
        default=None,
        help="write each unit's (module's, notebook's) total seconds to PATH (make unit-costs)",
    )


def pytest_collection_modifyitems(session, config, items):
    items[:] = costliest_first(items, read_costs())


class _Recorder:
    def __init__(self, path: Path):
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report):
        self.seconds[unit(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session):
        costs = {u: round(s, 2) for u, s in sorted(self.seconds.items())}
        self.path.write_text(json.dumps(costs, indent=1) + "\n", encoding="utf-8")


def pytest_configure(config):
    path = config.getoption("--write-unit-costs", default=None)
    if path:
        config.pluginmanager.register(_Recorder(Path(path)), "unit-cost-recorder")
