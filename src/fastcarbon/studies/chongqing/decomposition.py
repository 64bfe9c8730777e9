"""Why Chongqing's AP-NZES emits less than RS: LMDI-I of the scenario gap into activity and
intensity effects per sector, deterministic and over the Monte Carlo draws (001 section 4.3)."""

from __future__ import annotations

from collections.abc import Sequence

import xarray as xr

from fastcarbon._format import show
from fastcarbon.errors import InputError

__all__ = ["chongqing_decomposition", "chongqing_growth_decomposition", "chongqing_decomposition_draws",
           "DECOMPOSITION_YEARS"]

#: the years of 001's reduction-potential figures (Figs. 5-6)
DECOMPOSITION_YEARS = (2030, 2050, 2060)


def _pair(base, target):
    if base == target:
        raise InputError(f"base and target: both are {show(base)}; a scenario has no gap to itself")


def _decompose(factors: xr.Dataset, base, target) -> xr.Dataset:
    from fastcarbon.decompose import lmdi

    over = factors.attrs["over"].split()
    # scalar base and target: one pair, no pair dim; the identity's left side is the total checked
    return lmdi(factors, dim="scenario", over=over, base=base, target=target, identity=factors.attrs["identity"])


def chongqing_decomposition(years: Sequence[int] = DECOMPOSITION_YEARS, *, base: str = "RS",
                            target: str = "AP-NZES") -> xr.Dataset:
    """The gap between two Chongqing scenarios in chosen years, split into activity and
    intensity effects per sector.

    The identity of the top-down paths (:func:`fastcarbon.studies.chongqing.chongqing_scenarios`)
    over the five sectors i, :math:`C = \\sum_i Y\\,I_i` with Y the GDP and
    :math:`I_i = C_i / Y` the sector's emissions per unit of GDP
    (:func:`fastcarbon.decompose.sector_identity` with a total activity), decomposed from
    ``base`` to ``target`` by additive LMDI-I (Ang 2004, 2015; :func:`fastcarbon.decompose.lmdi`)
    in each year.  The sum of the effects is :math:`C^{target} - C^{base}`, minus the carbon
    reduction potential of 001 section 4.3 (:func:`fastcarbon.accounting.potentials`'
    ``emission_reduction``), and each sector's sum is minus its part of it (001 Figs. 5-6).

    In this reproduction every scenario inherits RS's GDP path, so the activity effect is
    exactly 0 and the whole gap is the intensity effect: a lower carbon intensity, not less
    output (001's LEAP runs, which change the activity of each industry, would give an activity
    effect too).  With AP-NZES at zero emissions in 2060 (Table 1's 100 % rate in 2056-2060),
    the intensity effect there is minus RS's emissions, the analytical limit of Ang & Liu (2007).
    The sectors' parts of the gap are the 2020 sector shares of emissions in every year (the
    paths hold the structure fixed): 28, 22, 21, 15, 14 %, not 001's LEAP shares for 2030
    (other industries 39 %, non-ferrous metals and building materials 17 % each).

    Parameters
    ----------
    years : sequence of int
        Years in 2020–2060 (default 2030, 2050, 2060: 001's figures).
    base, target : str
        Scenarios (RS, PP-NZES, AP-NZES, NCNS).

    Returns
    -------
    xarray.Dataset
        In Mt CO2, over ``year``, the variables of :func:`~fastcarbon.decompose.lmdi`:
        ``effect`` (factor, year), ``effect_by`` (factor, sector, year), ``total``
        (:math:`C^{target} - C^{base}`), ``V_base`` and ``V_target``; ``reduction_potential``
        (``emission_reduction`` of :func:`~fastcarbon.accounting.potentials`) and
        ``reduction_potential_by_sector`` (its sector parts), and ``gap`` = Σ effects +
        reduction potential (0 up to rounding); ``summary`` attr lines.

    Examples
    --------
    >>> from fastcarbon.studies.chongqing import chongqing_decomposition
    >>> r = chongqing_decomposition()
    >>> r.effect.sel(factor="activity").values.tolist()
    [0.0, 0.0, 0.0]
    >>> bool((abs(r.gap) < 1e-9).all())
    True
    """
    from fastcarbon.accounting import potentials
    from fastcarbon.decompose import sector_identity
    from fastcarbon.studies.chongqing.scenarios import chongqing_scenarios

    _pair(base, target)
    ds = chongqing_scenarios(scenarios=tuple(dict.fromkeys(("RS", base, target))))
    years = [int(y) for y in years]
    ds = ds.sel(year=years)
    f = sector_identity(ds.gdp, ds.emissions_by_sector)
    r = _decompose(f, base, target)
    pot = potentials(ds, reference=base).sel(scenario=target, drop=True)
    units = ds.emissions.attrs["units"]
    label = f"{base} -> {target}"

    def named(da, long_name):
        # the base/target coords of a pair and of a chain differ: the attrs say what was compared
        out = da.drop_vars(["base", "target"], errors="ignore")
        out.attrs = {"units": units, "long_name": long_name}
        return out

    cut_by_sector = ds.emissions_by_sector.sel(scenario=base, drop=True) - ds.emissions_by_sector.sel(scenario=target, drop=True)
    out = xr.Dataset({
        "effect": named(r.effect, f"LMDI-I effect on industrial CO2, {label}"),
        "effect_by": named(r.effect_by, f"LMDI-I effect by sector, {label}"),
        "total": named(r.total, f"industrial CO2 of {target} minus {base}"),
        "V_base": named(r.V_base, f"industrial CO2 emissions, {base}"),
        "V_target": named(r.V_target, f"industrial CO2 emissions, {target}"),
        "reduction_potential": named(pot.emission_reduction, f"carbon reduction potential of {target} against {base} (001 4.3)"),
        "reduction_potential_by_sector": named(cut_by_sector, "each sector's part of the reduction potential"),
    })
    out["gap"] = named(out.effect.sum("factor") + out.reduction_potential, "sum of the effects + reduction potential")
    out = out.drop_vars([c for c in out.coords if c not in ("factor", "sector", "year")])
    lines = []
    for y in years:
        e = out.effect.sel(year=y)
        lines.append(f"{y}: {label} {float(out.total.sel(year=y)):+.2f} {units} = "
                     + " + ".join(f"{k} {float(v):+.2f}" for k, v in zip(out.factor.values, e.values))
                     + f"; reduction potential {float(out.reduction_potential.sel(year=y)):.2f}")
    out.attrs.update(
        title=f"Chongqing industrial CO2, {label}: LMDI-I activity and intensity effects by sector (001 4.3)",
        source=ds.attrs["source"], identity=f.attrs["identity"], base=base, target=target,
        quantity="industrial CO2 emissions",
        method="additive LMDI-I between scenarios (Ang 2004, 2015; zeros by Ang & Liu 2007)",
        summary=lines + ["activity effect 0: every scenario inherits RS's GDP path (the gap is intensity alone)",
                         "sector parts of the gap = the fixed 2020 sector shares (001's LEAP shares differ: "
                         "other industries 39 % in 2030)"],
    )
    return out


def chongqing_growth_decomposition(years: Sequence[int] = DECOMPOSITION_YEARS, *, base_year: int = 2020,
                                   scenarios: Sequence[str] = ("RS", "PP-NZES", "AP-NZES")) -> xr.Dataset:
    """The change of each scenario's emissions from ``base_year`` to each of ``years``, split
    into the activity (GDP growth) and intensity effects per sector.

    The identity of :func:`chongqing_decomposition`, :math:`C = \\sum_i Y\\,I_i`, decomposed
    along the years (additive LMDI-I, Ang 2004, 2015) instead of between scenarios: here GDP
    grows, so the activity effect is what growth adds, and the intensity effect the cut of
    Table 1's rates.  The scenarios share one GDP path, yet their activity effects differ: LMDI
    weights ln(Y^T/Y^0) by each sector's L(C_i^T, C_i^0), which is smaller where emissions fall
    faster; in AP-NZES 2060, at zero emissions, the intensity effect is −C(2020) and the
    activity effect 0 (the limit of Ang & Liu 2007 for a term that goes to 0).

    Parameters
    ----------
    years : sequence of int
        Target years in (``base_year``, 2060].
    base_year : int
        The year changes are taken from (2020: 001's base year).
    scenarios : sequence of str

    Returns
    -------
    xarray.Dataset
        In Mt CO2, by ``scenario`` and target ``year``: ``effect`` (factor, year, scenario),
        ``effect_by`` (factor, year, sector, scenario), ``total`` (C(year) − C(base_year)),
        ``V_base``, ``V_target``.

    Examples
    --------
    >>> from fastcarbon.studies.chongqing import chongqing_growth_decomposition
    >>> r = chongqing_growth_decomposition([2030])
    >>> e = r.sel(year=2030)
    >>> bool((e.effect.sel(factor="activity") > 0).all()), bool((e.effect.sel(factor="intensity") < 0).all())
    (True, True)
    >>> bool((abs(r.effect.sum("factor") - (r.V_target - r.V_base)) < 1e-9).all())
    True
    """
    from fastcarbon.decompose import lmdi, sector_identity
    from fastcarbon.studies.chongqing.scenarios import chongqing_scenarios

    years = [int(y) for y in years]
    if not years or min(years) <= base_year:
        raise InputError(f"years: must be after base_year={show(base_year)}, got {show(years)}")
    ds = chongqing_scenarios(scenarios=tuple(scenarios)).sel(year=[base_year, *years])
    f = sector_identity(ds.gdp, ds.emissions_by_sector)
    r = lmdi(f, dim="year", over="sector", base=base_year, target=years, identity=f.attrs["identity"])
    r = r.swap_dims(pair="target").drop_vars(["pair", "base"]).rename(target="year")
    units = ds.emissions.attrs["units"]
    out = xr.Dataset({k: r[k].assign_attrs(units=units) for k in ("effect", "effect_by", "total", "V_base", "V_target")})
    out = out.drop_vars([c for c in out.coords if c not in ("factor", "sector", "year", "scenario")])
    out.attrs.update(
        title=f"Chongqing industrial CO2 from {base_year}: LMDI-I activity and intensity effects by scenario",
        source=ds.attrs["source"], identity=f.attrs["identity"], base_year=base_year,
        quantity="industrial CO2 emissions",
        method="additive LMDI-I along the years (Ang 2004, 2015; zeros by Ang & Liu 2007)",
        summary=[f"{sc}, {base_year}->{y}: " + " + ".join(
            f"{k} {float(out.effect.sel(factor=k, year=y, scenario=sc)):+.2f}" for k in out.factor.values)
            + f" = {float(out.total.sel(year=y, scenario=sc)):+.2f} {units}" for sc in out.scenario.values for y in years],
    )
    return out


def chongqing_decomposition_draws(n_draws: int = 2000, *, seed: int = 20250101,
                                  years: Sequence[int] = DECOMPOSITION_YEARS, base: str = "RS",
                                  target: str = "AP-NZES", quantiles: Sequence[float] = (0.05, 0.5, 0.95),
                                  **noise) -> xr.Dataset:
    """The activity and intensity effects of :func:`chongqing_decomposition` for every Monte
    Carlo draw of :func:`fastcarbon.studies.chongqing.chongqing_monte_carlo`, and their quantiles.

    The Monte Carlo (:func:`fastcarbon.uncertainty.monte_carlo`, the noise of
    :data:`~fastcarbon.studies.chongqing.CHONGQING_NOISE` unless given as keywords, the same
    seed) returns emissions, by sector, not the perturbed GDP and intensity paths.  Its random
    numbers have a fixed layout (a variable's noise does not depend on whether another is
    switched on, :mod:`fastcarbon.kernels.montecarlo`), so a second run with the activity noise
    alone, on unit intensity, gives each draw's GDP path :math:`Y'_d`; each sector's intensity
    is then :math:`I'_{d,i} = C'_{d,i} / Y'_d` and the identity :math:`C'_d = \\sum_i Y'_d I'_{d,i}`
    reproduces the draws.  Every scenario of a draw sees the same noise and the same GDP, so the
    activity effect is 0 in every draw, and the intensity effect carries the whole spread.

    Parameters
    ----------
    n_draws, seed
        As :func:`~fastcarbon.studies.chongqing.chongqing_monte_carlo`.
    years, base, target
        As :func:`chongqing_decomposition`.
    quantiles : sequence of float
        Probabilities of the bands (:func:`fastcarbon.uncertainty.quantile_bands`).
    **noise
        ``intensity_noise=``, ``activity_noise=`` overriding :data:`CHONGQING_NOISE`.

    Returns
    -------
    xarray.Dataset
        In Mt CO2, for every draw the variables of :func:`~fastcarbon.decompose.lmdi`:
        ``effect`` (draw, factor, year), ``effect_by`` (draw, factor, sector, year), ``total``,
        ``V_base`` and ``V_target`` (draw, year);
        the bands ``p5``, ``p50``, ``p95`` ... of ``effect`` (factor, year) and
        ``p5_by_sector`` ... (factor, sector, year); ``reduction_potential`` (draw, year), the
        draws' :math:`C^{base} - C^{target}`.

    Examples
    --------
    >>> from fastcarbon.studies.chongqing import chongqing_decomposition_draws
    >>> r = chongqing_decomposition_draws(200)
    >>> i = r.sel(factor="intensity")
    >>> bool(((i.p5 <= i.p50) & (i.p50 <= i.p95)).all())
    True
    >>> bool((abs(r.effect.sum("factor") + r.reduction_potential) < 1e-9).all())
    True
    """
    import numpy as np

    from fastcarbon.decompose import sector_identity
    from fastcarbon.studies.chongqing.scenarios import chongqing_inputs, chongqing_scenarios
    from fastcarbon.studies.chongqing.uncertainty import CHONGQING_NOISE
    from fastcarbon.uncertainty.sampling import monte_carlo
    from fastcarbon.uncertainty.summary import quantile_bands

    _pair(base, target)
    ds = chongqing_scenarios()
    units = ds.emissions.attrs["units"]
    share = chongqing_inputs().sector_share.drop_vars("sector_source")
    spec = {**CHONGQING_NOISE, **noise}
    # exactly chongqing_monte_carlo's draws (by_sector changes nothing in them), by sector
    mc = monte_carlo(ds, n_draws, seed=seed, activity="gdp", intensity="carbon_intensity", factor=share,
                     emissions_units=units, by_sector=True, **spec)
    # the same draws' GDP: the activity noise alone on unit intensity and unit shares (same sectors,
    # so the same variate layout)
    unit = xr.ones_like(ds.carbon_intensity).assign_attrs(units="1")
    gdp = monte_carlo(None, n_draws, seed=seed, activity=ds.gdp, intensity=unit,
                      factor=xr.ones_like(share).assign_attrs(units="1"), by_sector=True,
                      **{**spec, "intensity_noise": None, "factor_noise": None}).emissions_by_sector
    gdp = gdp.isel(sector=0, drop=True).assign_attrs(units=ds.gdp.attrs["units"], long_name="GDP, Monte Carlo draws")
    years = [int(y) for y in years]
    by_sector = mc.emissions_by_sector.sel(year=years).assign_attrs(units=units)
    f = sector_identity(gdp.sel(year=years), by_sector)
    r = _decompose(f, base, target)
    effect = r.effect.transpose("draw", ...).assign_attrs(units=units, long_name=f"LMDI-I effect, {base} -> {target}")
    effect_by = r.effect_by.transpose("draw", ...).assign_attrs(units=units,
                                                                long_name=f"LMDI-I effect by sector, {base} -> {target}")
    bands = quantile_bands(effect, quantiles)
    bands_by = quantile_bands(effect_by, quantiles)
    total = mc.emissions.sel(year=years)
    out = xr.Dataset({
        "effect": effect,
        "effect_by": effect_by,
        "total": r.total.transpose("draw", ...).assign_attrs(units=units, long_name=f"{target} minus {base}"),
        "V_base": r.V_base.transpose("draw", ...).assign_attrs(units=units, long_name=f"industrial CO2 emissions, {base}"),
        "V_target": r.V_target.transpose("draw", ...).assign_attrs(units=units,
                                                                   long_name=f"industrial CO2 emissions, {target}"),
        **{k: v.assign_attrs(units=units) for k, v in bands.data_vars.items()},
        **{f"{k}_by_sector": v.assign_attrs(units=units) for k, v in bands_by.data_vars.items()},
        "reduction_potential": (total.sel(scenario=base, drop=True) - total.sel(scenario=target, drop=True))
        .assign_attrs(units=units, long_name=f"reduction potential of {target} against {base}, per draw"),
    })
    out = out.drop_vars([c for c in out.coords if c not in ("draw", "factor", "sector", "year", "quantile")])
    spread = float(np.abs(effect.sel(factor="activity")).max())
    out.attrs.update(
        title=f"Chongqing {base} -> {target}: LMDI-I effects over {n_draws} Monte Carlo draws",
        base=base, target=target, quantity="industrial CO2 emissions",
        seed=seed, n_draws=n_draws, noise="; ".join(f"{k}={show(v)}" for k, v in spec.items()),
        summary=[f"{y}: intensity effect p5 {float(out.p5.sel(factor='intensity', year=y)):+.2f}, median "
                 f"{float(out.p50.sel(factor='intensity', year=y)):+.2f}, p95 "
                 f"{float(out.p95.sel(factor='intensity', year=y)):+.2f} {units}" for y in years]
        + [f"activity effect: largest |value| over the draws {spread:.1e} {units} (common GDP in every draw)"],
    )
    return out


def chongqing_decomposition_table(ds: xr.Dataset) -> xr.Dataset:
    """One row per year of :func:`chongqing_decomposition`: the RS → AP-NZES change, its activity
    and intensity effects, and the reduction potential it equals (what ``fastcarbon run`` prints
    and writes as CSV)."""
    units = ds.total.attrs.get("units", "")
    out = {"change": ds.total.assign_attrs(units=units, long_name="change RS -> AP-NZES")}
    for f in ds.factor.values:
        out[f"{f}_effect"] = ds.effect.sel(factor=f, drop=True).assign_attrs(units=units,
                                                                             long_name=f"{f} effect")
    out["reduction_potential"] = ds.reduction_potential
    return xr.Dataset(out)
