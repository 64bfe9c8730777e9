"""Monte Carlo of scenario emissions, labelled API: draws along a new ``draw`` dim, eager or dask."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import xarray as xr

from fastcarbon._build import IndexedCoord, dataarray, dataset, variable
from fastcarbon._format import show
from fastcarbon._unit_memo import disk_memo
from fastcarbon._validate import (
    _index_map,
    as_dataarray,
    as_dataset,
    check_time,
    describe_element,
    match_coords,
    require_numeric,
)
from fastcarbon.core import montecarlo as core_mc
from fastcarbon.core.montecarlo import Noise
from fastcarbon.errors import InputError, InputTypeError, MissingDimensionError
from fastcarbon.units import format_units, parse, scale_to

__all__ = ["monte_carlo", "Noise"]

#: the default of ``independent``: regions keyed by their labels, where a ``region`` dim exists
DEFAULT_INDEPENDENT = ("region",)


def _units(units: tuple, emissions_units: str | None) -> tuple[float, str]:
    """The scale from the inputs' ``(units, name)`` product to ``emissions_units`` and the output
    units, memoised on the strings in the process and on disk (fastcarbon._unit_memo: pint's
    parsing and arithmetic cost ~0.2 ms, the same every call, and building pint's registry ~0.05 s
    of a new process's first call)."""
    try:
        return _units_of(units, emissions_units)
    except TypeError:  # an attr that is not hashable: parse() says what is wrong with it
        return _units_of.__wrapped__(units, emissions_units)


@disk_memo
def _units_of(units: tuple, emissions_units: str | None) -> tuple[float, str]:
    parsed = [parse(u, what=n) for u, n in units]
    product = parsed[0]
    for q in parsed[1:]:
        product = product * q
    if emissions_units is not None:
        parse(emissions_units, what="emissions_units")  # named as the argument, not the product
        return scale_to(product, emissions_units, what=" × ".join(n for _, n in units)), emissions_units
    return 1.0, (format_units(product.units) if product.magnitude == 1
                 else f"{product.magnitude:g} {format_units(product.units)}")


def _broadcast(arrays: list[xr.DataArray]) -> list[xr.DataArray]:
    """``xr.broadcast(*arrays)`` for inputs whose shared dims already carry the same labels
    (:func:`match_coords`): each array on every dim, in first-seen order, with its own coordinates
    and every array's index coordinates.  Nothing to align, so none of xr.broadcast's reindexing
    and copies (~1.4 ms a call, most of a small call)."""
    sizes, common, common_indexes = {}, {}, {}
    for da in arrays:
        indexes = _index_map(da)
        for d, n in zip(da.dims, da.shape):
            if d not in sizes:
                sizes[d] = n
                if d in indexes:
                    common[d], common_indexes[d] = da.coords.variables[d], indexes[d]
    out = []
    for da in arrays:
        if tuple(sizes) == da.dims:
            out.append(da)
            continue
        own = _index_map(da)
        coords = {**da.coords.variables, **common}
        indexes = {**{k: v for k, v in own.items() if k in coords}, **common_indexes}
        out.append(dataarray(da.variable.set_dims(sizes), coords, indexes, da.name))
    return out


def _stream_keys(bc, batch, independent, dims_given: bool, dim, sector_dim):
    """The stream key of every batch cell (uint64, in ``batch`` order) and the dims used."""
    if isinstance(independent, (str, bytes)) or not isinstance(independent, (tuple, list)):
        raise InputTypeError(f"independent: must be a tuple of dim names (e.g. ('region',), or () for one noise "
                             f"shared by every batch row), got {show(independent)}")
    used = []
    for d in independent:
        if d in (dim, sector_dim):
            raise InputError(f"independent: {show(d)} is the {'year' if d == dim else 'sector'} dim; streams are "
                             f"keyed by batch dims (e.g. region), got {show(tuple(independent))}")
        if d not in batch:
            if not dims_given:
                continue  # the default: regions are independent where there are regions
            raise MissingDimensionError(f"independent: no input has the dim {show(d)}; batch dims: {batch}")
        if d not in bc[0].indexes:
            raise InputError(f"independent: the dim {show(d)} has no coordinate labels; streams are keyed by labels "
                             f"(not positions), so assign them, e.g. .assign_coords({d}=[...])")
        if d not in used:
            used.append(d)
    if not used:
        return None, ()
    keys = []
    for d in used:
        k = core_mc.label_keys(bc[0].indexes[d])
        shape = [1] * len(batch)
        shape[batch.index(d)] = k.shape[0]
        keys.append(k.reshape(shape))
    return core_mc.combine_keys(*keys), tuple(used)


def _input(scenarios, value, name: str) -> xr.DataArray | None:
    if value is None:
        return None
    if isinstance(value, str):
        if scenarios is None or value not in scenarios.data_vars:
            have = [] if scenarios is None else list(scenarios.data_vars)
            raise InputError(f"{name}: no variable {show(value)} in the scenarios Dataset; it has {have}")
        value = scenarios[value]
    da = as_dataarray(value, name)
    require_numeric(da, name)
    return da


def monte_carlo(
    scenarios: xr.Dataset | None = None,
    n_draws: int = 1000,
    *,
    seed: int,
    activity: str | xr.DataArray = "gdp",
    intensity: str | xr.DataArray = "carbon_intensity",
    factor: str | xr.DataArray | None = None,
    activity_noise: Noise | None = None,
    intensity_noise: Noise | None = Noise("lognormal", 0.1, on="rate"),
    factor_noise: Noise | None = None,
    dim: Hashable = "year",
    sector_dim: Hashable = "sector",
    by_sector: bool = False,
    emissions_units: str | None = None,
    chunks: int | None = None,
    draw_offset: int = 0,
    parallel: bool | None = None,
    independent: tuple[Hashable, ...] = DEFAULT_INDEPENDENT,
    stream_correlation: float = 0.0,
) -> xr.Dataset:
    """Monte Carlo draws of scenario emissions under uncertain intensity (activity, factor) paths.

    Each draw perturbs the trajectories with multiplicative noise — on the annual reduction
    rates of ``intensity`` (001 Table 1's schedules, Dai et al. 2025) or on levels, AR(1)
    over years, correlated across sectors — and computes

    .. math::

        E_{d,\\ldots,t} = \\sum_m (A'_{d,\\ldots,m,t}\\, I'_{d,\\ldots,m,t})\\, F'_{d,\\ldots,m,t}

    (:func:`fastcarbon.core.montecarlo.monte_carlo`; noise formulas and the random-number
    layout in :mod:`fastcarbon.kernels.montecarlo` and :mod:`fastcarbon.kernels.random`).
    Random numbers come from Philox4x32-10 (Salmon et al. 2011) keyed by (seed, draw id,
    variate index): the result is bit-identical for any ``chunks``, thread count, dask worker
    count or retried task.  Every scenario of a draw sees the same noise (common random
    numbers), so differences between scenarios are not blurred by sampling noise.

    Regions (the dims in ``independent``) draw from their own random streams, keyed by
    (seed, :func:`~fastcarbon.core.montecarlo.label_key` of the region's label, draw, variate):
    independent of each other, and unchanged bit for bit when other regions are added, removed
    or reordered.  ``stream_correlation`` ρ correlates them through a shared factor
    (ε = sqrt(ρ) ε_shared + sqrt(1 - ρ) ε_region; :mod:`fastcarbon.kernels.montecarlo`).

    Parameters
    ----------
    scenarios : xarray.Dataset, optional
        E.g. :func:`fastcarbon.studies.chongqing.chongqing_scenarios` or
        :meth:`fastcarbon.scenarios.ScenarioSet.build`; needed when variables are named.
    n_draws : int
        Number of draws.
    seed : int
        Integer in [0, 2**64).
    activity, intensity, factor : str or xarray.DataArray
        Variable names in ``scenarios`` or DataArrays; dims broadcast (``dim`` required
        somewhere, ``sector_dim`` optional, anything else — scenario, region — is batched).
        ``factor`` (optional) is a third multiplicative input, e.g. sector shares.
    activity_noise, intensity_noise, factor_noise : Noise or None
        The noise of each variable (:class:`~fastcarbon.core.montecarlo.Noise`); None: fixed.
        Default: lognormal noise with σ = 0.1 on the intensity's annual reduction rates.
    dim, sector_dim : hashable
        The year dim and the sector dim.
    by_sector : bool
        Also return ``emissions_by_sector``.
    emissions_units : str, optional
        Output units; the inputs' ``units`` attrs are combined with pint and converted (a
        conversion other than 1 multiplies ``factor``).  Default: the units of the product.
    chunks : int, optional
        Draws per dask chunk: the outputs are dask-backed and nothing is computed yet.
    draw_offset : int
        Global id of the first draw (``draw`` coordinate = draw_offset, draw_offset + 1, ...).
    parallel : bool, optional
        Serial or multi-threaded kernel (bit-identical); dask chunks always run serial.
    independent : tuple of hashable
        Batch dims whose labels key separate random streams (several dims: one stream per
        combination, :func:`~fastcarbon.core.montecarlo.combine_keys`); batch cells that differ
        only in other dims (scenarios) share their noise.  Default ``("region",)``, applied
        where a ``region`` dim exists (without one, the default changes nothing); ``()``: one
        noise shared by every batch cell, as before streams existed.  A dim named explicitly
        must be a batch dim of some input and carry coordinate labels.
    stream_correlation : float
        ρ in [0, 1]: the correlation of different streams' innovations (0: independent, 1: the
        shared noise).  No effect when no stream dim applies.

    Returns
    -------
    xarray.Dataset
        ``emissions`` (draw, batch dims..., ``dim``) and, with ``by_sector``,
        ``emissions_by_sector`` (draw, batch..., sector, ``dim``), with ``units``,
        ``long_name`` and the seed and noises in ``attrs``.

    Raises
    ------
    MissingDimensionError
        No input has ``dim``.
    InputError, InputTypeError
        Unknown variables, non-numeric data, bad seed or noise (see the numpy API).
    MissingDimensionError
        A dim named in ``independent`` that no input has.
    InputError
        ``independent`` naming the year or sector dim, or a dim without coordinate labels.
    MonteCarloValueError
        A value the noise cannot use (non-finite; negative or rising from 0 under
        ``on="rate"``), named by the coordinate labels of the input it is in, in that input's
        own dims: ``intensity: bad value inf at scenario='RS', sector='steel', year=2031``.

    Examples
    --------
    >>> import xarray as xr
    >>> from fastcarbon.studies.chongqing import chongqing_scenarios
    >>> ds = chongqing_scenarios()
    >>> mc = monte_carlo(ds, 200, seed=1, emissions_units="Mt CO2", intensity_noise=Noise("lognormal", 0.2, on="rate", ar1=0.7))
    >>> mc.emissions.dims, mc.emissions.attrs["units"]
    (('draw', 'scenario', 'year'), 'Mt CO2')
    >>> lazy = monte_carlo(ds, 200, seed=1, chunks=50, intensity_noise=Noise("lognormal", 0.2, on="rate", ar1=0.7))
    >>> lazy.emissions.chunks[0], bool((lazy.emissions.compute() == mc.emissions).all())
    ((50, 50, 50, 50), True)

    Two regions with the same paths draw independently; each keeps its draws without the other:

    >>> two = ds.expand_dims(region=["Chongqing", "Chengdu"])
    >>> mc2 = monte_carlo(two, 200, seed=1)
    >>> bool((mc2.emissions.sel(region="Chongqing") != mc2.emissions.sel(region="Chengdu")).any())
    True
    >>> one = monte_carlo(two.sel(region=["Chengdu"]), 200, seed=1)
    >>> bool((one.emissions == mc2.emissions.sel(region=["Chengdu"])).all()), mc2.attrs["independent"]
    (True, 'region')
    """
    if scenarios is not None:
        scenarios = as_dataset(scenarios, "scenarios", "trajectories")
    names = ["activity", "intensity", "factor"]
    das = [_input(scenarios, v, n) for v, n in zip((activity, intensity, factor), names)]
    if das[0] is None or das[1] is None:
        raise InputError("activity and intensity: both are needed (a variable name or a DataArray)")
    present = [(da, n) for da, n in zip(das, names) if da is not None]
    if not any(dim in da.dims for da, _ in present):
        raise MissingDimensionError(
            f"none of {[n for _, n in present]} has the year dim {show(dim)}; dims: "
            + ", ".join(f"{n} {list(da.dims)}" for da, n in present))
    given = dict(zip(names, (activity, intensity, factor)))
    for da, n in present:  # rate noise and the AR(1) step year on year, forwards in time
        if dim in da.dims:
            check_time(da, dim, f"scenarios[{show(given[n])}]" if isinstance(given[n], str) else n, "annual",
                       required=False)
    aligned = match_coords([da for da, _ in present], [n for _, n in present])
    scale, out_units = _units(tuple((da.attrs.get("units", "1"), n) for da, n in present), emissions_units)
    bc = _broadcast(aligned)
    batch = [d for d in bc[0].dims if d not in (dim, sector_dim)]
    streams, stream_dims = _stream_keys(bc, batch, independent, independent is not DEFAULT_INDEPENDENT, dim,
                                        sector_dim)
    has_sector = sector_dim in bc[0].dims
    order = [*batch, *([sector_dim] if has_sector else []), dim]
    arrays = [np.asarray(a.variable.transpose(*order).values, dtype=np.float64) for a in bc]
    if not has_sector:
        arrays = [a[..., None, :] for a in arrays]
    if scale != 1.0:
        if len(arrays) == 2:
            arrays.append(np.full((1, 1), scale))
        else:
            arrays[2] = arrays[2] * scale
    act, inten = arrays[0], arrays[1]
    fac = arrays[2] if len(arrays) == 3 else None
    noises = dict(activity_noise=activity_noise, intensity_noise=intensity_noise, factor_noise=factor_noise)

    # Validate eagerly, also on the dask path: one draw costs microseconds and raises what the
    # chunks would raise at compute time.
    try:
        core_mc.monte_carlo(act, inten, fac, n_draws=1, seed=seed, draw_offset=draw_offset, streams=streams,
                            stream_correlation=stream_correlation, **noises)
    except core_mc.MonteCarloValueError as err:
        # the core's index runs over the broadcast (batch..., sector, year) array it was given:
        # state it by the labels of the user's own input, in its own dims
        axes = [*batch, sector_dim if has_sector else None, dim]
        user = dict(zip((n for _, n in present), aligned))[err.variable]
        pos = dict(zip(axes, err.index))
        where, value = describe_element(user, pos)
        # a variable of the scenarios Dataset is named as the user picked it: scenarios['gdp']
        shown = f"scenarios[{show(given[err.variable])}]" if isinstance(given[err.variable], str) else err.variable
        raise core_mc.MonteCarloValueError(shown, tuple(pos[d] for d in user.dims), value, err.rise,
                                           err.rate, where=where) from None
    if isinstance(n_draws, (bool, np.bool_)) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise InputTypeError(f"n_draws: must be an integer >= 1, got {show(n_draws)}")
    n_draws = int(n_draws)
    seed = core_mc.check_seed(seed)
    draw_offset = core_mc.check_seed(draw_offset, "draw_offset")
    n_m, n_t = act.shape[-2:]
    batch_shape = act.shape[:-2]

    def run(start: int, size: int, par) -> np.ndarray:
        r = core_mc.monte_carlo(act, inten, fac, n_draws=size, seed=seed, draw_offset=draw_offset + start,
                                by_sector=by_sector, parallel=par, streams=streams,
                                stream_correlation=stream_correlation, **noises)
        if not by_sector:
            return r.emissions
        return np.concatenate([r.emissions_by_sector, r.emissions[..., None, :]], axis=-2)

    shape_tail = (*batch_shape, n_m + 1, n_t) if by_sector else (*batch_shape, n_t)
    if chunks is None:
        data = run(0, n_draws, parallel)
    else:
        import dask
        import dask.array as dsa

        if isinstance(chunks, (bool, np.bool_)) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
            raise InputTypeError(f"chunks: must be a number of draws per chunk (int >= 1), got {show(chunks)}")
        blocks = []
        for start in range(0, n_draws, int(chunks)):
            size = min(int(chunks), n_draws - start)
            task = dask.delayed(run, pure=True)(start, size, False)
            blocks.append(dsa.from_delayed(task, shape=(size, *shape_tail), dtype=np.float64))
        data = dsa.concatenate(blocks, axis=0)

    # The outputs on the broadcast inputs' own index coordinates and a new draw coordinate, put
    # together directly (fastcarbon._build): the DataArray and Dataset constructors cost ~0.5 ms.
    first = bc[0].coords.variables
    first_indexes = _index_map(bc[0])

    def coord(d):
        if d in first_indexes:
            return first[d].copy(deep=False), first_indexes[d]
        return IndexedCoord.of(d, first[d].values).get()  # a coordinate without an index (rare)

    variables, indexes = {}, {}
    for d in [*batch, dim]:
        if d in first:
            variables[d], indexes[d] = coord(d)
    draws = IndexedCoord.of("draw", np.arange(draw_offset, draw_offset + n_draws))
    variables["draw"], indexes["draw"] = draws.get()
    coord_names = set(variables)
    what = "CO2 emissions" if scenarios is None else "emissions"
    total = data[..., n_m, :] if by_sector else data
    variables["emissions"] = variable(("draw", *batch, dim), total,
                                      {"units": out_units, "long_name": f"{what}, Monte Carlo draws"})
    if by_sector:
        if sector_dim in first:
            variables[sector_dim], indexes[sector_dim] = coord(sector_dim)
            coord_names.add(sector_dim)
        variables["emissions_by_sector"] = variable(
            ("draw", *batch, sector_dim, dim), data[..., :n_m, :],
            {"units": out_units, "long_name": f"{what} by sector, Monte Carlo draws"})
    ds = dataset(variables, coord_names, indexes, {})
    ds.attrs.update(
        method=("Monte Carlo: activity x intensity x factor with multiplicative noise (rates or levels, AR(1) over "
                "years, correlated across sectors); Philox4x32-10 keyed by (seed, stream, draw, variate index)"),
        seed=seed, draw_offset=draw_offset,
        independent=", ".join(str(d) for d in stream_dims),
        streams=(f"one stream per label of {', '.join(map(str, stream_dims))} (key: label_key of the label), "
                 f"stream_correlation {float(stream_correlation):g}" if stream_dims
                 else "one noise shared by every batch row (common random numbers)"),
        stream_correlation=float(stream_correlation),
        **{k: repr(v) for k, v in noises.items()},
    )
    return ds
