"""fastcarbon._build: labelled outputs put together without xarray's merge must be the objects the
public constructors build, and must not share mutable state with the inputs."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from fastcarbon import _build
from fastcarbon.accounting import bottom_up
from fastcarbon.grey import fit_egm, fit_linear, forecast_egm, forecast_linear
from fastcarbon.peaks import peak
from fastcarbon.uncertainty import monte_carlo

YEARS = np.arange(2011, 2021)


def _series():
    rng = np.random.default_rng(5)
    x = 100.0 * np.cumprod(1.0 + 0.06 * (rng.random((3, 2, YEARS.size)) - 0.3), axis=-1)
    return xr.DataArray(
        x, dims=("region", "sector", "year"),
        coords={"region": ["A", "B", "C"], "year": YEARS, "name": ("region", ["a", "b", "c"]), "run": 1},
        attrs={"units": "Mt CO2"},
    )


def _calls():
    da = _series()
    dims = ("sector", "process", "equipment", "fuel")
    P = xr.DataArray(np.ones((2, 1, 1)), dims=dims[:3], coords={"sector": ["s", "t"]}, attrs={"units": "t"})
    E = xr.DataArray(np.full((2, 1, 1, 2), 0.5), dims=dims,
                     coords={"sector": ["s", "t"], "fuel": ["coal", "gas"]}, attrs={"units": "tce/t"})
    F = xr.DataArray([2.66, 1.56], dims="fuel", coords={"fuel": ["coal", "gas"]},
                     attrs={"units": "t CO2/tce"})
    act = xr.DataArray(np.linspace(1, 2, 10), dims="year", coords={"year": YEARS},
                       attrs={"units": "1e8 yuan"})
    inten = xr.DataArray(np.linspace(2, 1, 10), dims="year", coords={"year": YEARS},
                         attrs={"units": "t CO2/(1e4 yuan)"})
    return {
        "fit_egm": lambda: fit_egm(da),
        "forecast_egm": lambda: forecast_egm(fit_egm(da), 4),
        "fit_linear": lambda: fit_linear(da.transpose("year", "sector", "region")),
        "forecast_linear": lambda: forecast_linear(fit_linear(da.isel(region=0)), 2),
        "one_series": lambda: forecast_egm(fit_egm(da.isel(region=1, sector=0)), 3),
        "bottom_up": lambda: bottom_up(P, E, F),
        "peak": lambda: peak(da, target=2015),
        "monte_carlo": lambda: monte_carlo(None, 20, seed=3, activity=act, intensity=inten),
    }


@pytest.mark.parametrize("name", list(_calls()))
def test_direct_construction_equals_public_constructors(name, monkeypatch):
    direct = _calls()[name]()
    monkeypatch.setattr(_build, "_DIRECT", None)
    public = _calls()[name]()
    xr.testing.assert_identical(direct, public)
    assert type(direct) is type(public)
    assert dict(direct.sizes) == dict(public.sizes)
    assert set(direct.xindexes) == set(public.xindexes)
    for k, v in direct.coords.items():
        assert type(v.variable) is type(public.coords[k].variable), k
    # The direct object behaves like any other: selection, arithmetic, a round trip through a copy.
    first = {d: 0 for d in direct.dims}
    xr.testing.assert_identical(direct.isel(first), public.isel(first))
    xr.testing.assert_identical(direct.copy(deep=True), public)


def test_outputs_share_no_attrs_with_inputs():
    da = _series()
    da["year"].attrs["units"] = "year"
    fit = fit_egm(da)
    fit["year"].attrs["changed"] = 1
    fit["name"].attrs["changed"] = 1
    fit.a.attrs["changed"] = 1
    assert "changed" not in da["year"].attrs and "changed" not in da["name"].attrs
    again = fit_egm(da)  # cached metadata is copied, never handed out
    assert "changed" not in again.a.attrs and "changed" not in again["year"].attrs
    again.grade.attrs["flag_values"][0] = 99
    assert fit_egm(da).grade.attrs["flag_values"][0] == -1
    fc = forecast_egm(fit, 3)
    fc["year"].attrs["changed"] = 1
    assert "changed" not in forecast_egm(fit_egm(da), 3)["year"].attrs


def test_is_lazy():
    da = _series()
    assert not _build.is_lazy(da) and not _build.is_lazy(da.variable)
    pytest.importorskip("dask")
    assert _build.is_lazy(da.chunk({"region": 1})) and _build.is_lazy(da.chunk({"region": 1}).variable)
