"""Global sensitivity of the Chongqing example of 001 (Dai et al. 2025): which uncertain input
moves its peak year, 2030 and 2060 emissions and cumulative emissions most.

- :func:`chongqing_problem` — four multipliers (three Table 1 rate groups, GDP growth).
- :func:`chongqing_model` — the top-down model over a whole sample at once (the general form is
  :func:`fastcarbon.uncertainty.rates.rate_model`, equal to this one when configured like it).
- :func:`chongqing_sensitivity` — Sobol' indices per output and scenario.
"""

from __future__ import annotations

import numbers

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import as_dataarray, describe_first, require_dims, require_numeric
from fastcarbon.errors import InvalidValueError, UnknownLabelError
from fastcarbon.uncertainty.sensitivity import _check_seed, check_problem, sobol_analyze, sobol_sample

__all__ = ["CHONGQING_RATE_GROUPS", "chongqing_problem", "chongqing_model", "chongqing_sensitivity"]

#: Table 1 periods grouped into the three phases whose rates each multiplier scales
CHONGQING_RATE_GROUPS = {
    "rates_2021_2030": ("2021-2025", "2026-2030"),
    "rates_2031_2045": ("2031-2035", "2036-2040", "2041-2045"),
    "rates_2046_2060": ("2046-2050", "2051-2055", "2056-2060"),
}
_CQ_OUTPUTS = ("peak_year", "emissions_2030", "emissions_2060", "cumulative_emissions_2021_2060")


def chongqing_problem(spread: float = 0.2) -> dict:
    """The SALib problem of :func:`chongqing_sensitivity`: four multipliers, uniform on
    [1 − spread, 1 + spread].

    - ``rates_2021_2030``, ``rates_2031_2045``, ``rates_2046_2060``: multiply 001 Table 1's
      carbon-intensity reduction rates of the periods in :data:`CHONGQING_RATE_GROUPS`, for every
      scenario at once (the same policy ambition error in each);
    - ``gdp_growth``: multiplies the assumed GDP growth rate path (6 % in 2020 falling to 2 % in
      2060) in every year.

    Examples
    --------
    >>> chongqing_problem(0.1)["bounds"][0]
    [0.9, 1.1]
    """
    if isinstance(spread, bool) or not isinstance(spread, numbers.Real) or not 0 < spread < 1:
        raise InvalidValueError(f"spread: must be a number in (0, 1) (multipliers stay positive), got {show(spread)}")
    names = [*CHONGQING_RATE_GROUPS, "gdp_growth"]
    return check_problem({"names": names, "bounds": [[1.0 - spread, 1.0 + spread]] * len(names)})


def chongqing_model(sample: xr.DataArray, *, scenarios=None, years=range(2020, 2061)) -> xr.Dataset:
    """Evaluate the Chongqing top-down model of 001 on every row of a multiplier sample at once.

    For draw k with multipliers :math:`m_{g}` (rate group of period p) and :math:`m_Y`:

    .. math::

        r_{s,p,k} = \\min(1,\\, m_{g(p),k}\\, r^{\\mathrm{Table\\,1}}_{s,p}), \\quad
        Y_k(t) = Y_k(t-1)\\,(1 + m_{Y,k}\\, g(t)), \\quad
        I_{s,k}(t) = I_{s,k}(t-1)\\,(1 - r_{s,p(t),k}), \\quad CE = Y\\,I

    from the 2020 values of :func:`fastcarbon.studies.chongqing.chongqing_inputs`; with every multiplier
    1 this is :func:`fastcarbon.studies.chongqing.chongqing_scenarios`' ``emissions``.  A rate scaled
    above 100 % is held at 100 % (AP-NZES's 2056–2060 rate is 100 % already).  The whole sample
    goes through one :func:`fastcarbon.scenarios.rate_schedule` and one
    :func:`fastcarbon.peaks.peak` call (no loop over draws).

    Outputs per (draw, scenario):

    - ``peak_year``: year of the maximum over the horizon.  **Censored draws** (still rising, or
      at the maximum, in the last year: no peak within the horizon) get last year + 1, a lower
      bound of their peak year, so that every Saltelli block stays complete (dropping draws
      would break the design); ``peaked`` says which draws these are.
    - ``emissions_2030``, ``emissions_2060``: Mt CO2 in those years (when in ``years``).
    - ``cumulative_emissions_2021_2060``: Σ over the years after the base year.

    Parameters
    ----------
    sample : xarray.DataArray
        (``draw``, ``param``) with the params of :func:`chongqing_problem`.
    scenarios : sequence of str, optional
        Any of "RS", "PP-NZES", "AP-NZES", "NCNS"; default the paper's three.
    years : sequence of int
        Consecutive years from 2020, up to 2060.

    Returns
    -------
    xarray.Dataset
        The four outputs and ``peaked`` over (``draw``, ``scenario``).

    Examples
    --------
    >>> x = xr.DataArray([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.2]], dims=("draw", "param"),
    ...                  coords={"draw": [0, 1], "param": chongqing_problem()["names"]})
    >>> chongqing_model(x).peak_year.values.tolist()  # faster growth delays every peak
    [[2035.0, 2030.0, 2027.0], [2043.0, 2035.0, 2030.0]]
    """
    from fastcarbon.peaks import peak
    from fastcarbon.scenarios import interpolate, rate_schedule
    from fastcarbon.studies.chongqing.scenarios import EMISSIONS_UNITS, SCENARIOS, chongqing_inputs

    sample = as_dataarray(sample, "sample")
    require_dims(sample, ["draw", "param"], "sample")
    require_numeric(sample, "sample")
    names = [*CHONGQING_RATE_GROUPS, "gdp_growth"]
    have = [str(v) for v in sample.param.values] if "param" in sample.coords else []
    missing = [k for k in names if k not in have]
    if missing:
        raise UnknownLabelError(f"sample: no param(s) {show(missing)}; chongqing_model needs {show(names)} (chongqing_problem())")
    bad = ~(np.asarray(sample.sel(param=names).values) >= 0)
    if bad.any():
        where, value = describe_first(sample.sel(param=names), bad)
        raise InvalidValueError(f"sample: multiplier {show(value)} at {where}; multipliers must be >= 0")
    scenarios = list(SCENARIOS if scenarios is None else scenarios)
    inputs = chongqing_inputs()
    known = inputs.rates.scenario.values.tolist()
    unknown = [s for s in scenarios if s not in known]
    if unknown:
        raise UnknownLabelError(f"scenarios: {show(unknown)} not in 001 Table 1; available: {show(known)}")
    yr = np.asarray(list(years))
    base_year = int(inputs.attrs["base_year"])

    rates = inputs.rates.sel(scenario=scenarios) / 100.0
    group = [next(k for k, ps in CHONGQING_RATE_GROUPS.items() if p in ps) for p in rates.period.values]
    mult = sample.sel(param=xr.DataArray(group, dims="period", coords={"period": rates.period.values})).drop_vars("param")
    scaled = np.minimum(rates * mult, 1.0).assign_attrs(units="1")
    intensity = rate_schedule((inputs.emissions_2020 / inputs.gdp_2020).drop_vars(list(inputs.emissions_2020.coords)),
                              scaled, base_year=base_year, years=yr)
    growth = interpolate(inputs.gdp_growth.drop_vars("growth_source"), yr) / 100.0
    growth = growth.where(growth.year > base_year, 0.0)
    gdp = float(inputs.gdp_2020) * (1.0 + growth * sample.sel(param="gdp_growth", drop=True)).cumprod("year")
    em = (gdp * intensity).transpose("draw", "scenario", "year").assign_attrs(units=EMISSIONS_UNITS, long_name="industrial CO2 emissions")
    pk = peak(em, "year")
    after = em.sel(year=slice(base_year + 1, None))
    out = xr.Dataset({
        "peak_year": pk.peak_year.fillna(float(yr[-1] + 1)).assign_attrs(
            units="year", long_name=f"peak year of industrial CO2 ({yr[-1] + 1}: censored, no peak by {yr[-1]})"),
        "peaked": pk.peaked.assign_attrs(units="1", long_name=f"emissions peak within {yr[0]}-{yr[-1]}"),
    })
    for y in (2030, 2060):
        if y in yr:
            out[f"emissions_{y}"] = em.sel(year=y, drop=True).assign_attrs(units=EMISSIONS_UNITS, long_name=f"industrial CO2 emissions in {y}")
    out[f"cumulative_emissions_{base_year + 1}_{yr[-1]}"] = after.sum("year").assign_attrs(
        units=EMISSIONS_UNITS, long_name=f"cumulative industrial CO2 emissions {base_year + 1}-{yr[-1]}")
    return out.transpose("draw", "scenario")


def chongqing_sensitivity(
    n: int = 256,
    *,
    seed: int,
    spread: float = 0.2,
    scenarios=None,
    num_resamples: int = 100,
) -> xr.Dataset:
    """Sobol' indices of the Chongqing example's outputs for each 001 scenario.

    Samples :func:`chongqing_problem` with :func:`sobol_sample` (n(D+2) = 6n runs), evaluates
    :func:`chongqing_model` on the whole sample at once and analyses every output and scenario
    with :func:`sobol_analyze`.  Censored peak years enter as last year + 1 (see
    :func:`chongqing_model`); ``censored_share`` reports how many draws that is per scenario, so
    a reader can judge how much the peak-year indices lean on that convention.

    Parameters
    ----------
    n : int
        Base points, a power of 2.
    seed : int
        Seeds both the sample and the bootstrap.
    spread : float
        Multipliers are uniform on [1 − spread, 1 + spread].
    scenarios : sequence of str, optional
        Default RS, PP-NZES, AP-NZES.
    num_resamples : int
        Bootstrap resamples for the confidence intervals.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` over (``output``, ``param``, ``scenario``) and
        ``censored_share`` over ``scenario``.

    Examples
    --------
    >>> si = chongqing_sensitivity(64, seed=1)
    >>> si.ST.sel(output="peak_year", scenario="RS").idxmax("param").item()
    'gdp_growth'
    >>> float(si.ST.sel(output="emissions_2030", param="rates_2046_2060").max())  # later rates cannot move 2030
    0.0
    >>> si.censored_share.values.tolist()
    [0.0, 0.0, 0.0]
    """
    seed = _check_seed(seed)
    problem = chongqing_problem(spread)
    x = sobol_sample(problem, n, seed=seed)
    model = chongqing_model(x, scenarios=scenarios)
    outputs = model.drop_vars("peaked")
    si = sobol_analyze(problem, outputs, seed=seed, num_resamples=num_resamples)
    si["censored_share"] = (1.0 - model.peaked.mean("draw")).assign_attrs(
        units="1", long_name="share of draws with no peak within the horizon (peak year set to last year + 1)")
    si.attrs.update(title="Sobol' indices of the Chongqing industrial CO2 example (001, top-down, assumed GDP path)",
                    spread=float(spread), parameters="multipliers on 001 Table 1 rates per period group and on GDP growth")
    return si
