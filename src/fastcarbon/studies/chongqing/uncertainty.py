"""The Chongqing scenarios of Dai et al. (2025) under uncertain reduction and growth rates."""

from __future__ import annotations

import xarray as xr

from fastcarbon._format import show
from fastcarbon.core.montecarlo import Noise
from fastcarbon.uncertainty.sampling import monte_carlo
from fastcarbon.uncertainty.summary import summarize

__all__ = ["chongqing_monte_carlo", "CHONGQING_NOISE"]

#: assumed uncertainty of the Chongqing paths (001 gives none): the annual carbon-intensity
#: reduction rates of Table 1 vary ±15 % (lognormal σ = 0.15), persistent from year to year
#: (AR(1) 0.8) and correlated across sectors (0.5); GDP growth varies ±20 % (normal σ = 0.2),
#: persistent (AR(1) 0.8) and common to every sector (correlation 1).
CHONGQING_NOISE = {
    "intensity_noise": Noise("lognormal", 0.15, on="rate", ar1=0.8, sector_correlation=0.5),
    "activity_noise": Noise("normal", 0.2, on="rate", ar1=0.8, sector_correlation=1.0),
}


def chongqing_monte_carlo(n_draws: int = 2000, *, seed: int = 20250101, target_year: int = 2030,
                          chunks: int | None = None, **noise) -> xr.Dataset:
    """Monte Carlo of Chongqing's industrial CO2 under 001's scenarios (RS, PP-NZES, AP-NZES).

    Activity is the assumed GDP path and intensity the carbon intensity of GDP falling by
    Table 1's rates (:func:`fastcarbon.studies.chongqing.chongqing_scenarios`); the factor is the 2020
    sector share of emissions (001 Fig. 1), so each of the five sectors gets its own,
    correlated, intensity path.  Noise: :data:`CHONGQING_NOISE` unless given as keywords
    (``intensity_noise=``, ``activity_noise=``, ``factor_noise=``).  All scenarios share each
    draw's noise.

    Parameters
    ----------
    n_draws : int
        Number of draws (2 000 take well under a second once compiled).
    seed : int
        Integer in [0, 2**64).
    target_year : int
        Year for ``prob_peak_by_target`` ("peak before 2030": peak year <= 2030).
    chunks : int, optional
        Draws per dask chunk (the result is computed before it is returned).

    Returns
    -------
    xarray.Dataset
        By ``scenario`` and ``year``: ``p50`` (median), ``p5``, ``p95``, ``sample_mean``, ``sample_std``,
        ``peak_probability`` and the deterministic ``emissions``; by ``scenario``:
        ``prob_peak_by_target``, ``censored_share``, ``peak_year_median`` and the deterministic
        ``deterministic_peak_year``; by ``scenario`` and ``peak_year``: ``probability``.  Units Mt CO2.

    Examples
    --------
    >>> mc = chongqing_monte_carlo(500)
    >>> mc.p50.dims, mc.prob_peak_by_target.dims, mc.probability.dims
    (('scenario', 'year'), ('scenario',), ('scenario', 'peak_year'))
    >>> p = mc.prob_peak_by_target
    >>> bool(p.sel(scenario="AP-NZES") > p.sel(scenario="RS"))  # faster cuts peak earlier
    True
    >>> total = mc.probability.sum("peak_year") + mc.censored_share
    >>> bool(abs(total - 1.0).max() < 1e-12)
    True
    """
    from fastcarbon.peaks import peak
    from fastcarbon.studies.chongqing import chongqing_inputs, chongqing_scenarios

    ds = chongqing_scenarios()
    share = chongqing_inputs().sector_share.drop_vars("sector_source")
    spec = {**CHONGQING_NOISE, **noise}
    mc = monte_carlo(ds, n_draws, seed=seed, activity="gdp", intensity="carbon_intensity",
                     factor=share, emissions_units=ds.emissions.attrs["units"], chunks=chunks, **spec)
    em = mc.emissions.compute() if chunks is not None else mc.emissions
    out = summarize(em.assign_attrs(long_name="industrial CO2 emissions"), target_year=target_year)
    out["emissions"] = ds.emissions.assign_attrs(long_name="industrial CO2 emissions, deterministic path")
    out["deterministic_peak_year"] = peak(ds.emissions).peak_year.assign_attrs(long_name="peak year of the deterministic path")
    out = out.drop_vars([c for c in out.coords if c not in ("scenario", "year", "peak_year")])
    out.attrs.update(
        title="Chongqing industrial CO2 under uncertain Table 1 rates and GDP growth (Monte Carlo)",
        source=ds.attrs["source"], seed=seed, n_draws=n_draws, target_year=target_year,
        noise="; ".join(f"{k}={show(v)}" for k, v in spec.items()),
    )
    return out
