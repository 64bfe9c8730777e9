"""The IAMC exchange format: :func:`to_iamc` and :func:`from_iamc`.

An IAMC table has one row per (model, scenario, region, variable) with its unit and one column
per year, the layout pyam reads (``pyam.IamDataFrame(table)``) and the IAMC scenario explorers
take.  Variable names are pipe-separated hierarchies, capitalised words
("Emissions|CO2|Energy|Demand|Industry|Iron and Steel"); units are strings such as "Mt CO2/yr".
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from fastcarbon._format import show
from fastcarbon._validate import as_dataarray, as_dataset, check_time, require_numeric, screen
from fastcarbon.errors import (
    InputError,
    InputTypeError,
    MissingDimensionError,
    TimeAxisError,
    UnitError,
    UnknownLabelError,
)
from fastcarbon.io._table import _as_year, _check_duplicates, _grid, _numbers, _need, load_table
from fastcarbon.units import conversion_factor, kind, parse

__all__ = ["to_iamc", "from_iamc", "iamc_unit", "IAMC_COLUMNS"]

#: The index columns of an IAMC table, in order; the year columns follow.
IAMC_COLUMNS = ("model", "scenario", "region", "variable", "unit")
#: IAMC units fastcarbon writes by default, by what the data measure (annual totals per year).
_DEFAULT_UNITS = {"mass of carbon or CO2": "Mt CO2/yr", "energy": "EJ/yr"}


@functools.lru_cache(maxsize=None)
def _sector_names() -> dict[str, str]:
    with resources.files("fastcarbon.data").joinpath("iamc.toml").open("rb") as fh:
        return dict(tomllib.load(fh)["sector"])


def sector_name(label) -> str:
    """The IAMC name of a sector label: ``data/iamc.toml``, else the label with underscores as
    spaces and each word capitalised."""
    names = _sector_names()
    if label in names:
        return names[label]
    return " ".join(w[:1].upper() + w[1:] for w in str(label).replace("_", " ").split())


def _sector_label(name: str) -> str:
    """Inverse of :func:`sector_name`."""
    inverse = {v: k for k, v in _sector_names().items()}
    return inverse.get(name, "_".join(name.lower().split()))


def iamc_unit(units: str) -> str:
    """The IAMC unit fastcarbon writes for data in ``units`` by default: masses of carbon or CO2
    as "Mt CO2/yr", energies as "EJ/yr", anything else as it is.

    Examples
    --------
    >>> iamc_unit("t CO2"), iamc_unit("10**4 t C"), iamc_unit("10**4 tce"), iamc_unit("t CO2/tce")
    ('Mt CO2/yr', 'Mt CO2/yr', 'EJ/yr', 't CO2/tce')
    """
    return _DEFAULT_UNITS.get(kind(parse(units, what="units")), units)


def _factor(src: str, dst: str, what: str) -> float:
    """Multiplier from ``src`` to ``dst``; an annual total ("t CO2", one value a year) converts
    to a rate per year ("Mt CO2/yr") by reading it as per year."""
    parse(dst, what="unit")
    try:
        return conversion_factor(src, dst, what=what)
    except UnitError:
        try:
            return conversion_factor(f"({src}) / yr", dst, what=what)
        except UnitError:
            raise UnitError(
                f"unit: {what} in {show(src)} ({kind(parse(src))}) cannot be written in {show(dst)} "
                f"({kind(parse(dst))}); pass a unit of the same kind (per year allowed), e.g. "
                f"{show(iamc_unit(src))}"
            ) from None


def to_iamc(
    data: xr.DataArray | xr.Dataset,
    *,
    model: str,
    variable: str | Mapping | None = None,
    unit: str | Mapping | None = None,
    scenario_dim: str = "scenario",
    region_dim: str = "region",
    sector_dim: str | None = None,
    year_dim: str = "year",
    scenario: str | None = None,
    region: str | None = None,
    path: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Data as an IAMC table: columns model, scenario, region, variable, unit, then one per year.

    Parameters
    ----------
    data : xarray.DataArray or xarray.Dataset
        Values over ``year_dim`` and optionally ``scenario_dim``, ``region_dim`` and
        ``sector_dim``; any other dim is an error (select or sum it first).  Each variable needs a
        ``units`` attr.  A Dataset gives one IAMC variable per data variable.
    model : str
        The model column ("fastcarbon 0.1", a study's name).
    variable : str or dict
        The IAMC variable name, following the common-definitions hierarchy
        (``"Emissions|CO2|Energy|Demand|Industry"``).  Required for a DataArray; for a Dataset
        a dict data variable → name (default: the data variable names).
    unit : str or dict, optional
        The IAMC unit to write (values converted with :mod:`fastcarbon.units`).  Default:
        :func:`iamc_unit` of the data's units ("t CO2" → "Mt CO2/yr", "10**4 tce" → "EJ/yr").
        Annual totals (one value per year, "t CO2") are rates per year ("Mt CO2/yr").  For a
        Dataset, a dict per data variable or one string for all.
    scenario_dim, region_dim : str
        The dims written as the scenario and region columns.  A dim ``data`` lacks needs the
        column's value in ``scenario=`` / ``region=``.
    sector_dim : str, optional
        A dim written into the variable names: ``<variable>|<sector>`` with the sector's IAMC
        name (``steel`` → "Iron and Steel"; ``data/iamc.toml``, else the label in capitalised
        words).
    year_dim : str, default "year"
        The years (whole numbers, increasing).
    scenario, region : str, optional
        The column's value when ``data`` has no such dim.
    path : path, optional
        Also write the table: ``.csv``, or ``.xlsx`` (sheet "data", as pyam writes it; needs
        openpyxl).  Written atomically (:func:`fastcarbon.output.write_atomic`).

    Returns
    -------
    pandas.DataFrame
        The IAMC table, years as integer column names; a cell without a value is NaN (an empty
        cell in the file).

    Raises
    ------
    MissingDimensionError
        No ``year_dim``; no ``scenario_dim``/``region_dim`` and no ``scenario``/``region``.
    InputError
        A dim with no IAMC column, ``variable`` missing, an unsupported file extension.
    UnitError
        No ``units`` attr, or a ``unit`` of another kind.
    InvalidValueError
        An infinite value (NaN is written as an empty cell).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from fastcarbon.io import to_iamc
    >>> co2 = xr.DataArray([[1.5e6, 1.4e6], [2.0e6, 2.1e6]], dims=("region", "year"),
    ...                    coords={"region": ["Bengbu", "Chongqing"], "year": [2020, 2021]},
    ...                    attrs={"units": "t CO2"})
    >>> table = to_iamc(co2, model="fastcarbon", scenario="RS", variable="Emissions|CO2|Energy|Demand|Industry")
    >>> print(table.to_string())
            model scenario     region                              variable       unit  2020  2021
    0  fastcarbon       RS     Bengbu  Emissions|CO2|Energy|Demand|Industry  Mt CO2/yr   1.5   1.4
    1  fastcarbon       RS  Chongqing  Emissions|CO2|Energy|Demand|Industry  Mt CO2/yr   2.0   2.1
    """
    if not isinstance(model, str) or not model.strip():
        raise InputTypeError(f"model: expected a non-empty string (the model column), got {show(model)}")
    if isinstance(data, xr.Dataset):
        ds = as_dataset(data, "data")
        if not ds.data_vars:
            raise InputError("data: the Dataset has no data variables")
        names = _per_variable(variable, list(ds.data_vars), "variable", default=lambda v: str(v))
        units = _per_variable(unit, list(ds.data_vars), "unit", default=lambda v: None)
        arrays = [(ds[v], names[v], units[v], f"data[{show(v)}]") for v in ds.data_vars]
    else:
        da = as_dataarray(data, "data")
        if variable is None or not isinstance(variable, str) or not variable.strip():
            raise InputError(
                f"variable: the IAMC variable name is required for a DataArray (got {show(variable)}), "
                f"e.g. 'Emissions|CO2|Energy|Demand|Industry'"
            )
        if unit is not None and not isinstance(unit, str):
            raise InputTypeError(f"unit: expected a units string for a DataArray, got {type(unit).__name__}")
        arrays = [(da, variable, unit, "data")]
    for value, name in (("scenario", scenario), ("region", region)):
        if name is not None and not isinstance(name, str):
            raise InputTypeError(f"{value}: expected a string, got {type(name).__name__}")
    frames = [
        _table(da, model, name, u, what, scenario_dim, region_dim, sector_dim, year_dim, scenario, region)
        for da, name, u, what in arrays
    ]
    table = pd.concat(frames, ignore_index=True)
    years = sorted(c for c in table.columns if not isinstance(c, str))
    table = table[list(IAMC_COLUMNS) + years]
    if path is not None:
        _write(table, path)
    return table


def _per_variable(option, variables: list, name: str, default) -> dict:
    if option is None:
        return {v: default(v) for v in variables}
    if isinstance(option, str):
        if name == "variable" and len(variables) > 1:
            raise InputError(
                f"variable: one name {show(option)} for {len(variables)} data variables; pass a dict "
                f"data variable -> IAMC name"
            )
        return {v: option for v in variables}
    if not isinstance(option, Mapping):
        raise InputTypeError(f"{name}: expected a string or a dict per data variable, got {type(option).__name__}")
    unknown = [k for k in option if k not in variables]
    if unknown:
        raise UnknownLabelError(f"{name}: {show(unknown)} are not data variables; variables: {show(variables)}")
    return {v: option.get(v, default(v)) for v in variables}


def _table(da, model, variable, unit, what, scenario_dim, region_dim, sector_dim, year_dim, scenario, region):
    require_numeric(da, what)
    if year_dim not in da.dims:
        raise MissingDimensionError(f"{what}: no {show(year_dim)} dim (dims {show(list(da.dims))}); IAMC tables are by year")
    years = check_time(da, year_dim, what, "increasing")
    if not np.all(years == np.round(years)):
        raise TimeAxisError(f"{what}: the {show(year_dim)} coordinate holds years that are not whole numbers")
    columns = {}
    for col, dim, fixed in (("scenario", scenario_dim, scenario), ("region", region_dim, region)):
        if dim in da.dims:
            if fixed is not None:
                raise InputError(
                    f"{col}: {what} has a {show(dim)} dim, which gives the {col} column; drop "
                    f"{col}={show(fixed)}, or select one {col} first (.sel({dim}=...))"
                )
            columns[col] = dim
        elif fixed is None:
            raise MissingDimensionError(
                f"{what}: no {show(dim)} dim for the {col} column (dims {show(list(da.dims))}); pass "
                f"{col}='<name>' or {col}_dim='<your dim>'"
            )
    allowed = {year_dim, *columns.values()} | ({sector_dim} if sector_dim else set())
    if sector_dim is not None and sector_dim not in da.dims:
        raise MissingDimensionError(f"{what}: no sector_dim {show(sector_dim)} (dims {show(list(da.dims))})")
    extra = [d for d in da.dims if d not in allowed]
    if extra:
        raise InputError(
            f"{what}: dim(s) {show(extra)} have no IAMC column (model, scenario, region, variable); "
            f"select or sum them first (e.g. .sum({show(extra[0])})), or pass "
            f"{'sector_dim' if sector_dim is None else 'scenario_dim/region_dim'}={show(extra[0])}"
        )
    if "units" not in da.attrs:
        raise UnitError(f"{what}: no 'units' attr; set it (e.g. 't CO2') so the IAMC unit can be written")
    src = da.attrs["units"]
    parse(src, what=what)
    dst = unit if unit is not None else iamc_unit(src)
    scale = _factor(src, dst, what)
    screen(da, what, nan_ok=True)
    index_dims = [d for d in (columns.get("scenario"), columns.get("region"), sector_dim) if d is not None]
    wide = (da * scale).transpose(*index_dims, year_dim)
    flat = wide.values.reshape(-1, wide.sizes[year_dim])
    rows = pd.MultiIndex.from_product([wide.indexes[d] for d in index_dims]) if index_dims else [0]
    frame = pd.DataFrame(flat, columns=[int(y) for y in years])
    labels = pd.DataFrame(list(rows), columns=index_dims) if index_dims else pd.DataFrame(index=[0])
    frame.insert(0, "model", model)
    frame.insert(1, "scenario", labels[columns["scenario"]].to_numpy() if "scenario" in columns else scenario)
    frame.insert(2, "region", labels[columns["region"]].to_numpy() if "region" in columns else region)
    if sector_dim is not None:
        names = [f"{variable}|{sector_name(s)}" for s in labels[sector_dim]]
    else:
        names = variable
    frame.insert(3, "variable", names)
    frame.insert(4, "unit", dst)
    for col in ("scenario", "region"):
        frame[col] = frame[col].map(str)
    return frame


def _write(table: pd.DataFrame, path) -> None:
    from fastcarbon.output import write_atomic  # the one atomic writer of results

    if not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path: expected a file path, got {type(path).__name__}")
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        write_atomic(path, lambda tmp: table.to_csv(tmp, index=False))
    elif suffix == ".xlsx":
        _need("openpyxl", None, "path: Excel files")
        write_atomic(path, lambda tmp: table.to_excel(tmp, index=False, sheet_name="data", engine="openpyxl"))
    else:
        raise InputError(f"path: {show(str(path))} has extension {show(suffix or '(none)')}; IAMC files are .csv or .xlsx")


def from_iamc(
    source,
    *,
    variable: str | None = None,
    sector_dim: str | None = None,
    sheet: int | str = 0,
) -> xr.DataArray | xr.Dataset:
    """Read an IAMC table (a CSV/xlsx file or a DataFrame, as :func:`to_iamc` or pyam write it).

    Parameters
    ----------
    source : path or pandas.DataFrame
        Columns model, scenario, region, variable, unit (any capitalisation), then one column per
        year; other columns (pyam's extra columns, e.g. "subannual") become dims.
    variable : str, optional
        Read only this variable; with ``sector_dim``, read the variables ``<variable>|<sector>``
        into one array over ``sector_dim`` (the inverse of ``to_iamc(..., sector_dim=...)``:
        "Iron and Steel" → ``steel``).
    sector_dim : str, optional
        See ``variable``.
    sheet : int or str, default 0
        The Excel sheet.

    Returns
    -------
    xarray.DataArray or xarray.Dataset
        One variable: a DataArray named as the IAMC variable; several: a Dataset with one data
        variable each.  Dims scenario, region (and the extra columns, ``sector_dim``) and year
        (int), plus ``model`` when the table holds more than one model (else attrs["model"]);
        ``units`` attr = the IAMC unit as written.

    Raises
    ------
    UnknownLabelError
        A required column is missing, or ``variable`` is not in the table.
    UnitError
        A variable with more than one unit.
    DuplicateLabelError
        Two rows with the same model, scenario, region and variable.

    Examples
    --------
    >>> import xarray as xr
    >>> from fastcarbon.io import from_iamc, to_iamc
    >>> co2 = xr.DataArray([[3.0, 2.5]], dims=("region", "year"),
    ...                    coords={"region": ["Chongqing"], "year": [2030, 2040]}, attrs={"units": "Mt CO2"})
    >>> back = from_iamc(to_iamc(co2, model="m", scenario="RS", variable="Emissions|CO2"))
    >>> back.name, back.dims, back.attrs["units"], back.values.tolist()
    ('Emissions|CO2', ('scenario', 'region', 'year'), 'Mt CO2/yr', [[[3.0, 2.5]]])
    """
    df, where = load_table(source, sheet=sheet)
    lower = {str(c).strip().casefold(): c for c in df.columns}
    missing = [c for c in IAMC_COLUMNS if c not in lower]
    if missing:
        raise UnknownLabelError(
            f"source: not an IAMC table, column(s) {show(missing)} missing; it has {show(list(df.columns))}. "
            f"An IAMC table has columns {list(IAMC_COLUMNS)} then one per year"
        )
    df = df.rename(columns={lower[c]: c for c in IAMC_COLUMNS})
    year_cols = [c for c in df.columns if c not in IAMC_COLUMNS and _as_year(c) is not None]
    if not year_cols:
        raise UnknownLabelError(f"source: no year columns (columns {show(list(df.columns))})")
    extras = [c for c in df.columns if c not in IAMC_COLUMNS and c not in year_cols]
    for c in list(IAMC_COLUMNS) + extras:
        df[c] = df[c].map(lambda v: v.strip() if isinstance(v, str) else v)
    if variable is not None:
        if not isinstance(variable, str):
            raise InputTypeError(f"variable: expected a string, got {type(variable).__name__}")
        prefix = f"{variable}|"
        keep = (df["variable"].str.startswith(prefix) if sector_dim else df["variable"] == variable).to_numpy(bool)
        if not keep.any():
            raise UnknownLabelError(
                f"variable: no rows for {show(variable + ('|...' if sector_dim else ''))}; variables: "
                f"{show(list(dict.fromkeys(df['variable'])))}"
            )
        df, where = df[keep].reset_index(drop=True), where[keep].reset_index(drop=True)
        if sector_dim:
            df[sector_dim] = [_sector_label(v[len(prefix):]) for v in df["variable"]]
            df["variable"] = variable
    elif sector_dim is not None:
        raise InputError("sector_dim: needs variable=<the name before the sector>")
    models = list(dict.fromkeys(df["model"]))
    dims = (["model"] if len(models) > 1 else []) + ["scenario", "region"] + extras + ([sector_dim] if sector_dim else [])
    out = {}
    for name, part in df.groupby("variable", sort=False):
        rows = where[part.index]
        units = list(dict.fromkeys(part["unit"]))
        if len(units) > 1:
            raise UnitError(f"unit: variable {show(name)} has several units {show(units)}; one unit per variable")
        long = part.melt(id_vars=dims, value_vars=year_cols, var_name="year", value_name="value")
        long_where = pd.concat([rows.reset_index(drop=True) + f", column {c}" for c in year_cols], ignore_index=True)
        values = _numbers(long["value"], f"{name}", long_where)
        _check_duplicates({d: part[d].astype(object).reset_index(drop=True) for d in dims}, dims,
                          rows.reset_index(drop=True))
        labels = {d: long[d].astype(object).reset_index(drop=True) for d in dims}
        labels["year"] = pd.Series([_as_year(y) for y in long["year"]], dtype=np.int64)
        da = _grid(labels, dims + ["year"], values, np.ones(len(long), dtype=bool))
        da.name = name
        da.attrs["units"] = str(units[0])
        if len(models) == 1:
            da.attrs["model"] = str(models[0])
        out[name] = da
    if len(out) == 1:
        return next(iter(out.values()))
    ds = xr.Dataset(out)
    if len(models) == 1:
        ds.attrs["model"] = str(models[0])
    return ds
