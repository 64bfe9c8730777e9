"""Fuel sums written as LLVM vector code: the inner loops of the bottom-up pass.

Why this exists
---------------
One bottom-up slice (a batch row b and a sector m) is an (rows, N) array, rows = I·J, reduced to::

    E[n] = Σ_r e[r, n] · P[r]          C[n] = Σ_r (e[r, n] · P[r]) · f[r, n]

The natural SIMD form keeps vector accumulators whose lanes are the fuels n and walks the rows r:
each row is vector loads of e and of f, one broadcast of P[r], multiplies and adds.  Numba cannot
be made to emit that.  Its loop vectorizer only works on the innermost loop (the short fuel loop),
where the accumulators live in the output array; since LLVM cannot prove that the output does not
alias the inputs, it re-checks aliasing on every row and keeps falling back to scalar code, and
numba leaves the SLP vectorizer off by default.  Measured on this module's workload (8 fuels, 100
rows, cache-resident, one thread): 0.73 ns per tensor element for the best plain-numba loop,
0.21 ns for a vector block, against 0.16 ns for a bare vectorized read of the same bytes.

Two passes, each reading every input byte once
-----------------------------------------------
``register_pass(N)``, N = 1 … :data:`MAX_REGISTER_FUELS`, N fixed at compile time: the whole row
of N fuels is held in vector registers (pieces of 8, 4, 2 and 1 lanes, e.g. 13 = 8 + 4 + 1) for
the whole row loop, so each row of e and f is read once, contiguously.  At 16 fuels that is 8 AVX2
registers of accumulators, at 24 fuels 12, at 32 fuels all 16 (LLVM then keeps some of them on the
stack, in L1, and it is still faster than the stream pass).

``stream_pass`` for any N: the accumulators are the output row itself (N values, in L1), and the
rows are taken :data:`STREAM_ROWS` at a time: for each 8-fuel vector k, load the accumulator, add
the step's rows' terms in row order, store it back; then the 4-, 2- and 1-lane remainders.  The slice
is read in memory order, each byte once; the accumulator traffic (one L1 load and store per
vector and step) is far below the memory traffic.

An earlier kernel ran one register block of 8 fuels after another down the whole slice, with a
stride of N: with 24 fuels that is three strided passes over a slice bigger than L1, and it ran at
0.37 of a read-only pass over the same bytes (issue 13).

One call covers a block of up to :data:`SECTOR_BLOCK` consecutive sectors of one batch row (their
slices are adjacent in memory).  With one or two fuels a sector's sums are too short for the lanes
and each is a long chain of dependent adds, so there the register pass takes the block's sectors 4
at a time in one row loop with the sectors in the vector lanes: 4 rows (one fuel) or 2 rows (two
fuels) of each sector are loaded and multiplied in memory order, then shuffled so that one vector
holds one row of all 4 sectors, and added in row order (:func:`_one_fuel_quad`,
:func:`_two_fuel_quad`).  The other sectors of the block go one by one, and so do all of them from 4
fuels on; with 3 fuels, a sector's row fits one 4-lane vector (the fourth lane is thrown away) and
two sectors share a row loop (:func:`_three_fuel_loop`).  Issue 13, one fuel, 10 × 10: 1.0 ns per
element for one sector's scalar chain, 0.32 ns for 4 sectors in lanes (cache-resident, one thread).
Each of those sector slices is 100-256 rows, so
the 4-sector loops read 8-12 short streams at once (0.8-2 kB each), too short for the hardware
prefetchers to ramp up on; they prefetch the next 4 sectors' slices (adjacent in memory) as they
go, a few ``llvm.prefetch`` a step (:func:`_prefetch_next_group`).  Issue 13 fuel sweep, one
thread, ro/k medians, runs with and without alternated on a 2-core VM shared with other jobs:
while those jobs kept the second core and the memory busy, 10 × 10 one fuel 0.74-0.94 → 0.85-1.19,
two fuels 0.62-0.89 → 0.97-1.30, 16 × 16 one fuel 0.71-0.90 → 0.97-1.18, two fuels 0.31-0.92 →
0.80-1.04 (7-12 runs each); in the few quiet runs two fuels still gained (10 × 10 0.76-0.77 → 0.80-0.85) but one
fuel did not (10 × 10 0.72-0.74 against 0.71-0.75, 16 × 16 0.83-0.94 against 0.65-0.91: the
data then stays in L3 and the prefetches only cost instructions).  The same prefetch in the
one-sector loop :func:`_register_loop` did not help (10 × 10, 3 fuels before
:func:`_three_fuel_loop` existed, 0.68 → 0.57 in a quiet run; 8 fuels 0.88 → 0.35 with P
prefetched too).

What the passes compute, exactly
--------------------------------
For every sector and fuel n, in row order r = 0 … rows−1: ``a = e[r, n] · P[r]``,
``accE = accE + a``, ``accC = accC + a · f[r, n]``, starting from 0.0; then ``energy[n] = accE``,
``emissions[n] = accC``.  Whichever lane holds it, each (sector, fuel) sum is the same sequence of
IEEE operations the scalar loop performs, in the same order (the shuffles move products, they add
nothing), with no fused multiply-add (the IR carries no fast-math or contraction flags), so the
results are bit-identical to a scalar ``for r: acc += x * p`` loop
(:func:`fastcarbon.reference.bottom_up_loops`), whichever pass runs, and do not depend on threads,
chunking or how sectors are grouped.

The return value is True ("clean") when no P[r] or e read in the block has its sign bit set and
every output is finite (one flag for the block: the caller rescans each of its sectors).  That is
a cheap screen, not the final word: every NaN among P, e and f reaches the sums (NaN times or
plus anything is NaN, also times 0), every infinity makes them ±inf or NaN (inf · 0, inf − inf),
and every negative P or e has its sign bit set, so a slice with a bad value is never "clean"; but
-0.0 also flags a clean slice, and so does a sum of finite values that overflows.  The caller
therefore rescans a flagged slice with the exact rules (P, e finite and ≥ 0, f finite) before
reporting anything, and then looks for an overflowed sum.  The screen costs
integer ORs per row; the exact compares in the loop cost 7 % more time on the large benchmark
tensor (one thread, 24.7 against 23.2 ms).

Offsets are in elements of the arrays' flat C-order data; the arrays must be C-contiguous float64
(anything else is a typing error).  No bounds check, as in any numba kernel: the caller passes
offsets of the first of ``n_sect`` whole (rows, N) slices and output rows of N.

The energy-only variants (``with_factor=False``) take no ``f``/``emissions`` and compute E only.

The prefetch hints of both passes are left out for AMD Zen cores, whose own prefetchers keep up
and where the hints cost up to ~0.15 of ro/k (:func:`software_prefetch`).

Caching note: numba's on-disk cache keys a kernel on its own source file, not on this one; after
editing this module, clear ``__pycache__`` of :mod:`fastcarbon.kernels` to recompile.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["MAX_REGISTER_FUELS", "SECTOR_BLOCK", "STREAM_ROWS", "fuel_register_pass", "energy_register_pass",
           "fuel_stream_pass", "energy_stream_pass", "software_prefetch"]

#: fuel counts up to this one are summed in registers (:func:`_make_register_pass`); above, by
#: :func:`_make_stream_pass`.  16 fuels = 8 AVX2 accumulators; cache-resident, one thread, the
#: register pass read 43-57 GB/s at 12 and 16 fuels against 30-38 GB/s for the stream pass.  Raised
#: from 16 to 32 (issue 13, 10 × 10, one thread, runs of the two alternated on a VM shared with
#: another job): 24 fuels 0.22-0.25 against 0.39-0.51 ns per element in L1, and ro/k on the
#: 41 × 32-sector tensor (51 MB, from memory) 0.89-0.90 against 0.73-0.85; 32 fuels (68 MB) 0.88-0.90
#: against 0.82-0.86.  The cost: 16 more cases in each pass's switch, a cold compile of the four
#: bottom-up drivers 10.3 → 17.1 s.
MAX_REGISTER_FUELS = 32
#: how far ahead the register pass's row loop (4-32 fuels) prefetches e and f: the row about this
#: many bytes on.  Issue 13, 2026-12-04, 4-32 fuels, fresh numba caches, alternated runs, ro/k
#: medians: 16 × 16 at 24 fuels 0.95 -> 1.12, at 32 fuels 0.88-0.93 -> 1.00-1.04 (AVX-512 code),
#: 0.89-0.90 -> 1.04 at 24 fuels with AVX2-only code; 10 × 10 and the few-fuel cases unchanged
#: (0.89-0.97 either way, within the runs' spread).
#: Not emitted for AMD Zen cores, where it costs (:func:`software_prefetch`).
REGISTER_PREFETCH_BYTES = 2560
#: rows per step of the stream pass (one accumulator load and store per vector and step; the rows
#: are still added one after another, so every sum is bit-identical for any value).  On the old VM
#: (4-lane vectors then), 4 rows a step read 47-59 GB/s cache-resident at 24 fuels against 28-43
#: for 1 row, but from memory ran at 0.42-0.48 of the read-only pass with 64 fuels against
#: 0.80-0.88 for 1 row.  Re-measured with 8-lane vectors (issue 13, 2026-12-04, AVX-512 VM, 33-64
#: fuels, 10 × 10 and 16 × 16, each variant with its own fresh numba cache, three alternated runs,
#: worst ro/k median over 1 and 2 threads): 1 row 0.79, 2 rows 0.82-0.84, 3 rows 0.82, 4 rows
#: 0.77; with AVX2-only code (NUMBA_CPU_NAME=haswell) 1 row 0.81-0.82, 2 rows 0.85-0.86.
STREAM_ROWS = 2
#: rows ahead whose lines of e and f the stream pass prefetches (``llvm.prefetch``, a hint that
#: never faults, also past the end of a slice).  Issue 13, 2026-12-04, 33-64 fuels, 10 × 10 and
#: 16 × 16, fresh numba caches, alternated runs, worst ro/k median over 1 and 2 threads: none
#: 0.82-0.83, 4 rows 0.86, 8 rows 0.88-0.90, 16 rows 0.89 (AVX-512 code); with AVX2-only code
#: (NUMBA_CPU_NAME=haswell) none 0.83, 8 rows 0.98.  A 2-row step at 40 fuels reads 640 bytes of
#: each array, so 8 rows is 2.5 kB ahead.  Why the hardware's own prefetchers fall short on
#: these two streams was not measured.
#: Not emitted for AMD Zen cores, where it costs (:func:`software_prefetch`).
STREAM_PREFETCH_ROWS = 8

_F64 = ir.DoubleType()
_I64 = ir.IntType(64)
_I32 = ir.IntType(32)


def _is_c_float64(ty) -> bool:
    return isinstance(ty, types.Array) and ty.dtype == types.float64 and ty.layout == "C"


def _vt(w: int):
    """float64 vector of w lanes (a plain double for w = 1)."""
    return _F64 if w == 1 else ir.VectorType(_F64, w)


def _it(w: int):
    return _I64 if w == 1 else ir.VectorType(_I64, w)


def _zero(w: int):
    return ir.Constant(_vt(w), 0.0 if w == 1 else [0.0] * w)


def _izero(w: int):
    return ir.Constant(_it(w), 0 if w == 1 else [0] * w)


def _load(builder, base, idx, w: int):
    ptr = builder.gep(base, [idx], inbounds=True)
    if w == 1:
        return builder.load(ptr)
    return builder.load(builder.bitcast(ptr, _vt(w).as_pointer()), align=8)


def _store(builder, val, base, idx, w: int) -> None:
    ptr = builder.gep(base, [idx], inbounds=True)
    if w == 1:
        builder.store(val, ptr)
    else:
        builder.store(val, builder.bitcast(ptr, _vt(w).as_pointer()), align=8)


def _splat(builder, x, w: int):
    if w == 1:
        return x
    undef = ir.Constant(_vt(w), ir.Undefined)
    return builder.shuffle_vector(builder.insert_element(undef, x, ir.Constant(_I32, 0)), undef,
                                  ir.Constant(ir.VectorType(_I32, w), [0] * w))


def _any(builder, flags, w: int):
    """i1: any lane of an i1 vector (or the i1 itself) set."""
    if w == 1:
        return flags
    return builder.icmp_unsigned("!=", builder.bitcast(flags, ir.IntType(w)), ir.Constant(ir.IntType(w), 0))


def _not_finite(builder, s, w: int):
    # s - s is NaN exactly when s is NaN or ±inf: one subtract and one compare per vector.
    return _any(builder, builder.fcmp_unordered("uno", s, builder.fsub(s, s)), w)


def _negative(builder, bits, w: int):
    return _any(builder, builder.icmp_signed("<", bits, _izero(w)), w)


def _pieces(n: int) -> list[tuple[int, int]]:
    """(first fuel, lanes) of the vector pieces covering n fuels: 8s, then at most one 4, 2, 1."""
    out, n0 = [], 0
    for w in (8, 4, 2, 1):
        while n - n0 >= w:
            out.append((n0, w))
            n0 += w
    return out


class _Slice:
    """Base pointers of one work item: P rows, e and f slices, output rows of its first sector."""

    def __init__(self, context, builder, sig, args, with_factor):
        if with_factor:
            p, e, f, p_off, e_off, f_off, n_rows, n_n, out_e, out_c, o_off, n_sect = args
            tp, te, tf, *_rest, t_oe, t_oc, _, _ = sig.args
        else:
            (p, e, p_off, e_off, n_rows, n_n, out_e, o_off, n_sect), (tp, te, *_rest, t_oe, _, _) = args, sig.args

        # Imported here, at compile time: numba.np.arrayobj pulls in ~40 ms of numba's lowering
        # modules, which numba's target context loads anyway before it compiles anything.
        from numba.np.arrayobj import make_array

        def base(ty, val, off):
            return builder.gep(make_array(ty)(context, builder, val).data, [off], inbounds=True)

        self.n_rows, self.n_n, self.n_sect = n_rows, n_n, n_sect
        self.p, self.e, self.out_e = base(tp, p, p_off), base(te, e, e_off), base(t_oe, out_e, o_off)
        self.f = base(tf, f, f_off) if with_factor else None
        self.out_c = base(t_oc, out_c, o_off) if with_factor else None

    def sector(self, builder, k):
        """The same pointers moved to sector ``k`` of the block (consecutive sectors' slices and
        output rows are adjacent in memory)."""
        other = object.__new__(_Slice)
        other.n_rows, other.n_n, other.n_sect = self.n_rows, self.n_n, self.n_sect
        slice_len = builder.mul(self.n_rows, self.n_n, flags=["nsw"])

        def move(ptr, stride):
            return None if ptr is None else builder.gep(ptr, [builder.mul(k, stride)], inbounds=True)

        other.p, other.e, other.f = move(self.p, self.n_rows), move(self.e, slice_len), move(self.f, slice_len)
        other.out_e, other.out_c = move(self.out_e, self.n_n), move(self.out_c, self.n_n)
        return other


#: sectors one call of a pass covers: the drivers' work item is a batch row and a block of up to
#: this many consecutive sectors, whose slices (and output rows) are adjacent in memory.  With one
#: or two fuels a sector's sums are short vectors with long dependent add chains (one fuel: a
#: single scalar chain of I·J adds, 3 cycles each), and per-item costs weigh on a 100-row slice;
#: 4 sectors summed together in lanes (:func:`_one_fuel_quad`, :func:`_two_fuel_quad`) give the
#: core independent chains, and blocks of 8 halve the per-call costs again.
SECTOR_BLOCK = 8


def _or_tree(builder, vals):
    """OR of ``vals`` as a balanced tree (a chain would make each OR wait for the last)."""
    while len(vals) > 1:
        vals = [builder.or_(vals[q], vals[q + 1]) if q + 1 < len(vals) else vals[q]
                for q in range(0, len(vals), 2)]
    return vals[0]


def _register_loop(builder, sl: _Slice, n_fuel: int, with_factor: bool, k):
    """The row loop for exactly ``n_fuel`` fuels of sector ``k`` of the block, accumulators in
    registers; returns i1 "clean"."""
    pieces = _pieces(n_fuel)
    sl = sl.sector(builder, k)
    # Entry-block allocas: LLVM promotes them to registers (mem2reg); the stores here reset them
    # for every sector this loop is entered for.
    acc_e = [cgutils.alloca_once_value(builder, _zero(w)) for _, w in pieces]
    acc_c = [cgutils.alloca_once_value(builder, _zero(w)) for _, w in pieces] if with_factor else None
    widths = sorted({w for _, w in pieces})
    signs = {w: cgutils.alloca_once_value(builder, _izero(w)) for w in widths}
    signs_p = cgutils.alloca_once_value(builder, _izero(1))
    with cgutils.for_range(builder, sl.n_rows) as loop:
        r = loop.index
        row = builder.mul(r, ir.Constant(r.type, n_fuel), flags=["nsw"])
        # hint the row REGISTER_PREFETCH_BYTES ahead into the caches, one prefetch per 64 bytes
        rows_ahead = max(1, REGISTER_PREFETCH_BYTES // (8 * n_fuel))
        ahead = builder.add(row, ir.Constant(r.type, rows_ahead * n_fuel))
        for line in range(0, n_fuel, 8):
            at = builder.add(ahead, ir.Constant(r.type, line))
            _prefetch(builder, sl.e, at)
            if with_factor:
                _prefetch(builder, sl.f, at)
        pr = builder.load(builder.gep(sl.p, [r], inbounds=True))
        # Sign bits of P and e, OR-ed: integer ORs per row, cheaper than compares.
        builder.store(builder.or_(builder.load(signs_p), builder.bitcast(pr, _I64)), signs_p)
        for q, (n0, w) in enumerate(pieces):
            idx = builder.add(row, ir.Constant(row.type, n0))
            x = _load(builder, sl.e, idx, w)
            a = builder.fmul(x, _splat(builder, pr, w))
            builder.store(builder.fadd(builder.load(acc_e[q]), a), acc_e[q])
            if with_factor:
                y = _load(builder, sl.f, idx, w)
                builder.store(builder.fadd(builder.load(acc_c[q]), builder.fmul(a, y)), acc_c[q])
            builder.store(builder.or_(builder.load(signs[w]), builder.bitcast(x, _it(w))), signs[w])
    bad = _negative(builder, builder.load(signs_p), 1)
    for w in widths:
        bad = builder.or_(bad, _negative(builder, builder.load(signs[w]), w))
    for q, (n0, w) in enumerate(pieces):
        idx = ir.Constant(sl.n_n.type, n0)
        v = builder.load(acc_e[q])
        _store(builder, v, sl.out_e, idx, w)
        bad = builder.or_(bad, _not_finite(builder, v, w))
        if with_factor:
            v = builder.load(acc_c[q])
            _store(builder, v, sl.out_c, idx, w)
            bad = builder.or_(bad, _not_finite(builder, v, w))
    return builder.not_(bad)


def _three_fuel_loop(builder, sl: _Slice, with_factor: bool, ks):
    """Three fuels of the sectors ``ks`` of the block (one or two) in one row loop; returns i1
    "clean".

    Per sector, one 4-lane accumulator per sum whose lanes 0-2 are the fuels (where
    :func:`_register_loop` would use a 2- and a 1-lane piece: twice the instructions per row).
    Row r's 4-lane load of e (and f) at 3·r also reads fuel 0 of row r + 1, an element of the same
    slice, into lane 3, whose sums are never stored; the last row is loaded as 2 + 1 lanes with
    lane 3 zero, so nothing outside the slice is read.  Lanes 0-2 do the scalar loop's
    operations in its order.  Lane 3 only ever holds elements of the slice, so the screen still
    fires on every bad value of it (its sign bits and sums are screened with the rest); it can add
    a false alarm (a sum of finite lane-3 products that overflows), which the caller's rescan
    clears like a -0.0.  Two sectors in one loop give the core 4 independent add chains instead of
    2; each row also prefetches the matching rows of the next ``len(ks)`` sectors' slices (they
    follow in memory), as the 4-sector passes do.

    Measured (issue 13), 8 sectors × 100 rows in L1, one thread: 0.89 ns per row against 1.29 for
    the 2 + 1-lane loop; fuel sweep 10 × 10, 3 fuels, paired rounds on a loaded VM, ro/k 0.94-1.29
    against 0.69-1.05 (the one-sector version without prefetch: 0.83-1.11; two sectors without
    prefetch 0.78-0.86: the 6 short streams then wait on memory).
    """
    intp = sl.n_rows.type

    def c(v):
        return ir.Constant(intp, v)

    secs = [sl.sector(builder, k) for k in ks]
    acc_e = [cgutils.alloca_once_value(builder, _zero(4)) for _ in secs]
    acc_c = [cgutils.alloca_once_value(builder, _zero(4)) for _ in secs] if with_factor else None
    signs = cgutils.alloca_once_value(builder, _izero(4))
    signs_p = cgutils.alloca_once_value(builder, _izero(1))
    last = builder.sub(sl.n_rows, c(1))
    n_ahead = c(len(secs))

    def full_row(base, row):
        return _load(builder, base, row, 4)

    def last_row(base, row):
        x2 = _load(builder, base, row, 2)
        x1 = builder.insert_element(_zero(2), _load(builder, base, builder.add(row, c(2)), 1), ir.Constant(_I32, 0))
        return _shuffle(builder, x2, x1, [0, 1, 2, 3])

    def row_step(r, load_row):
        row = builder.mul(r, c(3), flags=["nsw"])
        if load_row is full_row:
            # row len(ks)·r of the next len(ks) slices (len(ks) rows of them per row here)
            ahead = builder.mul(builder.add(sl.n_rows, r), n_ahead)
            _prefetch(builder, secs[0].p, ahead)
            for base in (secs[0].e, secs[0].f) if with_factor else (secs[0].e,):
                _prefetch(builder, base, builder.mul(ahead, c(3)))
        for g, at in enumerate(secs):
            pr = builder.load(builder.gep(at.p, [r], inbounds=True))
            builder.store(builder.or_(builder.load(signs_p), builder.bitcast(pr, _I64)), signs_p)
            x = load_row(at.e, row)
            a = builder.fmul(x, _splat(builder, pr, 4))
            builder.store(builder.fadd(builder.load(acc_e[g]), a), acc_e[g])
            if with_factor:
                y = load_row(at.f, row)
                builder.store(builder.fadd(builder.load(acc_c[g]), builder.fmul(a, y)), acc_c[g])
            builder.store(builder.or_(builder.load(signs), builder.bitcast(x, _it(4))), signs)

    with cgutils.for_range_slice(builder, c(0), last, c(1)) as (r, _):
        row_step(r, full_row)
    with builder.if_then(builder.icmp_signed(">", sl.n_rows, c(0))):
        row_step(last, last_row)
    bad = builder.or_(_negative(builder, builder.load(signs_p), 1), _negative(builder, builder.load(signs), 4))
    for g, at in enumerate(secs):
        for acc, out in [(acc_e[g], at.out_e)] + ([(acc_c[g], at.out_c)] if with_factor else []):
            v = builder.load(acc)
            bad = builder.or_(bad, _not_finite(builder, v, 4))
            _store(builder, _shuffle(builder, v, v, [0, 1]), out, c(0), 2)
            _store(builder, builder.extract_element(v, ir.Constant(_I32, 2)), out, c(2), 1)
    return builder.not_(bad)


def software_prefetch(cpu_name: str | None = None) -> bool:
    """Whether the passes emit their ``llvm.prefetch`` hints when compiled for ``cpu_name``.

    Parameters
    ----------
    cpu_name : str, optional
        An LLVM CPU name; default: the one numba compiles for (``NUMBA_CPU_NAME``, else the
        host's).

    Returns
    -------
    bool
        False for AMD Zen cores (``znver*``), True otherwise.

    Notes
    -----
    The prefetch distances below were chosen on an Intel AVX-512 VM, where they gained up to 0.15
    of ro/k (read-only pass / kernel).  On an AMD EPYC Zen 3 VM (``znver3``, 2026-12-08, fuel
    sweep, both shapes, 1 and 2 threads, fresh numba caches) the same hints cost: the worst ro/k
    median over 8-64 fuels was 0.66 and 0.63 in two runs with them, 0.76 with every hint off and
    0.78 with this rule (48 and 64 fuels: 0.63-0.72 against 0.78-0.80); 1-5 fuels did not change
    beyond the runs' spread.  Zen's own stream prefetchers then keep up, and the hints only add
    loads.  A hint never changes a result, so outputs are
    bit-identical either way.  Numba's cache keys compiled code on the CPU name, so code compiled
    for one kind of CPU is never loaded on the other.
    """
    if cpu_name is None:
        from llvmlite import binding as ll
        from numba.core import config

        cpu_name = config.CPU_NAME or ll.get_host_cpu_name()
    return not cpu_name.startswith("znver")


def _prefetch(builder, base, idx) -> None:
    """Hint the cache line holding ``base[idx]`` into the caches (``llvm.prefetch``: a read,
    locality 3; a hint, never a fault, also past the end of an array); nothing where
    :func:`software_prefetch` is False."""
    if not software_prefetch():
        return
    i8p = ir.IntType(8).as_pointer()
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, _I32, _I32, _I32]),
                                        "llvm.prefetch.p0")
    ptr = builder.bitcast(builder.gep(base, [idx]), i8p)
    builder.call(fn, [ptr, ir.Constant(_I32, 0), ir.Constant(_I32, 3), ir.Constant(_I32, 1)])


def _prefetch_next_group(builder, first, n_rows, n_fuel: int, r, rows: int, with_factor: bool) -> None:
    """During step ``r`` (``rows`` rows) of a 4-sector pass at ``n_fuel`` fuels, prefetch the
    matching part of the next 4 sectors' slices.

    They follow the group's slices in memory (the block's other group, or the next block's
    first), and each step covers 4 · rows of their rows, so the group's row loop touches each of
    their cache lines once: a few prefetches a step, against slices of 100-256 rows too short for
    the hardware's stream prefetchers to ramp up on (12 such streams at a time with one fuel).
    ``first``: the group's first sector (a :meth:`_Slice.sector`)."""
    intp = n_rows.type

    def c(v):
        return ir.Constant(intp, v)

    arrays = (("p", 1), ("e", n_fuel), ("f", n_fuel)) if with_factor else (("p", 1), ("e", n_fuel))
    for name, width in arrays:
        # elements per row of this array: 1 (P) or n_fuel; 4 slices ahead, then 4·rows per step
        start = builder.mul(builder.add(builder.mul(n_rows, c(4)), builder.mul(r, c(4))), c(width))
        for line in range(0, 4 * rows * width, 8):  # 8 float64 a 64-byte line
            _prefetch(builder, getattr(first, name), builder.add(start, c(line)))


def _shuffle(builder, x, y, mask):
    """Lanes of ``x`` then ``y`` (indices 0 … 2w − 1) picked by the constant ``mask``."""
    return builder.shuffle_vector(x, y, ir.Constant(ir.VectorType(_I32, len(mask)), mask))


def _transpose4(builder, rows):
    """4 × 4 transpose of four 4-lane vectors: lane k of result j is lane j of input k."""
    def shuf(x, y, mask):
        return _shuffle(builder, x, y, mask)

    t0, t1 = shuf(rows[0], rows[1], [0, 4, 2, 6]), shuf(rows[0], rows[1], [1, 5, 3, 7])
    t2, t3 = shuf(rows[2], rows[3], [0, 4, 2, 6]), shuf(rows[2], rows[3], [1, 5, 3, 7])
    return [shuf(t0, t2, [0, 1, 4, 5]), shuf(t1, t3, [0, 1, 4, 5]),
            shuf(t0, t2, [2, 3, 6, 7]), shuf(t1, t3, [2, 3, 6, 7])]


def _one_fuel_quad(builder, sl: _Slice, k0, with_factor: bool):
    """One fuel, the 4 sectors k0 … k0 + 3 of the block in one row loop; returns i1 "clean".

    With one fuel a sector's sum is a single chain of I·J dependent scalar adds (3-4 cycles each),
    and interleaving sectors as scalar chains (:func:`_register_loop` with several sectors) needs
    more registers than x86 has.  Here each step takes 4 rows of each of the 4 sectors: one vector
    load of P, e and f per sector (memory order), the products ``a = e · P`` and ``a · f`` per
    sector, then a 4 × 4 transpose turns them into one vector per row whose lanes are the sectors,
    added in row order to accumulators whose lanes are the sectors' sums (12 base pointers and one
    index: no spills).  Every sector's sums are still ``acc = acc + e[r] · P[r]`` (and
    ``+ (e[r] · P[r]) · f[r]``) for r = 0, 1, … from 0.0, the scalar loop's operations in its
    order.  Measured on 8 sectors × 100 rows in L1, one thread: 0.32 ns per element against
    1.0 ns for the one-sector loop (whose dependent adds bound it).  Each step also prefetches
    the next 4 sectors' rows (:func:`_prefetch_next_group`).
    """
    intp = sl.n_rows.type

    def c(v):
        return ir.Constant(intp, v)

    arrays = 2 if with_factor else 1
    acc = [cgutils.alloca_once_value(builder, _zero(4)) for _ in range(arrays)]
    signs = cgutils.alloca_once_value(builder, _izero(4))
    secs = [sl.sector(builder, builder.add(k0, c(k))) for k in range(4)]
    n4 = builder.and_(sl.n_rows, c(-4))

    with cgutils.for_range_slice(builder, c(0), n4, c(4)) as (q, _):
        _prefetch_next_group(builder, secs[0], sl.n_rows, 1, q, 4, with_factor)
        prods = [[] for _ in range(arrays)]
        bits = []
        for at in secs:
            pv, x = _load(builder, at.p, q, 4), _load(builder, at.e, q, 4)
            a = builder.fmul(x, pv)
            prods[0].append(a)
            if with_factor:
                prods[1].append(builder.fmul(a, _load(builder, at.f, q, 4)))
            bits.append(builder.or_(builder.bitcast(x, _it(4)), builder.bitcast(pv, _it(4))))
        builder.store(builder.or_(builder.load(signs), _or_tree(builder, bits)), signs)
        for arr in range(arrays):
            s = builder.load(acc[arr])
            for row in _transpose4(builder, prods[arr]):
                s = builder.fadd(s, row)
            builder.store(s, acc[arr])
    signs1 = cgutils.alloca_once_value(builder, _izero(1))
    with cgutils.for_range_slice(builder, n4, sl.n_rows, c(1)) as (q, _):  # the last rows, one by one
        rows = [_zero(4) for _ in range(arrays)]
        for k, at in enumerate(secs):
            pv, x = _load(builder, at.p, q, 1), _load(builder, at.e, q, 1)
            a = builder.fmul(x, pv)
            rows[0] = builder.insert_element(rows[0], a, ir.Constant(_I32, k))
            if with_factor:
                rows[1] = builder.insert_element(rows[1], builder.fmul(a, _load(builder, at.f, q, 1)), ir.Constant(_I32, k))
            bits = builder.or_(builder.bitcast(x, _I64), builder.bitcast(pv, _I64))
            builder.store(builder.or_(builder.load(signs1), bits), signs1)
        for arr in range(arrays):
            builder.store(builder.fadd(builder.load(acc[arr]), rows[arr]), acc[arr])
    bad = builder.or_(_negative(builder, builder.load(signs), 4), _negative(builder, builder.load(signs1), 1))
    outs = [sl.out_e, sl.out_c] if with_factor else [sl.out_e]
    for arr in range(arrays):
        v = builder.load(acc[arr])
        _store(builder, v, outs[arr], k0, 4)
        bad = builder.or_(bad, _not_finite(builder, v, 4))
    return builder.not_(bad)


def _two_fuel_quad(builder, sl: _Slice, k0, with_factor: bool):
    """Two fuels, the 4 sectors k0 … k0 + 3 of the block in one row loop; returns i1 "clean".

    As :func:`_one_fuel_quad`, with 2 rows a step: per sector one 4-lane load of e (and f) holds
    rows r and r + 1, P[r], P[r + 1] are widened to match, and the products of sectors k and
    k + 1 are regrouped into one vector per row with lanes (k, fuel 0), (k, fuel 1),
    (k + 1, fuel 0), (k + 1, fuel 1), added in row order to accumulators in that lane order (which
    is also the order of those sectors' output rows).  Against two sectors interleaved as 2-lane
    chains, 0.41-0.44 ns per element against 0.43-0.52 (8 sectors × 100 rows in L1, one thread,
    on a machine shared with another job).  Each 2-row step also prefetches the next 4 sectors'
    rows (:func:`_prefetch_next_group`).

    It is bound by its own instructions, ~0.42-0.46 ns per element wherever the data is (8
    sectors × 100 rows in L1, in L2, and the 5 MB 41 × 32 × 10 × 10 tensor in L3; a read-only pass
    reads that one at ~0.28).  Issue 13 variants measured in one process, alternated, none more
    than ~10 % faster (the ORs and the prefetch each cost 5-10 % in L1, less from L3): without the
    screen's ORs, without the prefetch, P widened by two broadcasts (LLVM folds them back into a
    2-lane load and ``vpermpd``), no regrouping shuffles (wrong sums, for
    timing only), each row's vector built from two 2-lane loads of two sectors instead, 4 rows a
    step.
    """
    intp = sl.n_rows.type

    def c(v):
        return ir.Constant(intp, v)

    def shuf(x, y, mask):
        return _shuffle(builder, x, y, mask)

    arrays = 2 if with_factor else 1
    acc = [[cgutils.alloca_once_value(builder, _zero(4)) for _ in range(2)] for _ in range(arrays)]
    signs = cgutils.alloca_once_value(builder, _izero(4))
    secs = [sl.sector(builder, builder.add(k0, c(k))) for k in range(4)]
    n2 = builder.and_(sl.n_rows, c(-2))

    def step(r, rows):
        t = builder.mul(r, c(2), flags=["nsw"])
        w = 2 * rows
        prods = [[] for _ in range(arrays)]
        bits = []
        for at in secs:
            pv = _load(builder, at.p, r, rows)
            pe = shuf(pv, pv, [0, 0, 1, 1]) if rows == 2 else _splat(builder, pv, 2)
            x = _load(builder, at.e, t, w)
            a = builder.fmul(x, pe)
            prods[0].append(a)
            if with_factor:
                prods[1].append(builder.fmul(a, _load(builder, at.f, t, w)))
            bits.append(builder.or_(builder.bitcast(x, _it(w)), builder.bitcast(pe, _it(w))))
        bits = _or_tree(builder, bits)
        if rows == 1:
            bits = shuf(bits, bits, [0, 1, 0, 1])
        builder.store(builder.or_(builder.load(signs), bits), signs)
        for arr in range(arrays):
            for pair in range(2):
                a0, a1 = prods[arr][2 * pair], prods[arr][2 * pair + 1]
                s = builder.load(acc[arr][pair])
                if rows == 2:
                    s = builder.fadd(s, shuf(a0, a1, [0, 1, 4, 5]))
                    s = builder.fadd(s, shuf(a0, a1, [2, 3, 6, 7]))
                else:
                    s = builder.fadd(s, shuf(a0, a1, [0, 1, 2, 3]))
                builder.store(s, acc[arr][pair])

    with cgutils.for_range_slice(builder, c(0), n2, c(2)) as (r, _):
        _prefetch_next_group(builder, secs[0], sl.n_rows, 2, r, 2, with_factor)
        step(r, 2)
    with cgutils.for_range_slice(builder, n2, sl.n_rows, c(1)) as (r, _):
        step(r, 1)
    bad = _negative(builder, builder.load(signs), 4)
    outs = [sl.out_e, sl.out_c] if with_factor else [sl.out_e]
    for arr in range(arrays):
        for pair in range(2):  # lanes (sector, fuel) of two sectors: adjacent outputs
            v = builder.load(acc[arr][pair])
            _store(builder, v, outs[arr], builder.mul(builder.add(k0, c(2 * pair)), c(2)), 4)
            bad = builder.or_(bad, _not_finite(builder, v, 4))
    return builder.not_(bad)


def _register_block(builder, sl: _Slice, n_sect, n_fuel: int, with_factor: bool):
    """All ``n_sect`` (<= SECTOR_BLOCK) sectors of the block at ``n_fuel`` fuels; returns i1
    "clean".  One or two fuels: groups of 4 sectors together (:func:`_one_fuel_quad`,
    :func:`_two_fuel_quad`), the other sectors one by one (:func:`_register_loop`); three fuels:
    pairs of sectors, then the last one alone (:func:`_three_fuel_loop`); 4 or more fuels: one by
    one (:func:`_register_loop`)."""
    intp = n_sect.type

    def c(v):
        return ir.Constant(intp, v)

    clean = cgutils.alloca_once_value(builder, cgutils.true_bit)

    def run(ok):
        builder.store(builder.and_(builder.load(clean), ok), clean)

    k = c(0)
    if n_fuel <= 2:
        quad = _one_fuel_quad if n_fuel == 1 else _two_fuel_quad
        k = builder.and_(n_sect, c(-4))
        with cgutils.for_range_slice(builder, c(0), k, c(4)) as (k0, _):
            run(quad(builder, sl, k0, with_factor))
    if n_fuel == 3:  # pairs of sectors, then the last one alone
        k2 = builder.and_(n_sect, c(-2))
        with cgutils.for_range_slice(builder, k, k2, c(2)) as (k0, _):
            run(_three_fuel_loop(builder, sl, with_factor, [k0, builder.add(k0, c(1))]))
        with builder.if_then(builder.icmp_signed("<", k2, n_sect)):
            run(_three_fuel_loop(builder, sl, with_factor, [k2]))
        return builder.load(clean)
    with cgutils.for_range_slice(builder, k, n_sect, c(1)) as (k0, _):
        run(_register_loop(builder, sl, n_fuel, with_factor, k0))
    return builder.load(clean)


def _register_codegen(with_factor: bool):
    def codegen(context, builder, sig, args):
        # One switch on the fuel count, one block of loops of compile-time width per case: N picks
        # its loops once per work item.  The caller guarantees 0 <= N <= MAX_REGISTER_FUELS and
        # 1 <= sectors <= SECTOR_BLOCK.
        sl = _Slice(context, builder, sig, args, with_factor)
        n_sect = sl.n_sect
        result = cgutils.alloca_once_value(builder, cgutils.false_bit)
        done = builder.append_basic_block("fuels.done")
        default = builder.append_basic_block("fuels.other")
        switch = builder.switch(sl.n_n, default)
        for n in range(1, MAX_REGISTER_FUELS + 1):
            block = builder.append_basic_block(f"fuels.{n}")
            switch.add_case(ir.Constant(sl.n_n.type, n), block)
            builder.position_at_end(block)
            builder.store(_register_block(builder, sl, n_sect, n, with_factor), result)
            builder.branch(done)
        # No fuels: nothing to sum, clean (as a loop over no fuels); any other N (a caller's
        # error) is "not clean", so the caller rescans rather than trusting unwritten outputs.
        builder.position_at_end(default)
        builder.store(builder.icmp_unsigned("==", sl.n_n, ir.Constant(sl.n_n.type, 0)), result)
        builder.branch(done)
        builder.position_at_end(done)
        return builder.load(result)

    return codegen


def _stream_codegen(with_factor: bool, rows_per_step: int = STREAM_ROWS):
    # lanes of the main vector; the remainder of N mod 8 goes in one 4-, 2- and 1-lane piece.  8
    # lanes, against 4 before: half the accumulator loads and stores per row.  Issue 13,
    # 2026-12-04, fuel sweep at 33-64 fuels on one quiet AVX-512 VM, each variant with its own
    # fresh numba cache, ro/k medians: 4 lanes 0.72-0.79 (1 thread) and 0.74-0.81 (2 threads) on
    # 16 x 16, 8 lanes 0.86-0.89 and 0.84-0.89; with AVX2-only code (NUMBA_CPU_NAME=haswell) worst
    # 0.69 -> 0.80.  16 lanes, paired with 8: 0.78-0.84 against 0.86-0.89 (one thread, 16 x 16).
    W = 8

    def codegen(context, builder, sig, args):
        # the block's sectors one after another, each its own streamed pass
        block = _Slice(context, builder, sig, args, with_factor)
        clean = cgutils.alloca_once_value(builder, cgutils.true_bit)
        with cgutils.for_range(builder, block.n_sect) as loop:
            sl = block.sector(builder, loop.index)
            builder.store(builder.and_(builder.load(clean), sector_pass(builder, sl)), clean)
        return builder.load(clean)

    def sector_pass(builder, sl):
        n_n = sl.n_n
        intp = n_n.type

        def c(v):
            return ir.Constant(intp, v)

        ws = (W, 4, 2, 1)
        signs = {w: cgutils.alloca_once_value(builder, _izero(w)) for w in ws}
        signs_p = cgutils.alloca_once_value(builder, _izero(1))
        with cgutils.for_range(builder, n_n) as loop:  # the output row is the accumulator
            builder.store(_zero(1), builder.gep(sl.out_e, [loop.index], inbounds=True))
            if with_factor:
                builder.store(_zero(1), builder.gep(sl.out_c, [loop.index], inbounds=True))
        n_main = builder.mul(builder.udiv(n_n, c(W)), c(W))

        def piece(rows, prs, idx, w):
            # one accumulator load and store for len(rows) rows, added in row order
            ae = _load(builder, sl.out_e, idx, w)
            ac = _load(builder, sl.out_c, idx, w) if with_factor else None
            bits = None
            for row, pr in zip(rows, prs):
                j = builder.add(row, idx)
                x = _load(builder, sl.e, j, w)
                a = builder.fmul(x, _splat(builder, pr, w))
                ae = builder.fadd(ae, a)
                if with_factor:
                    ac = builder.fadd(ac, builder.fmul(a, _load(builder, sl.f, j, w)))
                xb = builder.bitcast(x, _it(w))
                bits = xb if bits is None else builder.or_(bits, xb)
            _store(builder, ae, sl.out_e, idx, w)
            if with_factor:
                _store(builder, ac, sl.out_c, idx, w)
            builder.store(builder.or_(builder.load(signs[w]), bits), signs[w])

        def rows_step(r0, n_step):
            # hint the rows STREAM_PREFETCH_ROWS ahead into the caches, one prefetch per 64 bytes
            # of e (and f) that this step covers there
            if STREAM_PREFETCH_ROWS and software_prefetch():
                ahead = builder.mul(builder.add(r0, c(STREAM_PREFETCH_ROWS)), n_n)
                n_lines = builder.udiv(builder.add(builder.mul(n_n, c(n_step)), c(7)), c(8))
                with cgutils.for_range(builder, n_lines) as pl:
                    at = builder.add(ahead, builder.mul(pl.index, c(8)))
                    _prefetch(builder, sl.e, at)
                    if with_factor:
                        _prefetch(builder, sl.f, at)
            rows, prs = [], []
            for q in range(n_step):
                r = builder.add(r0, c(q))
                rows.append(builder.mul(r, n_n))
                pr = builder.load(builder.gep(sl.p, [r], inbounds=True))
                prs.append(pr)
                builder.store(builder.or_(builder.load(signs_p), builder.bitcast(pr, _I64)), signs_p)
            with cgutils.for_range_slice(builder, c(0), n_main, c(W)) as (k, _):
                piece(rows, prs, k, W)
            n0 = n_main
            for w in ws[1:]:
                has = builder.icmp_unsigned("!=", builder.and_(n_n, c(w)), c(0))
                with builder.if_then(has):
                    piece(rows, prs, n0, w)
                n0 = builder.select(has, builder.add(n0, c(w)), n0)

        n_steps = builder.udiv(sl.n_rows, c(rows_per_step))
        with cgutils.for_range(builder, n_steps) as loop:
            rows_step(builder.mul(loop.index, c(rows_per_step)), rows_per_step)
        with cgutils.for_range_slice(builder, builder.mul(n_steps, c(rows_per_step)), sl.n_rows, c(1)) as (r, _):
            rows_step(r, 1)
        bad = _negative(builder, builder.load(signs_p), 1)
        for w in ws:
            bad = builder.or_(bad, _negative(builder, builder.load(signs[w]), w))
        flag = cgutils.alloca_once_value(builder, bad)
        with cgutils.for_range(builder, n_n) as loop:
            b = _not_finite(builder, builder.load(builder.gep(sl.out_e, [loop.index], inbounds=True)), 1)
            if with_factor:
                s = builder.load(builder.gep(sl.out_c, [loop.index], inbounds=True))
                b = builder.or_(b, _not_finite(builder, s, 1))
            builder.store(builder.or_(builder.load(flag), b), flag)
        return builder.not_(builder.load(flag))

    return codegen


def _make_pass(codegen, with_factor: bool, doc: str):
    if with_factor:

        @intrinsic
        def fuel_pass(typingctx, p, e, f, p_off, e_off, f_off, n_rows, n_n, energy, emissions, o_off, n_sect):
            arrays, ints = (p, e, f, energy, emissions), (p_off, e_off, f_off, n_rows, n_n, o_off, n_sect)
            if not all(map(_is_c_float64, arrays)) or not all(isinstance(t, types.Integer) for t in ints):
                return None
            i = types.intp  # integer arguments are cast to intp at the call
            return types.boolean(p, e, f, i, i, i, i, i, energy, emissions, i, i), codegen

    else:

        @intrinsic
        def fuel_pass(typingctx, p, e, p_off, e_off, n_rows, n_n, energy, o_off, n_sect):
            arrays, ints = (p, e, energy), (p_off, e_off, n_rows, n_n, o_off, n_sect)
            if not all(map(_is_c_float64, arrays)) or not all(isinstance(t, types.Integer) for t in ints):
                return None
            i = types.intp
            return types.boolean(p, e, i, i, i, i, energy, i, i), codegen

    fuel_pass.__doc__ = doc
    return fuel_pass


_ARGS = ("``(p, e, f, p_off, e_off, f_off, n_rows, n_n, energy, emissions, o_off, n_sect)``: the "
         "``n_sect`` (1 … SECTOR_BLOCK) consecutive sectors whose first slice starts at the offsets; returns "
         "True when the screen finds all their slices clean.  See the module docstring for the exact contract.")
fuel_register_pass = _make_pass(_register_codegen(True), True,
                                "Fused energy + emissions sums of a block of slices, N <= MAX_REGISTER_FUELS "
                                "fuels in registers: " + _ARGS)
fuel_stream_pass = _make_pass(_stream_codegen(True), True,
                              "Fused energy + emissions sums of a block of slices, any N, accumulating in the "
                              "output rows: " + _ARGS)
energy_register_pass = _make_pass(_register_codegen(False), False,
                                  "Energy-only :func:`fuel_register_pass`: ``(p, e, p_off, e_off, n_rows, "
                                  "n_n, energy, o_off, n_sect)``.")
energy_stream_pass = _make_pass(_stream_codegen(False), False,
                                "Energy-only :func:`fuel_stream_pass`: ``(p, e, p_off, e_off, n_rows, n_n, "
                                "energy, o_off, n_sect)``.")
