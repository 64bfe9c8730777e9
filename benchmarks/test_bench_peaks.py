"""Peak analysis: fastcarbon against the numpy a user would otherwise write.

Groups are ``peaks|<shape>``; in each, the same trajectories (draw × year, 41 years 2020–2060)
go through

- ``fastcarbon``: the labelled call :func:`fastcarbon.peaks.peak` (validation and attrs included);
- ``core``: the numpy API :func:`fastcarbon.core.peaks.peak` (default dispatch);
- ``core_serial``: the same, forced onto the serial kernel;
- ``numpy``: ``argmax`` + ``take_along_axis`` + a mask ``argmax`` + ``sum`` + NaN masks
  (:func:`fastcarbon.reference.peaks.peak_numpy`);
- ``read_only``: a compiled, multi-threaded sum of every input byte — the memory-bandwidth limit
  for a kernel that reads each trajectory once.

Measure: ``pytest benchmarks/test_bench_peaks.py --benchmark-enable -m "slow or not slow"
--benchmark-group-by=group`` (the default test run executes each small case once as a smoke test).
Compile time is kept out of the timed region by a warm-up call before timing.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
import xarray as xr
from numba import prange

from fastcarbon.core.peaks import peak as core_peak
from fastcarbon.peaks import peak
from fastcarbon.reference.peaks import REGISTRY

YEARS = np.arange(2020, 2061)
SHAPES = {"small": 10_000, "large": 1_000_000}  # trajectories of 41 years; large = 328 MB


@numba.njit(parallel=True, fastmath=True, cache=True)
def read_only_pass(x):
    """Sum every element (flat, contiguous): the bytes read once, nothing else."""
    flat = x.reshape(-1)
    s = 0.0
    for k in prange(flat.size):
        s += flat[k]
    return s


def make_trajectories(n: int, seed: int = 0) -> xr.DataArray:
    """Random walks around a rise-then-fall path, so peaks fall anywhere and some are censored."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, YEARS.size))
    rng.standard_normal(out=x)  # in place: no second 328 MB temporary
    np.cumsum(x, axis=1, out=x)
    x += 100.0 - 0.05 * (YEARS - 2030.0) ** 2
    return xr.DataArray(x, dims=("draw", "year"), coords={"year": YEARS}, attrs={"units": "Mt CO2"})


_CACHE: dict[str, xr.DataArray] = {}


def inputs_for(shape_name: str) -> xr.DataArray:
    if shape_name not in _CACHE:
        _CACHE.clear()  # keep one large case in memory at a time
        _CACHE[shape_name] = make_trajectories(SHAPES[shape_name])
    return _CACHE[shape_name]


def _warm_up():
    da = make_trajectories(4)
    peak(da, target=2030)
    core_peak(da.values, YEARS, target=2030, parallel=False)
    core_peak(da.values, YEARS, target=2030, parallel=True)
    read_only_pass(da.values)


CASES = ["fastcarbon", "core", "core_serial", "numpy", "read_only"]


def _run(case, da):
    x = da.values
    if case == "fastcarbon":
        return lambda: peak(da, target=2030)
    if case == "core":
        return lambda: core_peak(x, YEARS, target=2030)
    if case == "core_serial":
        return lambda: core_peak(x, YEARS, target=2030, parallel=False)
    if case == "read_only":
        return lambda: read_only_pass(x)
    return lambda: REGISTRY["peaks"][case](x, YEARS, 0.0, 2030)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("shape_name", ["small", pytest.param("large", marks=pytest.mark.slow)])
def test_peaks(benchmark, case, shape_name):
    _warm_up()
    da = inputs_for(shape_name)
    benchmark.group = f"peaks|{shape_name}"
    benchmark.extra_info["trajectories"] = int(da.sizes["draw"])
    benchmark.extra_info["GB_read"] = da.nbytes / 1e9
    benchmark.pedantic(_run(case, da), rounds=5, iterations=1, warmup_rounds=1)
