"""The standard LMDI identities (fastcarbon.decompose.identities), the Bengbu and Chongqing
decompositions, their Monte Carlo bands and the decomposition figure."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

from fastcarbon.accounting import bottom_up, fuel_emissions, potentials
from fastcarbon.decompose import fuel_mix_factors, lmdi, sector_identity
from fastcarbon.errors import (
    CoordinateMismatchError,
    FlaggedFactorWarning,
    InputError,
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
    UnitError,
    UnknownLabelError,
)

SECTORS = ["steel", "cement", "chemical"]
FUELS = ["coal", "refined_oil", "natural_gas"]
YEARS = [2020, 2021, 2022]


def _product(f: xr.Dataset) -> xr.DataArray:
    names = [n.strip() for n in f.attrs["identity"].split("=")[1].split("*")]
    out = f[names[0]]
    for n in names[1:]:
        out = out * f[n]
    return out.sum(f.attrs["over"].split())


def _data(values, dims, units):
    coords = {"year": YEARS, "sector": SECTORS, "fuel": FUELS}
    return xr.DataArray(np.asarray(values, dtype=np.float64), dims=dims,
                        coords={d: coords[d][: np.shape(values)[i]] for i, d in enumerate(dims)}, attrs={"units": units})


# values in [0, 100] with some exact zeros: a sector or fuel that stops or starts
_value = st.one_of(st.just(0.0), st.floats(1e-3, 100.0))


def _arrays(shape):
    return st.lists(_value, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))).map(
        lambda v: np.reshape(v, shape))


# ------------------------------------------------------------------------------------------------
# identities reproduce V


@given(q=_arrays((3, 3)), e=_arrays((3, 3, 3)), k=_arrays((3, 3, 3)))
def test_sector_identity_with_fuels_reproduces_emissions(q, e, k):
    # energy only where the sector has activity, emissions only where there is energy
    e = e * (q[..., None] > 0)
    c = e * k
    activity = _data(q, ("year", "sector"), "1e8 CNY")
    f = sector_identity(activity, _data(c, ("year", "sector", "fuel"), "t CO2"),
                        energy=_data(e, ("year", "sector", "fuel"), "tce"), fuel_dim="fuel")
    assert f.attrs["identity"] == "emissions = activity * structure * intensity * mix * factor"
    assert f.attrs["over"] == "sector fuel"
    np.testing.assert_allclose(_product(f), c.sum((1, 2)), rtol=1e-12, atol=1e-12 * max(1.0, c.max()))
    np.testing.assert_allclose(f.emissions, c.sum((1, 2)), rtol=1e-12)
    for name in ("activity", "structure", "intensity", "mix", "factor", "emissions"):
        assert {"units", "long_name"} <= set(f[name].attrs)
        assert bool(np.isfinite(f[name]).all()) and bool((f[name] >= 0).all())
    assert f.intensity.attrs["units"] == "tce / (1e8 CNY)" and f.factor.attrs["units"] == "t CO2 / (tce)"
    # a sector without activity has structure 0 and intensity 0 (its term is 0 in the data too)
    idle = q == 0
    assert (f.structure.values[idle] == 0).all() and (f.intensity.values[idle] == 0).all()


@given(q=_arrays((3,)), c=_arrays((3, 3)))
def test_sector_identity_total_activity_and_carbon_intensity(q, c):
    # scenario Datasets: a total activity (GDP) and emissions by sector, no energy
    q = q + 1.0
    f = sector_identity(_data(q, ("year",), "1e8 CNY"), _data(c, ("year", "sector"), "Mt CO2"))
    assert f.attrs["identity"] == "emissions = activity * intensity" and "structure" not in f
    np.testing.assert_allclose(_product(f), c.sum(1), rtol=1e-12, atol=1e-12 * max(1.0, c.max()))


def test_sector_identity_from_a_bottom_up_result():
    rng = np.random.default_rng(1)
    dims = ("year", "sector", "process", "equipment")
    P = xr.DataArray(rng.uniform(1, 5, (3, 3, 2, 2)), dims=dims, coords={"year": YEARS, "sector": SECTORS},
                     attrs={"units": "t"})
    e = xr.DataArray(rng.uniform(0.1, 1, (3, 2, 2, 3)), dims=("sector", "process", "equipment", "fuel"),
                     coords={"sector": SECTORS, "fuel": FUELS}, attrs={"units": "tce/t"})
    out = bottom_up(P, e, "hj2021")
    value_added = _data(rng.uniform(10, 20, (3, 3)), ("year", "sector"), "1e4 CNY")
    f = sector_identity(value_added, out, fuel_dim="fuel")
    assert f.attrs["identity"] == "emissions = activity * structure * intensity * mix * factor"
    np.testing.assert_allclose(_product(f), out.emissions, rtol=1e-12)
    # the factor of each fuel is the HJ 2021 factor (t CO2/tce), whatever the sector
    np.testing.assert_allclose(f.factor.sel(fuel="coal"), 2.66, rtol=1e-12)
    no_fuel = sector_identity(value_added, out)
    assert no_fuel.attrs["identity"] == "emissions = activity * structure * intensity * factor"
    np.testing.assert_allclose(_product(no_fuel), out.emissions, rtol=1e-12)


def test_fuel_mix_factors_reproduce_fuel_accounting():
    from fastcarbon.datasets import bengbu

    use = bengbu().fuel_use
    for units in ("t CO2", "10**4 t C"):
        f = fuel_mix_factors(use, bengbu().emission_factor, units=units)
        with pytest.warns(FlaggedFactorWarning):  # bengbu2023's natural-gas factor, as printed
            acc = fuel_emissions(use, "bengbu2023", units=units).emissions
        assert f.attrs["identity"] == "emissions = energy * mix * factor" and f.attrs["over"] == "fuel"
        np.testing.assert_allclose(_product(f), acc, rtol=1e-12)
        np.testing.assert_allclose(f.mix.sum("fuel"), 1.0, rtol=1e-12)
        assert f.factor.attrs["units"] == f"{units} / (tce)" and f.energy.attrs["units"] == "tce"
    # coke is 0 in 2014: share 0, the factor is still Table 1's
    assert float(f.mix.sel(year=2014, fuel="coke")) == 0.0


def test_fuel_mix_factors_zero_year_and_set_names():
    E = xr.DataArray([[80.0, 20.0], [0.0, 0.0]], dims=("year", "fuel"),
                     coords={"year": [2020, 2021], "fuel": ["coal", "natural_gas"]}, attrs={"units": "10**4 tce"})
    f = fuel_mix_factors(E, "hj2021")
    assert f.mix.sel(year=2021).values.tolist() == [0.0, 0.0]
    np.testing.assert_allclose(f.factor.values, [2.66e4, 1.56e4])  # t CO2 per 10^4 tce
    np.testing.assert_allclose(_product(f), [80 * 2.66e4 + 20 * 1.56e4, 0.0], rtol=1e-12)


# ------------------------------------------------------------------------------------------------
# bad inputs


@pytest.fixture
def three():
    q = _data(np.full((3, 3), 10.0), ("year", "sector"), "1e8 CNY")
    e = _data(np.full((3, 3, 3), 2.0), ("year", "sector", "fuel"), "tce")
    c = (e * 2.5).assign_attrs(units="t CO2")
    return q, e, c


def test_sector_identity_bad_inputs(three):
    q, e, c = three
    with pytest.raises(InvalidValueError, match=r"activity: bad value -1.0 at year=2021, sector='cement'.*negative"):
        sector_identity(q.where((q.year != 2021) | (q.sector != "cement"), -1.0), c, energy=e, fuel_dim="fuel")
    with pytest.raises(InvalidValueError, match="emissions: bad value nan"):
        sector_identity(q, c.where(c.fuel != "coal"), energy=e, fuel_dim="fuel")
    with pytest.raises(CoordinateMismatchError, match="sector"):
        sector_identity(q.assign_coords(sector=["steel", "cement", "glass"]), c, energy=e, fuel_dim="fuel")
    with pytest.raises(MissingDimensionError, match="fuel"):
        sector_identity(q, c.sum("fuel"), fuel_dim="fuel")
    with pytest.raises(MissingDimensionError, match="sector"):
        sector_identity(q, c.rename(sector="industry"))
    with pytest.raises(InputError, match="activity: must not have the fuel dim"):
        sector_identity(q * xr.ones_like(e.isel(year=0, sector=0, drop=True)), c, fuel_dim="fuel")
    with pytest.raises(InputError, match="energy: dims"):
        sector_identity(q.isel(year=0, drop=True), c.isel(year=0, drop=True), energy=e, fuel_dim="fuel")
    with pytest.raises(InputTypeError, match="activity"):
        sector_identity(q.values, c)
    with pytest.raises(InputTypeError, match="emissions"):
        sector_identity(q, c.astype(bool))
    with pytest.raises(UnitError):
        sector_identity(q.assign_attrs(units="parsecs of joy"), c)


def test_sector_identity_energy_without_activity_and_emissions_without_energy(three):
    q, e, c = three
    idle = q.where(q.sector != "steel", 0.0)
    with pytest.raises(InvalidValueError, match=r"energy of a sector: 6.0 at year=2020, sector='steel'.*activity"):
        sector_identity(idle, c, energy=e, fuel_dim="fuel")
    none = e.where(e.fuel != "natural_gas", 0.0)
    with pytest.raises(InvalidValueError, match=r"emissions: 5.0 at year=2020, sector='steel', fuel='natural_gas'"):
        sector_identity(q, c, energy=none, fuel_dim="fuel")
    # but a sector with neither activity nor energy nor emissions is fine: all its factors are 0
    f = sector_identity(idle, c.where(c.sector != "steel", 0.0), energy=e.where(e.sector != "steel", 0.0),
                        fuel_dim="fuel")
    assert float(f.structure.sel(sector="steel").max()) == 0.0 and float(f.mix.sel(sector="steel").max()) == 0.0


def test_sector_identity_dataset_without_sector_variables(three):
    q, _, _ = three
    with pytest.raises(UnknownLabelError, match="emissions_by_sector_fuel"):
        sector_identity(q, xr.Dataset({"emissions": q}), fuel_dim="fuel")


def test_fuel_mix_factors_bad_inputs():
    E = xr.DataArray([[80.0, 20.0]], dims=("year", "fuel"), coords={"year": [2020], "fuel": ["coal", "gas"]},
                     attrs={"units": "tce"})
    with pytest.raises(UnknownLabelError, match="gas"):
        fuel_mix_factors(E, "hj2021")
    with pytest.raises(InvalidValueError, match="energy: bad value -1.0 at year=2020, fuel='gas'"):
        fuel_mix_factors(E.where(E.fuel == "coal", -1.0).assign_attrs(units="tce"),
                         xr.DataArray([2.66, 1.56], dims="fuel", coords={"fuel": ["coal", "gas"]},
                                      attrs={"units": "t CO2/tce"}))
    with pytest.raises(InvalidValueError, match="factors: bad value -0.5"):
        fuel_mix_factors(E, xr.DataArray([2.66, -0.5], dims="fuel", coords={"fuel": ["coal", "gas"]},
                                         attrs={"units": "t CO2/tce"}))
    with pytest.raises(MissingDimensionError, match="fuel"):
        fuel_mix_factors(E.rename(fuel="carrier"), "hj2021")
    with pytest.raises(UnitError, match="energy × factors"):
        fuel_mix_factors(E.assign_attrs(units="t"), xr.DataArray([2.66, 1.56], dims="fuel",
                         coords={"fuel": ["coal", "gas"]}, attrs={"units": "t CO2/tce"}))
    with pytest.raises(InputTypeError, match="factors"):
        fuel_mix_factors(E, [2.66, 1.56])
    with pytest.raises(UnknownLabelError, match="emission_factor"):
        fuel_mix_factors(E, xr.Dataset({"ncv": E}))


# ------------------------------------------------------------------------------------------------
# an identity straight into lmdi


def test_identity_into_lmdi_sums_to_the_change(three):
    q, e, c = three
    rng = np.random.default_rng(3)
    e = e * rng.uniform(0.5, 1.5, e.shape)
    c = (e * rng.uniform(2, 3, e.shape)).assign_attrs(units="t CO2")
    f = sector_identity(q * [1.0, 1.1, 1.3], c, energy=e.assign_attrs(units="tce"), fuel_dim="fuel")
    over = f.attrs["over"].split()
    r = lmdi(f, dim="year", over=over, identity=f.attrs["identity"])  # checks f.emissions against the factors
    change = c.sum(("sector", "fuel")).diff("year")
    np.testing.assert_allclose(r.effect.sum("factor").transpose("period", ...), change, rtol=1e-12)


@given(q=_arrays((3, 3)), e=_arrays((3, 3, 3)), k=_arrays((3, 3, 3)))
def test_identity_with_zeros_into_lmdi_is_exact(q, e, k):
    # sectors and fuels that appear and disappear between years: the 0/0 = 0 factors meet
    # lmdi's limits of Ang & Liu (2007), and the effects still add up to the change
    e = e * (q[..., None] > 0)
    c = e * k
    f = sector_identity(_data(q, ("year", "sector"), "1e8 CNY"), _data(c, ("year", "sector", "fuel"), "t CO2"),
                        energy=_data(e, ("year", "sector", "fuel"), "tce"), fuel_dim="fuel")
    r = lmdi(f, dim="year", over=["sector", "fuel"], identity=f.attrs["identity"])
    change = np.diff(c.sum((1, 2)))
    scale = c.sum((1, 2)).max() + 1.0
    np.testing.assert_allclose(r.effect.sum("factor").values, change, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(r.effect_by.sum(("sector", "fuel")), r.effect, rtol=0, atol=1e-12 * scale)


# ------------------------------------------------------------------------------------------------
# Bengbu


@pytest.fixture(scope="module")
def bengbu_result():
    from fastcarbon.studies.bengbu import bengbu_decomposition

    return bengbu_decomposition()


def test_bengbu_effects_sum_to_the_accounting_change(bengbu_result):
    r = bengbu_result
    assert r.factor.values.tolist() == ["energy", "mix", "factor"]
    np.testing.assert_allclose(float(r.effect.sum("factor")), float(r.accounting_change), rtol=1e-12)
    np.testing.assert_allclose(float(r.total), float(r.accounting_change), rtol=1e-12)
    assert float(r.effect.sel(factor="factor")) == 0.0  # Table 1's factors do not change
    np.testing.assert_allclose(r.effect_by.sum("fuel"), r.effect, rtol=1e-12)
    np.testing.assert_allclose(float(np.prod(r["index"].values)), float(r.V_target / r.V_base), rtol=1e-12)
    assert r.effect.attrs["units"] == "t CO2"


def test_bengbu_chained_equals_direct(bengbu_result):
    r = bengbu_result
    assert r.sizes["period"] == 9
    np.testing.assert_allclose(float(r.change_yearly.sum("period")), float(r.total), rtol=1e-12)
    np.testing.assert_allclose(r.effect_yearly.sum("factor"), r.change_yearly, rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(r.effect_chained, r.effect_yearly.sum("period"), rtol=1e-12)
    # each year's change is the accounting's
    from fastcarbon.studies.bengbu import bengbu_accounting

    co2 = bengbu_accounting().computed_co2
    np.testing.assert_allclose(r.change_yearly.values, np.diff(co2.values), rtol=1e-10)


# ------------------------------------------------------------------------------------------------
# Chongqing


@pytest.fixture(scope="module")
def chongqing_result():
    from fastcarbon.studies.chongqing import chongqing_decomposition

    return chongqing_decomposition()


def test_chongqing_effects_sum_to_the_reduction_potential(chongqing_result):
    from fastcarbon.studies.chongqing import chongqing_scenarios

    r = chongqing_result
    assert r.year.values.tolist() == [2030, 2050, 2060]
    pot = potentials(chongqing_scenarios(), reference="RS").sel(scenario="AP-NZES", year=[2030, 2050, 2060])
    np.testing.assert_allclose(-r.effect.sum("factor"), pot.emission_reduction, rtol=1e-12)
    np.testing.assert_allclose(-r.effect_by.sum("factor"), r.reduction_potential_by_sector.transpose(*r.effect_by.dims[1:]),
                               rtol=1e-12)
    np.testing.assert_allclose(r.reduction_potential_by_sector.sum("sector") / pot.emission_reduction, 1.0, rtol=1e-12)
    assert (r.effect.sel(factor="activity") == 0).all()  # AP-NZES inherits RS's GDP
    # 2060: AP-NZES emits nothing, so the intensity effect is minus RS's emissions (Ang & Liu's limit)
    np.testing.assert_allclose(r.effect_by.sel(factor="intensity", year=2060), -r.reduction_potential_by_sector.sel(year=2060),
                               rtol=1e-12)
    assert float(r.V_target.sel(year=2060)) == 0.0


def test_chongqing_other_pairs_and_bad_inputs():
    from fastcarbon.studies.chongqing import chongqing_decomposition

    r = chongqing_decomposition([2040], base="RS", target="PP-NZES")
    np.testing.assert_allclose(-r.effect.sum("factor"), r.reduction_potential, rtol=1e-12)
    assert r.effect.sel(factor="intensity").item() < 0 < r.reduction_potential.item()
    with pytest.raises(InputError, match="no gap to itself"):
        chongqing_decomposition(base="RS", target="RS")
    with pytest.raises(UnknownLabelError, match="XX"):
        chongqing_decomposition(target="XX")


def test_chongqing_monte_carlo_effect_quantiles():
    from fastcarbon.studies.chongqing import chongqing_decomposition_draws, chongqing_monte_carlo

    r = chongqing_decomposition_draws(300, seed=5)
    for suffix in ("", "_by_sector"):
        p5, p50, p95 = (r[f"{q}{suffix}"] for q in ("p5", "p50", "p95"))
        assert bool(((p5 <= p50) & (p50 <= p95)).all())
    i = r.sel(factor="intensity")
    assert bool((i.p5 < i.p95).all())  # the draws spread
    assert (r.effect.sel(factor="activity") == 0).all()  # common GDP in every draw
    np.testing.assert_allclose(-r.effect.sum("factor"), r.reduction_potential, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.effect_by.sum("sector"), r.effect, rtol=1e-10, atol=1e-12)
    # the draws are chongqing_monte_carlo's: the same bands of emissions
    mc = chongqing_monte_carlo(300, seed=5).sel(year=[2030, 2050, 2060])
    np.testing.assert_allclose(r.V_base.quantile([0.05, 0.5, 0.95], "draw").transpose(),
                               np.stack([mc[q].sel(scenario="RS") for q in ("p5", "p50", "p95")], -1), rtol=1e-12)
    np.testing.assert_allclose(r.V_target.median("draw"), mc.p50.sel(scenario="AP-NZES"), rtol=1e-12, atol=1e-12)
    assert r.p50.attrs["units"] == "Mt CO2"


# ------------------------------------------------------------------------------------------------
# the figure


def _render(fig, tmp_path, dpi=40):
    import matplotlib.image as mpimg

    from fastcarbon import plot

    path = plot.save(fig, tmp_path / "decomposition.png", dpi=dpi)
    image = mpimg.imread(path)
    w, h = fig.get_size_inches()
    assert image.shape[:2] == (round(h * dpi), round(w * dpi))
    rgb = image[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05 and len(np.unique(np.round(rgb, 2), axis=0)) > 5
    return image


def _bars(ax):
    from matplotlib.patches import Rectangle

    return [p for p in ax.patches if isinstance(p, Rectangle)]


@pytest.fixture
def mpl():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_waterfall_from_v0_through_the_effects_to_vt(mpl, bengbu_result, tmp_path):
    from fastcarbon import plot

    fig, ax = plot.decomposition(bengbu_result)
    _render(fig, tmp_path)
    bars = _bars(ax)
    assert len(bars) == 3 + 2
    assert ax.get_ylabel() == "industrial CO2 emissions (t CO2)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["V 2011", "energy", "mix", "factor", "V 2020"]
    np.testing.assert_allclose(bars[0].get_height(), float(bengbu_result.V_base))
    np.testing.assert_allclose(bars[-1].get_height(), float(bengbu_result.V_target))
    # the last effect ends where V^T is
    top = bars[-2].get_y() + bars[-2].get_height()
    np.testing.assert_allclose(top, float(bengbu_result.V_target), rtol=1e-12)


def test_bars_stacked_by_sector(mpl, chongqing_result, tmp_path):
    from fastcarbon import plot

    fig, ax = plot.decomposition(chongqing_result, kind="bar", by="sector")
    _render(fig, tmp_path)
    assert len(_bars(ax)) == 2 * 3 * 5
    assert ax.get_ylabel().endswith("(Mt CO2)") and ax.get_legend().get_title().get_text() == "sector"
    # each year's intensity column stacks down to minus the reduction potential
    lows = {}
    for b in _bars(ax):
        lows[round(b.get_x(), 6)] = min(lows.get(round(b.get_x(), 6), 0.0), b.get_y() + min(0.0, b.get_height()))
    np.testing.assert_allclose(sorted(lows.values())[:3], -np.sort(chongqing_result.reduction_potential.values)[::-1],
                               rtol=1e-12)
    fig, ax = plot.decomposition(chongqing_result, kind="bar", select={"year": 2050})
    assert len(_bars(ax)) == 2 and ax.get_legend() is None


def test_decomposition_figure_bad_inputs(mpl, chongqing_result, bengbu_result):
    from fastcarbon import plot

    with pytest.raises(InputError, match="select=\\{'year': 2030\\}"):
        plot.decomposition(chongqing_result)  # three years: a waterfall needs one
    with pytest.raises(InputError, match="kind"):
        plot.decomposition(chongqing_result, kind="pie")
    with pytest.raises(InputError, match="kind='bar'"):
        plot.decomposition(chongqing_result, by="sector", select={"year": 2030})
    with pytest.raises(MissingDimensionError, match="region"):
        plot.decomposition(chongqing_result, kind="bar", by="region")
    with pytest.raises(UnknownLabelError, match="2070"):
        plot.decomposition(chongqing_result, select={"year": 2070})
    with pytest.raises(UnknownLabelError, match="V_base"):
        plot.decomposition(bengbu_result[["effect"]])
    with pytest.raises(InputTypeError, match="Dataset"):
        plot.decomposition(bengbu_result.effect)
    with pytest.raises(InputError, match="infinite"):
        plot.decomposition(bengbu_result.assign(effect=bengbu_result.effect * np.inf))


def test_chongqing_growth_decomposition():
    from fastcarbon.studies.chongqing import chongqing_growth_decomposition, chongqing_scenarios

    r = chongqing_growth_decomposition()
    em = chongqing_scenarios().emissions
    change = (em.sel(year=[2030, 2050, 2060]) - em.sel(year=2020, drop=True)).transpose("year", "scenario")
    np.testing.assert_allclose(r.effect.sum("factor"), change, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.effect_by.sum("sector"), r.effect, rtol=1e-12, atol=1e-12)
    assert (r.effect.sel(factor="activity", year=2030) > 0).all()  # GDP grows
    assert float(r.effect.sel(factor="intensity", year=2060, scenario="AP-NZES")) == pytest.approx(-float(em.sel(
        scenario="AP-NZES", year=2020)), rel=1e-12)
    with pytest.raises(InputError, match="after base_year"):
        chongqing_growth_decomposition([2020])


def test_readme_decomposition_example_runs(mpl):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = text.split("### Standard identities and the two studies", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(block, namespace)
    r, gap = namespace["r"], namespace["gap"]
    np.testing.assert_allclose(float(r.effect.sum("factor")), float(r.total), rtol=1e-12)
    assert gap.effect.sel(factor="activity").values.tolist() == [0.0] * gap.sizes["year"]
    assert len(_bars(namespace["ax"])) == 2 * 3 * 5  # factors x 2030, 2050, 2060 x sectors


def test_bundled_studies_run_the_decompositions_with_one_row_per_factor_or_year(tmp_path):
    from fastcarbon.studies import run_study
    from fastcarbon.studies.bundled import STUDIES

    for name, result, dim in (("bengbu", "bengbu_decomposition", "factor"),
                              ("chongqing", "chongqing_decomposition", "year")):
        out = run_study(STUDIES[name], output=tmp_path / name, progress=False, only=[result])
        table = out["tables"][result]
        assert list(table.dims) == [dim]
        assert (tmp_path / name / f"{result}.csv").exists()
