"""The bottom-up kernels and the numpy layer: exactness, thread counts, embedding, bad input."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastcarbon import core, kernels
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, OverflowResultError
from fastcarbon.reference import REGISTRY, bottom_up_loops

from strategies import tensor_inputs


@given(tensor_inputs(), st.booleans())
def test_matches_loop_reference_bit_for_bit(inputs, parallel):
    # Same summation order as the kernel, so equality is exact, not approximate.
    p, e, f = inputs
    energy, emissions = core.bottom_up(p, e, f, parallel=parallel)
    ref_energy, ref_emissions = bottom_up_loops(p, e, f)
    np.testing.assert_array_equal(energy, ref_energy)
    np.testing.assert_array_equal(emissions, ref_emissions)


# Both kernel passes and their edges (issue 13): 1-32 fuels in registers (one piece; 8 + 1;
# 8 + 8 + 1), above that the streaming pass with a remainder of 1 (33) or none (64 = 16 vectors of 4).
FUEL_COUNTS = st.sampled_from([1, 3, 9, 17, 33, 64])


@settings(max_examples=40, deadline=None)
@given(tensor_inputs(max_side=3, fuels=FUEL_COUNTS), st.booleans())
def test_any_fuel_count_matches_loop_reference_bit_for_bit(inputs, parallel):
    p, e, f = inputs
    energy, emissions = core.bottom_up(p, e, f, parallel=parallel)
    ref_energy, ref_emissions = bottom_up_loops(p, e, f)
    np.testing.assert_array_equal(energy, ref_energy)
    np.testing.assert_array_equal(emissions, ref_emissions)
    energy_only, _ = core.bottom_up(p, e, f[(0,) * (f.ndim - 1)], factor_layout="fuel", parallel=parallel)
    np.testing.assert_array_equal(np.broadcast_to(energy_only, ref_energy.shape), ref_energy)


@settings(max_examples=30, deadline=None)
@given(inputs=tensor_inputs(max_side=3, fuels=FUEL_COUNTS))
def test_any_fuel_count_matches_einsum_reference(inputs):
    p, e, f = inputs
    energy, emissions = core.bottom_up(p, e, f)
    ref_energy, ref_emissions = REGISTRY["bottom_up"]["einsum"](p, e, f)
    np.testing.assert_allclose(energy, ref_energy, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(emissions, ref_emissions, rtol=1e-12, atol=1e-6)


@pytest.mark.parametrize("name", sorted(set(REGISTRY["bottom_up"]) - {"loops"}))
@given(inputs=tensor_inputs())
def test_matches_numpy_references(name, inputs):
    p, e, f = inputs
    energy, emissions = core.bottom_up(p, e, f)
    ref_energy, ref_emissions = REGISTRY["bottom_up"][name](p, e, f)
    np.testing.assert_allclose(energy, ref_energy, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(emissions, ref_emissions, rtol=1e-12, atol=1e-6)


@given(inputs=tensor_inputs(), layout=st.sampled_from(["sector_fuel", "fuel"]))
def test_factor_without_process_and_equipment_equals_full_tensor(inputs, layout):
    p, e, f_full = inputs
    f_small = f_full[..., :, 0, 0, :] if layout == "sector_fuel" else f_full[..., 0, 0, 0, :]
    f_expanded = (
        f_small[..., :, None, None, :] if layout == "sector_fuel" else f_small[..., None, None, None, :]
    )
    f_expanded = np.broadcast_to(f_expanded, f_expanded.shape[:-4] + e.shape[-4:])
    energy, emissions = core.bottom_up(p, e, f_small, factor_layout=layout)
    ref_energy, ref_emissions = core.bottom_up(p, e, f_expanded)
    np.testing.assert_array_equal(energy, ref_energy)
    np.testing.assert_allclose(emissions, ref_emissions, rtol=1e-12, atol=1e-6)


@pytest.mark.parametrize("n_fuels", [*range(1, 22), 24, 31, 32, *range(33, 41), 45, 47, 48, 64])
@pytest.mark.parametrize("parallel", [False, True])
def test_every_fuel_count_matches_loop_reference_bit_for_bit(n_fuels, parallel):
    # Up to 32 fuels the kernels hold the row in register pieces of 8, 4, 2 and 1 lanes (every
    # split from 1 to 16, and 8s beyond), above that they stream it in 8-lane vectors plus a 4-,
    # a 2- and a 1-lane remainder (33 … 40 cover each remainder), two rows a step, over 15 rows
    # here (the odd last row alone):
    # every one must give the scalar loop's bits, fused and energy-only alike.
    rng = np.random.default_rng(n_fuels)
    p = rng.random((3, 2, 3, 5))
    e = rng.random((3, 2, 3, 5, n_fuels)) * 10.0 ** rng.integers(-3, 4, (3, 2, 3, 5, n_fuels))
    f = rng.standard_normal((2, 3, 5, n_fuels))  # one factor row broadcast to every batch row
    energy, emissions = core.bottom_up(p, e, f, parallel=parallel)
    ref_energy, ref_emissions = bottom_up_loops(p, e, f)
    np.testing.assert_array_equal(energy, ref_energy)
    np.testing.assert_array_equal(emissions, ref_emissions)
    energy_only, _ = core.bottom_up(p, e, f[0, 0, 0], factor_layout="fuel", parallel=parallel)
    np.testing.assert_array_equal(energy_only, ref_energy)


@pytest.mark.parametrize("rows", [(1, 1), (3, 5), (4, 4), (2, 7)])
@pytest.mark.parametrize("n_sectors", [1, 3, 4, 5, 8, 9, 13])
@pytest.mark.parametrize("n_fuels", [1, 2, 3, 17, 33])
@pytest.mark.parametrize("parallel", [False, True])
def test_sector_blocks_match_loop_reference_bit_for_bit(n_fuels, n_sectors, rows, parallel):
    # Work items are blocks of up to 8 sectors; with 1 or 2 fuels, 4 sectors at a time are summed
    # together in vector lanes (4 rows a step for 1 fuel, 2 for 2, single rows at the end), the
    # block's other sectors one by one; with 3 fuels, pairs of sectors in one loop (the last row
    # loaded apart), an odd last sector alone.  Each sector's sums must stay the scalar loop's bits.
    rng = np.random.default_rng(n_fuels * 100 + n_sectors)
    p = rng.random((3, n_sectors, *rows))
    e = rng.random((3, n_sectors, *rows, n_fuels)) * 10.0 ** rng.integers(-3, 4, (3, n_sectors, *rows, n_fuels))
    f = rng.standard_normal((2, 1, n_sectors, *rows, n_fuels))
    energy, emissions = core.bottom_up(p, e, f, parallel=parallel)
    ref_energy, ref_emissions = bottom_up_loops(p, e, f)
    np.testing.assert_array_equal(energy, ref_energy)
    np.testing.assert_array_equal(emissions, ref_emissions)
    energy_only, _ = core.bottom_up(p, e, f[0, 0, 0, 0, 0], factor_layout="fuel", parallel=parallel)
    np.testing.assert_array_equal(np.broadcast_to(energy_only, ref_energy.shape), ref_energy)


@pytest.mark.parametrize("n_fuels", [1, 2])
@pytest.mark.parametrize("parallel", [False, True])
def test_sector_block_screens_name_each_sector(n_fuels, parallel):
    # In a 4-sector vector pass every sector's lanes carry the screen: a bad value, a false alarm
    # (-0.0) or an overflow in any sector of the block is reported at its own index.
    rng = np.random.default_rng(7)
    n_m, rows = 9, (3, 5)  # 15 rows: the 1-fuel pass's 4-row steps and 2-fuel pass's pairs leave one
    for m in range(n_m):
        for r_i, r_j in ((0, 0), (2, 4)):
            for which, value in (("activity", -1.0), ("intensity", np.nan), ("factor", -np.inf)):
                arrays = {"activity": rng.random((2, n_m, *rows)), "intensity": rng.random((2, n_m, *rows, n_fuels)),
                          "factor": rng.random((2, n_m, *rows, n_fuels))}
                pos = (1, m, r_i, r_j) + ((n_fuels - 1,) if which != "activity" else ())
                arrays[which][pos] = value
                with pytest.raises(core.BadValueError) as info:
                    core.bottom_up(arrays["activity"], arrays["intensity"], arrays["factor"], parallel=parallel)
                assert info.value.variable == which and info.value.index == pos
        p, e, f = rng.random((2, n_m, *rows)), rng.random((2, n_m, *rows, n_fuels)), rng.random((2, n_m, *rows, n_fuels))
        e[0, m, 2, 4, 0] = -0.0
        energy, _ = core.bottom_up(p, e, f, parallel=parallel)
        np.testing.assert_array_equal(energy, bottom_up_loops(p, e, f)[0])
        p[1, m] = 1e300
        e[1, m, ..., n_fuels - 1] = 1e300
        with pytest.raises(OverflowResultError) as info:
            core.bottom_up(p, e, f, parallel=parallel)
        assert info.value.variable == "energy" and info.value.index == (1, m, n_fuels - 1)


@pytest.mark.parametrize("parallel", [False, True])
def test_three_fuel_pairs_screen_every_sector_and_fuel(parallel):
    # Three fuels: pairs of sectors share a row loop, each row one 4-lane vector whose lane 3 is
    # the next row's fuel 0 (the last row: zero), thrown away.  A bad value, a -0.0 or an overflow
    # at any sector of a block (9 sectors: 4 pairs, then one alone in the next block), fuel and
    # row (first, middle, last) is reported at its own index, or not at all.
    rng = np.random.default_rng(11)
    n_m, rows, n_n = 9, (3, 5), 3

    def arrays():
        return (rng.random((2, n_m, *rows)) + 0.5, rng.random((2, n_m, *rows, n_n)) + 0.5,
                rng.standard_normal((2, n_m, *rows, n_n)))

    for m in range(n_m):
        for r_i, r_j in ((0, 0), (1, 2), (2, 4)):
            for n in range(n_n):
                for which, value in (("intensity", np.nan), ("intensity", -1.0), ("factor", -np.inf)):
                    p, e, f = arrays()
                    {"intensity": e, "factor": f}[which][1, m, r_i, r_j, n] = value
                    with pytest.raises(core.BadValueError) as info:
                        core.bottom_up(p, e, f, parallel=parallel)
                    assert info.value.variable == which and info.value.index == (1, m, r_i, r_j, n)
            p, e, f = arrays()
            p[0, m, r_i, r_j] = -1.0
            with pytest.raises(core.BadValueError) as info:
                core.bottom_up(p, e, f, parallel=parallel)
            assert info.value.variable == "activity" and info.value.index == (0, m, r_i, r_j)
        p, e, f = arrays()
        e[0, m, 2, 4, 0] = -0.0
        p[1, m, 0, 0] = -0.0
        energy, emissions = core.bottom_up(p, e, f, parallel=parallel)
        ref = bottom_up_loops(p, e, f)
        np.testing.assert_array_equal(energy, ref[0])
        np.testing.assert_array_equal(emissions, ref[1])
        for n in range(n_n):
            p, e, f = arrays()
            p[1, m] = 1e300
            e[1, m, ..., n] = 1e300
            with pytest.raises(OverflowResultError) as info:
                core.bottom_up(p, e, f, parallel=parallel)
            assert info.value.variable == "energy" and info.value.index == (1, m, n)


@pytest.mark.parametrize("parallel", [False, True])
def test_three_fuel_discarded_lane_overflow_is_no_error(parallel):
    # Lane 3 of row r multiplies P[r] by fuel 0 of row r + 1: 1e300 · 1e300 overflows there while
    # every real product is 1e300 · 1e-300 = 1 or less.  A false alarm: the rescan clears it.
    rng = np.random.default_rng(12)
    p, e, f = rng.random((2, 5, 2, 3)), rng.random((2, 5, 2, 3, 3)), rng.standard_normal((2, 5, 2, 3, 3))
    for m in range(5):
        p[1, m, 0, 1], e[1, m, 0, 1, :] = 1e300, 1e-300  # row 1
        p[1, m, 0, 2], e[1, m, 0, 2, 0] = 1e-300, 1e300  # row 2, fuel 0: lane 3 of row 1
        energy, emissions = core.bottom_up(p, e, f, parallel=parallel)
        ref = bottom_up_loops(p, e, f)
        np.testing.assert_array_equal(energy, ref[0])
        np.testing.assert_array_equal(emissions, ref[1])
        assert np.isfinite(energy).all() and np.isfinite(emissions).all()
        energy_only, _ = core.bottom_up(p, e, f[0, 0, 0, 0], factor_layout="fuel", parallel=parallel)
        np.testing.assert_array_equal(energy_only, ref[0])
    # the case is the one meant: the kernel's screen fires (the rescan then finds nothing)
    rows = np.arange(2)
    out = np.empty((2, 5, 3)), np.empty((2, 5, 3)), np.empty((2, 5, 2), dtype=np.int64)
    assert kernels.sector_fuel_energy_emissions(p, e, f, rows, rows, rows, *out) >= 1
    assert (out[2] == -1).all()


@pytest.mark.parametrize("n_fuels", [1, 3, 7, 8, 13, 15, 16, 17, 23, 33, 39, 45])
@pytest.mark.parametrize("which", ["intensity", "factor"])
def test_bad_value_found_in_every_fuel_lane(n_fuels, which):
    # Each lane of each fuel piece carries its own check: a NaN in any fuel position is caught.
    rng = np.random.default_rng(1)
    for n in range(n_fuels):
        p, e, f = rng.random((2, 2, 3)), rng.random((2, 2, 3, n_fuels)), rng.random((2, 2, 3, n_fuels))
        {"intensity": e, "factor": f}[which][1, 0, 2, n] = np.nan
        with pytest.raises(core.BadValueError) as info:
            core.bottom_up(p, e, f)
        assert info.value.variable == which and info.value.index == (1, 0, 2, n)


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("n_fuels", [9, 33])  # the register and the streaming pass
def test_screen_false_alarms_are_not_errors(n_fuels, parallel):
    # The in-pass screen fires on -0.0 (sign bit); the exact rescan must clear those slices:
    # -0.0 is an allowed value, and large finite values that do not overflow are too.
    rng = np.random.default_rng(5)
    p, e, f = rng.random((3, 2, 2, 3)), rng.random((3, 2, 2, 3, n_fuels)), rng.standard_normal((2, 2, 3, n_fuels))
    p[0, 1, 0, 2] = -0.0
    e[1, 0, 1, 1, 8] = -0.0
    e[2, 1, 0, 0, 3] = 1e300  # large but finite, times p < 1 and f ~ 1: no overflow
    energy, emissions = core.bottom_up(p, e, f, parallel=parallel)
    ref_energy, ref_emissions = bottom_up_loops(p, e, f)
    np.testing.assert_array_equal(energy, ref_energy)
    np.testing.assert_array_equal(emissions, ref_emissions)
    # A real bad value after a -0.0 in the same slice is still the one reported.
    e[0, 1, 1, 2, 5] = -1.0
    with pytest.raises(core.BadValueError) as info:
        core.bottom_up(p, e, f, parallel=parallel)
    assert info.value.index == (0, 1, 1, 2, 5)


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize(
    ("which", "pos", "value"),
    [("activity", (2, 1, 0, 1), np.inf), ("intensity", (2, 1, 0, 0, 3), np.inf),
     ("intensity", (1, 0, 1, 2, 0), -np.inf), ("factor", (1, 0, 2, 4), np.inf),
     ("factor", (0, 1, 2, 8), -np.inf)],
)
@pytest.mark.parametrize("n_fuels", [9, 33])  # the register and the streaming pass
def test_screen_reports_infinities(n_fuels, parallel, which, pos, value):
    # inf * 0 is NaN, inf * x is inf: either way the sums are not finite and the rescan names it,
    # also where the other factor of the product is 0 (the inf would vanish into a NaN sum).
    rng = np.random.default_rng(5)
    arrays = {"activity": rng.random((3, 2, 2, 3)), "intensity": rng.random((3, 2, 2, 3, n_fuels)),
              "factor": rng.standard_normal((2, 2, 3, n_fuels))}
    arrays["activity"][2, 1, 0, 0] = 0.0
    arrays[which][pos] = value
    with pytest.raises(core.BadValueError) as info:
        core.bottom_up(arrays["activity"], arrays["intensity"], arrays["factor"], parallel=parallel)
    assert info.value.variable == which and info.value.index == pos and info.value.value == value
    assert "must be finite" in str(info.value)


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("layout", ["full", "sector_fuel"])
@pytest.mark.parametrize("n_fuels", [9, 33])  # the register and the streaming pass
def test_finite_inputs_that_overflow_are_named(n_fuels, parallel, layout):
    rng = np.random.default_rng(6)
    p, e = rng.random((3, 2, 2, 3)) + 0.5, rng.random((3, 2, 2, 3, n_fuels)) + 0.5
    f = rng.random((2, 2, 3, n_fuels)) + 0.5 if layout == "full" else rng.random((2, n_fuels)) + 0.5
    p[1, 1, 0, 2], e[1, 1, 0, 2, 4] = 1e300, 1e300  # energy of (row 1, sector 1, fuel 4) = inf
    with pytest.raises(OverflowResultError) as info:
        core.bottom_up(p, e, f, factor_layout=layout, parallel=parallel)
    assert (info.value.variable, info.value.index, info.value.value) == ("energy", (1, 1, 4), np.inf)
    # energy finite (1e300), emissions not: a factor of 1e10 on that fuel
    e[1, 1, 0, 2, 4] = 1.0
    if layout == "full":
        f[1, :, :, 4] = 1e10
    else:
        f[1, 4] = 1e10
    with pytest.raises(OverflowResultError) as info:
        core.bottom_up(p, e, f, factor_layout=layout, parallel=parallel)
    assert (info.value.variable, info.value.index) == ("emissions", (1, 1, 4))
    assert isinstance(info.value, InvalidValueError) and "overflows to inf" in str(info.value)


def _threads_available():
    return numba.config.NUMBA_NUM_THREADS >= 2


@pytest.mark.skipif(not _threads_available(), reason="needs 2 numba threads")
@pytest.mark.parametrize("full_factor", [True, False])
@pytest.mark.parametrize("n_fuels", [8, 13, 24, 64])
def test_one_and_two_threads_bit_identical(full_factor, n_fuels):
    rng = np.random.default_rng(7)
    p = rng.random((6, 5, 4, 3, 3))
    e = rng.random((6, 5, 4, 3, 3, n_fuels)) * 10.0 ** rng.integers(-3, 4, (6, 5, 4, 3, 3, n_fuels))
    f = rng.random((5, 4, 3, 3, n_fuels)) if full_factor else rng.random(n_fuels)
    layout = "full" if full_factor else "fuel"
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = core.bottom_up(p, e, f, factor_layout=layout, parallel=True)
        numba.set_num_threads(2)
        two = core.bottom_up(p, e, f, factor_layout=layout, parallel=True)
    finally:
        numba.set_num_threads(before)
    serial = core.bottom_up(p, e, f, factor_layout=layout, parallel=False)
    for a, b, c in zip(one, two, serial):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


@given(
    matrix=st.integers(0, 3).flatmap(
        lambda nd: hnp.arrays(np.float64, hnp.array_shapes(min_dims=nd + 2, max_dims=nd + 2, max_side=5),
                              elements=st.floats(-1e6, 1e6, allow_nan=False))
    ),
    parallel=st.booleans(),
)
def test_totals_sum_in_stated_order(matrix, parallel):
    """Row sums, column sums and total, each in ascending index order, equal a Python loop."""
    by_sector, by_fuel, total = core.sector_fuel_totals(matrix, parallel=parallel)
    assert by_sector.shape == matrix.shape[:-1] and by_fuel.shape == matrix.shape[:-2] + matrix.shape[-1:]
    flat = matrix.reshape((-1,) + matrix.shape[-2:])
    for b, mat in enumerate(flat):
        idx = np.unravel_index(b, matrix.shape[:-2]) if matrix.ndim > 2 else ()
        rows = [sum(mat[m, :].tolist(), 0.0) for m in range(mat.shape[0])]
        cols = [sum(mat[:, n].tolist(), 0.0) for n in range(mat.shape[1])]
        np.testing.assert_array_equal(by_sector[idx], rows)
        np.testing.assert_array_equal(by_fuel[idx], cols)
        assert total[idx] == sum(rows, 0.0)


@pytest.mark.skipif(not _threads_available(), reason="needs 2 numba threads")
def test_totals_one_and_two_threads_bit_identical():
    matrix = np.random.default_rng(5).standard_normal((300, 21, 8)) * 1e6
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = core.sector_fuel_totals(matrix, parallel=True)
        numba.set_num_threads(2)
        two = core.sector_fuel_totals(matrix, parallel=True)
    finally:
        numba.set_num_threads(before)
    for a, b, c in zip(one, two, core.sector_fuel_totals(matrix, parallel=False)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_totals_bad_input():
    with pytest.raises(InputError, match="matrix: needs at least 2 dims"):
        core.sector_fuel_totals(np.ones(3))
    with pytest.raises(InputTypeError, match="matrix: data must be real numbers"):
        core.sector_fuel_totals(np.array([["a"]]))


def test_callable_from_user_njit_code():
    @numba.njit
    def user_model(p, e, f, scale):
        # A user's simulation step that calls the fastcarbon kernel on its own arrays.
        n_b, n_m, n_n = p.shape[0], e.shape[1], e.shape[-1]
        rows = np.arange(n_b)
        energy = np.empty((n_b, n_m, n_n))
        emissions = np.empty((n_b, n_m, n_n))
        bad = np.empty((n_b, n_m, 2), dtype=np.int64)
        kernels.sector_fuel_energy_emissions(p * scale, e, f, rows, rows, rows, energy, emissions, bad)
        return emissions.sum(), bad.max()

    rng = np.random.default_rng(3)
    p, e, f = rng.random((2, 3, 2, 2)), rng.random((2, 3, 2, 2, 4)), rng.random((2, 3, 2, 2, 4))
    total, worst = user_model(p, e, f, 2.0)
    _, ref = bottom_up_loops(2.0 * p, e, f)
    assert worst == -1
    assert total == pytest.approx(ref.sum(), rel=1e-12)


@pytest.mark.parametrize(
    "which, index, value, message",
    [
        ("activity", (1, 0, 1, 0), -1.0, "activity: bad value -1.0 at index (1, 0, 1, 0)"),
        ("activity", (0, 1, 0, 1), np.nan, "activity: bad value nan at index (0, 1, 0, 1)"),
        ("intensity", (1, 1, 1, 0, 2), -0.5, "intensity: bad value -0.5 at index (1, 1, 1, 0, 2)"),
        ("intensity", (0, 0, 0, 1, 0), np.nan, "intensity: bad value nan at index (0, 0, 0, 1, 0)"),
        ("factor", (0, 1, 1, 2), np.nan, "factor: bad value nan at index (0, 1, 1, 2)"),
    ],
)
@pytest.mark.parametrize("parallel", [False, True])
def test_bad_values_reported_with_index(which, index, value, message, parallel):
    rng = np.random.default_rng(0)
    arrays = {
        "activity": rng.random((2, 2, 2, 2)),
        "intensity": rng.random((2, 2, 2, 2, 3)),
        "factor": rng.random((2, 2, 2, 3)),
    }
    arrays[which][index] = value
    with pytest.raises(core.BadValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        core.bottom_up(arrays["activity"], arrays["intensity"], arrays["factor"], parallel=parallel)
    assert isinstance(info.value, InvalidValueError) and isinstance(info.value, ValueError)
    assert info.value.variable == which and info.value.index == index


def test_negative_factor_allowed_nan_factor_in_small_layout_rejected():
    p, e = np.ones((1, 1, 1)), np.ones((1, 1, 1, 2))
    _, emissions = core.bottom_up(p, e, np.array([-1.0, 2.0]), factor_layout="fuel")
    np.testing.assert_array_equal(emissions, [[-1.0, 2.0]])
    with pytest.raises(core.BadValueError, match=r"factor: bad value nan at index \(1,\)"):
        core.bottom_up(p, e, np.array([1.0, np.nan]), factor_layout="fuel")


def test_first_bad_element_is_reported_when_several():
    p, e, f = np.ones((3, 2, 2, 2)), np.ones((3, 2, 2, 2, 2)), np.ones((2, 2, 2, 2))
    e[2, 0, 0, 0, 0] = -1.0
    e[1, 1, 1, 1, 1] = -2.0
    with pytest.raises(core.BadValueError) as info:
        core.bottom_up(p, e, f, parallel=True)
    assert info.value.index == (1, 1, 1, 1, 1)


@pytest.mark.parametrize(
    "shapes, match",
    [
        (((2, 3, 4), (2, 3, 5, 2), (2, 3, 5, 2)), "activity core shape"),
        (((2, 3), (2, 3, 4, 2), (2, 3, 4, 2)), "activity: needs at least 3 dims"),
        (((2, 3, 4), (3, 4, 2), (2, 3, 4, 2)), "intensity: needs at least 4 dims"),
        (((2, 3, 4), (2, 3, 4, 2), (2, 3, 4, 3)), "factor core shape"),
        (((2, 1, 1, 1), (3, 1, 1, 1, 1), (1, 1, 1, 1)), "batch"),
    ],
)
def test_bad_shapes(shapes, match):
    p, e, f = (np.ones(s) for s in shapes)
    with pytest.raises(InputError, match=match):
        core.bottom_up(p, e, f)


def test_non_numeric_and_unknown_layout():
    with pytest.raises(InputTypeError, match="activity: data must be real numbers"):
        core.bottom_up(np.array([[["a"]]]), np.ones((1, 1, 1, 1)), np.ones((1, 1, 1, 1)))
    with pytest.raises(InputError, match="factor_layout"):
        core.bottom_up(np.ones((1, 1, 1)), np.ones((1, 1, 1, 1)), np.ones(1), factor_layout="diag")


def test_empty_batch():
    energy, emissions = core.bottom_up(np.ones((0, 2, 1, 1)), np.ones((2, 1, 1, 3)), np.ones((2, 1, 1, 3)))
    assert energy.shape == emissions.shape == (0, 2, 3)


@pytest.mark.parametrize("layout", ["full", "sector_fuel", "fuel"])
@pytest.mark.parametrize("core_shape", [(3, 2, 2, 0), (0, 2, 2, 3), (3, 0, 2, 3), (3, 2, 0, 3)],
                         ids=["no fuels", "no sectors", "no processes", "no equipment"])
@pytest.mark.parametrize("parallel", [False, True])
def test_an_empty_core_dim_gives_empty_or_zero_outputs(core_shape, layout, parallel):
    # reshape(-1, ...) cannot infer a batch size when a core dim is 0: sizes are explicit
    m, i, j, n = core_shape
    factor = {"full": np.ones((2,) + core_shape), "sector_fuel": np.ones((m, n)), "fuel": np.ones(n)}[layout]
    energy, emissions = core.bottom_up(np.ones((2, m, i, j)), np.ones((2,) + core_shape), factor,
                                       factor_layout=layout, parallel=parallel)
    assert energy.shape == emissions.shape == (2, m, n)
    # no process or equipment rows: every (sector, fuel) sum is an empty sum
    assert not energy.any() and not emissions.any()
    by_sector, by_fuel, total = core.sector_fuel_totals(energy)
    assert by_sector.shape == (2, m) and by_fuel.shape == (2, n) and total.tolist() == [0.0, 0.0]


_SIGNATURE_PROBE = r"""
import numpy as np
from numba.core import types
from fastcarbon import core, kernels
from fastcarbon.kernels import entropy, grey, quantile

rng = np.random.default_rng(0)
# Broadcasting where the view np.broadcast_to gives is contiguous (one output row, or an identity
# broadcast), so that np.ascontiguousarray would return that read-only view as it is: one activity
# row with an intensity and factor without batch dims; one series; one unit's indicators.
for parallel in (False, True):
    core.bottom_up(rng.random((1, 3, 2, 2)), rng.random((3, 2, 2, 4)), rng.random((3, 2, 2, 4)), parallel=parallel)
    core.bottom_up(rng.random((1, 3, 2, 2)), rng.random((1, 1, 3, 2, 2, 4)), rng.random((3, 1, 1, 4)),
                   factor_layout="sector_fuel", parallel=parallel)
    core.obstacle_degree(rng.random((3, 5)), np.full(5, 0.2), parallel=parallel)
    core.summarize_draws(rng.random((50, 1, 6)), np.arange(2020, 2026), target=1.0, target_year=2025,
                         parallel=parallel)
fit = core.grey.fit_egm(1.0 + rng.random((1, 6)))
core.grey.forecast_egm(fit.params, np.ones(1), 6, 4)  # default first=0: broadcast to the one series
for name, d in [("sector_fuel_energy_emissions", kernels.sector_fuel_energy_emissions),
                ("sector_fuel_energy_emissions_parallel", kernels.sector_fuel_energy_emissions_parallel),
                ("sector_fuel_energy", kernels.sector_fuel_energy),
                ("sector_fuel_energy_parallel", kernels.sector_fuel_energy_parallel),
                ("obstacle_degree_serial", entropy.obstacle_degree_serial),
                ("obstacle_degree_parallel", entropy.obstacle_degree_parallel),
                ("draw_summary", quantile.draw_summary), ("draw_summary_parallel", quantile.draw_summary_parallel),
                ("egm_forecast", grey.egm_forecast)]:
    assert d.signatures, name
    for sig in d.signatures:
        ro = [i for i, t in enumerate(sig) if isinstance(t, types.Array) and not t.mutable]
        print(name, ro)
"""


def test_broadcast_inputs_reuse_one_compiled_kernel():
    # The numpy layer hands the kernels arrays it derives (row indices, positions, weights, targets)
    # as writeable arrays: numba types a read-only broadcast view as another type, and each such
    # view used to compile (and cache) the kernel once more, 2-8 s for the bottom-up kernels.
    # A fresh process, so that only these calls' signatures are listed (a dispatcher lists what
    # this process compiled or loaded from the cache).
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _SIGNATURE_PROBE], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.split("\n")
    assert [ln for ln in lines if ln and not ln.endswith(" []")] == [], out.stdout
    assert len({ln.split()[0] for ln in lines if ln}) == 9, out.stdout


def test_software_prefetch_by_cpu():
    # the passes leave their prefetch hints out for AMD Zen cores only (kernels/_simd.py)
    from fastcarbon.kernels._simd import software_prefetch

    assert not software_prefetch("znver3") and not software_prefetch("znver4")
    assert software_prefetch("skylake-avx512") and software_prefetch("haswell") and software_prefetch("generic")


@pytest.mark.slow
def test_prefetch_hints_change_no_bit(tmp_path):
    # The same tensors through kernels compiled with and without the prefetch hints (a fresh
    # interpreter compiling for the other kind of CPU, its own numba cache): identical bytes, both
    # passes, serial and 2-thread.
    import textwrap

    from llvmlite import binding as ll

    from fastcarbon.kernels._simd import software_prefetch
    from subprocess_env import run_json

    if not ll.get_host_cpu_features().get("avx2"):
        pytest.skip("the other CPU's code needs AVX2 on this host")
    other = "znver3" if software_prefetch() else "haswell"
    code = """
        import hashlib, json
        import numpy as np
        from fastcarbon import core
        from fastcarbon.kernels._simd import software_prefetch

        def digests():
            out = {}
            for n_fuel in (1, 3, 9, 24, 40):
                rng = np.random.default_rng(n_fuel)
                p = rng.random((3, 9, 4, 5))
                e = rng.random((3, 9, 4, 5, n_fuel)) * 10.0 ** rng.integers(-3, 4, (3, 9, 4, 5, n_fuel))
                f = rng.standard_normal((3, 9, 4, 5, n_fuel))
                for parallel in (False, True):
                    energy, emissions = core.bottom_up(p, e, f, parallel=parallel)
                    out[f"{n_fuel} {parallel}"] = hashlib.sha256(energy.tobytes() + emissions.tobytes()).hexdigest()
            return out
    """
    child = run_json(code, "print(json.dumps({'prefetch': software_prefetch(), 'digests': digests()}))",
                     NUMBA_CPU_NAME=other, NUMBA_CACHE_DIR=str(tmp_path))
    assert child["prefetch"] is not software_prefetch()
    namespace = {}
    exec(textwrap.dedent(code), namespace)
    assert child["digests"] == namespace["digests"]()
