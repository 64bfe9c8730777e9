"""Bundled data sets from the papers fastcarbon is built on, with their sources in the attrs, and
a seeded synthetic panel of cities to sweep (:func:`national_panel`).

Values are stored as printed and converted on read to fastcarbon's units (tce, t C) through the
unit registry; the paper's own units are kept in each variable's ``paper_units`` attr.
"""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np
import pandas as pd
import xarray as xr

from fastcarbon._format import show
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError
from fastcarbon.units import conversion_factor

__all__ = ["bengbu", "national_panel", "PANEL_SCENARIOS"]

#: the paper's title is not in the extracted text fastcarbon works from, so none is given here
BENGBU_CITATION = (
    "Study of the industrial carbon emissions of Bengbu city, Anhui (IPCC fuel accounting, "
    "entropy weights, obstacle degree, EGM(1,1) forecast), Scientific Reports 13:14528 (2023), "
    "doi:10.1038/s41598-023-41857-0"
)


def _csv(name: str) -> pd.DataFrame:
    """A table of a bundled study folder (``fastcarbon/studies/<study>/``): the paper tables
    live with the study files that name them."""
    study = name.split("_", 1)[0]  # bengbu_table4.csv -> studies/bengbu/
    with resources.files("fastcarbon").joinpath("studies", study, name).open() as fh:
        return pd.read_csv(fh)


def bengbu() -> xr.Dataset:
    """The Bengbu study's tables (000, Tables 1, 4, 5 and 6).

    Returns
    -------
    xarray.Dataset
        - ``fuel_use`` (year, fuel): industrial fuel use 2011–2020, Table 4, in tce (printed in
          10^4 tce);
        - ``ce_printed`` (year): the printed carbon emissions CE of Table 4, in t C (printed in
          10^4 t; carbon, since it is fuel × the carbon factors of Table 1);
        - ``emission_factor``, ``coal_equivalent`` (fuel): Table 1, as in
          ``fastcarbon.factors.load("bengbu2023")``;
        - ``x0`` (year): the Table 6 series X(0) fitted by EGM(1,1), in t C (printed in 10^4 t),
          with the printed fits ``egm_fitted_printed`` and ``linear_fitted_printed``;
        - ``weight`` (indicator): the entropy weights of Table 5, with indicator names and
          their +/- attribute (Table 2).

    Notes
    -----
    Known facts (checked against the tables): the printed CE is 0.2–1.2 % above
    Σ fuel × factor in every year; Table 6's X(0) is a different series from Table 4's CE; the
    paper's residual columns in Table 6 are shifted by one row (not shipped).

    Examples
    --------
    >>> from fastcarbon.datasets import bengbu
    >>> ds = bengbu()
    >>> round(float(ds.fuel_use.sel(year=2011, fuel="coal"))), ds.fuel_use.attrs["units"]
    (4054990, 'tce')
    """
    from fastcarbon import factors

    t4 = _csv("bengbu_table4.csv").set_index("year")
    t6 = _csv("bengbu_table6.csv").set_index("year")
    t5 = _csv("bengbu_table5.csv").set_index("indicator")
    to_tce = conversion_factor("10**4 tce", "tce")
    to_tc = conversion_factor("10**4 t C", "t C")
    fuels = [c for c in t4.columns if c != "ce"]
    fuel_use = xr.DataArray(
        t4[fuels].to_numpy() * to_tce,
        dims=("year", "fuel"),
        coords={"year": t4.index.to_numpy(), "fuel": fuels},
        attrs={"units": "tce", "paper_units": "10^4 tce", "long_name": "industrial fuel use (standard coal)",
               "source": "000 Table 4"},
    )

    def series(values, long_name, source, units="t C", scale=to_tc):
        return xr.DataArray(values * scale, dims="year", coords={"year": values.index.to_numpy()},
                            attrs={"units": units, "paper_units": "10^4 t", "long_name": long_name,
                                   "source": source})

    table1 = factors.load("bengbu2023")
    ds = xr.Dataset(
        {
            "fuel_use": fuel_use,
            "ce_printed": series(t4["ce"], "industrial carbon emissions CE as printed", "000 Table 4"),
            "emission_factor": table1["emission_factor"],
            "coal_equivalent": table1["coal_equivalent"],
            "x0": series(t6["x0"], "industrial carbon emissions X(0) fitted by EGM(1,1)", "000 Table 6"),
            "egm_fitted_printed": series(t6["egm_fitted"], "EGM(1,1) fitted values as printed", "000 Table 6"),
            "linear_fitted_printed": series(t6["linear_fitted"], "linear regression fit as printed", "000 Table 6"),
            "weight": xr.DataArray(
                t5["weight"].to_numpy(), dims="indicator",
                coords={"indicator": t5.index.to_numpy(),
                        "indicator_name": ("indicator", t5["name"].to_numpy(dtype=str)),
                        "indicator_attribute": ("indicator", t5["attribute"].to_numpy(dtype=str)),
                        "indicator_units": ("indicator", t5["units"].to_numpy(dtype=str))},
                attrs={"units": "1", "long_name": "entropy weight", "source": "000 Table 5 (Table 2 attributes)"},
            ),
        }
    )
    ds.attrs.update(
        title="Bengbu industrial fuel use, carbon emissions and indicators 2011-2020",
        source=BENGBU_CITATION,
        notes="Values as printed, converted on read (paper units in each variable's paper_units). "
        "The printed CE (Table 4) is 0.2-1.2 % above sum(fuel_use x emission_factor) in every year "
        "(fastcarbon.studies.bengbu.bengbu_accounting). Table 6's X(0) is a different series from Table 4's "
        "CE (they agree only in 2020, 340.91); both are read as carbon in 10^4 t, the text's "
        "'million tons' for 2020 is a slip. Table 6's residual columns are shifted by one row and "
        "are not shipped. The natural-gas emission factor 2.1622 is shipped as printed (flagged in "
        "emission_factor_note).",
    )
    return ds


#: the scenarios of :func:`national_panel`: 001 Table 1's columns (Dai et al. 2025)
PANEL_SCENARIOS = ("RS", "PP-NZES", "AP-NZES", "NCNS")
#: the highest annual intensity reduction rate of the panel, in %: Table 1's 100 % in 2056-2060
#: (intensity exactly 0) is capped so every city keeps positive, perturbable intensities
PANEL_MAX_RATE = 50.0


def _region_rng(seed: int, label: str) -> np.random.Generator:
    """The generator of one region, keyed by (seed, label) through a stable hash: a region's data
    do not depend on which other regions the panel holds."""
    key = int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "little")
    return np.random.default_rng([seed, key])


def _panel_years(years) -> np.ndarray:
    try:
        yr = np.asarray(list(years))
    except TypeError:
        raise InputTypeError(f"years: must be a sequence of consecutive integer years, got {show(years)}") from None
    if yr.ndim != 1 or yr.size == 0 or yr.dtype.kind not in "iu":
        raise InputTypeError(f"years: must be a non-empty sequence of integer years, got {show(yr.tolist())}")
    if yr[0] != 2020 or yr[-1] > 2060 or (np.diff(yr) != 1).any():
        raise InvalidValueError(f"years: must be consecutive years from 2020 to at most 2060 (the base year and "
                                f"001 Table 1's horizon), got {show(yr[0])}..{show(yr[-1])} ({yr.size} years)")
    return yr


def national_panel(n_regions: int = 300, *, seed: int = 0, n_sectors: int = 21, years=range(2020, 2061)) -> xr.Dataset:
    """A seeded synthetic panel of cities: sector value added and carbon intensity under four
    intensity-reduction scenarios, drawn around the bundled Chongqing structure (001).

    For city k (label ``"city-001"``, ``"city-002"`` ...), with a generator seeded by (``seed``,
    a stable hash of the label), so that a city's data never depend on ``n_regions`` (a 50-city
    panel is the first 50 cities of the 300-city one):

    - industrial value added in 2020 ~ lognormal around 1 500 × 10^8 CNY (σ_log 0.7), split over
      the sectors by a Dirichlet(2) draw;
    - GDP growth g(t) = max(0.5 %, g0 − δ (t − 2020)/10) with g0 ~ U(4.5 %, 8.5 %), δ ~ U(0.5, 1.5)
      points per decade (Chongqing's assumed path is g0 = 6 %, δ = 1), plus a sector deviation
      that lets carbon-heavy sectors grow slower (structural change);
    - carbon intensity in 2020 ~ lognormal around 1.3 × 10^4 t CO2 per 10^8 CNY (σ_log 0.4;
      Chongqing: 89 Mt CO2 over about 7 000 × 10^8 CNY of industry), spread over the sectors
      (σ_log 1);
    - annual intensity reduction rate of scenario s in period p: 001 Table 1's rate × a city
      factor (lognormal, σ_log 0.25: policy strength) × a (scenario, period) and a sector jitter
      (σ_log 0.1 and 0.05), capped at :data:`PANEL_MAX_RATE`; the intensity falls by it every
      year of its period: I(t) = I(t-1) (1 − r_p(t)).

    Emissions (``gdp × carbon_intensity``, in t CO2) peak where growth falls below the rate of
    intensity decline, so cities peak from 2020 to the 2050s, a few high-growth cities do not
    peak by 2060 under RS, and the accelerated scenarios peak earlier.

    Parameters
    ----------
    n_regions : int
        Number of cities, >= 1.
    seed : int
        Integer >= 0; the panel is a deterministic function of it.
    n_sectors : int
        Number of sectors (``"sector-01"`` ...), >= 1.
    years : sequence of int
        Consecutive years from 2020 to at most 2060.

    Returns
    -------
    xarray.Dataset
        ``gdp`` (region, sector, year): sector value added in 10^8 CNY (the scenarios share it,
        as 001's scenarios share GDP); ``carbon_intensity`` (region, scenario, sector, year) in
        t CO2 / (10^8 CNY); ``reduction_rate`` (region, scenario, sector, period) in %; attrs
        ``synthetic=1``, the seed and a description.  Ready for
        ``fastcarbon.uncertainty.monte_carlo(panel, n, seed=...)``.

    Examples
    --------
    >>> from fastcarbon.datasets import national_panel
    >>> p = national_panel(50, seed=0)
    >>> dict(p.sizes), p.attrs["synthetic"], p.region.values[:2].tolist()
    ({'region': 50, 'scenario': 4, 'sector': 21, 'year': 41, 'period': 8}, 1, ['city-001', 'city-002'])
    >>> bool((p.gdp == national_panel(300, seed=0).gdp.isel(region=slice(50))).all())
    True
    """
    for name, v in (("n_regions", n_regions), ("n_sectors", n_sectors), ("seed", seed)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise InputTypeError(f"{name}: must be an integer, got {show(v)}")
    if n_regions < 1 or n_sectors < 1:
        raise InputError(f"n_regions and n_sectors: must be >= 1, got {show(n_regions)} and {show(n_sectors)}")
    if seed < 0:
        raise InvalidValueError(f"seed: must be >= 0, got {show(seed)}")
    yr = _panel_years(years)
    table1 = _csv("chongqing_table1.csv").set_index("period")
    periods = table1.index.to_numpy(dtype=str)
    base_rates = table1[list(PANEL_SCENARIOS)].to_numpy().T  # (S, P) in %
    starts = np.array([int(p.split("-")[0]) for p in periods])
    # year t > 2020 falls by the rate of the period holding it; 2020 is the base year
    period_of = np.searchsorted(starts, yr, side="right") - 1
    n_s, n_p, n_t, n_m = len(PANEL_SCENARIOS), len(periods), yr.size, int(n_sectors)
    labels = [f"city-{k + 1:03d}" for k in range(int(n_regions))]
    gdp = np.empty((n_regions, n_m, n_t))
    ci = np.empty((n_regions, n_s, n_m, n_t))
    rates = np.empty((n_regions, n_s, n_m, n_p))
    step = (yr - 2020) / 10.0
    for k, label in enumerate(labels):
        rng = _region_rng(int(seed), label)
        va = 1500.0 * np.exp(0.7 * rng.standard_normal()) * rng.dirichlet(np.full(n_m, 2.0))
        g0, delta = rng.uniform(0.045, 0.085), rng.uniform(0.005, 0.015)
        z = rng.standard_normal(n_m)  # log relative intensity of each sector
        rel = np.exp(z)
        intensity = 1.3e4 * np.exp(0.4 * rng.standard_normal()) * rel / (va @ rel / va.sum())
        dev = -0.003 * z + 0.003 * rng.standard_normal(n_m)
        growth = np.maximum(0.005, g0 - delta * step)[None, :] + dev[:, None]
        growth[:, 0] = 0.0
        gdp[k] = va[:, None] * np.cumprod(1.0 + growth, axis=1)
        city = np.exp(0.25 * rng.standard_normal())
        jitter = (np.exp(0.1 * rng.standard_normal((n_s, n_p)))[:, None, :]
                  * np.exp(0.05 * rng.standard_normal((n_s, n_m, 1))))
        r = np.minimum(PANEL_MAX_RATE, base_rates[:, None, :] * city * jitter)
        rates[k] = r
        yearly = 1.0 - r[:, :, period_of] / 100.0
        yearly[:, :, 0] = 1.0
        ci[k] = intensity[None, :, None] * np.cumprod(yearly, axis=2)
    sectors = [f"sector-{m + 1:02d}" for m in range(n_m)]
    coords = {"region": labels, "scenario": list(PANEL_SCENARIOS), "sector": sectors, "year": yr, "period": periods}
    ds = xr.Dataset(
        {
            "carbon_intensity": (("region", "scenario", "sector", "year"), ci,
                                 {"units": "t CO2 / (1e8 CNY)",
                                  "long_name": "carbon intensity of value added (synthetic)"}),
            "gdp": (("region", "sector", "year"), gdp,
                    {"units": "1e8 CNY", "long_name": "industrial value added by sector (synthetic)"}),
            "reduction_rate": (("region", "scenario", "sector", "period"), rates,
                               {"units": "%", "long_name": "annual carbon-intensity reduction rate (synthetic)"}),
        },
        coords=coords,
    )
    ds.attrs.update(
        title="Synthetic national panel of cities for sweeps",
        synthetic=1,
        seed=int(seed),
        description=("Synthetic cities, not real data: sector value added and carbon-intensity schedules drawn "
                     "around the Chongqing example of 001 (Dai et al. 2025): Table 1's reduction rates per period "
                     "scaled per city, GDP growth around Chongqing's assumed path. Each city is generated from "
                     "(seed, its label), independently of the others (fastcarbon.datasets.national_panel)."),
        source="fastcarbon.datasets.national_panel; structure from 001 Table 1 and the Chongqing example",
    )
    return ds
