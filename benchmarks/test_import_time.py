"""Smoke tests of benchmarks/import_time.py and quick_load.py: one round on few subjects, tables
well formed (the times themselves are not asserted; run the script for them).  About fifteen fresh interpreters,
~25 s on a quiet machine, hence ``slow``."""

import shutil

import import_time
import pytest


@pytest.mark.slow
def test_import_time_script_runs_and_tabulates():
    result = import_time.measure(rounds=1, modules=["fastcarbon.units"], calls=["peak"])
    assert set(result["import"]) == {import_time.BASELINE, import_time.BASELINE_DUE, "import fastcarbon.units"}
    assert "pint" not in result["loaded"]["import fastcarbon.units"]
    text = import_time.tables(result)
    assert "| `import fastcarbon.units` |" in text and "| `peak` |" in text
    assert "| `numba floor (trivial @njit)` |" in text
    assert "| `numba floor after fastcarbon's BLAS preload` |" in text
    assert all(t > 0 for times in result["first_call"].values() for t in times)
    # the baseline runs before and after each subject (1 + 2 runs), but only the round's first
    # counts in its min and median, one sample a round as for every subject; one paired ratio each
    assert all(len(times) == 1 for times in result["import"].values())
    assert set(result["paired"]) == {import_time.BASELINE_DUE, "import fastcarbon.units"}
    assert all(len(r) == 1 and r[0] > 0 for r in result["paired"].values())
    assert "paired ratio, median" in text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")
def test_import_time_counts_instructions():
    counts = import_time.instructions(["pass", "import json, decimal"])
    # importing two modules executes more instructions than an empty program
    assert 0 < counts["pass"] < counts["import json, decimal"]
    text = import_time.instruction_table({import_time.BASELINE: 2_000_000_000, "import x": 2_100_000_000})
    assert "| `import x` | 2.100 | 1.050 |" in text


@pytest.mark.slow
def test_quick_load_script_runs_and_tabulates():
    # benchmarks/quick_load.py: one round of one workload in both modes (the times are not asserted)
    import quick_load

    result = quick_load.measure(rounds=1, names=["fit_egm labelled"])
    runs = result["fit_egm labelled"]
    assert set(runs) == {True, False} and all(len(r) == 1 for r in runs.values())
    assert all(r["first"] > 0 and r["loop"] > 0 and r["process"] > r["first"] for rs in runs.values() for r in rs)
    text = quick_load.table(result)
    assert "| fit_egm labelled | quick |" in text and "|  | numba |" in text
