"""The code of the bundled Chongqing study (``study.toml`` here names it in its ``[custom]``
tables): the scenario peaks next to the paper's, and the Monte Carlo with its one-row-per-scenario
table, each with the headline lines ``fastcarbon run`` prints."""

from __future__ import annotations

import xarray as xr

__all__ = ["peaks", "monte_carlo", "monte_carlo_table"]


def peaks() -> xr.Dataset:
    """:func:`fastcarbon.studies.chongqing.chongqing_peaks` with its headline lines (imported on use)."""
    from fastcarbon.studies.chongqing import chongqing_peaks

    out = chongqing_peaks()
    order = " < ".join(str(s) for s in out.peak_year.sortby(out.peak_year).scenario.values)
    out.attrs["summary"] = [
        f"peak order (earliest first): {order}; paper: AP-NZES (2027) < PP-NZES (2029) < RS (2033)",
        out.attrs["notes"],
    ]
    return out


def monte_carlo_table(mc: xr.Dataset) -> xr.Dataset:
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


def monte_carlo(n_draws: int = 2000, seed: int = 20250101, target_year: int = 2030) -> xr.Dataset:
    """:func:`fastcarbon.studies.chongqing.chongqing_monte_carlo` with its headline lines."""
    from fastcarbon.studies.chongqing import chongqing_monte_carlo

    mc = chongqing_monte_carlo(n_draws, seed=seed, target_year=target_year)
    mc.attrs["summary"] = [
        f"{mc.attrs['n_draws']} draws, seed {mc.attrs['seed']}: {mc.attrs['noise']}",
        "full bands (p5, p50, p95 by scenario and year) and the peak-year distribution are in "
        "chongqing_monte_carlo.nc",
    ]
    return mc
