"""Bottom-up accounting over labelled data: sector × process × equipment × fuel (001 eqs. 2–4)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from fastcarbon import core
from fastcarbon._build import dataset, is_lazy, variable
from fastcarbon._unit_memo import disk_memo
from fastcarbon._validate import (
    _index_map,
    as_dataarray,
    as_dataset,
    describe_first,
    describe_in_block,
    describe_position,
    label_arrays,
    match_coords,
    pandas_index,
    require_dims,
    require_numeric,
    select_labels,
)
from fastcarbon.errors import InputError, InvalidValueError, OverflowResultError, UnknownLabelError
from fastcarbon.units import parse, scale_to

__all__ = ["bottom_up", "CORE_DIMS"]

#: dims summed over, in the order the kernels read them
CORE_DIMS = ("sector", "process", "equipment", "fuel")
_ACTIVITY_DIMS = CORE_DIMS[:3]


def bottom_up(
    activity: xr.DataArray,
    intensity: xr.DataArray,
    factor: xr.DataArray | xr.Dataset | str,
    *,
    energy_units: str = "tce",
    emissions_units: str = "t CO2",
    parallel: bool | None = None,
) -> xr.Dataset:
    """Energy demand and CO2 emissions of the bottom-up tensor, with breakdowns.

    .. math::

        E = \\sum_m \\sum_i \\sum_j \\sum_n e_{n,j,i,m} \\, P_{m,i,j}, \\qquad
        CE = \\sum_m \\sum_i \\sum_j \\sum_n f_{n,j,i,m} \\, e_{n,j,i,m} \\, P_{m,i,j}

    for industry (``sector``) m, ``process`` i, ``equipment`` j and ``fuel`` n (Dai, Zhang, Chang
    & Meng 2025, "Strategies for achieving carbon neutrality in Chinese metropolitan's industrial
    development: a case study of Chongqing", *Green and Low-Carbon Economy*, eqs. 2–4; the
    LEAP model's activity × intensity demand branches).  All extra dims (``region``, ``year``,
    ``scenario``, ``draw``...) pass through; an input that lacks one is broadcast along it
    without a copy.

    Parameters
    ----------
    activity : xarray.DataArray
        Activity level P with dims ``sector``, ``process``, ``equipment`` (+ any extra dims),
        e.g. product output by equipment.  Must be finite and >= 0.  ``units`` attr optional
        (default dimensionless).
    intensity : xarray.DataArray
        Energy intensity e with dims ``sector``, ``process``, ``equipment``, ``fuel`` (+ extra),
        energy per unit of activity.  Must be finite and >= 0.  ``units`` attr optional (default:
        ``energy_units`` per unit of activity).
    factor : xarray.DataArray, Dataset or str
        Emission factor f per unit of energy, with a ``fuel`` dim and optionally ``sector``,
        ``process``, ``equipment`` and extra dims; a factor given per fuel only is broadcast.
        A factor-set name (``fastcarbon.factors.available()``) or a Dataset uses its
        ``emission_factor`` variable.  Must be finite; negative values (sinks) are allowed.
        Its fuels must include every fuel of ``intensity``.  ``units`` attr optional (default:
        ``emissions_units`` per ``energy_units``).
    energy_units, emissions_units : str
        Units of the outputs; inputs are converted through pint, e.g. GJ → tce, t C → t CO2.
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical results).  Default: serial
        for dask-backed inputs (dask provides the parallelism) and small tensors, parallel above
        :data:`fastcarbon.core.PARALLEL_THRESHOLD` elements.

    Returns
    -------
    xarray.Dataset
        ``energy``, ``emissions`` (extra dims only), ``energy_by_sector``, ``energy_by_fuel``,
        ``emissions_by_sector``, ``emissions_by_fuel``, and the matrices
        ``energy_by_sector_fuel``, ``emissions_by_sector_fuel``; every variable has ``units``
        and ``long_name``.  Dask-backed inputs give dask-backed outputs, identical to eager
        for any chunking of the extra dims.

    Raises
    ------
    MissingDimensionError
        An input lacks a required dim.
    CoordinateMismatchError
        Inputs disagree on the labels of a shared dim.
    UnknownLabelError
        A fuel of ``intensity`` is absent from ``factor``; an unknown factor-set name.
    InputTypeError
        Non-numeric data.
    InvalidValueError
        Negative, NaN or infinite activity or intensity, a NaN or infinite factor; the message
        gives the coordinate labels of the first bad element.
    OverflowResultError
        Finite inputs whose energy or emissions (or a sum of them) exceed the float64 range;
        the message names the output variable and the coordinate labels of the first such
        element.  On dask, raised when computed.
    UnitError
        Units that cannot be parsed or do not combine to energy and emissions.

    Notes
    -----
    One fused pass reads each tensor once, sums in a fixed order and checks the values on the
    way (:mod:`fastcarbon.kernels.accounting`).  A factor that does not vary over process and
    equipment is never expanded to the tensor: CE by sector and fuel is then f × E exactly.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from fastcarbon.accounting import bottom_up
    >>> P = xr.DataArray(np.ones((1, 1, 2)), dims=("sector", "process", "equipment"),
    ...                  coords={"sector": ["steel"]}, attrs={"units": "t"})
    >>> e = xr.DataArray(np.full((1, 1, 2, 2), 0.5), dims=("sector", "process", "equipment", "fuel"),
    ...                  coords={"sector": ["steel"], "fuel": ["coal", "natural_gas"]},
    ...                  attrs={"units": "tce/t"})
    >>> f = xr.DataArray([2.66, 1.56], dims="fuel", coords={"fuel": ["coal", "natural_gas"]},
    ...                  attrs={"units": "t CO2/tce"})
    >>> out = bottom_up(P, e, f)
    >>> float(out.energy), out.energy.attrs["units"]
    (2.0, 'tce')
    >>> round(float(out.emissions), 2), out.emissions.attrs["units"]
    (4.22, 't CO2')
    """
    activity = as_dataarray(activity, "activity")
    intensity = as_dataarray(intensity, "intensity")
    factor = _resolve_factor(factor)
    names = ("intensity", "activity", "factor")
    for da, name in zip((intensity, activity, factor), names):
        require_numeric(da, name)
    require_dims(activity, _ACTIVITY_DIMS, "activity")
    require_dims(intensity, CORE_DIMS, "intensity")
    require_dims(factor, ("fuel",), "factor")
    if "fuel" in activity.dims:
        raise InputError(
            "activity: must not have a 'fuel' dim (activity is per sector, process and "
            "equipment; the fuel split lives in intensity)"
        )
    if "fuel" in _index_map(intensity) and "fuel" in _index_map(factor):
        factor = select_labels(factor, "fuel", pandas_index(intensity, "fuel"), "factor", "emission factor")
    intensity, activity, factor = match_coords((intensity, activity, factor), names)

    k_energy, k_emissions = _unit_scales(activity, intensity, factor, energy_units, emissions_units)

    factor_core = [d for d in CORE_DIMS if d in factor.dims]
    if "process" in factor.dims or "equipment" in factor.dims:
        layout = "full"
        # A factor that varies by process or equipment but not along every core dim is expanded
        # over the missing ones: a copy the size of the factor's own extra dims × the core.
        for d in CORE_DIMS:
            if d not in factor.dims:
                factor = factor.expand_dims({d: intensity.sizes[d]})
                if d in intensity.coords:
                    factor = factor.assign_coords({d: intensity[d]})
        factor_core = list(CORE_DIMS)
    else:
        layout = "sector_fuel" if "sector" in factor.dims else "fuel"

    inputs = (intensity, activity, factor)
    # Extra dims in the order the inputs list them (intensity first), then sector and fuel.
    order = list(dict.fromkeys(d for da in inputs for d in da.dims if d not in CORE_DIMS))
    core_dims = (CORE_DIMS, _ACTIVITY_DIMS, tuple(factor_core))
    kwargs = {"layout": layout, "k_energy": k_energy, "k_emissions": k_emissions}
    if any(is_lazy(da) for da in inputs):
        arrays = _lazy(inputs, core_dims, order, parallel, kwargs)
    else:
        arrays = _eager(inputs, core_dims, order, parallel, kwargs)
    coords, indexes = _output_coords(inputs, set(order) | {"sector", "fuel"})
    units = {"energy": energy_units, "emissions": emissions_units}
    # The outputs are on the inputs' own, already matched, labels: the variables are put together
    # directly (fastcarbon._build), the data variables first, then the coordinates, the order the
    # Dataset constructor lists them in; its merge cost 0.35 ms a call.
    variables = {
        name: variable(
            (*order, *by), arrays[name], {"units": units[name.split("_")[0]], "long_name": long_name}
        )
        for name, (by, long_name) in _OUTPUTS.items()
    }
    variables.update(coords)
    return dataset(variables, set(coords), indexes, {"method": _METHOD})


_METHOD = (
    "bottom-up accounting E = sum e*P, CE = sum f*e*P over sector, process, equipment, fuel "
    "(Dai et al. 2025, Green and Low-Carbon Economy, eqs. 2-4)"
)


#: output variable → (its dims after the extra dims, long_name), in the order of the Dataset
_OUTPUTS = {
    "energy": ((), "energy demand"),
    "emissions": ((), "CO2 emissions"),
    "energy_by_sector": (("sector",), "energy demand by sector"),
    "energy_by_fuel": (("fuel",), "energy demand by fuel"),
    "emissions_by_sector": (("sector",), "CO2 emissions by sector"),
    "emissions_by_fuel": (("fuel",), "CO2 emissions by fuel"),
    "energy_by_sector_fuel": (("sector", "fuel"), "energy demand by sector and fuel"),
    "emissions_by_sector_fuel": (("sector", "fuel"), "CO2 emissions by sector and fuel"),
}


def _compute(intensity, activity, factor, *, layout, k_energy, k_emissions, parallel):
    """numpy in, every output of :data:`_OUTPUTS` out: the tensor pass, units, then the totals."""
    try:
        energy, emissions = core.bottom_up(activity, intensity, factor, factor_layout=layout, parallel=parallel)
    except OverflowResultError as err:  # "energy" or "emissions": the sector × fuel matrices
        raise _renamed(err, f"{err.variable}_by_sector_fuel") from None
    # With a per-fuel factor, energy comes back as a read-only broadcast view; the small copy
    # makes every output an ordinary writable array.
    if not energy.flags.writeable:
        energy = energy.copy()
    # A unit scale > 1 can overflow a matrix; the totals' check below names it.
    with np.errstate(over="ignore"):
        if k_energy != 1.0:
            energy *= k_energy
        if k_energy * k_emissions != 1.0:
            emissions *= k_energy * k_emissions
    out = {"energy_by_sector_fuel": energy, "emissions_by_sector_fuel": emissions}
    for what, matrix in (("energy", energy), ("emissions", emissions)):
        try:
            by_sector, by_fuel, total = core.sector_fuel_totals(matrix, parallel=parallel)
        except OverflowResultError as err:
            names = {"matrix": f"{what}_by_sector_fuel", "by_sector": f"{what}_by_sector",
                     "by_fuel": f"{what}_by_fuel", "total": what}
            raise _renamed(err, names[err.variable]) from None
        out.update({what: total, f"{what}_by_sector": by_sector, f"{what}_by_fuel": by_fuel})
    return out


_OVERFLOW_HINT = "check the units and magnitudes of activity, intensity and factor"


def _renamed(err: OverflowResultError, variable: str) -> OverflowResultError:
    """The core's overflow report under the name of the labelled output it lands in."""
    return OverflowResultError(variable, err.index, err.value, hint=_OVERFLOW_HINT)


def _eager(inputs, core_dims, order, parallel, kwargs) -> dict[str, np.ndarray]:
    """Call the numpy API directly: the inputs were validated and their labels matched above, so
    apply_ufunc's alignment (about 4 ms on the large benchmark case) would only repeat that work."""
    arrays = []
    for da, cdims in zip(inputs, core_dims):
        own = [d for d in order if d in da.dims]
        sizes = dict(zip(da.dims, da.shape))
        data = np.transpose(da.data, [da.dims.index(d) for d in (*own, *cdims)])
        # Missing extra dims become length-1 axes (a view), so the numpy API broadcasts them.
        arrays.append(data.reshape(tuple(sizes.get(d, 1) for d in order) + data.shape[len(own):]))
    try:
        return _compute(*arrays, parallel=parallel, **kwargs)
    except core.BadValueError as err:
        raise _labelled_bad_value(err, dict(zip(("intensity", "activity", "factor"), inputs))) from None
    except OverflowResultError as err:
        # the index runs over the output's dims: the extra dims in ``order``, then its own
        dims = [*order, *_OUTPUTS[err.variable][0]]
        labels = []
        for d in dims:
            holder = next((da for da in inputs if d in da.xindexes), None)
            labels.append(None if holder is None else np.array(pandas_index(holder, d).tolist()))
        raise OverflowResultError(err.variable, err.index, err.value, describe_position(dims, labels, err.index),
                                  err.hint) from None


def _lazy(inputs, core_dims, order, parallel, kwargs) -> dict[str, np.ndarray]:
    """One ``apply_ufunc(dask="parallelized")`` over the blocks of the extra dims.

    Each extra dim's labels travel with the graph as a small 1-D array chunked like the data, so a
    bad value found while computing a block is reported by its coordinate labels, not by its
    position within the block.
    """
    labels, has_labels = [], []
    for d in order:
        holder = next(da for da in inputs if d in da.dims)
        (lab,), (has,) = label_arrays(holder, [d])
        labels.append(lab)
        has_labels.append(has)
    names = [f"{what}_by_sector_fuel" for what in ("energy", "emissions")] + [
        name for name in _OUTPUTS if not name.endswith("sector_fuel")
    ]
    spec = {
        "order": order,
        # each input's extra dims in its own order, the order an error message names them in
        "own": [[d for d in da.dims if d in order] for da in inputs],
        "has_labels": has_labels,
        "core_labels": {
            d: (inputs[0][d].values, True) if d in inputs[0].coords else (np.arange(inputs[0].sizes[d]), False)
            for d in CORE_DIMS
        },
        "core_dims": core_dims,
    }

    def block(intensity, activity, factor, *label_blocks):
        try:
            # Serial kernels inside dask tasks unless the caller forces it: dask is the parallelism.
            out = _compute(intensity, activity, factor, parallel=bool(parallel), **kwargs)
        except core.BadValueError as err:
            raise _block_bad_value(err, label_blocks, spec) from None
        except OverflowResultError as err:
            raise _block_overflow(err, label_blocks, spec) from None
        return tuple(out[name] for name in names)

    results = xr.apply_ufunc(
        block,
        *inputs,
        *labels,
        input_core_dims=[list(c) for c in core_dims] + [[] for _ in labels],
        output_core_dims=[list(_OUTPUTS[name][0]) for name in names],
        dask="parallelized",
        output_dtypes=[np.float64] * len(names),
        dask_gufunc_kwargs={"allow_rechunk": True},
    )
    return {name: r.transpose(*order, *_OUTPUTS[name][0]).data for name, r in zip(names, results)}


def _block_bad_value(err: core.BadValueError, label_blocks, spec) -> InvalidValueError:
    """A bad value found in one dask block, stated with the coordinate labels of the whole array."""
    which = ("intensity", "activity", "factor").index(err.variable)
    own, cdims = spec["own"][which], spec["core_dims"][which]
    # apply_ufunc hands each block its input with the extra dims in ``order`` (length 1 where the
    # input lacks one, leading ones possibly dropped), then the core dims.
    n_extra = len(err.index) - len(cdims)
    extra_idx, core_idx = err.index[:n_extra], err.index[n_extra:]
    passed = spec["order"][len(spec["order"]) - n_extra :]
    blocks = {}
    for d, k in zip(passed, extra_idx):
        j = spec["order"].index(d)
        blocks[d] = (label_blocks[j], spec["has_labels"][j], k)
    for d, k in zip(cdims, core_idx):
        blocks[d] = (*spec["core_labels"][d], k)
    dims = [d for d in own] + list(cdims)
    where = describe_in_block(dims, *zip(*(blocks[d] for d in dims)))
    return InvalidValueError(err.describe(where))


def _block_overflow(err: OverflowResultError, label_blocks, spec) -> OverflowResultError:
    """An output overflow found in one dask block, stated with the labels of the whole array.

    The block's outputs have every extra dim of ``order`` (size 1 where the block's inputs all
    lack it), then the variable's own sector / fuel dims, which the block holds whole."""
    own = _OUTPUTS[err.variable][0]
    n_extra = len(err.index) - len(own)
    order = spec["order"][len(spec["order"]) - n_extra:]
    parts = [(label_blocks[spec["order"].index(d)], spec["has_labels"][spec["order"].index(d)], k)
             for d, k in zip(order, err.index[:n_extra])]
    parts += [(*spec["core_labels"][d], k) for d, k in zip(own, err.index[n_extra:])]
    where = describe_in_block([*order, *own], *zip(*parts))
    return OverflowResultError(err.variable, err.index, err.value, where, err.hint)


def _output_coords(inputs, out_dims: set) -> tuple[dict, dict]:
    """Coordinates of the inputs that live on the output's dims (first input wins), as shallow
    copies (attrs and all), with the inputs' own index objects, so that nothing is rebuilt."""
    variables, indexes = {}, {}
    for da in inputs:
        # .variables: the coordinate Variables as they are; .items() would build a DataArray for
        # each (0.75 ms a call on the large benchmark case, measured)
        own_indexes = _index_map(da)
        for name, var in da.coords.variables.items():
            if name not in variables and set(var.dims) <= out_dims:
                variables[name] = var.copy(deep=False)
                if name in own_indexes:
                    indexes[name] = own_indexes[name]
    return variables, indexes


def _resolve_factor(factor) -> xr.DataArray:
    if isinstance(factor, str):
        from fastcarbon import factors as factor_sets

        factor = factor_sets.load(factor)
    if isinstance(factor, xr.Dataset):
        factor = as_dataset(factor, "factor")
        if "emission_factor" not in factor.data_vars:
            raise UnknownLabelError(
                f"factor: the Dataset has no 'emission_factor' variable (it has "
                f"{list(factor.data_vars)}); pass the DataArray of emission factors instead"
            )
        factor = factor["emission_factor"]
    return as_dataarray(factor, "factor")


def _unit_scales(activity, intensity, factor, energy_units, emissions_units) -> tuple[float, float]:
    """Multipliers that bring activity × intensity to ``energy_units`` and energy × factor to
    ``emissions_units``; missing ``units`` attrs take the documented defaults."""
    args = (activity.attrs.get("units"), intensity.attrs.get("units"), factor.attrs.get("units"),
            energy_units, emissions_units)
    if not all(u is None or isinstance(u, str) for u in args):
        # Not hashable, or not a string at all: skip the cache and let parse() say what is wrong.
        return _unit_scales_of.__wrapped__(*args)
    return _unit_scales_of(*args)


@disk_memo
def _unit_scales_of(activity, intensity, factor, energy_units, emissions_units) -> tuple[float, float]:
    # Memoised on the unit strings, in the process and on disk (fastcarbon._unit_memo): pint's
    # arithmetic costs ~0.1 ms a call, and building pint's registry ~0.05 s of a new process's
    # first call.
    # A failing combination raises and is not stored.
    def units_of(units, name, default):
        return default if units is None else parse(units, what=name)

    # the output units first, so a bad one is named as the argument, not as a product
    energy = parse(energy_units, what="energy_units")
    emissions = parse(emissions_units, what="emissions_units")
    a = units_of(activity, "activity", parse("1"))
    e = units_of(intensity, "intensity", energy / a)
    f = units_of(factor, "factor", emissions / energy)
    k_energy = scale_to(a * e, energy_units, what="activity × intensity (energy)")
    k_emissions = scale_to(energy * f, emissions_units, what="energy × factor (emissions)")
    return k_energy, k_emissions


def _labelled_bad_value(err: core.BadValueError, inputs: dict[str, xr.DataArray]) -> InvalidValueError:
    """Re-state a kernel's bad-value report with the coordinate labels of the offending input.

    Only runs on the error path, so locating the element again costs nothing in normal use.
    """
    da = inputs[err.variable]
    values = da.values
    where, value = describe_first(da, ~np.isfinite(values) if err.variable == "factor" else ~((values >= 0) & (values < np.inf)))
    return InvalidValueError(err.describe(where, value))
