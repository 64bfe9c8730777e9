"""Draw reductions: exact quantiles and the fused draw summary against numpy and xarray.

Groups ``quantile|<shape>`` and ``draw_summary|<shape>``; the draws of a national sweep are
(draw, region, scenario, year) = 1000 × 300 × 4 × 41 (394 MB, ``sweep``), one region of it
(``region``) and one element (``one``).  In ``quantile|*``, the 5/50/95 % quantiles over draws by

- ``core``: :func:`fastcarbon.core.quantile` (default dispatch: parallel on large inputs);
- ``core_serial``: the same on the serial kernel (one thread, as in a dask task);
- ``labelled``: :func:`fastcarbon.uncertainty.quantile_bands` (screen, labels and attrs included);
- ``numpy``: ``np.quantile(x, q, axis=0)``;
- ``xarray``: ``DataArray.quantile(q, dim="draw")`` (NaN-skipping, what the sweep used before).

In ``draw_summary|*``: :func:`fastcarbon.core.summarize_draws` (quantiles with their confidence
bounds, mean, std, peak probabilities, censored share, P(below target)) against the same numbers
composed from numpy calls (:func:`fastcarbon.reference.quantile.summarize_numpy`).

Measure: ``pytest benchmarks/test_bench_quantile.py --benchmark-enable -m "slow or not slow"
--benchmark-group-by=group``.  Compilation is kept out of the timed region by a warm-up call.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from fastcarbon import uncertainty
from fastcarbon.core import quantile, summarize_draws
from fastcarbon.reference.quantile import REGISTRY

Q = [0.05, 0.5, 0.95]
YEARS = np.arange(2020, 2061)
SHAPES = {"one": (1, 1, 1, 1), "region": (1000, 1, 4, 41), "sweep": (1000, 300, 4, 41)}
_CACHE: dict[str, xr.DataArray] = {}


def draws_for(shape_name: str) -> xr.DataArray:
    """Random walks around a rise-then-fall path (peaks anywhere, some censored)."""
    if shape_name not in _CACHE:
        _CACHE.clear()  # one large case in memory at a time
        shape = SHAPES[shape_name]
        rng = np.random.default_rng(0)
        x = np.empty(shape)
        rng.standard_normal(out=x)
        np.cumsum(x, axis=-1, out=x)
        x += 100.0 - 0.05 * (YEARS[: shape[-1]] - 2030.0) ** 2
        _CACHE[shape_name] = xr.DataArray(x, dims=("draw", "region", "scenario", "year"),
                                          coords={"year": YEARS[: shape[-1]]}, attrs={"units": "Mt CO2"})
    return _CACHE[shape_name]


def _warm_up():
    x = np.random.default_rng(1).normal(size=(20, 2, 3, 5))
    for parallel in (False, True):
        quantile(x, Q, parallel=parallel)
        summarize_draws(x, YEARS[:5], parallel=parallel, target=0.0, target_year=2024)
    uncertainty.quantile_bands(xr.DataArray(x, dims=("draw", "region", "scenario", "year")))


def _quantile_case(case, da):
    x = da.values
    return {
        "core": lambda: quantile(x, Q),
        "core_serial": lambda: quantile(x, Q, parallel=False),
        "labelled": lambda: uncertainty.quantile_bands(da, Q),
        "numpy": lambda: np.quantile(x, Q, axis=0),
        "xarray": lambda: da.quantile(Q, dim="draw"),
    }[case]


def _rounds(shape_name):
    return dict(rounds=3, warmup_rounds=0) if shape_name == "sweep" else dict(rounds=20, warmup_rounds=2)


SIZES = ["one", "region", pytest.param("sweep", marks=pytest.mark.slow)]


@pytest.mark.parametrize("case", ["core", "core_serial", "labelled", "numpy", "xarray"])
@pytest.mark.parametrize("shape_name", SIZES)
def test_quantile(benchmark, case, shape_name):
    _warm_up()
    da = draws_for(shape_name)
    benchmark.group = f"quantile|{shape_name}"
    benchmark.extra_info["shape"] = list(da.shape)
    benchmark.pedantic(_quantile_case(case, da), iterations=1, **_rounds(shape_name))


@pytest.mark.parametrize("case", ["core", "core_serial", "numpy"])
@pytest.mark.parametrize("shape_name", SIZES)
def test_draw_summary(benchmark, case, shape_name):
    _warm_up()
    da = draws_for(shape_name)
    x, years = da.values, da.year.values
    kw = dict(target=90.0, target_year=int(years[-1]))
    run = {
        "core": lambda: summarize_draws(x, years, **kw),
        "core_serial": lambda: summarize_draws(x, years, parallel=False, **kw),
        "numpy": lambda: REGISTRY["draw_summary"]["numpy"](x, years, **kw),
    }[case]
    benchmark.group = f"draw_summary|{shape_name}"
    benchmark.extra_info["shape"] = list(da.shape)
    benchmark.pedantic(run, iterations=1, **_rounds(shape_name))
