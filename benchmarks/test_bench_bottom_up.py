"""Bottom-up accounting: fastcarbon against the baselines a user would otherwise pick.

Groups are ``bottom_up|<shape>``; in each, the same inputs go through

- ``fastcarbon``: the public labelled call :func:`fastcarbon.accounting.bottom_up`
  (validation, unit handling, xarray bookkeeping and every breakdown included);
- ``core``: the numpy API :func:`fastcarbon.core.bottom_up`;
- ``naive``: ``(f * e * P[..., None]).sum(...)``; ``einsum``: ``np.einsum(..., optimize=False)``;
- ``read_only``: a compiled, vectorized, multi-threaded sum of every input byte — the memory
  bandwidth limit for a kernel that reads the tensor once.

Measure: ``pytest benchmarks --benchmark-enable -m "slow or not slow" --benchmark-group-by=group``
(the default test run executes each case once, small shapes only, as a smoke test).
Compile time is kept out of the timed region by a warm-up call before timing.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
import xarray as xr
from numba import prange

from fastcarbon import core
from fastcarbon.accounting import bottom_up
from fastcarbon.reference import REGISTRY

CORE_DIMS = ("sector", "process", "equipment", "fuel")

SHAPES = {
    # years 41, sectors 21, processes 10, equipment 10, fuels 8: one city's LEAP-like tree
    "small": {"year": 41},
    # 75 regions x 41 years: 5.2e7 elements in intensity and in factor (413 MB each)
    "large": {"region": 75, "year": 41},
}
CORE_SHAPE = {"sector": 21, "process": 10, "equipment": 10, "fuel": 8}


@numba.njit(parallel=True, fastmath=True, cache=True)
def read_only_pass(p, e, f):
    """Sum every element of the three inputs (flat, contiguous): bytes read once, nothing else."""
    pe, ee, fe = p.reshape(-1), e.reshape(-1), f.reshape(-1)
    s = 0.0
    for k in prange(ee.size):
        s += ee[k] + fe[k]
    for k in prange(pe.size):
        s += pe[k]
    return s


def make_inputs(extra: dict[str, int], seed: int = 0):
    rng = np.random.default_rng(seed)
    dims = tuple(extra) + CORE_DIMS
    shape = tuple(extra.values()) + tuple(CORE_SHAPE.values())
    coords = {d: np.arange(n) for d, n in {**extra, **CORE_SHAPE}.items()}
    # rng.random(out=...) fills in place: no temporary as large as the tensor.
    e = np.empty(shape)
    rng.random(out=e)
    f = np.empty(shape)
    rng.random(out=f)
    p = rng.random(shape[:-1])
    E = xr.DataArray(e, dims=dims, coords=coords, attrs={"units": "tce/t"})
    F = xr.DataArray(f, dims=dims, coords=coords, attrs={"units": "t CO2/tce"})
    P = xr.DataArray(p, dims=dims[:-1], coords={d: coords[d] for d in dims[:-1]}, attrs={"units": "t"})
    return P, E, F


# The fuel sweep (issue 13): every fuel count from 1 to 64 is a target; these cover each vector
# split of the kernel (8k + 0 … 7) and both sides of the register-tile limit.
FUEL_SWEEP = (1, 2, 3, 5, 8, 13, 16, 24, 32, 48, 64)
PE_SHAPES = {"10x10": (10, 10), "16x16": (16, 16)}
SWEEP_YEARS, SWEEP_SECTORS = 41, 32
#: at most this many elements per intensity or factor tensor (96 MB): beyond it the sweep keeps
#: fewer sectors (16 x 16 with 48 and 64 fuels); every (year, sector) slice stays whole
MAX_ELEMENTS = 12_000_000


def sweep_inputs(n_proc: int, n_equip: int, n_fuel: int, seed: int = 0):
    """(activity, intensity, factor) numpy arrays, all three varying by year: 41 years × 32
    sectors (fewer above :data:`MAX_ELEMENTS`) × n_proc × n_equip (× n_fuel)."""
    per_sector = SWEEP_YEARS * n_proc * n_equip * n_fuel
    n_m = max(1, min(SWEEP_SECTORS, MAX_ELEMENTS // per_sector))
    rng = np.random.default_rng(seed)
    shape = (SWEEP_YEARS, n_m, n_proc, n_equip, n_fuel)
    e, f = np.empty(shape), np.empty(shape)
    rng.random(out=e)
    rng.random(out=f)
    return rng.random(shape[:-1]), e, f


_CACHE: dict[str, tuple] = {}


def inputs_for(shape_name: str):
    if shape_name not in _CACHE:
        _CACHE.clear()  # keep one large case in memory at a time
        _CACHE[shape_name] = make_inputs(SHAPES[shape_name])
    return _CACHE[shape_name]


def _warm_up():
    P, E, F = make_inputs({"year": 2})
    bottom_up(P, E, F, parallel=False)
    bottom_up(P, E, F, parallel=True)
    read_only_pass(P.values, E.values, F.values)


# read_only right before fastcarbon: this VM's memory bandwidth drifts over seconds (the read-only
# pass alone moves between 11 and 21 ms), so the ratio is taken between neighbours in time.
CASES = ["read_only", "fastcarbon", "core", "einsum", "naive"]


def _run(case, P, E, F):
    if case == "fastcarbon":
        return lambda: bottom_up(P, E, F)
    p, e, f = P.values, E.values, F.values
    if case == "core":
        return lambda: core.bottom_up(p, e, f)
    if case == "read_only":
        return lambda: read_only_pass(p, e, f)
    return lambda: REGISTRY["bottom_up"][case](p, e, f)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(
    "shape_name", ["small", pytest.param("large", marks=pytest.mark.slow)]
)
def test_bottom_up(benchmark, case, shape_name):
    _warm_up()
    P, E, F = inputs_for(shape_name)
    benchmark.group = f"bottom_up|{shape_name}"
    benchmark.extra_info["elements"] = int(E.size)
    benchmark.extra_info["GB_read"] = (E.nbytes + F.nbytes + P.nbytes) / 1e9
    fn = _run(case, P, E, F)
    # The large case is memory-bound and this VM's bandwidth drifts between rounds: 15 rounds
    # (about 0.4 s) give a stable median; naive takes 0.27 s a round, 3 suffice.
    rounds = 3 if case == "naive" else 15 if shape_name == "large" else 5
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1)


SWEEP_CASES = ["read_only", "core", "einsum"]


@pytest.mark.parametrize("case", SWEEP_CASES)
@pytest.mark.parametrize("n_fuel", FUEL_SWEEP)
@pytest.mark.parametrize("pe", list(PE_SHAPES))
@pytest.mark.slow
def test_bottom_up_fuel_sweep(benchmark, case, n_fuel, pe):
    # Serial and 2-thread ratios, measured interleaved: benchmarks/fuel_sweep_bottom_up.py.
    p, e, f = sweep_inputs(*PE_SHAPES[pe], n_fuel)
    benchmark.group = f"bottom_up fuels|{pe}x{n_fuel}"
    benchmark.extra_info["elements"] = int(e.size)
    benchmark.extra_info["sectors"] = int(e.shape[1])
    fn = {
        "read_only": lambda: read_only_pass(p, e, f),
        "core": lambda: core.bottom_up(p, e, f),
        "einsum": lambda: REGISTRY["bottom_up"]["einsum"](p, e, f),
    }[case]
    fn()  # compile outside the timed rounds
    benchmark.pedantic(fn, rounds=3 if case == "einsum" else 10, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("n_fuel", [1, 3, 24])
def test_bottom_up_fuel_sweep_smoke(benchmark, n_fuel):
    # The default run: one small case per kernel path (register block, split block, row pass).
    p, e, f = (x[:2, :2] for x in sweep_inputs(10, 10, n_fuel))
    benchmark.group = f"bottom_up fuels smoke|{n_fuel}"
    benchmark.pedantic(lambda: core.bottom_up(p, e, f), rounds=3, iterations=1, warmup_rounds=1)
