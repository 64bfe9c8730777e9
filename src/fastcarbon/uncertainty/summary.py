"""What Monte Carlo draws say: quantile bands, peaking probabilities, the peak-year distribution.

Peaks follow :func:`fastcarbon.peaks.peak` (Dai et al. 2025, section 4): the peak year is the
first year of the maximum over the horizon, and a draw whose maximum is not followed by a lower
value is *censored* (no peak within the horizon).  Censored draws count as "not peaked" in every
probability here and are reported as their own share, never as a peak in the last year.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import as_dataarray, check_time, require_dims, require_numeric, screen
from fastcarbon.errors import InputError, InvalidValueError, UnknownLabelError
from fastcarbon.peaks import peak

__all__ = ["quantile_bands", "peak_probability", "peak_year_distribution", "prob_below", "summarize"]


def _draws(emissions, dim, draw_dim) -> xr.DataArray:
    da = as_dataarray(emissions, "emissions")
    require_numeric(da, "emissions")
    require_dims(da, [draw_dim, dim], "emissions")
    check_time(da, dim, "emissions", "increasing")
    return screen(da, "emissions")  # a NaN or inf draw would count silently as "not peaked"


def _label(q: float) -> str:
    return f"p{100 * q:g}"


def quantile_bands(emissions: xr.DataArray, quantiles: Sequence[float] = (0.05, 0.5, 0.95), *,
                   draw_dim: Hashable = "draw") -> xr.Dataset:
    """Quantiles over the draws, one variable each: ``p5``, ``p50`` (median), ``p95`` by default.

    Linear interpolation between order statistics (:meth:`xarray.DataArray.quantile`,
    numpy's default "linear" method, Hyndman & Fan 1996 type 7).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> e = xr.DataArray(np.arange(101.0)[:, None] * [1.0, 2.0], dims=("draw", "year"),
    ...                  coords={"year": [2020, 2021]}, attrs={"units": "Mt CO2"})
    >>> b = quantile_bands(e)
    >>> list(b.data_vars), b.p95.values.tolist(), b.p50.attrs["units"]
    (['p5', 'p50', 'p95'], [95.0, 190.0], 'Mt CO2')
    """
    da = as_dataarray(emissions, "emissions")
    require_numeric(da, "emissions")
    require_dims(da, [draw_dim], "emissions")
    da = screen(da, "emissions")  # NaN-skipping quantiles would hide a broken draw
    qs = [float(q) for q in quantiles]
    if not qs or not all(0.0 <= q <= 1.0 for q in qs):
        raise InvalidValueError(f"quantiles: must be a non-empty list of numbers in [0, 1], got {show(list(quantiles))}")
    if da.chunks is not None:
        da = da.chunk({draw_dim: -1})
    q = da.quantile(qs, dim=draw_dim)
    units = da.attrs.get("units", "1")
    return xr.Dataset({
        _label(v): q.sel(quantile=v, drop=True).assign_attrs(
            units=units, long_name=f"{100 * v:g} % quantile over {draw_dim}s", quantile=v)
        for v in qs
    })


def _peak_years(da, dim, draw_dim) -> xr.DataArray:
    return peak(da, dim=dim).peak_year  # NaN where censored or NaN input


def peak_probability(emissions: xr.DataArray, *, dim: Hashable = "year", draw_dim: Hashable = "draw") -> xr.DataArray:
    """Probability of having peaked by each year: P(peak year <= y), y along ``dim``.

    The peak is judged over the whole horizon (a draw whose maximum comes in 2028 has
    "peaked by 2028"); censored draws never count.  The last value is 1 - censored share.

    Examples
    --------
    >>> import xarray as xr
    >>> e = xr.DataArray([[1.0, 3.0, 2.0], [1.0, 2.0, 3.0]], dims=("draw", "year"),
    ...                  coords={"year": [2020, 2021, 2022]})
    >>> peak_probability(e).values.tolist()
    [0.0, 0.5, 0.5]
    """
    da = _draws(emissions, dim, draw_dim)
    py = _peak_years(da, dim, draw_dim)
    prob = (py <= da[dim]).mean(draw_dim).transpose(*[d for d in da.dims if d != draw_dim])
    return prob.assign_attrs(units="1", long_name=f"probability of peaking in this {dim} or earlier")


def peak_year_distribution(emissions: xr.DataArray, *, dim: Hashable = "year", draw_dim: Hashable = "draw") -> xr.Dataset:
    """Distribution of the peak year over the draws, and the share of censored draws.

    Returns
    -------
    xarray.Dataset
        ``probability`` over a ``peak_year`` coordinate (the years of ``dim``): the share of
        draws peaking in that year; ``censored_share``: the share with no peak within the
        horizon.  They sum to 1 over ``peak_year`` plus the censored share (draws holding NaN
        count as censored).  Also ``peak_year_median`` over the draws that peaked (NaN if none).

    Examples
    --------
    >>> import xarray as xr
    >>> e = xr.DataArray([[1.0, 3.0, 2.0], [1.0, 2.0, 3.0], [4.0, 2.0, 1.0], [1.0, 3.0, 0.0]],
    ...                  dims=("draw", "year"), coords={"year": [2020, 2021, 2022]})
    >>> d = peak_year_distribution(e)
    >>> d.probability.values.tolist(), float(d.censored_share), float(d.peak_year_median)
    ([0.25, 0.5, 0.0], 0.25, 2021.0)
    """
    da = _draws(emissions, dim, draw_dim)
    py = _peak_years(da, dim, draw_dim)
    years = da[dim].values
    prob = (py == xr.DataArray(years, dims="peak_year", coords={"peak_year": years})).mean(draw_dim)
    year_units = da[dim].attrs.get("units", "year")
    return xr.Dataset({
        "probability": prob.assign_attrs(units="1", long_name="share of draws peaking in this year"),
        "censored_share": py.isnull().mean(draw_dim).assign_attrs(
            units="1", long_name=f"share of draws with no peak within {dim} {years[0]}-{years[-1]}"),
        "peak_year_median": py.median(draw_dim, skipna=True).assign_attrs(
            units=year_units, long_name="median peak year of the draws that peaked"),
    })


def prob_below(emissions: xr.DataArray, target: float | xr.DataArray, year, *, dim: Hashable = "year",
               draw_dim: Hashable = "draw") -> xr.DataArray:
    """Probability that emissions in ``year`` are at or below ``target``: P(E(year) <= target).

    ``target`` is in the units of ``emissions``; a DataArray broadcasts (e.g. one target per
    scenario).  NaN draws count as not below.

    Examples
    --------
    >>> import xarray as xr
    >>> e = xr.DataArray([[1.0, 3.0], [1.0, 5.0], [1.0, 4.0], [1.0, 6.0]], dims=("draw", "year"),
    ...                  coords={"year": [2020, 2030]})
    >>> float(prob_below(e, 4.0, 2030))
    0.5
    """
    da = _draws(emissions, dim, draw_dim)
    if year not in da.indexes[dim]:
        raise UnknownLabelError(f"year: {show(year)} is not on {show(dim)}; available: {da[dim].values[0]}..{da[dim].values[-1]}")
    if not isinstance(target, xr.DataArray):
        target = float(target)
    p = (da.sel({dim: year}, drop=True) <= target).mean(draw_dim)
    return p.assign_attrs(units="1", long_name=f"probability of emissions <= target in {year}", target_year=year)


def summarize(emissions: xr.DataArray, *, quantiles: Sequence[float] = (0.05, 0.5, 0.95), target_year=None,
              dim: Hashable = "year", draw_dim: Hashable = "draw") -> xr.Dataset:
    """Every summary of the draws in one Dataset.

    ``sample_mean`` and ``sample_std`` (ddof 0) over draws, the :func:`quantile_bands`,
    ``peak_probability`` by year, the peak-year ``probability``, ``censored_share`` and
    ``peak_year_median`` of :func:`peak_year_distribution`, and with ``target_year``
    ``prob_peak_by_target`` = P(peak year <= target_year).

    Examples
    --------
    >>> import xarray as xr
    >>> e = xr.DataArray([[1.0, 3.0, 2.0], [1.0, 2.0, 3.0]], dims=("draw", "year"),
    ...                  coords={"year": [2020, 2021, 2022]})
    >>> s = summarize(e, target_year=2021)
    >>> float(s.prob_peak_by_target), s.p50.values.tolist()
    (0.5, [1.0, 2.5, 2.5])
    """
    da = _draws(emissions, dim, draw_dim)
    units = da.attrs.get("units", "1")
    out = quantile_bands(da, quantiles, draw_dim=draw_dim)
    out["sample_mean"] = da.mean(draw_dim).assign_attrs(units=units, long_name=f"mean over {draw_dim}s")
    out["sample_std"] = da.std(draw_dim).assign_attrs(units=units, long_name=f"standard deviation over {draw_dim}s (ddof 0)")
    prob = peak_probability(da, dim=dim, draw_dim=draw_dim)
    out["peak_probability"] = prob
    out = out.merge(peak_year_distribution(da, dim=dim, draw_dim=draw_dim))
    if target_year is not None:
        if target_year not in da.indexes[dim]:
            raise InputError(f"target_year: {show(target_year)} is not on {show(dim)} ({da[dim].values[0]}..{da[dim].values[-1]})")
        out["prob_peak_by_target"] = prob.sel({dim: target_year}, drop=True).assign_attrs(
            units="1", long_name=f"probability of peaking in {target_year} or earlier", target_year=target_year)
    out.attrs.update(n_draws=int(da.sizes[draw_dim]), **{k: v for k, v in da.attrs.items() if k in ("seed", "method")})
    return out
