"""The bundled studies that ``fastcarbon run`` (no argument) runs: Bengbu (000,
:mod:`fastcarbon.studies.bengbu`), Chongqing (001, :mod:`fastcarbon.studies.chongqing`) and the
national sweep of the synthetic panel (:func:`national_sweep`), as the jobs of :data:`JOBS`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import xarray as xr

from fastcarbon.studies.bengbu import bengbu_accounting, bengbu_forecast

__all__ = ["Job", "JOBS", "chongqing_monte_carlo_table", "national_sweep"]


def _chongqing_peaks() -> xr.Dataset:
    """:func:`fastcarbon.studies.chongqing.chongqing_peaks` with its headline lines (imported on use)."""
    from fastcarbon.studies.chongqing import chongqing_peaks

    out = chongqing_peaks()
    order = " < ".join(str(s) for s in out.peak_year.sortby(out.peak_year).scenario.values)
    out.attrs["summary"] = [
        f"peak order (earliest first): {order}; paper: AP-NZES (2027) < PP-NZES (2029) < RS (2033)",
        out.attrs["notes"],
    ]
    return out


def chongqing_monte_carlo_table(mc: xr.Dataset) -> xr.Dataset:
    """One row per scenario from :func:`fastcarbon.studies.chongqing.chongqing_monte_carlo`: the
    deterministic and median peak years, the 5–95 % range of the peak year, the probability of
    peaking by the target year, the censored share, and the 5/50/95 % emissions in the target
    year and in the last year."""
    target, last = int(mc.attrs["target_year"]), int(mc.year[-1])
    # Peak-year quantiles from the distribution: the first year whose cumulative share of draws
    # reaches q (draws with no peak in the horizon count as later than every year).
    cum = mc.probability.cumsum("peak_year")

    def peak_quantile(q):
        hit = cum >= q
        year = mc.peak_year.where(hit).min("peak_year")
        return year.assign_attrs(units="year", long_name=f"{100 * q:.0f} % quantile of the peak year")

    out = xr.Dataset(
        {
            "deterministic_peak": mc.deterministic_peak_year,
            "median_peak": mc.peak_year_median,
            "peak_p5": peak_quantile(0.05),
            "peak_p95": peak_quantile(0.95),
            f"P_peak_by_{target}": mc.prob_peak_by_target,
            "censored_share": mc.censored_share,
            **{
                f"{q}_{year}": mc[q].sel(year=year, drop=True)
                for year in (target, last)
                for q in ("p5", "p50", "p95")
            },
        }
    )
    return out


def _chongqing_monte_carlo() -> xr.Dataset:
    from fastcarbon.studies.chongqing import chongqing_monte_carlo

    mc = chongqing_monte_carlo(2000)
    mc.attrs["summary"] = [
        f"{mc.attrs['n_draws']} draws, seed {mc.attrs['seed']}: {mc.attrs['noise']}",
        "full bands (p5, p50, p95 by scenario and year) and the peak-year distribution are in "
        "chongqing_monte_carlo.nc",
    ]
    return mc


def national_sweep(output: str | os.PathLike = ".", *, n_regions: int = 50, n_draws: int = 500,
                   target_year: int = 2030) -> xr.Dataset:
    """A national sweep of the synthetic panel (:func:`fastcarbon.datasets.national_panel`,
    ``n_regions`` cities × its scenarios) with ``n_draws`` Monte Carlo draws per city
    (:func:`fastcarbon.sweep.run`, independent noise per city), stored in
    ``<output>/national_sweep.zarr``; a rerun resumes that store.

    Returns one row per scenario: the share of regions likely to peak by ``target_year``
    (P(peak <= target_year) >= 0.5), the mean of that probability over the regions, and the
    largest number of draws any region needs for ±1 percentage point on it.

    Examples
    --------
    >>> import tempfile
    >>> out = national_sweep(tempfile.mkdtemp(), n_regions=6, n_draws=100)
    >>> out.share_likely_to_peak.dims, out.share_likely_to_peak.attrs["units"]
    (('scenario',), '1')
    """
    from fastcarbon.datasets import national_panel
    from fastcarbon.sweep import run

    store = Path(output) / "national_sweep.zarr"
    panel = national_panel(n_regions, seed=0)
    res = run(panel, n_draws=n_draws, seed=20261202, store=store, target_year=target_year, progress=False)
    p = res.prob_peak_by_target.load()
    out = xr.Dataset({
        "share_likely_to_peak": (p >= 0.5).mean("region")
        .assign_attrs(units="1", long_name=f"share of regions with P(peak <= {target_year}) >= 0.5"),
        "mean_prob_peak": p.mean("region").assign_attrs(
            units="1", long_name=f"P(peak <= {target_year}), mean over the regions"),
        "draws_needed_max": res.draws_needed.max("region").load().assign_attrs(
            units="draws", long_name=f"draws the least settled region needs for ±1 point on P(peak <= {target_year})"),
    })
    shares = ", ".join(f"{sc} {100 * float(v):.0f} %" for sc, v in zip(out.scenario.values, out.share_likely_to_peak.values))
    out.attrs.update(
        title=f"National sweep (synthetic panel): {n_regions} regions x {n_draws} draws",
        store=str(store),
        summary=[
            f"share of regions likely (P >= 0.5) to peak by {target_year}: {shares}",
            f"{n_regions} regions x {res.sizes['scenario']} scenarios x {n_draws} draws, independent noise per region "
            f"(seed {res.attrs['seed']}); summaries per region in the Zarr store {store} (xarray.open_zarr)",
        ],
    )
    return out


class Job(NamedTuple):
    """One job of ``fastcarbon run``: ``run()`` returns a Dataset, written as ``<name>.nc`` and
    printed under ``title`` with its ``summary`` attr lines.  The printed table, also written as
    ``<name>.csv``, is the Dataset itself (which must then be over one dim) or ``table(ds)``.
    A job with ``store`` also writes that entry into the output folder: ``run(output)`` is
    called with the folder."""

    name: str
    title: str
    run: Callable[..., xr.Dataset]
    table: Callable[[xr.Dataset], xr.Dataset] | None = None
    #: the name of a further output the job writes into the output folder (e.g. a Zarr store)
    store: str | None = None


#: the jobs of ``fastcarbon run``, in order; later reproductions append here
JOBS: list[Job] = [
    Job(
        "bengbu_accounting",
        "Bengbu industrial carbon emissions, recomputed (000 eq. 1) vs printed (Table 4)",
        bengbu_accounting,
    ),
    Job(
        "bengbu_forecast",
        "Bengbu industrial carbon emissions: EGM(1,1) and linear baseline, fitted 2011-2020, to 2030",
        bengbu_forecast,
    ),
    Job(
        "chongqing_peaks",
        "Chongqing industrial CO2 peaks under 001's scenarios: fastcarbon (top-down) vs the paper",
        _chongqing_peaks,
    ),
    Job(
        "chongqing_monte_carlo",
        "Chongqing Monte Carlo: 2 000 draws of uncertain Table 1 rates and GDP growth",
        _chongqing_monte_carlo,
        chongqing_monte_carlo_table,
    ),
    Job(
        "national_sweep",
        "National sweep of the synthetic panel: 50 regions x 4 scenarios x 500 draws, peaking by 2030",
        national_sweep,
        store="national_sweep.zarr",
    ),
]
