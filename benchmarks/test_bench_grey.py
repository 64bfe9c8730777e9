"""EGM(1,1): fastcarbon against the baselines a user would otherwise pick.

Groups are ``egm|B=<series>,n=<points>``; every case fits B series of n points and forecasts 10
steps:

- ``core``: :func:`fastcarbon.core.grey.fit_egm` (validation, flags, posterior test, residuals,
  relative errors and MAPE included; serial below ``PARALLEL_THRESHOLD``, else both threads);
- ``labelled``: :func:`fastcarbon.grey.fit_egm` + :func:`fastcarbon.grey.forecast_egm` on a
  DataArray (region × year), the public call;
- ``numpy``: the vectorized numpy closed form (``fastcarbon.reference.grey.egm_numpy``), a, b,
  fitted and forecast only;
- ``lstsq_loop``: a Python loop over series with ``np.linalg.lstsq`` (what peer libraries do),
  **timed on the first** ``LOOP_SERIES`` **series only** (its cost is linear in B); its
  ``extra_info["series_per_second"]`` is comparable with the others', its mean time is not.

Every case records ``extra_info["series_per_second"]`` (series timed / best round's time; the
machine is shared, so the minimum over many rounds is the repeatable number) and
``series_per_second_mean`` when timing is enabled; compare ratios within one run.  Measure: ``pytest benchmarks/test_bench_grey.py --benchmark-enable -m "slow or not slow"
--benchmark-group-by=group``; the default test run executes each small case once as a smoke test.
Compile time stays out of the timed region (warm-up call before timing).
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from fastcarbon.core import grey as core_grey
from fastcarbon.grey import fit_egm, forecast_egm
from fastcarbon.reference import grey as reference

HORIZON = 10
LOOP_SERIES = 1000
#: timed rounds per size (min of many: see test_egm)
ROUNDS = {1_000: 50, 100_000: 15, 1_000_000: 7}

SIZES = [
    pytest.param(1_000, id="B=1e3"),
    pytest.param(100_000, id="B=1e5", marks=pytest.mark.slow),
    pytest.param(1_000_000, id="B=1e6", marks=pytest.mark.slow),
]
CASES = ["core", "labelled", "numpy", "lstsq_loop"]

_CACHE: dict[tuple[int, int], np.ndarray] = {}


def series(b: int, n: int) -> np.ndarray:
    """B growing, noisy emission-like series of n points (kept: one shape in memory at a time)."""
    if (b, n) not in _CACHE:
        _CACHE.clear()
        rng = np.random.default_rng(0)
        steps = 1.0 + 0.06 * (rng.random((b, n)) - 0.3)
        _CACHE[(b, n)] = 100.0 * np.cumprod(steps, axis=1)
    return _CACHE[(b, n)]


def _warm_up():
    x = series(64, 10)
    core_grey.fit_egm(x, horizon=HORIZON, parallel=False)
    core_grey.fit_egm(x, horizon=HORIZON, parallel=True)
    forecast_egm(fit_egm(xr.DataArray(x, dims=("region", "year"))), HORIZON)


def _run(case: str, x: np.ndarray):
    if case == "core":
        return lambda: core_grey.fit_egm(x, horizon=HORIZON), x.shape[0]
    if case == "labelled":
        da = xr.DataArray(x, dims=("region", "year"),
                          coords={"year": np.arange(2011, 2011 + x.shape[1])}, attrs={"units": "t CO2"})
        return lambda: forecast_egm(fit_egm(da), HORIZON), x.shape[0]
    if case == "numpy":
        return lambda: reference.egm_numpy(x, HORIZON), x.shape[0]
    sub = x[:LOOP_SERIES]
    return lambda: reference.egm_lstsq_loop(sub, HORIZON), sub.shape[0]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("n", [10, 20])
@pytest.mark.parametrize("b", SIZES)
def test_egm(benchmark, case, n, b):
    _warm_up()
    x = series(b, n)
    fn, timed_series = _run(case, x)
    benchmark.group = f"egm|B={b:.0e},n={n}"
    benchmark.extra_info.update(series=b, timed_series=timed_series, points=n, horizon=HORIZON)
    rounds = ROUNDS[b]
    result = benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1)
    if benchmark.stats is not None and not benchmark.disabled:
        # The best round: the machine is shared (2 vCPUs, other jobs), so the mean mostly
        # measures the neighbours; the minimum is the repeatable number.
        benchmark.extra_info["series_per_second"] = timed_series / benchmark.stats.stats.min
        benchmark.extra_info["series_per_second_mean"] = timed_series / benchmark.stats.stats.mean
    # Smoke check: every case fits the same numbers.
    forecast = result.forecast if case == "core" else result.values if case == "labelled" else result[2]
    ref = reference.egm_numpy(x[: len(forecast)], HORIZON)[2]
    np.testing.assert_allclose(forecast, ref, rtol=1e-8)
