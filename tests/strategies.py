"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Non-negative, finite, and bounded so products and sums stay far from overflow.
nonneg = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
signed = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def core_shapes(draw, max_side: int = 4, max_fuels: int = 9):
    """(M, I, J, N) with small sides; up to 9 fuels so the kernels' 8-wide fuel block and its
    narrower tails (4, 2, 1) are all drawn."""
    return tuple(draw(st.integers(1, max_side)) for _ in range(3)) + (draw(st.integers(1, max_fuels)),)


@st.composite
def batch_shapes(draw, max_dims: int = 2, max_side: int = 3):
    """Three mutually broadcastable leading shapes for activity, intensity and factor."""
    full = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side))
    out = []
    for _ in range(3):
        keep = draw(st.integers(0, len(full)))  # drop some leading dims, set others to 1
        shape = tuple(s if draw(st.booleans()) else 1 for s in full[len(full) - keep :])
        out.append(shape)
    return out


@st.composite
def tensor_inputs(draw, factor_elements=signed):
    """(activity, intensity, factor) numpy arrays with broadcastable batch dims."""
    m, i, j, n = draw(core_shapes())
    bp, be, bf = draw(batch_shapes())
    p = draw(hnp.arrays(np.float64, bp + (m, i, j), elements=nonneg))
    e = draw(hnp.arrays(np.float64, be + (m, i, j, n), elements=nonneg))
    f = draw(hnp.arrays(np.float64, bf + (m, i, j, n), elements=factor_elements))
    return p, e, f
