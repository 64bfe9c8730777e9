"""Entropy weights + obstacle degree for many cities: fastcarbon against what a user would write.

Groups are ``entropy|<shape>``; in each, the same cities × years × indicators go through

- ``fastcarbon``: the labelled call :func:`fastcarbon.index.obstacle_degree` on raw data
  (entropy weights, standardized data, obstacle degrees, ranks and main-obstacle counts, with
  validation and xarray bookkeeping);
- ``core``: the numpy API, :func:`fastcarbon.core.entropy.entropy_weights` then
  :func:`~fastcarbon.core.entropy.obstacle_degree` (numba kernels);
- ``numpy``: the vectorized numpy reference over the whole batch (same outputs);
- ``per_city``: that numpy code called once per city, as a groupby-apply would;
- ``loops``: the pure-Python reference, small shape only.

Measure: ``pytest benchmarks/test_bench_index.py --benchmark-enable -m "slow or not slow"
--benchmark-group-by=group`` (the default test run executes each small case once as a smoke
test).  Compile time is kept out of the timed region by a warm-up call.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from fastcarbon.core import entropy as core
from fastcarbon.index import obstacle_degree
from fastcarbon.reference.index import REGISTRY

SHAPES = {
    # cities, years, indicators
    "small": (1_000, 10, 5),
    # every prefecture-level unit of a country many times over: 5e6 values, 40 MB
    "large": (100_000, 10, 5),
}
NEGATIVE = np.array([False, True, False, True, True])  # the Bengbu study's Table 2 attributes

_CACHE: dict[str, xr.DataArray] = {}


def inputs_for(shape_name: str) -> xr.DataArray:
    if shape_name not in _CACHE:
        _CACHE.clear()
        n_city, n_year, n_ind = SHAPES[shape_name]
        x = np.random.default_rng(0).random((n_city, n_year, n_ind))
        _CACHE[shape_name] = xr.DataArray(
            x, dims=("region", "year", "indicator"),
            coords={"year": np.arange(2011, 2011 + n_year), "indicator": [f"X{j + 1}" for j in range(n_ind)]},
        )
    return _CACHE[shape_name]


def _warm_up():
    da = inputs_for("small").isel(region=slice(0, 2))
    for parallel in (False, True):
        ew = core.entropy_weights(da.values, NEGATIVE, parallel=parallel)
        core.obstacle_degree(ew.standardized, ew.weight, parallel=parallel)


def _core(x):
    ew = core.entropy_weights(x, NEGATIVE)
    return ew, core.obstacle_degree(ew.standardized, ew.weight)


def _per_city(x):
    ref = REGISTRY["entropy"]["numpy"]
    return [ref(city, NEGATIVE) for city in x]


def _run(case, da):
    x = da.values
    if case == "fastcarbon":
        labels = list(da.indicator.values[NEGATIVE])
        return lambda: obstacle_degree(da, "year", negative=labels)
    if case == "core":
        return lambda: _core(x)
    if case == "per_city":
        return lambda: _per_city(x)
    return lambda: REGISTRY["entropy"][case](x, NEGATIVE)


CASES = [
    "fastcarbon",
    "core",
    "numpy",
    "per_city",
    "loops",  # pure Python: small shape only
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("shape_name", ["small", pytest.param("large", marks=pytest.mark.slow)])
def test_entropy(benchmark, case, shape_name):
    if case == "loops" and shape_name == "large":
        pytest.skip("pure-Python loops over 1e5 cities take minutes")
    _warm_up()
    da = inputs_for(shape_name)
    benchmark.group = f"entropy|{shape_name}"
    benchmark.extra_info["values"] = int(da.size)
    fn = _run(case, da)
    slow_case = case in ("per_city", "loops")
    rounds = 1 if slow_case and shape_name == "large" else 3 if slow_case else 5
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0 if slow_case else 1)
