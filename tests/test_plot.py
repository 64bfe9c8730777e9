"""fastcarbon.plot: figures rendered to PNG and inspected (size, not blank, labels, artists), bad inputs,
and matplotlib kept out of every import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # never a window

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from fastcarbon import plot  # noqa: E402
from fastcarbon.accounting import potentials  # noqa: E402
from fastcarbon.datasets import bengbu  # noqa: E402
from fastcarbon.errors import (  # noqa: E402
    FastcarbonError,
    InputError,
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
    UnknownLabelError,
)
from fastcarbon.grey import fit_egm, fit_linear, forecast_egm  # noqa: E402
from fastcarbon.index import obstacle_degree  # noqa: E402
from fastcarbon.peaks import peak  # noqa: E402
from fastcarbon.studies.chongqing import (  # noqa: E402
    chongqing_model,
    chongqing_problem,
    chongqing_scenarios,
    chongqing_sensitivity,
)
from fastcarbon.uncertainty import (  # noqa: E402
    monte_carlo,
    morris_analyze,
    morris_sample,
    peak_year_distribution,
    summarize,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def scenarios():
    return chongqing_scenarios()


@pytest.fixture(scope="module")
def draws(scenarios):
    return monte_carlo(scenarios, 120, seed=7)


@pytest.fixture(scope="module")
def fit():
    return fit_egm(bengbu().x0 / 1e4)


@pytest.fixture(scope="module")
def sobol():
    return chongqing_sensitivity(16, seed=3, num_resamples=20)


@pytest.fixture(scope="module")
def morris():
    problem = chongqing_problem()
    x = morris_sample(problem, 6, seed=2)
    return morris_analyze(problem, x, chongqing_model(x).drop_vars("peaked"), seed=2)


@pytest.fixture(scope="module")
def obstacle():
    meta = bengbu()
    x = xr.DataArray(
        np.random.default_rng(5).random((10, 5)) * [60, 50, 800, 1.5, 3], dims=("year", "indicator"),
        coords={"year": np.arange(2011, 2021), "indicator": meta.indicator.values,
                "indicator_name": ("indicator", meta.indicator_name.values)},
    )
    return obstacle_degree(x, "year", negative=["X2", "X4", "X5"])


def render(fig, tmp_path, name="figure.png", dpi=40):
    """Save through plot.save, read the PNG back and check it has figsize x dpi pixels and is not blank."""
    path = plot.save(fig, tmp_path / name, dpi=dpi)
    image = mpimg.imread(path)
    w, h = fig.get_size_inches()
    assert image.shape[:2] == (round(h * dpi), round(w * dpi))
    rgb = image[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05  # not one flat colour
    assert len(np.unique(np.round(rgb, 2), axis=0)) > 5  # several colours, not black on white only
    return image


def bars(ax):
    from matplotlib.patches import Rectangle

    return [p for p in ax.patches if isinstance(p, Rectangle)]


# ------------------------------------------------------------------------------------------------
# imports


def test_importing_fastcarbon_and_its_packages_does_not_import_matplotlib():
    code = textwrap.dedent("""
        import sys
        import fastcarbon, fastcarbon.plot, fastcarbon.grey, fastcarbon.scenarios, fastcarbon.uncertainty
        import fastcarbon.accounting, fastcarbon.index, fastcarbon.peaks, fastcarbon.cli
        print(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_matplotlib_names_the_install_command():
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "matplotlib":
                    raise ImportError(f"No module named {name!r}")
        sys.meta_path.insert(0, Block())
        from fastcarbon import plot
        from fastcarbon.errors import MissingDependencyError
        from fastcarbon.studies.chongqing import chongqing_scenarios
        try:
            plot.trajectories(chongqing_scenarios())
        except MissingDependencyError as err:
            assert isinstance(err, ImportError)
            print(err)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'fastcarbon[plot]'" in out.stdout and "matplotlib" in out.stdout


# ------------------------------------------------------------------------------------------------
# forecast


def test_forecast_png_lines_labels_grade(fit, tmp_path):
    fig, ax = plot.forecast(fit, horizon=10, label="industrial carbon")
    render(fig, tmp_path)
    assert len(ax.lines) == 3
    observed, fitted, future = (line.get_ydata() for line in ax.lines)
    np.testing.assert_allclose(observed, bengbu().x0.values / 1e4)
    np.testing.assert_allclose(fitted, fit.fitted.values)
    np.testing.assert_allclose(future[1:], forecast_egm(fit, 10).values)
    assert ax.lines[2].get_xdata()[-1] == 2030
    assert "t C" in ax.get_ylabel() and "year" in ax.get_xlabel()
    assert "grade good" in ax.get_title() and "C = " in ax.get_title()
    assert len(ax.get_legend().texts) == 3


def test_forecast_given_forecast_linear_fit_and_own_axes(fit):
    fig0, ax0 = plt.subplots()
    fig, ax = plot.forecast(fit, forecast_egm(fit, 5), ax=ax0)
    assert (fig, ax) == (fig0, ax0) and ax.lines[2].get_xdata()[-1] == 2025
    _, ax = plot.forecast(fit_linear(bengbu().x0), horizon=0)
    assert len(ax.lines) == 2 and ax.get_title().startswith("linear")


def test_forecast_batch_needs_select():
    x = bengbu().x0
    batch = xr.concat([x, x * 1.1], dim=xr.DataArray(["A", "B"], dims="region", name="region"))
    f = fit_egm(batch)
    with pytest.raises(InputError, match=r"select=\{'region': 'A'\}"):
        plot.forecast(f)
    _, ax = plot.forecast(f, select={"region": "B"})
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 1.1 * x.values)
    with pytest.raises(UnknownLabelError, match="'C'"):
        plot.forecast(f, select={"region": "C"})


def test_forecast_bad_inputs(fit):
    with pytest.raises(InputTypeError, match="future="):
        plot.forecast(forecast_egm(fit, 3))
    with pytest.raises(UnknownLabelError, match="'fitted'"):
        plot.forecast(fit.drop_vars("fitted"))
    with pytest.raises(InputError, match="horizon"):
        plot.forecast(fit, horizon=-1)
    with pytest.raises(MissingDimensionError, match="'year'"):
        plot.forecast(fit, forecast_egm(fit, 3).rename(year="t"))
    with pytest.raises(InputTypeError, match="Axes"):
        plot.forecast(fit, ax="axes")
    with pytest.raises(InputError, match="figsize"):
        plot.forecast(fit, figsize=(0, 3))


# ------------------------------------------------------------------------------------------------
# trajectories


def test_trajectories_png_peaks_and_net_zero(scenarios, tmp_path):
    fig, ax = plot.trajectories(scenarios)
    render(fig, tmp_path)
    p = peak(scenarios.emissions)
    assert len(ax.lines) == 3 and len(ax.collections) == 2  # peaks, net zero
    peaks, zeros = ax.collections
    np.testing.assert_allclose(peaks.get_offsets()[:, 0], p.peak_year.values)
    np.testing.assert_allclose(zeros.get_offsets(), [[2056.0, 0.0]])  # only AP-NZES reaches net zero
    assert "Mt CO2" in ax.get_ylabel()
    texts = [t.get_text() for t in ax.get_legend().texts]
    assert texts[0] == "RS: peak 2035" and "net zero 2056" in texts[2]


def test_trajectories_censored_and_single_series(scenarios):
    rising = scenarios.emissions.sel(scenario="RS", year=slice(2020, 2030))  # still rising in 2030
    _, ax = plot.trajectories(rising)
    assert len(ax.lines) == 1 and len(ax.collections) == 0
    assert "no peak by 2030" in ax.get_legend().texts[0].get_text()
    _, ax = plot.trajectories(scenarios, variable="energy", peaks=peak(scenarios.energy))
    assert "Mtce" in ax.get_ylabel()


def test_trajectories_bad_inputs(scenarios):
    with pytest.raises(UnknownLabelError, match="'emisions'"):
        plot.trajectories(scenarios, variable="emisions")
    with pytest.raises(MissingDimensionError, match="'year'"):
        plot.trajectories(scenarios.emissions.rename(year="t"))
    extra = scenarios.emissions.expand_dims(region=["a", "b"])
    with pytest.raises(InputError, match="select="):
        plot.trajectories(extra)
    with pytest.raises(InputTypeError):
        plot.trajectories(scenarios.emissions.values)
    with pytest.raises(UnknownLabelError, match="peak_year"):
        plot.trajectories(scenarios, peaks=xr.Dataset({"x": 1.0}))


# ------------------------------------------------------------------------------------------------
# fan


def test_fan_png_two_bands_and_a_median_per_scenario(draws, tmp_path):
    fig, ax = plot.fan(draws)
    render(fig, tmp_path)
    assert len(ax.collections) == 2 * 3 and len(ax.lines) == 3
    median = draws.emissions.median("draw")
    for k, s in enumerate(draws.scenario.values):
        np.testing.assert_allclose(ax.lines[k].get_ydata(), median.sel(scenario=s).values)
    assert "CO2" in ax.get_ylabel() and "Mt" in ax.get_ylabel() and "120 draws" in ax.get_title()
    # the legend (9 entries) sits beside the axes, not on the bands, and inside the figure
    fig.canvas.draw()
    legend, box = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert len(ax.get_legend().texts) == 9
    assert legend.x0 >= box.x1 and legend.x1 <= fig.bbox.x1 + 1


def test_fan_from_summary_and_one_scenario(draws):
    e = draws.emissions
    s = summarize(e, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95))
    _, ax = plot.fan(s, select={"scenario": "RS"})
    assert len(ax.collections) == 2 and len(ax.lines) == 1
    np.testing.assert_allclose(ax.lines[0].get_ydata(), e.sel(scenario="RS").median("draw").values)


def test_fan_bad_inputs(draws):
    e = draws.emissions
    with pytest.raises(UnknownLabelError, match="p25"):
        plot.fan(summarize(e))  # default quantiles: no 25-75 band
    with pytest.raises(MissingDimensionError, match="'draw'"):
        plot.fan(e.isel(draw=0))
    with pytest.raises(UnknownLabelError, match="'co2'"):
        plot.fan(draws, variable="co2")
    with pytest.raises(InvalidValueError):
        plot.fan(e.where(e.draw != 3))  # a NaN draw would shift the quantiles silently


# ------------------------------------------------------------------------------------------------
# peak_years


def test_peak_years_png_one_bar_per_year_plus_censored(draws, tmp_path):
    fig, axes = plot.peak_years(draws)
    render(fig, tmp_path)
    assert axes.shape == (3, 1)
    n_years = draws.sizes["year"]
    dist = peak_year_distribution(draws.emissions)
    for k, ax in enumerate(axes[:, 0]):
        heights = [b.get_height() for b in bars(ax)]
        assert len(heights) == n_years + 1
        np.testing.assert_allclose(heights[:-1], dist.probability.isel(scenario=k).values)
        assert "censored 0.0 %" in ax.get_title() and "(1)" in ax.get_ylabel()


def test_peak_years_censored_share_from_distribution():
    e = xr.DataArray([[1.0, 3.0, 2.0], [1.0, 2.0, 3.0], [4.0, 2.0, 1.0], [1.0, 2.0, 3.0]],
                     dims=("draw", "year"), coords={"year": [2020, 2021, 2022]})
    fig, ax = plot.peak_years(peak_year_distribution(e))
    assert [b.get_height() for b in bars(ax)] == [0.25, 0.25, 0.0, 0.5]
    assert "censored 50.0 %" in ax.get_title()
    assert any("50.0 %" in t.get_text() for t in ax.texts)


def test_peak_years_bad_inputs(draws):
    with pytest.raises(MissingDimensionError, match="'draw'"):
        plot.peak_years(draws.emissions.isel(draw=0))
    with pytest.raises(UnknownLabelError, match="censored_share"):
        plot.peak_years(peak_year_distribution(draws.emissions).drop_vars("censored_share"))
    with pytest.raises(InputError, match="panels"):
        plot.peak_years(draws, ax=plt.subplots()[1])
    with pytest.raises(UnknownLabelError, match="'XX'"):
        plot.peak_years(draws, select={"scenario": "XX"})


# ------------------------------------------------------------------------------------------------
# sensitivity


def test_sensitivity_sobol_png_panels_bars_and_intervals(sobol, tmp_path):
    fig, axes = plot.sensitivity(sobol)
    render(fig, tmp_path, dpi=20)
    assert axes.shape == (sobol.sizes["scenario"], sobol.sizes["output"])
    ax = axes[0, 0]
    n = sobol.sizes["param"]
    assert len(bars(ax)) == 2 * n
    s1 = sobol.S1.sel(output=sobol.output.values[0], scenario=sobol.scenario.values[0]).values
    np.testing.assert_allclose([b.get_height() for b in bars(ax)[:n]], s1)
    from matplotlib.container import BarContainer

    bar_sets = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bar_sets) == 2 and all(c.errorbar is not None for c in bar_sets)
    half = bar_sets[0].errorbar.lines[2][0].get_segments()[0][:, 1]  # S1 interval of the first param
    np.testing.assert_allclose(half, s1[0] + np.array([-1, 1]) * float(sobol.S1_conf[0, 0, 0]))
    assert ax.get_ylabel() == "Sobol' index (1)"
    assert [t.get_text() for t in ax.get_xticklabels()] == list(sobol.param.values)


def test_sensitivity_one_panel_with_select(sobol):
    fig, ax = plot.sensitivity(sobol, select={"scenario": "RS", "output": "peak_year"})
    assert len(bars(ax)) == 2 * sobol.sizes["param"] and "peak_year" in ax.get_title()


def test_sensitivity_morris_points_with_units(morris, tmp_path):
    fig, axes = plot.sensitivity(morris, select={"scenario": "AP-NZES"})
    render(fig, tmp_path, dpi=20)
    assert axes.shape == (1, morris.sizes["output"])
    ax = axes[0, 0]
    points = ax.collections[-1].get_offsets()
    assert len(points) == morris.sizes["param"]
    np.testing.assert_allclose(points[:, 0], morris.mu_star.isel(output=0).sel(scenario="AP-NZES").values)
    assert "μ*" in ax.get_xlabel() and "units of peak_year" in ax.get_xlabel()


def test_sensitivity_bad_inputs(sobol):
    with pytest.raises(UnknownLabelError, match="mu_star"):
        plot.sensitivity(sobol.drop_vars("ST"))
    with pytest.raises(InputTypeError):
        plot.sensitivity(sobol.S1)
    with pytest.raises(MissingDimensionError, match="'param'"):
        plot.sensitivity(sobol.isel(param=0, drop=True))
    with pytest.raises(InputError, match="select="):
        plot.sensitivity(sobol.expand_dims(region=["a", "b"]))


# ------------------------------------------------------------------------------------------------
# obstacles


def test_obstacles_png_stacked_bars(obstacle, tmp_path):
    fig, ax = plot.obstacles(obstacle)
    render(fig, tmp_path)
    assert len(bars(ax)) == 10 * 5 and len(ax.containers) == 5
    tops = np.array([[b.get_y() + b.get_height() for b in cont] for cont in ax.containers])
    np.testing.assert_allclose(tops[-1], 1.0)  # each year's proportions sum to 1
    assert ax.get_ylabel() == "obstacle degree (1)"
    assert "X1 urbanization rate" in [t.get_text() for t in ax.get_legend().texts]
    main = obstacle.obstacle.argmax("indicator").values
    top = np.bincount(main, minlength=5).argmax()
    assert f"main obstacle X{top + 1}" in ax.get_title()


def test_obstacles_bad_inputs(obstacle):
    with pytest.raises(UnknownLabelError, match="'obstacle'"):
        plot.obstacles(obstacle.drop_vars("obstacle"))
    with pytest.raises(MissingDimensionError, match="'indicator'"):
        plot.obstacles(obstacle.obstacle.rename(indicator="ind"))
    with pytest.raises(InputError, match="select="):
        plot.obstacles(obstacle.obstacle.expand_dims(region=["a", "b"]), dim="year")


# ------------------------------------------------------------------------------------------------
# structure


def test_structure_png_one_layer_per_fuel_and_panels(scenarios, tmp_path):
    fig, axes = plot.structure(scenarios, by="fuel", quantity="energy")
    render(fig, tmp_path)
    assert axes.shape == (1, 3)
    for ax in axes[0]:
        assert len(ax.collections) == scenarios.sizes["fuel"]
    assert axes[0, 0].get_ylabel() == "energy demand by fuel (Mtce)"
    assert [t.get_text() for t in axes[0, -1].get_legend().texts] == list(scenarios.fuel.values[::-1])


def test_structure_by_sector_one_scenario(scenarios):
    fig, ax = plot.structure(scenarios, by="sector", scenario="AP-NZES")
    assert len(ax.collections) == scenarios.sizes["sector"] and "Mt CO2" in ax.get_ylabel()
    top = ax.collections[-1].get_paths()[0].vertices[:, 1].max()
    np.testing.assert_allclose(top, scenarios.emissions.sel(scenario="AP-NZES").max())


@settings(max_examples=10)
@given(n_fuel=st.integers(1, 5), n_year=st.integers(2, 8), seed=st.integers(0, 2**32 - 1))
def test_structure_top_layer_is_the_total(n_fuel, n_year, seed):
    values = np.random.default_rng(seed).random((n_year, n_fuel)) * 10
    da = xr.DataArray(values, dims=("year", "fuel"), attrs={"units": "Mtce", "long_name": "energy"},
                      coords={"year": np.arange(2020, 2020 + n_year), "fuel": [f"f{k}" for k in range(n_fuel)]})
    fig, ax = plot.structure(da, by="fuel")
    assert len(ax.collections) == n_fuel
    verts = ax.collections[-1].get_paths()[0].vertices  # the top layer's outline
    upper = [verts[verts[:, 0] == year, 1].max() for year in da.year.values]
    np.testing.assert_allclose(upper, values.sum(axis=1))  # each year's stack reaches its total
    plt.close(fig)


def test_dask_backed_inputs_are_drawn(draws, scenarios):
    _, ax = plot.fan(draws.chunk({"draw": 40}))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), draws.emissions.sel(scenario="RS").median("draw").values)
    _, ax = plot.structure(scenarios.chunk({"year": 10}), by="sector", scenario="RS")
    assert len(ax.collections) == scenarios.sizes["sector"]


def test_structure_bad_inputs(scenarios):
    with pytest.raises(UnknownLabelError, match="'energy_by_region'"):
        plot.structure(scenarios, by="region", quantity="energy")
    with pytest.raises(InputError, match="quantity"):
        plot.structure(scenarios, quantity="carbon")
    with pytest.raises(MissingDimensionError, match="'fuel'"):
        plot.structure(scenarios.energy_by_sector, by="fuel")
    with pytest.raises(InvalidValueError, match=">= 0"):
        plot.structure(-scenarios.energy_by_fuel, by="fuel")
    with pytest.raises(UnknownLabelError, match="'BAU'"):
        plot.structure(scenarios, scenario="BAU")


# ------------------------------------------------------------------------------------------------
# potentials


def test_potentials_png_bars_per_sector_and_year(scenarios, tmp_path):
    pot = potentials(scenarios, reference="RS")
    fig, axes = plot.potentials(pot, years=[2030, 2050, 2060])
    render(fig, tmp_path)
    assert axes.shape == (2, 1)  # the reference RS has no reduction to draw
    ax = axes[1, 0]
    assert len(bars(ax)) == 3 * scenarios.sizes["sector"]
    assert ax.get_title().startswith("AP-NZES") and ax.get_ylabel() == "share of the reduction (1)"
    np.testing.assert_allclose(
        [b.get_height() for b in bars(ax)[:5]],
        pot.emission_reduction_share.sel(scenario="AP-NZES", year=2030).values)


def test_potentials_amounts_in_units(scenarios):
    pot = potentials(scenarios, reference="RS")
    _, ax = plot.potentials(pot, years=2050, quantity="energy", share=False, scenario="PP-NZES")
    assert len(bars(ax)) == scenarios.sizes["sector"] and "Mtce" in ax.get_ylabel()
    expected = (pot.energy_saving_share * pot.energy_saving).sel(scenario="PP-NZES", year=2050)
    np.testing.assert_allclose([b.get_height() for b in bars(ax)], expected.values)
    np.testing.assert_allclose(sum(b.get_height() for b in bars(ax)), pot.energy_saving.sel(scenario="PP-NZES", year=2050))


def test_potentials_bad_inputs(scenarios):
    pot = potentials(scenarios, reference="RS")
    with pytest.raises(UnknownLabelError, match="2070"):
        plot.potentials(pot, years=[2030, 2070])
    with pytest.raises(UnknownLabelError, match="emission_reduction_share"):
        plot.potentials(scenarios)
    with pytest.raises(InputError, match="reference"):
        plot.potentials(pot, scenario="RS")


# ------------------------------------------------------------------------------------------------
# save


def test_save_size_and_bad_paths(scenarios, tmp_path):
    fig, _ = plot.trajectories(scenarios, figsize=(5, 3))
    out = plot.save(fig, tmp_path / "t.png", dpi=30)
    assert mpimg.imread(out).shape[:2] == (90, 150)
    with pytest.raises(InputError, match=".png"):
        plot.save(fig, tmp_path / "t.pdf")
    with pytest.raises(InputTypeError, match="Figure"):
        plot.save("fig", tmp_path / "t.png")
    with pytest.raises(InputError, match="dpi"):
        plot.save(fig, tmp_path / "t.png", dpi=0)
    with pytest.raises(FastcarbonError):
        plot.save(fig, tmp_path / "t.png" / "inside-a-file.png")


def test_readme_figures_example_runs(tmp_path, monkeypatch):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = text.split("## Figures", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(block, namespace)
    assert (tmp_path / "trajectories.png").read_bytes()[:4] == b"\x89PNG"
    assert namespace["axes"].shape == (2, 1) and len(namespace["ax"].lines) == 3
