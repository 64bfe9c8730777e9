"""Bundled data sets from the papers fastcarbon is built on, with their sources in the attrs.

Values are stored as printed and converted on read to fastcarbon's units (tce, t C) through the
unit registry; the paper's own units are kept in each variable's ``paper_units`` attr.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd
import xarray as xr

from fastcarbon.units import conversion_factor

__all__ = ["bengbu"]

#: the paper's title is not in the extracted text fastcarbon works from, so none is given here
BENGBU_CITATION = (
    "Study of the industrial carbon emissions of Bengbu city, Anhui (IPCC fuel accounting, "
    "entropy weights, obstacle degree, EGM(1,1) forecast), Scientific Reports 13:14528 (2023), "
    "doi:10.1038/s41598-023-41857-0"
)


def _csv(name: str) -> pd.DataFrame:
    with resources.files("fastcarbon.data").joinpath(name).open() as fh:
        return pd.read_csv(fh)


def bengbu() -> xr.Dataset:
    """The Bengbu study's tables (000, Tables 1, 4, 5 and 6).

    Returns
    -------
    xarray.Dataset
        - ``fuel_use`` (year, fuel): industrial fuel use 2011–2020, Table 4, in tce (printed in
          10^4 tce);
        - ``ce_printed`` (year): the printed carbon emissions CE of Table 4, in t C (printed in
          10^4 t; carbon, since it is fuel × the carbon factors of Table 1);
        - ``emission_factor``, ``coal_equivalent`` (fuel): Table 1, as in
          ``fastcarbon.factors.load("bengbu2023")``;
        - ``x0`` (year): the Table 6 series X(0) fitted by EGM(1,1), in t C (printed in 10^4 t),
          with the printed fits ``egm_fitted_printed`` and ``linear_fitted_printed``;
        - ``weight`` (indicator): the entropy weights of Table 5, with indicator names and
          their +/- attribute (Table 2).

    Notes
    -----
    Known facts (checked against the tables): the printed CE is 0.2–1.2 % above
    Σ fuel × factor in every year; Table 6's X(0) is a different series from Table 4's CE; the
    paper's residual columns in Table 6 are shifted by one row (not shipped).

    Examples
    --------
    >>> from fastcarbon.datasets import bengbu
    >>> ds = bengbu()
    >>> round(float(ds.fuel_use.sel(year=2011, fuel="coal"))), ds.fuel_use.attrs["units"]
    (4054990, 'tce')
    """
    from fastcarbon import factors

    t4 = _csv("bengbu_table4.csv").set_index("year")
    t6 = _csv("bengbu_table6.csv").set_index("year")
    t5 = _csv("bengbu_table5.csv").set_index("indicator")
    to_tce = conversion_factor("10**4 tce", "tce")
    to_tc = conversion_factor("10**4 t C", "t C")
    fuels = [c for c in t4.columns if c != "ce"]
    fuel_use = xr.DataArray(
        t4[fuels].to_numpy() * to_tce,
        dims=("year", "fuel"),
        coords={"year": t4.index.to_numpy(), "fuel": fuels},
        attrs={"units": "tce", "paper_units": "10^4 tce", "long_name": "industrial fuel use (standard coal)",
               "source": "000 Table 4"},
    )

    def series(values, long_name, source, units="t C", scale=to_tc):
        return xr.DataArray(values * scale, dims="year", coords={"year": values.index.to_numpy()},
                            attrs={"units": units, "paper_units": "10^4 t", "long_name": long_name,
                                   "source": source})

    table1 = factors.load("bengbu2023")
    ds = xr.Dataset(
        {
            "fuel_use": fuel_use,
            "ce_printed": series(t4["ce"], "industrial carbon emissions CE as printed", "000 Table 4"),
            "emission_factor": table1["emission_factor"],
            "coal_equivalent": table1["coal_equivalent"],
            "x0": series(t6["x0"], "industrial carbon emissions X(0) fitted by EGM(1,1)", "000 Table 6"),
            "egm_fitted_printed": series(t6["egm_fitted"], "EGM(1,1) fitted values as printed", "000 Table 6"),
            "linear_fitted_printed": series(t6["linear_fitted"], "linear regression fit as printed", "000 Table 6"),
            "weight": xr.DataArray(
                t5["weight"].to_numpy(), dims="indicator",
                coords={"indicator": t5.index.to_numpy(),
                        "indicator_name": ("indicator", t5["name"].to_numpy(dtype=str)),
                        "indicator_attribute": ("indicator", t5["attribute"].to_numpy(dtype=str)),
                        "indicator_units": ("indicator", t5["units"].to_numpy(dtype=str))},
                attrs={"units": "1", "long_name": "entropy weight", "source": "000 Table 5 (Table 2 attributes)"},
            ),
        }
    )
    ds.attrs.update(
        title="Bengbu industrial fuel use, carbon emissions and indicators 2011-2020",
        source=BENGBU_CITATION,
        notes="Values as printed, converted on read (paper units in each variable's paper_units). "
        "The printed CE (Table 4) is 0.2-1.2 % above sum(fuel_use x emission_factor) in every year "
        "(fastcarbon.report.bengbu_accounting). Table 6's X(0) is a different series from Table 4's "
        "CE (they agree only in 2020, 340.91); both are read as carbon in 10^4 t, the text's "
        "'million tons' for 2020 is a slip. Table 6's residual columns are shifted by one row and "
        "are not shipped. The natural-gas emission factor 2.1622 is shipped as printed (flagged in "
        "emission_factor_note).",
    )
    return ds
