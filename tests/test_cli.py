"""``fastcarbon run``, ``fastcarbon factors`` and ``--version``, without a terminal (as on CI)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from fastcarbon import factors
from fastcarbon.cli import app
from fastcarbon.report import JOBS, bengbu_accounting

runner = CliRunner()


def test_run_writes_netcdf_and_csv_that_round_trip(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "-o", str(out)])
    assert result.exit_code == 0, result.output
    # the table: title, units in the headers printed literally (not eaten as rich markup), rows
    assert "Bengbu" in result.output and "computed (t C)" in result.output and "gap (%)" in result.output
    assert "2011" in result.output and "+0.60" in result.output and "+1.24" in result.output
    assert str(out / "bengbu_accounting.nc") in result.output.replace("\n", "")
    with xr.open_dataset(out / "bengbu_accounting.nc", engine="h5netcdf") as ds:
        xr.testing.assert_identical(ds.load(), bengbu_accounting())
    frame = pd.read_csv(out / "bengbu_accounting.csv", index_col="year")
    assert list(frame.columns) == ["computed", "computed_co2", "printed", "gap"]
    pd.testing.assert_frame_equal(frame, bengbu_accounting().to_dataframe(), check_exact=False, rtol=1e-12)


def test_run_defaults_to_fastcarbon_output_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "fastcarbon-output").iterdir()) == sorted(
        f"{job.name}.{ext}" for job in JOBS for ext in ("csv", "nc"))


def test_run_selects_jobs_and_rejects_unknown_ones(tmp_path):
    ok = runner.invoke(app, ["run", "-o", str(tmp_path), "--job", JOBS[0].name])
    assert ok.exit_code == 0, ok.output
    # progress: which job of how many, and how long it took
    assert re.search(rf"\[1/1\] {JOBS[0].name} done in \d+\.\d s", ok.output)
    bad = runner.invoke(app, ["run", "-o", str(tmp_path), "--job", "nope"])
    assert bad.exit_code == 2 and "nope" in bad.output and JOBS[0].name in bad.output


def test_a_failing_job_exits_1_with_its_message(tmp_path, monkeypatch):
    from fastcarbon import report
    from fastcarbon.errors import InputError

    def broken():
        raise InputError("energy: something precise")

    monkeypatch.setattr(report, "JOBS", [report.Job("broken", "Broken", broken)])
    result = runner.invoke(app, ["run", "-o", str(tmp_path)])
    assert result.exit_code == 1 and "error in job broken: energy: something precise" in result.output


def test_factors_lists_every_set_with_its_source():
    result = runner.invoke(app, ["factors"])
    assert result.exit_code == 0, result.output
    text = result.output.replace("\n", " ")
    for name in factors.available():
        assert name in text
    assert "HJ Circular" in text and "IPCC" in text


def test_version_and_console_script():
    assert runner.invoke(app, ["--version"]).output.startswith("fastcarbon ")
    script = Path(sys.executable).parent / "fastcarbon"
    if not script.exists():
        pytest.skip("console script not installed next to this interpreter")
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("fastcarbon ")


def test_progress_goes_to_stderr_results_to_stdout(tmp_path):
    # A real process, so the two streams are really separate (CliRunner may mix them).
    done = subprocess.run(
        [sys.executable, "-m", "fastcarbon", "run", "-o", str(tmp_path), "--job", JOBS[0].name],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(rf"\[1/1\] {JOBS[0].name} done in \d+\.\d s", done.stderr)
    assert "done in" not in done.stdout and "Bengbu" in done.stdout
