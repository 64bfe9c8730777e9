"""LMDI-I benchmark (issue 14): fastcarbon against a vectorized numpy LMDI and a per-region pandas loop.

The identity is emissions = activity × structure × intensity × mix × factor over regions × draws
× years × 21 sectors × 8 fuels: activity (region, draw, year), structure and intensity (region,
draw, year, sector), mix (region, draw, year, sector, fuel), factor (year, fuel).  Cases, all on
the same inputs in one process:

- ``fastcarbon``: the labelled call :func:`fastcarbon.decompose.lmdi` (validation, units,
  labels, the Dataset included), ``effect`` and ``effect_by``;
- ``core``: the numpy API :func:`fastcarbon.core.lmdi.lmdi` (default dispatch, 2 threads);
- ``core_serial``: the same, forced onto the serial kernel;
- ``numpy``: :func:`fastcarbon.reference.lmdi.lmdi_numpy`, the vectorized numpy a careful user
  writes for this identity (log ratios at each factor's own shape, one effect_by buffer);
- ``pandas_loop``: one region, one draw and one pair of years at a time, as the peer packages
  (LMDIR, EnergyIntensityIndicators) work: a (sector, fuel) DataFrame of the factors at base and
  target, V, L and the effects by column operations.  Timed on ``--loop-regions`` regions (every
  draw and pair) and scaled linearly to all regions (stated in the output).

Run: ``python benchmarks/lmdi_bench.py [--draws 1000] [--chain-draws 25] [--rounds 3]``.
The rounds are interleaved over the cases (each case once, then again), numpy one round fewer;
minima and medians are over each case's rounds.
The chained 41-year case at 1 000 draws would hold 16.5 GB in ``mix`` alone (300 · 1000 · 168 ·
41 · 8 B) and 80 GB of effect_by: it runs at ``--chain-draws`` and every time is also given
scaled linearly to 1 000 draws (the work is linear in the draws: one independent item each).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import xarray as xr

SECTORS = [f"s{k:02d}" for k in range(21)]
FUELS = ["coal", "coke", "gasoline", "kerosene", "diesel", "fuel_oil", "lpg", "natural_gas"]
IDENTITY = "emissions = activity * structure * intensity * mix * factor"
NAMES = ["activity", "structure", "intensity", "mix", "factor"]


def make_inputs(regions: int, draws: int, years: int, seed: int = 0) -> xr.Dataset:
    """Positive factors in (region, draw, year, sector, fuel) order (C-contiguous, no copies)."""
    rng = np.random.default_rng(seed)
    r, d, t, s, f = regions, draws, years, len(SECTORS), len(FUELS)

    def u(shape, lo, hi):
        x = np.empty(shape)
        rng.random(out=x)  # in place: no second temporary of the largest factor
        x *= hi - lo
        x += lo
        return x

    yr = np.arange(2020, 2020 + years) if years > 2 else np.array([2020, 2030])
    coords = {"year": yr, "sector": SECTORS, "fuel": FUELS}
    return xr.Dataset(
        {
            "activity": (("region", "draw", "year"), u((r, d, t), 50, 150), {"units": "1e8 CNY"}),
            "structure": (("region", "draw", "year", "sector"), u((r, d, t, s), 0.01, 0.1)),
            "intensity": (("region", "draw", "year", "sector"), u((r, d, t, s), 0.5, 2.0),
                          {"units": "tce / (1e4 CNY)"}),
            "mix": (("region", "draw", "year", "sector", "fuel"), u((r, d, t, s, f), 0.01, 0.25)),
            "factor": (("year", "fuel"), u((t, f), 1.5, 3.0), {"units": "t CO2 / tce"}),
        },
        coords=coords,
    )


def core_arrays(ds: xr.Dataset) -> list[np.ndarray]:
    """The factors as numpy arrays of shape (*batch, T, sector, fuel) with size-1 axes (views)."""
    out = []
    for n in NAMES:
        da = ds[n]
        full = [d for d in ("region", "draw", "year", "sector", "fuel")]
        shape = [da.sizes.get(d, 1) for d in full]
        out.append(np.asarray(da.values).reshape(shape))
    return out


def pairs_for(ds: xr.Dataset, chain: bool) -> np.ndarray:
    t = ds.sizes["year"]
    return np.array([(k, k + 1) for k in range(t - 1)] if chain else [(0, t - 1)])


def lmdi_pandas_one(f0: pd.DataFrame, f1: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """One region, one draw, one pair: factors at base (f0) and target (f1), rows (sector, fuel),
    columns the factors.  Returns the effect per factor and per sub-category (positive data)."""
    v0 = f0.prod(axis=1)
    v1 = f1.prod(axis=1)
    w = ((v1 - v0) / (np.log(v1) - np.log(v0))).where(v1 != v0, v0)
    by = np.log(f1 / f0).mul(w, axis=0)
    return by.sum(), by


def lmdi_pandas_loop(ds: xr.Dataset, pairs: np.ndarray, regions: int) -> list:
    """The peer-package loop over the first ``regions`` regions: each region's long table, then
    one call per (draw, pair)."""
    index = pd.MultiIndex.from_product([SECTORS, FUELS], names=["sector", "fuel"])
    out = []
    for r in range(regions):
        one = ds.isel(region=r)
        cols = {n: one[n].broadcast_like(one.mix).transpose("draw", "year", "sector", "fuel").values for n in NAMES}
        for d in range(one.sizes["draw"]):
            for t0, t1 in pairs:
                f0 = pd.DataFrame({n: cols[n][d, t0].ravel() for n in NAMES}, index=index)
                f1 = pd.DataFrame({n: cols[n][d, t1].ravel() for n in NAMES}, index=index)
                out.append(lmdi_pandas_one(f0, f1)[0])
    return out


def warm_up():
    """Compile (or load from the cache) every kernel the cases call, outside the timed region."""
    from fastcarbon.core.lmdi import lmdi as core_lmdi
    from fastcarbon.decompose import lmdi

    small = make_inputs(2, 3, 3)
    lmdi(small, dim="year", over=("sector", "fuel"), identity=IDENTITY)
    for par in (False, True):
        core_lmdi(core_arrays(small), pairs_for(small, True), n_over=2, parallel=par)


def cases(ds: xr.Dataset, chain: bool) -> dict:
    from fastcarbon.core.lmdi import lmdi as core_lmdi
    from fastcarbon.decompose import lmdi
    from fastcarbon.reference.lmdi import lmdi_numpy

    arrays = core_arrays(ds)
    pairs = pairs_for(ds, chain)
    kw = {} if chain else {"chain": False}
    return {
        "fastcarbon": lambda: lmdi(ds, dim="year", over=("sector", "fuel"), identity=IDENTITY, **kw),
        "core": lambda: core_lmdi(arrays, pairs, n_over=2),
        "core_serial": lambda: core_lmdi(arrays, pairs, n_over=2, parallel=False),
        "numpy": lambda: lmdi_numpy(arrays, pairs, 2),
    }


def timed(fn, rounds: int) -> tuple[list[float], list[float]]:
    """Wall times and CPU times (this process, all threads) of ``rounds`` calls.  On a shared
    machine the CPU time is the steadier measure of the work; wall time is what a user waits."""
    wall, cpu = [], []
    for _ in range(rounds):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        del out
    return wall, cpu


MEMORY_SCRIPT = """
import json, sys
sys.path.insert(0, {bench_dir!r})
from lmdi_bench import make_inputs, warm_up, IDENTITY
from fastcarbon.decompose import lmdi
warm_up()
ds = make_inputs({regions}, {draws}, {years})
def status(key):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key + ":"))
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")
before = status("VmRSS")
out = lmdi(ds, dim="year", over=("sector", "fuel"), identity=IDENTITY, chain={chain})
after = status("VmHWM")
print(json.dumps({{"extra_bytes": (after - before) * 1024, "outputs_bytes": int(out.nbytes),
                  "inputs_bytes": int(ds.nbytes)}}))
"""


def measure_memory(regions: int, draws: int, years: int, chain: bool) -> dict:
    """Peak RSS above the inputs during the labelled call, in a fresh process (VmHWM reset just
    before the call, so compilation and input construction do not count)."""
    code = MEMORY_SCRIPT.format(bench_dir=os.path.dirname(os.path.abspath(__file__)), regions=regions,
                                draws=draws, years=years, chain=chain)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--regions", type=int, default=300)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--chain-draws", type=int, default=25)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--loop-regions", type=int, default=1)
    ap.add_argument("--skip", default="", help="comma-separated cases to skip")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    import numba

    print(f"numba threads {numba.get_num_threads()}, load average {os.getloadavg()}")
    warm_up()
    rows = []
    for label, draws, years, chain in [("pair", args.draws, 2, False), ("chained 41 y", args.chain_draws, 41, True)]:
        ds = make_inputs(args.regions, draws, years)
        scale = 1000 / draws
        print(f"\n{label}: {args.regions} regions x {draws} draws x {years} years x 21 x 8; "
              f"inputs {ds.nbytes / 1e9:.2f} GB; times scaled x{scale:g} to 1000 draws")
        res = {}
        # rounds interleaved over the cases (case A, B, C, D, then A, B, ... again), so that a
        # burst of load on the shared machine falls on every case rather than on one
        todo = {name: fn for name, fn in cases(ds, chain).items() if name not in skip}
        times = {name: ([], []) for name in todo}
        for r in range(args.rounds):
            for name, fn in todo.items():
                if name == "numpy" and r == args.rounds - 1 and r > 0:
                    continue  # the slowest case: one round fewer
                t, c = timed(fn, 1)
                times[name][0].extend(t)
                times[name][1].extend(c)
        for name, (t, c) in times.items():
            res[name] = (min(t), min(c))
            print(f"  {name:12s} wall min {min(t):8.3f} s  median {np.median(t):8.3f} s  cpu min {min(c):8.3f} s"
                  f"  (wall scaled {min(t) * scale:8.2f} s)", flush=True)
        if "pandas_loop" not in skip:
            pairs = pairs_for(ds, chain)
            t, c = timed(lambda ds=ds, pairs=pairs: lmdi_pandas_loop(ds, pairs, args.loop_regions), 1)
            k = args.regions / args.loop_regions
            res["pandas_loop"] = (t[0] * k, c[0] * k)
            print(f"  pandas_loop  wall {t[0]:8.3f} s, cpu {c[0]:8.3f} s on {args.loop_regions} region(s) x {draws} "
                  f"draws x {len(pairs)} pair(s); scaled x{k:g} to all regions: wall {res['pandas_loop'][0]:.1f} s")
        ref = res.get("fastcarbon")
        if ref:
            for name, (w, c) in res.items():
                print(f"  ratio {name} / fastcarbon: wall {w / ref[0]:8.2f}  cpu {c / ref[1]:8.2f}")
        rows.append((label, draws, res))
        del ds
        gc.collect()
    if "memory" not in skip:
        for label, draws, years, chain in [("pair", min(args.draws, 200), 2, False),
                                           ("chained 41 y", min(args.chain_draws, 10), 41, True)]:
            m = measure_memory(args.regions, draws, years, chain)
            print(f"\nmemory, {label}, {args.regions} regions x {draws} draws: extra peak "
                  f"{m['extra_bytes'] / 2**20:.1f} MiB, outputs {m['outputs_bytes'] / 2**20:.1f} MiB, "
                  f"extra - outputs {(m['extra_bytes'] - m['outputs_bytes']) / 2**20:.1f} MiB, "
                  f"inputs {m['inputs_bytes'] / 2**20:.0f} MiB")
    return rows


if __name__ == "__main__":
    main()
