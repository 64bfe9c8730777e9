"""Random streams keyed by region label (issue 11): stable label keys, independent regions,
the one-factor stream correlation, invariance to adding/removing/reordering regions, shared
noise reproduced bit for bit, reproducibility (threads, draw splits), the reference, bad input.

Correlation estimator used below: the Pearson correlation of the two streams' centred factors,
pooled over draws and over (sector, year) cells that are independent of each other (no AR(1),
no sector correlation, level noise, so ξ is the factor itself): n·K pairs, standard error
about (1 - ρ²)/sqrt(n·K); the tests allow 5 standard errors.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys

import numba
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from fastcarbon import uncertainty
from fastcarbon.core.montecarlo import Noise, combine_keys, label_key, label_keys, monte_carlo
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, MissingDimensionError
from fastcarbon.kernels import montecarlo as kmc
from fastcarbon.kernels import random as rnd
from fastcarbon.reference import montecarlo as ref

DISTS = ["normal", "lognormal", "uniform", "triangular"]


def _inputs(seed=0, n_b=3, n_m=4, n_t=9):
    rng = np.random.default_rng(seed)
    gdp = np.cumprod(1.0 + rng.uniform(0.0, 0.08, (n_b, 1, n_t)), axis=-1) * 100.0
    ci = np.cumprod(1.0 - rng.uniform(0.0, 0.1, (n_b, n_m, n_t)), axis=-1)
    ci[0, 1, n_t - 3:] = 0.0  # a 100 % reduction, then staying at 0
    share = rng.dirichlet(np.ones(n_m))[:, None]
    return gdp, ci, share


def _noises(dist="lognormal"):
    return dict(
        activity_noise=Noise("normal", 0.2, on="rate", ar1=0.8, sector_correlation=1.0),
        intensity_noise=Noise(dist, np.array([0.05, 0.1, 0.2, 0.3]), on="rate", ar1=0.6, sector_correlation=0.4),
        factor_noise=Noise("uniform", 0.1, on="level", ar1=-0.3),
    )


# --- label keys ----------------------------------------------------------------------------------


def test_label_key_is_blake2b_of_the_canonical_form():
    def by_hand(text: bytes) -> int:
        return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")

    assert label_key("Hefei") == by_hand(b"str:Hefei") == 9168252798815633404  # fixed for all time
    assert label_key("合肥") == by_hand("str:合肥".encode())
    assert label_key(3) == by_hand(b"int:3")
    assert label_key(2.5) == by_hand(b"float:2.5")


def test_label_key_is_the_same_for_equal_labels_of_any_type():
    hefei = label_key("Hefei")
    assert hefei == label_key(np.str_("Hefei")) == label_key(np.array(["Hefei"], dtype=object)[0])
    assert hefei == label_key(b"Hefei")
    for idx in (pd.Index(["Hefei", "Bengbu"], dtype=object), pd.CategoricalIndex(["Hefei", "Bengbu"]),
                pd.Index(["Hefei", "Bengbu"], dtype="str"), np.array(["Hefei", "Bengbu"])):
        assert label_keys(idx).tolist() == [hefei, label_key("Bengbu")]
    three = label_key(3)
    assert three == label_key(np.int64(3)) == label_key(np.uint8(3)) == label_key(3.0) == label_key(np.float32(3))
    assert label_keys(pd.Index([3, 4])).tolist() == [three, label_key(4)]
    # a string label is never equal to a number label: other streams
    assert label_key("3") != three
    assert len({label_key(v) for v in ["a", "b", "A", "a ", 0, 1, -1, 0.5, 2**70]}) == 9


def test_label_key_is_stable_across_processes():
    # hash() is salted per process (PYTHONHASHSEED); the key must not be
    code = "from fastcarbon.core.montecarlo import label_key; print(label_key('Hefei'), label_key(7))"
    outs = set()
    for salt in ("1", "2"):
        env = {"PYTHONHASHSEED": salt, "PYTHONPATH": ":".join(sys.path)}
        outs.add(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                check=True).stdout)
    assert outs == {f"{label_key('Hefei')} {label_key(7)}\n"}


@pytest.mark.parametrize("label, error", [(None, InputTypeError), (True, InputTypeError),
                                          (np.bool_(False), InputTypeError), (float("nan"), InvalidValueError),
                                          (float("inf"), InvalidValueError), ((1, 2), InputTypeError)])
def test_bad_labels(label, error):
    with pytest.raises(error, match="label_key"):
        label_key(label)


def test_combine_keys():
    a, b = label_keys(["A", "B"]), label_keys([1, 2])
    assert np.array_equal(combine_keys(a), a)
    both = combine_keys(a[:, None], b[None, :])
    assert both.shape == (2, 2) and len(set(both.ravel().tolist())) == 4
    assert both[1, 0] == combine_keys(a[1:], b[:1])[0]  # elementwise, position-free


# --- the stream's Philox key ------------------------------------------------------------------------


def _philox(ctr, key):
    c = list(ctr)
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + 0x9E3779B9) & 0xFFFFFFFF, (k1 + 0xBB67AE85) & 0xFFFFFFFF
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k0, p1 & 0xFFFFFFFF, (p0 >> 32) ^ c[3] ^ k1, p0 & 0xFFFFFFFF]
    return c


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.integers(0, 2**20))
def test_stream_normal_by_hand(seed, stream, draw, index):
    """The docstring's recipe on Python ints: one Philox call for the key, one for the pair."""
    w = _philox((stream % 2**32, stream >> 32, seed % 2**32, seed >> 32), (0x66617374, 0x73747265))
    key = w[0] + (w[1] << 32)
    assert int(rnd.stream_key(np.uint64(seed), np.uint64(stream))) == key
    j = index // 2
    v = _philox((j % 2**32, j >> 32, draw % 2**32, draw >> 32), (key % 2**32, key >> 32))
    u1 = (((v[0] << 32 | v[1]) >> 12) + 0.5) * 2.0**-52
    u2 = (((v[2] << 32 | v[3]) >> 12) + 0.5) * 2.0**-52
    z = math.sqrt(-2.0 * math.log(u1)) * (math.sin if index % 2 else math.cos)(2.0 * math.pi * u2)
    assert rnd.normal(np.uint64(key), np.uint64(draw), np.uint64(index)) == z
    # the streams' normals: the same pair, fastcarbon's log and sincos (module docstring bound)
    assert abs(rnd.stream_normal(np.uint64(key), np.uint64(draw), np.uint64(index)) - z) <= 4e-15 * max(1.0, abs(z))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.integers(0, 2**40), st.integers(1, 60))
def test_stream_normal_run_equals_stream_normal(key, draw, first, n):
    out = np.empty(2 * n)
    rnd.stream_normal_run(np.uint64(key), np.uint64(draw), np.uint64(first), np.empty(n), np.empty(n), np.empty(n),
                          np.empty(n), out)
    expected = [rnd.stream_normal(np.uint64(key), np.uint64(draw), np.uint64(2 * first + i)) for i in range(2 * n)]
    assert out.tolist() == expected


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-750.0, 750.0), min_size=1, max_size=40))
def test_exp_run_against_libm(values):
    x = np.array(values)
    out = np.empty_like(x)
    rnd.exp_run(x, np.empty(x.size, np.int64), out)
    with np.errstate(over="ignore", invalid="ignore"):  # exp(750) = inf on both sides
        expected = np.exp(x)
        assert np.all((np.abs(out - expected) <= 3e-16 * expected) | (out == expected))


def test_stream_normals_against_libm_and_their_law():
    n_blocks, n_draws = 500, 400
    out, ref_out = np.empty(2 * n_blocks), np.empty(2 * n_blocks)
    scratch = [np.empty(n_blocks) for _ in range(4)]
    z = np.empty((n_draws, 2 * n_blocks))
    worst = 0.0
    for d in range(n_draws):
        rnd.stream_normal_run(np.uint64(2024), np.uint64(d), np.uint64(0), *scratch, out)
        rnd.normal_block_run(np.uint64(2024), np.uint64(d), np.uint64(0), scratch[0], scratch[1], ref_out)
        worst = max(worst, float(np.max(np.abs(out - ref_out) / np.maximum(1.0, np.abs(ref_out)))))
        z[d] = out
    assert worst <= 4e-15
    flat = z.ravel()  # 4e5 normals
    assert stats.kstest(flat, "norm").pvalue > 1e-3
    assert abs(flat.mean()) < 5 / math.sqrt(flat.size) and abs(flat.var() - 1) < 5 * math.sqrt(2 / flat.size)
    assert abs(np.corrcoef(z[:, ::2].ravel(), z[:, 1::2].ravel())[0, 1]) < 5 / math.sqrt(flat.size / 2)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.integers(0, 2**40), st.integers(1, 60))
def test_normal_block_run_equals_normal(key, draw, first, n):
    out = np.empty(2 * n)
    rnd.normal_block_run(np.uint64(key), np.uint64(draw), np.uint64(first), np.empty(n), np.empty(n), out)
    expected = [rnd.normal(np.uint64(key), np.uint64(draw), np.uint64(2 * first + i)) for i in range(2 * n)]
    assert out.tolist() == expected


# --- independence and correlation ------------------------------------------------------------------


def _two_region_factors(dist, n, rho, s=0.3, n_m=4, n_t=6):
    """ξ of two regions with identical inputs (level noise: the emissions are ξ), (n, 2, K)."""
    ones = np.ones((2, n_m, n_t))
    r = monte_carlo(ones, ones, n_draws=n, seed=17, streams=label_keys(["Hefei", "Bengbu"]),
                    stream_correlation=rho, by_sector=True, intensity_noise=Noise(dist, s, on="level"))
    return r.emissions_by_sector.reshape(n, 2, n_m * n_t)


def _pooled_correlation(xi):
    a = xi[:, 0] - xi[:, 0].mean(0)
    b = xi[:, 1] - xi[:, 1].mean(0)
    return float((a * b).sum() / math.sqrt((a * a).sum() * (b * b).sum()))


@pytest.mark.parametrize("dist", DISTS)
def test_identical_regions_draw_independently(dist):
    n = 20_000
    xi = _two_region_factors(dist, n, 0.0)
    assert not np.array_equal(xi[:, 0], xi[:, 1])
    assert (xi[:, 0] != xi[:, 1]).mean() > 0.999
    k = xi.shape[-1]
    assert abs(_pooled_correlation(xi)) < 5 / math.sqrt(n * k)
    # each cell on its own too
    per_cell = [np.corrcoef(xi[:, 0, c], xi[:, 1, c])[0, 1] for c in range(k)]
    assert np.max(np.abs(per_cell)) < 5 / math.sqrt(n)


def _expected_correlation(dist, rho, s):
    if dist == "normal":
        return rho, rho
    if dist == "lognormal":
        c = math.expm1(rho * s * s) / math.expm1(s * s)
        return c, c
    arcsin = 6 / math.pi * math.asin(rho / 2)
    return (arcsin, arcsin) if dist == "uniform" else (arcsin, rho)  # triangular: between the two


@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("rho", [0.3, 0.8])
def test_stream_correlation_gives_the_documented_correlation(dist, rho):
    n, s = 20_000, 0.3
    xi = _two_region_factors(dist, n, rho, s=s)
    lo, hi = _expected_correlation(dist, rho, s)
    se = (1 - lo**2) / math.sqrt(n * xi.shape[-1])
    c = _pooled_correlation(xi)
    assert lo - 5 * se < c < hi + 5 * se
    # the marginals are unchanged: mean 1 and the same spread as without correlation
    ind = _two_region_factors(dist, n, 0.0, s=s)
    np.testing.assert_allclose(xi.std(), ind.std(), rtol=0.03)
    assert abs(xi.mean() - 1.0) < 5 * xi.std() / math.sqrt(n)


def test_stream_correlation_one_is_the_shared_noise_bit_for_bit():
    gdp, ci, share = _inputs(1)
    kw = dict(n_draws=40, seed=5, by_sector=True, **_noises())
    shared = monte_carlo(gdp, ci, share, **kw)
    one = monte_carlo(gdp, ci, share, streams=label_keys(["a", "b", "c"]),
                      stream_correlation=1.0, **kw)
    assert np.array_equal(shared.emissions, one.emissions)
    assert np.array_equal(shared.emissions_by_sector, one.emissions_by_sector)


# --- invariance to the other regions ------------------------------------------------------------


def test_adding_removing_reordering_regions_leaves_a_region_bit_identical():
    gdp, ci, share = _inputs(2, n_b=5)
    keys = label_keys(["Hefei", "Bengbu", "Wuhu", "Anqing", "Huainan"])
    kw = dict(n_draws=60, seed=2**63 + 1, stream_correlation=0.4, by_sector=True, **_noises())
    whole = monte_carlo(gdp, ci, share, streams=keys, **kw)
    for rows in ([2], [4, 0, 2], [1, 3], [3, 2, 1, 0, 4]):
        part = monte_carlo(gdp[rows], ci[rows], share, streams=keys[rows], **kw)
        assert np.array_equal(part.emissions, whole.emissions[:, rows])
        assert np.array_equal(part.emissions_by_sector, whole.emissions_by_sector[:, rows])


def test_scenarios_of_a_region_share_noise():
    gdp, ci, share = _inputs(3, n_b=1)
    both = np.concatenate([ci, ci])  # (2 scenarios, M, T)
    regions = np.stack([both, both])  # (region, scenario, M, T), identical everywhere
    r = monte_carlo(gdp, regions, share, n_draws=30, seed=2, streams=label_keys(["Hefei", "Bengbu"])[:, None],
                    **_noises()).emissions
    assert np.array_equal(r[:, :, 0], r[:, :, 1])  # scenarios of one region: common random numbers
    assert not np.array_equal(r[:, 0], r[:, 1])  # regions: their own streams


def test_labelled_regions_are_keyed_by_label():
    gdp, ci, share = _inputs(4, n_b=3)
    names = ["Hefei", "Bengbu", "Wuhu"]
    years = np.arange(2020, 2029)
    dims = ("scenario", "region", "sector", "year")
    ds = xr.Dataset({"gdp": (dims, np.broadcast_to(gdp, (2, *ci.shape))),
                     "carbon_intensity": (dims, np.stack([ci, 0.9 * ci]))},
                    coords={"scenario": ["RS", "LOW"], "region": names, "year": years})
    kw = dict(seed=3, **_noises())
    whole = uncertainty.monte_carlo(ds, 50, **kw)
    assert whole.attrs["independent"] == "region" and whole.attrs["stream_correlation"] == 0.0
    part = uncertainty.monte_carlo(ds.sel(region=["Wuhu", "Hefei"]), 50, **kw)
    xr.testing.assert_identical(part.emissions, whole.emissions.sel(region=["Wuhu", "Hefei"]))
    # the keys are label_key of the labels: the numpy API with those keys gives the same draws
    core = monte_carlo(np.broadcast_to(gdp, ci.shape)[:, None],
                       ds.carbon_intensity.transpose("region", "scenario", "sector", "year").values,
                       n_draws=50, seed=3, streams=label_keys(names)[:, None], **_noises())
    labelled = whole.emissions.transpose("draw", "region", "scenario", "year").values
    np.testing.assert_array_equal(core.emissions, labelled)
    # scenarios share noise within a region; the numeric dims of a region are its labels too
    shared = uncertainty.monte_carlo(ds, 50, independent=(), **kw)
    assert shared.attrs["independent"] == ""
    assert not np.array_equal(shared.emissions.values, whole.emissions.values)


def test_no_region_dim_and_independent_empty_reproduce_todays_results():
    from fastcarbon.studies.chongqing import chongqing_scenarios

    ds = chongqing_scenarios()
    default = uncertainty.monte_carlo(ds, 64, seed=9)
    shared = uncertainty.monte_carlo(ds, 64, seed=9, independent=())
    xr.testing.assert_identical(default, shared)
    assert default.attrs["independent"] == ""


# The kernel before streams existed (main at cfdcc18), for _inputs(7), 37 draws, seed 2**63 + 11,
# draw_offset 5, the noises of _noises(dist): sum, sum of squares of emissions, sum of
# emissions_by_sector.  This was a sha256 of the outputs' bytes, recorded on one machine; on an
# AVX-512 machine (2026-12-04) both cfdcc18's kernel and today's gave other bytes, the same for
# both: glibc picks its exp/log variant by CPU, and they may differ in the last bit.  Bit identity
# across thread counts and chunkings on one machine is checked below; across machines the
# results agree to rounding, which these sums pin at 1e-12.
GOLDEN = {
    "normal": (91890.4494186599, 8571551.116659801, 91890.44941865989),
    "lognormal": (91822.05541760649, 8559825.310256962, 91822.05541760649),
    "uniform": (91945.36011917621, 8576809.625503805, 91945.3601191762),
    "triangular": (91966.46969230077, 8579713.369419623, 91966.46969230077),
}


@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("parallel", [False, True])
def test_shared_noise_is_the_kernel_before_streams(dist, parallel):
    r = monte_carlo(*_inputs(7), n_draws=37, seed=2**63 + 11, draw_offset=5, by_sector=True, parallel=parallel,
                    **_noises(dist))
    e = r.emissions
    got = (float(e.sum()), float((e * e).sum()), float(r.emissions_by_sector.sum()))
    assert got == pytest.approx(GOLDEN[dist], rel=1e-12, abs=0)


# --- reproducibility and the reference -----------------------------------------------------------


def test_streams_serial_parallel_threads_bit_identical():
    gdp, ci, share = _inputs(5, n_b=6)
    keys = label_keys(["a", "b", "c"])[np.array([0, 1, 2, 0, 1, 2])]  # two scenarios per region
    kw = dict(n_draws=203, seed=11, streams=keys, stream_correlation=0.25, by_sector=True, **_noises())
    serial = monte_carlo(gdp, ci, share, parallel=False, **kw)
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            par = monte_carlo(gdp, ci, share, parallel=True, **kw)
            assert np.array_equal(serial.emissions, par.emissions)
            assert np.array_equal(serial.emissions_by_sector, par.emissions_by_sector)
    finally:
        numba.set_num_threads(before)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=1, max_size=5), st.integers(0, 2**64 - 1000),
       st.sampled_from([0.0, 0.5, 1.0]))
def test_streams_any_split_of_the_draws_reproduces_the_whole(sizes, offset, rho):
    gdp, ci, share = _inputs(6, n_b=2, n_t=5)
    kw = dict(seed=99, streams=label_keys([10, 20]), stream_correlation=rho, **_noises())
    whole = monte_carlo(gdp, ci, share, n_draws=sum(sizes), draw_offset=offset, **kw).emissions
    parts, start = [], offset
    for n in sizes:
        parts.append(monte_carlo(gdp, ci, share, n_draws=n, draw_offset=start, **kw).emissions)
        start += n
    assert np.array_equal(whole, np.concatenate(parts))


@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("rho", [0.0, 0.6, 1.0])
def test_streams_kernel_matches_the_loop_reference(dist, rho):
    gdp, ci, share = _inputs(8, n_b=4)
    keys = label_keys(["x", "y", "x", "z"])  # rows 0 and 2 share a stream
    kw = dict(n_draws=5, seed=23, draw_offset=2**40, streams=keys, stream_correlation=rho, **_noises(dist))
    fast = monte_carlo(gdp, ci, share, **kw).emissions
    slow = ref.monte_carlo_loops(gdp, ci, share, **kw)
    if rho < 1.0:  # streams: the reference writes the kernels' formulas (rate form without division)
        np.testing.assert_array_equal(fast, slow)
    else:  # the shared noise: the textbook recurrence against the kernels' product form, to rounding
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12 * np.abs(slow).max())


def test_stream_factors_equal_perturbation_factors_for_the_shared_key():
    m, t = 3, 5
    args = (np.array([1, 2, 3]), np.full((3, m), 0.2), np.array([0.5, 0.0, -0.4]),
            np.stack([np.linalg.cholesky(np.full((m, m), 0.3) + 0.7 * np.eye(m))] * 3), np.array([True, False, True]),
            np.array([True, True, True]))
    old, new = np.empty((3, m, t)), np.empty((3, t, m))
    kmc.perturbation_factors(np.uint64(9), np.uint64(4), *args, np.empty((m, 6)), old)
    kmc.stream_factors(np.uint64(9), np.uint64(9), 0.0, 1.0, np.uint64(4), False, *args, np.empty(m * 3),
                       np.empty(m * 3), np.empty(m * 3), np.empty(m * 3), np.empty(m * 6), np.empty(m * 6),
                       np.empty(t * m), np.empty(t), np.empty(t * m), np.empty(t * m, np.int64), new)
    assert np.array_equal(old, new.transpose(0, 2, 1))


def test_numpy_baseline_with_streams_has_the_same_distribution():
    gdp, ci, share = _inputs(9, n_b=2)
    keys = label_keys(["p", "q"])
    kw = dict(n_draws=20_000, seed=5, streams=keys, **_noises())
    a = monte_carlo(gdp, ci, share, **kw).emissions
    b = ref.monte_carlo_numpy(gdp, ci, share, **kw)
    se = np.sqrt(a.var(0) / a.shape[0] + b.var(0) / b.shape[0])
    assert (np.abs(a.mean(0) - b.mean(0)) <= 5 * se + 1e-12).all()
    np.testing.assert_allclose(a.std(0), b.std(0), rtol=0.05, atol=1e-12)
    # independent regions in the baseline too
    assert abs(np.corrcoef(b[:, 0, -1], b[:, 1, -1])[0, 1]) < 5 / math.sqrt(20_000)


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("streams, error, match", [
    (np.array([1, 2, 3]), InputTypeError, "streams: must be an unsigned-integer array"),
    (np.array([1.0, 2.0, 3.0]), InputTypeError, "dtype float64"),
    (["a", "b", "c"], InputTypeError, "streams"),
    (np.arange(2, dtype=np.uint64), InputError, r"streams: shape \(2,\) does not broadcast to the batch shape \(3,\)"),
    (np.arange(6, dtype=np.uint64).reshape(2, 3), InputError, "batch shape"),
])
def test_bad_streams(streams, error, match):
    gdp, ci, share = _inputs(0)
    with pytest.raises(error, match=match):
        monte_carlo(gdp, ci, share, n_draws=2, seed=1, streams=streams)


@pytest.mark.parametrize("rho, error", [(-0.1, InvalidValueError), (1.5, InvalidValueError),
                                        (float("nan"), InvalidValueError), ("0.5", InputTypeError),
                                        (True, InputTypeError), (None, InputTypeError)])
def test_bad_stream_correlation(rho, error):
    gdp, ci, share = _inputs(0)
    with pytest.raises(error, match="stream_correlation"):
        monte_carlo(gdp, ci, share, n_draws=2, seed=1, streams=label_keys([1, 2, 3]), stream_correlation=rho)
    with pytest.raises(error, match="stream_correlation"):
        uncertainty.monte_carlo(None, 2, seed=1, activity=xr.DataArray(np.ones(3), dims="year"),
                                intensity=xr.DataArray(np.ones(3), dims="year"), stream_correlation=rho)


def test_bad_independent():
    da = xr.DataArray(np.ones((2, 3)), dims=("region", "year"), coords={"region": ["A", "B"]})
    kw = dict(activity=da, intensity=da, seed=1)
    with pytest.raises(MissingDimensionError, match="independent: no input has the dim 'province'"):
        uncertainty.monte_carlo(None, 2, independent=("province",), **kw)
    one = xr.DataArray(np.ones(3), dims="year")
    with pytest.raises(MissingDimensionError, match="'region'"):  # named explicitly: must exist
        uncertainty.monte_carlo(None, 2, seed=1, activity=one, intensity=one, independent=("region",))
    with pytest.raises(InputTypeError, match="independent: must be a tuple"):
        uncertainty.monte_carlo(None, 2, independent="region", **kw)
    with pytest.raises(InputError, match="'year' is the year dim"):
        uncertainty.monte_carlo(None, 2, independent=("year",), **kw)
    unlabelled = xr.DataArray(np.ones((2, 3)), dims=("region", "year"))
    with pytest.raises(InputError, match="no coordinate labels"):
        uncertainty.monte_carlo(None, 2, seed=1, activity=unlabelled, intensity=unlabelled)


def test_public_shared_noise_kernels_still_agree():
    # monte_carlo_emissions[_parallel] (the pre-streams kernel API) run the stream kernels with one
    # stream keyed by the seed
    gdp, ci, share = _inputs(10)
    n_b, n_m, n_t = ci.shape
    x = np.stack([np.broadcast_to(a, ci.shape) for a in (gdp, ci, share)]).astype(np.float64)
    args = (np.array([0, 1, 2]), np.array([1, 1, 0]), np.full((3, n_m), 0.2), np.array([0.5, 0.5, 0.0]),
            np.zeros((3, n_m, n_m)), np.zeros(3, np.bool_), np.array([True, True, True]))
    a, b = np.empty((33, n_b, n_t)), np.empty((33, n_b, n_t))
    sa, sb = np.empty((33, n_b, n_m, n_t)), np.empty((33, n_b, n_m, n_t))
    kmc.monte_carlo_emissions(x, np.uint64(4), np.uint64(0), *args, a, sa)
    kmc.monte_carlo_emissions_parallel(x, np.uint64(4), np.uint64(0), *args, b, sb)
    assert np.array_equal(a, b) and np.array_equal(sa, sb)
    r = monte_carlo(gdp, ci, share, n_draws=33, seed=4, by_sector=True,
                    activity_noise=Noise("normal", 0.2, on="rate", ar1=0.5),
                    intensity_noise=Noise("lognormal", 0.2, on="rate", ar1=0.5),
                    factor_noise=Noise("uniform", 0.2, on="level"))
    assert np.array_equal(r.emissions, a) and np.array_equal(r.emissions_by_sector, sa)


# --- the streams' rows (division-free rate form, rows of a stream side by side) -------------------


def test_streams_rate_form_is_exact_where_the_factor_is_one():
    # zero spread in some sectors: ξ = 1 there, so the division-free rate form gives x' = x exactly
    gdp, ci, share = _inputs(11, n_b=3)
    spread = np.array([0.0, 0.2, 0.0, 0.3])
    r = monte_carlo(np.ones_like(gdp), ci, np.ones_like(share), n_draws=7, seed=3, by_sector=True,
                    streams=label_keys(["a", "b", "c"]), intensity_noise=Noise("lognormal", spread, on="rate", ar1=0.5))
    by = r.emissions_by_sector
    assert np.array_equal(by[:, :, [0, 2]], np.broadcast_to(ci[:, [0, 2]], (7, 3, 2, ci.shape[-1])))
    assert not np.array_equal(by[:, :, 1], np.broadcast_to(ci[:, 1], (7, 3, ci.shape[-1])))


def test_rows_of_a_stream_side_by_side_equal_each_row_alone():
    n_b = kmc.GROUP_ROWS + 5
    gdp, ci, share = _inputs(12, n_b=n_b)
    # a stream of GROUP_ROWS + 3 rows (two groups of lanes) and one of 2, interleaved
    keys = label_keys(["Wuhu" if b in (2, 7) else "Hefei" for b in range(n_b)])
    kw = dict(n_draws=23, seed=8, by_sector=True, stream_correlation=0.3, **_noises())
    whole = monte_carlo(gdp, ci, share, streams=keys, **kw)
    for b in range(n_b):
        alone = monte_carlo(gdp[b:b + 1], ci[b:b + 1], share, streams=keys[b:b + 1], **kw)
        assert np.array_equal(alone.emissions[:, 0], whole.emissions[:, b])
        assert np.array_equal(alone.emissions_by_sector[:, 0], whole.emissions_by_sector[:, b])
