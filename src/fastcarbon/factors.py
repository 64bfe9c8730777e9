"""Emission-factor and conversion-coefficient sets, shipped as data with their sources.

Each set loads as an :class:`xarray.Dataset` over a ``fuel`` dim.  Variables (where the set has
them): ``emission_factor`` (emissions per unit of energy), ``coal_equivalent`` (standard coal per
physical unit), ``ncv`` (net calorific value), ``carbon_content``.  Every variable has ``units``
and ``long_name``; where units differ by fuel (GB/T 2589: kgce/kg, kgce/m³, kgce/kWh) the
variable carries a ``<name>_units`` coordinate along ``fuel`` instead of a single ``units`` attr.
Each row's note (what the value stands for, caveats) is the ``<name>_note`` coordinate.  The
Dataset attrs give the source, version and citation.

Users can pass their own DataArray or Dataset wherever a set name is accepted.

>>> from fastcarbon import factors
>>> factors.available()
['bengbu2023', 'gbt2589', 'hj2021', 'ipcc2006']
>>> float(factors.load("hj2021").emission_factor.sel(fuel="coal")), factors.load("hj2021").emission_factor.attrs["units"]
(2.66, 't CO2/tce')
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd
import xarray as xr

from fastcarbon.errors import UnknownLabelError

__all__ = ["available", "load", "SETS"]

#: set name → metadata written to the Dataset attrs
SETS: dict[str, dict[str, str]] = {
    "bengbu2023": {
        "title": "Bengbu industrial fuels: standard-coal coefficients and carbon emission factors",
        "source": "Table 1 of: Industrial carbon emissions of Bengbu city, Scientific Reports 13:14528 "
        "(2023), doi:10.1038/s41598-023-41857-0",
        "version": "2023 (as printed)",
        "notes": "emission_factor is carbon (t C per tce), as 0.755 t C/tce for coal shows; "
        "the natural-gas value 2.1622 is out of line with the other rows and shipped as printed "
        "(see emission_factor_note). coal_equivalent is tce per t (kgce/m3 for natural gas).",
    },
    "hj2021": {
        "title": "CO2 emission factors per tonne of standard coal for coal, refined oil and natural gas",
        "source": "HJ circular No. 85 (2021), Climate Change Office of China's Ministry of Ecology and "
        "Environment, as cited in eq. 1 of Dai, Zhang, Chang & Meng, Green and Low-Carbon Economy "
        "(2025), doi:10.47852/bonviewGLCE52023971",
        "version": "2021",
        "notes": "fuel groups: coal, refined_oil, natural_gas",
    },
    "ipcc2006": {
        "title": "IPCC 2006 Tier 1 default NCV, carbon content and CO2 emission factors",
        "source": "2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 2 (Energy), "
        "Ch. 1, Tables 1.2-1.4 (default values)",
        "version": "2006",
        "notes": "oxidation factor 1 (Tier 1 default); fuel rows are the IPCC fuel named in each note",
    },
    "gbt2589": {
        "title": "Standard-coal conversion coefficients",
        "source": "GB/T 2589-2020, General principles for calculation of the comprehensive energy "
        "consumption, Appendix A; 1 kgce = 29 307.6 kJ",
        "version": "2020",
        "notes": "natural gas: the standard gives 1.2143-1.3300 kgce/m3, the upper value is shipped; "
        "electricity at its calorific equivalent 0.1229 kgce/kWh",
        "natural_gas_range_kgce_per_m3": "1.2143-1.3300",
    },
}

_LONG_NAMES = {
    "emission_factor": "emission factor per unit of energy",
    "coal_equivalent": "standard-coal conversion coefficient",
    "ncv": "net calorific value",
    "carbon_content": "carbon content per unit of energy",
}


def available() -> list[str]:
    """Names of the bundled factor sets."""
    return sorted(SETS)


@functools.lru_cache(maxsize=None)
def _table() -> pd.DataFrame:
    with resources.files("fastcarbon.data").joinpath("factors.csv").open() as fh:
        return pd.read_csv(fh, keep_default_na=False)


def load(name: str) -> xr.Dataset:
    """Load a bundled factor set by name.

    Parameters
    ----------
    name : str
        One of :func:`available`.

    Returns
    -------
    xarray.Dataset
        Over ``fuel``; see the module docstring for variables and attrs.

    Raises
    ------
    UnknownLabelError
        If ``name`` is not a bundled set.
    """
    if name not in SETS:
        raise UnknownLabelError(f"factor set {name!r} is unknown; available: {available()}")
    rows = _table()[lambda t: t["set"] == name]
    fuels = list(dict.fromkeys(rows["fuel"]))
    ds = xr.Dataset(coords={"fuel": fuels})
    for var, part in rows.groupby("variable", sort=False):
        part = part.set_index("fuel").reindex(fuels)
        units = part["units"].dropna().unique()
        da = xr.DataArray(part["value"].to_numpy(dtype=float), dims="fuel", coords={"fuel": fuels})
        attrs = {"long_name": _LONG_NAMES.get(var, var)}
        if len(units) == 1:
            attrs["units"] = str(units[0])
        else:
            da = da.assign_coords({f"{var}_units": ("fuel", part["units"].fillna("").to_numpy(dtype=str))})
        notes = part["note"].fillna("").to_numpy(dtype=str)
        if any(notes):
            da = da.assign_coords({f"{var}_note": ("fuel", notes)})
        ds[var] = da.assign_attrs(attrs)
    ds.attrs.update(SETS[name], name=name)
    return ds
