"""Users' data in and exchange formats out (the io layer).

Reading:

- :func:`read_table` — a long table (CSV, Excel, Parquet or a DataFrame; one row per value) as
  a labelled DataArray: one unit per array (a unit column is converted row by row through
  :mod:`fastcarbon.units`), integer years, fuel and sector names mapped onto canonical labels
  (:mod:`fastcarbon.names`: "Natural Gas", "NG", "天然气" → ``natural_gas``), duplicates and
  non-numbers named by their row, missing values raised, dropped or interpolated with a report
  (:func:`missing_report`).
- :func:`fuel_groups`, :func:`group_fuels` — the shipped mapping of detailed fuels onto a factor
  set's groups (hj2021: coal, refined_oil, natural_gas) and the sum over it;
  :func:`fastcarbon.accounting.fuel_emissions` applies it with ``groups=True``.

Writing:

- :func:`to_iamc` — the IAMC table (model, scenario, region, variable, unit, one column per
  year; variables such as "Emissions|CO2|Energy|Demand|Industry|Iron and Steel", units such as
  "Mt CO2/yr"), returned as a DataFrame and written as CSV or xlsx;
  :func:`from_iamc` reads one back.  pyam reads these tables (``pyam.IamDataFrame(table)``);
  it is an optional extra, ``pip install 'fastcarbon[iamc]'``.

Excel needs openpyxl (a dependency); Parquet needs pyarrow, the ``io`` extra
(``pip install 'fastcarbon[io]'``); without it, reading a Parquet file says so.

Examples
--------
A messy long table, as a city statistics office sends it: names as people write them, one city
reporting in tce and the other in 10^4 tce, a value missing inside a series, a fuel one city
does not report (left NaN: interpolation never extrapolates).

>>> import pandas as pd
>>> from fastcarbon.io import read_table, to_iamc, missing_report
>>> from fastcarbon.accounting import fuel_emissions
>>> table = pd.DataFrame({
...     "City": ["Bengbu"] * 6 + ["Huainan"] * 3,
...     "fuel": ["Raw Coal", "raw coal", "raw coal", "Natural Gas", "natural gas", "NG",
...              "原煤", "原煤", "原煤"],
...     "year": [2019, 2020, 2021] * 3,
...     "value": [400.0, None, 380.0, 1.0, 1.1, 1.2, 2000000.0, 1950000.0, 1900000.0],
...     "unit": ["10**4 tce"] * 6 + ["tce"] * 3})
>>> energy = read_table(table, unit="unit", rename={"City": "region"}, missing="interpolate")
>>> energy.attrs["units"], energy.fuel.values.tolist(), float(energy.sel(region="Bengbu", fuel="coal", year=2020))
('10**4 tce', ['coal', 'natural_gas'], 390.0)
>>> missing_report(energy)[["action", "region", "fuel", "year", "value"]]
   action   region         fuel  year  value
0  filled   Bengbu         coal  2020  390.0
1    left  Huainan  natural_gas  2019    NaN
2    left  Huainan  natural_gas  2020    NaN
3    left  Huainan  natural_gas  2021    NaN
>>> energy = energy.fillna(0.0)  # Huainan reports no gas
>>> co2 = fuel_emissions(energy, "hj2021").emissions
>>> print(to_iamc(co2, model="fastcarbon", scenario="history", variable="Emissions|CO2|Energy").round(2).to_string())
        model scenario   region              variable       unit   2019   2020   2021
0  fastcarbon  history   Bengbu  Emissions|CO2|Energy  Mt CO2/yr  10.66  10.39  10.13
1  fastcarbon  history  Huainan  Emissions|CO2|Energy  Mt CO2/yr   5.32   5.19   5.05
"""

from fastcarbon.io._groups import fuel_groups, group_fuels
from fastcarbon.io._iamc import from_iamc, iamc_unit, to_iamc
from fastcarbon.io._table import MISSING_TOKENS, missing_report, read_table

__all__ = [
    "read_table",
    "missing_report",
    "MISSING_TOKENS",
    "fuel_groups",
    "group_fuels",
    "to_iamc",
    "from_iamc",
    "iamc_unit",
]
