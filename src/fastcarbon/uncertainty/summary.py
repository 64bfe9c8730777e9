"""What Monte Carlo draws say: quantile bands, peaking probabilities, the peak-year distribution.

Peaks follow :func:`fastcarbon.peaks.peak` (Dai et al. 2025, section 4): the peak year is the
first year of the maximum over the horizon, and a draw whose maximum is not followed by a lower
value is *censored* (no peak within the horizon).  Censored draws count as "not peaked" in every
probability here and are reported as their own share, never as a peak in the last year.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import as_dataarray, check_time, require_dims, require_numeric, screen
from fastcarbon.core.draws import draws_needed as core_draws_needed
from fastcarbon.core.draws import order_statistic_interval, summarize_draws
from fastcarbon.core.quantiles import quantile as core_quantile
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, UnknownLabelError
from fastcarbon.peaks import peak

__all__ = ["quantile_bands", "peak_probability", "peak_year_distribution", "prob_below", "summarize", "draws_needed"]


def _draws(emissions, dim, draw_dim) -> xr.DataArray:
    da = as_dataarray(emissions, "emissions")
    require_numeric(da, "emissions")
    require_dims(da, [draw_dim, dim], "emissions")
    check_time(da, dim, "emissions", "increasing")
    return screen(da, "emissions")  # a NaN or inf draw would count silently as "not peaked"


def _label(q: float) -> str:
    return f"p{100 * q:g}"


def _check_quantiles(quantiles) -> list[float]:
    qs = [float(q) for q in quantiles]
    if not qs or not all(0.0 <= q <= 1.0 for q in qs):
        raise InvalidValueError(f"quantiles: must be a non-empty list of numbers in [0, 1], got {show(list(quantiles))}")
    return qs


def _quantile_data(da: xr.DataArray, qs: list[float], draw_dim: Hashable):
    """(Q, *other dims) quantiles of ``da`` over ``draw_dim`` by :func:`fastcarbon.core.quantile`,
    numpy or dask.  Under dask each block is reduced where it lies when the draws are one chunk
    (the sweep's layout: no data moves); otherwise the draws are gathered into one chunk first."""
    axis = da.get_axis_num(draw_dim)
    data = da.data
    if da.chunks is None:
        return core_quantile(data, qs, axis=axis)
    if len(data.chunks[axis]) > 1:
        data = data.rechunk({axis: -1})
    out_chunks = ((len(qs),), *(c for k, c in enumerate(data.chunks) if k != axis))
    # dask tasks run the serial kernel: dask provides the parallelism (DESIGN.md)
    return data.map_blocks(core_quantile, qs, axis=axis, parallel=False, drop_axis=axis, new_axis=0,
                           chunks=out_chunks, dtype=np.float64, meta=np.empty((0,) * (data.ndim), np.float64))


def quantile_bands(emissions: xr.DataArray, quantiles: Sequence[float] = (0.05, 0.5, 0.95), *,
                   draw_dim: Hashable = "draw", skipna: bool = False) -> xr.Dataset:
    """Quantiles over the draws, one variable each: ``p5``, ``p50`` (median), ``p95`` by default.

    Linear interpolation between order statistics, numpy's default "linear" method (Hyndman &
    Fan 1996, type 7): h = (n - 1) q, Q = x_(floor h) + (h - floor h)(x_(floor h + 1) - x_(floor h)),
    by the selection kernels of :func:`fastcarbon.core.quantile` (equal to ``np.quantile``).
    Dask-backed draws are reduced block by block where the draw dim is one chunk (as the
    Monte Carlo output of one region block is), else the draw dim is gathered into one chunk.

    Parameters
    ----------
    emissions : xarray.DataArray
        Draws along ``draw_dim``; finite unless ``skipna``.
    quantiles : sequence of float
        Probabilities in [0, 1].
    draw_dim : hashable
        The dim reduced.
    skipna : bool
        False (default): NaN is refused (a NaN-skipping quantile would hide a broken draw).
        True: NaN draws are skipped, by xarray's NaN-skipping :meth:`xarray.DataArray.quantile`
        (several times slower); infinities are still refused.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> e = xr.DataArray(np.arange(101.0)[:, None] * [1.0, 2.0], dims=("draw", "year"),
    ...                  coords={"year": [2020, 2021]}, attrs={"units": "Mt CO2"})
    >>> b = quantile_bands(e)
    >>> list(b.data_vars), b.p95.values.tolist(), b.p50.attrs["units"]
    (['p5', 'p50', 'p95'], [95.0, 190.0], 'Mt CO2')
    >>> e[0, 0] = np.nan
    >>> quantile_bands(e, [0.5], skipna=True).p50.values.tolist()
    [50.5, 100.0]
    """
    da = as_dataarray(emissions, "emissions")
    require_numeric(da, "emissions")
    require_dims(da, [draw_dim], "emissions")
    if not isinstance(skipna, (bool, np.bool_)):
        raise InputTypeError(f"skipna: must be True or False, got {show(skipna)}")
    # NaN-skipping quantiles would hide a broken draw: NaN passes only when skipping is asked for
    da = screen(da, "emissions", nan_ok=bool(skipna))
    qs = _check_quantiles(quantiles)
    units = da.attrs.get("units", "1")
    if skipna:
        if da.chunks is not None:
            da = da.chunk({draw_dim: -1})
        q = da.quantile(qs, dim=draw_dim, skipna=True)
        bands = [q.sel(quantile=v, drop=True) for v in qs]
    else:
        data = _quantile_data(da, qs, draw_dim)
        template = da.isel({draw_dim: 0}, drop=True)
        bands = [xr.DataArray(data[k], dims=template.dims, coords=template.coords) for k in range(len(qs))]
    return xr.Dataset({
        _label(v): b.assign_attrs(units=units, long_name=f"{100 * v:g} % quantile over {draw_dim}s", quantile=v)
        for v, b in zip(qs, bands)
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


def _median_from_counts(counts: np.ndarray, years: np.ndarray) -> np.ndarray:
    """The median of the peak years of the draws that peaked, from their counts per year (*, T):
    the middle order statistic, or the mean of the two middle ones (as ``np.nanmedian``); NaN
    where no draw peaked."""
    cum = np.cumsum(counts, axis=-1)
    m = cum[..., -1]
    with np.errstate(invalid="ignore"):
        lo = years[np.argmax(cum > ((m - 1) // 2)[..., None], axis=-1)]
        hi = years[np.argmax(cum > (m // 2)[..., None], axis=-1)]
    return np.where(m > 0, (lo + hi) / 2.0, np.nan)


def _summary_blocks(x, years, qs, level, parallel):
    """:func:`fastcarbon.core.summarize_draws` on (..., D, T) with the quantile axis moved last,
    as :func:`xarray.apply_ufunc` wants its outputs."""
    s = summarize_draws(x, years, quantiles=qs, level=level, axis=-2, parallel=parallel)
    counts = np.rint(s.peak_year_probability * s.n_draws)  # the counts back, exactly (k / n · n may miss k by an ulp)
    return (np.moveaxis(s.quantile, 0, -1), np.moveaxis(s.quantile_low, 0, -1), np.moveaxis(s.quantile_high, 0, -1),
            s.mean, s.std, s.peak_probability, s.peak_year_probability, s.censored_share,
            _median_from_counts(counts, years))


def summarize(emissions: xr.DataArray, *, quantiles: Sequence[float] = (0.05, 0.5, 0.95), target_year=None,
              dim: Hashable = "year", draw_dim: Hashable = "draw", level: float = 0.95,
              half_width: float = 0.01) -> xr.Dataset:
    """Every summary of the draws in one Dataset, with its Monte Carlo error.

    One pass of :func:`fastcarbon.core.summarize_draws` per batch row (per dask block when the
    draws are dask-backed; the draw and year dims are gathered into one chunk if they are not).

    - the :func:`quantile_bands` ``p5``, ``p50``, ``p95`` ... and their distribution-free
      ``level`` confidence intervals ``p5_low``, ``p5_high`` ...: order statistics at the ranks of
      :func:`fastcarbon.core.order_statistic_interval` (Conover 1999, section 3.2), attrs
      ``ci_coverage`` and ``ci_exact`` (0 when too few draws reach ``level``: the sample range);
    - ``sample_mean`` and ``sample_std`` (ddof 0, summed in draw order) over draws and
      ``sample_mean_se`` = std/√D;
    - ``peak_probability`` by year (as :func:`peak_probability`), the peak-year
      ``probability``, ``censored_share`` and ``peak_year_median`` of
      :func:`peak_year_distribution`, and with ``target_year`` ``prob_peak_by_target`` =
      P(peak year <= target_year);
    - for every probability p its binomial standard error √(p(1 - p)/D) (``*_se``), and with
      ``target_year`` ``draws_needed``: the draws for ± ``half_width`` on
      ``prob_peak_by_target`` at ``level`` (:func:`fastcarbon.core.draws_needed`, at the
      estimated p).

    Examples
    --------
    >>> import xarray as xr
    >>> e = xr.DataArray([[1.0, 3.0, 2.0], [1.0, 2.0, 3.0]], dims=("draw", "year"),
    ...                  coords={"year": [2020, 2021, 2022]})
    >>> s = summarize(e, target_year=2021)
    >>> float(s.prob_peak_by_target), s.p50.values.tolist(), float(s.prob_peak_by_target_se)
    (0.5, [1.0, 2.5, 2.5], 0.3535533905932738)
    >>> int(s.draws_needed), s.p50_low.attrs["ci_exact"]  # 2 draws: no 95 % interval for a median
    (9604, 0)
    """
    da = _draws(emissions, dim, draw_dim)
    qs = _check_quantiles(quantiles)
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, float, np.integer, np.floating)) \
            or not 0.0 < float(level) < 1.0:
        raise InvalidValueError(f"level: must be a number in (0, 1) (e.g. 0.95), got {show(level)}")
    if target_year is not None and target_year not in da.indexes[dim]:
        raise InputError(f"target_year: {show(target_year)} is not on {show(dim)} ({da[dim].values[0]}..{da[dim].values[-1]})")
    units = da.attrs.get("units", "1")
    years = np.asarray(da[dim].values, dtype=np.float64)
    n_d = int(da.sizes[draw_dim])
    lazy = da.chunks is not None
    if lazy:
        da = da.chunk({draw_dim: -1, dim: -1})
    plain = da.drop_vars([c for c in da.coords if draw_dim in da[c].dims])
    outs = xr.apply_ufunc(
        _summary_blocks, plain, kwargs=dict(years=years, qs=qs, level=float(level), parallel=False if lazy else None),
        input_core_dims=[[draw_dim, dim]],
        output_core_dims=[[dim, "quantile"]] * 3 + [[dim]] * 4 + [[]] * 2,
        dask="parallelized", output_dtypes=[np.float64] * 9,
        dask_gufunc_kwargs={"output_sizes": {"quantile": len(qs)}},
    )
    order = [d for d in da.dims if d != draw_dim]
    quant, low, high, mean, std, peak_p, year_p, cens, median = outs

    def se(p, long_name):
        return np.sqrt(p * (1.0 - p) / n_d).assign_attrs(units="1", long_name=f"standard error of the {long_name} "
                                                          f"(binomial, sqrt(p (1 - p) / {n_d}))")

    out = xr.Dataset()
    for k, v in enumerate(qs):
        lab = _label(v)
        lo_rank, hi_rank, coverage, exact = order_statistic_interval(n_d, v, float(level))
        out[lab] = quant.isel(quantile=k).transpose(*order).assign_attrs(
            units=units, long_name=f"{100 * v:g} % quantile over {draw_dim}s", quantile=v)
        ci = dict(units=units, quantile=v, ci_level=float(level), ci_coverage=coverage, ci_exact=int(exact),
                  ci_ranks=[lo_rank, hi_rank])
        what = f"{100 * level:g} % confidence interval of the {100 * v:g} % quantile"
        out[f"{lab}_low"] = low.isel(quantile=k).transpose(*order).assign_attrs(
            long_name=f"lower bound of the {what} (order statistic {lo_rank} of {n_d})", **ci)
        out[f"{lab}_high"] = high.isel(quantile=k).transpose(*order).assign_attrs(
            long_name=f"upper bound of the {what} (order statistic {hi_rank} of {n_d})", **ci)
    out["sample_mean"] = mean.transpose(*order).assign_attrs(units=units, long_name=f"mean over {draw_dim}s")
    out["sample_std"] = std.transpose(*order).assign_attrs(
        units=units, long_name=f"standard deviation over {draw_dim}s (ddof 0)")
    out["sample_mean_se"] = (out.sample_std / np.sqrt(n_d)).assign_attrs(
        units=units, long_name=f"standard error of the mean over {draw_dim}s (std / sqrt({n_d}))")
    long_pp = f"probability of peaking in this {dim} or earlier"
    out["peak_probability"] = peak_p.transpose(*order).assign_attrs(units="1", long_name=long_pp)
    out["peak_probability_se"] = se(out.peak_probability, long_pp)
    prob = year_p.drop_vars([c for c in year_p.coords if dim in year_p[c].dims]).rename({dim: "peak_year"})
    out["probability"] = prob.assign_coords(peak_year=da[dim].values).assign_attrs(
        units="1", long_name="share of draws peaking in this year")
    out["probability_se"] = se(out.probability, "share of draws peaking in this year")
    long_c = f"share of draws with no peak within {dim} {da[dim].values[0]}-{da[dim].values[-1]}"
    out["censored_share"] = cens.assign_attrs(units="1", long_name=long_c)
    out["censored_share_se"] = se(out.censored_share, long_c)
    out["peak_year_median"] = median.assign_attrs(units=da[dim].attrs.get("units", "year"),
                                                  long_name="median peak year of the draws that peaked")
    if target_year is not None:
        long_t = f"probability of peaking in {target_year} or earlier"
        p = out.peak_probability.sel({dim: target_year}, drop=True)
        out["prob_peak_by_target"] = p.assign_attrs(units="1", long_name=long_t, target_year=target_year)
        out["prob_peak_by_target_se"] = se(p, long_t).assign_attrs(target_year=target_year)
        out["draws_needed"] = draws_needed(p, half_width, level).assign_attrs(target_year=target_year)
    out.attrs.update(n_draws=n_d, **{k: v for k, v in da.attrs.items() if k in ("seed", "method")})
    return out


def draws_needed(p, half_width: float = 0.01, level: float = 0.95):
    """Draws needed to estimate a probability within ± ``half_width`` at confidence ``level``.

    n = ceil(z² p (1 - p) / h²), z = Φ⁻¹((1 + level)/2), the normal approximation to the binomial
    (:func:`fastcarbon.core.draws_needed`).  Give the estimate of a pilot run, e.g.
    ``summarize(...).prob_peak_by_target`` (or 0.5, the worst case).

    Parameters
    ----------
    p : float, array_like or xarray.DataArray
        Probabilities in [0, 1].
    half_width : float
        Wanted half-width, > 0 (default 0.01: ±1 percentage point).
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    numpy.ndarray or xarray.DataArray
        int64 counts; a DataArray (with ``units`` and ``long_name``) for a DataArray ``p``.

    Examples
    --------
    >>> import xarray as xr
    >>> draws_needed(xr.DataArray([0.5, 0.9], dims="scenario")).values.tolist()
    [9604, 3458]
    """
    if isinstance(p, xr.DataArray):
        da = p
        if da.chunks is not None:
            da = da.compute()
        n = core_draws_needed(da.values, half_width, level)
        return da.copy(data=n).assign_attrs(
            units="1", long_name=f"draws needed for +/- {show(half_width)} at {100 * float(level):g} % confidence",
            half_width=float(half_width), level=float(level))
    return core_draws_needed(p, half_width, level)
