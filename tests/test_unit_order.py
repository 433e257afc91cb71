"""make test's order of work (tests/_unit_order.py): the costliest units first, each unit whole."""

from __future__ import annotations

from types import SimpleNamespace

from _unit_order import UNKNOWN_COST, costliest_first, read_costs


def _items(*nodeids):
    return [SimpleNamespace(nodeid=n) for n in nodeids]


def test_units_go_costliest_first_and_stay_whole_and_in_order():
    items = _items("a.py::t1", "b.ipynb::Cell 0", "a.py::t2", "c.py::t", "b.ipynb::Cell 1", "new.py::t")
    costs = {"a.py": 0.5, "b.ipynb": 9.0, "c.py": 0.5}
    order = [i.nodeid for i in costliest_first(items, costs)]
    # b (9 s), then the unknown new.py (UNKNOWN_COST), then a and c (0.5 s) in collection order
    assert UNKNOWN_COST > 0.5
    assert order == ["b.ipynb::Cell 0", "b.ipynb::Cell 1", "new.py::t", "a.py::t1", "a.py::t2", "c.py::t"]


def test_every_item_is_kept_exactly_once():
    items = _items(*(f"m{i % 7}.py::t{i}" for i in range(50)))
    order = costliest_first(items, {f"m{i}.py": float(i) for i in range(7)})
    assert sorted(id(i) for i in order) == sorted(id(i) for i in items)


def test_a_missing_or_broken_cost_file_leaves_collection_order(tmp_path):
    assert read_costs(tmp_path / "absent.json") == {}
    (tmp_path / "broken.json").write_text("[1, 2")
    assert read_costs(tmp_path / "broken.json") == {}
    items = _items("z.py::t", "a.py::t")
    assert [i.nodeid for i in costliest_first(items, {})] == ["z.py::t", "a.py::t"]


def test_the_committed_costs_name_units_that_exist():
    from helpers import paths

    stale = [u for u in read_costs() if not (paths.ROOT / u).exists()]
    assert read_costs() and not stale, stale
