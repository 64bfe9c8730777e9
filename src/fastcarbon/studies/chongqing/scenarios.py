"""The Chongqing example of Dai et al. (2025): Table 1 schedules applied to a stated economic path.

001 (Dai, Zhang, Chang & Meng 2025, *Green and Low-Carbon Economy*) builds Chongqing's industrial
CO2 paths 2020–2060 under three scenarios whose carbon intensity of GDP falls by the annual rates
of Table 1.  The paper publishes the rates, the 2020 industrial energy use and fuel mix, the 2020
sector shares of emissions and the resulting peaks, but not its economic path nor its 2020
emissions.  This module therefore

- computes 2020 industrial emissions from the published 2020 energy (37.54 Mtce) and fuel mix
  with the paper's eq. 1 factors (HJ 2021: coal 2.66, refined oil 2.73, gas 1.56 t CO2/tce) and
  electricity at the coal factor of its calorific equivalent (an assumption, stated in the data);
- assumes a GDP path: the growth rate falls linearly from 6 % (Chongqing's 14th Five-Year Plan
  target) in 2020 by one point per decade to 2 % in 2060;
- applies Table 1 to the carbon intensity of GDP (top-down, 001 section 3.2), emissions = GDP ×
  intensity, split by the 2020 sector (Fig. 1) and fuel shares held fixed.

With this path the peaks come out as: RS 2035 (paper 2033), PP-NZES 2030 (2029), AP-NZES 2027
(2027), 6–8 % below the paper's peak values (99.5, 97.0, 94.9 against 108, 105, 101.15 Mt CO2); the ordering is the paper's (AP-NZES earliest
and lowest, then PP-NZES, then RS) and RS is far from zero in 2060.  Why the gap:

- *Level* (−6 to −8 %): the 2020 emissions are ours (≈ 89 Mt CO2), not the paper's (not printed); the
  electricity term is a lower bound, and the paper's LEAP model adds process detail.
- *Timing*: in a top-down path emissions peak in the year where GDP growth g(t) falls below
  r/(1 − r), the rate at which intensity falls.  With Table 1's rates constant over five-year
  periods, PP-NZES can only turn in 2030 or at a period boundary unless growth drops sharply
  inside 2026–2030; the paper's bottom-up LEAP runs also change the industrial structure (peak
  outputs of steel, cement... in 2026–2035), which a fixed-structure top-down path cannot.
- AP-NZES's 100 % rate in 2056–2060 takes the intensity, hence emissions, to exactly 0 from
  2056; the paper reports 3.87 Mt left in 2060 (raw-material and aviation emissions, excluded
  from Table 1, note 1).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import xarray as xr

from fastcarbon._format import show
from fastcarbon.errors import UnknownLabelError
from fastcarbon.scenarios.catalog import Scenario, ScenarioSet
from fastcarbon.scenarios.emissions import top_down_emissions
from fastcarbon.scenarios.expressions import Schedule
from fastcarbon.scenarios.trajectory import interpolate
from fastcarbon.units import conversion_factor

__all__ = ["table1_schedules", "chongqing_inputs", "chongqing_scenarios", "chongqing_peaks", "SCENARIOS"]

#: Chongqing's scenarios in 001 (NCNS is the national column of Table 1)
SCENARIOS = ("RS", "PP-NZES", "AP-NZES")
_DESCRIPTIONS = {
    "RS": "reference scenario: carbon intensity -4.25 %/yr throughout (pre-dual-carbon policy)",
    "PP-NZES": "positive peak - 2060 near-zero emissions scenario",
    "AP-NZES": "accelerated peak - 2060 net-zero emissions scenario",
    "NCNS": "national 2060 carbon-neutral scenario rates (001 Table 1) applied to Chongqing",
}
EMISSIONS_UNITS = "Mt CO2"


def _csv(name: str) -> pd.DataFrame:
    with _here().joinpath(name).open() as fh:
        return pd.read_csv(fh)


def _here():
    """The study folder, where 001's tables live next to study.toml."""
    return resources.files("fastcarbon").joinpath("studies", "chongqing")


@lru_cache(maxsize=1)
def _meta() -> dict:
    with _here().joinpath("chongqing.toml").open("rb") as fh:
        return tomllib.load(fh)


def table1_schedules() -> xr.DataArray:
    """001 Table 1: average annual carbon-intensity reduction rate per five-year period.

    Returns
    -------
    xarray.DataArray
        Rates in % with dims ``scenario`` (NCNS, RS, PP-NZES, AP-NZES) and ``period``
        ("2021-2025" … "2056-2060"), ready for :func:`fastcarbon.scenarios.rate_schedule`.

    Examples
    --------
    >>> r = table1_schedules()
    >>> r.sel(scenario="PP-NZES").values.tolist()
    [4.25, 4.5, 5.0, 7.5, 9.0, 10.75, 14.35, 20.0]
    >>> r.attrs["units"], float(r.sel(scenario="NCNS", period="2056-2060"))
    ('%', 100.0)
    """
    t = _csv("chongqing_table1.csv").set_index("period")
    meta = _meta()
    return xr.DataArray(
        t.to_numpy().T, dims=("scenario", "period"),
        coords={"scenario": list(t.columns), "period": t.index.to_numpy(dtype=str)},
        attrs={"units": meta["table1"]["units"], "long_name": "annual carbon-intensity reduction rate",
               "source": "001 Table 1; " + meta["source"], "notes": meta["table1"]["notes"]},
    )


def chongqing_inputs() -> xr.Dataset:
    """The bundled inputs of the Chongqing example, each with its source.

    Returns
    -------
    xarray.Dataset
        ``rates`` (Table 1), ``energy_share`` and ``emission_factor`` by fuel (2020),
        ``sector_share`` of 2020 emissions, ``gdp_growth`` at its key years, ``emissions_2020``
        (computed: 37.54 Mtce × Σ fuel share × factor), ``gdp_2020``, and the paper's
        ``paper_peak_year``, ``paper_peak_value``, ``paper_emissions_2060`` by scenario.

    Examples
    --------
    >>> ds = chongqing_inputs()
    >>> round(float(ds.emissions_2020), 2), ds.emissions_2020.attrs["units"]
    (89.24, 'Mt CO2')
    """
    from fastcarbon import factors

    meta = _meta()
    base = meta["base"]
    fuels = _csv("chongqing_2020_fuels.csv").set_index("fuel")
    hj = factors.load("hj2021")["emission_factor"]
    ef = np.array([float(hj.sel(fuel=f)) if f in hj.fuel else fuels.loc[f, "emission_factor"] for f in fuels.index])
    energy_share = fuels["energy_share"].to_numpy() / 100.0
    energy = base["industrial_energy"] * conversion_factor(base["industrial_energy_units"], "tce")
    e2020 = energy * float(energy_share @ ef) * conversion_factor("t CO2", EMISSIONS_UNITS)
    sectors = _csv("chongqing_2020_sectors.csv").set_index("sector")
    growth = _csv("chongqing_gdp_growth.csv").set_index("year")
    paper = _csv("chongqing_paper.csv").set_index("scenario")
    fuel_coords = {"fuel": fuels.index.to_numpy(dtype=str)}
    ds = xr.Dataset({
        "rates": table1_schedules(),
        "energy_share": xr.DataArray(energy_share, dims="fuel", coords={**fuel_coords, "fuel_source": ("fuel", fuels["share_source"].to_numpy(dtype=str))},
                                     attrs={"units": "1", "long_name": "fuel share of 2020 industrial energy"}),
        "emission_factor": xr.DataArray(ef, dims="fuel", coords={**fuel_coords, "factor_source": ("fuel", fuels["factor_source"].to_numpy(dtype=str))},
                                        attrs={"units": "t CO2/tce", "long_name": "CO2 emission factor"}),
        "sector_share": xr.DataArray(sectors["emission_share"].to_numpy() / 100.0, dims="sector",
                                     coords={"sector": sectors.index.to_numpy(dtype=str), "sector_source": ("sector", sectors["source"].to_numpy(dtype=str))},
                                     attrs={"units": "1", "long_name": "sector share of 2020 industrial CO2 emissions"}),
        "gdp_growth": xr.DataArray(growth["gdp_growth"].to_numpy(), dims="year",
                                   coords={"year": growth.index.to_numpy(), "growth_source": ("year", growth["source"].to_numpy(dtype=str))},
                                   attrs={"units": "%", "long_name": "annual GDP growth rate at key years (assumed path)"}),
        "emissions_2020": xr.DataArray(e2020, attrs={
            "units": EMISSIONS_UNITS, "long_name": "2020 industrial CO2 emissions (computed)",
            "source": f"{base['industrial_energy']} {base['industrial_energy_units']} x sum(fuel share x emission factor)"}),
        "gdp_2020": xr.DataArray(base["gdp"], attrs={"units": base["gdp_units"], "long_name": "GDP of Chongqing, 2020",
                                                     "source": base["gdp_source"]}),
        "paper_peak_year": xr.DataArray(paper["peak_year"].to_numpy(), dims="paper_scenario",
                                        attrs={"units": "year", "long_name": "peak year in 001"}),
        "paper_peak_value": xr.DataArray(paper["peak_value"].to_numpy(dtype=float), dims="paper_scenario",
                                         attrs={"units": EMISSIONS_UNITS, "long_name": "peak industrial CO2 emissions in 001"}),
        "paper_emissions_2060": xr.DataArray(paper["emissions_2060"].to_numpy(dtype=float), dims="paper_scenario",
                                             attrs={"units": EMISSIONS_UNITS, "long_name": "2060 emissions in 001 (NaN: not printed)"}),
    }, coords={"paper_scenario": paper.index.to_numpy(dtype=str),
               "paper_source": ("paper_scenario", paper["source"].to_numpy(dtype=str))})
    ds.attrs.update(title="Chongqing industrial scenarios: inputs (001)", source=meta["source"],
                    notes=meta["economy"]["notes"], base_year=int(base["year"]))
    return ds


def chongqing_scenarios(years=range(2020, 2061), scenarios=SCENARIOS) -> xr.Dataset:
    """Chongqing's industrial CO2 paths under 001's scenarios, top-down from the stated GDP path.

    .. math::

        Y(t) = Y(t-1)\\,(1 + g(t)), \\quad I(t) = I(t-1)\\,(1 - r_{p(t)}), \\quad
        CE_{m,n}(t) = Y(t)\\,I(t)\\,s_m\\,s_n

    with g the assumed GDP growth (linear between key years), r the Table 1 rate, s_m the 2020
    sector shares (Fig. 1) and s_n the 2020 fuel shares of emissions (module docstring).  RS
    defines GDP and intensity; PP-NZES, AP-NZES (and NCNS if asked for) inherit RS's GDP and
    override the intensity schedule.

    Parameters
    ----------
    years : sequence of int
        Consecutive years from 2020, at most to 2060 (Table 1's last year).
    scenarios : sequence of str
        Any of "RS", "PP-NZES", "AP-NZES", "NCNS".

    Returns
    -------
    xarray.Dataset
        ``gdp``, ``carbon_intensity``, ``energy_intensity`` (scenario, year) and the outputs of
        :func:`fastcarbon.scenarios.top_down_emissions` (``emissions``, ``emissions_by_sector``,
        ``emissions_by_fuel``, ``emissions_by_sector_fuel`` and energy) in Mt CO2 and Mtce.

    Examples
    --------
    >>> ds = chongqing_scenarios()
    >>> ds.emissions.sel(year=2027).idxmax("scenario").item()
    'RS'
    >>> float(ds.emissions.sel(scenario="AP-NZES", year=2060))
    0.0
    """
    inputs = chongqing_inputs()
    unknown = [s for s in scenarios if s not in inputs.rates.scenario]
    if unknown:
        raise UnknownLabelError(f"scenarios: {show(unknown)} not in 001 Table 1; available: {show(inputs.rates.scenario.values)}")
    base_year = inputs.attrs["base_year"]
    yr = np.asarray(list(years))
    growth = interpolate(inputs.gdp_growth.drop_vars("growth_source"), yr) / 100.0
    # g applies from the year after the base year: Y(base_year) is the 2020 value itself.
    growth = growth.where(growth.year > base_year, 0.0)
    gdp_2020 = inputs.gdp_2020
    gdp = (gdp_2020 * (1.0 + growth).cumprod("year")).assign_attrs(
        units=gdp_2020.attrs["units"], long_name="GDP (assumed path)")
    meta = _meta()["base"]
    energy_2020 = meta["industrial_energy"] * conversion_factor(meta["industrial_energy_units"], "Mtce")
    base = xr.Dataset({
        "gdp": gdp_2020.copy(),
        "carbon_intensity": (inputs.emissions_2020 / gdp_2020).assign_attrs(
            units=f"{EMISSIONS_UNITS} / ({gdp_2020.attrs['units']})", long_name="carbon intensity of GDP"),
        "energy_intensity": xr.DataArray(energy_2020 / float(gdp_2020), attrs={
            "units": f"Mtce / ({gdp_2020.attrs['units']})", "long_name": "energy intensity of GDP"}),
    })
    rates = inputs.rates
    defs = [Scenario(name, {**({"gdp": gdp} if name == "RS" else {}),
                            "carbon_intensity": Schedule(rates.sel(scenario=name, drop=True)),
                            "energy_intensity": Schedule(rates.sel(scenario=name, drop=True))},
                     parent=None if name == "RS" else "RS", description=_DESCRIPTIONS[name])
            for name in dict.fromkeys(("RS", *scenarios))]
    built = ScenarioSet(base, defs, base_year=base_year, years=yr).build(list(scenarios))
    share = inputs.sector_share.drop_vars("sector_source") * _emission_share(inputs)
    out = top_down_emissions(built.gdp, built.carbon_intensity, share,
                             energy_intensity=built.energy_intensity,
                             emissions_units=EMISSIONS_UNITS, energy_units="Mtce")
    ds = xr.merge([built, out], compat="no_conflicts", join="exact", combine_attrs="drop_conflicts")
    ds.attrs.update(title="Chongqing industrial CO2 under 001's scenarios (top-down, assumed GDP path)",
                    source=inputs.attrs["source"], notes=inputs.attrs["notes"])
    return ds


def _emission_share(inputs: xr.Dataset) -> xr.DataArray:
    """Fuel shares of 2020 emissions: energy share × factor, normalised."""
    e = (inputs.energy_share * inputs.emission_factor).drop_vars(["fuel_source", "factor_source"])
    return (e / e.sum()).assign_attrs(units="1", long_name="fuel share of 2020 industrial CO2 emissions")


def chongqing_peaks() -> xr.Dataset:
    """Peak year and value of each Chongqing scenario next to the paper's (001 section 4.1).

    Peaks, net-zero years and cumulative emissions come from :func:`fastcarbon.peaks.peak`: the
    peak is the year of the maximum of ``emissions`` over 2020–2060 (first one on ties); a
    maximum in the last year is ``censored`` (no peak within the horizon, peak year NaN).  The
    module docstring explains the gap to the paper.

    Returns
    -------
    xarray.Dataset
        Over ``scenario`` (RS, PP-NZES, AP-NZES): ``peak_year``, ``peak_value``, ``censored``,
        ``emissions_2060``, ``net_zero_year`` (first year with emissions <= 0, NaN if none),
        ``cumulative_emissions`` (2020–2060),
        ``paper_peak_year``, ``paper_peak_value``, ``peak_year_gap`` (ours − paper, years) and
        ``peak_value_gap`` ((ours − paper) / paper).

    Examples
    --------
    >>> t = chongqing_peaks()
    >>> t.peak_year.astype(int).values.tolist(), t.paper_peak_year.values.tolist()
    ([2035, 2030, 2027], [2033, 2029, 2027])
    >>> [round(v, 1) for v in t.peak_value.values.tolist()]
    [99.5, 97.0, 94.9]
    """
    from fastcarbon.peaks import peak

    ds = chongqing_scenarios()
    em = ds.emissions
    p = peak(em, "year")
    inputs = chongqing_inputs()
    paper = inputs[["paper_peak_year", "paper_peak_value"]].rename(paper_scenario="scenario")
    paper = paper.drop_vars("paper_source").sel(scenario=em.scenario)
    units = em.attrs["units"]
    out = xr.Dataset({
        "peak_year": p.peak_year,
        "peak_value": p.peak_value,
        "censored": (~p.peaked).assign_attrs(units="1", long_name="maximum at the horizon (no peak within it)"),
        "emissions_2060": em.sel(year=2060, drop=True).assign_attrs(units=units, long_name="industrial CO2 emissions in 2060"),
        "net_zero_year": p.net_zero_year,
        "cumulative_emissions": p.cumulative_emissions,
        "paper_peak_year": paper.paper_peak_year,
        "paper_peak_value": paper.paper_peak_value,
    })
    out["peak_year_gap"] = (out.peak_year - out.paper_peak_year).assign_attrs(units="year", long_name="peak year: ours - paper")
    out["peak_value_gap"] = ((out.peak_value - out.paper_peak_value) / out.paper_peak_value).assign_attrs(
        units="1", long_name="peak value: (ours - paper) / paper")
    out = out.drop_vars([c for c in out.coords if c not in ("scenario",)])
    out.attrs.update(title="Chongqing industrial CO2 peaks: fastcarbon (top-down, assumed GDP path) vs 001 section 4.1",
                     source=ds.attrs["source"], notes=ds.attrs["notes"])
    return out
