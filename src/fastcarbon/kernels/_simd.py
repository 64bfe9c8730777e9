"""Fuel-block sums written as LLVM vector code: the inner loop of the bottom-up pass.

Why this exists
---------------
One bottom-up work item (a batch row b and a sector m) reduces an (rows, N) slice, rows = I·J::

    E[n] = Σ_r e[r, n] · P[r]          C[n] = Σ_r (e[r, n] · P[r]) · f[r, n]

The natural SIMD form keeps one vector accumulator whose lanes are the fuels n and walks the rows
r: each row is one vector load of e and of f, one broadcast of P[r], two multiplies, two adds.
Numba cannot be made to emit that.  Its loop vectorizer only works on the innermost loop (the
short fuel loop), where the accumulators live in the output array; since LLVM cannot prove that
the output does not alias the inputs, it re-checks aliasing on every row and keeps falling back to
scalar code, and numba leaves the SLP vectorizer off by default.  Measured on this module's
workload (8 fuels, 100 rows, cache-resident, one thread): 0.73 ns per tensor element for the best
plain-numba loop, 0.21 ns for the vector block below, against 0.16 ns for a bare vectorized read
of the same bytes.  On the 5.2e7-element benchmark tensor that is the difference between a
compute-bound kernel and one that runs at the memory-bandwidth limit.

What the block does, exactly
----------------------------
``block(p, e, f, p_off, e_off, f_off, n_rows, n_n, energy, emissions, o_off)`` with W lanes:

- for r = 0 … n_rows−1 in order:  ``a = e[e_off + r·n_n + (0…W−1)] · p[p_off + r]`` (lane-wise),
  ``accE = accE + a``, ``accC = accC + a · f[f_off + r·n_n + (0…W−1)]``;
- stores ``accE`` to ``energy[o_off … o_off+W−1]`` and ``accC`` to ``emissions[…]``;
- returns True ("clean") when no P[r] or e read has its sign bit set and every lane of ``accE``
  and ``accC`` is finite.  That is a cheap screen, not the final word: every NaN among P, e and f
  reaches the sums (NaN times or plus anything is NaN, also times 0), every infinity makes them
  ±inf or NaN (inf · 0, inf − inf), and every negative P or e has its sign bit set, so a slice
  with a bad value is never "clean"; but -0.0 also flags a clean slice, and so does a sum of
  finite values that overflows.  The caller therefore rescans a flagged slice with the exact rules
  (P, e finite and ≥ 0, f finite) before reporting anything, and then looks for an overflowed
  sum.  The screen costs two integer ORs per row; the exact compares in the loop cost 7 % more
  time on the large benchmark tensor (one thread, 24.7 against 23.2 ms).

Each lane is the same sequence of IEEE operations the scalar loop performs, in the same order,
with no fused multiply-add (the IR carries no fast-math or contraction flags), so the results are
bit-identical to a scalar ``for r: acc += x * p`` loop and do not depend on threads or chunking.
Offsets are in elements of the arrays' flat C-order data; the arrays must be C-contiguous float64
(anything else is a typing error).  The caller guarantees that the W lanes stay inside a row
(n0 + W ≤ N): there is no bounds check, as in any numba kernel.

The energy-only variant (``with_factor=False``) takes no ``f``/``emissions`` and computes E only.

Caching note: numba's on-disk cache keys a kernel on its own source file, not on this one; after
editing this module, clear ``__pycache__`` of :mod:`fastcarbon.kernels` to recompile.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["fuel_block_8", "fuel_block_4", "fuel_block_2", "fuel_block_1",
           "energy_block_8", "energy_block_4", "energy_block_2", "energy_block_1"]

_F64 = ir.DoubleType()
_I32 = ir.IntType(32)


def _is_c_float64(ty) -> bool:
    return isinstance(ty, types.Array) and ty.dtype == types.float64 and ty.layout == "C"


def _make_block(width: int, with_factor: bool):
    vec = ir.VectorType(_F64, width)
    vec_ptr = vec.as_pointer()
    int_vec = ir.VectorType(ir.IntType(64), width)
    zero = ir.Constant(vec, [0.0] * width)
    splat0 = ir.Constant(ir.VectorType(_I32, width), [0] * width)

    def codegen(context, builder, sig, args):
        if with_factor:
            p, e, f, p_off, e_off, f_off, n_rows, n_n, out_e, out_c, o_off = args
            tp, te, tf, *_rest, t_oe, t_oc, _ = sig.args
        else:
            p, e, p_off, e_off, n_rows, n_n, out_e, o_off = args
            tp, te, *_rest, t_oe, _ = sig.args

        # Imported here, at compile time: numba.np.arrayobj pulls in ~40 ms of numba's lowering
        # modules, which numba's target context loads anyway before it compiles anything.
        from numba.np.arrayobj import make_array

        def data(ty, val):
            return make_array(ty)(context, builder, val).data

        p_base = builder.gep(data(tp, p), [p_off], inbounds=True)
        e_base = builder.gep(data(te, e), [e_off], inbounds=True)
        f_base = builder.gep(data(tf, f), [f_off], inbounds=True) if with_factor else None
        # Entry-block allocas: LLVM promotes them to registers (mem2reg), so the accumulators are
        # vector registers for the whole row loop.
        acc_e = cgutils.alloca_once_value(builder, zero)
        acc_c = cgutils.alloca_once_value(builder, zero) if with_factor else None
        signs = cgutils.alloca_once_value(builder, ir.Constant(int_vec, [0] * width))
        undef = ir.Constant(vec, ir.Undefined)
        with cgutils.for_range(builder, n_rows) as loop:
            r = loop.index
            pr = builder.load(builder.gep(p_base, [r], inbounds=True))
            row = builder.mul(r, n_n, flags=["nsw"])
            x = builder.load(builder.bitcast(builder.gep(e_base, [row], inbounds=True), vec_ptr), align=8)
            pv = builder.shuffle_vector(builder.insert_element(undef, pr, ir.Constant(_I32, 0)), undef, splat0)
            a = builder.fmul(x, pv)
            builder.store(builder.fadd(builder.load(acc_e), a), acc_e)
            if with_factor:
                y = builder.load(builder.bitcast(builder.gep(f_base, [row], inbounds=True), vec_ptr), align=8)
                builder.store(builder.fadd(builder.load(acc_c), builder.fmul(a, y)), acc_c)
            # Sign bits of P and e, OR-ed: two integer ORs per row, cheaper than compares.
            bits = builder.or_(builder.bitcast(x, int_vec), builder.bitcast(pv, int_vec))
            builder.store(builder.or_(builder.load(signs), bits), signs)
        sum_e = builder.load(acc_e)
        builder.store(sum_e, builder.bitcast(builder.gep(data(t_oe, out_e), [o_off]), vec_ptr), align=8)
        # A NaN or an infinity anywhere in P, e (or f) reaches the sums as NaN or ±inf, and so does
        # an overflow of finite values: s - s is NaN exactly when s is not finite.  One subtract and
        # one compare per block, after the row loop.
        wild = builder.fcmp_unordered("uno", sum_e, builder.fsub(sum_e, sum_e))
        if with_factor:
            sum_c = builder.load(acc_c)
            builder.store(sum_c, builder.bitcast(builder.gep(data(t_oc, out_c), [o_off]), vec_ptr), align=8)
            wild = builder.or_(wild, builder.fcmp_unordered("uno", sum_c, builder.fsub(sum_c, sum_c)))
        negative = builder.icmp_signed("<", builder.load(signs), ir.Constant(int_vec, [0] * width))
        flagged = builder.bitcast(builder.or_(wild, negative), ir.IntType(width))
        return builder.icmp_unsigned("==", flagged, ir.Constant(ir.IntType(width), 0))

    if with_factor:

        @intrinsic
        def block(typingctx, p, e, f, p_off, e_off, f_off, n_rows, n_n, energy, emissions, o_off):
            arrays, ints = (p, e, f, energy, emissions), (p_off, e_off, f_off, n_rows, n_n, o_off)
            if not all(map(_is_c_float64, arrays)) or not all(isinstance(t, types.Integer) for t in ints):
                return None
            i = types.intp  # integer arguments are cast to intp at the call
            return types.boolean(p, e, f, i, i, i, i, i, energy, emissions, i), codegen

    else:

        @intrinsic
        def block(typingctx, p, e, p_off, e_off, n_rows, n_n, energy, o_off):
            arrays, ints = (p, e, energy), (p_off, e_off, n_rows, n_n, o_off)
            if not all(map(_is_c_float64, arrays)) or not all(isinstance(t, types.Integer) for t in ints):
                return None
            i = types.intp
            return types.boolean(p, e, i, i, i, i, energy, i), codegen

    block.__doc__ = (
        f"{width}-fuel block of the {'fused energy + emissions' if with_factor else 'energy-only'} "
        "bottom-up sums; see the module docstring for the exact contract."
    )
    return block


# Widths 8, 4, 2, 1 cover any fuel count with at most one call of each below 8 (N = 8q + r).
fuel_block_8 = _make_block(8, with_factor=True)
fuel_block_4 = _make_block(4, with_factor=True)
fuel_block_2 = _make_block(2, with_factor=True)
fuel_block_1 = _make_block(1, with_factor=True)
energy_block_8 = _make_block(8, with_factor=False)
energy_block_4 = _make_block(4, with_factor=False)
energy_block_2 = _make_block(2, with_factor=False)
energy_block_1 = _make_block(1, with_factor=False)
