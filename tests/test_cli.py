"""``fastcarbon run``, ``fastcarbon factors`` and ``--version``, without a terminal (as on CI)."""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from fastcarbon import factors
from fastcarbon.cli import app
from fastcarbon.errors import FastcarbonError, InputError, InputTypeError, OutputPathError
from fastcarbon.output import prepare_output, result_files, write_atomic, write_result
from fastcarbon.studies.bengbu import bengbu_accounting
from fastcarbon.studies.bundled import JOBS

runner = CliRunner()


def test_run_writes_netcdf_and_csv_that_round_trip(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "-o", str(out)])
    assert result.exit_code == 0, result.output
    # the table: title, units in the headers printed literally (not eaten as rich markup), rows
    assert "Bengbu" in result.output and "computed (t C)" in result.output and "gap" in result.output
    # shares as plain percents, counts whole
    assert "2011" in result.output and "0.60 %" in result.output and "1.24 %" in result.output
    assert "wrote " in result.output and "national_sweep.zarr" in "".join(result.output.split())
    assert re.search(r"RS +│ +38.0 % │", result.output) and " 8,717 " in result.output  # the sweep table
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
        [f"{job.name}.{ext}" for job in JOBS for ext in ("csv", "nc")] + [job.store for job in JOBS if job.store])


def test_run_selects_jobs_and_rejects_unknown_ones(tmp_path):
    ok = runner.invoke(app, ["run", "-o", str(tmp_path), "--job", JOBS[0].name])
    assert ok.exit_code == 0, ok.output
    # progress: which step of how many, and how long it took
    assert re.search(rf"\[1/1\] {JOBS[0].name} done in \d+\.\d s", ok.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{JOBS[0].name}.csv", f"{JOBS[0].name}.nc"]
    bad = runner.invoke(app, ["run", "-o", str(tmp_path), "--job", "nope"])
    assert bad.exit_code == 2 and "nope" in bad.output and JOBS[0].name in bad.output
    # a study's name runs the whole study
    study = runner.invoke(app, ["run", "-o", str(tmp_path / "b"), "--job", "bengbu"])
    assert study.exit_code == 0, study.output
    assert "[2/3] bengbu_forecast done in" in study.output and "grade good" in study.output


SPY_HOOKS = """\
from pathlib import Path

import xarray as xr

from fastcarbon.errors import InputError


def tiny():
    return xr.Dataset({"x": ("year", [1.0, 2.0], {"units": "t"})}, coords={"year": [2020, 2021]})


def spy():
    with open(Path(__file__).parent.parent / "calls.txt", "a") as fh:  # where the test reads it
        fh.write("ran\\n")
    return tiny()


def broken():
    raise InputError("energy: something precise\\nover two lines")


def blocks(output):
    (Path(output) / "spy.csv").mkdir()  # a folder where the CSV goes, after the checks passed (a race)
    return tiny()
"""


def _spy_study(folder: Path, function: str, name: str = "spy") -> Path:
    """A bundled-like study of one [custom] result ``name`` computed by ``hooks.py:function``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hooks.py").write_text(SPY_HOOKS)
    (folder / "study.toml").write_text(
        f'[study]\nname = "spy"\n[custom.{name}]\ncode = "hooks.py:{function}"\n'
        '[outputs]\nformats = ["netcdf", "csv"]\nfigures = false\nreport = false\n')
    return folder / "study.toml"


def test_a_failing_step_exits_1_with_its_message_on_one_line(tmp_path, monkeypatch):
    from fastcarbon.errors import InputError
    from fastcarbon.studies import bundled

    monkeypatch.setattr(bundled, "STUDIES", {"spy": _spy_study(tmp_path / "spy", "broken", "broken")})
    result = runner.invoke(app, ["run", "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert result.stderr == "fastcarbon run: error in study spy (broken): energy: something precise over two lines\n"
    # developers get the traceback back with --traceback
    debug = runner.invoke(app, ["run", "-o", str(tmp_path / "out"), "--traceback"])
    assert isinstance(debug.exception, InputError) and debug.exit_code == 1


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


# --- Output folders and result files ----------------------------------------------------------


def _tiny():
    return xr.Dataset({"x": ("year", [1.0, 2.0], {"units": "t"})}, coords={"year": [2020, 2021]})


@pytest.fixture
def spy_job(monkeypatch, tmp_path_factory):
    """One cheap study with one result "spy" in place of the bundled ones; the list it returns
    reads back each time the result was computed."""
    from fastcarbon.studies import bundled

    folder = tmp_path_factory.mktemp("spy") / "study"
    monkeypatch.setattr(bundled, "STUDIES", {"spy": _spy_study(folder, "spy")})

    class Calls:
        def __eq__(self, other):
            calls = folder.parent / "calls.txt"
            return (calls.read_text().splitlines() if calls.exists() else []) == other

    return Calls()


def _file(path: Path) -> Path:
    path.write_text("not a folder\n")
    return path


# Each case builds a bad --output under tmp_path and returns it with what the message must say.
OUTPUT_CASES = {
    "parent is a file": lambda tmp: (
        _file(tmp / "notes.txt") / "out",
        [str(tmp / "notes.txt" / "out"), f"'{tmp / 'notes.txt'}' is a file"]),
    "output is a file": lambda tmp: (
        _file(tmp / "notes.txt"), [f"'{tmp / 'notes.txt'}' is a file, not a folder"]),
    "folder where the .nc goes": lambda tmp: (
        (tmp / "out" / "spy.nc").mkdir(parents=True) or tmp / "out", [f"'{tmp / 'out' / 'spy.nc'}' goes"]),
    "folder where the .csv goes": lambda tmp: (
        (tmp / "out" / "spy.csv").mkdir(parents=True) or tmp / "out", [f"'{tmp / 'out' / 'spy.csv'}' goes"]),
    # procfs refuses mkdir even to root (ENOENT), as a read-only place would
    "folder the system refuses": lambda tmp: (
        Path("/proc/fastcarbon-out"), ["'/proc/fastcarbon-out': cannot create the folder"]),
}


@pytest.mark.parametrize("case", OUTPUT_CASES)
def test_a_bad_output_is_one_line_exit_2_before_any_job_runs(tmp_path, spy_job, case):
    if case == "folder the system refuses" and not Path("/proc/self").exists():
        pytest.skip("needs Linux procfs")
    output, said = OUTPUT_CASES[case](tmp_path)
    result = runner.invoke(app, ["run", "-o", str(output)])
    assert result.exit_code == 2, result.output
    assert spy_job == []  # checked before computing, not after
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("fastcarbon run: --output '")
    for text in said:
        assert text in result.stderr, result.stderr
    assert "choose" in result.stderr or "name a folder" in result.stderr  # the fix


def _private_mount_works() -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


# Root writes through chmod, so a read-only place needs a read-only mount.  It is made inside a
# private mount namespace (unshare -m) that ends with the command: nothing leaks to the machine.
READ_ONLY = {
    "read-only filesystem, folder to create": (
        'mount -t tmpfs -o ro tmpfs "$1"', False, "cannot create the folder (read-only file system)"),
    "existing folder on a read-only mount": (
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"', True,
        "cannot write in the folder (read-only file system)"),
}


@pytest.mark.parametrize("case", READ_ONLY)
def test_a_read_only_output_is_one_line_exit_2_before_any_job_runs(tmp_path, case):
    if not _private_mount_works():
        pytest.skip("needs unshare -m and mount (root in a private mount namespace)")
    mount, exists, said = READ_ONLY[case]
    place, output = tmp_path / "ro", tmp_path / "ro" / "out"
    (output if exists else place).mkdir(parents=True)
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", f'{mount} && shift && exec "$@"', "sh", str(place),
         sys.executable, "-m", "fastcarbon", "run", "-o", str(output), "--job", JOBS[0].name],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 2, done.stderr
    # the one line and nothing else: no progress line, no table, so no job ran
    assert done.stderr == f"fastcarbon run: --output '{output}': {said}; choose a folder you can write to\n"
    assert done.stdout == ""


def test_a_write_that_fails_after_the_checks_is_one_line_exit_1(tmp_path, monkeypatch):
    # The step itself puts a folder where its CSV goes, after the checks passed (as a race would).
    from fastcarbon.studies import bundled

    out = tmp_path / "out"
    monkeypatch.setattr(bundled, "STUDIES", {"spy": _spy_study(tmp_path / "spy", "blocks")})
    result = runner.invoke(app, ["run", "-o", str(out)])
    assert result.exit_code == 1, result.output
    progress, error = result.stderr.splitlines()  # the step's progress line, then one error line
    assert progress.startswith("[1/1] spy done in")
    assert error == (
        f"fastcarbon run: error in study spy: cannot write the result file '{out / 'spy.csv'}' (is a directory)")
    # the netCDF was written whole before; no temporary is left behind
    assert sorted(p.name for p in out.iterdir()) == ["spy.csv", "spy.nc"]
    with xr.open_dataset(out / "spy.nc", engine="h5netcdf") as ds:
        xr.testing.assert_identical(ds.load(), _tiny())


def test_write_atomic_replaces_the_file_whole_with_the_usual_permissions(tmp_path):
    path = tmp_path / "result.csv"
    path.write_text("old\n")
    seen = []

    def write(tmp):
        seen.append(tmp)
        assert tmp.parent == path.parent and tmp.exists() and not path.read_text() == ""
        tmp.write_text("new\n")

    assert write_atomic(path, write) == path
    assert path.read_text() == "new\n" and not seen[0].exists()
    assert [p.name for p in tmp_path.iterdir()] == ["result.csv"]
    plain = tmp_path / "plain"
    plain.write_text("")
    assert path.stat().st_mode == plain.stat().st_mode  # 0666 minus the umask, as open() gives


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), KeyboardInterrupt()],
                         ids=["disk full", "Ctrl-C"])
def test_write_atomic_keeps_the_old_file_and_no_temporary_when_writing_stops(tmp_path, failure):
    path = tmp_path / "result.nc"
    path.write_text("old\n")

    def write(tmp):
        tmp.write_text("half of the ")
        raise failure

    if isinstance(failure, OSError):
        with pytest.raises(OutputPathError, match=re.escape(f"'{path}' (no space left on device)")):
            write_atomic(path, write)
    else:
        with pytest.raises(KeyboardInterrupt):
            write_atomic(path, write)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.nc"]


@pytest.mark.skipif(os.name != "posix", reason="leftovers are only removed where a pid can be checked")
def test_prepare_output_removes_temporaries_of_dead_runs_only(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    dead = f".spy.nc.{gone.pid}@{host}.0123abcd.part"
    kept = [
        f".spy.csv.{os.getpid()}@{host}.0123abcd.part",  # a live run still writing it
        f".spy.nc.{gone.pid}@another-{host}.0123abcd.part",  # another machine's (shared folder)
        f".other.nc.{gone.pid}@{host}.0123abcd.part",  # not a result of this run
        "spy.nc",
    ]
    for name in [dead, *kept]:
        (tmp_path / name).write_text("x")
    prepare_output(tmp_path, ["spy"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


@pytest.mark.parametrize("refused", ["mkdir", "is_dir", "exists"])
def test_prepare_output_turns_a_refused_folder_into_one_clear_error(tmp_path, monkeypatch, refused):
    # What a user who is not root meets in a folder of someone else's (tests run as root, which
    # chmod does not stop): the system refuses, and the message says so with the path.
    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(Path, refused, refuse)
    out = tmp_path / "theirs" / "out"
    with pytest.raises(OutputPathError) as info:
        prepare_output(out, ["spy"], option="--output")
    assert str(info.value).startswith(f"--output '{out}': ")
    assert "permission denied" in str(info.value) and "choose a folder you can write to" in str(info.value)


# Each case: a call of a writing function with one bad argument, the error class, and the
# argument and value the message must name.
BAD_WRITER_ARGS = {
    "folder not a path": (lambda tmp: prepare_output(3, ["spy"]), InputTypeError, ["folder", "int"]),
    "names a str": (lambda tmp: prepare_output(tmp, "spy"), InputTypeError, ["names", "'spy'"]),
    "names not iterable": (lambda tmp: prepare_output(tmp, 5), InputTypeError, ["names", "5"]),
    "name not a str": (lambda tmp: prepare_output(tmp, [2021]), InputTypeError, ["names", "2021"]),
    "name reaching out": (lambda tmp: prepare_output(tmp, ["../spy"]), InputError, ["names", "'../spy'"]),
    "empty name": (lambda tmp: result_files(tmp, ""), InputError, ["name", "''"]),
    "path not a path": (lambda tmp: write_atomic(None, print), InputTypeError, ["path", "NoneType"]),
    "write not callable": (lambda tmp: write_atomic(tmp / "a.csv", "a,b"), InputTypeError, ["write", "str"]),
    "ds not a Dataset": (lambda tmp: write_result(tmp, "spy", [1.0], _tiny()), InputTypeError, ["ds", "list"]),
    "table not a Dataset": (lambda tmp: write_result(tmp, "spy", _tiny(), None), InputTypeError, ["table"]),
    "folder missing": (lambda tmp: write_atomic(tmp / "gone" / "a.csv", print), OutputPathError,
                       [str(Path("gone", "a.csv")) + "'", "no such file or directory"]),
}


@pytest.mark.parametrize("case", BAD_WRITER_ARGS)
def test_writing_functions_name_the_bad_argument(tmp_path, case):
    call, error, said = BAD_WRITER_ARGS[case]
    with pytest.raises(error) as info:
        call(tmp_path)
    assert isinstance(info.value, FastcarbonError) and isinstance(info.value, (ValueError, TypeError))
    for text in said:
        assert text in str(info.value), str(info.value)
    assert list(tmp_path.iterdir()) == []  # nothing written


# --- SIGKILL during writing --------------------------------------------------------------------
# Where to kill: the moment a file of the target (the temporary or, with a plain writer, the
# final file) appears, or first holds bytes, plus a delay.  Writing the netCDF took about 80 ms
# from the first bytes to the last on the machine the test was written on (an h5netcdf import of
# about 0.4 s comes before them), and ~25 ms on a faster one (2026-12-04), where fixed delays up
# to 0.12 s landed after the write in 9 of 14 kills: so the kills after the first bytes are
# fractions of the write's own duration, measured by one run first (_nc_write_span).  The CSV
# takes a few ms.  The same triggers hit a non-atomic writer's final file, which is how the test
# was checked to fail before the fix: with the plain writer of the main branch, 16 of the 19
# kills left a file that would not open or was not whole (0 of 19 with write_atomic).
KILL_JOB = "bengbu_accounting"
# The default run kills at 5 moments (about 10 s on 2 quiet cores); -m slow adds 14 more.
# ("nc", 1, f): f x the netCDF write's duration after its first byte; (ext, 0, d): d seconds
# after the file appears.
KILLS = [("nc", 1, f) for f in (0.0, 0.3, 0.6, 0.9)] + [("csv", 0, 0.0)]
MORE_KILLS = [("nc", 1, f) for f in (0.05, 0.1, 0.2, 0.35, 0.45, 0.55, 0.7, 0.8, 0.95)] + [
    ("nc", 0, 0.0), ("nc", 0, 0.2), ("csv", 0, 0.001), ("csv", 0, 0.003), ("csv", 0, 0.006)]


def _nc_write_span(out: Path) -> float:
    """Seconds from the first byte of KILL_JOB's netCDF temporary to its rename, in one
    unkilled ``fastcarbon run`` into ``out``."""
    out.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "fastcarbon", "run", "-o", str(out), "--job", KILL_JOB],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = last = None
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        writing = False
        for entry in os.scandir(out):
            try:
                if f"{KILL_JOB}.nc" in entry.name and entry.name.endswith(".part") and entry.stat().st_size:
                    writing = True
            except FileNotFoundError:
                pass
        now = time.monotonic()
        if writing:
            first = now if first is None else first
            last = now
        elif first is not None:
            break
        time.sleep(0.0002 if first is not None else 0.002)
    proc.wait(timeout=240)
    assert proc.returncode == 0 and first is not None, "the calibration run wrote no netCDF temporary"
    return max(last - first, 0.002)


def _kill_while_writing(out: Path, ext: str, min_bytes: int, delay: float, env=None) -> int | str:
    """Run ``fastcarbon run`` for KILL_JOB into ``out``, SIGKILL it ``delay`` s after a file whose
    name holds ``<KILL_JOB>.<ext>`` has ``min_bytes`` bytes; return the exit status, or a str
    saying why no kill happened."""
    out.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "fastcarbon", "run", "-o", str(out), "--job", KILL_JOB],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline, killed = time.monotonic() + 240, False
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            sizes = []
            for entry in os.scandir(out):
                try:
                    sizes.append((f"{KILL_JOB}.{ext}" in entry.name, entry.stat().st_size))
                except FileNotFoundError:  # renamed between the listing and the stat
                    pass
            if any(ours and size >= min_bytes for ours, size in sizes):
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            # coarse while the job computes, fine once its first file is open
            time.sleep(0.0002 if sizes else 0.005)
    finally:
        if not killed:  # ended, or no write seen in time: stop it, and say so in the result
            proc.kill()
        proc.wait(timeout=60)
    return proc.returncode if killed else f"no kill: the run ended with {proc.returncode} or timed out"


def _broken_results(out: Path, expected: xr.Dataset) -> list[str]:
    """The files under a result's final name in ``out`` that do not open or are not whole."""
    broken = []
    nc, csv = out / f"{KILL_JOB}.nc", out / f"{KILL_JOB}.csv"
    if nc.exists():
        try:
            with xr.open_dataset(nc, engine="h5netcdf") as ds:
                xr.testing.assert_identical(ds.load(), expected)
        except Exception as exc:  # noqa: BLE001 (any failure to read back is what we count)
            broken.append(f"{nc.name}: {type(exc).__name__}: {exc}")
    if csv.exists():
        try:
            frame = pd.read_csv(csv, index_col="year")
            pd.testing.assert_frame_equal(frame, expected.to_dataframe(), check_exact=False, rtol=1e-12)
        except Exception as exc:  # noqa: BLE001
            broken.append(f"{csv.name}: {type(exc).__name__}: {exc}")
    return broken


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("kills", [KILLS, pytest.param(MORE_KILLS, marks=pytest.mark.slow)], ids=["5", "14"])
def test_sigkill_while_writing_never_leaves_a_broken_result(tmp_path, kills):
    expected = bengbu_accounting()
    span = _nc_write_span(tmp_path / "calibration")
    kills = [(ext, n, f * span if n else f) for ext, n, f in kills]
    folders = [tmp_path / f"kill{k}" for k in range(len(kills))]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=3) as pool:  # three at once: the kills wait on files, not the CPU
        codes = list(pool.map(lambda a: _kill_while_writing(*a), [(f, *k) for f, k in zip(folders, kills)]))
    elapsed = time.perf_counter() - started
    assert codes == [-signal.SIGKILL] * len(kills), codes  # each run was killed, none had ended
    # the kills landed inside the writing: a temporary was open in most of them
    mid_write = sum(any(p.name.endswith(".part") for p in f.iterdir()) for f in folders)
    assert mid_write >= len(kills) // 2, mid_write
    broken = {f.name: _broken_results(f, expected) for f in folders}
    assert not any(broken.values()), broken
    # the next run into the same folder removes what the killed one left, keeps the results
    for folder in folders:
        prepare_output(folder, [KILL_JOB])
        assert not [p for p in folder.iterdir() if p.name.startswith(".")]
        assert not _broken_results(folder, expected)
    print(f"{len(kills)} kills, {mid_write} mid-write, in {elapsed:.1f} s (netCDF write {span * 1e3:.0f} ms)")


def test_table_cells_years_counts_and_percents():
    import numpy as np

    from fastcarbon.cli import _fmt, _style

    years, counts = np.array([2035.0, 2030.0]), np.array([8717.0, 9530.0])
    assert [_fmt(v, "year", _style(years, "year")) for v in years] == ["2035", "2030"]
    assert [_fmt(v, "draws", _style(counts, "draws")) for v in counts] == ["8,717", "9,530"]
    shares = np.array([0.38, 0.46])
    assert [_fmt(v, "1", _style(shares, "1")) for v in shares] == ["38.0 %", "46.0 %"]
    small = np.array([0.006, 0.0124])
    assert [_fmt(v, "1", _style(small, "1")) for v in small] == ["0.60 %", "1.24 %"]
    mixed = np.array([3010510.0, 3113280.2])  # one column, one decimal throughout
    assert [_fmt(v, "t C", _style(mixed, "t C")) for v in mixed] == ["3,010,510.0", "3,113,280.2"]
    assert _fmt(float("nan"), "1", "pct1") == "" and _fmt(True, "1") == "yes"
