"""The numpy API called in a simulation loop: first call, then per-call cost with and without out=.

A code that embeds fastcarbon calls it thousands of times per run.  For every kernel family this
script times, in one fresh process:

- the **first call** (loading the cached machine code of its kernels, or compiling them when the
  numba cache is cold: run the script twice and read the second run);
- **1 000 calls** in a loop with fresh outputs, and 1 000 with ``out=`` (the previous result
  passed back), taken in alternating blocks of 100 so both see the same machine; the medians of
  the per-call times and their ratio to the first call.

Then the large-batch grey case of issue 13: ``fit_egm`` on 1e6 series of 10 points (5 steps
forecast, serial) with fresh outputs against ``out=``, in ns per series; at that size about 40 %
of a fresh call is allocating and first-touching the outputs.

Not a test: run it by hand.

    python benchmarks/embed_loop.py [calls]        # default 1000 calls per family, about 1 min

Sizes are those of one step of a simulation (one region, one year's tensor), where the fixed
cost of a call, not its work, is what the loop pays.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from _cli import count_arg

T0 = time.perf_counter()
from fastcarbon import core  # noqa: E402
from fastcarbon.core import grey  # noqa: E402

IMPORT_S = time.perf_counter() - T0


def families():
    rng = np.random.default_rng(0)
    p = rng.random((21, 10, 10))
    e = rng.random((21, 10, 10, 8))
    f = rng.random((21, 10, 10, 8))
    m = rng.random((21, 8))
    x1 = 100.0 * np.exp(0.03 * np.arange(12)) * (1 + 0.02 * rng.random(12))
    x100 = 100.0 * np.exp(0.03 * np.arange(12)) * (1 + 0.02 * rng.random((100, 12)))
    fit = grey.fit_egm(x100, horizon=5)
    em = rng.random((100, 41))
    years = np.arange(2020, 2061)
    ind = rng.random((10, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ew = core.entropy_weights(ind)
    gdp = 100.0 * 1.05 ** np.arange(41)
    ci = rng.random((5, 41))
    noise = core.Noise("lognormal", 0.1)
    draws = rng.random((200, 41))
    return {
        "bottom_up (21x10x10x8)": lambda out=None: core.bottom_up(p, e, f, out=out),
        "sector_fuel_totals (21x8)": lambda out=None: core.sector_fuel_totals(m, out=out),
        "fit_egm (1 series)": lambda out=None: grey.fit_egm(x1, horizon=5, out=out),
        "fit_egm (100 series)": lambda out=None: grey.fit_egm(x100, horizon=5, out=out),
        "forecast_egm (100 series)": lambda out=None: grey.forecast_egm(fit.params, x100[:, 0], 12, 5, out=out),
        "peak (100 x 41)": lambda out=None: core.peak(em, years, target=2030, out=out),
        "entropy_weights (10x5)": lambda out=None: core.entropy_weights(ind, out=out),
        "obstacle_degree (10x5)": lambda out=None: core.obstacle_degree(ew.standardized, ew.weight, out=out),
        "monte_carlo (100 draws, 5x41)": lambda out=None: core.monte_carlo(
            gdp, ci, n_draws=100, seed=1, intensity_noise=noise, out=out),
        "quantile (200 x 41)": lambda out=None: core.quantile(draws, [0.05, 0.5, 0.95], out=out),
        "summarize_draws (200 x 41)": lambda out=None: core.summarize_draws(draws, years, out=out),
    }


def loop(fn, calls: int) -> tuple[float, float, float]:
    """First call (ms), then medians (µs) of fresh and out= calls in alternating blocks."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        out = fn()
        first = (time.perf_counter() - t0) * 1e3
        fresh, reuse = [], []
        block = max(1, min(100, calls // 10))
        for _ in range(max(1, calls // block)):
            for _ in range(block):
                t0 = time.perf_counter()
                fn()
                fresh.append(time.perf_counter() - t0)
            for _ in range(block):
                t0 = time.perf_counter()
                out = fn(out)
                reuse.append(time.perf_counter() - t0)
    return first, float(np.median(fresh)) * 1e6, float(np.median(reuse)) * 1e6


def large_grey(rounds: int = 5, series: int = 1_000_000) -> tuple[float, float]:
    """ns per series of fit_egm on 1e6 series (serial), fresh outputs against out=, interleaved."""
    rng = np.random.default_rng(1)
    x = 100.0 * np.exp(0.03 * np.arange(10)) * (1 + 0.02 * rng.random((series, 10)))
    out = grey.fit_egm(x, horizon=5, parallel=False)
    grey.fit_egm(x, horizon=5, parallel=False, out=out)
    fresh, reuse = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        res = grey.fit_egm(x, horizon=5, parallel=False)
        fresh.append(time.perf_counter() - t0)
        del res  # freed before the next call: the next fresh call maps new pages again
        t0 = time.perf_counter()
        grey.fit_egm(x, horizon=5, parallel=False, out=out)
        reuse.append(time.perf_counter() - t0)
    return min(fresh) / series * 1e9, min(reuse) / series * 1e9


def main(calls: int = 1000) -> None:
    print(f"import fastcarbon.core: {IMPORT_S:.2f} s (in this process; see benchmarks/import_time.py)")
    print(f"{calls} calls per family, medians\n")
    print("| call | first call (ms) | fresh outputs (µs/call) | out= (µs/call) | out= / fresh "
          "| first / out= |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, fn in families().items():
        first, fresh, reuse = loop(fn, calls)
        print(f"| {name} | {first:.1f} | {fresh:.1f} | {reuse:.1f} | {reuse / fresh:.2f} | {first * 1e3 / reuse:.0f} |")
    fresh, reuse = large_grey()
    print(f"\nfit_egm, 1e6 series x 10 points, horizon 5, serial (best of 5): fresh outputs {fresh:.0f} ns/series, "
          f"out= {reuse:.0f} ns/series ({reuse / fresh:.2f})")


if __name__ == "__main__":
    main(count_arg(__doc__, "calls", 1000))
