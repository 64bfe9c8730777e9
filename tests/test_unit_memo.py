"""fastcarbon._unit_memo: the labelled calls' unit arithmetic memoised on disk, so a new process's
first bottom_up / monte_carlo need not build pint's registry (issue 13: cached first call).

The cross-process checks run fresh interpreters with ``XDG_CACHE_HOME`` set to a temporary folder
(platformdirs puts the memo there on Linux, as pint puts its own cache)."""

from __future__ import annotations

import json
import math
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastcarbon import _unit_memo
from fastcarbon.errors import UnitError

from subprocess_env import run_json

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="XDG_CACHE_HOME sets the folder on Linux")

_OK = """
    import json, sys
    import fastcarbon.units as u
    from fastcarbon.accounting.tensor import _unit_scales_of
    from fastcarbon.uncertainty.sampling import _units_of
    from fastcarbon.errors import UnitError
    out = {"scales": [], "mc": [], "errors": []}
    for args in [("t", "tce/t", "t CO2/tce", "tce", "t CO2"),
                 ("10**4 t", "kgce/t", "kg CO2/GJ", "10**4 tce", "Mt CO2"),
                 (None, None, None, "TJ", "t C")]:
        out["scales"].append(list(_unit_scales_of(*args)))
    out["mc"].append(list(_units_of((("1e8 CNY", "gdp"), ("t CO2 / (1e4 CNY)", "ci")), None)))
    out["mc"].append(list(_units_of((("1e8 CNY", "gdp"), ("t CO2 / (1e4 CNY)", "ci")), "Mt CO2")))
"""
_ERRORS = """
    for args in [("t", "tce/t", "t CO2/tce", "tce", "m"), ("t", "tce#x", None, "tce", "t CO2")]:
        try:
            _unit_scales_of(*args)
        except UnitError as e:
            out["errors"].append(str(e))
"""
_END = """
    out["registry_built"] = u._UREG is not None
    print(json.dumps(out))
"""
_CALLS = _OK + _ERRORS + _END


_run = run_json  # a new interpreter's JSON answer (tests/subprocess_env.py)


def _files(root):
    return sorted((root / "fastcarbon").glob("units-*.json")) if (root / "fastcarbon").is_dir() else []


def test_a_new_process_reads_the_results_and_builds_no_registry(tmp_path):
    first = _run(_CALLS, XDG_CACHE_HOME=str(tmp_path))
    assert first["registry_built"]
    assert len(_files(tmp_path)) == 2  # one file per memoised function
    second = _run(_CALLS, XDG_CACHE_HOME=str(tmp_path))
    # the error cases are not stored, so they are the only thing that builds the registry
    assert second["errors"] == first["errors"] and len(first["errors"]) == 2
    assert second["scales"] == first["scales"] and second["mc"] == first["mc"]  # bit for bit
    no_errors = _run(_OK + _END, XDG_CACHE_HOME=str(tmp_path))
    assert no_errors["scales"] == first["scales"] and no_errors["mc"] == first["mc"]
    assert not no_errors["registry_built"]


def test_the_values_are_those_pint_gives(tmp_path):
    off = _run(_CALLS, XDG_CACHE_HOME=str(tmp_path), FASTCARBON_UNITS_CACHE="0")
    assert _files(tmp_path) == []
    _run(_CALLS, XDG_CACHE_HOME=str(tmp_path))
    memo = _run(_CALLS, XDG_CACHE_HOME=str(tmp_path))
    assert memo["scales"] == off["scales"] and memo["mc"] == off["mc"]
    assert off["scales"][1] == pytest.approx([1e-3, 29.3076e4 * 1e-9], rel=1e-15)  # 1e4 kgce = 10 tce
    assert off["mc"] == [[1.0, "10000 t CO2"], [pytest.approx(1e-2, rel=1e-15), "Mt CO2"]]


def test_errors_are_never_stored(tmp_path):
    out = _run(_CALLS, XDG_CACHE_HOME=str(tmp_path))
    assert "cannot be converted to 'm'" in out["errors"][0]
    assert "'tce#x' is not a unit expression" in out["errors"][1]
    stored = [json.loads(p.read_text())["entries"] for p in _files(tmp_path)]
    keys = [k for entries in stored for k in entries]
    assert len(keys) == 5 and not any("tce#x" in k or '"m"]' in k for k in keys)


def test_a_damaged_file_is_ignored_and_rewritten(tmp_path):
    first = _run(_CALLS, XDG_CACHE_HOME=str(tmp_path))
    for p in _files(tmp_path):  # as a process killed mid-write by hand would leave it
        p.write_bytes(p.read_bytes()[:17])
    again = _run(_CALLS, XDG_CACHE_HOME=str(tmp_path))
    assert again["scales"] == first["scales"] and again["registry_built"]
    assert all(len(json.loads(p.read_text())["entries"]) >= 2 for p in _files(tmp_path))


def test_an_unwritable_folder_leaves_the_memo_in_memory(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = _run(_CALLS, XDG_CACHE_HOME=str(blocker / "sub"))  # makedirs fails, even as root
    off = _run(_CALLS, XDG_CACHE_HOME=str(tmp_path), FASTCARBON_UNITS_CACHE="0")
    assert out["scales"] == off["scales"] and out["errors"] == off["errors"]


# in-process: the memo on a function of this module's own -----------------------------------


def _memo_in(tmp_path, monkeypatch, fn):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("FASTCARBON_UNITS_CACHE", raising=False)
    return _unit_memo.disk_memo(fn)


def _pair(a, b):
    return (len(a) * 0.1, f"{a}|{b}")


def test_a_second_memo_reads_what_the_first_wrote_and_keys_by_the_source(tmp_path, monkeypatch):
    calls = []

    def counted(a, b):
        calls.append((a, b))
        return _pair(a, b)

    first = _memo_in(tmp_path, monkeypatch, counted)
    assert first("t", None) == (0.1, "t|None") and first("t", None) == (0.1, "t|None")
    assert len(calls) == 1  # the second call is a memory hit
    second = _memo_in(tmp_path, monkeypatch, counted)  # as a new process would start
    assert second("t", None) == (0.1, "t|None") and len(calls) == 1  # read from the file
    assert second("kt", "x") == (0.2, "kt|x") and len(calls) == 2
    # another function (another name or source file) has another file
    other = _memo_in(tmp_path, monkeypatch, _pair)
    assert _unit_memo._file_for(other.__wrapped__) != _unit_memo._file_for(counted)


def test_arguments_json_cannot_key_raise_type_error(tmp_path, monkeypatch):
    memo = _memo_in(tmp_path, monkeypatch, _pair)
    with pytest.raises(TypeError, match="strings, None or tuples"):
        memo(object(), None)


def test_results_json_would_change_are_kept_in_memory_only(tmp_path, monkeypatch):
    memo = _memo_in(tmp_path, monkeypatch, lambda a: (float("nan") if a == "nan" else 1.0, True))
    assert memo("x") == (1.0, True)
    assert _files(tmp_path) == []  # a bool would come back from JSON as true/1: not stored
    memo = _memo_in(tmp_path, monkeypatch, lambda a: (float("nan") if a == "nan" else 1.0,))
    assert math.isnan(memo("nan")[0])
    assert _files(tmp_path) == []  # NaN is not JSON


def test_threads_get_one_answer(tmp_path, monkeypatch):
    memo = _memo_in(tmp_path, monkeypatch, _pair)
    seen = []
    threads = [threading.Thread(target=lambda i=i: seen.append(memo(f"u{i % 3}", None))) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(seen)) == [(0.2, f"u{i}|None") for i in range(3)]
    entries = json.loads(_files(tmp_path)[0].read_text())["entries"]
    assert len(entries) == 3


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_value = st.tuples(st.floats(allow_nan=False, allow_infinity=False), _text, st.integers(-2**60, 2**60))


@settings(max_examples=60, deadline=None)
@given(args=st.tuples(st.one_of(st.none(), _text), st.tuples(_text, _text)), value=_value)
def test_what_is_read_back_equals_what_was_computed(tmp_path_factory, args, value):
    root = tmp_path_factory.mktemp("memo")
    with pytest.MonkeyPatch.context() as mp:
        def fn(a, b):
            return value

        first = _memo_in(root, mp, fn)
        assert first(*args) == value
        again = _memo_in(root, mp, fn)
        got = again(*args)
        assert got == value and [type(v) for v in got] == [type(v) for v in value]


def test_bad_units_still_raise_through_the_labelled_call():
    import numpy as np
    import xarray as xr

    from fastcarbon.accounting import bottom_up

    P = xr.DataArray(np.ones((1, 1, 1)), dims=("sector", "process", "equipment"), attrs={"units": "t"})
    E = xr.DataArray(np.ones((1, 1, 1, 1)), dims=("sector", "process", "equipment", "fuel"),
                     coords={"fuel": ["coal"]}, attrs={"units": "tce/t"})
    F = xr.DataArray([2.6], dims="fuel", coords={"fuel": ["coal"]}, attrs={"units": "t CO2/tce"})
    bottom_up(P, E, F)
    with pytest.raises(UnitError, match="cannot be converted"):
        bottom_up(P, E, F, emissions_units="m")
