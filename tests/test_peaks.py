"""Peak analysis: kernels and numpy API against the references, conventions, labels, dask, threads."""

from __future__ import annotations


import numba
import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastcarbon.core import peaks as core_peaks
from fastcarbon.core.peaks import NaNTrajectoryError, PeakResult, peak as core_peak
from fastcarbon.errors import (
    InputError,
    InputTypeError,
    InvalidValueError,
    MissingDimensionError,
)
from fastcarbon.peaks import peak
from fastcarbon.reference.peaks import REGISTRY, peak_loops, peak_numpy

FIELDS = PeakResult._fields
FLOAT_FIELDS = ("peak_year", "peak_value", "net_zero_year", "cumulative_emissions")


@st.composite
def trajectories(draw, allow_nan=True):
    """(emissions (..., T), years (T,), threshold, target) with many ties and some NaN.

    Values come from a small set so ties, plateaus and values equal to the threshold are common.
    """
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=6))
    n_t = draw(st.integers(1, 12))
    pool = [-2.0, -0.5, 0.0, 0.5, 1.0, 1.0, 2.0, 3.0, 3.0, 7.25]
    values = st.sampled_from(pool + [np.nan] if allow_nan else pool)
    x = draw(hnp.arrays(np.float64, batch + (n_t,), elements=values))
    steps = draw(st.lists(st.integers(1, 5), min_size=n_t, max_size=n_t))
    years = 2018 + np.cumsum(steps)
    threshold = draw(st.sampled_from([0.0, 0.5, -1.0]))
    target = draw(st.one_of(st.none(), st.integers(2015, 2060)))
    return x, years, threshold, target


def assert_result_equal(got: PeakResult, ref: dict, exact_sum: bool):
    for name in FIELDS:
        g, r = getattr(got, name), ref[name]
        if r is None:
            assert g is None, name
            continue
        assert g.shape == r.shape and g.dtype == r.dtype, (name, g.shape, r.shape, g.dtype, r.dtype)
        if name == "cumulative_emissions" and not exact_sum:
            np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(g, r, err_msg=name)


@pytest.mark.parametrize("parallel", [False, True])
@given(case=trajectories())
def test_matches_loop_reference_bit_for_bit(case, parallel):
    x, years, threshold, target = case
    got = core_peak(x, years, threshold=threshold, target=target, parallel=parallel)
    assert_result_equal(got, peak_loops(x, years, threshold, target), exact_sum=True)


@given(case=trajectories())
def test_matches_numpy_argmax_reference(case):
    x, years, threshold, target = case
    got = core_peak(x, years, threshold=threshold, target=target)
    assert_result_equal(got, peak_numpy(x, years, threshold, target), exact_sum=False)


@given(case=trajectories(allow_nan=False))
def test_peak_value_is_max_and_peak_year_is_first_argmax(case):
    """Directly against np.max / np.argmax: the reported year is the first occurrence."""
    x, years, _, _ = case
    got = core_peak(x, years)
    np.testing.assert_array_equal(got.peak_value, x.max(axis=-1))
    k = np.argmax(x, axis=-1)
    np.testing.assert_array_equal(got.peak_year, np.where(got.peaked, years[k], np.nan))
    np.testing.assert_array_equal(got.peaked, x[..., -1] < x.max(axis=-1))


def test_registry_lists_the_references():
    assert set(REGISTRY["peaks"]) == {"loops", "numpy"}


YEARS = [2020, 2025, 2030, 2035, 2040]


@pytest.mark.parametrize(
    "series, year, peaked",
    [
        ([1, 3, 2, 2, 1], 2025, True),
        ([1, 3, 3, 2, 1], 2025, True),  # tie: first occurrence
        ([3, 1, 3, 2, 0], 2020, True),  # tie, separated
        ([5, 4, 3, 2, 1], 2020, True),  # falling from the start: peaked in the first year
        ([1, 2, 3, 4, 5], None, False),  # still rising: censored
        ([1, 2, 3, 3, 3], None, False),  # plateau to the horizon end: censored
        ([3, 1, 2, 1, 3], None, False),  # back at the maximum in the last year: censored
        ([2, 2, 2, 2, 2], None, False),  # constant: censored
    ],
)
def test_peak_conventions(series, year, peaked):
    r = core_peak(np.array(series, dtype=float), YEARS, target=2025)
    assert bool(r.peaked) is peaked
    assert float(r.peak_value) == max(series)
    if peaked:
        assert float(r.peak_year) == year
        assert bool(r.peaked_by) is (year <= 2025)
    else:
        assert np.isnan(r.peak_year) and not r.peaked_by


def test_single_year_is_censored():
    r = core_peak([[4.0], [np.nan]], [2020])
    assert not r.peaked.any() and np.isnan(r.peak_year).all()
    assert r.peak_value[0] == 4.0 and r.cumulative_emissions[0] == 4.0


def test_peaked_by_includes_the_target_year():
    x = np.array([1.0, 3.0, 2.0, 1.0, 0.0])
    assert core_peak(x, YEARS, target=2025).peaked_by
    assert not core_peak(x, YEARS, target=2024).peaked_by
    assert core_peak(x, YEARS).peaked_by is None


def test_net_zero_first_year_at_or_below_threshold():
    x = np.array([[4.0, 2.0, 0.0, -1.0, 0.5], [4.0, 3.0, 2.0, 1.0, 0.5], [4.0, -0.1, 1.0, 1.0, 1.0]])
    r = core_peak(x, YEARS)
    np.testing.assert_array_equal(r.net_zero_year, [2030.0, np.nan, 2025.0])
    np.testing.assert_array_equal(r.net_zero, [True, False, True])
    r = core_peak(x, YEARS, threshold=0.5)  # equality counts
    np.testing.assert_array_equal(r.net_zero_year, [2030.0, 2040.0, 2025.0])


def test_cumulative_is_the_plain_sum_over_years():
    x = np.array([1.5, 2.0, 4.0, -0.5, 3.0])
    assert core_peak(x, YEARS).cumulative_emissions == 10.0  # not a trapezoid (that gives 40.0)


def test_nan_series_propagate():
    x = np.array([[1.0, 3.0, np.nan, 1.0, -1.0], [1.0, 3.0, 2.0, 1.0, -1.0]])
    r = core_peak(x, YEARS, target=2030)
    for name in FLOAT_FIELDS:
        assert np.isnan(getattr(r, name)[0]) and not np.isnan(getattr(r, name)[1]), name
    for name in ("peaked", "peaked_by", "net_zero"):
        np.testing.assert_array_equal(getattr(r, name), [False, True], err_msg=name)


def test_nan_policy_raise_gives_index_in_the_input():
    x = np.zeros((5, 2, 3))  # year axis first
    x[3, 1, 2] = np.nan
    x[4, 0, 0] = np.nan
    with pytest.raises(NaNTrajectoryError, match=r"index \(3, 1, 2\)") as info:
        core_peak(x, YEARS, axis=0, nan_policy="raise")
    assert info.value.index == (3, 1, 2) and isinstance(info.value, ValueError)
    core_peak(np.ones((5, 2)), YEARS, axis=0, nan_policy="raise")  # no NaN: no error


@pytest.mark.parametrize("nan_policy", ["propagate", "raise"])
def test_inf_minus_inf_is_an_infinity_not_a_nan(nan_policy):
    # inf - inf sums to NaN; it is reported as the infinity it is, whatever the NaN policy
    with pytest.raises(core_peaks.InfiniteTrajectoryError) as info:
        core_peak([np.inf, -np.inf, 0.0], [1, 2, 3], nan_policy=nan_policy)
    assert info.value.index == (0,) and info.value.value == np.inf
    assert not isinstance(info.value, core_peaks.NaNTrajectoryError)


@pytest.mark.parametrize("axis", [0, 1, -1, -3])
def test_axis_is_the_year_axis(axis):
    x = np.random.default_rng(1).random((3, 4, 5))
    x = np.moveaxis(x, -1, axis)  # years of length 5 along `axis`
    got = core_peak(x, YEARS, axis=axis, target=2030)
    ref = peak_loops(np.moveaxis(x, axis, -1), YEARS, 0.0, 2030)
    assert_result_equal(got, ref, exact_sum=True)


def test_integer_and_float32_input():
    xi = np.array([[1, 5, 2, 0, 0]])
    assert core_peak(xi, YEARS).peak_year[0] == 2025
    xf = np.array([[0.1, 0.7, 0.2, 0.3, 0.05]], dtype=np.float32)
    np.testing.assert_array_equal(core_peak(xf, YEARS).peak_value, xf.astype(np.float64).max())


@pytest.mark.parametrize(
    "years, err, msg",
    [
        ([2020, 2025, 2025, 2035, 2040], InvalidValueError, "strictly increasing; 2025 is repeated"),
        ([2040, 2035, 2030, 2025, 2020], InvalidValueError, "strictly increasing"),
        ([2020, 2025, np.nan, 2035, 2040], InvalidValueError, "finite.*position 2"),
        ([2020, 2025, 2030], InputError, r"one year per step \(5\), got shape \(3,\)"),
        (np.array(["a", "b", "c", "d", "e"]), InputTypeError, "numeric years, got .a., .b., .c., ..."),
        (np.array([True] * 5), InputTypeError, "numeric years, got True"),
        (np.arange("2020", "2025", dtype="datetime64[Y]"), InputTypeError, r"\.dt\.year"),
    ],
)
def test_bad_years(years, err, msg):
    with pytest.raises(err, match=msg):
        core_peak(np.ones(5), years)


@pytest.mark.parametrize(
    "kwargs, err, msg",
    [
        ({"threshold": np.nan}, InvalidValueError, "threshold: must be finite"),
        ({"threshold": "0"}, InputTypeError, "threshold: must be a real number"),
        ({"target": np.inf}, InvalidValueError, "target: must be finite"),
        ({"nan_policy": "omit"}, InputError, "nan_policy must be 'propagate' or 'raise'"),
        ({"axis": 2}, InputError, "axis 2 is out of range"),
    ],
)
def test_bad_arguments(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        core_peak(np.ones(5), YEARS, **kwargs)


def test_bad_emissions():
    with pytest.raises(InputTypeError, match="dtype <U1"):
        core_peak(np.array(["a"] * 5), YEARS)
    with pytest.raises(InputError, match="empty"):
        core_peak(np.ones((3, 0)), [])
    with pytest.raises(InputError, match="scalar"):
        core_peak(1.0, [2020])


def test_empty_batch():
    r = core_peak(np.ones((0, 5)), YEARS)
    assert r.peak_year.shape == (0,) and r.peaked.dtype == bool


def test_parallel_driver_same_bits_for_one_and_two_threads():
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=(20_000, 41)), 1)  # rounding makes ties common
    x[::97, 5] = np.nan
    years = np.arange(2020, 2061)
    serial = core_peak(x, years, target=2030, parallel=False)
    before = numba.get_num_threads()
    runs = {}
    try:
        for n in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(n)
            runs[n] = core_peak(x, years, target=2030, parallel=True)
    finally:
        numba.set_num_threads(before)
    for got in runs.values():
        for name in FIELDS:
            a, b = getattr(got, name), getattr(serial, name)
            assert a.tobytes() == b.tobytes(), name  # bit for bit, NaN payloads included


# --- labelled API -------------------------------------------------------------------------------


def labelled(seed=0, shape=(3, 2, 41), chunks=None):
    rng = np.random.default_rng(seed)
    x = 100 + np.cumsum(rng.normal(size=shape), axis=-1)  # random walks: peaks anywhere
    x[0, 1, 7] = np.nan
    da = xr.DataArray(
        x,
        dims=("region", "scenario", "year"),
        coords={"region": ["cq", "sh", "bj"][: shape[0]], "scenario": ["RS", "AP"][: shape[1]],
                "year": np.arange(2020, 2020 + shape[-1]), "label": ("region", ["a", "b", "c"][: shape[0]])},
        attrs={"units": "Mt CO2", "long_name": "industrial CO2 emissions"},
        name="emissions",
    )
    return da if chunks is None else da.chunk(chunks)


def test_labelled_matches_numpy_api_and_passes_dims_through():
    da = labelled().transpose("region", "year", "scenario")  # year not last
    out = peak(da, threshold=95.0, target=2030)
    assert list(out.dims) == ["region", "scenario"]
    assert out.peak_year.dims == ("region", "scenario")
    assert list(out.label.values) == ["a", "b", "c"] and "year" not in out.coords
    ref = core_peak(da.values, da.year.values, axis=1, threshold=95.0, target=2030)
    for name in FIELDS:
        np.testing.assert_array_equal(out[name].values, getattr(ref, name), err_msg=name)


def test_labelled_attrs():
    out = peak(labelled(), target=2030)
    for name, var in out.data_vars.items():
        assert var.attrs["units"] and var.attrs["long_name"], name
    assert out.peak_value.attrs["units"] == out.cumulative_emissions.attrs["units"] == "Mt CO2"
    assert out.peaked.attrs["units"] == "1"
    assert out.cumulative_emissions.attrs["cell_methods"] == "year: sum"
    assert "2020-2060" in out.peak_year.attrs["long_name"]
    assert "peaked_by" not in peak(labelled())


@pytest.mark.parametrize("chunks", [{"region": 1}, {"region": 2, "scenario": 1}, {"year": 10}])
def test_dask_chunked_identical_to_eager(chunks):
    eager = peak(labelled(), threshold=99.0, target=2040)
    lazy = peak(labelled(chunks=chunks), threshold=99.0, target=2040)
    assert lazy.peak_year.chunks is not None  # stays lazy
    xr.testing.assert_identical(lazy.compute(), eager)


def test_labelled_nan_raise_names_labels():
    with pytest.raises(NaNTrajectoryError, match=r"region='cq', scenario='AP', year=2027"):
        peak(labelled(), nan_policy="raise")


def nan_in_a_later_block(order=("region", "draw", "year")):
    """4 regions (labelled) x 6 draws (no coordinate) x 41 years, one NaN at region 'bj',
    draw[4], 2027: in the second block of both batch dims for the chunkings below."""
    x = 100 + np.cumsum(np.random.default_rng(1).normal(size=(4, 6, 41)), axis=-1)
    x[2, 4, 7] = np.nan
    da = xr.DataArray(x, dims=("region", "draw", "year"),
                      coords={"region": ["cq", "sh", "bj", "gz"], "year": np.arange(2020, 2061)})
    return da.transpose(*order)


@pytest.mark.parametrize(
    "order, chunks",
    [
        (("region", "draw", "year"), {"region": 2, "draw": 3}),
        (("region", "draw", "year"), {"region": 1, "draw": 2, "year": 10}),  # year rechunked whole
        (("draw", "year", "region"), {"region": 2, "draw": 4}),  # year not last
    ],
)
def test_dask_nan_raise_names_global_labels(order, chunks):
    da = nan_in_a_later_block(order)
    with pytest.raises(NaNTrajectoryError) as eager:
        peak(da, nan_policy="raise")
    lazy = peak(da.chunk(chunks), nan_policy="raise")  # lazy: nothing raised yet
    with pytest.raises(NaNTrajectoryError) as info:
        lazy.compute()
    where = "draw[4], region='bj', year=2027" if order[0] == "draw" else "region='bj', draw[4], year=2027"
    assert f"NaN at {where};" in str(info.value)
    assert str(info.value) == str(eager.value)
    assert info.value.index == eager.value.index  # the position in the whole array, not the block


def test_labelled_bad_input():
    da = labelled()
    with pytest.raises(MissingDimensionError, match="'time'"):
        peak(da, dim="time")
    with pytest.raises(InputError, match="no coordinate"):
        peak(da.drop_vars("year"))
    with pytest.raises(InvalidValueError, match=r"emissions: the 'year' coordinate must be strictly increasing; 2060 is followed by 2059. Sort with \.sortby\('year'\)"):
        peak(da.isel(year=slice(None, None, -1)))
    with pytest.raises(InputTypeError, match=r"\.dt\.year"):
        peak(da.assign_coords(year=np.arange("2020", "2061", dtype="datetime64[Y]")))
    with pytest.raises(InputTypeError, match="DataArray"):
        peak(da.values)

