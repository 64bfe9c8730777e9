"""The national sweep, full size, side by side in one run: fastcarbon.sweep against the plain
numpy version of the same model, and 1 against 2 worker processes.

Size: :func:`fastcarbon.datasets.national_panel` (300 regions × 4 scenarios × 21 sectors × 41
years) × 1 000 draws, intensity noise on the annual reduction rates, independent per city: the
sweep's default (lognormal σ 0.1), or with ``--noise correlated`` lognormal σ 0.15, AR(1) 0.8 and
sector correlation 0.5.  Outputs of both: the peak-year
distribution, P(peak <= year) for every year and the 5/50/95 % bands per city × scenario × year.

- ``numpy``: :func:`numpy_sweep` below, what a competent user writes: per city, draws in chunks
  of 250 from its own ``np.random.default_rng([seed, city])``, the AR(1) and sector correlation
  (when asked for) vectorized over draws, the rate perturbation by ``np.cumprod``, peaks by ``argmax``, bands by
  ``np.quantile`` (one call per city on (draws, scenarios, years));
- ``in-process``: ``fastcarbon.sweep.run(..., client=None)``, the default: one block per thread
  (numba's thread count), serial kernels;
- ``numba-par``: in-process, one block at a time with numba's parallel kernels inside it;
- ``1 worker`` / ``2 workers``: a LocalCluster started (and warmed up) before the clock, one
  thread and one numba thread per worker.

The cases alternate for ``--rounds`` rounds (3) and each case's fastest round is shown: the
machine is shared, and its load moves during a run.

Also the peak memory of each worker (VmHWM: its peak resident set) and the share of the sweep's
wall time the writer thread spends writing and flushing the store (it overlaps the computing),
with the CPU part of it.  Run: ``PYTHONPATH=src python benchmarks/sweep_national.py [--regions 300]
[--draws 1000]``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import resource
import shutil
import tempfile
import time

import numpy as np

from fastcarbon.core.montecarlo import Noise, correlation_factor

#: the sweep's default noise (lognormal σ 0.1 on the intensity's annual reduction rates), and a
#: persistent, sector-correlated one (``--noise correlated``: AR(1) 0.8, sector correlation 0.5)
NOISES = {"sweep": Noise("lognormal", 0.1, on="rate"),
          "correlated": Noise("lognormal", 0.15, on="rate", ar1=0.8, sector_correlation=0.5)}
NOISE = NOISES["sweep"]
SEED = 20261202
QUANTILES = (0.05, 0.5, 0.95)


def numpy_sweep(gdp, ci, years, n_draws, seed, chunk=250, noise=NOISE):
    """Plain numpy, per city: returns (bands (Q, R, S, T), P(peak <= year) (R, S, T),
    peak-year distribution (R, S, T), censored share (R, S)).

    ``gdp`` (R, M, T) value added by sector, ``ci`` (R, S, M, T); emissions E = Σ_m gdp·ci' with ci' the intensity
    whose annual reduction rates r are multiplied by ξ = exp(σe - σ²/2), e N(0, 1) AR(1) over
    years and correlated across sectors.
    """
    n_r, n_s, n_m, n_t = ci.shape
    sigma, phi = float(noise.spread), noise.ar1
    corr = noise.correlation(n_m)
    chol = None if np.array_equal(corr, np.eye(n_m)) else correlation_factor(corr)
    keep = np.where(ci[..., 1:] > 0, ci[..., 1:] / np.where(ci[..., :-1] > 0, ci[..., :-1], 1.0), 0.0)
    rate = 1.0 - keep  # (R, S, M, T-1)
    bands = np.empty((len(QUANTILES), n_r, n_s, n_t))
    p_by = np.empty((n_r, n_s, n_t))
    p_year = np.empty((n_r, n_s, n_t))
    censored = np.empty((n_r, n_s))
    for r in range(n_r):
        rng = np.random.default_rng([seed, r])
        e_all = np.empty((n_draws, n_s, n_t))
        for start in range(0, n_draws, chunk):
            d = min(chunk, n_draws - start)
            z = rng.standard_normal((d, n_m, n_t))
            if chol is not None:
                z = chol @ z
            if phi:
                z[:, :, 1:] *= math.sqrt(1 - phi**2)
                for t in range(1, n_t):
                    z[:, :, t] += phi * z[:, :, t - 1]
            xi = np.exp(sigma * z - 0.5 * sigma**2)  # (d, M, T), shared by the scenarios
            step = np.maximum(0.0, 1.0 - rate[r][None] * xi[:, None, :, 1:])  # (d, S, M, T-1)
            path = np.empty((d, n_s, n_m, n_t))
            path[..., 0] = ci[r, :, :, 0]
            path[..., 1:] = ci[r, None, :, :, :1] * np.cumprod(step, axis=-1)
            e_all[start:start + d] = (gdp[r][None, None] * path).sum(axis=2)
        bands[:, r] = np.quantile(e_all, QUANTILES, axis=0)
        k = e_all.argmax(axis=-1)  # first year of the maximum
        peaked = e_all[..., -1] < e_all.max(axis=-1)
        hit = (k[..., None] == np.arange(n_t)) & peaked[..., None]
        p_year[r] = hit.mean(axis=0)
        p_by[r] = np.cumsum(p_year[r], axis=-1)
        censored[r] = 1.0 - peaked.mean(axis=0)
    return bands, p_by, p_year, censored


def _maxrss_mb() -> float:
    """Peak resident memory of this process in MB: VmHWM of its own address space (ru_maxrss
    would report the parent's peak in a spawned worker: Linux keeps it across fork and exec)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--regions", type=int, default=300)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--skip-numpy", action="store_true")
    ap.add_argument("--noise", choices=list(NOISES), default="sweep")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of every case, alternating; the minimum is shown")
    args = ap.parse_args()

    from distributed import Client, LocalCluster

    from fastcarbon.datasets import national_panel
    from fastcarbon.sweep import Sweep
    from fastcarbon.sweep._schedule import WORKER_ENV

    panel = national_panel(args.regions, seed=0)
    gdp = panel.gdp.transpose("region", "sector", "year").values
    ci = panel.carbon_intensity.transpose("region", "scenario", "sector", "year").values
    years = panel.year.values
    print(f"panel: {dict(panel.sizes)} x {args.draws} draws, noise {args.noise} {NOISES[args.noise]}; "
          f"load average {os.getloadavg()[0]:.2f}")
    spec = dict(n_draws=args.draws, seed=SEED, summaries=["bands", "peaks"], quantiles=QUANTILES,
                target_year=2030, intensity_noise=NOISES[args.noise], activity_noise=None)
    sweep = Sweep(panel, **spec)
    tmp = tempfile.mkdtemp(prefix="sweep-bench-")
    rows: dict[str, tuple] = {}  # case -> the round of least wall time, and the largest peak memory
    runs = itertools.count()

    def timed_sweep(name, client=None):
        store = os.path.join(tmp, f"{next(runs)}.zarr")
        t0 = time.perf_counter()
        ds = sweep.run(store, client=client, progress=False)
        wall = time.perf_counter() - t0
        st = sweep.last_run
        mem = _maxrss_mb() if client is None else max(client.run(_maxrss_mb).values())
        row = (wall, st.write_seconds / wall, st.write_cpu_seconds / wall, mem, st.block, st.n_blocks)
        old = rows.get(name)
        rows[name] = (row if old is None or wall < old[0] else old)[:3] + (max(mem, old[3] if old else 0),) + row[4:]
        ds = ds.load()  # off the clock, before the store goes
        shutil.rmtree(store, ignore_errors=True)
        return ds

    def warm(client=None):  # compile (or load numba's cache) here or in every worker, off the clock
        Sweep(panel.isel(region=slice(0, 2)), **{**spec, "n_draws": 4}).run(
            os.path.join(tmp, f"{next(runs)}.zarr"), client=client, progress=False)

    import fastcarbon.sweep._run as sweep_run

    # Both clusters up for the whole run, so the cases alternate round by round: the machine is
    # shared, and the minimum over rounds of each case is compared.
    with LocalCluster(n_workers=1, threads_per_worker=1, env=WORKER_ENV, dashboard_address=":0") as c1, \
            Client(c1) as one, \
            LocalCluster(n_workers=2, threads_per_worker=1, env=WORKER_ENV, dashboard_address=":0") as c2, \
            Client(c2) as two:
        for client in (None, one, two):
            warm(client)
        for _ in range(args.rounds):
            ref = timed_sweep("in-process")  # the default: one block per thread, serial kernels
            sweep_run.IN_PROCESS_THREADS = 1  # one block at a time, numba's parallel kernels inside it
            timed_sweep("numba-par")
            sweep_run.IN_PROCESS_THREADS = None
            timed_sweep("1 worker", one)
            timed_sweep("2 workers", two)
            if not args.skip_numpy:
                t0 = time.perf_counter()
                bands, p_by, p_year, cens = numpy_sweep(gdp, ci, years, args.draws, SEED, noise=NOISES[args.noise])
                wall = time.perf_counter() - t0
                if "numpy" not in rows or wall < rows["numpy"][0]:
                    rows["numpy"] = (wall, 0.0, 0.0, _maxrss_mb(), None, None)
            print(f"round done, load average {os.getloadavg()[0]:.2f}", flush=True)
    if not args.skip_numpy:
        # the same model, other random numbers: the statistics agree within Monte Carlo error
        diff = np.abs(ref.peak_probability.values - p_by).max()
        print(f"max |P(peak <= year) fastcarbon - numpy| = {diff:.3f} (Monte Carlo error, ~{4 / math.sqrt(args.draws):.3f})")
    base = {name: row[0] for name, row in rows.items()}
    print(f"{'case':<12} {'wall (s)':>9} {'store (wall)':>12} {'store (CPU)':>11} {'peak RSS (MB)':>14} "
          f"{'block':>6} {'blocks':>6}  ratio")
    for name, (wall, share, cpu_share, mem, block, n_blocks) in rows.items():
        ratio = ""
        if name != "numpy" and "numpy" in base:
            ratio = f"numpy / this = {base['numpy'] / wall:.2f}"
        if name == "2 workers":
            ratio += f"; 1 worker / 2 workers = {base['1 worker'] / wall:.2f}"
        print(f"{name:<12} {wall:9.2f} {100 * share:11.1f}% {100 * cpu_share:10.1f}% {mem:14.0f} {block or '':>6} "
              f"{n_blocks or '':>6}  {ratio}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
