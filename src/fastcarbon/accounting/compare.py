"""Energy-saving and carbon-mitigation potentials between scenarios (001 eqs. 5–6)."""

from __future__ import annotations

import xarray as xr

from fastcarbon._format import show, show_list
from fastcarbon._validate import as_dataset, screen
from fastcarbon.errors import MissingDimensionError, UnknownLabelError

__all__ = ["potentials"]

_NEEDED = ("energy", "emissions", "energy_by_sector", "emissions_by_sector")


def potentials(result: xr.Dataset, reference, dim: str = "scenario") -> xr.Dataset:
    """Energy-saving and carbon-mitigation potentials of each scenario against a reference.

    .. math::

        ESP_a = \\frac{E_0 - E_a}{E_0}, \\qquad CMP_a = \\frac{CE_0 - CE_a}{CE_0}

    (Dai et al. 2025, *Green and Low-Carbon Economy*, eqs. 5–6), and each sector's share of the
    total reduction, :math:`(CE_{0,m} - CE_{a,m}) / (CE_0 - CE_a)` (the paper's Figs. 5–6),
    likewise for energy.  Computed for every other dim of ``result`` (year, region...).

    Parameters
    ----------
    result : xarray.Dataset
        Output of :func:`fastcarbon.accounting.bottom_up` with a ``dim`` dimension (or any Dataset
        with ``energy``, ``emissions``, ``energy_by_sector`` and ``emissions_by_sector``).
    reference : label
        The reference scenario (index 0 in the equations), a label along ``dim``.
    dim : str
        The scenario dimension.

    Returns
    -------
    xarray.Dataset
        ``esp``, ``cmp`` (fractions, units "1"), ``energy_saving`` and ``emission_reduction``
        (E0 − Ea and CE0 − CEa in the result's units), ``energy_saving_share`` and
        ``emission_reduction_share`` by sector (fractions of the total).  A share is NaN where
        the total reduction is exactly zero (the reference against itself, an identical
        scenario): there is no reduction to divide, and the ``note`` attr says so.  ESP and CMP
        are NaN where the reference itself is zero.

    Raises
    ------
    InvalidValueError
        A NaN or infinite value in one of the variables used (named with its labels; on dask,
        when computed).

    Examples
    --------
    >>> import xarray as xr
    >>> from fastcarbon.accounting import potentials
    >>> r = xr.Dataset({
    ...     "energy": ("scenario", [100.0, 80.0]), "emissions": ("scenario", [200.0, 150.0]),
    ...     "energy_by_sector": (("scenario", "sector"), [[60.0, 40.0], [50.0, 30.0]]),
    ...     "emissions_by_sector": (("scenario", "sector"), [[120.0, 80.0], [100.0, 50.0]])},
    ...     coords={"scenario": ["RS", "AP"], "sector": ["steel", "chemical"]})
    >>> out = potentials(r, reference="RS")
    >>> float(out.cmp.sel(scenario="AP")), out.emission_reduction_share.sel(scenario="AP").values.tolist()
    (0.25, [0.4, 0.6])
    """
    result = as_dataset(result, "result", "bottom_up results (the Dataset bottom_up returns)")
    missing = [v for v in _NEEDED if v not in result.data_vars]
    if missing:
        raise UnknownLabelError(
            f"result: missing variable(s) {missing}; potentials needs {list(_NEEDED)} "
            f"(as returned by fastcarbon.accounting.bottom_up)"
        )
    if dim not in result.dims:
        raise MissingDimensionError(
            f"result: no {show(dim)} dimension to compare scenarios along; it has dims {list(result.dims)}"
        )
    labels = result.indexes[dim] if dim in result.indexes else None
    if labels is None or reference not in labels:
        raise UnknownLabelError(
            f"reference: {show(reference)} is not a label of {show(dim)}; "
            f"available: {show_list(labels) if labels is not None else 'none (no coordinate)'}"
        )

    # A result built elsewhere may hold ±inf or NaN: a potential computed from it would be a
    # silent NaN or ±inf.  bottom_up's own results are finite (it raises otherwise).
    result = result.assign({v: screen(result[v], f"result[{show(v)}]") for v in _NEEDED})
    ref = result.sel({dim: reference})
    out = xr.Dataset()
    for total, by_sector, pot, absolute, share, what in (
        ("energy", "energy_by_sector", "esp", "energy_saving", "energy_saving_share", "energy saving"),
        ("emissions", "emissions_by_sector", "cmp", "emission_reduction", "emission_reduction_share", "emission reduction"),
    ):
        units = result[total].attrs.get("units", "")
        cut = ref[total] - result[total]
        cut_by_sector = ref[by_sector] - result[by_sector]
        out[absolute] = cut.assign_attrs(units=units, long_name=f"{what} against {show(reference)}")
        out[pot] = (cut / ref[total].where(ref[total] != 0)).assign_attrs(
            units="1",
            long_name=("energy-saving potential" if pot == "esp" else "carbon-mitigation potential")
            + f" against {show(reference)} (Dai et al. 2025, eq. {5 if pot == 'esp' else 6})",
        )
        out[share] = (cut_by_sector / cut.where(cut != 0)).assign_attrs(
            units="1",
            long_name=f"sector share of the total {what} against {show(reference)}",
            note="NaN where the total reduction is zero (e.g. the reference itself)",
        )
    out = out.transpose(*result.dims, missing_dims="ignore")
    out.attrs["reference"] = str(reference)
    out.attrs["method"] = "ESP = (E0 - Ea)/E0, CMP = (CE0 - CEa)/CE0 (Dai et al. 2025, eqs. 5-6)"
    return out
