"""Global sensitivity (fastcarbon.uncertainty.sensitivity): Sobol' and Morris through SALib.

Analytic cases: Ishigami's function (Sobol' indices known in closed form) and a linear function
(Morris' elementary effects equal slope x range).  The Chongqing model is checked against
chongqing_scenarios and against a per-draw loop written out from the recursions.
"""

from __future__ import annotations

import doctest
import importlib
import math
import warnings

import numpy as np
import pytest
import xarray as xr

import fastcarbon.uncertainty.sensitivity as sens
from fastcarbon.errors import (
    CoordinateMismatchError,
    FastcarbonError,
    FastcarbonWarning,
    InputError,
    InputTypeError,
    InvalidValueError,
    UnknownLabelError,
)
from fastcarbon.studies.chongqing import chongqing_model, chongqing_problem, chongqing_sensitivity
from fastcarbon.uncertainty.sensitivity import (
    check_problem,
    morris_analyze,
    morris_sample,
    sobol_analyze,
    sobol_sample,
)

ISHIGAMI = {"names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
A, B = 7.0, 0.1


def ishigami(x: xr.DataArray) -> xr.DataArray:
    x1, x2, x3 = (x.sel(param=k, drop=True) for k in ISHIGAMI["names"])
    return (np.sin(x1) + A * np.sin(x2) ** 2 + B * x3**4 * np.sin(x1)).rename("ishigami")


def ishigami_analytic():
    """Closed-form partial variances of Ishigami's function on [-pi, pi]^3 (Saltelli et al. 2008,
    Global Sensitivity Analysis: The Primer, section 4.9; Sobol' & Levitan 1999)."""
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v, v13 / v


# SALib's own regression tolerance for Ishigami (SALib tests/test_regression.py, test_sobol.py)
SALIB_TOL = {"atol": 5e-2, "rtol": 1e-1}


# ------------------------------------------------------------------ Sobol' on Ishigami


@pytest.mark.parametrize("second", [False, True])
def test_ishigami_sobol_within_salib_tolerance(second):
    s1, st, s13 = ishigami_analytic()
    x = sobol_sample(ISHIGAMI, 8192, seed=11, calc_second_order=second)
    si = sobol_analyze(ISHIGAMI, ishigami(x), seed=11, calc_second_order=second)
    np.testing.assert_allclose(si.S1.sel(output="ishigami"), s1, **SALIB_TOL)
    np.testing.assert_allclose(si.ST.sel(output="ishigami"), st, **SALIB_TOL)
    # the bootstrap intervals are honest: the analytic value lies within 3 half-widths
    assert (np.abs(si.S1.sel(output="ishigami") - s1) <= 3 * si.S1_conf.sel(output="ishigami")).all()
    assert (np.abs(si.ST.sel(output="ishigami") - st) <= 3 * si.ST_conf.sel(output="ishigami")).all()
    assert (si.S1_conf > 0).all() and (si.ST_conf > 0).all()
    if second:
        s2 = si.S2.sel(output="ishigami")
        np.testing.assert_allclose(float(s2.sel(param="x1", param_2="x3")), s13, **SALIB_TOL)
        np.testing.assert_allclose(float(s2.sel(param="x1", param_2="x2")), 0.0, **SALIB_TOL)
        assert float(s2.sel(param="x3", param_2="x1")) == float(s2.sel(param="x1", param_2="x3"))


def test_ishigami_converges_with_n():
    """The error of S1 at n = 4096 is below that at n = 64 (a wrong estimator would not converge)."""
    s1, st, _ = ishigami_analytic()
    err = []
    for n in (64, 4096):
        si = sobol_analyze(ISHIGAMI, ishigami(sobol_sample(ISHIGAMI, n, seed=5)), seed=5)
        err.append(float(np.abs(si.S1.values.ravel() - s1).max() + np.abs(si.ST.values.ravel() - st).max()))
    assert err[1] < err[0] / 3


def test_result_layout_and_attrs():
    x = sobol_sample(ISHIGAMI, 64, seed=1)
    y = ishigami(x)
    outputs = xr.Dataset({"f": y, "g": x.sel(param="x2", drop=True)})
    si = sobol_analyze(ISHIGAMI, outputs, seed=1)
    assert set(si.data_vars) == {"S1", "S1_conf", "ST", "ST_conf"}
    for v in si.data_vars.values():
        assert v.dims == ("output", "param")
        assert v.attrs["units"] == "1" and v.attrs["long_name"]
    assert si.output.values.tolist() == ["f", "g"] and si.param.values.tolist() == ISHIGAMI["names"]
    # g = x2: x1 and x3 carry exactly no variance; x2 all of it, up to the estimator's error
    g = si.ST.sel(output="g")
    assert float(g.sel(param="x1")) == 0.0 and float(g.sel(param="x3")) == 0.0
    assert abs(float(g.sel(param="x2")) - 1.0) < 0.02


def test_extra_dims_are_columns_and_indices_are_affine_invariant():
    """A scenario dim is analysed column by column; a + b·f has the same indices as f."""
    x = sobol_sample(ISHIGAMI, 256, seed=2)
    f = ishigami(x)
    stacked = xr.concat([f, 5.0 + 3.0 * f, x.sel(param="x1", drop=True)], dim="scenario").assign_coords(scenario=["a", "b", "c"])
    si = sobol_analyze(ISHIGAMI, stacked.transpose("scenario", "draw"), seed=2)
    assert si.S1.dims == ("output", "param", "scenario")
    alone = sobol_analyze(ISHIGAMI, f, seed=2)
    np.testing.assert_allclose(si.S1.sel(scenario="a").values, alone.S1.values, rtol=0, atol=0)
    np.testing.assert_allclose(si.S1.sel(scenario="b").values, alone.S1.values, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(si.ST_conf.sel(scenario="b").values, alone.ST_conf.values, rtol=1e-9, atol=1e-12)
    assert not np.allclose(si.S1.sel(scenario="c").values, alone.S1.values)


def test_sample_keeps_salib_row_order():
    from SALib.sample import sobol as salib_sobol

    raw = {"names": ["a", "b"], "bounds": [[0, 1], [-2, 2]]}
    p = check_problem(raw)
    x = sobol_sample(p, 8, seed=9)
    assert set(p) == {"num_vars", "names", "bounds", "dists"} and set(raw) == {"names", "bounds"}  # SALib got copies
    np.testing.assert_array_equal(x.values, salib_sobol.sample(p, 8, calc_second_order=False, seed=9))
    assert x.dims == ("draw", "param") and x.draw.values.tolist() == list(range(32))
    a, ab, b = (x.where(x.matrix == m, drop=True) for m in ("A", "AB:b", "B"))
    np.testing.assert_array_equal(ab.sel(param="a").values, a.sel(param="a").values)
    np.testing.assert_array_equal(ab.sel(param="b").values, b.sel(param="b").values)
    assert (x.base_point.values == np.repeat(np.arange(8), 4)).all()
    x2 = sobol_sample(p, 8, seed=9, calc_second_order=True)
    assert x2.sizes["draw"] == 8 * 6 and "BA:a" in x2.matrix.values


def test_seeds_reproduce_and_differ():
    x0 = sobol_sample(ISHIGAMI, 32, seed=0)
    np.testing.assert_array_equal(x0.values, sobol_sample(ISHIGAMI, 32, seed=np.int64(0)).values)
    assert not np.array_equal(x0.values, sobol_sample(ISHIGAMI, 32, seed=1).values)
    y = ishigami(x0)
    # seed 0 is reproducible too (SALib's analyze alone would treat 0 as "no seed")
    c1 = sobol_analyze(ISHIGAMI, y, seed=0).S1_conf.values
    c2 = sobol_analyze(ISHIGAMI, y, seed=0).S1_conf.values
    np.testing.assert_array_equal(c1, c2)
    assert not np.array_equal(c1, sobol_analyze(ISHIGAMI, y, seed=3).S1_conf.values)


def test_constant_output_warns_and_gives_nan():
    x = sobol_sample(ISHIGAMI, 16, seed=1)
    const = xr.zeros_like(x.sel(param="x1", drop=True)).rename("flat")
    with pytest.warns(FastcarbonWarning, match=r"outputs\['flat'\] is constant"):
        si = sobol_analyze(ISHIGAMI, const, seed=1)
    assert np.isnan(si.S1.values).all()


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("n", [3, 100, 1000])
def test_sobol_n_not_power_of_two(n):
    with pytest.raises(InvalidValueError, match="not a power of 2") as err:
        sobol_sample(ISHIGAMI, n, seed=1)
    assert isinstance(err.value, ValueError)
    lo = 1 << (n.bit_length() - 1)
    assert f"use {lo} or {2 * lo}" in str(err.value)


@pytest.mark.parametrize("n, exc", [(1, InvalidValueError), (0, InvalidValueError), (64.0, InputTypeError), ("64", InputTypeError)])
def test_sobol_bad_n(n, exc):
    with pytest.raises(exc, match="n:"):
        sobol_sample(ISHIGAMI, n, seed=1)


@pytest.mark.parametrize("seed", [1.5, 2.0, "1", None, True, [1]])
def test_seed_must_be_integer(seed):
    with pytest.raises(InputTypeError, match="seed: must be a non-negative integer"):
        sobol_sample(ISHIGAMI, 8, seed=seed)
    with pytest.raises(InputTypeError, match="seed"):
        morris_sample(ISHIGAMI, 4, seed=seed)
    with pytest.raises(InputTypeError, match="seed"):
        sobol_analyze(ISHIGAMI, ishigami(sobol_sample(ISHIGAMI, 8, seed=1)), seed=seed)


def test_negative_seed():
    with pytest.raises(InvalidValueError, match="seed"):
        sobol_sample(ISHIGAMI, 8, seed=-1)


@pytest.mark.parametrize("problem, exc, match", [
    ({"names": ["a"], "bounds": [[0, 1]], "dists": ["gauss"]}, UnknownLabelError, "unknown distribution 'gauss' for 'a'"),
    ({"names": ["a"], "bounds": [[1, 1]]}, InvalidValueError, r"bounds of 'a' are \[1.0, 1.0\]; 'unif' needs"),
    ({"names": ["a"], "bounds": [[2, 1]]}, InvalidValueError, "lower < upper"),
    ({"names": ["a"], "bounds": [[0, float("nan")]]}, InvalidValueError, "bounds of 'a'"),
    ({"names": ["a"], "bounds": [[1, 0]], "dists": ["norm"]}, InvalidValueError, "sd > 0"),
    ({"names": ["a"], "bounds": [[0, 1]], "dists": ["logunif"]}, InvalidValueError, "0 < lower"),
    ({"names": ["a"], "bounds": [[0, 1]], "dists": ["triang"]}, InputError, "needs \\[start, end, peak\\]"),
    ({"names": ["a"], "bounds": [[0, 1, 2]]}, InputError, "have 3 values"),
    ({"names": ["a", "b"], "bounds": [[0, 1]]}, InputError, "1 bounds for 2 names"),
    ({"names": ["a", "a"], "bounds": [[0, 1]] * 2}, InputError, "duplicated"),
    ({"names": ["a"], "bounds": [["x", 1]]}, InputTypeError, "list of numbers"),
    ({"names": ["a"]}, InputError, "missing key"),
    ({"names": ["a"], "bounds": [[0, 1]], "num_vars": 2}, InputError, "num_vars"),
    ({"names": ["a"], "bounds": [[0, 1]], "groups": ["g"]}, InputError, "groups"),
    ([("a", 0, 1)], InputTypeError, "expected a dict"),
])
def test_bad_problems(problem, exc, match):
    for call in (lambda: sobol_sample(problem, 8, seed=1), lambda: morris_sample(problem, 4, seed=1)):
        with pytest.raises(exc, match=match) as err:
            call()
        assert isinstance(err.value, FastcarbonError) and isinstance(err.value, (ValueError, TypeError))


def test_other_distributions_pass_through_to_salib():
    p = {"names": ["u", "n", "t"], "bounds": [[0, 1], [10, 2], [0, 4, 0.5]], "dists": ["unif", "norm", "triang"]}
    x = sobol_sample(p, 1024, seed=4)
    assert abs(float(x.sel(param="n").mean()) - 10) < 0.2
    assert float(x.sel(param="t").min()) >= 0 and float(x.sel(param="t").max()) <= 4


def test_analyze_draw_count_with_reason():
    x = sobol_sample(ISHIGAMI, 16, seed=1)
    y = ishigami(x)
    with pytest.raises(InputError, match=r"79 draws cannot be split into Saltelli blocks of 5 rows"):
        sobol_analyze(ISHIGAMI, y.isel(draw=slice(0, 79)), seed=1)
    # sampled without, analysed with second order: 80 rows are not n x 8
    y4 = ishigami(sobol_sample(ISHIGAMI, 4, seed=1))  # 20 rows are not n x 8
    with pytest.raises(InputError, match="blocks of 8 rows.*calc_second_order=True"):
        sobol_analyze(ISHIGAMI, y4, seed=1, calc_second_order=True)
    with pytest.raises(InputError, match="n >= 2"):
        sobol_analyze(ISHIGAMI, y.isel(draw=slice(0, 5)), seed=1)


def test_analyze_bad_outputs():
    x = sobol_sample(ISHIGAMI, 16, seed=1)
    y = ishigami(x).expand_dims(scenario=["RS", "AP"]).copy()
    y[1, 7] = np.nan
    with pytest.raises(InvalidValueError, match=r"outputs\['ishigami'\]: nan at scenario='AP', draw=7"):
        sobol_analyze(ISHIGAMI, y, seed=1)
    shuffled = ishigami(x).isel(draw=np.r_[1, 0, 2:80])
    with pytest.raises(CoordinateMismatchError, match="SALib's row order"):
        sobol_analyze(ISHIGAMI, shuffled, seed=1)
    with pytest.raises(InputTypeError):
        sobol_analyze(ISHIGAMI, ishigami(x).values, seed=1)
    with pytest.raises(InvalidValueError, match="conf_level"):
        sobol_analyze(ISHIGAMI, ishigami(x), seed=1, conf_level=95)
    with pytest.raises(InputError, match="missing required dimension"):
        sobol_analyze(ISHIGAMI, ishigami(x).rename(draw="sample"), seed=1)


def test_salib_runtime_error_is_translated(monkeypatch):
    from SALib.analyze import sobol as salib_sobol

    def broken(*args, **kwargs):
        raise RuntimeError("\n        Incorrect number of samples in model output file.\n   Confirm that ...")

    monkeypatch.setattr(salib_sobol, "analyze", broken)
    with pytest.raises(InputError, match="sobol_analyze: SALib rejected the input: Incorrect number of samples in model output file. Confirm") as err:
        sobol_analyze(ISHIGAMI, ishigami(sobol_sample(ISHIGAMI, 8, seed=1)), seed=1)
    assert isinstance(err.value.__cause__, RuntimeError)


# ------------------------------------------------------------------ Morris


def test_morris_linear_function_is_exact():
    p = {"names": ["a", "b", "c"], "bounds": [[0, 1], [0, 2], [-5, 5]]}
    slopes = np.array([3.0, -1.0, 0.25])
    x = morris_sample(p, 20, seed=2, num_levels=6)
    y = (x * xr.DataArray(slopes, dims="param", coords={"param": p["names"]})).sum("param").assign_attrs(units="Mt CO2")
    m = morris_analyze(p, x, y.rename("lin"), seed=2, num_levels=6)
    ranges = np.array([1.0, 2.0, 10.0])
    np.testing.assert_allclose(m.mu.sel(output="lin").values, slopes * ranges, rtol=1e-9)
    np.testing.assert_allclose(m.mu_star.sel(output="lin").values, np.abs(slopes * ranges), rtol=1e-9)
    np.testing.assert_allclose(m.sigma.sel(output="lin").values, 0.0, atol=1e-9)
    assert m.mu.attrs["units"] == "Mt CO2" and m.mu.dims == ("output", "param")
    scaled = morris_analyze(p, x, y, seed=2, num_levels=6, scaled=True)
    assert scaled.mu.attrs["units"] == "1"
    np.testing.assert_array_equal(np.sign(scaled.mu.values), np.sign(m.mu.values))


def test_morris_ishigami_screening():
    """mu* ranks x1 above x3 on Ishigami (x1 has the largest total effect); x3 acts only through
    its interaction with x1, so its sigma exceeds its |mu|."""
    x = morris_sample(ISHIGAMI, 200, seed=4)
    m = morris_analyze(ISHIGAMI, x, ishigami(x), seed=4)
    ms = m.mu_star.sel(output="ishigami")
    assert float(ms.sel(param="x1")) > float(ms.sel(param="x3"))
    assert float(m.sigma.sel(output="ishigami", param="x3")) > abs(float(m.mu.sel(output="ishigami", param="x3")))
    assert (m.mu_star_conf > 0).all()


def test_morris_matches_salib_rows_and_checks_inputs():
    from SALib.sample import morris as salib_morris

    p = check_problem({"names": ["a", "b"], "bounds": [[0, 1], [0, 1]]})
    x = morris_sample(p, 6, seed=8)
    np.testing.assert_array_equal(x.values, salib_morris.sample(p, 6, seed=8))
    with pytest.raises(InvalidValueError, match="odd"):
        morris_sample(p, 6, seed=8, num_levels=5)
    with pytest.raises(InvalidValueError, match="optimal_trajectories"):
        morris_sample(p, 6, seed=8, optimal_trajectories=6)
    y = x.sum("param")
    with pytest.raises(CoordinateMismatchError, match="17 draws but the sample has 18"):
        morris_analyze(p, x, y.isel(draw=slice(0, 17)), seed=1)
    with pytest.raises(CoordinateMismatchError, match="param labels"):
        morris_analyze(p, x.assign_coords(param=["b", "a"]), y, seed=1)


# ------------------------------------------------------------------ Chongqing


def _ones(names, rows=1):
    return xr.DataArray(np.ones((rows, len(names))), dims=("draw", "param"), coords={"draw": np.arange(rows), "param": names})


def test_chongqing_model_at_ones_is_chongqing_scenarios():
    from fastcarbon.studies.chongqing import chongqing_peaks, chongqing_scenarios

    out = chongqing_model(_ones(chongqing_problem()["names"])).isel(draw=0)
    em = chongqing_scenarios().emissions
    assert out.scenario.values.tolist() == ["RS", "PP-NZES", "AP-NZES"]
    np.testing.assert_array_equal(out.peak_year.values, chongqing_peaks().peak_year.values)
    np.testing.assert_allclose(out.emissions_2030.values, em.sel(year=2030).values, rtol=1e-12)
    np.testing.assert_allclose(out.emissions_2060.values, em.sel(year=2060).values, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.cumulative_emissions_2021_2060.values,
                               em.sel(year=slice(2021, 2060)).sum("year").values, rtol=1e-12)
    assert out.peaked.all()


def _loop_reference(m: np.ndarray, scenario: str) -> tuple[float, float, float, float]:
    """One draw written out from the recursions of chongqing_model's docstring, year by year."""
    from fastcarbon.studies.chongqing import chongqing_inputs

    ds = chongqing_inputs()
    rates = ds.rates.sel(scenario=scenario).values / 100
    group = [0, 0, 1, 1, 1, 2, 2, 2]
    key = dict(zip(ds.gdp_growth.year.values.tolist(), ds.gdp_growth.values / 100))
    gdp, ci = float(ds.gdp_2020), float(ds.emissions_2020) / float(ds.gdp_2020)
    em = [gdp * ci]
    for t in range(2021, 2061):
        lo = 2020 + 10 * ((t - 2020) // 10) if t < 2060 else 2050
        g = key[lo] + (key[lo + 10] - key[lo]) * (t - lo) / 10
        p = (t - 2021) // 5
        gdp *= 1 + m[3] * g
        ci *= 1 - min(1.0, m[group[p]] * rates[p])
        em.append(gdp * ci)
    em = np.array(em)
    k = int(np.argmax(em))
    peak = 2020 + k if em[-1] < em[k] else 2061
    return peak, em[10], em[40], em[1:].sum()


def test_chongqing_model_matches_a_per_draw_loop():
    x = sobol_sample(chongqing_problem(0.3), 4, seed=6)
    out = chongqing_model(x)
    for d in (0, 5, 13, 23):
        for s in ("RS", "AP-NZES"):
            ref = _loop_reference(x.sel(draw=d).values, s)
            got = out.sel(draw=d, scenario=s)
            assert float(got.peak_year) == ref[0]
            np.testing.assert_allclose([float(got.emissions_2030), float(got.emissions_2060),
                                        float(got.cumulative_emissions_2021_2060)], ref[1:], rtol=1e-10, atol=1e-10)


def test_chongqing_censored_peak_is_last_year_plus_one():
    x = _ones(chongqing_problem()["names"], 2).copy()
    x[1] = [0.5, 0.5, 0.5, 2.0]  # slow decarbonisation, fast growth: RS still rising in 2060
    out = chongqing_model(x, scenarios=["RS"])
    assert out.peaked.values.tolist() == [[True], [False]]
    assert out.peak_year.values.tolist() == [[2035.0], [2061.0]]
    assert "censored" in out.peak_year.attrs["long_name"]


def test_chongqing_model_bad_input():
    with pytest.raises(UnknownLabelError, match="gdp_growth"):
        chongqing_model(_ones(["rates_2021_2030", "rates_2031_2045", "rates_2046_2060"]))
    with pytest.raises(UnknownLabelError, match="'XX'"):
        chongqing_model(_ones(chongqing_problem()["names"]), scenarios=["RS", "XX"])
    neg = _ones(chongqing_problem()["names"]).copy()
    neg[0, 3] = -1
    with pytest.raises(InvalidValueError, match="param='gdp_growth'"):
        chongqing_model(neg)
    with pytest.raises(InvalidValueError, match="spread"):
        chongqing_problem(1.5)


def test_chongqing_sensitivity():
    si = chongqing_sensitivity(256, seed=1)
    assert si.S1.dims == ("output", "param", "scenario")
    assert si.output.values.tolist() == ["peak_year", "emissions_2030", "emissions_2060", "cumulative_emissions_2021_2060"]
    assert si.scenario.values.tolist() == ["RS", "PP-NZES", "AP-NZES"]
    # 2030 emissions cannot depend on rates after 2030: exactly no variance from them
    assert (si.ST.sel(output="emissions_2030", param=["rates_2031_2045", "rates_2046_2060"]) == 0).all()
    # ... and are (nearly) additive in log space: S1 ~ ST, summing to ~1
    e30 = si.sel(output="emissions_2030")
    np.testing.assert_allclose(e30.S1.sum("param").values, 1.0, atol=0.02)
    # RS has one constant rate: its peak turns where GDP growth falls below r/(1-r), which the
    # growth multiplier moves most
    assert si.ST.sel(output="peak_year", scenario="RS").idxmax("param").item() == "gdp_growth"
    # AP-NZES reaches zero from 2056 whenever its 100 % rate is not scaled down: the last group rules 2060
    assert si.ST.sel(output="emissions_2060", scenario="AP-NZES").idxmax("param").item() == "rates_2046_2060"
    assert (si.censored_share == 0).all()
    assert si.censored_share.attrs["units"] == "1"


def test_module_doctests():
    """Stricter than the package-wide doctest run: every example runs with warnings as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = doctest.testmod(sens)
        moved = doctest.testmod(importlib.import_module("fastcarbon.studies.chongqing.sensitivity"))
    assert result.attempted + moved.attempted >= 20 and result.failed == moved.failed == 0
