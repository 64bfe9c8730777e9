"""Labelled EGM fit + forecast against the numpy closed form, calls interleaved (issue 13).

``benchmarks/test_bench_fixed_cost.py`` (group ``egm_vs_numpy``) times each side alone, one call
after another: malloc then hands every call the memory the previous one freed.  In a user's loop
other work runs between the calls.  Here each round calls, in turn, the labelled
``forecast_egm(fit_egm(da), 10)``, the numpy API ``core.grey.fit_egm(x, horizon=10)`` and the
numpy closed form (``reference.grey.egm_numpy``, the vectorised EGM a user would write), so each
call finds the heap as the others left it.  Prints min / median per case (ms) and numpy / labelled
on minima and on medians (target: >= 1 from 1e3 series, >= 2 from 1e4).  Not a test::

    python benchmarks/egm_interleaved.py                 # B = 1e3, 1e4, 1e5; 200 / 100 / 20 rounds
    python benchmarks/egm_interleaved.py --series 10000 --rounds 300
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import xarray as xr

from fastcarbon.core import grey as core_grey
from fastcarbon.grey import fit_egm, forecast_egm
from fastcarbon.reference import grey as reference

HORIZON = 10
YEARS = np.arange(2011, 2021)
ROUNDS = {1_000: 200, 10_000: 100, 100_000: 20}


def series(b: int) -> np.ndarray:
    """The benchmark's B series of 10 years (as benchmarks/test_bench_fixed_cost.py builds them)."""
    rng = np.random.default_rng(0)
    return 100.0 * np.cumprod(1.0 + 0.06 * (rng.random((b, YEARS.size)) - 0.3), axis=1)


def measure(b: int, rounds: int) -> dict[str, np.ndarray]:
    x = series(b)
    da = xr.DataArray(x, dims=("region", "year"), coords={"year": YEARS}, attrs={"units": "t CO2"})
    cases = {
        "labelled": lambda: forecast_egm(fit_egm(da), HORIZON),
        "core": lambda: core_grey.fit_egm(x, horizon=HORIZON),
        "numpy": lambda: reference.egm_numpy(x, HORIZON),
    }
    np.testing.assert_allclose(cases["labelled"]().values, cases["numpy"]()[2], rtol=1e-8)
    for fn in cases.values():  # compiled and loaded outside the timed rounds
        fn()
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: np.array(v) * 1e3 for k, v in times.items()}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", type=int, nargs="+", default=list(ROUNDS))
    ap.add_argument("--rounds", type=int, default=None, help="rounds per size (default 200 / 100 / 20)")
    args = ap.parse_args(argv)
    print("| B series | labelled min / median (ms) | core | numpy | numpy / labelled, min | median |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for b in args.series:
        t = measure(b, args.rounds or ROUNDS.get(b, 50))
        mn = {k: v.min() for k, v in t.items()}
        md = {k: float(np.median(v)) for k, v in t.items()}
        print(f"| {b:.0e} | {mn['labelled']:.3f} / {md['labelled']:.3f} | {mn['core']:.3f} / {md['core']:.3f} "
              f"| {mn['numpy']:.3f} / {md['numpy']:.3f} | {mn['numpy'] / mn['labelled']:.2f} "
              f"| {md['numpy'] / md['labelled']:.2f} |")


if __name__ == "__main__":
    main()
