"""The national sweep of the synthetic panel (bundled study ``national``, ``study.toml`` here):
every city of :func:`fastcarbon.datasets.national_panel` under its scenarios, with Monte Carlo
draws per city through :func:`fastcarbon.sweep.run`, summarised as the share of cities likely to
peak by the target year."""

from __future__ import annotations

import os
from pathlib import Path

import xarray as xr

__all__ = ["national_sweep"]


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
