"""Execution: byte-deterministic notebooks, failure isolation, validation before anything."""

from __future__ import annotations

import hashlib
import shutil
import sys
import types
from pathlib import Path

import nbformat
import pytest

import helpers
import helpers.data  # noqa: F401  (loaded before a test swaps helpers.validate for a fake)
from reportbuild import cli, execute, render
from reportbuild.cli import Options

from _build_run import run_build

FIXTURE = Path(__file__).parent / "fixtures" / "notebooks"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _small_book(root: Path) -> Path:
    """The fixture book cut to two chapters (index + 02_more): quick to execute."""
    shutil.copytree(FIXTURE, root, dirs_exist_ok=True)
    project = root / "_quarto.yml"
    text = project.read_text().replace("    - 01_demo.ipynb\n", "")
    project.write_text(text)
    return project


def test_execution_is_byte_deterministic(tmp_path, monkeypatch):
    """Two kernels at once (the same moment: no port race on ipc), HOME unusable, no XDG dirs."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("HOME below a regular file cannot be created, not even by root")
    monkeypatch.setenv("HOME", str(blocker / "home"))
    for name in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR"):
        monkeypatch.delenv(name, raising=False)
    source = FIXTURE / "02_more.py"
    record = {"data_file": None, "output_dir": None, "seed": 2025, "min_cell_count": 5}
    jobs = [
        execute.Job(
            name=f"run{i}",
            source=str(source),
            output=str(tmp_path / f"run{i}" / "02_more.ipynb"),
            cwd=str(FIXTURE),
            parameters={**record, "output_dir": str(tmp_path / f"out{i}")},
            record=record,
        )
        for i in (1, 2)
    ]
    results = execute.run_all(jobs, workers=2, workdir=tmp_path / "jobs")
    assert all(r.ok for r in results), results
    a, b = (Path(j.output) for j in jobs)
    assert a.read_bytes() == b.read_bytes()
    nb = nbformat.read(a, as_version=4)
    assert "papermill" not in nb.metadata
    for cell in nb.cells:
        assert not {"papermill", "execution"} & set(cell.metadata)
    assert any(o.get("output_type") == "display_data" for c in nb.cells for o in c.get("outputs", []))
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]  # no HOME warning
    assert str(tmp_path) not in a.read_text()


@pytest.mark.slow  # three builds of a two-chapter book (~20 s); the message format: test_failure_message_format
def test_failure_names_notebook_and_cell_and_keeps_previous_outputs(tmp_path, capsys):
    project = _small_book(tmp_path)
    out = tmp_path / "_output"
    run_build(Options(project=project, validate=False, renderer="pandoc"))
    kept = [
        out / "report.html",
        out / "report.pdf",
        tmp_path / "02_more.ipynb",
        tmp_path / "index.ipynb",
        out / ".build" / "stamps.json",
    ]
    before = {p: _sha(p) for p in kept}

    src = tmp_path / "02_more.py"
    src.write_text(src.read_text() + "\n# %%\nratio = 1 / 0\n")
    (tmp_path / "index.py").write_text((tmp_path / "index.py").read_text() + "\n# %%\nx = 1\n")
    capsys.readouterr()
    code = cli.main(["--project", str(project), "--skip-validation"])
    text = capsys.readouterr().out
    assert code == 1
    assert "02_more.py, cell 7" in text
    assert "ratio = 1 / 0" in text and "ZeroDivisionError: division by zero" in text
    line = next(i for i, l in enumerate(src.read_text().splitlines(), 1) if l == "ratio = 1 / 0")
    assert f"(line {line})" in text
    assert {p: _sha(p) for p in kept} == before  # nothing replaced, not even index.ipynb
    assert not list((out / ".build").glob("staging*"))
    assert (out / ".build" / "failed" / "02_more.ipynb").exists()

    # once fixed, the notebook that did succeed is not executed again
    src.write_text(src.read_text().replace("ratio = 1 / 0", "ratio = 1 / 2"))
    outcome, log = run_build(Options(project=project, validate=False, renderer="pandoc"))
    assert any(l.strip().startswith("reuse  index") for l in log)
    assert not any(l.strip().startswith("start  index") for l in log)
    assert _sha(tmp_path / "index.ipynb") != before[tmp_path / "index.ipynb"]


def _fake_validation(monkeypatch, problems) -> None:
    """helpers.validate replaced by a module whose validate_file raises its SurveyValidationError
    with `problems(path)`, when that is not None."""

    class SurveyValidationError(ValueError):
        pass

    def validate_file(path):
        message = problems(path)
        if message is not None:
            raise SurveyValidationError(message)

    fake = types.ModuleType("helpers.validate")
    fake.SurveyValidationError = SurveyValidationError
    fake.validate_file = validate_file
    monkeypatch.setitem(sys.modules, "helpers.validate", fake)
    monkeypatch.setattr(helpers, "validate", fake, raising=False)


def test_invalid_data_exits_2_before_executing(tmp_path, monkeypatch, capsys):
    _fake_validation(
        monkeypatch, lambda path: "row 3: age_band 'ancient' is not a level of age_band\nrow 7: missing respondent_id"
    )
    project = _small_book(tmp_path)
    data = tmp_path / "survey.csv"
    data.write_text("respondent_id\n1\n")
    code = cli.main(["--project", str(project), "--data", str(data), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr().err  # problems go to stderr
    assert code == 2
    assert "row 3: age_band 'ancient' is not a level of age_band" in captured
    assert "row 7: missing respondent_id" in captured
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "index.ipynb").exists()


def test_data_validated_again_only_when_it_or_the_code_changed(tmp_path, monkeypatch, shared_preload):
    """A build that re-executes a chapter does not check the same data with the same code again;
    a changed data file is checked again (and refused)."""
    calls = []

    def problems(path):
        calls.append(Path(path).read_text())
        return "row 2: respondent_id 'bad' is not a number" if "bad" in calls[-1] else None

    _fake_validation(monkeypatch, problems)
    project = _small_book(tmp_path)
    data = tmp_path / "survey.csv"
    data.write_text("respondent_id\n1\n")
    opts = Options(project=project, data=data, out=tmp_path / "out", render=False)
    run_build(opts)
    assert len(calls) == 1
    src = tmp_path / "02_more.py"
    src.write_text(src.read_text() + "\n# an edit\n")
    outcome, _ = run_build(opts)
    assert outcome.executed == ["02_more"] and len(calls) == 1
    data.write_text("respondent_id\nbad\n")
    outcome, _ = run_build(opts, expect=cli.EXIT_INVALID)
    assert len(calls) == 2 and outcome.executed == []


def test_normalise_strips_volatile_metadata_and_records_parameters():
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"duration": 1.2}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent", "text_representation": {"x": 1}}
    params = nbformat.v4.new_code_cell("seed = 1", metadata={"tags": ["parameters"]})
    injected = nbformat.v4.new_code_cell("output_dir = '/tmp/staging'", metadata={"tags": ["injected-parameters"]})
    other = nbformat.v4.new_code_cell("x = 1", metadata={"tags": [], "papermill": {}, "execution": {}})
    nb.cells = [params, injected, other]
    out = execute.normalise(nb, {"data_file": None, "output_dir": None, "seed": 1, "min_cell_count": 5})
    assert "papermill" not in out.metadata and "version" not in out.metadata["language_info"]
    assert out.metadata["jupytext"] == {"formats": "ipynb,py:percent"}
    assert out.cells[1].source == "# Parameters\ndata_file = None\noutput_dir = None\nseed = 1\nmin_cell_count = 5"
    assert out.cells[2].metadata == {}
    ids = [c.id for c in out.cells]
    assert len(set(ids)) == 3 and ids == [c.id for c in execute.normalise(out).cells]


def test_failure_message_format():
    r = execute.Result(
        "02_x", ok=False, cell=7, line=41, first_line="fit = models.logistic(df)", error="ValueError: no rows"
    )
    assert execute.failure_message(r, "notebooks/02_x.py") == (
        "FAILED notebooks/02_x.py, cell 7 (line 41): fit = models.logistic(df)\n    ValueError: no rows"
    )


def test_cell_options():
    opts, code = render.cell_options('#| label: fig-x\n#| fig-cap: "A: b"\n#| echo: false\nplot()\n')
    assert opts == {"label": "fig-x", "fig-cap": "A: b", "echo": False}
    assert code == "plot()"
    assert render.cell_options("x = 1") == ({}, "x = 1")


def test_kernel_resolves_to_this_interpreter(monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", execute.kernel_environment()["JUPYTER_PATH"])
    argv = execute.kernel_argv("python3")
    assert Path(argv[0]).resolve() == Path(sys.executable).resolve()
