"""A general top-down scenario model for Sobol' and Morris: multipliers on groups of annual
carbon-intensity reduction rates and on activity growth, evaluated over a whole sample at once.

:func:`fastcarbon.studies.chongqing.chongqing_model` does this for the Chongqing example of 001 (Dai
et al. 2025) with its own rates, groups and GDP path; :func:`rate_problem` and :func:`rate_model`
take them as arguments, so any scenario set built from per-period reduction rates and a growth
path (a study file's scenarios, :mod:`fastcarbon.studies`) gets the same analysis.
:func:`rate_sensitivity` samples, evaluates and analyses in one call.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from fastcarbon._format import show, show_list
from fastcarbon._validate import as_dataarray, describe_first, require_dims, require_numeric
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, UnknownLabelError
from fastcarbon.scenarios.trajectory import parse_periods
from fastcarbon.uncertainty.sensitivity import _check_seed, check_problem, sobol_analyze, sobol_sample

__all__ = ["rate_problem", "rate_model", "rate_sensitivity"]


def _group_years(groups, name: str = "groups") -> dict[str, np.ndarray]:
    """param name -> the years its multiplier applies to, from "YYYY-YYYY" labels (one, or a
    sequence whose union is taken: 001 Table 1's five-year periods grouped into phases)."""
    if not isinstance(groups, Mapping) or not groups:
        raise InputTypeError(f"{name}: expected a non-empty dict of parameter name -> 'YYYY-YYYY' (or a list of them), "
                             f"got {show(groups)}")
    out, seen = {}, {}
    for param, periods in groups.items():
        if not isinstance(param, str) or not param:
            raise InputTypeError(f"{name}: parameter names must be non-empty strings, got {show(param)}")
        labels = [periods] if isinstance(periods, str) else list(periods) if isinstance(periods, Sequence) else None
        if not labels:
            raise InputTypeError(f"{name}[{show(param)}]: expected 'YYYY-YYYY' or a list of them, got {show(periods)}")
        years = []
        for lab in labels:
            s, e = parse_periods([lab])
            years.extend(range(int(s[0]), int(e[0]) + 1))
        for y in years:
            if y in seen:
                raise InputError(f"{name}: year {y} is in both {show(seen[y])} and {show(param)}; each year's rate "
                                 f"belongs to one group")
            seen[y] = param
        out[param] = np.asarray(sorted(years))
    return out


def rate_problem(groups: Mapping, *, spread: float = 0.2, ranges: Mapping | None = None,
                 growth: str | None = "gdp_growth") -> dict:
    """The SALib problem of :func:`rate_model`: one multiplier per rate group (and on growth).

    Parameters
    ----------
    groups : dict
        Parameter name -> the years whose reduction rates it multiplies, as ``"YYYY-YYYY"`` or a
        list of such labels (``{"rates_2021_2030": "2021-2030", ...}`` or
        :data:`~fastcarbon.studies.chongqing.CHONGQING_RATE_GROUPS`).
    spread : float
        Multipliers are uniform on [1 − spread, 1 + spread], 0 < spread < 1.
    ranges : dict, optional
        Parameter name -> [lower, upper], overriding ``spread`` for that parameter.
    growth : str or None
        Name of the growth multiplier; None: activity growth is not uncertain.

    Returns
    -------
    dict
        A checked SALib problem (:func:`~fastcarbon.uncertainty.check_problem`).

    Examples
    --------
    >>> p = rate_problem({"early": "2021-2030", "late": ["2031-2045", "2046-2060"]}, spread=0.1)
    >>> p["names"], p["bounds"][0]
    (['early', 'late', 'gdp_growth'], [0.9, 1.1])
    """
    if isinstance(spread, bool) or not isinstance(spread, numbers.Real) or not 0 < spread < 1:
        raise InvalidValueError(f"spread: must be a number in (0, 1) (multipliers stay positive), got {show(spread)}")
    names = list(_group_years(groups))
    if growth is not None:
        if growth in names:
            raise InputError(f"growth: {show(growth)} is also a rate group's name; give it another")
        names.append(growth)
    ranges = dict(ranges or {})
    unknown = [k for k in ranges if k not in names]
    if unknown:
        raise UnknownLabelError(f"ranges: {show(unknown)} are not parameters; parameters: {show(names)}")
    bounds = [[float(v) for v in ranges[k]] if k in ranges else [1.0 - spread, 1.0 + spread] for k in names]
    for k, b in zip(names, bounds):
        if len(b) != 2 or not 0 <= b[0] < b[1]:
            raise InvalidValueError(f"ranges[{show(k)}]: {show(b)}; a multiplier range is [lower, upper] with "
                                    f"0 <= lower < upper")
    return check_problem({"names": names, "bounds": bounds})


def _annual(da: xr.DataArray, years: np.ndarray, name: str) -> xr.DataArray:
    """Rates over ``period`` ("YYYY-YYYY") or over ``year``, as fractions over the given years."""
    da = as_dataarray(da, name)
    require_numeric(da, name)
    units = da.attrs.get("units", "1")
    if units not in ("1", "%"):
        raise InputError(f"{name}: units {show(units)}; rates are fractions (units '1') or percent ('%')")
    da = da / 100.0 if units == "%" else da
    if "period" in da.dims:
        starts, ends = parse_periods(da.indexes["period"])
        pos = np.searchsorted(ends, years)
        outside = (pos >= ends.size) | (years < starts[0])
        if outside.any():
            raise InputError(f"{name}: no period covers year {int(years[outside][0])}; the periods "
                             f"{show(list(da.indexes['period']))} must cover {int(years[0])}-{int(years[-1])}")
        return da.isel(period=xr.DataArray(pos, dims="year", coords={"year": years})).drop_vars("period")
    require_dims(da, ["year"], name)
    missing = [int(y) for y in years if y not in da.indexes["year"]]
    if missing:
        raise InputError(f"{name}: no value for year(s) {show_list(missing)}")
    return da.sel(year=years)


def rate_model(
    sample: xr.DataArray,
    *,
    base_emissions,
    rates: xr.DataArray,
    groups: Mapping,
    base_year: int,
    years,
    growth: xr.DataArray | None = None,
    growth_param: str = "gdp_growth",
    report_years: Sequence[int] = (),
) -> xr.Dataset:
    """Top-down emissions of every scenario for every row of a multiplier sample, at once.

    For draw k with multiplier :math:`m_{g,k}` of the rate group g containing year t and
    :math:`m_{Y,k}` on growth:

    .. math::

        r_{s,t,k} = \\min(1,\\, m_{g(t),k}\\, r_{s,t}), \\quad
        E_{s,k}(t) = E_0 \\prod_{\\tau = t_0 + 1}^{t} (1 + m_{Y,k}\\, g_{s,\\tau})\\,(1 - r_{s,\\tau,k})

    i.e. emissions = activity × carbon intensity, with the intensity falling by the scenario's
    annual rates (001 Table 1, Dai et al. 2025) and activity growing at g.  A rate scaled above
    100 % is held at 100 % (the intensity, hence emissions, reach 0 and stay there).  With the
    Chongqing rates, groups and GDP path this is :func:`fastcarbon.studies.chongqing.chongqing_model`.
    One :func:`fastcarbon.scenarios.rate_schedule` and one :func:`fastcarbon.peaks.peak` call
    for the whole sample.

    Parameters
    ----------
    sample : xarray.DataArray
        (``draw``, ``param``), e.g. ``sobol_sample(rate_problem(groups), n, seed=...)``.  Params
        of ``groups`` it lacks count as 1; so does ``growth_param``; other params are
        ignored.  Multipliers must be >= 0.
    base_emissions : float or xarray.DataArray
        :math:`E_0` in ``base_year`` (any dims, e.g. region), with ``units``.
    rates : xarray.DataArray
        Annual reduction rates over ``period`` ("YYYY-YYYY", covering every year after
        ``base_year``) or over ``year``, in [0, 1] or with units "%"; other dims (``scenario``)
        broadcast.
    groups : dict
        As for :func:`rate_problem`; every year after ``base_year`` must be in one group.
    base_year : int
    years : sequence of int
        Consecutive years from ``base_year``.
    growth : xarray.DataArray, optional
        Annual activity growth over ``year`` (fraction or "%"), applied from the year after
        ``base_year``; other dims broadcast.  None: no growth.
    growth_param : str
        The sample's growth multiplier.
    report_years : sequence of int
        Years whose emissions are outputs (``emissions_<year>``).

    Returns
    -------
    xarray.Dataset
        Over (``draw``, other dims): ``peak_year`` (censored draws — no peak within the
        horizon — at last year + 1, a lower bound, so the Saltelli blocks stay complete),
        ``peaked``, ``emissions_<year>``, ``cumulative_emissions_<first>_<last>`` (Σ over the
        years after ``base_year``).

    Examples
    --------
    >>> import xarray as xr
    >>> r = xr.DataArray([5.0, 10.0], dims="period", coords={"period": ["2021-2025", "2026-2030"]},
    ...                  attrs={"units": "%"})
    >>> x = xr.DataArray([[1.0, 1.0], [1.0, 3.0]], dims=("draw", "param"),
    ...                  coords={"param": ["early", "late"]})
    >>> out = rate_model(x, base_emissions=xr.DataArray(100.0, attrs={"units": "Mt CO2"}), rates=r,
    ...                  groups={"early": "2021-2025", "late": "2026-2030"}, base_year=2020,
    ...                  years=range(2020, 2031), growth=xr.DataArray([6.0], dims="year", coords={"year": [2020]},
    ...                  attrs={"units": "%"}).reindex(year=range(2020, 2031), method="ffill"), report_years=[2030])
    >>> out.peak_year.values.tolist(), out.emissions_2030.round(1).values.tolist()
    ([2025.0, 2025.0], [81.8, 23.3])
    """
    from fastcarbon.peaks import peak
    from fastcarbon.scenarios import rate_schedule

    sample = as_dataarray(sample, "sample")
    require_dims(sample, ["draw", "param"], "sample")
    require_numeric(sample, "sample")
    if isinstance(base_year, bool) or not isinstance(base_year, numbers.Integral):
        raise InputTypeError(f"base_year: expected an integer year, got {show(base_year)}")
    yr = np.asarray(list(years))
    if yr.size < 2 or yr[0] != base_year or np.any(np.diff(yr) != 1):
        raise InputError(f"years: must be consecutive years from base_year {base_year}, got {show_list(yr.tolist())}")
    after = yr[1:]
    group_years = _group_years(groups)
    owner = {int(y): g for g, ys in group_years.items() for y in ys}
    uncovered = [int(y) for y in after if int(y) not in owner]
    if uncovered:
        raise InputError(f"groups: year(s) {show_list(uncovered)} are in no rate group; the groups "
                         f"{show(list(group_years))} must cover {int(after[0])}-{int(after[-1])}")
    have = [str(v) for v in sample.param.values] if "param" in sample.coords else []
    used = [g for g in group_years if g in have] + ([growth_param] if growth_param in have else [])
    if used:
        bad = ~(np.asarray(sample.sel(param=used).values) >= 0)
        if bad.any():
            where, value = describe_first(sample.sel(param=used), bad)
            raise InvalidValueError(f"sample: multiplier {show(value)} at {where}; multipliers must be >= 0")

    def multiplier(name):
        if name in have:
            return sample.sel(param=name, drop=True)
        return xr.DataArray(np.ones(sample.sizes["draw"]), dims="draw")

    annual = _annual(rates, after, "rates")
    bad = ~((annual.values >= 0) & (annual.values <= 1))
    if bad.any():
        where, value = describe_first(annual, bad)
        raise InvalidValueError(f"rates: {show(value)} at {where}; annual rates are in [0, 1] (0 to 100 %)")
    mult = xr.concat([multiplier(owner[int(y)]) for y in after], dim=xr.DataArray(after, dims="year", name="year"))
    scaled = np.minimum(annual * mult, 1.0)
    scaled = scaled.assign_coords(period=("year", [f"{y}-{y}" for y in after])).swap_dims(year="period")
    scaled = scaled.drop_vars("year").assign_attrs(units="1")
    base = base_emissions if isinstance(base_emissions, xr.DataArray) else xr.DataArray(float(base_emissions))
    units = base.attrs.get("units", "1")
    em = rate_schedule(base.drop_vars(list(base.coords)) if base.ndim == 0 else base, scaled,
                       base_year=int(base_year), years=yr)
    if growth is not None:
        g = _annual(growth, after, "growth")
        factor = 1.0 + g * multiplier(growth_param)
        first = xr.ones_like(factor.isel(year=0)).expand_dims(year=[int(base_year)])
        em = em * xr.concat([first, factor], dim="year").cumprod("year")
    lead = [d for d in ("draw", "scenario") if d in em.dims]
    em = em.transpose(*lead, ..., "year").assign_attrs(units=units, long_name="emissions")
    pk = peak(em, "year")
    out = xr.Dataset({
        "peak_year": pk.peak_year.fillna(float(yr[-1] + 1)).assign_attrs(
            units="year", long_name=f"peak year ({yr[-1] + 1}: censored, no peak by {yr[-1]})"),
        "peaked": pk.peaked.assign_attrs(units="1", long_name=f"emissions peak within {yr[0]}-{yr[-1]}"),
    })
    for y in report_years:
        if int(y) not in yr:
            raise InputError(f"report_years: {show(y)} is not in {int(yr[0])}-{int(yr[-1])}")
        out[f"emissions_{int(y)}"] = em.sel(year=int(y), drop=True).assign_attrs(units=units, long_name=f"emissions in {int(y)}")
    out[f"cumulative_emissions_{int(after[0])}_{int(yr[-1])}"] = em.sel(year=slice(int(after[0]), None)).sum("year").assign_attrs(
        units=units, long_name=f"cumulative emissions {int(after[0])}-{int(yr[-1])}")
    return out.transpose(*lead, ...)


def rate_sensitivity(problem: Mapping, n: int, *, seed: int, num_resamples: int = 100,
                     convergence: Sequence[int] | None = None, **model) -> xr.Dataset:
    """Sobol' indices of :func:`rate_model`'s outputs: :func:`sobol_sample` of ``problem``
    (n(D+2) runs), :func:`rate_model` on the whole sample (``**model``: its keywords), and
    :func:`sobol_analyze` of every output and scenario.  ``censored_share`` says how many draws
    entered with a censored peak year (last year + 1).

    Convergence (as R's sensobol ``sobol_convergence``): with ``convergence`` = base-point
    counts m < n (powers of 2, >= 2), the indices are recomputed on the first m base points of
    the same design — the first m points of a Sobol' sequence are themselves a balanced Sobol'
    design, and the rows come in blocks per base point, so the first m(D+2) rows are a whole
    Saltelli sample — and returned as ``S1_convergence``, ``ST_convergence`` (and their
    ``_conf``) over a ``base_points`` dim ending at n.  Indices that still move between m and n,
    or whose interval is wider than the index, need more base points.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> r = xr.DataArray([6.0, 8.0], dims="period", coords={"period": ["2021-2030", "2031-2060"]},
    ...                  attrs={"units": "%"})
    >>> g = xr.DataArray(np.full(41, 6.0), dims="year", coords={"year": np.arange(2020, 2061)}, attrs={"units": "%"})
    >>> groups = {"early": "2021-2030", "late": "2031-2060"}
    >>> si = rate_sensitivity(rate_problem(groups), 64, seed=1, rates=r,
    ...                       base_emissions=100.0, groups=groups, growth=g, base_year=2020, years=range(2020, 2061),
    ...                       report_years=[2030], convergence=[16, 32])
    >>> float(si.ST.sel(output="emissions_2030", param="late"))  # later rates cannot move 2030
    0.0
    >>> bool(si.ST.sel(output="emissions_2030", param="early") > 0.3)
    True
    >>> si.ST_convergence.base_points.values.tolist()
    [16, 32, 64]
    """
    seed = _check_seed(seed)
    x = sobol_sample(problem, n, seed=seed)
    res = rate_model(x, **model)
    outputs = res.drop_vars("peaked")
    si = sobol_analyze(problem, outputs, seed=seed, num_resamples=num_resamples)
    si["censored_share"] = (1.0 - res.peaked.mean("draw")).assign_attrs(
        units="1", long_name="share of draws with no peak within the horizon (peak year set to last year + 1)")
    if convergence:
        sizes = sorted({int(m) for m in convergence})
        bad = [m for m in sizes if m < 2 or m >= n or m & (m - 1)]
        if bad:
            raise InvalidValueError(f"convergence: {show(bad)} are not powers of 2 in [2, {n}); each is a number of "
                                    f"base points of a sub-sample of the n = {n} design")
        block = x.sizes["draw"] // n
        steps = []
        for m in sizes:
            sub = outputs.isel(draw=slice(0, m * block))
            steps.append(sobol_analyze(problem, sub, seed=seed, num_resamples=num_resamples))
        steps.append(si[["S1", "S1_conf", "ST", "ST_conf"]])
        conv = xr.concat([s[["S1", "S1_conf", "ST", "ST_conf"]] for s in steps],
                         dim=xr.DataArray([*sizes, int(n)], dims="base_points", name="base_points"))
        for k in ("S1", "S1_conf", "ST", "ST_conf"):
            si[f"{k}_convergence"] = conv[k].assign_attrs(
                units="1", long_name=f"{k} recomputed on the first base_points points of the design")
    si.attrs.update(title="Sobol' indices of the top-down rate model", n=int(n), seed=seed)
    return si
