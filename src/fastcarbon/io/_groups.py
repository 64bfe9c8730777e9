"""Detailed fuels summed into a factor set's groups: :func:`group_fuels`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from fastcarbon import names as _names
from fastcarbon._format import show, show_list
from fastcarbon._validate import as_dataarray, require_dims, require_numeric
from fastcarbon.errors import InputTypeError, UnknownLabelError

__all__ = ["fuel_groups", "group_fuels"]


def fuel_groups(factor_set: str) -> dict[str, str]:
    """The shipped mapping detailed fuel → fuel of ``factor_set`` (hj2021, bengbu2023, ipcc2006,
    gbt2589); see :func:`fastcarbon.names.fuel_groups` and ``data/fuel_groups.toml`` for the
    source and rationale of each set's groups.

    Examples
    --------
    >>> from fastcarbon.io import fuel_groups
    >>> g = fuel_groups("hj2021")
    >>> g["coke"], g["diesel"], g["lng"], "electricity" in g
    ('coal', 'refined_oil', 'natural_gas', False)
    """
    return _names.fuel_groups(factor_set)


def group_fuels(da: xr.DataArray, groups: str | Mapping, dim: str = "fuel") -> xr.DataArray:
    """Sum detailed fuels into groups: ``out[g] = Σ_{j: group(j) = g} da[j]``.

    Parameters
    ----------
    da : xarray.DataArray
        Fuel use (or emissions) with a ``dim`` dim whose labels are canonical fuel names (as
        :func:`fastcarbon.io.read_table` gives them).  Summing adds quantities, so ``da`` must be
        in one unit for every fuel (an energy such as tce, not tonnes of coal with m**3 of gas).
    groups : str or dict
        A factor set with a shipped grouping (:func:`fuel_groups`) or a dict detailed fuel →
        group.  A fuel the dict omits is an error, so nothing is dropped silently; map a fuel to
        itself to keep it.
    dim : str, default "fuel"
        The dim to group.

    Returns
    -------
    xarray.DataArray
        ``da`` with ``dim`` holding the groups (in first-seen order); attrs (``units``,
        ``long_name``) kept; a NaN in a group's fuels makes the group NaN.

    Raises
    ------
    UnknownLabelError
        A fuel of ``da`` has no group (the message lists them and the mapping's fuels).

    Examples
    --------
    >>> import xarray as xr
    >>> from fastcarbon.io import group_fuels
    >>> use = xr.DataArray([60.0, 40.0, 7.0, 3.0], dims="fuel", attrs={"units": "10**4 tce"},
    ...                    coords={"fuel": ["coal", "coke", "diesel", "lpg"]})
    >>> out = group_fuels(use, "hj2021")
    >>> out.fuel.values.tolist(), out.values.tolist(), out.attrs["units"]
    (['coal', 'refined_oil'], [100.0, 10.0], '10**4 tce')
    """
    da = as_dataarray(da, "da")
    require_numeric(da, "da")
    require_dims(da, (dim,), "da")
    if isinstance(groups, str):
        mapping, source = _names.fuel_groups(groups), f"the {groups} grouping"
    elif isinstance(groups, Mapping):
        mapping, source = dict(groups), "groups"
    else:
        raise InputTypeError(
            f"groups: expected a factor-set name ({_names.grouped_sets()}) or a dict of fuel -> group, "
            f"got {type(groups).__name__}"
        )
    if dim not in da.indexes:
        raise UnknownLabelError(f"da: dim {show(dim)} has no labels; label it with fuel names")
    fuels = list(da.indexes[dim])
    missing = [f for f in fuels if f not in mapping]
    if missing:
        raise UnknownLabelError(
            f"groups: no group for {dim}(s) {show_list(missing)} in {source}; it maps "
            f"{show_list(list(mapping), limit=10)}. Add them to a dict of fuel -> group "
            f"(e.g. {{**fuel_groups(...), {show(missing[0])}: '<group>'}}), or drop them"
        )
    labels = np.array([mapping[f] for f in fuels], dtype=object)
    order = list(dict.fromkeys(labels))
    # groupby sorts its groups; the result keeps first-seen order so tables read as written.
    out = da.assign_coords({"_group": (dim, labels)}).groupby("_group").sum(dim, skipna=False)
    out = out.rename({"_group": dim}).sel({dim: order})
    out = out.assign_coords({dim: np.array(order, dtype=str)}).transpose(*da.dims)
    return out.assign_attrs(da.attrs)
