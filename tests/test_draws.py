"""Draw summaries with their Monte Carlo errors (core/draws.py, kernels/quantile.draw_summary)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binom

from fastcarbon import uncertainty
from fastcarbon.core import NonFiniteSampleError, draws_needed, order_statistic_interval, summarize_draws
from fastcarbon.errors import (
    InputError,
    InputTypeError,
    InvalidValueError,
    OverflowResultError,
    ShapeError,
    TimeAxisError,
)
from fastcarbon.reference.quantile import summarize_numpy

FIELDS_EXACT = ("quantile", "quantile_low", "quantile_high", "peak_probability", "peak_probability_se",
                "peak_year_probability", "censored_share", "censored_share_se", "prob_below", "prob_below_se")


@st.composite
def draws(draw):
    """(D, R, S, T) draws with ties and plateaus (values rounded to few levels) and the axis order."""
    d = draw(st.integers(1, 60))
    r, s, t = (draw(st.integers(1, 3)) for _ in range(3))
    levels = draw(st.sampled_from([3, 10, 1000]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(d, r, s, t)).cumsum(-1) * levels / 10) * 10 / levels
    return x


@given(x=draws(), data=st.data())
def test_equals_the_labelled_functions(x, data):
    years = np.arange(2020, 2020 + x.shape[-1])
    ty = int(data.draw(st.sampled_from(years.tolist())))
    target = np.array([0.0, 0.5, -1.0])[: x.shape[2]]
    s = summarize_draws(x, years, target=target, target_year=ty)
    da = xr.DataArray(x, dims=("draw", "region", "scenario", "year"), coords={"year": years})
    assert np.array_equal(s.peak_probability, uncertainty.peak_probability(da).values)
    dist = uncertainty.peak_year_distribution(da)
    assert np.array_equal(s.peak_year_probability, dist.probability.transpose(..., "peak_year").values)
    assert np.array_equal(s.censored_share, dist.censored_share.values)
    pb = uncertainty.prob_below(da, xr.DataArray(target, dims="scenario"), ty)
    assert np.array_equal(s.prob_below, pb.values)
    bands = uncertainty.quantile_bands(da, [0.05, 0.5, 0.95])
    for k, name in enumerate(["p5", "p50", "p95"]):
        assert np.array_equal(s.quantile[k], bands[name].values)
    np.testing.assert_allclose(s.mean, x.mean(0), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(s.std, x.std(0), rtol=1e-12, atol=1e-13)
    assert s.n_draws == x.shape[0]
    # the labelled summary keeps the outputs it had before it was built on summarize_draws
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore", RuntimeWarning)  # all-NaN median of no peaks
        labelled = uncertainty.summarize(da, target_year=ty)
    np.testing.assert_array_equal(labelled.peak_year_median.values, dist.peak_year_median.values)
    assert np.array_equal(labelled.probability.values, dist.probability.values)
    assert np.array_equal(labelled.p50.values, bands.p50.values)
    assert np.array_equal(labelled.prob_peak_by_target.values, uncertainty.peak_probability(da).sel(year=ty).values)


@given(x=draws(), axis=st.integers(0, 2))
def test_equals_numpy_composition_on_any_draw_axis(x, axis):
    years = np.arange(x.shape[-1]) + 2000.0
    moved = np.moveaxis(x, 0, axis)
    s = summarize_draws(moved, years, axis=axis, target=0.25, target_year=years[-1])
    ref = summarize_numpy(x, years, target=0.25, target_year=years[-1])
    for name in FIELDS_EXACT:
        assert np.array_equal(getattr(s, name), ref[name]), name
    for name in ("mean", "std", "mean_se"):
        np.testing.assert_allclose(getattr(s, name), ref[name], rtol=1e-12, atol=1e-13)
    assert s.quantile.shape == (3, *x.shape[1:])


def test_peak_conventions_of_peaks_peak():
    years = [2020, 2021, 2022]
    e = np.array([[1.0, 3.0, 3.0], [3.0, 1.0, 3.0], [1.0, 3.0, 2.0], [3.0, 3.0, 1.0], [1.0, 2.0, 3.0]])
    s = summarize_draws(e, years)
    # plateau to the end, back at the maximum, and rising are censored; ties go to the first year
    assert s.censored_share == pytest.approx(0.6)
    assert s.peak_year_probability.tolist() == [0.2, 0.2, 0.0]
    one_year = summarize_draws(np.ones((4, 2, 1)), [2020])
    assert one_year.censored_share.tolist() == [1.0, 1.0]
    nan = e.copy()
    nan[2, 0] = np.nan
    p = summarize_draws(nan, years, nan_policy="propagate", target=5.0, target_year=2020)
    assert p.censored_share == pytest.approx(0.8) and p.prob_below == pytest.approx(0.8)
    assert np.isnan(p.quantile[:, 0]).all() and np.isnan(p.mean[0]) and not np.isnan(p.quantile[:, 1:]).any()


def test_serial_and_parallel_bit_identical():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(257, 13, 2, 9)).cumsum(-1)
    years = np.arange(9)
    kw = dict(target=np.linspace(-1, 1, 2), target_year=4)
    serial = summarize_draws(x, years, parallel=False, **kw)
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            par = summarize_draws(x, years, parallel=True, **kw)
            for a, b in zip(serial, par):
                assert np.array_equal(a, b)
    finally:
        numba.set_num_threads(before)


# --- Monte Carlo errors ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 10, 59, 100, 1000, 4321])
@pytest.mark.parametrize("q", [0.0, 0.01, 0.05, 0.25, 0.5, 0.95, 1.0])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_order_statistic_interval_is_the_shortest_reaching_the_level(n, q, level):
    lo, hi, coverage, exact = order_statistic_interval(n, q, level)
    assert 1 <= lo <= hi <= n
    cover = binom.cdf(hi - 1, n, q) - binom.cdf(lo - 1, n, q)  # P(lo <= B < hi)
    assert coverage == pytest.approx(cover, abs=1e-12)
    full = binom.cdf(n - 1, n, q) - binom.cdf(0, n, q)
    assert exact == (full >= level)
    if not exact:
        assert (lo, hi) == (1, n)
        return
    assert coverage >= level
    w = hi - lo - 1  # no interval one rank narrower reaches the level
    if w >= 1:
        best = max(binom.cdf(l + w - 1, n, q) - binom.cdf(l - 1, n, q) for l in range(1, n - w + 1))
        assert best < level


def test_quantile_ci_covers_as_stated_for_uniform_draws():
    # X ~ U(0, 1): the q-quantile is q itself, and [x_(l), x_(u)] holds it with probability
    # P(l <= B < u), B ~ Binomial(n, q), exactly.
    n, reps = 200, 6000
    rng = np.random.default_rng(11)
    u = rng.random((n, reps, 1))
    qs = (0.05, 0.5, 0.9)
    s = summarize_draws(u, [0], quantiles=qs)
    for k, q in enumerate(qs):
        hit = ((s.quantile_low[k] <= q) & (q <= s.quantile_high[k])).mean()
        cov = s.quantile_ci_coverage[k]
        assert s.quantile_ci_exact[k] and cov >= 0.95
        assert abs(hit - cov) < 4 * np.sqrt(cov * (1 - cov) / reps)
        assert (s.quantile_low[k] <= s.quantile[k]).all() and (s.quantile[k] <= s.quantile_high[k]).all()


def test_binomial_standard_errors_match_the_spread_of_estimates():
    rng = np.random.default_rng(4)
    n, reps = 400, 3000
    x = rng.normal(size=(n, reps, 5)).cumsum(-1)  # random walks: P(peak by t) known only by simulation
    s = summarize_draws(x, np.arange(5), target=0.0, target_year=4)
    for est, se in ((s.peak_probability[:, 2], s.peak_probability_se[:, 2]), (s.prob_below, s.prob_below_se),
                    (s.censored_share, s.censored_share_se)):
        assert np.std(est) == pytest.approx(np.mean(se), rel=0.06)
    np.testing.assert_allclose(s.mean_se, s.std / np.sqrt(n))
    assert np.std(s.mean[:, 4]) == pytest.approx(np.mean(s.mean_se[:, 4]), rel=0.06)


def test_draws_needed_analytic():
    assert int(draws_needed(0.5, 0.01)) == 9604
    assert int(draws_needed(0.5, 0.01, level=0.99)) == 16588  # 2.5758^2 / 4 / 1e-4
    assert draws_needed([0.0, 1.0, 0.1], [0.01, 0.01, 0.05]).tolist() == [0, 0, 139]
    assert draws_needed(np.full((2, 3), 0.3), 0.02).shape == (2, 3)
    da = uncertainty.draws_needed(xr.DataArray([0.5, 0.2], dims="scenario", coords={"scenario": ["a", "b"]}))
    assert da.values.tolist() == [9604, 6147] and da.attrs["units"] == "1" and "+/- 0.01" in da.attrs["long_name"]


@pytest.mark.parametrize("kw, error, match", [
    (dict(p=1.2, half_width=0.01), InvalidValueError, r"p: probabilities must be in \[0, 1\], got 1.2"),
    (dict(p=np.nan, half_width=0.01), InvalidValueError, "got nan"),
    (dict(p=0.5, half_width=0.0), InvalidValueError, "half_width: must be a finite number > 0"),
    (dict(p=0.5, half_width=0.01, level=1.0), InvalidValueError, r"level: must be in \(0, 1\)"),
    (dict(p=0.5, half_width=0.01, level="95%"), InputTypeError, "level"),
    (dict(p="half", half_width=0.01), InputTypeError, "p: must be numbers"),
    (dict(p=[0.5, 0.5], half_width=[0.01, 0.02, 0.03]), InputError, "do not broadcast"),
])
def test_draws_needed_bad_inputs(kw, error, match):
    with pytest.raises(error, match=match):
        draws_needed(**kw)


E = np.zeros((5, 2, 4))
Y = [2020, 2021, 2022, 2023]


@pytest.mark.parametrize("args, kw, error, match", [
    ((E, Y), dict(axis=2), InputError, "is the year axis"),
    ((E, Y), dict(axis=-1), InputError, "is the year axis"),
    ((E, Y), dict(axis=3), InputError, "out of range"),
    ((E, Y), dict(axis=0.0), InputTypeError, "axis: must be an integer"),
    ((E[0, 0], Y), {}, InputError, "needs a draw axis and a year axis"),
    ((E[:0], Y), {}, ShapeError, "at least one draw"),
    ((E, Y[:3]), {}, InputError, "years: must be 1-D with one year per step"),
    ((E, [2020, 2022, 2021, 2023]), {}, TimeAxisError, "strictly increasing"),
    ((E, Y), dict(quantiles=[0.5, 2.0]), InvalidValueError, r"quantiles: probabilities must be in \[0, 1\]"),
    ((E, Y), dict(level=0.0), InvalidValueError, "level"),
    ((E, Y), dict(target=1.0), InputError, "target: needs target_year"),
    ((E, Y), dict(target=1.0, target_year=2030), InputError, "target_year: 2030 is not one of the years"),
    ((E, Y), dict(target=[1.0, 2.0, 3.0], target_year=2021), InputError, "does not broadcast"),
    ((E, Y), dict(target=np.nan, target_year=2021), NonFiniteSampleError, "target: nan"),
    ((E, Y), dict(target="low", target_year=2021), InputTypeError, "target: must be numbers"),
    ((E, Y), dict(nan_policy="omit"), InputError, "nan_policy"),
    ((E.astype(str), Y), {}, InputTypeError, "real numbers"),
])
def test_bad_inputs(args, kw, error, match):
    with pytest.raises(error, match=match):
        summarize_draws(*args, **kw)


def test_nonfinite_draws_are_named():
    x = np.zeros((5, 2, 4))
    x[3, 1, 2] = np.nan
    with pytest.raises(NonFiniteSampleError, match=r"e: nan at index \(3, 1, 2\)"):
        summarize_draws(x, Y)
    x[3, 1, 2] = -np.inf
    with pytest.raises(NonFiniteSampleError, match=r"e: -inf at index \(3, 1, 2\)"):
        summarize_draws(x, Y, nan_policy="propagate")
    x[3, 1, 2] = 1e308
    x[4, 1, 2] = 1e308
    with pytest.raises(OverflowResultError, match=r"mean: overflows to inf at index \(1, 2\)"):
        summarize_draws(x, Y)


# --- labelled summarize ------------------------------------------------------------------------


def test_labelled_summarize_adds_the_errors():
    rng = np.random.default_rng(8)
    da = xr.DataArray(rng.normal(size=(500, 2, 11)).cumsum(-1), dims=("draw", "scenario", "year"),
                      coords={"scenario": ["a", "b"], "year": np.arange(2025, 2036)}, attrs={"units": "Mt CO2"})
    s = uncertainty.summarize(da, target_year=2030)
    core = summarize_draws(da.values, da.year.values, target=None)
    assert np.array_equal(s.p5_low.values, core.quantile_low[0])
    assert np.array_equal(s.p95_high.values, core.quantile_high[2])
    lo, hi, cov, exact = order_statistic_interval(500, 0.5)
    assert s.p50_low.attrs["ci_ranks"] == [lo, hi] and s.p50_low.attrs["ci_exact"] == 1
    assert s.p50_high.attrs["units"] == "Mt CO2" and "confidence interval" in s.p50_high.attrs["long_name"]
    p = s.prob_peak_by_target
    np.testing.assert_allclose(s.prob_peak_by_target_se, np.sqrt(p * (1 - p) / 500))
    assert np.array_equal(s.draws_needed.values, draws_needed(p.values, 0.01))
    np.testing.assert_allclose(s.sample_mean_se, s.sample_std / np.sqrt(500))
    for v in s.data_vars:
        assert "units" in s[v].attrs and "long_name" in s[v].attrs, v
    np.testing.assert_allclose(s.peak_year_median, uncertainty.peak_year_distribution(da).peak_year_median)
    lazy = uncertainty.summarize(da.chunk({"draw": 100, "scenario": 1}), target_year=2030)
    xr.testing.assert_identical(lazy.compute(), s)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_no_copy_of_the_draws_whatever_the_axis(axis):
    import tracemalloc

    shape = [50, 4, 41]
    shape.insert(axis, 400)
    x = np.random.default_rng(0).normal(size=shape)  # 26 MB
    years = np.arange(41)
    summarize_draws(x[:2] if axis else x[:, :1], years, axis=axis)  # compile outside the trace
    tracemalloc.start()
    try:
        s = summarize_draws(x, years, axis=axis, target=0.0, target_year=10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    outputs = sum(a.nbytes for a in s if isinstance(a, np.ndarray))
    assert peak < outputs + 2e6 < x.nbytes / 4


def test_summarize_draws_does_not_import_scipy_stats():
    # its confidence ranks need the binomial CDF; scipy.stats (0.45 s to import) is not needed for it
    from subprocess_env import run_json

    out = run_json("""
        import json, sys
        import numpy as np
        from fastcarbon import core
        core.summarize_draws(np.random.default_rng(0).random((200, 41)), np.arange(2020, 2061.0))
        print(json.dumps({"scipy.stats": "scipy.stats" in sys.modules}))
    """)
    assert out == {"scipy.stats": False}
