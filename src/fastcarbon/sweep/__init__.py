"""National sweeps: regions × scenarios × Monte Carlo draws, reduced per region block and
streamed into a resumable Zarr store.

:func:`run` (or :class:`Sweep` + :meth:`Sweep.run`) takes the inputs and noise arguments of
:func:`fastcarbon.uncertainty.monte_carlo` plus a ``store``.  The regions are split into blocks;
one task draws every scenario × draw of a block, reduces the draws (quantile bands with
order-statistic confidence intervals, P(peak <= year), the peak-year distribution and censored
share, P(below target), mean and standard deviation, their Monte Carlo errors, and the draws
needed for ±1 percentage point on P(peak by the target year)) and hands the summaries back;
the draws themselves never leave the task, so the draw dim is never rechunked.

Random streams.  Philox4x32-10 keyed by (seed, region key, draw, variate), the region key a
stable 64-bit hash of the region's label (:func:`fastcarbon.core.montecarlo.label_key`): each
region's draws are independent of the others', and adding, removing or reordering regions
leaves every other region's results bit-identical.  Scenarios of one region share noise
(common random numbers).  ``independent=()`` gives one noise shared by every region (the
behaviour of :func:`fastcarbon.uncertainty.monte_carlo` without streams);
``stream_correlation=ρ`` correlates the regions' noise through one common factor.  Results are
bit-identical for any ``block``, any number of workers and after any resume.

Memory.  A task holds its block's draws, 8 · n_draws · block · n_scenarios · n_years bytes, one
working copy for the order statistics, at most a quarter more for a draw chunk and the
summaries: about 2.3 × 8 · D · b · S · T bytes (:func:`fastcarbon.sweep._task.task_bytes`),
whatever the number of regions.  The default ``block`` is the largest under 256 MB
(:data:`TASK_BUDGET`) and at most n_regions / (4 · workers), so each worker gets several
blocks.  1 000 draws × 4 scenarios × 41 years: 2.8 MiB a region (2.6 MiB measured), so at
most 90 regions a task.
Add the inputs and ~250 MB for a worker process's Python, numba, numpy and dask.  In-process,
one task runs per thread (numba's thread count), so that many tasks are in memory at once.

The store.  Zarr v3; every variable has the region dim first, chunked by ``block``: block k is
chunk k of every variable, written by one writer (the process calling :func:`run`), then flushed,
then marked complete (a marker file per block, written last and atomically).  A rerun skips
the complete blocks, recomputes the rest; a store made by a different sweep (a fingerprint of
inputs, noise, seed, draws and summaries in its attrs) is refused.  ``xr.open_zarr(store)``
opens it; every variable has ``units`` and ``long_name``.

Where the blocks run (``client=``):

- None (default): in this process, no setup; one block per thread (numba's thread count),
  each with serial kernels, which release the GIL.
- ``"processes:N"``: a LocalCluster of N worker processes, one thread and one numba thread
  (NUMBA_NUM_THREADS=1) each, closed at the end.  The dashboard link is printed.  In a script,
  call it under ``if __name__ == "__main__":`` (the workers are spawned processes).
- ``"tcp://host:8786"``: a running dask scheduler, e.g. on several machines::

      # machine A
      dask scheduler --port 8786
      # machines B, C, ... (one thread per process; the sweep is CPU-bound)
      NUMBA_NUM_THREADS=1 dask worker tcp://A:8786 --nworkers 8 --nthreads 1 --memory-limit 1GiB
      # anywhere that reaches A (the store is written here, the workers need no shared disk)
      python -c "import fastcarbon.sweep as s, fastcarbon.datasets as d; \\
                 s.run(d.national_panel(), n_draws=1000, seed=1, store='sweep.zarr', client='tcp://A:8786')"

  Every worker needs the same fastcarbon (and numba, numpy) as the calling process.

- a :class:`distributed.Client`, e.g. from dask-jobqueue on a Slurm cluster::

      from dask_jobqueue import SLURMCluster
      from distributed import Client
      cluster = SLURMCluster(cores=8, processes=8, memory="8GiB",   # 1 GiB per worker process
                             walltime="02:00:00", job_script_prologue=["export NUMBA_NUM_THREADS=1"])
      cluster.scale(jobs=4)                                        # 32 workers
      run(panel, n_draws=1000, seed=1, store="sweep.zarr", client=Client(cluster))

Examples
--------
>>> import numpy as np, xarray as xr, tempfile, os
>>> from fastcarbon.sweep import run
>>> years = np.arange(2020, 2041)
>>> gdp = xr.DataArray(np.outer(np.linspace(1, 2, 5), 1.05 ** (years - 2020)), dims=("region", "year"),
...                    coords={"region": [f"city-{k}" for k in range(5)], "year": years}, attrs={"units": "1"})
>>> ci = xr.DataArray([0.97 ** (years - 2020), 0.93 ** (years - 2020)], dims=("scenario", "year"),
...                   coords={"scenario": ["slow", "fast"], "year": years}, attrs={"units": "t CO2"})
>>> store = os.path.join(tempfile.mkdtemp(), "sweep.zarr")
>>> out = run(activity=gdp, intensity=ci, n_draws=200, seed=1, store=store, target_year=2030, progress=False)
>>> out.peak_probability.dims, out.prob_peak_by_target.attrs["units"]
(('region', 'scenario', 'year'), '1')
>>> p = out.prob_peak_by_target.mean("region")
>>> bool(p.sel(scenario="fast") > p.sel(scenario="slow"))
True
>>> again = run(activity=gdp, intensity=ci, n_draws=200, seed=1, store=store, target_year=2030, progress=False)
>>> bool((again.emissions_quantile == out.emissions_quantile).all())  # resumed: nothing left to compute
True
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import xarray as xr

from fastcarbon.core.montecarlo import Noise
from fastcarbon.sweep._spec import _DEFAULT_NOISE, STORE_FORMAT, SUMMARIES, TASK_BUDGET, Sweep

__all__ = ["run", "Sweep", "SUMMARIES", "TASK_BUDGET", "STORE_FORMAT"]


def run(
    inputs: xr.Dataset | None = None,
    *,
    n_draws: int,
    seed: int,
    store,
    region_dim: Hashable = "region",
    block: int | None = None,
    client=None,
    summaries: Sequence[str] | None = None,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    level: float = 0.95,
    target: float | None = None,
    target_year=None,
    precision: float = 0.01,
    keep_draws: Sequence = (),
    independent: Sequence[Hashable] | None = None,
    stream_correlation: float = 0.0,
    activity: str | xr.DataArray = "gdp",
    intensity: str | xr.DataArray = "carbon_intensity",
    factor: str | xr.DataArray | None = None,
    activity_noise: Noise | None = None,
    intensity_noise: Noise | None = _DEFAULT_NOISE,
    factor_noise: Noise | None = None,
    dim: Hashable = "year",
    sector_dim: Hashable = "sector",
    emissions_units: str | None = None,
    progress: bool = True,
) -> xr.Dataset:
    """Monte Carlo summaries of every region × scenario, computed in region blocks and written
    block by block into the Zarr store ``store``; returns the store opened with ``xr.open_zarr``.

    The model is :func:`fastcarbon.uncertainty.monte_carlo`'s: E = Σ_m A'·I'·F' with
    multiplicative noise on activity, intensity and factor (rates or levels, AR(1) over years,
    correlated across sectors), Dai et al. (2025, section 3.2).  Per region and scenario, over
    the D draws (module docstring: streams, memory, store, clusters):

    - ``bands``: quantiles Q_q (numpy's linear method, Hyndman & Fan type 7) with their
      distribution-free ``level`` confidence interval from the order statistics
      (``emissions_quantile``, ``_low``, ``_high``);
    - ``moments``: mean, standard deviation (ddof 0) and the mean's standard error s/√D;
    - ``peaks``: P(peak year <= y) for every year y (censored draws never count), its binomial
      standard error √(p(1-p)/D), the peak-year distribution, the censored share; with
      ``target_year`` also P(peak <= target_year) and the draws needed for it to lie within
      ±``precision`` at ``level``: z²·p(1-p)/precision²;
    - ``below`` (needs ``target`` and ``target_year``): P(E(target_year) <= target) and its
      standard error.

    Parameters
    ----------
    inputs : xarray.Dataset, optional
        The trajectories, e.g. :func:`fastcarbon.datasets.national_panel`; needed when
        ``activity``, ``intensity`` or ``factor`` name variables.
    n_draws, seed : int
        Draws per region and scenario; the Philox key, in [0, 2**64).
    store : path
        A Zarr v3 store: created when missing or an empty folder, resumed when it holds this
        sweep, refused when it holds another.
    region_dim : hashable
        The dim of the regions (with labels: they key the random streams).
    block : int, optional
        Regions per task (>= 1), the store's chunk along ``region_dim``.  Default: from a
        256 MB memory budget and several blocks per worker.  A resumed store keeps its own.
    client : None, "processes:N", str or distributed.Client
        Where the blocks run (module docstring).
    summaries : list of str, optional
        Any of "bands", "moments", "peaks", "below"; default all (``below`` when ``target`` is given).
    quantiles, level : floats
        Quantile levels in [0, 1]; the confidence level of the intervals and of ``draws_needed``.
    target, target_year, precision
        Emissions target (in the output units) and its year; ``precision`` the half-width for
        ``draws_needed`` (default 0.01: ±1 percentage point).
    keep_draws : list of region labels
        Regions whose raw draws are stored too (``draws``: draws_region × draw × scenario × year).
    independent : tuple of dims, optional
        ``(region_dim,)`` (default): independent noise per region; ``()``: one noise shared by all.
    stream_correlation : float
        ρ in [0, 1]: correlation of the noise across regions (one common factor).
    activity, intensity, factor, activity_noise, intensity_noise, factor_noise, dim, sector_dim, emissions_units
        As in :func:`fastcarbon.uncertainty.monte_carlo`.
    progress : bool
        A progress bar on stderr (blocks done, left, rate, ETA) and the dashboard link of a cluster.

    Returns
    -------
    xarray.Dataset
        The store, lazily opened: region × scenario (× quantile, year or peak_year) variables,
        each with ``units`` and ``long_name``.

    Raises
    ------
    UnknownLabelError
        An unknown variable name, summary, target year or kept region.
    MissingDimensionError
        No input has ``region_dim``, or it has no labels.
    StoreMismatchError
        ``store`` holds a different sweep, or is not a sweep's store.
    OutputPathError
        ``store`` cannot be written (a file, a read-only folder, a non-empty folder that is not a store).
    InvalidValueError, InputTypeError, InputError
        ``block`` < 1, ``n_draws`` < 1, bad quantiles, level, client; and every error of
        :func:`fastcarbon.uncertainty.monte_carlo` on the inputs and noise.
    """
    sweep = Sweep(inputs, n_draws=n_draws, seed=seed, region_dim=region_dim, summaries=summaries,
                  quantiles=quantiles, level=level, target=target, target_year=target_year, precision=precision,
                  keep_draws=keep_draws, independent=independent, stream_correlation=stream_correlation,
                  activity=activity, intensity=intensity, factor=factor, activity_noise=activity_noise,
                  intensity_noise=intensity_noise, factor_noise=factor_noise, dim=dim, sector_dim=sector_dim,
                  emissions_units=emissions_units)
    return sweep.run(store, block=block, client=client, progress=progress)
