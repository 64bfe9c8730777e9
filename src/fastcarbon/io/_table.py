"""Long tables in: :func:`read_table`."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from fastcarbon import names as _names
from fastcarbon._format import show, show_list
from fastcarbon.errors import (
    DuplicateLabelError,
    InputError,
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
    TimeAxisError,
    UnitError,
    UnknownLabelError,
)
from fastcarbon.units import conversion_factor, kind, parse

__all__ = ["read_table", "missing_report", "load_table", "MISSING_TOKENS"]

#: Cell texts read as a missing value (after trimming, case-insensitive): what statistical
#: tables print for "no data".
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "—", "——", "...", "…"})
#: How many cells or rows an error message lists before it counts the rest.
LIMIT = 12
_EXCEL = (".xlsx", ".xlsm")
_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".txt", ".tsv")
_MISSING_MODES = ("raise", "drop", "interpolate")


def _need(module: str, extra: str | None, what: str):
    """``module`` imported, or an error saying how to install it (pyarrow is the ``io`` extra;
    openpyxl a dependency, missing only from a broken install)."""
    try:
        return __import__(module)
    except ImportError:
        how = f"pip install 'fastcarbon[{extra}]' (or pip install {module})" if extra else f"pip install {module}"
        raise InputError(
            f"{what} need the package {show(module)}, which is not installed; install it with: {how}"
        ) from None


def load_table(source, *, sheet=0) -> tuple[pd.DataFrame, pd.Series]:
    """``source`` as a DataFrame of its cells and, for each row, where it is in the source
    (``"line 7"`` of a CSV file counting the header as line 1, ``"row 7"`` of an Excel sheet as
    Excel numbers it, ``"row 6"`` of a Parquet file counting data rows from 1, ``"index 5"`` of a
    DataFrame).  CSV cells are read as text, so numbers are parsed (and refused) by the caller."""
    if isinstance(source, pd.DataFrame):
        df = source.copy()
        where = pd.Series([f"index {show(i)}" for i in df.index], index=df.index)
        df.columns = [str(c).strip() if isinstance(c, str) else c for c in df.columns]
        return df.reset_index(drop=True), where.reset_index(drop=True)
    if not isinstance(source, (str, os.PathLike)):
        raise InputTypeError(
            f"source: expected a path to a CSV, Excel (.xlsx) or Parquet file, or a pandas DataFrame, "
            f"got {type(source).__name__}"
        )
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix not in _CSV + _EXCEL + _PARQUET:
        hint = " (old .xls workbooks: save as .xlsx)" if suffix == ".xls" else ""
        raise InputError(
            f"source: cannot read {show(str(path))}: extension {show(suffix or '(none)')} is not supported{hint}; "
            f"supported: .csv (also .txt, .tsv), .xlsx, .xlsm, .parquet, or pass a pandas DataFrame"
        )
    if not path.is_file():
        why = "is a folder" if path.is_dir() else "does not exist"
        raise InputError(f"source: cannot read {show(str(path))}: the file {why}")
    try:
        if suffix in _CSV:
            df = _read_csv(path, sep="\t" if suffix == ".tsv" else ",")
            first = 2  # line 1 is the header
            label = "line"
        elif suffix in _EXCEL:
            _need("openpyxl", None, "source: Excel files")
            df = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
            first, label = 2, "row"
        else:
            _need("pyarrow", "io", "source: Parquet files")
            df = pd.read_parquet(path, engine="pyarrow")
            first, label = 1, "row"
    except InputError:
        raise
    except Exception as exc:  # the readers raise many unrelated types for a damaged file
        raise InputError(
            f"source: cannot read {show(str(path))} as {suffix[1:].upper()}: {type(exc).__name__}: {exc}"
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    where = pd.Series([f"{label} {i + first}" for i in range(len(df))], index=df.index)
    # Rows with no cell at all (blank lines, empty spreadsheet rows) are layout, not data.
    blank = np.logical_and.reduce([_missing_mask(df[c]) for c in df.columns]) if len(df.columns) else None
    if blank is None or not blank.any():
        return df.reset_index(drop=True), where.reset_index(drop=True)
    return df.loc[~blank].reset_index(drop=True), where.loc[~blank].reset_index(drop=True)


def _read_csv(path: Path, sep: str) -> pd.DataFrame:
    # Text cells throughout: numbers and years are parsed by read_table, which names the rows it
    # cannot parse.  utf-8-sig reads files saved by Excel (a BOM); gb18030 (a superset of GBK)
    # reads those saved by Chinese-locale software.
    kwargs = dict(sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False)
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **kwargs)
    except UnicodeDecodeError:
        return pd.read_csv(path, encoding="gb18030", **kwargs)


def _is_missing(x) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, float):
        return x != x
    if isinstance(x, str):
        return x.strip().casefold() in MISSING_TOKENS
    return False


def _per_unique(col: pd.Series, func, na) -> np.ndarray:
    """``func`` of each cell, computed once per distinct cell (a 24 000-row table of 300 cities
    has a few hundred distinct labels: per-cell Python calls were most of read_table's time);
    ``na`` for NaN/None cells."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    out = np.empty(len(uniques) + 1, dtype=object)
    out[:-1] = [func(u) for u in uniques]
    out[-1] = na
    return out[codes]


def _missing_mask(col: pd.Series) -> np.ndarray:
    if col.dtype.kind in "iufcbmM":
        return col.isna().to_numpy(dtype=bool)
    if isinstance(col.dtype, pd.StringDtype):  # text columns (CSV): vectorized string methods
        return (col.isna() | col.str.strip().str.casefold().isin(MISSING_TOKENS)).to_numpy(dtype=bool)
    return _per_unique(col, _is_missing, True).astype(bool)


def _stripped(col: pd.Series) -> pd.Series:
    if isinstance(col.dtype, pd.StringDtype):
        return col.str.strip().astype(object)
    return pd.Series(_per_unique(col, lambda v: v.strip() if isinstance(v, str) else v, None),
                     index=col.index, dtype=object)


def _rows(where: pd.Series, mask) -> str:
    """The places of the rows in ``mask`` for a message, at most LIMIT of them."""
    return show_list(list(where[np.asarray(mask)]), limit=LIMIT).replace("'", "")


def _near(name, options) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=3, cutoff=0.4)
    return f" (nearest: {show(close)})" if close else ""


def read_table(
    source,
    *,
    value: str = "value",
    dims: Sequence[str] | None = None,
    unit: str | None = None,
    to: str | None = None,
    aliases: bool | Mapping = True,
    missing: str = "raise",
    rename: Mapping[str, str] | None = None,
    wide: bool = False,
    sheet: int | str = 0,
) -> xr.DataArray:
    """Read a long table (one row per value) into a labelled DataArray.

    Parameters
    ----------
    source : path or pandas.DataFrame
        A CSV file (``.csv``; ``.tsv`` tab-separated; UTF-8, with or without BOM, or GB 18030),
        an Excel workbook (``.xlsx``, ``.xlsm``; needs openpyxl), a Parquet file (``.parquet``;
        needs pyarrow, the ``io`` extra), or a DataFrame.  Column names are trimmed.
    value : str, default "value"
        The column holding the numbers.  Empty cells and the texts of :data:`MISSING_TOKENS`
        ("NA", "-", "..." ...) are missing values; anything else that is not a number is an error
        naming its row.
    dims : list of str, optional
        The columns that label the values, in the order of the result's dims.  Default: every
        column but ``value`` and the unit column.  Each (dims) combination may appear once.
    unit : str, optional
        Either the name of a column giving each row's units (rows may differ: one city in "tce",
        the others in "10**4 tce"; every row is converted to one unit), or a units string for the
        whole table ("10**4 tce").  Default: a column named ``unit`` or ``units`` if there is one,
        else no units attr.
    to : str, optional
        The units of the result when ``unit`` is a column.  Default: the units most rows use
        (the first seen among equally common ones); rows in other units are converted through
        :mod:`fastcarbon.units`.  With a units-string ``unit``, the values are converted to ``to``.
    aliases : bool or dict, default True
        Fuel and sector names mapped to canonical labels (:mod:`fastcarbon.names`): True applies
        the shipped tables to the ``fuel`` and ``sector`` dims; False applies none.  A dict
        ``{dim: table}`` sets a dim's table (and keeps the shipped ones for the dims it does not
        name): ``True`` or ``"fuel"``/``"sector"`` for a shipped table, ``False`` for none, or a
        dict of name → label merged over the shipped table of that dim's kind (the dim's own name
        if it is ``fuel`` or ``sector``, none otherwise).  A name no table places is an error
        listing the nearest labels.
    missing : {"raise", "drop", "interpolate"}, default "raise"
        Cells of the result without a value, whether the row is there with an empty value or
        absent (a city with 6 years of 10): "raise" names every one (up to a limit); "drop"
        drops the rows with empty values, and cells no row fills stay NaN (a rectangular array
        cannot drop one cell); "interpolate" fills gaps inside each series along ``year``
        linearly in the year, and leaves the leading and trailing gaps NaN (no extrapolation).
        Every value dropped, filled or left NaN is reported in ``attrs["missing_report"]``
        (:func:`missing_report` reads it as a table).
    rename : dict, optional
        Column → dim name, applied first ({"City": "region", "Fuel type": "fuel"}).
    wide : bool, default False
        The table has one column per year ("2011", "2012", ... or numbers): those columns become
        the ``year`` dim before anything else is read.
    sheet : int or str, default 0
        The Excel sheet (position or name).

    Returns
    -------
    xarray.DataArray
        Named ``value`` (``long_name`` = the column name unless it is "value"), dims ``dims``,
        ``units`` attr (when known), ``missing_report`` attr.  Labels in first-seen order, years
        sorted; a column named ``year`` holds integer years (2015, "2015", 2015.0; 2015.5 is an
        error).  Text labels are trimmed.

    Raises
    ------
    UnknownLabelError
        ``value``, a ``dims`` column or ``unit`` is not a column (the nearest are named); a fuel
        or sector name no alias table places.
    DuplicateLabelError
        Two rows with the same labels (both rows named).
    InvalidValueError
        A value that is not a number, a missing label, a year that is not a whole number, a
        missing value with ``missing="raise"``; each named with its row.
    UnitError
        A units string that does not parse, a row without units, rows whose units measure
        different things (tce and t).
    InputError
        An unreadable file, an unsupported extension, a bad option.

    Examples
    --------
    >>> import pandas as pd
    >>> from fastcarbon.io import read_table
    >>> table = pd.DataFrame({
    ...     "region": ["A", "A", "B", "B"], "fuel": ["Raw coal", "Natural Gas", "原煤", "NG"],
    ...     "year": ["2020", "2020", "2020", "2020"], "value": [10.0, 2.0, 30000.0, 1.0],
    ...     "unit": ["10**4 tce", "10**4 tce", "tce", "10**4 tce"]})
    >>> da = read_table(table, unit="unit")
    >>> da.dims, da.attrs["units"], da.fuel.values.tolist()
    (('region', 'fuel', 'year'), '10**4 tce', ['coal', 'natural_gas'])
    >>> float(da.sel(region="B", fuel="coal", year=2020))
    3.0
    """
    if not isinstance(value, str):
        raise InputTypeError(f"value: expected a column name (str), got {type(value).__name__}")
    if missing not in _MISSING_MODES:
        raise InputError(f"missing: {show(missing)} is not an option; options: {list(_MISSING_MODES)}")
    df, where = load_table(source, sheet=sheet)
    _check_case(df.columns)
    if rename is not None:
        if not isinstance(rename, Mapping):
            raise InputTypeError(f"rename: expected a dict of column -> dim, got {type(rename).__name__}")
        rename = {_by_case(c, df.columns): d for c, d in rename.items()}
        unknown = [c for c in rename if c not in df.columns]
        if unknown:
            raise UnknownLabelError(
                f"rename: column(s) {show(unknown)} not in the table; columns: {show(list(df.columns))}"
            )
        df = df.rename(columns=dict(rename))
    if wide:
        df, where = _melt_years(df, where, value)
    _check_case(df.columns)
    # a column named with other capitals ("Year" for dims=["year"]) takes the name asked for
    asked = [value, *(dims if isinstance(dims, Sequence) and not isinstance(dims, str) else []),
             *([unit] if isinstance(unit, str) else [])]
    df = df.rename(columns={_by_case(n, df.columns): n for n in asked if isinstance(n, str)
                            and n not in df.columns and _by_case(n, df.columns) in df.columns})
    columns = list(df.columns)
    if value not in columns:
        raise UnknownLabelError(
            f"value: the table has no column {show(value)}{_near(value, columns)}; columns: "
            f"{show(columns)}. Pass value='<the column with the numbers>'"
        )
    unit_col, units = _unit_option(unit, columns, value)
    if dims is None:
        dims = [c for c in columns if c not in (value, unit_col)]
    else:
        if isinstance(dims, str) or not isinstance(dims, Sequence):
            raise InputTypeError(f"dims: expected a list of column names, got {type(dims).__name__}")
        dims = list(dims)
        for d in dims:
            if d not in columns:
                raise UnknownLabelError(
                    f"dims: the table has no column {show(d)}{_near(d, columns)}; columns: {show(columns)}"
                )
            if d in (value, unit_col):
                raise InputError(f"dims: {show(d)} is the value or unit column, not a label column")
        if len(set(dims)) != len(dims):
            raise InputError(f"dims: {show(dims)} names a column twice")
    if not dims:
        raise MissingDimensionError(
            f"dims: the table has no label column besides {show(value)}; columns: {show(columns)}"
        )

    labels = {d: _labels(df[d], d, where) for d in dims}
    tables = _alias_tables(aliases, dims)
    for d, (kind_, extra) in tables.items():
        codes, uniques = pd.factorize(labels[d])
        mapped = np.array(_names.canonical(list(uniques), kind_, extra, what=d), dtype=object)
        labels[d] = pd.Series(mapped[codes], index=labels[d].index, dtype=object)

    values = _numbers(df[value], value, where)
    empty = values.isna().to_numpy()
    if unit_col is not None:
        values, units = _convert_rows(values, df[unit_col], where, unit_col, to, empty)
    elif units is not None and to is not None:
        values = values * conversion_factor(units, to, what="to")
        units = to

    _check_duplicates(labels, dims, where)
    report: list[dict] = []
    keep = np.ones(len(df), dtype=bool)
    if missing == "drop" and empty.any():
        report += [{"action": "dropped", **_cell(labels, dims, i), "where": where[i]} for i in np.flatnonzero(empty)]
        keep = ~empty
    da = _grid(labels, dims, values, keep)
    absent = _absent_cells(da, labels, dims, keep)  # cells no kept row fills
    if missing == "raise":
        _raise_missing(labels, dims, where, empty, absent)
    elif missing == "interpolate":
        da, report = _interpolate(da, labels, dims, where, empty, report)
    else:  # drop: the dropped rows are reported as such; the cells no row ever filled as left
        dropped = {tuple(r[d] for d in dims) for r in report}
        report += [{"action": "left", **cell, "where": None} for cell in absent
                   if tuple(cell[d] for d in dims) not in dropped]

    da.name = value
    attrs = {}
    if units is not None:
        attrs["units"] = units
    if value != "value":
        attrs["long_name"] = value
    attrs["missing_report"] = json.dumps(report, ensure_ascii=False, default=_plain)
    da.attrs.update(attrs)
    return da


def _plain(x):
    return x.item() if isinstance(x, np.generic) else str(x)


def missing_report(da: xr.DataArray) -> pd.DataFrame:
    """The ``missing_report`` of :func:`read_table` as a table: one row per value dropped,
    filled or left NaN, with ``action`` ("dropped", "filled", "left"), the labels, ``where`` (the
    row in the source; empty for a cell no row had) and, for filled values, ``value``.

    Examples
    --------
    >>> import pandas as pd
    >>> from fastcarbon.io import read_table, missing_report
    >>> t = pd.DataFrame({"region": "A", "year": [2011, 2012, 2013], "value": [1.0, None, 3.0]})
    >>> missing_report(read_table(t, missing="interpolate"))
       action region  year    where  value
    0  filled      A  2012  index 1    2.0
    """
    if not isinstance(da, xr.DataArray) or "missing_report" not in da.attrs:
        raise InputTypeError("da: expected a DataArray from fastcarbon.io.read_table (with a 'missing_report' attr)")
    return pd.DataFrame(json.loads(da.attrs["missing_report"]))


# --------------------------------------------------------------------------- helpers


def _check_case(columns) -> None:
    """Column names are matched whatever their capitals, so two that differ only by them are
    ambiguous."""
    seen: dict = {}
    for c in columns:
        key = str(c).casefold()
        if key in seen:
            raise InputError(f"columns {show(seen[key])} and {show(c)} differ only by capitals; column names are "
                             f"matched whatever their capitals: rename one of them")
        seen[key] = c


def _by_case(name, columns):
    """The column ``name`` names: itself if present, else the one equal to it whatever the
    capitals (``"year"`` finds ``"Year"``); ``name`` when there is none."""
    if name in columns or not isinstance(name, str):
        return name
    for c in columns:
        if str(c).casefold() == name.casefold():
            return c
    return name


def _unit_option(unit, columns: list, value: str) -> tuple[str | None, str | None]:
    """(unit column, units string): one of them or neither."""
    if unit is None:
        found = [c for c in columns if str(c).casefold() in ("unit", "units") and c != value]
        return (found[0], None) if found else (None, None)
    if not isinstance(unit, str):
        raise InputTypeError(f"unit: expected a column name or a units string, got {type(unit).__name__}")
    if unit in columns:
        if unit == value:
            raise InputError(f"unit: {show(unit)} is the value column")
        return unit, None
    try:
        parse(unit, what="unit")
    except UnitError as exc:
        raise UnitError(
            f"unit: {show(unit)} is neither a column of the table (columns: {show(columns)}) nor a "
            f"units string ({exc})"
        ) from None
    return None, unit


def _melt_years(df: pd.DataFrame, where: pd.Series, value: str) -> tuple[pd.DataFrame, pd.Series]:
    year_cols = [c for c in df.columns if _as_year(c) is not None]
    if not year_cols:
        raise InputError(
            f"wide: no column is a year (columns: {show(list(df.columns))}); wide=True expects one "
            f"column per year, named 2011, 2012, ..."
        )
    if "year" in df.columns or value in df.columns:
        raise InputError(
            f"wide: the table already has a {show('year' if 'year' in df.columns else value)} column; "
            f"wide=True makes the year columns into 'year' and {show(value)}"
        )
    ids = [c for c in df.columns if c not in year_cols]
    df = df.assign(_where=where)
    long = df.melt(id_vars=ids + ["_where"], value_vars=year_cols, var_name="year", value_name=value)
    long["_where"] = long["_where"] + ", column " + long["year"].astype(str)
    long["year"] = [_as_year(c) for c in long["year"]]
    return long.drop(columns="_where").reset_index(drop=True), long["_where"].reset_index(drop=True)


def _as_year(x):
    """``x`` as an int year if it is a whole number (2015, "2015", 2015.0, " 2015.0 "), else None."""
    if isinstance(x, (bool, np.bool_)):
        return None
    if isinstance(x, (int, np.integer)):
        return int(x)
    try:
        f = float(str(x).strip()) if isinstance(x, str) else float(x)
    except (TypeError, ValueError):
        return None
    return int(f) if np.isfinite(f) and f == int(f) else None


def _labels(col: pd.Series, dim: str, where: pd.Series) -> pd.Series:
    """A label column checked (no empty cell) and cleaned: text trimmed; ``year`` as int."""
    blank = _missing_mask(col)
    if blank.any():
        raise InvalidValueError(
            f"{dim}: {int(blank.sum())} row(s) have no label at {_rows(where, blank)}; every row needs "
            f"a label in each dims column (fill them in, or drop those rows)"
        )
    if dim == "year":
        years = _per_unique(col, _as_year, None)
        bad = np.array([y is None for y in years], dtype=bool)
        if bad.any():
            first = col[bad].iloc[0]
            raise TimeAxisError(
                f"year: {show(_plain(first))} at {where[bad].iloc[0]} is not a whole year"
                + (f" ({int(bad.sum())} such rows: {_rows(where, bad)})" if bad.sum() > 1 else "")
                + "; years must be whole numbers (2015, '2015', 2015.0)"
            )
        return pd.Series(years, index=col.index, dtype=np.int64)
    return _stripped(col)


def _alias_tables(aliases, dims: list) -> dict[str, tuple[str | None, Mapping | None]]:
    """dim → (shipped table kind or None, the caller's entries or None), for the dims renamed."""
    if aliases is False or aliases is None:
        return {}
    default = {d: (d, None) for d in dims if d in _names.KINDS}
    if aliases is True:
        return default
    if not isinstance(aliases, Mapping):
        raise InputTypeError(
            f"aliases: expected True, False or a dict {{dim: table}}, got {type(aliases).__name__}"
        )
    out = dict(default)
    for d, table in aliases.items():
        if d not in dims:
            raise UnknownLabelError(f"aliases: {show(d)} is not one of the dims {show(dims)}")
        own = d if d in _names.KINDS else None
        if table is False or table is None:
            out.pop(d, None)
        elif table is True:
            if own is None:
                raise InputError(
                    f"aliases: dim {show(d)} has no shipped table (tables: {list(_names.KINDS)}); name one "
                    f"({{{show(d)}: 'fuel'}}) or give a dict of name -> label"
                )
            out[d] = (own, None)
        elif isinstance(table, str):
            if table not in _names.KINDS:
                raise UnknownLabelError(f"aliases: {show(table)} is not a shipped table; tables: {list(_names.KINDS)}")
            out[d] = (table, None)
        elif isinstance(table, Mapping):
            out[d] = (own, dict(table))
        else:
            raise InputTypeError(
                f"aliases: the table of {show(d)} must be True, False, 'fuel', 'sector' or a dict of "
                f"name -> label, got {type(table).__name__}"
            )
    return out


def _numbers(col: pd.Series, name: str, where: pd.Series) -> pd.Series:
    """The value column as float64, missing cells NaN; a cell that is not a number is an error."""
    if col.dtype.kind in "iuf":
        return col.astype(np.float64).reset_index(drop=True)
    if col.dtype.kind == "b":
        raise InputTypeError(f"{name}: the values are True/False, not numbers")
    blank = _missing_mask(col)
    text = _stripped(col)
    numbers = pd.to_numeric(text.where(~blank, np.nan), errors="coerce")
    bad = numbers.isna().to_numpy() & ~blank
    bad |= _per_unique(col, lambda v: isinstance(v, (bool, np.bool_)), False).astype(bool)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"{name}: {show(_plain(col.iloc[i]))} at {where.iloc[i]} is not a number"
            + (f" ({int(bad.sum())} such rows: {_rows(where, bad)})" if bad.sum() > 1 else "")
            + f"; values must be numbers (a decimal point, no thousands separators); an empty cell or "
            f"one of {show(sorted(t for t in MISSING_TOKENS if t))} is a missing value"
        )
    return numbers.astype(np.float64).reset_index(drop=True)


def _convert_rows(values: pd.Series, col: pd.Series, where: pd.Series, name: str, to: str | None,
                  empty: np.ndarray) -> tuple[pd.Series, str]:
    """Every row's value converted from its own units to one unit: ``to``, or the most common."""
    text = _stripped(col)
    blank = _missing_mask(text) & ~empty
    if blank.any():
        raise UnitError(
            f"{name}: {int(blank.sum())} row(s) with a value have no units at {_rows(where, blank)}; give "
            f"each row its units ('tce', '10**4 tce'), or pass unit='<units>' for the whole table"
        )
    text = np.array([None if e else t for t, e in zip(text, empty)], dtype=object)
    used = [u for u in text if u is not None]
    if not used:
        return values, to
    for u in dict.fromkeys(used):
        rows = np.asarray(text == u, dtype=bool)
        if not isinstance(u, str):
            raise UnitError(f"{name}: units {show(_plain(u))} at {_rows(where, rows)} are not a units string")
        try:
            parse(u, what=f"{name} at {where[rows].iloc[0]}")
        except UnitError as exc:
            raise UnitError(f"{exc} (rows: {_rows(where, rows)})") from None
    target = to if to is not None else Counter(used).most_common(1)[0][0]
    q_target = parse(target, what="to")
    factors = {}
    for u in dict.fromkeys(used):
        if parse(u).dimensionality != q_target.dimensionality:
            rows = np.asarray(text == u, dtype=bool)
            raise UnitError(
                f"{name}: units {show(u)} at {_rows(where, rows)} measure {kind(parse(u))}, but "
                f"{show(target)} ({'to=' if to is not None else 'the units most rows use'}) measures "
                f"{kind(q_target)}; one array holds one kind of quantity: fix those rows, or read "
                f"them into another array (e.g. split the table by fuel, or convert to tce first)"
            )
        factors[u] = conversion_factor(u, target, what=name)
    scale = np.array([factors[u] if u is not None else 1.0 for u in text], dtype=float)
    return values * scale, target


def _cell(labels: dict, dims: list, i: int) -> dict:
    return {d: _plain(labels[d].iloc[i]) if isinstance(labels[d].iloc[i], np.generic) else labels[d].iloc[i]
            for d in dims}


def _check_duplicates(labels: dict, dims: list, where: pd.Series) -> None:
    frame = pd.DataFrame({d: labels[d] for d in dims})
    dup = frame.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    groups = frame[dup].groupby(list(dims), sort=False).groups
    shown = []
    for key, idx in list(groups.items())[:LIMIT]:
        key = key if isinstance(key, tuple) else (key,)
        cell = ", ".join(f"{d}={show(_plain(k) if isinstance(k, np.generic) else k)}" for d, k in zip(dims, key))
        shown.append(f"({cell}) at {', '.join(where[list(idx)])}")
    more = f" and {len(groups) - LIMIT} more" if len(groups) > LIMIT else ""
    raise DuplicateLabelError(
        f"dims: {len(groups)} label combination(s) appear on more than one row: {'; '.join(shown)}{more}. "
        f"Each combination of {show(dims)} may appear once: drop or sum the duplicates, or add the "
        f"column that tells them apart to dims"
    )


def _grid(labels: dict, dims: list, values: pd.Series, keep: np.ndarray) -> xr.DataArray:
    """The values on the full grid of labels (first-seen order, years sorted), NaN where no row."""
    codes, coords = [], {}
    for d in dims:
        col = labels[d][keep]
        code, uniques = pd.factorize(col, sort=(d == "year"))
        uniq = list(uniques)
        coords[d] = np.array(uniq, dtype=str) if all(isinstance(u, str) for u in uniq) else np.array(uniq)
        codes.append(code)
    shape = tuple(len(coords[d]) for d in dims)
    data = np.full(shape, np.nan)
    data[tuple(codes)] = values.to_numpy()[keep]
    return xr.DataArray(data, dims=dims, coords=coords)


def _absent_cells(da: xr.DataArray, labels: dict, dims: list, keep: np.ndarray) -> list[dict]:
    """The cells of the grid that no kept row fills (the row is not in the table)."""
    filled = np.zeros(da.shape, dtype=bool)
    idx = tuple(pd.Index(da.indexes[d]).get_indexer(labels[d][keep]) for d in dims)
    filled[idx] = True
    return [{d: _plain(da[d].values[i]) for d, i in zip(dims, pos)} for pos in zip(*np.nonzero(~filled))]


def _describe(cell: dict) -> str:
    return "(" + ", ".join(f"{d}={show(v)}" for d, v in cell.items()) + ")"


def _raise_missing(labels, dims, where, empty, absent) -> None:
    if not empty.any() and not absent:
        return
    parts = [f"{_describe(_cell(labels, dims, i))} is empty at {where[i]}" for i in np.flatnonzero(empty)]
    parts += [f"{_describe(c)} has no row" for c in absent]
    more = f"; and {len(parts) - LIMIT} more" if len(parts) > LIMIT else ""
    raise InvalidValueError(
        f"missing: {len(parts)} value(s) missing: {'; '.join(parts[:LIMIT])}{more}. Fill them in, or pass "
        f"missing='drop' (drops the empty rows; cells without a row stay NaN) or missing='interpolate' "
        f"(fills gaps inside each series along 'year' linearly)"
    )


def _interpolate(da, labels, dims, where, empty, report):
    """Interior NaN along ``year`` filled linearly in the year; edge NaN left; both reported."""
    if "year" not in dims:
        raise MissingDimensionError(
            f"missing: 'interpolate' fills along the 'year' dim, and the table has none (dims "
            f"{show(dims)}); name the year column 'year' (rename={{'<column>': 'year'}}) or pass missing='drop'"
        )
    row_of = {}
    for i in np.flatnonzero(empty):
        row_of[tuple(_cell(labels, dims, i)[d] for d in dims)] = where[i]
    order = [d for d in dims if d != "year"] + ["year"]
    moved = da.transpose(*order)
    x = moved["year"].values.astype(float)
    flat = moved.values.reshape(-1, x.size).copy()
    others = [moved[d].values for d in order[:-1]]
    for k in np.flatnonzero(np.isnan(flat).any(axis=1)):
        y = flat[k]
        ok = ~np.isnan(y)
        pos = np.unravel_index(k, tuple(len(o) for o in others)) if others else ()
        base = {d: _plain(o[p]) for d, o, p in zip(order[:-1], others, pos)}
        inner = np.zeros_like(ok)
        if ok.any():
            first, last = np.flatnonzero(ok)[[0, -1]]
            inner[first:last + 1] = ~ok[first:last + 1]
            y[inner] = np.interp(x[inner], x[ok], y[ok])
        for j in np.flatnonzero(~ok):
            cell = {**base, "year": int(x[j])}
            key = tuple(cell[d] for d in dims)
            entry = {"action": "filled" if inner[j] else "left", **cell, "where": row_of.get(key)}
            if inner[j]:
                entry["value"] = float(y[j])
            report.append(entry)
    out = moved.copy(data=flat.reshape(moved.shape)).transpose(*dims)
    return out, report
