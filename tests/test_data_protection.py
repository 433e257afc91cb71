"""Real survey data stay private: ignored folders only, no row-level data out, small cells suppressed."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from helpers import paths
from helpers.present import disclosure, report, tables
from reportbuild import cli

SURVEY_ID_PATTERN = r"SYN-\d{4}"


def _git_ignored(relative: str) -> bool:
    result = subprocess.run(["git", "check-ignore", "-q", relative], cwd=paths.ROOT, capture_output=True)
    return result.returncode == 0


@pytest.fixture()
def real_looking_copy(tmp_path):
    """The synthetic file under another name and one changed answer: its hash no longer matches the
    manifest, so the loader treats it as a real survey export."""
    frame = pd.read_csv(paths.SYNTHETIC_DATA, dtype=str, keep_default_na=False)
    frame.loc[0, "gender"] = "Male" if frame.loc[0, "gender"] != "Male" else "Female"
    target = tmp_path / "survey_export.csv"
    frame.to_csv(target, index=False, lineterminator="\n")
    return target


@pytest.mark.skipif(not (paths.ROOT / ".git").exists(), reason="needs the git checkout")
@pytest.mark.parametrize(
    "relative",
    [
        "data/real/survey.sav",
        "data/real/export.csv",
        "_output_real/report.html",
        ".build/cache/x.pkl",
        "_output/report.html",
    ],
)
def test_real_data_locations_are_git_ignored(relative):
    assert _git_ignored(relative)


@pytest.mark.skipif(not (paths.ROOT / ".git").exists(), reason="needs the git checkout")
def test_data_real_readme_is_tracked_but_nothing_else():
    assert not _git_ignored("data/real/README.md")


def test_build_on_real_data_defaults_to_an_ignored_folder(real_looking_copy):
    build = cli.Build(cli.parse_args(["--data", str(real_looking_copy)]))
    assert not build.synthetic
    assert build.out == paths.REAL_OUTPUT


@pytest.mark.skipif(not (paths.ROOT / ".git").exists(), reason="needs the git checkout")
def test_build_on_real_data_refuses_a_committable_output_folder(real_looking_copy, capsys):
    code = cli.main(["--data", str(real_looking_copy), "--out", str(paths.ROOT / "notebooks" / "leak")])
    assert code != 0
    err = capsys.readouterr().err
    assert "not git-ignored" in err and "notebooks/leak" in err
    assert not (paths.ROOT / "notebooks" / "leak").exists()


def test_committed_notebooks_hold_no_respondent_ids():
    for notebook in paths.executed_notebooks():
        text = notebook.read_text(encoding="utf-8")
        assert not pd.Series([text]).str.contains(SURVEY_ID_PATTERN).any(), notebook.name


def test_small_cells_are_suppressed_for_real_data_only():
    frame = pd.DataFrame(
        {
            "gender": pd.Categorical(
                ["Female"] * 20 + ["Male"] * 3 + ["Another gender"] * 1, categories=["Female", "Male", "Another gender"]
            )
        }
    )
    frame.attrs["source"] = "real"
    threshold = report.suppression_threshold(frame, 5)
    shown = tables.table_one_frame(frame, ["gender"], min_count=threshold).to_string()
    assert threshold == 5
    assert disclosure.MARKER in shown and "3 (" not in shown and "1 (" not in shown
    assert "20 (" not in shown  # 24 - 20 would give the two small cells' sum, 4: too few values
    frame.attrs["source"] = "synthetic"
    assert report.suppression_threshold(frame, 5) == 0


def _digests(folder) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".build" not in p.parts
    }


@pytest.mark.slow
def test_full_build_on_real_data_leaks_no_rows_and_leaves_committed_notebooks(real_looking_copy, tmp_path):
    committed = {p.name: p.read_bytes() for p in paths.executed_notebooks()}
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers",
            "build",
            "--renderer",
            "pandoc",
            "--data",
            str(real_looking_copy),
            "--out",
            str(out),
        ],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ids = pd.read_csv(real_looking_copy, dtype=str)["respondent_id"]
    for produced in [out / "report.html", out / "claims.csv", *sorted((out / "notebooks").glob("*.ipynb"))]:
        text = produced.read_text(encoding="utf-8", errors="replace")
        leaked = [i for i in ids if i in text]
        assert not leaked, f"{produced.name} shows respondent ids {leaked[:3]}"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Survey data." in html and "Synthetic data." not in html
    assert {p.name: p.read_bytes() for p in paths.executed_notebooks()} == committed


@pytest.mark.slow
def test_two_clean_builds_give_identical_bytes(tmp_path):
    """Same inputs, same bytes: executed notebooks (figures included), HTML, PDF, claims.csv and
    simulation.csv. The first build forks its kernels from the preload process, the second starts
    every kernel fresh (HELPERS_PRELOAD=0): preloading must not change a byte. Nor does rendering
    from the last render (its table cache, its outputs)."""
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "helpers",
        "build",
        "--renderer",
        "pandoc",
        "--data",
        str(paths.SYNTHETIC_DATA),
        "--out",
        str(out),
    ]
    runs = []
    for preload in ("1", "0"):
        shutil.rmtree(out, ignore_errors=True)
        result = subprocess.run(
            command, cwd=paths.ROOT, capture_output=True, text=True, env={**os.environ, "HELPERS_PRELOAD": preload}
        )
        assert result.returncode == 0, result.stdout + result.stderr
        runs.append(_digests(out))
    assert {"report.html", "report.pdf", "claims.csv", "simulation.csv", "specifications.csv"} <= set(runs[0])
    assert any(name.startswith("notebooks/") for name in runs[0])
    assert runs[0] == runs[1]
    # rendered again from the last render: its table cache (inputs hash removed), then its outputs
    render_dir = out / ".build" / "render"
    assert list((render_dir / "table-cache").glob("*.json"))
    for again in ("tables from the cache", "outputs kept"):
        (out / "report.html").unlink()
        (out / "report.pdf").unlink()
        if again == "tables from the cache":
            (render_dir / "render-inputs.sha256").unlink()
        result = subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert ("its outputs kept" in result.stdout) == (again == "outputs kept"), result.stdout
        assert _digests(out) == runs[0], again


def test_chapter_setup_applies_the_threshold_to_real_data_only(real_looking_copy):
    from helpers.present import prose

    synthetic = report.setup(None, None, 5)
    assert synthetic.min_count == 0 and synthetic.statement == prose.data_statement(synthetic.df, 5)
    real = report.setup(str(real_looking_copy), None, 7)
    assert real.min_count == 7 and real.min_cell_count == 7
    assert "7" in real.statement and real.statement != synthetic.statement
