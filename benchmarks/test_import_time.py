"""Smoke test of benchmarks/import_time.py: one round on two subjects, tables well formed (the
times themselves are not asserted; run the script for them).  About ten fresh interpreters,
~20 s on a quiet machine, hence ``slow``."""

import import_time
import pytest


@pytest.mark.slow
def test_import_time_script_runs_and_tabulates():
    result = import_time.measure(rounds=1, modules=["fastcarbon.units"], calls=["peak"])
    assert set(result["import"]) == {import_time.BASELINE, "import fastcarbon.units"}
    assert "pint" not in result["loaded"]["import fastcarbon.units"]
    text = import_time.tables(result)
    assert "| `import fastcarbon.units` |" in text and "| `peak` |" in text
    assert "| `numba floor (trivial @njit)` |" in text
    assert "| `numba floor after fastcarbon's BLAS preload` |" in text
    assert all(t > 0 for times in result["first_call"].values() for t in times)
