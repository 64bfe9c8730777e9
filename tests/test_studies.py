"""Studies: the study file (schema, errors), `fastcarbon init` + `fastcarbon run study.toml`, the
general rate model against chongqing_model."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from fastcarbon.cli import BUNDLED_STUDIES, app
from fastcarbon.errors import InputError, StudyFileError
from fastcarbon.studies import load_study, run_study

runner = CliRunner()


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """`fastcarbon init` then `fastcarbon run folder/study.toml`, once for the module."""
    folder = tmp_path_factory.mktemp("studies") / "my-study"
    init = runner.invoke(app, ["init", str(folder)])
    assert init.exit_code == 0, init.output
    result = runner.invoke(app, ["run", str(folder / "study.toml")])
    assert result.exit_code == 0, result.output
    return folder, result


def test_init_then_run_writes_results_that_read_back(example_run):
    folder, result = example_run
    out = folder / "results"
    assert re.search(r"\[5/5\] sensitivity done in \d+\.\d s", result.output)
    names = {p.name for p in out.iterdir()}
    for stem in ("accounting", "forecast", "scenarios", "peaks", "monte_carlo", "sensitivity"):
        assert f"{stem}.nc" in names
    with xr.open_dataset(out / "accounting.nc", engine="h5netcdf") as acc:
        em = acc.emissions.load()
    assert em.attrs["units"] == "Mt CO2" and em.sizes == {"region": 4, "year": 10}
    # Chuzhou reports since 2015: no emissions before, never a 0
    assert bool(em.sel(region="Chuzhou", year=slice(2011, 2014)).isnull().all())
    assert bool((em.sel(region="Chuzhou", year=slice(2015, 2020)) > 0).all())
    with xr.open_dataset(out / "peaks.nc", engine="h5netcdf") as peaks:
        peaks = peaks.load()
    assert "total" in peaks.region.values
    assert peaks.peak_year.sel(region="total").values.tolist() == [2043.0, 2027.0, 2027.0]
    csv = pd.read_csv(out / "peaks.csv", index_col=["region", "scenario"])
    assert csv.loc[("total", "PEAK2030"), "peak_year"] == 2027
    with xr.open_dataset(out / "monte_carlo.nc", engine="h5netcdf") as mc:
        assert mc.attrs["n_draws"] == 1000 and set(mc.scenario.values) == {"BAU", "PEAK2030", "FAST"}
        p = mc.prob_peak_by_target.sel(region="total")
        assert float(p.sel(scenario="FAST")) >= float(p.sel(scenario="BAU"))
    with xr.open_dataset(out / "sensitivity.nc", engine="h5netcdf") as si:
        # later rates cannot move the 2030 emissions; convergence on 32, 64 and 128 base points
        assert float(abs(si.ST.sel(output="emissions_2030", param="rates_2046_2060")).max()) == 0.0
        assert si.ST_convergence.base_points.values.tolist() == [32, 64, 128]
        xr.testing.assert_equal(si.ST_convergence.sel(base_points=128, drop=True), si.ST)
    # IAMC: history and scenarios, read back with pandas
    iamc = pd.read_csv(out / "iamc.csv")
    assert list(iamc.columns[:5]) == ["model", "scenario", "region", "variable", "unit"]
    assert set(iamc.scenario) == {"history", "BAU", "PEAK2030", "FAST"} and set(iamc.unit) == {"Mt CO2/yr"}
    hist = iamc[(iamc.scenario == "history") & (iamc.region == "Huainan")]
    assert hist["2020"].item() == pytest.approx(float(em.sel(region="Huainan", year=2020)))
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "# Four cities" in report and "PEAK2030 peaks in 2027" in report and "BAU peaks in 2043" in report
    assert "Sobol'" in report and "figures skipped" not in report
    # the figures are drawn and named in the report: PNG files that are not blank
    for name in ("trajectories", "fan", "peak_years", "sensitivity", "forecast_Huainan"):
        png = out / f"{name}.png"
        assert f"`{name}.png`" in report and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000


def test_rerun_is_identical_and_output_option_wins(example_run, tmp_path):
    folder, _ = example_run
    result = run_study(folder / "study.toml", output=tmp_path / "elsewhere", progress=False)
    with xr.open_dataset(folder / "results" / "scenarios.nc", engine="h5netcdf") as first:
        xr.testing.assert_allclose(first.emissions.load(), result["scenarios"].emissions, rtol=1e-12)
    assert (tmp_path / "elsewhere" / "report.md").is_file()


def test_run_help_lists_the_bundled_studies_and_the_study_form():
    from fastcarbon.studies.bundled import JOBS, STUDIES, describe

    assert list(BUNDLED_STUDIES) == list(STUDIES)
    text = " ".join(runner.invoke(app, ["run", "--help"], terminal_width=200).output.split())
    assert "STUDY" in text and "fastcarbon init" in text
    described = describe()
    assert [d[0] for d in described] == ["bengbu", "chongqing", "national"]
    for name, description, results in described:
        assert f"{name}: {description}" in text  # one line each, from the study file
        assert description and results
    # the earlier job names are the studies' results, and still listed
    for job in JOBS:
        assert job.name in text
    assert [j.name for j in JOBS] == ["bengbu_accounting", "bengbu_forecast", "bengbu_decomposition",
                                      "chongqing_peaks", "chongqing_monte_carlo", "chongqing_decomposition",
                                      "national_sweep"]


def test_run_study_refuses_job_and_init_refuses_to_overwrite(example_run, tmp_path):
    folder, _ = example_run
    bad = runner.invoke(app, ["run", str(folder / "study.toml"), "--job", "bengbu_accounting"])
    assert bad.exit_code == 2 and "--job" in bad.output
    again = runner.invoke(app, ["init", str(folder)])
    assert again.exit_code == 2 and "already has" in again.output
    assert runner.invoke(app, ["init", str(folder), "--force"]).exit_code == 0


# --- a user's own CSV and a short study file, through the CLI -------------------------------------

USER_STUDY = """\
[study]
name = "My cities"
end_year = 2050
seed = 7
[data.energy]
path = "energy.csv"
rename = { City = "region" }
missing = "interpolate"
[accounting]
factors = "hj2021"
groups = true
[forecast]
[scenarios.BAU]
gdp_growth = { 2020 = 5.0, 2050 = 2.0 }
intensity_rates = { 2021-2050 = 3.0 }
[scenarios.FAST]
parent = "BAU"
intensity_rates = { 2021-2030 = 5.0, 2031-2050 = 9.0 }
[monte_carlo]
draws = 200
[sensitivity]
base_points = 32
"""


def _user_csv(path):
    rows = []
    for city, size in (("Xcity", 1.0), ("Ytown", 3.0)):
        for fuel, v0, g in (("Raw Coal", 100.0, 0.02), ("Natural Gas", 5.0, 0.08), ("diesel", 10.0, 0.03)):
            for t, year in enumerate(range(2013, 2021)):
                rows.append({"City": city, "fuel": fuel, "year": year, "value": size * v0 * (1 + g) ** t,
                             "unit": "10**4 tce"})
    frame = pd.DataFrame(rows)
    frame.loc[5, "value"] = np.nan  # a gap, interpolated
    frame.to_csv(path, index=False)


def test_user_csv_and_twenty_line_study_through_the_cli(tmp_path):
    _user_csv(tmp_path / "energy.csv")
    (tmp_path / "study.toml").write_text(USER_STUDY)
    assert len(USER_STUDY.splitlines()) <= 25
    result = runner.invoke(app, ["run", str(tmp_path / "study.toml"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    with xr.open_dataset(out / "forecast.nc", engine="h5netcdf") as fc:
        years = fc.year.where(fc.forecast.notnull().all("region"), drop=True)
        assert years.values.tolist() == list(range(2021, 2031)) and set(fc.region.values) == {"Xcity", "Ytown"}
        assert bool((fc.C < 0.35).all())  # smooth exponential-ish series: graded good
    with xr.open_dataset(out / "peaks.nc", engine="h5netcdf") as peaks:
        py = peaks.peak_year.sel(region="total")
        assert float(py.sel(scenario="FAST")) < float(py.sel(scenario="BAU"))
    with xr.open_dataset(out / "monte_carlo.nc", engine="h5netcdf") as mc:
        assert mc.attrs["n_draws"] == 200 and "p95" in mc
    with xr.open_dataset(out / "sensitivity.nc", engine="h5netcdf") as si:
        assert set(si.param.values) == {"rates", "gdp_growth"} and "ST" in si
    iamc = pd.read_csv(out / "iamc.csv")
    assert {"Xcity", "Ytown", "total"} <= set(iamc.region) and "2050" in iamc.columns
    # the gap was filled and the report says so
    assert "filled" in (out / "report.md").read_text(encoding="utf-8")


# --- bad study files: each mistake named by its key --------------------------------------------

def _study(tmp_path, text, csv=True):
    if csv:
        _user_csv(tmp_path / "energy.csv")
    path = tmp_path / "study.toml"
    path.write_text(textwrap.dedent(text))
    return path


BASE = """\
[data.energy]
path = "energy.csv"
rename = { City = "region" }
missing = "interpolate"
[accounting]
factors = "hj2021"
groups = true
"""


@pytest.mark.parametrize("text, key, words", [
    (BASE + "[forcast]\nhorizon = 5\n", "forcast", ["unknown key", "did you mean 'forecast'"]),
    (BASE + "[forecast]\nhorizn = 5\n", "forecast.horizn", ["unknown key", "'horizon'"]),
    (BASE + "[forecast]\nhorizon = \"ten\"\n", "forecast.horizon", ["expected an integer", "'ten'"]),
    (BASE + "[monte_carlo]\ndraws = 2.5\n[scenarios.A]\n", "monte_carlo.draws", ["expected an integer", "2.5"]),
    (BASE + "[scenarios.A]\nintensity_rates = { 2021-2060 = 150.0 }\n", "scenarios.A.intensity_rates.2021-2060",
     ["150", "[0, 100]"]),
    (BASE + "[scenarios.A]\nintensity_rates = { 2021-2030 = 4.0, 2032-2060 = 5.0 }\n",
     "scenarios.A.intensity_rates.2032-2060", ["years 2031-2031 have no rate"]),
    (BASE + "[scenarios.A]\nparent = \"BUA\"\n[scenarios.BAU]\n", "scenarios.A.parent",
     ["'BUA' is not a scenario", "did you mean 'BAU'"]),
    (BASE + "[scenarios.A]\nparent = \"B\"\n[scenarios.B]\nparent = \"C\"\n[scenarios.C]\nparent = \"A\"\n",
     "scenarios.", ["cyclic inheritance", "A -> B -> C -> A"]),
    (BASE.replace("hj2021", "hj2012"), "accounting.factors", ["not a bundled factor set", "'hj2021'"]),
    (BASE + "[outputs]\nformats = [\"netcdf\", \"parquet\"]\n", "outputs.formats[1]", ["'parquet'", "allowed"]),
    (BASE + "[sensitivity]\nbase_points = 100\n[scenarios.A]\n", "sensitivity.base_points", ["power of 2", "64 or 128"]),
    (BASE + "[sensitivity]\n", "sensitivity", ["needs scenarios"]),
    (BASE + "[scenarios.A]\ngdp_growth = { 2070 = 2.0 }\n", "scenarios.A.gdp_growth.2070", ["outside the horizon"]),
    (BASE + "[scenarios.A]\ngdp_growth = \"fast\"\n", "scenarios.A.gdp_growth", ["'fast'", "a number (% per year)"]),
    (BASE + "[study]\nbase_year = 2030\n", "study.base_year", ["not a year of the data", "2013-2020"]),
    (BASE + "[scenarios.A]\n[monte_carlo]\ntarget_year = 2100\n", "monte_carlo.target_year", ["outside 2021-2060"]),
    (BASE + "[scenarios.A]\n[monte_carlo]\nintensity = { distribution = \"gamma\" }\n",
     "monte_carlo.intensity.distribution", ["'gamma' is not allowed", "'lognormal'"]),
    (BASE.replace('rename = { City = "region" }', 'rename = "City"'), "data.energy.rename", ["expected a table"]),
    (BASE.replace('factors = "hj2021"', 'factor = "hj2021"'), "accounting.factor", ["did you mean 'factors'"]),
    (BASE.replace('factors = "hj2021"\n', '') , "accounting.factors", ["missing; this key is required"]),
    (BASE + "[accounting2]\n", "accounting2", ["did you mean 'accounting'"]),
    (BASE.replace("[accounting]", "[accounting]\nenergy = \"fuel_use\""), "accounting.energy",
     ["'fuel_use'", "defined: ['energy']"]),
])
def test_bad_study_files_name_the_key_what_was_found_and_what_is_allowed(tmp_path, text, key, words):
    with pytest.raises(StudyFileError) as info:
        load_study(_study(tmp_path, text))
    err = info.value
    assert isinstance(err, InputError) and err.key.startswith(key), (err.key, str(err))
    assert str(err).startswith(f"study.toml: {err.key}: ")
    for w in words:
        assert w in str(err), str(err)


def test_missing_data_file_and_missing_study_file(tmp_path):
    path = _study(tmp_path, BASE.replace("energy.csv", "enrgy.csv"))
    with pytest.raises(StudyFileError, match=r"data\.energy\.path: no file .*enrgy\.csv.*did you mean 'energy\.csv'"):
        load_study(path)
    with pytest.raises(StudyFileError, match="no study file"):
        load_study(tmp_path / "nope.toml")
    (tmp_path / "broken.toml").write_text("[data\n")
    with pytest.raises(StudyFileError, match="not valid TOML"):
        load_study(tmp_path / "broken.toml")


def test_unknown_fuel_names_the_nearest_labels(tmp_path):
    path = _study(tmp_path, BASE)
    frame = pd.read_csv(tmp_path / "energy.csv")
    frame.loc[frame.fuel == "diesel", "fuel"] = "Deisel"
    frame.to_csv(tmp_path / "energy.csv", index=False)
    with pytest.raises(StudyFileError) as info:
        load_study(path)
    assert info.value.key == "data.energy"
    assert "'Deisel'" in str(info.value) and "nearest labels" in str(info.value) and "diesel" in str(info.value)


def test_a_fuel_without_a_factor_is_named(tmp_path):
    path = _study(tmp_path, BASE.replace("groups = true\n", ""))
    with pytest.raises(StudyFileError, match=r"accounting\.factors: .*no factor for fuel\(s\) \['diesel'\].*groups = true"):
        load_study(path)


def test_child_periods_override_the_parents_only_where_named(tmp_path):
    study = load_study(_study(tmp_path, BASE + textwrap.dedent("""\
        [study]
        end_year = 2040
        [scenarios.A]
        intensity_rates = { 2021-2030 = 4.0, 2031-2040 = 5.0 }
        [scenarios.B]
        parent = "A"
        intensity_rates = { 2031-2040 = 8.0 }
        [scenarios.C]
        parent = "A"
        intensity_rates = { 2021-2040 = 1.0 }
        """)))
    assert study.scenarios["B"]["intensity_rates"] == {"2021-2030": 4.0, "2031-2040": 8.0}
    assert study.scenarios["C"]["intensity_rates"] == {"2021-2040": 1.0}  # a new partition replaces


# --- the general rate model reproduces chongqing_model -----------------------------------------

def test_rate_model_configured_like_chongqing_reproduces_chongqing_model():
    from fastcarbon.scenarios import interpolate
    from fastcarbon.studies.chongqing import CHONGQING_RATE_GROUPS, chongqing_inputs, chongqing_model, chongqing_problem
    from fastcarbon.uncertainty.rates import rate_model, rate_problem
    from fastcarbon.uncertainty.sensitivity import sobol_sample

    assert rate_problem(CHONGQING_RATE_GROUPS, spread=0.3) == chongqing_problem(0.3)
    # spread 0.3 takes AP-NZES's 20 % and 100 % rates past the cap: the cap is exercised
    x = sobol_sample(chongqing_problem(0.3), 32, seed=11)
    expected = chongqing_model(x, scenarios=["RS", "PP-NZES", "AP-NZES", "NCNS"])
    inputs = chongqing_inputs()
    years = np.arange(2020, 2061)
    got = rate_model(x, base_emissions=inputs.emissions_2020.drop_vars(list(inputs.emissions_2020.coords)),
                     rates=inputs.rates.sel(scenario=["RS", "PP-NZES", "AP-NZES", "NCNS"]),
                     groups=CHONGQING_RATE_GROUPS, base_year=2020, years=years,
                     growth=interpolate(inputs.gdp_growth.drop_vars("growth_source"), years),
                     report_years=[2030, 2060])
    assert list(got.data_vars) == list(expected.data_vars)
    for v in expected.data_vars:
        np.testing.assert_allclose(got[v].values, expected[v].values, rtol=1e-12, atol=0, err_msg=v)
    # and the same with year groups written as ranges instead of Table 1's period labels
    ranges = {"rates_2021_2030": "2021-2030", "rates_2031_2045": "2031-2045", "rates_2046_2060": "2046-2060"}
    again = rate_model(x, base_emissions=inputs.emissions_2020.drop_vars(list(inputs.emissions_2020.coords)),
                       rates=inputs.rates.sel(scenario=["RS"]), groups=ranges, base_year=2020, years=years,
                       growth=interpolate(inputs.gdp_growth.drop_vars("growth_source"), years), report_years=[2030])
    np.testing.assert_allclose(again.emissions_2030.values, expected.emissions_2030.sel(scenario=["RS"]).values,
                               rtol=1e-12)


def test_rate_model_bad_inputs():
    from fastcarbon.uncertainty.rates import rate_model, rate_problem

    r = xr.DataArray([5.0], dims="period", coords={"period": ["2021-2030"]}, attrs={"units": "%"})
    x = xr.DataArray([[1.0], [-1.0]], dims=("draw", "param"), coords={"param": ["g"]})
    kw = dict(base_emissions=1.0, rates=r, base_year=2020, years=range(2020, 2031))
    with pytest.raises(InputError, match="in no rate group"):
        rate_model(x, groups={"g": "2021-2025"}, **kw)
    with pytest.raises(InputError, match="multiplier -1.0"):
        rate_model(x, groups={"g": "2021-2030"}, **kw)
    with pytest.raises(InputError, match="year 2025 is in both"):
        rate_problem({"a": "2021-2025", "b": "2025-2030"})
    with pytest.raises(InputError, match="spread"):
        rate_problem({"a": "2021-2030"}, spread=1.5)


def test_readme_study_file_runs_as_written(tmp_path):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = text.split("## Studies", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    assert len(block.strip().splitlines()) <= 22
    _user_csv(tmp_path / "energy.csv")
    (tmp_path / "study.toml").write_text(block)
    study = load_study(tmp_path / "study.toml")
    assert list(study.scenarios) == ["BAU", "FAST"] and study.end_year == 2060
    out = run_study(study, output=tmp_path / "out", progress=False)
    assert {"forecast", "peaks", "monte_carlo", "sensitivity"} <= set(out)
    # the README's example of an error message is the one the code gives
    (tmp_path / "study.toml").write_text(block.replace('parent = "BAU"', 'parent = "BUA"'))
    with pytest.raises(StudyFileError) as info:
        load_study(tmp_path / "study.toml")
    assert f"`{info.value}`" in " ".join(text.split())


def test_study_file_error_pickles_with_its_key():
    import pickle

    err = StudyFileError("'BUA' is not a scenario", key="scenarios.A.parent", file="study.toml")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is StudyFileError and back.key == err.key and str(back) == str(err)
    assert str(err) == "study.toml: scenarios.A.parent: 'BUA' is not a scenario"


def test_morris_screening_instead_of_sobol(tmp_path):
    path = _study(tmp_path, BASE + textwrap.dedent("""\
        [study]
        end_year = 2050
        [scenarios.BAU]
        gdp_growth = 5.0
        intensity_rates = { 2021-2030 = 4.8, 2031-2050 = 8.0 }
        [sensitivity]
        method = "morris"
        trajectories = 10
        rate_groups = { early = "2021-2030", late = "2031-2050" }
        [outputs]
        formats = ["netcdf"]
        """))
    out = run_study(path, progress=False)
    m = out["sensitivity"]
    assert {"mu_star", "sigma"} <= set(m.data_vars) and set(m.param.values) == {"early", "late", "gdp_growth"}
    assert float(m.mu_star.sel(output="emissions_2030", param="late", scenario="BAU")) == 0.0
    assert "Morris screening" in (tmp_path / "results" / "report.md").read_text(encoding="utf-8")
    assert not (tmp_path / "results" / "iamc.csv").exists()  # formats = ["netcdf"] only


# --- the bundled studies are study files; [custom] code in a user's study ---------------------------

@pytest.mark.parametrize("name", ["bengbu", "chongqing", "national"])
def test_each_bundled_study_file_loads(name):
    from fastcarbon.studies.bundled import STUDIES

    study = load_study(STUDIES[name])
    assert study.name == name and study.description and study.custom
    for hook in study.custom.values():
        assert callable(hook.run) and hook.title
        assert study.path.parent.name == name
    for file in study.config["study"].get("files", []):  # the paper tables sit next to the study file
        assert (study.path.parent / file).is_file()


def test_bundled_chongqing_through_run_study_with_fewer_draws(tmp_path):
    from fastcarbon.studies.bundled import STUDIES

    out = run_study(STUDIES["chongqing"], output=tmp_path, progress=False,
                    overrides={"custom.chongqing_monte_carlo.args.n_draws": 200})
    mc = out["chongqing_monte_carlo"]
    assert mc.attrs["n_draws"] == 200 and "200 draws" in mc.attrs["summary"][0]
    assert out["chongqing_peaks"].peak_year.astype(int).values.tolist() == [2035, 2030, 2027]
    table = pd.read_csv(tmp_path / "chongqing_monte_carlo.csv", index_col="scenario")
    assert list(table.index) == ["RS", "PP-NZES", "AP-NZES"] and "P_peak_by_2030" in table
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "chongqing_decomposition.csv", "chongqing_decomposition.nc", "chongqing_monte_carlo.csv",
        "chongqing_monte_carlo.nc", "chongqing_peaks.csv", "chongqing_peaks.nc"]
    # only= computes one result
    one = run_study(STUDIES["chongqing"], output=tmp_path / "one", progress=False, only="chongqing_peaks")
    assert "chongqing_monte_carlo" not in one and "chongqing_peaks" in one
    steps = r"\['chongqing_peaks', 'chongqing_monte_carlo', 'chongqing_decomposition'\]"
    with pytest.raises(InputError, match=r"'nope'.*its steps: " + steps):
        run_study(STUDIES["chongqing"], output=tmp_path, progress=False, only=["nope"])


HOOKS = """\
import xarray as xr


def growth(study, output, rate=0.05):
    \"\"\"Emissions growing at a fixed rate from the study's base year.\"\"\"
    base = study.tables["energy"].sum(["fuel", "region"]).isel(year=-1)
    years = list(range(2021, 2026))
    path = [float(base) * (1 + rate) ** (y - 2020) for y in years]
    ds = xr.Dataset({"emissions": ("year", path, {"units": "10**4 tce"}),
                     "rate": ((), rate, {"units": "1"})}, coords={"year": years})
    ds.attrs["summary"] = [f"grows {100 * rate:.0f} % a year; output folder {output.name}"]
    return ds


def by_region(study):
    return xr.Dataset({"e": study.tables["energy"].sum("fuel")})


def last_year(ds):
    return ds.isel(year=-1)


def grid():
    return xr.Dataset({"v": (("k", "year"), [[1.0, 2.0], [3.0, 4.0]])}, coords={"k": ["a", "b"], "year": [1, 2]})
"""


def test_a_user_study_with_a_hook_file_next_to_it(tmp_path):
    _user_csv(tmp_path / "energy.csv")
    (tmp_path / "hooks.py").write_text(HOOKS)
    path = _study(tmp_path, BASE + textwrap.dedent("""\
        [custom.growth]
        code = "hooks.py:growth"
        args = { rate = 0.1 }
        [custom.by_region]
        title = "Energy by region"
        code = "hooks.py:by_region"
        [custom.by_region_2d]
        code = "hooks.py:by_region"
        [outputs]
        figures = false
        """), csv=False)
    study = load_study(path)
    assert study.custom["growth"].title == "Emissions growing at a fixed rate from the study's base year."
    result = runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    text = " ".join(result.output.split())
    assert "grows 10 % a year; output folder out" in text and "rate" in text and "10.0 %" in text
    assert text.count("wrote ") == 3 + 1  # a line per custom result (its files), one count line
    assert len(re.findall(r"wrote \d+ files into", text)) == 1
    with xr.open_dataset(out / "growth.nc", engine="h5netcdf") as g:
        assert g.emissions.sizes == {"year": 5} and float(g.rate) == 0.1
    assert pd.read_csv(out / "growth.csv", index_col="year").index.tolist() == list(range(2021, 2026))
    assert (out / "by_region_2d.nc").is_file() and not (out / "by_region_2d.csv").exists()  # two dims, no table
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Energy by region" in report and "grows 10 % a year" in report and "no by_region_2d.csv" in report
    assert (out / "accounting.nc").is_file()  # the built-in methods run as well


def test_a_study_of_custom_code_only_with_a_table_function(tmp_path):
    (tmp_path / "hooks.py").write_text(HOOKS)
    (tmp_path / "study.toml").write_text(textwrap.dedent("""\
        [study]
        name = "just code"
        [custom.grid]
        code = "hooks.py:grid"
        table = "hooks.py:last_year"
        """))
    out = run_study(tmp_path / "study.toml", progress=False)
    assert out["tables"]["grid"].sizes == {"k": 2}
    folder = tmp_path / "results"
    assert sorted(p.name for p in folder.iterdir()) == ["grid.csv", "grid.nc", "report.md"]
    assert pd.read_csv(folder / "grid.csv", index_col="k")["v"].tolist() == [2.0, 4.0]
    assert "# just code" in (folder / "report.md").read_text(encoding="utf-8")


BAD_HOOKS = [
    ('code = "fastcarbon_no_such_module:run"', "custom.x.code", ["cannot import the module 'fastcarbon_no_such_module'",
                                                                  "ModuleNotFoundError"]),
    ('code = "fastcarbon.studies.bengbu:bengbu_acounting"', "custom.x.code",
     ["has no function 'bengbu_acounting'", "did you mean 'bengbu_accounting'"]),
    ('code = "fastcarbon.studies.bundled:STUDIES"', "custom.x.code", ["not a function"]),
    ('code = "bengbu_accounting"', "custom.x.code", ["not 'module:function'"]),
    ('code = "missing.py:run"', "custom.x.code", ["no file", "missing.py", "relative to the study file"]),
    ('code = "hooks.py:growht"', "custom.x.code", ["has no function 'growht'", "did you mean 'growth'"]),
    ('code = "hooks.py:growth"\nargs = { rte = 1.0 }', "custom.x.args.rte",
     ["takes no argument 'rte'", "did you mean 'rate'"]),
    ('code = "hooks.py:growth"\nargs = { study = 1 }', "custom.x.args.study", ["passed by fastcarbon"]),
    ('code = "hooks.py:growth"\ntable = "hooks.py:nope"', "custom.x.table", ["has no function 'nope'"]),
    ('cod = "hooks.py:growth"', "custom.x.cod", ["unknown key", "did you mean 'code'"]),
    ('code = "hooks.py:last_year"', "custom.x.args", ["needs the argument(s) ['ds']"]),
]


@pytest.mark.parametrize("entry, key, words", BAD_HOOKS)
def test_a_bad_hook_names_its_key(tmp_path, entry, key, words):
    (tmp_path / "hooks.py").write_text(HOOKS)
    (tmp_path / "study.toml").write_text(f"[custom.x]\n{entry}\n")
    with pytest.raises(StudyFileError) as info:
        load_study(tmp_path / "study.toml")
    assert info.value.key == key, str(info.value)
    assert str(info.value).startswith(f"study.toml: {key}: ")
    for w in words:
        assert w in str(info.value), str(info.value)


def test_a_hook_file_that_fails_to_import_and_other_study_level_mistakes(tmp_path):
    (tmp_path / "hooks.py").write_text("import fastcarbon_no_such_module\n")
    (tmp_path / "study.toml").write_text('[custom.x]\ncode = "hooks.py:run"\n')
    with pytest.raises(StudyFileError, match=r"custom\.x\.code: running 'hooks\.py' failed: ModuleNotFoundError"):
        load_study(tmp_path / "study.toml")
    (tmp_path / "study.toml").write_text("[study]\nname = 'nothing'\n")
    with pytest.raises(StudyFileError, match=r"study.toml: data: missing; .*\[custom"):
        load_study(tmp_path / "study.toml")
    (tmp_path / "hooks.py").write_text(HOOKS)
    (tmp_path / "study.toml").write_text('[custom.peaks]\ncode = "hooks.py:growth"\n')
    with pytest.raises(StudyFileError, match=r"custom\.peaks: 'peaks' is the name of a built-in result"):
        load_study(tmp_path / "study.toml")
    (tmp_path / "study.toml").write_text('[custom.x]\ncode = "hooks.py:growth"\n[forecast]\n')
    with pytest.raises(StudyFileError, match=r"forecast: needs \[accounting\]"):
        load_study(tmp_path / "study.toml")
    (tmp_path / "study.toml").write_text('[study]\nfiles = ["gone.csv"]\n[custom.x]\ncode = "hooks.py:growth"\n')
    with pytest.raises(StudyFileError, match=r"study\.files\[0\]: no file"):
        load_study(tmp_path / "study.toml")
    # an override is checked as if written in the file
    (tmp_path / "study.toml").write_text('[custom.x]\ncode = "hooks.py:growth"\n')
    with pytest.raises(StudyFileError, match=r"custom\.x\.code: expected a string, found an integer 3"):
        load_study(tmp_path / "study.toml", overrides={"custom.x.code": 3})
    with pytest.raises(StudyFileError, match=r"overrides: '' is not a dotted key"):
        load_study(tmp_path / "study.toml", overrides={"": 3})


def test_init_from_a_bundled_study_copies_its_file_and_tables(tmp_path):
    result = runner.invoke(app, ["init", "--from", "bengbu", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "bengbu_table4.csv", "bengbu_table5.csv", "bengbu_table6.csv", "study.toml"]
    copy = load_study(tmp_path / "b" / "study.toml")
    assert list(copy.custom) == ["bengbu_accounting", "bengbu_forecast", "bengbu_decomposition"]
    out = run_study(copy, output=tmp_path / "out", progress=False, only="bengbu_forecast")
    assert out["bengbu_forecast"].attrs["grade"] == "good"
    bad = runner.invoke(app, ["init", "--from", "bengbo", str(tmp_path / "c")])
    assert bad.exit_code == 2 and "'bengbo' is not a bundled study" in bad.output


def test_the_readme_hook_error_is_the_one_the_code_gives(tmp_path):
    from pathlib import Path

    text = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").split())
    (tmp_path / "hooks.py").write_text("def growth():\n    pass\n")
    (tmp_path / "study.toml").write_text('[custom.growth]\ncode = "hooks.py:growht"\n')
    with pytest.raises(StudyFileError) as info:
        load_study(tmp_path / "study.toml")
    assert f"`{info.value}`" in text
