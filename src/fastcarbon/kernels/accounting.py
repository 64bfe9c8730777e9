"""Bottom-up accounting kernels: the industry × process × equipment × fuel tensor (001 eqs. 2–4).

For one batch row b (a region, year, scenario, draw... flattened) and one sector m::

    E [b, m, n] = Σ_i Σ_j  e[m, i, j, n] · P[m, i, j]                    (001 eq. 3)
    CE[b, m, n] = Σ_i Σ_j  f[m, i, j, n] · (e[m, i, j, n] · P[m, i, j])  (001 eq. 4)

The sector × fuel matrices are the only outputs of the tensor pass: every other breakdown (by
sector, by fuel, totals) is a sum over a matrix that is thousands of times smaller than the tensor,
done by :func:`sector_fuel_totals` in one more pass over the matrix.

Layout and broadcasting
-----------------------
Each input is a C-contiguous array whose leading axis is that input's *own* batch (its extra dims
flattened): ``activity`` (Bp, M, I, J), ``intensity`` (Be, M, I, J, N), ``factor`` (Bf, M, I, J, N).
Row indices ``rows_p``, ``rows_e``, ``rows_f`` of length B map each output row to the row it reads
in each input, so broadcasting (a factor shared by every year, an activity shared by every draw)
costs no copy of the tensor.

One pass, fixed order, checked
------------------------------
The work item is one batch row b and a block of up to ``SECTOR_BLOCK`` (8) consecutive sectors
m, whose slices are adjacent in memory; it reads each slice once, in memory order, sums each fuel
over the (i, j) rows in row order and writes only ``out[b, m, :]`` for its sectors, so the result
does not depend on how work items are shared among threads.  The sums run in vector lanes
(:mod:`fastcarbon.kernels._simd`), one lane per fuel (with one or two fuels, one lane per sector
and fuel, 4 sectors at a time), each lane doing exactly the scalar loop's operations in its
order, for any fuel count.

Negative, NaN or infinite activity and intensity, and NaN or infinite factors, are screened for in
the same pass, without branches: the sign bits of P and e are OR-ed together, and every NaN or
infinity reaches the sums, which are tested to be finite once per work item.  Only the sectors of
a work item whose screen fires are scanned again with the exact rules, each to report its first
bad element in ``bad[b, m]`` as ``(which input, flat index within the (i, j, n) slice)``.  When
its inputs are clean, a non-finite sum is an overflow of finite values (1e300 × 1e300):
``bad[b, m]`` is then ``(BAD_ENERGY_OVERFLOW or BAD_EMISSIONS_OVERFLOW, fuel index)``.
``(-1, -1)`` when clean (a -0.0 fires the screen on a clean slice; the rescan then finds
nothing).  The drivers return how many work items were rescanned, so a caller reads ``bad`` only
when that is not 0.  Negative factors are allowed:
sinks and capture carry negative factors.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from fastcarbon.kernels._jit import inline_kernel, kernel, parallel_kernel
from fastcarbon.kernels._simd import (
    MAX_REGISTER_FUELS,
    SECTOR_BLOCK,
    energy_register_pass,
    energy_stream_pass,
    fuel_register_pass,
    fuel_stream_pass,
)

__all__ = [
    "BAD_ACTIVITY",
    "BAD_INTENSITY",
    "BAD_FACTOR",
    "BAD_ENERGY_OVERFLOW",
    "BAD_EMISSIONS_OVERFLOW",
    "sector_fuel_energy_emissions",
    "sector_fuel_energy_emissions_parallel",
    "sector_fuel_energy",
    "sector_fuel_energy_parallel",
    "sector_fuel_totals",
    "sector_fuel_totals_parallel",
]

#: codes written to ``bad[b, m, 0]``
BAD_ACTIVITY = 0
BAD_INTENSITY = 1
BAD_FACTOR = 2
BAD_ENERGY_OVERFLOW = 3
BAD_EMISSIONS_OVERFLOW = 4


@kernel
def _first_bad(p_row, e_row, f_row, check_factor, energy_bm, emissions_bm, bad_bm):
    """Find the first bad element of one (b, m) slice, in (i, j, n) order; write it to ``bad_bm``.

    The exact rules (P and e finite and ≥ 0, f finite).  When the inputs are clean, the first fuel
    whose energy, then whose emissions sum (``energy_bm``, ``emissions_bm``, the item's outputs)
    is not finite is an overflow.  ``bad_bm`` is left as it is when neither is found (the in-pass
    screen also fires on -0.0).  Only called for flagged items, so its views cost nothing per item.
    """
    n_i, n_j = p_row.shape
    n_n = e_row.shape[2]
    for i in range(n_i):
        for j in range(n_j):
            p = p_row[i, j]
            if not (p >= 0.0 and p < np.inf):
                bad_bm[0] = BAD_ACTIVITY
                bad_bm[1] = (i * n_j + j) * n_n
                return
            for n in range(n_n):
                e = e_row[i, j, n]
                if not (e >= 0.0 and e < np.inf):
                    bad_bm[0] = BAD_INTENSITY
                    bad_bm[1] = (i * n_j + j) * n_n + n
                    return
                if check_factor and not (f_row[i, j, n] - f_row[i, j, n] == 0.0):
                    bad_bm[0] = BAD_FACTOR
                    bad_bm[1] = (i * n_j + j) * n_n + n
                    return
    for n in range(n_n):
        if not (energy_bm[n] - energy_bm[n] == 0.0):
            bad_bm[0] = BAD_ENERGY_OVERFLOW
            bad_bm[1] = n
            return
    if check_factor:
        for n in range(n_n):
            if not (emissions_bm[n] - emissions_bm[n] == 0.0):
                bad_bm[0] = BAD_EMISSIONS_OVERFLOW
                bad_bm[1] = n
                return


@inline_kernel
def _energy_emissions_block(activity, intensity, factor, bp, be, bf, m0, n_s, energy, emissions, b):
    """One work item of the fused energy + emissions pass: batch row ``b``, the ``n_s`` sectors
    ``m0 …`` (at most ``SECTOR_BLOCK``); True when all their slices are clean.

    Reads row ``bp`` of ``activity`` and rows ``be``/``bf`` of ``intensity``/``factor`` through
    flat offsets (no array views: building views per work item cost reference-count traffic on the
    shared inputs) and writes ``energy[b, m0:m0 + n_s, :]`` and ``emissions[b, m0:m0 + n_s, :]``.
    One pass over the block's slices in memory order (:mod:`fastcarbon.kernels._simd`): up to
    ``MAX_REGISTER_FUELS`` (32) fuels with the accumulators in registers (and, for few fuels, the rows
    of several sectors interleaved), more with the output row as the accumulator; either way every
    lane sums its own sector's rows in order r = 0, 1, … as a scalar loop would, so the choice
    never changes a bit.
    """
    n_m, n_i, n_j = activity.shape[1], activity.shape[2], activity.shape[3]
    n_n = intensity.shape[4]
    n_rows = n_i * n_j
    p_off = (bp * n_m + m0) * n_rows
    e_off = (be * n_m + m0) * n_rows * n_n
    f_off = (bf * n_m + m0) * n_rows * n_n
    o_off = (b * n_m + m0) * n_n
    if n_n <= MAX_REGISTER_FUELS:
        return fuel_register_pass(activity, intensity, factor, p_off, e_off, f_off, n_rows, n_n,
                                  energy, emissions, o_off, n_s)
    return fuel_stream_pass(activity, intensity, factor, p_off, e_off, f_off, n_rows, n_n,
                            energy, emissions, o_off, n_s)


@inline_kernel
def _energy_block(activity, intensity, bp, be, m0, n_s, energy, b):
    """One work item of the energy-only pass; passes as in :func:`_energy_emissions_block`."""
    n_m, n_i, n_j = activity.shape[1], activity.shape[2], activity.shape[3]
    n_n = intensity.shape[4]
    n_rows = n_i * n_j
    p_off = (bp * n_m + m0) * n_rows
    e_off = (be * n_m + m0) * n_rows * n_n
    o_off = (b * n_m + m0) * n_n
    if n_n <= MAX_REGISTER_FUELS:
        return energy_register_pass(activity, intensity, p_off, e_off, n_rows, n_n, energy, o_off, n_s)
    return energy_stream_pass(activity, intensity, p_off, e_off, n_rows, n_n, energy, o_off, n_s)


@kernel
def sector_fuel_energy_emissions(
    activity, intensity, factor, rows_p, rows_e, rows_f, energy, emissions, bad
):
    """Fused energy and emissions by sector and fuel, serial (GIL released).

    Parameters
    ----------
    activity : float64 array (Bp, M, I, J)
        Activity P[m, i, j] (001 eq. 2), e.g. product output per equipment.
    intensity : float64 array (Be, M, I, J, N)
        Energy intensity e[n, j, i, m] per unit of activity.
    factor : float64 array (Bf, M, I, J, N)
        Emission factor f[n, j, i, m] per unit of energy.
    rows_p, rows_e, rows_f : int64 arrays (B,)
        Row of ``activity``, ``intensity`` and ``factor`` that output row b reads.
    energy, emissions : float64 arrays (B, M, N), written
        E and CE by sector and fuel (001 eqs. 3–4 before the sums over m and n).
    bad : int64 array (B, M, 2), written
        ``(-1, -1)`` where the (b, m) slice is clean, else ``(code, flat index)`` of its first bad
        element, code one of :data:`BAD_ACTIVITY`, :data:`BAD_INTENSITY`, :data:`BAD_FACTOR`;
        or ``(BAD_ENERGY_OVERFLOW | BAD_EMISSIONS_OVERFLOW, n)`` where clean inputs summed to a
        non-finite value at fuel n.

    Returns
    -------
    int
        The number of work items the in-pass screen flagged and rescanned; 0 means every entry of
        ``bad`` is ``(-1, -1)`` (a caller need not look at it).

    Notes
    -----
    Callable from a user's own ``@numba.njit`` code.  Results are bit-identical to
    :func:`sector_fuel_energy_emissions_parallel`.
    """
    n_b, n_m = energy.shape[0], energy.shape[1]
    n_blk = (n_m + SECTOR_BLOCK - 1) // SECTOR_BLOCK
    flagged = 0
    for b in range(n_b):
        for k in range(n_blk):
            m0 = k * SECTOR_BLOCK
            n_s = min(SECTOR_BLOCK, n_m - m0)
            bp, be, bf = rows_p[b], rows_e[b], rows_f[b]
            ok = _energy_emissions_block(activity, intensity, factor, bp, be, bf, m0, n_s, energy, emissions, b)
            for m in range(m0, m0 + n_s):
                bad[b, m, 0] = -1
                bad[b, m, 1] = -1
            if not ok:  # the screen fired: rescan with the exact rules (views only here)
                flagged += 1
                for m in range(m0, m0 + n_s):
                    _first_bad(activity[bp, m], intensity[be, m], factor[bf, m], True, energy[b, m],
                               emissions[b, m], bad[b, m])
    return flagged


# The serial and parallel drivers are separate Python functions on purpose: numba's on-disk cache
# keys on the function and signature, not on the `parallel` flag, so one function compiled both
# ways could load the other variant from the cache.  The work is in the shared block functions;
# the few lines that write ``bad`` stay in each driver, because a block helper that also receives
# ``bad`` and the three inputs makes the serial driver update their reference counts on every
# work item (measured ~1.5 ms slower on the large benchmark tensor, one thread).
@parallel_kernel
def sector_fuel_energy_emissions_parallel(
    activity, intensity, factor, rows_p, rows_e, rows_f, energy, emissions, bad
):
    """Multi-threaded :func:`sector_fuel_energy_emissions`: (b, sector block) work items shared
    among threads."""
    n_b, n_m = energy.shape[0], energy.shape[1]
    n_blk = (n_m + SECTOR_BLOCK - 1) // SECTOR_BLOCK
    flagged = 0
    for w in prange(n_b * n_blk):
        b = w // n_blk
        m0 = (w - b * n_blk) * SECTOR_BLOCK
        n_s = min(SECTOR_BLOCK, n_m - m0)
        bp, be, bf = rows_p[b], rows_e[b], rows_f[b]
        ok = _energy_emissions_block(activity, intensity, factor, bp, be, bf, m0, n_s, energy, emissions, b)
        for m in range(m0, m0 + n_s):
            bad[b, m, 0] = -1
            bad[b, m, 1] = -1
        if not ok:
            flagged += 1
            for m in range(m0, m0 + n_s):
                _first_bad(activity[bp, m], intensity[be, m], factor[bf, m], True, energy[b, m],
                           emissions[b, m], bad[b, m])
    return flagged


@kernel
def sector_fuel_energy(activity, intensity, rows_p, rows_e, energy, bad):
    """Energy by sector and fuel, serial (GIL released).

    The energy-only half of :func:`sector_fuel_energy_emissions`, for factors that do not vary
    over process and equipment: then CE[b, m, n] = f[b, m, n] · E[b, m, n] exactly, and the factor
    tensor need not be read at all.  ``bad`` codes and the return value as there (never
    :data:`BAD_FACTOR`).
    """
    n_b, n_m = energy.shape[0], energy.shape[1]
    n_blk = (n_m + SECTOR_BLOCK - 1) // SECTOR_BLOCK
    flagged = 0
    for b in range(n_b):
        for k in range(n_blk):
            m0 = k * SECTOR_BLOCK
            n_s = min(SECTOR_BLOCK, n_m - m0)
            bp, be = rows_p[b], rows_e[b]
            ok = _energy_block(activity, intensity, bp, be, m0, n_s, energy, b)
            for m in range(m0, m0 + n_s):
                bad[b, m, 0] = -1
                bad[b, m, 1] = -1
            if not ok:
                flagged += 1
                for m in range(m0, m0 + n_s):
                    _first_bad(activity[bp, m], intensity[be, m], intensity[be, m], False, energy[b, m],
                               energy[b, m], bad[b, m])
    return flagged


@parallel_kernel
def sector_fuel_energy_parallel(activity, intensity, rows_p, rows_e, energy, bad):
    """Multi-threaded :func:`sector_fuel_energy`, bit-identical to it."""
    n_b, n_m = energy.shape[0], energy.shape[1]
    n_blk = (n_m + SECTOR_BLOCK - 1) // SECTOR_BLOCK
    flagged = 0
    for w in prange(n_b * n_blk):
        b = w // n_blk
        m0 = (w - b * n_blk) * SECTOR_BLOCK
        n_s = min(SECTOR_BLOCK, n_m - m0)
        bp, be = rows_p[b], rows_e[b]
        ok = _energy_block(activity, intensity, bp, be, m0, n_s, energy, b)
        for m in range(m0, m0 + n_s):
            bad[b, m, 0] = -1
            bad[b, m, 1] = -1
        if not ok:
            flagged += 1
            for m in range(m0, m0 + n_s):
                _first_bad(activity[bp, m], intensity[be, m], intensity[be, m], False, energy[b, m],
                           energy[b, m], bad[b, m])
    return flagged


@kernel
def _totals_row(matrix_b, by_sector_b, by_fuel_b):
    """Row sums, column sums and the total of one (M, N) matrix, in fixed order; returns the total."""
    n_m, n_n = matrix_b.shape
    for n in range(n_n):
        by_fuel_b[n] = 0.0
    total = 0.0
    for m in range(n_m):
        s = 0.0
        for n in range(n_n):
            x = matrix_b[m, n]
            s += x
            by_fuel_b[n] += x
        by_sector_b[m] = s
        total += s
    return total


@kernel
def sector_fuel_totals(matrix, by_sector, by_fuel, total):
    """Breakdowns of sector × fuel matrices: by sector, by fuel and in total, serial.

    Parameters
    ----------
    matrix : float64 array (B, M, N)
        E or CE by sector m and fuel n, e.g. from :func:`sector_fuel_energy_emissions`.
    by_sector : float64 array (B, M), written
        Σ_n matrix[b, m, n], n ascending.
    by_fuel : float64 array (B, N), written
        Σ_m matrix[b, m, n], m ascending.
    total : float64 array (B,), written
        Σ_m by_sector[b, m], m ascending.

    Notes
    -----
    A fixed order, so :func:`sector_fuel_totals_parallel` gives the same bits.  The total is the
    sum of the sector totals; summed by fuel instead it may differ in the last bit.  One pass
    replaces three numpy reductions per matrix: measured on a 3 075 × 21 × 8 matrix, numpy's
    ``sum(axis=...)`` takes about 0.9 ms each (the 8-fuel axis is too short for its pairwise
    loop), this kernel 0.26 ms for all three serial, 0.13 ms on two threads.
    """
    for b in range(matrix.shape[0]):
        total[b] = _totals_row(matrix[b], by_sector[b], by_fuel[b])


@parallel_kernel
def sector_fuel_totals_parallel(matrix, by_sector, by_fuel, total):
    """Multi-threaded :func:`sector_fuel_totals` (rows b shared among threads), bit-identical to it."""
    for b in prange(matrix.shape[0]):
        total[b] = _totals_row(matrix[b], by_sector[b], by_fuel[b])
