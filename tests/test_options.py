"""fastcarbon.set_options / get_options: validation, restoring, and that dispatch reads them."""

from __future__ import annotations

import subprocess
import sys
import threading

import numba
import numpy as np
import pytest

import fastcarbon
from fastcarbon import core
from fastcarbon._options import DEFAULTS
from fastcarbon.core import _common
from fastcarbon.core import grey as core_grey
from fastcarbon.errors import InputError, InputTypeError


def test_defaults_and_compatibility_names():
    opts = fastcarbon.get_options()
    assert opts == DEFAULTS
    # the module constants stay exported and are the documented defaults
    assert core.PARALLEL_THRESHOLD == opts["parallel_threshold"]
    assert core_grey.PARALLEL_THRESHOLD == opts["grey_parallel_threshold"]
    assert opts["num_threads"] is None


def test_context_manager_restores_and_nests():
    before = fastcarbon.get_options()
    with fastcarbon.set_options(parallel_threshold=7, num_threads=1) as ctx:
        assert isinstance(ctx, fastcarbon.set_options)
        assert fastcarbon.get_options()["parallel_threshold"] == 7
        with fastcarbon.set_options(parallel_threshold=9, grey_parallel_threshold=3):
            assert fastcarbon.get_options() == dict(before, parallel_threshold=9, grey_parallel_threshold=3,
                                                    num_threads=1)
        assert fastcarbon.get_options() == dict(before, parallel_threshold=7, num_threads=1)
    assert fastcarbon.get_options() == before


def test_restored_after_an_exception():
    before = fastcarbon.get_options()
    with pytest.raises(ZeroDivisionError):
        with fastcarbon.set_options(parallel_threshold=1):
            1 / 0
    assert fastcarbon.get_options() == before


def test_plain_setter_persists_until_reset():
    before = fastcarbon.get_options()
    try:
        fastcarbon.set_options(grey_parallel_threshold=123)
        assert fastcarbon.get_options()["grey_parallel_threshold"] == 123
    finally:
        fastcarbon.set_options(**before)
    assert fastcarbon.get_options() == before


def test_get_options_is_a_copy():
    opts = fastcarbon.get_options()
    opts["parallel_threshold"] = -5
    assert fastcarbon.get_options()["parallel_threshold"] == DEFAULTS["parallel_threshold"]


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(InputError, match=r"unknown option 'threads'; valid options: grey_parallel_threshold, "
                                         r"num_threads, parallel_threshold"):
        fastcarbon.set_options(threads=2)
    with pytest.raises(InputError, match=r"unknown options 'a', 'b'"):
        fastcarbon.set_options(b=1, a=2)


@pytest.mark.parametrize("key, value, error, match", [
    ("parallel_threshold", -1, InputError, r"parallel_threshold must be an integer number of elements >= 0, got -1"),
    ("parallel_threshold", 1.5, InputTypeError, r"parallel_threshold must be an integer .* got 1\.5 of type float"),
    ("parallel_threshold", True, InputTypeError, r"parallel_threshold .* of type bool"),
    ("grey_parallel_threshold", "10", InputTypeError, r"grey_parallel_threshold must be an integer"),
    ("num_threads", 0, InputError, r"num_threads must be in 1\.\.\d+ \(numba\.config\.NUMBA_NUM_THREADS"),
    ("num_threads", 10**6, InputError, r"num_threads must be in 1\.\.\d+ .* got 1000000"),
    ("num_threads", 2.0, InputTypeError, r"num_threads must be None or an integer >= 1, got 2\.0"),
])
def test_bad_values_name_the_key_and_what_is_allowed(key, value, error, match):
    before = fastcarbon.get_options()
    with pytest.raises(error, match=match):
        fastcarbon.set_options(**{key: value})
    assert fastcarbon.get_options() == before


def test_a_bad_value_changes_nothing():
    before = fastcarbon.get_options()
    with pytest.raises(InputError):
        fastcarbon.set_options(parallel_threshold=5, num_threads=0)
    assert fastcarbon.get_options() == before


def test_numpy_integers_are_accepted():
    with fastcarbon.set_options(parallel_threshold=np.int64(12), num_threads=np.int32(1)):
        opts = fastcarbon.get_options()
        assert opts["parallel_threshold"] == 12 and type(opts["parallel_threshold"]) is int
        assert opts["num_threads"] == 1


def test_dispatch_reads_the_threshold():
    assert not _common.use_parallel(None, 10)
    with fastcarbon.set_options(parallel_threshold=10):
        assert _common.use_parallel(None, 10) == (numba.get_num_threads() > 1)
        assert not _common.use_parallel(None, 9)
        assert not _common.use_parallel(False, 10**9)  # an explicit choice wins
    with fastcarbon.set_options(grey_parallel_threshold=0):
        assert _common.use_parallel(None, 1, option="grey_parallel_threshold") == (numba.get_num_threads() > 1)
        assert not _common.use_parallel(None, 1)


def test_num_threads_one_makes_default_dispatch_serial():
    with fastcarbon.set_options(parallel_threshold=0, grey_parallel_threshold=0, num_threads=1):
        assert not _common.use_parallel(None, 10**9)
        assert not _common.use_parallel(None, 10**9, option="grey_parallel_threshold")
        assert _common.use_parallel(True, 1)


def test_launch_applies_num_threads_and_restores():
    seen = []

    def serial(*args):
        seen.append(("serial", args))

    def parallel(*args):
        seen.append(("parallel", numba.get_num_threads()))

    before = numba.get_num_threads()
    with fastcarbon.set_options(num_threads=1):
        _common.launch(serial, parallel, True)
        _common.launch(serial, parallel, False, 3)
    assert seen == [("parallel", 1), ("serial", (3,))]
    assert numba.get_num_threads() == before


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 numba threads")
def test_results_identical_under_any_option():
    rng = np.random.default_rng(3)
    p, e, f = rng.random((3, 4, 5, 6)), rng.random((3, 4, 5, 6, 7)), rng.random((3, 4, 5, 6, 7))
    x = 100.0 * np.exp(0.02 * np.arange(12)) * (1 + 0.05 * rng.random((50, 12)))
    ref_bu = core.bottom_up(p, e, f)
    ref_fit = core_grey.fit_egm(x, horizon=3)
    for opts in (dict(parallel_threshold=0, grey_parallel_threshold=0),
                 dict(parallel_threshold=0, grey_parallel_threshold=0, num_threads=1),
                 dict(parallel_threshold=0, grey_parallel_threshold=0, num_threads=2)):
        with fastcarbon.set_options(**opts):
            for a, b in zip(ref_bu, core.bottom_up(p, e, f)):
                assert np.array_equal(a, b)
            for a, b in zip(ref_fit, core_grey.fit_egm(x, horizon=3)):
                assert np.array_equal(a, b, equal_nan=True)


def test_options_are_seen_by_other_threads():
    # process-wide, as documented: a thread pool (dask's threaded scheduler) sees the main thread's setting
    got = []
    with fastcarbon.set_options(parallel_threshold=42):
        t = threading.Thread(target=lambda: got.append(fastcarbon.get_options()["parallel_threshold"]))
        t.start()
        t.join()
    assert got == [42]


def test_import_fastcarbon_does_not_import_numba_or_xarray():
    code = ("import sys, fastcarbon; fastcarbon.set_options(parallel_threshold=1); fastcarbon.get_options(); "
            "print(sorted(m for m in ('numba', 'xarray', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert "numba" not in done.stdout and "xarray" not in done.stdout, done.stdout
