"""Monte Carlo of scenario emissions: exactness without noise, the loop reference, analytic
moments, correlations, reproducibility (threads, chunks, dask, processes), summaries, bad input."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from fastcarbon.core.montecarlo import Noise, correlation_factor, monte_carlo
from fastcarbon.errors import MissingDimensionError, InputError, InputTypeError, InvalidValueError, UnknownLabelError
from fastcarbon.kernels import montecarlo as kmc
from fastcarbon.reference import montecarlo as ref
from fastcarbon import uncertainty
from fastcarbon.studies.chongqing import CHONGQING_NOISE

DISTS = ["normal", "lognormal", "uniform", "triangular"]


def _inputs(seed=0, n_b=3, n_m=4, n_t=9):
    rng = np.random.default_rng(seed)
    gdp = np.cumprod(1.0 + rng.uniform(0.0, 0.08, (n_b, 1, n_t)), axis=-1) * 100.0
    ci = np.cumprod(1.0 - rng.uniform(0.0, 0.1, (n_b, n_m, n_t)), axis=-1)
    ci[0, 1, n_t - 3:] = 0.0  # a 100 % reduction (AP-NZES 2056-60), then staying at 0
    share = rng.dirichlet(np.ones(n_m))[:, None]
    return gdp, ci, share


def _all_noises(dist="lognormal"):
    return dict(
        activity_noise=Noise("normal", 0.2, on="rate", ar1=0.8, sector_correlation=1.0),
        intensity_noise=Noise(dist, np.array([0.05, 0.1, 0.2, 0.3]), on="rate", ar1=0.6, sector_correlation=0.4),
        factor_noise=Noise("uniform", 0.1, on="level", ar1=-0.3),
    )


# --- exactness and the reference -------------------------------------------------------------


@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("on", ["rate", "level"])
def test_zero_noise_reproduces_the_deterministic_path_exactly(dist, on):
    gdp, ci, share = _inputs()
    z = Noise(dist, 0.0, on=on, ar1=0.5, sector_correlation=0.3)
    r = monte_carlo(gdp, ci, share, n_draws=7, seed=3, activity_noise=z, intensity_noise=z, factor_noise=z,
                    by_sector=True)
    expected = gdp * ci * share
    assert np.array_equal(r.emissions_by_sector, np.broadcast_to(expected, r.emissions_by_sector.shape))
    total = np.zeros(expected.shape[:1] + expected.shape[2:])
    for m in range(expected.shape[1]):  # the kernels sum sectors in order
        total += expected[:, m]
    assert np.array_equal(r.emissions, np.broadcast_to(total, r.emissions.shape))


@pytest.mark.parametrize("dist", DISTS)
def test_kernel_matches_the_loop_reference(dist):
    gdp, ci, share = _inputs(1)
    kw = dict(n_draws=6, seed=11, draw_offset=2**40, **_all_noises(dist))
    fast = monte_carlo(gdp, ci, share, **kw).emissions
    slow = ref.monte_carlo_loops(gdp, ci, share, **kw)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12 * np.abs(slow).max())
    assert not np.allclose(fast[0], fast[1])  # draws differ


def test_numpy_baseline_has_the_same_distribution():
    gdp, ci, share = _inputs(2, n_b=1)
    kw = dict(n_draws=20_000, seed=5, **_all_noises())
    a = monte_carlo(gdp, ci, share, **kw).emissions
    b = ref.monte_carlo_numpy(gdp, ci, share, **kw)
    se = np.sqrt(a.var(0) / a.shape[0] + b.var(0) / b.shape[0])
    assert (np.abs(a.mean(0) - b.mean(0)) <= 5 * se + 1e-12).all()
    np.testing.assert_allclose(a.std(0), b.std(0), rtol=0.05, atol=1e-12)


# --- analytic moments ------------------------------------------------------------------------

N_ANALYTIC = 200_000


def test_level_lognormal_mean_and_variance():
    # E = A I xi, xi = exp(s e - s^2/2): E[xi] = 1, Var[xi] = exp(s^2) - 1.
    s, a, i = 0.2, 50.0, 2.0
    r = monte_carlo(np.full(3, a), np.full(3, i), n_draws=N_ANALYTIC, seed=7,
                    intensity_noise=Noise("lognormal", s, on="level")).emissions
    mean, var = a * i, (a * i) ** 2 * math.expm1(s * s)
    sd = math.sqrt(var)
    # tolerances: 5 standard errors of the mean, and of the variance (kurtosis of the lognormal)
    kurt = math.exp(4 * s * s) + 2 * math.exp(3 * s * s) + 3 * math.exp(2 * s * s) - 3
    assert np.all(np.abs(r.mean(0) - mean) < 5 * sd / math.sqrt(N_ANALYTIC))
    assert np.all(np.abs(r.var(0) / var - 1.0) < 5 * math.sqrt((kurt - 1) / N_ANALYTIC))


def test_rate_normal_mean_and_variance():
    # I'(t) = I0 prod_{tau<=t} (1 - r xi), xi = 1 + s e independent over years:
    # E = I0 (1 - r)^t,  E[I'^2] = I0^2 ((1 - r)^2 + r^2 s^2)^t.
    r_, s, n_t = 0.08, 0.5, 6
    ci = 3.0 * (1 - r_) ** np.arange(n_t)
    out = monte_carlo(np.ones(n_t), ci, n_draws=N_ANALYTIC, seed=8,
                      intensity_noise=Noise("normal", s, on="rate")).emissions
    t = np.arange(n_t)
    mean = 3.0 * (1 - r_) ** t
    second = 9.0 * ((1 - r_) ** 2 + (r_ * s) ** 2) ** t
    var = second - mean**2
    se = np.sqrt(np.maximum(var, 1e-30) / N_ANALYTIC)
    assert np.all(np.abs(out.mean(0) - mean) <= 5 * se + 1e-15)
    np.testing.assert_allclose(out.var(0)[1:], var[1:], rtol=0.03)
    assert out.var(0)[0] == 0.0  # the base year is not perturbed


def test_ar1_and_sector_correlation():
    corr = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])
    phi, n = 0.7, 100_000
    xi = monte_carlo(np.ones((3, 5)), np.ones((3, 5)), n_draws=n, seed=9, by_sector=True,
                     intensity_noise=Noise("normal", 0.1, on="level", ar1=phi, sector_correlation=corr)
                     ).emissions_by_sector
    e = (xi - 1.0) / 0.1  # the underlying N(0, 1)
    tol = 5 / math.sqrt(n)
    for m in range(3):
        for t in range(4):
            assert abs(np.corrcoef(e[:, m, t], e[:, m, t + 1])[0, 1] - phi) < tol
        assert abs(e[:, m, 2].std() - 1.0) < tol
        for k in range(m):
            assert abs(np.corrcoef(e[:, m, 3], e[:, k, 3])[0, 1] - corr[m, k]) < tol


@pytest.mark.parametrize("dist, law", [("uniform", lambda s: stats.uniform(1 - s, 2 * s)),
                                       ("triangular", lambda s: stats.triang(0.5, 1 - s, 2 * s)),
                                       ("lognormal", lambda s: stats.lognorm(s, scale=math.exp(-s * s / 2)))])
def test_factor_marginals(dist, law):
    s = 0.3
    xi = monte_carlo(np.ones(4), np.ones(4), n_draws=50_000, seed=10,
                     intensity_noise=Noise(dist, s, on="level", ar1=0.5)).emissions
    for t in range(4):
        assert stats.kstest(xi[:, t], law(s).cdf).pvalue > 1e-3


def test_singular_correlation_gives_identical_sectors():
    xi = monte_carlo(np.ones((2, 3)), np.ones((2, 3)), n_draws=100, seed=1, by_sector=True,
                     intensity_noise=Noise("normal", 0.1, on="level", sector_correlation=1.0)).emissions_by_sector
    np.testing.assert_allclose(xi[:, 0], xi[:, 1], rtol=1e-14)
    L = correlation_factor(np.ones((4, 4)))
    np.testing.assert_allclose(L @ L.T, np.ones((4, 4)), atol=1e-12)


def test_variate_layout_does_not_depend_on_other_variables():
    # switching activity noise on leaves the intensity factors unchanged
    m, t = 3, 5
    args = dict(dist=np.array([1, 1, 1]), spread=np.full((3, m), 0.2), phi=np.zeros(3),
                chol=np.zeros((3, m, m)), use_chol=np.zeros(3, np.bool_))
    xi_a, xi_b = np.empty((3, m, t)), np.empty((3, m, t))
    kmc.perturbation_factors(1, 2, active=np.array([False, True, False]), z=np.empty((m, 6)), xi=xi_a, **args)
    kmc.perturbation_factors(1, 2, active=np.array([True, True, True]), z=np.empty((m, 6)), xi=xi_b, **args)
    assert np.array_equal(xi_a[1], xi_b[1]) and not np.array_equal(xi_a[0], xi_b[0])


def test_common_random_numbers_across_the_batch():
    gdp, ci, share = _inputs(3, n_b=1)
    twice = np.concatenate([ci, ci])
    r = monte_carlo(gdp, twice, share, n_draws=50, seed=2, **_all_noises()).emissions
    assert np.array_equal(r[:, 0], r[:, 1])


# --- reproducibility ---------------------------------------------------------------------------


def test_threads_and_serial_are_bit_identical():
    gdp, ci, share = _inputs(4)
    kw = dict(n_draws=301, seed=2**63 + 5, **_all_noises())
    serial = monte_carlo(gdp, ci, share, parallel=False, by_sector=True, **kw)
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            par = monte_carlo(gdp, ci, share, parallel=True, by_sector=True, **kw)
            assert np.array_equal(serial.emissions, par.emissions)
            assert np.array_equal(serial.emissions_by_sector, par.emissions_by_sector)
    finally:
        numba.set_num_threads(before)


@given(st.lists(st.integers(1, 40), min_size=1, max_size=6), st.integers(0, 2**64 - 1000))
def test_any_split_of_the_draws_reproduces_the_whole(sizes, offset):
    gdp, ci, share = _inputs(5, n_b=2, n_t=5)
    kw = dict(seed=99, **_all_noises())
    whole = monte_carlo(gdp, ci, share, n_draws=sum(sizes), draw_offset=offset, **kw).emissions
    parts, start = [], offset
    for n in sizes:
        parts.append(monte_carlo(gdp, ci, share, n_draws=n, draw_offset=start, **kw).emissions)
        start += n
    assert np.array_equal(whole, np.concatenate(parts))


@pytest.fixture(scope="module")
def chongqing():
    from fastcarbon.studies.chongqing import chongqing_inputs, chongqing_scenarios

    return chongqing_scenarios(), chongqing_inputs().sector_share.drop_vars("sector_source")


def _labelled(chongqing, **kw):
    ds, share = chongqing
    return uncertainty.monte_carlo(ds, factor=share, emissions_units="Mt CO2", seed=4,
                                   **{**CHONGQING_NOISE, **kw})


def test_labelled_dask_chunks_equal_eager(chongqing):
    import dask

    eager = _labelled(chongqing, n_draws=230, by_sector=True)
    lazy = _labelled(chongqing, n_draws=230, by_sector=True, chunks=64)
    assert lazy.emissions.chunks is not None and lazy.emissions_by_sector.chunks is not None
    with dask.config.set(scheduler="threads", num_workers=2):
        computed = lazy.compute()
    xr.testing.assert_identical(eager, computed)
    # summaries on dask-backed draws
    s_lazy = uncertainty.summarize(lazy.emissions, target_year=2030).compute()
    s_eager = uncertainty.summarize(eager.emissions, target_year=2030)
    xr.testing.assert_allclose(s_lazy, s_eager, rtol=1e-14)


def test_dask_localcluster_processes_bit_identical(chongqing):
    distributed = pytest.importorskip("distributed")
    eager = _labelled(chongqing, n_draws=400)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"}) as cluster:
        with distributed.Client(cluster):
            lazy = _labelled(chongqing, n_draws=400, chunks=100).compute()
    xr.testing.assert_identical(eager, lazy)


def test_labelled_zero_noise_reproduces_chongqing(chongqing):
    ds, _ = chongqing
    zero = Noise("lognormal", 0.0)
    mc = _labelled(chongqing, n_draws=3, intensity_noise=zero, activity_noise=None, by_sector=True)
    for d in range(3):
        xr.testing.assert_allclose(mc.emissions.isel(draw=d, drop=True), ds.emissions.drop_vars(
            [c for c in ds.emissions.coords if c not in ("scenario", "year")]), rtol=1e-12)
    by = mc.emissions_by_sector.isel(draw=0, drop=True)
    np.testing.assert_allclose(by.transpose("scenario", "year", "sector").values,
                               ds.emissions_by_sector.transpose("scenario", "year", "sector").values, rtol=1e-12)
    # exactly activity x intensity x factor
    _, share = chongqing
    exact = (ds.gdp * ds.carbon_intensity * share).transpose("scenario", "sector", "year").values
    assert np.array_equal(by.transpose("scenario", "sector", "year").values, exact)


def test_chongqing_monte_carlo(chongqing):
    from fastcarbon.studies.chongqing import chongqing_monte_carlo

    mc = chongqing_monte_carlo(1000, seed=3)
    total = mc.probability.sum("peak_year") + mc.censored_share
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)
    assert (mc.p5 <= mc.p50).all() and (mc.p50 <= mc.p95).all()
    p = mc.prob_peak_by_target
    assert p.sel(scenario="RS") < p.sel(scenario="PP-NZES") < p.sel(scenario="AP-NZES")
    # the peak probability by year is a CDF ending at 1 - censored share
    pp = mc.peak_probability
    assert (pp.diff("year") >= 0).all()
    np.testing.assert_allclose(pp.isel(year=-1), 1.0 - mc.censored_share)
    np.testing.assert_allclose(p, pp.sel(year=2030, drop=True))
    assert mc.p50.attrs["units"] == "Mt CO2"
    # same seed, same result
    xr.testing.assert_identical(mc, chongqing_monte_carlo(1000, seed=3))


def test_summaries_by_hand():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(0, 1, (500, 2, 12)), axis=-1)
    da = xr.DataArray(x, dims=("draw", "scenario", "year"), coords={"year": np.arange(2020, 2032)})
    py = np.full((500, 2), np.nan)
    for d in range(500):
        for b in range(2):
            k = int(np.argmax(x[d, b]))
            if x[d, b, -1] < x[d, b, k]:
                py[d, b] = 2020 + k
    dist = uncertainty.peak_year_distribution(da)
    for k, year in enumerate(range(2020, 2032)):
        np.testing.assert_allclose(dist.probability.sel(peak_year=year), (py == year).mean(0))
        np.testing.assert_allclose(uncertainty.peak_probability(da).sel(year=year), (py <= year).mean(0))
    np.testing.assert_allclose(dist.censored_share, np.isnan(py).mean(0))
    np.testing.assert_allclose(uncertainty.prob_below(da, 0.5, 2025), (x[:, :, 5] <= 0.5).mean(0))
    np.testing.assert_allclose(uncertainty.quantile_bands(da).p95, np.quantile(x, 0.95, axis=0))


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(spread=-0.1), InvalidValueError, "spread.*>= 0"),
    (dict(spread=[0.1, float("nan")]), InvalidValueError, "sector position 1"),
    (dict(distribution="gamma"), UnknownLabelError, "unknown distribution 'gamma'"),
    (dict(on="growth"), UnknownLabelError, "Noise.on"),
    (dict(ar1=1.5), InvalidValueError, r"ar1.*\[-1, 1\]"),
    (dict(sector_correlation=[[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]]), InvalidValueError,
     "not positive semi-definite"),
    (dict(sector_correlation=[[1.0, 0.5], [0.4, 1.0]]), InvalidValueError, "symmetric"),
    (dict(sector_correlation=[[2.0, 0.5], [0.5, 1.0]]), InvalidValueError, "diagonal"),
    (dict(sector_correlation=1.2), InvalidValueError, r"\[-1, 1\]"),
    (dict(spread="wide"), InputTypeError, "spread"),
])
def test_bad_noise(kwargs, error, match):
    with pytest.raises(error, match=match):
        Noise(**kwargs)


@pytest.mark.parametrize("seed, error", [(1.5, InputTypeError), (1.0, InputTypeError), (True, InputTypeError),
                                         ("1", InputTypeError), (None, InputTypeError), (-1, InvalidValueError),
                                         (2**64, InvalidValueError)])
def test_bad_seed(seed, error):
    with pytest.raises(error, match="seed"):
        monte_carlo(np.ones(3), np.ones(3), n_draws=2, seed=seed)
    with pytest.raises(error, match="seed"):
        uncertainty.monte_carlo(None, 2, seed=seed, activity=xr.DataArray(np.ones(3), dims="year"),
                                intensity=xr.DataArray(np.ones(3), dims="year"))


def test_bad_trajectories_and_sizes():
    ones = np.ones((2, 4))
    with pytest.raises(InvalidValueError, match=r"intensity: bad value -1.0 at index \(1, 2\);"):
        bad = ones.copy()
        bad[1, 2] = -1.0
        monte_carlo(ones, bad, n_draws=2, seed=1, intensity_noise=Noise(on="rate"))
    with pytest.raises(InvalidValueError, match="rises from 0"):
        monte_carlo(ones, np.array([[1.0, 0.0, 0.5, 0.2]]), n_draws=2, seed=1, intensity_noise=Noise(on="rate"))
    with pytest.raises(InvalidValueError, match="nan"):
        monte_carlo(ones, np.array([1.0, np.nan, 1.0, 1.0]), n_draws=2, seed=1)
    with pytest.raises(InputError, match="one value per sector needs 2"):
        monte_carlo(ones, ones, n_draws=2, seed=1, intensity_noise=Noise(spread=[0.1, 0.2, 0.3]))
    with pytest.raises(InputError, match=r"must be \(2, 2\)"):
        monte_carlo(ones, ones, n_draws=2, seed=1, intensity_noise=Noise(sector_correlation=np.eye(3)))
    with pytest.raises(InputError, match="do not broadcast"):
        monte_carlo(ones, np.ones((3, 4)), n_draws=2, seed=1)
    with pytest.raises(InvalidValueError, match="n_draws"):
        monte_carlo(ones, ones, n_draws=0, seed=1)
    with pytest.raises(InputTypeError, match="intensity_noise"):
        monte_carlo(ones, ones, n_draws=1, seed=1, intensity_noise={"spread": 0.1})
    with pytest.raises(InputTypeError, match="intensity"):
        monte_carlo(ones, ones.astype(str), n_draws=1, seed=1)


def test_labelled_bad_input(chongqing):
    ds, share = chongqing
    with pytest.raises(InputError, match="no variable 'nope'"):
        uncertainty.monte_carlo(ds, 2, seed=1, intensity="nope")
    with pytest.raises(MissingDimensionError, match="year dim 'year'"):
        uncertainty.monte_carlo(ds.isel(year=0, drop=True), 2, seed=1)
    with pytest.raises(InputTypeError, match="chunks"):
        uncertainty.monte_carlo(ds, 2, seed=1, chunks=0)
