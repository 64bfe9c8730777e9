"""fastcarbon.accounting.bottom_up and potentials: labels, units, dask, properties, bad input."""

from __future__ import annotations

import re

import dask
import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

from fastcarbon.accounting import bottom_up, potentials
from fastcarbon.errors import (
    CoordinateMismatchError,
    InputError,
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
    UnitError,
    UnknownLabelError,
)
from fastcarbon.reference import bottom_up_einsum

from strategies import tensor_inputs

CORE = ("sector", "process", "equipment", "fuel")
SECTORS = ["steel", "chemical", "building_materials", "nonferrous", "auto", "electronics", "other"]
FUELS = ["coal", "refined_oil", "natural_gas", "electricity", "coke", "lpg"]


def labelled(p, e, f, extra=("scenario", "year")):
    """Label numpy inputs from tensor_inputs(): extra dims right-aligned, as numpy broadcasts."""
    m, i, j, n = e.shape[-4:]
    coords = {"sector": SECTORS[:m] if m <= len(SECTORS) else range(m), "fuel": FUELS[:n] if n <= len(FUELS) else range(n)}

    def wrap(x, core):
        lead = extra[len(extra) - (x.ndim - len(core)) :] if x.ndim > len(core) else ()
        dims = tuple(lead) + core
        # size-1 extra dims stand for "broadcast": drop them as a user would simply not have them
        da = xr.DataArray(x, dims=dims, coords={d: coords[d] for d in core if d in coords})
        return da.isel({d: 0 for d in lead if x.shape[dims.index(d)] == 1}, drop=True)

    return wrap(p, CORE[:3]), wrap(e, CORE), wrap(f, CORE)


def small_case(seed=0, n_years=4, n_scen=2):
    rng = np.random.default_rng(seed)
    p = rng.random((n_scen, n_years, 3, 2, 2))
    e = rng.random((n_years, 3, 2, 2, 4))
    f = rng.random(4) * 3
    years = np.arange(2020, 2020 + n_years)
    P = xr.DataArray(p, dims=("scenario", "year", "sector", "process", "equipment"),
                     coords={"scenario": ["RS", "PP", ][:n_scen], "year": years, "sector": SECTORS[:3]},
                     attrs={"units": "t"})
    E = xr.DataArray(e, dims=("year",) + CORE, coords={"year": years, "sector": SECTORS[:3], "fuel": FUELS[:4]},
                     attrs={"units": "tce/t"})
    F = xr.DataArray(f, dims="fuel", coords={"fuel": FUELS[:4]}, attrs={"units": "t CO2/tce"})
    return P, E, F


@given(tensor_inputs())
def test_labelled_matches_einsum_reference(inputs):
    p, e, f = inputs
    out = bottom_up(*labelled(p, e, f))
    ref_energy, ref_emissions = bottom_up_einsum(p, e, f)
    for name, ref in (("energy", ref_energy), ("emissions", ref_emissions)):
        got = out[f"{name}_by_sector_fuel"]
        # numpy right-aligns extra dims as (scenario, year); size-1 ones were dropped by labelled()
        got = got.transpose(*[d for d in ("scenario", "year") if d in got.dims], "sector", "fuel").values
        np.testing.assert_allclose(got, ref.reshape(got.shape), rtol=1e-12, atol=1e-6)


@given(tensor_inputs(), st.floats(0.0, 1e3))
def test_linear_in_activity(inputs, a):
    p, e, f = inputs
    P, E, F = labelled(p, e, f)
    one, scaled = bottom_up(P, E, F), bottom_up(P * a, E, F)
    for v in ("energy", "emissions", "emissions_by_sector_fuel"):
        np.testing.assert_allclose(scaled[v], a * one[v], rtol=1e-12, atol=1e-6 * (1 + a))


@given(tensor_inputs())
def test_breakdowns_add_up_to_totals(inputs):
    P, E, F = labelled(*inputs)
    out = bottom_up(P, E, F)
    for what in ("energy", "emissions"):
        total = out[what]
        for by in ("sector", "fuel"):
            np.testing.assert_allclose(out[f"{what}_by_{by}"].sum(by), total, rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(out[f"{what}_by_sector_fuel"].sum(("sector", "fuel")), total, rtol=1e-12, atol=1e-6)


@given(tensor_inputs(), st.data())
def test_invariant_to_permuting_labels(inputs, data):
    P, E, F = labelled(*inputs)
    out = bottom_up(P, E, F)
    # Permuting process or equipment reorders the sums; with signed factors the terms can cancel,
    # so the rounding of a reordered sum scales with the terms (Σ |f| e P), not with the result.
    terms = bottom_up(P, E, abs(F))
    atol = 1e-12 * (1.0 + max(float(abs(terms[v]).max()) for v in terms.data_vars))
    for dim in ("sector", "fuel", "process", "equipment"):
        perm = data.draw(st.permutations(range(E.sizes[dim])))
        # Permute one input only: labels, not positions, decide what multiplies what.
        E2 = E.isel({dim: list(perm)})
        if dim in ("process", "equipment"):  # no labels on these: permute every input alike
            P2, F2 = P.isel({dim: list(perm)}), F.isel({dim: list(perm)})
        else:
            P2, F2 = P, F
        out2 = bottom_up(P2, E2, F2)
        xr.testing.assert_allclose(out2.sortby(["sector", "fuel"]), out.sortby(["sector", "fuel"]), rtol=1e-12,
                                   atol=max(atol, 1e-6))


@pytest.mark.parametrize("chunks", [{"year": 1}, {"year": 3, "scenario": 1}, {"scenario": 2}])
def test_chunked_equals_eager_bit_for_bit(chunks):
    P, E, F = small_case(n_years=5)
    eager = bottom_up(P, E, F)
    Pc = P.chunk({k: v for k, v in chunks.items() if k in P.dims})
    Ec = E.chunk({k: v for k, v in chunks.items() if k in E.dims})
    lazy = bottom_up(Pc, Ec, F)
    assert all(isinstance(lazy[v].data, dask.array.Array) for v in lazy.data_vars)
    computed = lazy.compute()
    for v in eager.data_vars:
        np.testing.assert_array_equal(computed[v].values, eager[v].transpose(*computed[v].dims).values)


def test_outputs_carry_units_coords_and_names():
    P, E, F = small_case()
    out = bottom_up(P, E, F, emissions_units="Mt CO2")
    assert out.emissions.dims == ("year", "scenario")
    assert list(out.sector.values) == SECTORS[:3] and list(out.fuel.values) == FUELS[:4]
    for v in out.data_vars:
        assert out[v].attrs["units"] in ("tce", "Mt CO2") and out[v].attrs["long_name"]
    ref = bottom_up(P, E, F)
    np.testing.assert_allclose(out.emissions * 1e6, ref.emissions, rtol=1e-14)


def test_units_convert_through_pint():
    P, E, F = small_case()
    base = bottom_up(P, E, F)
    # intensity in GJ/t and a carbon factor in t C/tce: same physics, other units.
    E_gj = (E * 29.3076).assign_attrs(units="GJ/t")
    F_c = (F * 12 / 44).assign_attrs(units="t C/tce")
    other = bottom_up(P, E_gj, F_c)
    xr.testing.assert_allclose(other, base, rtol=1e-12)
    carbon = bottom_up(P, E, F, emissions_units="t C")
    np.testing.assert_allclose(carbon.emissions * 44 / 12, base.emissions, rtol=1e-14)


def test_factor_per_sector_and_fuel_and_full_factor_agree():
    P, E, F = small_case()
    F_sf = F.expand_dims(sector=E.sector).copy()
    F_full = F_sf.expand_dims(process=2, equipment=2).transpose("sector", "process", "equipment", "fuel")
    a, b, c = bottom_up(P, E, F), bottom_up(P, E, F_sf), bottom_up(P, E, F_full)
    xr.testing.assert_allclose(a, b, rtol=1e-13)
    xr.testing.assert_allclose(a, c, rtol=1e-13)


def test_factor_table_with_more_fuels_in_another_order():
    P, E, F = small_case()
    bigger = xr.DataArray([9.0, *F.values[::-1]], dims="fuel", coords={"fuel": ["peat", *FUELS[:4][::-1]]},
                          attrs=F.attrs)
    xr.testing.assert_identical(bottom_up(P, E, bigger), bottom_up(P, E, F))


def test_factor_extra_dims_broadcast():
    P, E, F = small_case()
    F_year = F.expand_dims(year=E.year).copy()
    F_year[1] *= 2  # a factor that changes over time
    out = bottom_up(P, E, F_year)
    base = bottom_up(P, E, F)
    np.testing.assert_allclose(out.emissions.sel(year=2021), 2 * base.emissions.sel(year=2021))


# ---------------------------------------------------------------- bad input


def _poison(which, value, labelled_year=True):
    """small_case() with one bad value; the labels the error must name."""
    P, E, F = small_case()
    if not labelled_year:
        P, E = P.drop_vars("year"), E.drop_vars("year")
    year = "year=2022" if labelled_year else "year[2]"
    if which == "activity":
        P = P.copy()
        P[1, 2, 1] = value  # scenario PP, third year, sector chemical
        where = f"scenario='PP', {year}, sector='chemical', process[0], equipment[0]"
    elif which == "intensity":
        E = E.copy()
        E[2, 0, 0, 0, 2] = value  # third year, steel, natural gas
        where = f"{year}, sector='steel', process[0], equipment[0], fuel='natural_gas'"
    else:
        F = F.copy()
        F[2] = value
        where = "fuel='natural_gas'"
    return (P, E, F), f"{which}: bad value {value} at {where}"


@pytest.mark.parametrize("which", ["activity", "intensity"])
@pytest.mark.parametrize("value", [-1.0, np.nan])
@pytest.mark.parametrize("labelled_year", [True, False])
def test_negative_or_nan_named_by_labels(which, value, labelled_year):
    (P, E, F), message = _poison(which, value, labelled_year)
    with pytest.raises(InvalidValueError, match=re.escape(message)):
        bottom_up(P, E, F)


def test_nan_factor():
    (P, E, F), message = _poison("factor", np.nan)
    with pytest.raises(InvalidValueError, match=re.escape(message)):
        bottom_up(P, E, F)


@pytest.mark.parametrize("which,value", [("activity", -1.0), ("intensity", np.nan), ("factor", np.nan)])
@pytest.mark.parametrize("chunks", [{"year": 2}, {"year": 1, "scenario": 1}])
@pytest.mark.parametrize("labelled_year", [True, False])
def test_bad_values_under_dask_named_by_global_labels(which, value, chunks, labelled_year):
    """A bad value in a later block is reported by its labels in the whole array, as eager is."""
    (P, E, F), message = _poison(which, value, labelled_year)
    lazy = bottom_up(*(da.chunk({k: v for k, v in chunks.items() if k in da.dims}) for da in (P, E, F)))
    with pytest.raises(InvalidValueError, match=re.escape(message)):
        lazy.compute()


def test_mismatched_coordinates():
    P, E, F = small_case()
    P2 = P.assign_coords(sector=["steel", "chemical", "paper"])
    with pytest.raises(CoordinateMismatchError, match=r"'sector'.*missing from activity: \['building_materials'\].*\['paper'\]"):
        bottom_up(P2, E, F)
    P3 = P.assign_coords(year=P.year + 1)
    with pytest.raises(CoordinateMismatchError, match="'year'"):
        bottom_up(P3, E, F)


def test_missing_dims():
    P, E, F = small_case()
    with pytest.raises(MissingDimensionError, match=r"intensity: missing required dimension\(s\) \['fuel'\]"):
        bottom_up(P, E.isel(fuel=0), F)
    with pytest.raises(MissingDimensionError, match=r"activity: missing required dimension\(s\) \['equipment'\]"):
        bottom_up(P.isel(equipment=0), E, F)
    with pytest.raises(MissingDimensionError, match="factor"):
        bottom_up(P, E, F.isel(fuel=0))
    with pytest.raises(InputError, match="activity: must not have a 'fuel' dim"):
        bottom_up(P.expand_dims(fuel=["coal"]), E, F)


def test_fuel_absent_from_factor_set():
    P, E, F = small_case()
    with pytest.raises(UnknownLabelError, match=r"factor: no emission factor for fuel\(s\) \['electricity'\]; available fuels: \['coal', 'refined_oil', 'natural_gas'\]"):
        bottom_up(P, E, F.sel(fuel=["coal", "refined_oil", "natural_gas"]))


def test_non_numeric_and_wrong_types():
    P, E, F = small_case()
    with pytest.raises(InputTypeError, match="intensity: data must be real numbers"):
        bottom_up(P, E.astype(str), F)
    with pytest.raises(InputTypeError, match="activity: expected an xarray.DataArray"):
        bottom_up(P.values, E, F)
    with pytest.raises(InputTypeError, match="bool"):
        bottom_up(P > 0, E, F)


@pytest.mark.parametrize(
    "patch, match",
    [
        ({"activity": "t"}, None),
        ({"intensity": "t CO2/t"}, r"activity × intensity \(energy\)"),
        ({"factor": "t CO2/t"}, r"energy × factor \(emissions\)"),
        ({"factor": "not a unit"}, "factor: cannot parse units"),
    ],
)
def test_incompatible_units(patch, match):
    P, E, F = small_case()
    arrays = {"activity": P, "intensity": E, "factor": F}
    for k, u in patch.items():
        arrays[k] = arrays[k].assign_attrs(units=u)
    if match is None:
        bottom_up(arrays["activity"], arrays["intensity"], arrays["factor"])
        return
    with pytest.raises(UnitError, match=match):
        bottom_up(arrays["activity"], arrays["intensity"], arrays["factor"])


# ---------------------------------------------------------------- potentials


def test_potentials_against_hand_computation():
    P, E, F = small_case()
    P = P.copy()
    P.loc[dict(scenario="PP")] = P.sel(scenario="RS") * 0.8
    P.loc[dict(scenario="PP", sector="steel")] = P.sel(scenario="RS", sector="steel") * 0.5
    out = bottom_up(P, E, F)
    pot = potentials(out, reference="RS")
    ce0, cea = out.emissions.sel(scenario="RS"), out.emissions.sel(scenario="PP")
    np.testing.assert_allclose(pot.cmp.sel(scenario="PP"), (ce0 - cea) / ce0)
    e0, ea = out.energy.sel(scenario="RS"), out.energy.sel(scenario="PP")
    np.testing.assert_allclose(pot.esp.sel(scenario="PP"), (e0 - ea) / e0)
    np.testing.assert_allclose(pot.emission_reduction_share.sel(scenario="PP").sum("sector"), 1.0)
    assert (pot.cmp.sel(scenario="RS") == 0).all()
    assert pot.emission_reduction_share.sel(scenario="RS").isnull().all()
    assert pot.cmp.attrs["units"] == "1" and pot.emission_reduction.attrs["units"] == "t CO2"


def test_potentials_bad_input():
    P, E, F = small_case()
    out = bottom_up(P, E, F)
    with pytest.raises(UnknownLabelError, match=r"reference: 'BAU' is not a label of 'scenario'; available: \['RS', 'PP'\]"):
        potentials(out, reference="BAU")
    with pytest.raises(MissingDimensionError, match="'region'"):
        potentials(out, reference="RS", dim="region")
    with pytest.raises(UnknownLabelError, match="missing variable"):
        potentials(out[["energy"]], reference="RS")
    with pytest.raises(InputTypeError):
        potentials(out.energy, reference="RS")
