"""out= buffers of the numpy API: bit-identical to the allocating call, no output-sized allocation,
and clear errors naming the buffer that is wrong."""

from __future__ import annotations

import gc
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastcarbon import core
from fastcarbon.core import _common, grey
from fastcarbon.errors import InputError, InputTypeError


def _same(a, b) -> bool:
    """Field-for-field equality, NaN equal to NaN and None to None (bit-identical for floats)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    if isinstance(a, int):
        return a == b
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def _fresh_like(result):
    """A result-shaped set of the caller's own arrays (zeros), not a previous result's views."""
    if isinstance(result, np.ndarray):
        return np.zeros(result.shape, result.dtype)
    fields = [v if v is None or isinstance(v, int) else np.zeros(v.shape, v.dtype) for v in result]
    return tuple(fields) if type(result) is tuple else type(result)(*fields)


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    p = rng.random((3, 4, 5, 6))
    e = rng.random((3, 4, 5, 6, 7))
    f = rng.random((3, 4, 5, 6, 7))
    x = 100.0 * np.exp(0.03 * np.arange(12)) * (1 + 0.05 * rng.random((2, 5, 12)))
    x[0, 1, :2] = np.nan  # a ragged series
    return p, e, f, x


def _cases():
    p, e, f, x = _inputs()
    fs = np.random.default_rng(1).random((2, 1, 4, 7))  # a factor with batch dims of its own
    fit = grey.fit_egm(x, horizon=3)
    lin = grey.fit_linear(x, horizon=3)
    em = np.random.default_rng(2).random((3, 4, 9))
    years = np.arange(2020, 2029)
    ind = np.random.default_rng(3).random((4, 6, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ew = core.entropy_weights(ind)
    draws = np.random.default_rng(4).random((2, 300, 9))
    gdp, ci = np.array([100.0, 106.0, 112.36]), np.array([[2.0, 1.9, 1.8], [1.0, 0.95, 0.9]])
    noise = core.Noise("lognormal", 0.2)
    return {
        "bottom_up": lambda **kw: core.bottom_up(p, e, f, **kw),
        "bottom_up_sector_fuel": lambda **kw: core.bottom_up(p, e, fs, factor_layout="sector_fuel", **kw),
        "bottom_up_fuel": lambda **kw: core.bottom_up(p, e, f[0, 0, 0, 0], factor_layout="fuel", **kw),
        "sector_fuel_totals": lambda **kw: core.sector_fuel_totals(e[..., 0, 0, :], **kw),
        "fit_egm": lambda **kw: grey.fit_egm(x, horizon=3, errors="ignore", **kw),
        "fit_egm_shift": lambda **kw: grey.fit_egm(x, horizon=2, shift=3.5, errors="ignore", **kw),
        "fit_egm_1d": lambda **kw: grey.fit_egm(x[1, 0], horizon=2, **kw),
        "fit_linear": lambda **kw: grey.fit_linear(x, horizon=3, errors="ignore", **kw),
        "forecast_egm": lambda **kw: grey.forecast_egm(fit.params, np.nan_to_num(x[..., 2]), 12, 4, first=fit.first,
                                                       **kw),
        "forecast_linear": lambda **kw: grey.forecast_linear(lin.params, 12, 4, first=lin.first, shift=1.0, **kw),
        "peak": lambda **kw: core.peak(em, years, **kw),
        "peak_target": lambda **kw: core.peak(em, years, target=2025, **kw),
        "peak_axis0": lambda **kw: core.peak(np.moveaxis(em, -1, 0), years, axis=0, **kw),
        "entropy_weights": lambda **kw: core.entropy_weights(ind, **kw),
        "obstacle_degree": lambda **kw: core.obstacle_degree(ew.standardized, ew.weight, **kw),
        "monte_carlo": lambda **kw: core.monte_carlo(gdp, ci, n_draws=40, seed=1, intensity_noise=noise, **kw),
        "monte_carlo_by_sector": lambda **kw: core.monte_carlo(gdp, ci, n_draws=40, seed=1, intensity_noise=noise,
                                                               by_sector=True, **kw),
        "quantile": lambda **kw: core.quantile(draws, [0.1, 0.5], axis=1, **kw),
        "summarize_draws": lambda **kw: core.summarize_draws(draws, years, axis=1, **kw),
        "summarize_draws_target": lambda **kw: core.summarize_draws(draws, years, axis=1, target=0.5,
                                                                    target_year=2025, **kw),
    }


CASES = _cases()


@pytest.fixture(params=["separate", "carved"])
def allocation(request, monkeypatch):
    """Fresh outputs as separate arrays (these small cases' default) or carved from one block, as
    calls of CARVE_FROM bytes or more get them (`empty_arrays`): forced here by a threshold of 0."""
    if request.param == "carved":
        monkeypatch.setattr(_common, "CARVE_FROM", 0)
    return request.param


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("parallel", [False, True])
def test_out_is_bit_identical_and_returned(name, parallel, allocation):
    call = CASES[name]
    kw = {} if name.startswith("forecast") else {"parallel": parallel}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = call(**kw)
        # 1. an earlier result as out= (the documented loop idiom): filled in place, same object back
        previous = call(**kw)
        if name == "bottom_up_sector_fuel":  # energy is a read-only broadcast there (documented)
            previous = (previous[0].copy(), previous[1])
        for arr in (previous if isinstance(previous, tuple) else (previous,)):
            if isinstance(arr, np.ndarray) and arr.flags.writeable:
                arr[...] = 0
        got = call(out=previous, **kw)
        assert got is previous
        assert _same(got, ref)
        # 2. the caller's own zeroed arrays
        own = _fresh_like(ref)
        got = call(out=own, **kw)
        assert _same(got, ref)
        fields = got if isinstance(got, tuple) else (got,)
        mine = own if isinstance(own, tuple) else (own,)
        for a, b in zip(fields, mine):
            if isinstance(a, np.ndarray):
                assert a is b or np.shares_memory(a, b)


def test_out_as_a_plain_tuple():
    p, e, f, x = _inputs()
    fit = grey.fit_egm(x, horizon=2)
    got = grey.fit_egm(x, horizon=2, out=tuple(np.zeros_like(v) for v in fit))
    assert isinstance(got, grey.GreyFit) and _same(got, fit)
    ref = core.bottom_up(p, e, f)
    got = core.bottom_up(p, e, f, out=tuple(np.empty_like(v) for v in ref))
    assert _same(got, ref)


def test_a_time_stepping_loop_reuses_the_buffers():
    p, e, f, x = _inputs()
    fit = grey.fit_egm(x, horizon=3)
    energy = core.bottom_up(p, e, f)
    ids = [id(a) for a in fit] + [id(a) for a in energy]
    for step in range(5):
        scale = 1.0 + 0.01 * step
        fit = grey.fit_egm(x * scale, horizon=3, out=fit)
        energy = core.bottom_up(p * scale, e, f, out=energy)
        ref_fit, ref_e = grey.fit_egm(x * scale, horizon=3), core.bottom_up(p * scale, e, f)
        assert _same(fit, ref_fit) and _same(energy, ref_e)
    assert [id(a) for a in fit] + [id(a) for a in energy] == ids


def _traced_peak(fn) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_no_output_sized_allocation_with_out():
    # numpy reports its buffers to tracemalloc: with out= the call allocates only small scratch
    x = 100.0 * np.exp(0.03 * np.arange(20)) * (1 + 0.05 * np.random.default_rng(0).random((20_000, 20)))
    fit = grey.fit_egm(x, horizon=8)
    out_bytes = sum(a.nbytes for a in fit)
    grey.fit_egm(x, horizon=8, out=fit)  # compiled, warm
    fresh = _traced_peak(lambda: grey.fit_egm(x, horizon=8))
    reused = _traced_peak(lambda: grey.fit_egm(x, horizon=8, out=fit))
    assert fresh >= 0.9 * out_bytes
    assert reused < 0.1 * out_bytes

    p, e, f, _ = _inputs()
    p, e, f = (np.concatenate([a] * 60) for a in (p, e, f))  # 180 batch rows
    res = core.bottom_up(p, e, f)
    out_bytes = sum(a.nbytes for a in res)
    reused = _traced_peak(lambda: core.bottom_up(p, e, f, out=res))
    # scratch: the bad-value report (B, M, 2) int64 and three row indices (B,) int64
    assert reused < out_bytes


@settings(max_examples=30, deadline=None)
@given(batch=st.lists(st.integers(1, 3), min_size=0, max_size=2), n=st.integers(4, 9),
       horizon=st.integers(0, 3), shift=st.sampled_from([0.0, 2.0]), seed=st.integers(0, 2**16))
def test_grey_out_property(batch, n, horizon, shift, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(1.0, 3.0, tuple(batch) + (n,)) * np.exp(0.05 * np.arange(n))
    if x.ndim > 1 and rng.random() < 0.5:
        x.reshape(-1, n)[0, 0] = np.nan  # ragged
    ref = grey.fit_egm(x, horizon=horizon, shift=shift, errors="ignore")
    other = grey.fit_egm(rng.uniform(1.0, 3.0, x.shape), horizon=horizon, errors="ignore")
    assert _same(grey.fit_egm(x, horizon=horizon, shift=shift, errors="ignore", out=other), ref)


@settings(max_examples=30, deadline=None)
@given(m=st.integers(1, 3), i=st.integers(1, 3), j=st.integers(1, 3), n=st.integers(1, 9),
       b=st.integers(1, 3), layout=st.sampled_from(["full", "sector_fuel"]), seed=st.integers(0, 2**16))
def test_bottom_up_out_property(m, i, j, n, b, layout, seed):
    rng = np.random.default_rng(seed)
    p, e = rng.random((b, m, i, j)), rng.random((b, m, i, j, n))
    f = rng.random((b, m, i, j, n)) if layout == "full" else rng.normal(size=(m, n))
    ref = core.bottom_up(p, e, f, factor_layout=layout)
    out = (np.full(ref[0].shape, np.nan), np.full(ref[1].shape, np.nan))
    assert _same(core.bottom_up(p, e, f, factor_layout=layout, out=out), ref)


# --- bad buffers ----------------------------------------------------------------------------------


def test_bottom_up_bad_out():
    p, e, f, _ = _inputs()
    good = tuple(np.empty((3, 4, 7)) for _ in range(2))
    with pytest.raises(InputTypeError, match=r"out: bottom_up takes a tuple \(energy, emissions\) .* got ndarray"):
        core.bottom_up(p, e, f, out=good[0])
    with pytest.raises(InputTypeError, match=r"got a tuple of 1"):
        core.bottom_up(p, e, f, out=good[:1])
    with pytest.raises(InputError, match=r"out\[1\] \(emissions\): must have shape \(3, 4, 7\), got \(3, 7, 4\)"):
        core.bottom_up(p, e, f, out=(good[0], np.empty((3, 7, 4))))
    with pytest.raises(InputError, match=r"out\[0\] \(energy\): must have dtype float64, got float32"):
        core.bottom_up(p, e, f, out=(good[0].astype(np.float32), good[1]))
    with pytest.raises(InputError, match=r"out\[0\] \(energy\): must be C-contiguous"):
        core.bottom_up(p, e, f, out=(np.empty((3, 7, 4)).transpose(0, 2, 1), good[1]))
    ro = np.empty((3, 4, 7))
    ro.flags.writeable = False
    with pytest.raises(InputError, match=r"out\[1\] \(emissions\): must be writeable"):
        core.bottom_up(p, e, f, out=(good[0], ro))
    with pytest.raises(InputTypeError, match=r"out\[0\] \(energy\): must be a numpy array .* got list"):
        core.bottom_up(p, e, f, out=(good[0].tolist(), good[1]))
    both = np.empty((3, 4, 7))
    with pytest.raises(InputError, match=r"out\[0\] \(energy\) and out\[1\] \(emissions\): share memory"):
        core.bottom_up(p, e, f, out=(both, both))
    f_own = f.copy()
    view = _contiguous_view(f_own)  # written while the kernel reads the factor
    with pytest.raises(InputError, match=r"out\[0\] \(energy\): shares memory with the input factor"):
        core.bottom_up(p, e, f_own, out=(view, good[1]))


def _contiguous_view(arr):
    """A C-contiguous (3, 4, 7) view into ``arr``'s memory."""
    return arr.reshape(-1)[: 3 * 4 * 7].reshape(3, 4, 7)


def test_grey_bad_out():
    _, _, _, x = _inputs()
    fit = grey.fit_egm(x, horizon=3)
    with pytest.raises(InputError, match=r"out\.forecast: must have shape \(2, 5, 2\), got \(2, 5, 3\)"):
        grey.fit_egm(x, horizon=2, out=fit)
    with pytest.raises(InputError, match=r"out\.grade: must have dtype int8, got int64"):
        grey.fit_egm(x, horizon=3, out=fit._replace(grade=fit.grade.astype(np.int64)))
    with pytest.raises(InputError, match=r"out\.fitted: shares memory with the input x"):
        xx = x.copy()
        grey.fit_egm(xx, horizon=3, out=fit._replace(fitted=xx))
    with pytest.raises(InputError, match=r"out\.residual and out\.relative_error: share memory"):
        grey.fit_egm(x, horizon=3, out=fit._replace(relative_error=fit.residual))
    with pytest.raises(InputTypeError, match=r"out: fit_egm / fit_linear takes a tuple \(params, fitted"):
        grey.fit_egm(x, horizon=3, out=tuple(fit)[:5])
    f, flag = grey.forecast_egm(fit.params, x[..., 3], 12, 2, first=fit.first)
    with pytest.raises(InputError, match=r"out\[1\] \(flag\): must have dtype int32, got float64"):
        grey.forecast_egm(fit.params, x[..., 3], 12, 2, first=fit.first, out=(f, f.copy()[..., 0]))
    with pytest.raises(InputError, match=r"out: must have shape \(2, 5, 2\)"):
        grey.forecast_linear(fit.params, 12, 2, out=np.empty((2, 5, 3)))


def test_other_families_bad_out():
    em, years = np.random.default_rng(0).random((3, 4, 9)), np.arange(2020, 2029)
    r = core.peak(em, years)
    with pytest.raises(InputError, match=r"out\.peaked: must have dtype bool, got float64"):
        core.peak(em, years, out=r._replace(peaked=r.peak_year.copy()))
    with pytest.raises(InputError, match=r"out\.peaked_by: is None, but a target is given"):
        core.peak(em, years, target=2025, out=r)
    draws = np.random.default_rng(1).random((50, 2, 9))
    s = core.summarize_draws(draws, years)
    with pytest.raises(InputError, match=r"out\.quantile: must have shape \(2, 2, 9\), got \(3, 2, 9\)"):
        core.summarize_draws(draws, years, quantiles=[0.1, 0.9], out=s)
    with pytest.raises(InputError, match=r"out\.prob_below: is None, but a target is given"):
        core.summarize_draws(draws, years, target=0.5, target_year=2025, out=s)
    gdp, ci = np.array([100.0, 106.0, 112.36]), np.array([[2.0, 1.9, 1.8], [1.0, 0.95, 0.9]])
    mc = core.monte_carlo(gdp, ci, n_draws=5, seed=1)
    with pytest.raises(InputError, match=r"out\.emissions_by_sector: is None, but by_sector=True"):
        core.monte_carlo(gdp, ci, n_draws=5, seed=1, by_sector=True, out=mc)
    with pytest.raises(InputError, match=r"out\.emissions: must have shape \(6, 3\), got \(5, 3\)"):
        core.monte_carlo(gdp, ci, n_draws=6, seed=1, out=mc)
    q = np.random.default_rng(2).random((10, 3))
    with pytest.raises(InputError, match=r"out: shares memory with the input a"):
        core.quantile(q, 0.5, out=q[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ew = core.entropy_weights(q)
    with pytest.raises(InputError, match=r"out\.constant: must have dtype bool"):
        core.entropy_weights(q, out=ew._replace(constant=ew.weight.copy()))
    od = core.obstacle_degree(ew.standardized, ew.weight)
    with pytest.raises(InputError, match=r"out\.rank: must have dtype int64, got int32"):
        core.obstacle_degree(ew.standardized, ew.weight, out=od._replace(rank=od.rank.astype(np.int32)))
    t = core.sector_fuel_totals(q)
    with pytest.raises(InputError, match=r"out\[2\] \(total\): must have shape \(\), got \(1,\)"):
        core.sector_fuel_totals(q, out=(t[0], t[1], np.empty(1)))


_DTYPES = [np.float64, np.int8, np.int32, np.int64, np.bool_, np.uint64]


@settings(max_examples=60, deadline=None)
@given(specs=st.lists(st.tuples(st.lists(st.integers(0, 40), min_size=0, max_size=3), st.sampled_from(_DTYPES)),
                      min_size=1, max_size=9),
       scale=st.sampled_from([1, 2000]))
def test_empty_arrays_are_disjoint_aligned_and_typed_like_np_empty(specs, scale):
    import numba

    specs = [((scale, *shape) if shape else (scale,), dtype) for shape, dtype in specs]
    arrays = _common.empty_arrays(specs)
    nbytes = sum(int(np.prod(s)) * np.dtype(d).itemsize for s, d in specs)
    carved = nbytes >= _common.CARVE_FROM
    assert len(arrays) == len(specs)
    for k, (a, (shape, dtype)) in enumerate(zip(arrays, specs)):
        ref = np.empty(shape, dtype)
        assert a.shape == shape and a.dtype == np.dtype(dtype)
        assert a.flags.c_contiguous and a.flags.writeable and a.flags.aligned
        assert numba.typeof(a) == numba.typeof(ref)  # no second compiled variant of any kernel
        if carved:
            assert a.base is arrays[0].base and a.base.dtype == np.uint8
            assert a.ctypes.data % 64 == 0 or not a.size  # (an empty array's pointer means nothing)
        else:
            assert a.base is None
        a[...] = k % 2 if a.dtype == np.bool_ else k + 1
    for k, a in enumerate(arrays):  # nobody overwrote anybody
        assert (a == (k % 2 if a.dtype == np.bool_ else k + 1)).all()
    sized = [a for a in arrays if a.size]
    for i, a in enumerate(sized):
        for b in sized[i + 1:]:
            assert not np.shares_memory(a, b)


def test_a_large_fit_is_one_block_and_reuses_it_as_out():
    # 5 000 series x 10 points: four (B, n) float64 outputs of 400 kB, carved from one allocation
    x = 100.0 * np.exp(0.03 * np.arange(10)) * (1 + 0.05 * np.random.default_rng(5).random((5_000, 10)))
    fit = grey.fit_egm(x, horizon=4)
    owner = fit.params.base
    assert owner is not None and all(getattr(v, "base", owner) is owner for v in fit if isinstance(v, np.ndarray))
    # the stats columns are recognised as one block (the kernel writes them in place, no copy)
    block = _common.column_block([fit.C, fit.P, fit.mape], 5_000, np.float64)
    assert block is not None and block.shape == (5_000, 3) and np.shares_memory(block, fit.C)
    window = _common.column_block([fit.first, fit.last, fit.n_points], 5_000, np.int32)
    assert window is not None and np.shares_memory(window, fit.n_points)
    ref = grey.fit_egm(x * 1.01, horizon=4)
    got = grey.fit_egm(x * 1.01, horizon=4, out=fit)
    assert got is fit and _same(got, ref)
    # a column block of the wrong width, or columns out of order, is not taken for one
    assert _common.column_block([fit.P, fit.C, fit.mape], 5_000, np.float64) is None
    assert _common.column_block([fit.C, fit.P], 5_000, np.float64) is None


def _block_fresh(columns, n_rows, dtype):
    """column_block's answer without its memo (the data-pointer check)."""
    saved = dict(_common._BLOCK_MEMO)
    _common._BLOCK_MEMO.clear()
    try:
        return _common.column_block(columns, n_rows, dtype)
    finally:
        _common._BLOCK_MEMO.clear()
        _common._BLOCK_MEMO.update(saved)


@settings(max_examples=60, deadline=None)
@given(n_rows=st.integers(1, 7), width=st.integers(2, 4), order=st.permutations(range(3)),
       pooled=st.booleans(), offset=st.integers(0, 1))
def test_column_block_memo_gives_the_checked_answer_on_every_call(n_rows, width, order, pooled, offset):
    # the same column objects again come from the memo; its answer (a block or None) must be the
    # data-pointer check's, whether the columns are a block's (in order, full width, from the start)
    # or not
    if pooled:
        (base,) = _common.empty_arrays([((n_rows + offset, width), np.float64)])
    else:
        base = np.zeros((n_rows + offset, width))
    rows = base[offset:]
    columns = [rows[:, i] for i in order if i < width]
    want = _block_fresh(columns, n_rows, np.float64)
    for _ in range(3):
        got = _common.column_block(columns, n_rows, np.float64)
        assert (got is None) == (want is None)
        if got is not None:
            assert got.shape == want.shape and got.__array_interface__ == want.__array_interface__
            got[...] = np.arange(got.size).reshape(got.shape)  # writing the block writes the columns
            np.testing.assert_array_equal(np.stack(columns, axis=1), got)


def test_column_block_memo_needs_the_same_objects_and_geometry():
    fit = grey.fit_egm(100 * 1.05 ** np.arange(8.0)[None, :] * np.ones((4, 1)), horizon=2)
    cols = [fit.C, fit.P, fit.mape]
    block = _common.column_block(cols, 4, np.float64)
    assert block is not None
    key = (tuple(map(id, cols)), 4, np.float64)
    assert key in _common._BLOCK_MEMO
    # other columns filed under these ids (as after the objects died and the ids were reused): the
    # weak references do not match, so the check runs and finds these are no block
    other = [fit.P, fit.C, fit.mape]
    entry = _common._BLOCK_MEMO[key]
    _common._BLOCK_MEMO[(tuple(map(id, other)), 4, np.float64)] = entry
    assert _common.column_block(other, 4, np.float64) is None
    # the same objects with other recorded geometry: checked again, still the block
    refs, geometry, owner_ref, place = entry
    _common._BLOCK_MEMO[key] = (refs, (((9,), (8,), np.dtype(np.float64)),) * 3 + geometry[3:], owner_ref, place)
    again = _common.column_block(cols, 4, np.float64)
    assert again is not None and np.shares_memory(again, fit.C) and again.shape == (4, 3)
    assert _common._BLOCK_MEMO[key][1] == geometry  # re-recorded from the check
    # the memo holds no strong reference: the fit's memory (one allocation, too small for the
    # block pool) is freed when the caller drops it
    owner = weakref.ref(fit.C.base)
    del fit, cols, block, again, other, entry, refs
    gc.collect()
    assert owner() is None


def _pooled(n_arrays=3, n=40_000):
    return _common.empty_arrays([((n,), np.float64)] * n_arrays)  # 320 kB each: carved


@pytest.mark.skipif(not _common._REFCOUNTS_EXACT, reason="no block pool without exact reference counts")
def test_a_block_is_reused_only_when_nothing_refers_to_it():
    _common._POOL.clear()
    first = _pooled()
    block = first[0].base
    second = _pooled()
    assert second[0].base is not block  # all of `first` alive
    keep = first[2][5:10]  # a view of one array of the first call
    del first
    third = _pooled()
    assert third[0].base is not block and keep.base is block
    keep_id = id(block)
    del keep, block
    fourth = _pooled()
    assert id(fourth[0].base) == keep_id  # now free: reused, not a fresh allocation
    del second, third, fourth
    # a result kept inside a numba typed container (numba holds the array) is not free either
    from numba.typed import List

    held = List()
    fifth = _pooled()
    held.append(fifth[0])
    block5 = id(fifth[0].base)
    del fifth
    sixth = _pooled()
    assert id(sixth[0].base) != block5
    assert held[0].base is not None and id(held[0].base) == block5


@pytest.mark.skipif(not _common._REFCOUNTS_EXACT, reason="no block pool without exact reference counts")
def test_the_pool_stays_within_its_budget():
    _common._POOL.clear()
    kept = []
    for k in range(40):  # blocks of 0.3-12 MB, half of them kept alive
        arrays = _common.empty_arrays([((40_000 * (1 + k % 40),), np.float64)])
        if k % 2:
            kept.append(arrays)
        assert sum(b.size for b in _common._POOL) <= _common.POOL_BYTES + _common.POOL_MAX_BLOCK
    big = _common.empty_arrays([((_common.POOL_MAX_BLOCK // 8 + 1,), np.float64)])
    assert all(big[0].base is not b for b in _common._POOL)  # larger than POOL_MAX_BLOCK: not kept


def test_fits_in_threads_with_pooled_outputs_are_the_serial_results():
    # 4 threads each fit and keep results of 2 000 series (carved, pooled blocks), drop the others,
    # and check every kept one against a fit of the same data afterwards: a block reused while in
    # use would hold another step's or another thread's values
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(9)
    xs = [100.0 * np.exp(0.03 * np.arange(10)) * (1 + 0.05 * rng.random((2_000, 10))) for _ in range(4)]

    def work(k):
        kept = []
        for step in range(30):  # other data each step: an overwrite by any later fit would show
            fit = grey.fit_egm(xs[k] * (1.0 + 0.001 * step), horizon=3)
            if step % 3 == 0:
                kept.append((step, fit))
        return all(np.array_equal(f.forecast, grey.fit_egm(xs[k] * (1.0 + 0.001 * step), horizon=3).forecast)
                   and np.array_equal(f.params, grey.fit_egm(xs[k] * (1.0 + 0.001 * step)).params)
                   for step, f in kept)

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(work, range(4)))
