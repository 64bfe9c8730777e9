"""Scenario construction: regions × 21 sectors × 8 fuels × 4 scenarios × 41 years.

Groups are ``scenarios|<shape>``; in each, the same base values and Table 1 schedules go through

- ``fastcarbon``: :meth:`fastcarbon.scenarios.ScenarioSet.build` (RS defines activity growth
  and its intensity schedule; PP-NZES, AP-NZES and NCNS inherit activity and override the
  schedule), validation, inheritance and xarray bookkeeping included;
- ``core``: :func:`fastcarbon.core.trajectory.rate_schedule` for the four intensity schedules at
  once (the numpy floor of the intensity part);
- ``loop``: the year-on-year recursion I(t) = I(t-1)(1 - r) written as a Python loop over years
  on numpy arrays, what a user would write by hand.

Measure: ``pytest benchmarks/test_bench_scenarios.py --benchmark-enable -m "slow or not slow"``.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from fastcarbon.core import trajectory as core
from fastcarbon.scenarios import Growth, Scenario, ScenarioSet, Schedule
from fastcarbon.studies.chongqing import table1_schedules

SHAPES = {"small": 10, "large": 300}  # regions; × 21 sectors × 8 fuels × 4 scenarios × 41 years
YEARS = np.arange(2020, 2061)


def make_set(n_region: int, seed: int = 0) -> ScenarioSet:
    rng = np.random.default_rng(seed)
    region = [f"r{k:03d}" for k in range(n_region)]
    sector = [f"s{k:02d}" for k in range(21)]
    fuel = [f"f{k}" for k in range(8)]
    base = xr.Dataset({
        "activity": xr.DataArray(rng.random((n_region, 21)), dims=("region", "sector"),
                                 coords={"region": region, "sector": sector},
                                 attrs={"units": "1e8 CNY", "long_name": "value added"}),
        "intensity": xr.DataArray(rng.random((n_region, 21, 8)), dims=("region", "sector", "fuel"),
                                  coords={"region": region, "sector": sector, "fuel": fuel},
                                  attrs={"units": "t CO2 / (1e4 CNY)", "long_name": "carbon intensity"}),
    })
    growth = xr.DataArray(rng.uniform(0.02, 0.06, n_region), dims="region", coords={"region": region})
    rates = table1_schedules()
    scenarios = [Scenario("RS", {"activity": Growth(growth), "intensity": Schedule(rates.sel(scenario="RS", drop=True))})]
    scenarios += [Scenario(s, {"intensity": Schedule(rates.sel(scenario=s, drop=True))}, parent="RS")
                  for s in ("PP-NZES", "AP-NZES", "NCNS")]
    return ScenarioSet(base, scenarios, base_year=2020, years=YEARS)


def _loop(base: np.ndarray, rates: np.ndarray) -> np.ndarray:
    out = np.empty((rates.shape[0],) + base.shape + (YEARS.size,))
    out[..., 0] = base
    for t in range(1, YEARS.size):
        r = rates[:, (t - 1) // 5].reshape((-1,) + (1,) * base.ndim)
        out[..., t] = out[..., t - 1] * (1 - r)
    return out


@pytest.mark.parametrize("case", ["fastcarbon", "core", "loop"])
@pytest.mark.parametrize("shape_name", ["small", pytest.param("large", marks=pytest.mark.slow)])
def test_scenarios(benchmark, case, shape_name):
    ss = make_set(SHAPES[shape_name])
    rates = table1_schedules().sel(scenario=["RS", "PP-NZES", "AP-NZES", "NCNS"]).values / 100
    base = ss.base.intensity.values
    starts, ends = np.arange(2021, 2057, 5), np.arange(2025, 2061, 5)
    benchmark.group = f"scenarios|{shape_name}"
    benchmark.extra_info["elements"] = int(4 * base.size * YEARS.size)
    if case == "fastcarbon":
        fn = ss.build
    elif case == "core":
        fn = lambda: core.rate_schedule(base, rates[:, None, None, None, :], starts, ends, 2020, YEARS)  # noqa: E731
    else:
        fn = lambda: _loop(base, rates)  # noqa: E731
    out = benchmark.pedantic(fn, rounds=5, iterations=1, warmup_rounds=1)
    # every case computes the same intensities
    ref = _loop(base, rates)
    got = out.intensity.transpose("scenario", "region", "sector", "fuel", "year").values if case == "fastcarbon" else out
    np.testing.assert_allclose(got, ref, rtol=1e-12)
