"""References for the bottom-up accounting kernels.

All functions take plain numpy arrays in the layout of :func:`fastcarbon.core.bottom_up`
(``activity`` (..., M, I, J), ``intensity`` and ``factor`` (..., M, I, J, N)) and return
``(energy, emissions)`` by sector and fuel, shape (..., M, N), the leading dims being the
broadcast of all three inputs' (energy is broadcast along dims only the factor has).
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["REGISTRY", "bottom_up_loops", "bottom_up_einsum", "bottom_up_naive"]


def bottom_up_loops(activity, intensity, factor):
    """Plain Python loops in the kernels' summation order (i, then j, then n), so a kernel must
    match it bit for bit.  For small inputs only."""
    p, e, f = (np.asarray(x, dtype=np.float64) for x in (activity, intensity, factor))
    batch = np.broadcast_shapes(p.shape[:-3], e.shape[:-4], f.shape[:-4])
    p, e, f = (np.broadcast_to(x, batch + x.shape[-k:]) for x, k in ((p, 3), (e, 4), (f, 4)))
    n_m, n_i, n_j, n_n = e.shape[-4:]
    energy = np.zeros(batch + (n_m, n_n))
    emissions = np.zeros(batch + (n_m, n_n))
    for b in itertools.product(*(range(s) for s in batch)):
        for m in range(n_m):
            for i in range(n_i):
                for j in range(n_j):
                    pv = float(p[b + (m, i, j)])
                    for n in range(n_n):
                        en = float(e[b + (m, i, j, n)]) * pv
                        energy[b + (m, n)] += en
                        emissions[b + (m, n)] += en * float(f[b + (m, i, j, n)])
    return energy, emissions


def bottom_up_einsum(activity, intensity, factor):
    """``np.einsum`` without path optimisation: what a careful numpy user writes."""
    energy = np.einsum("...mij,...mijn->...mn", activity, intensity, optimize=False)
    emissions = np.einsum("...mij,...mijn,...mijn->...mn", activity, intensity, factor, optimize=False)
    return np.broadcast_to(energy, emissions.shape), emissions


def bottom_up_naive(activity, intensity, factor):
    """Naive broadcasting, ``(f * e * P[..., None]).sum(...)``: allocates tensor-sized temporaries."""
    en = intensity * activity[..., None]
    emissions = (factor * en).sum(axis=(-3, -2))
    return np.broadcast_to(en.sum(axis=(-3, -2)), emissions.shape), emissions


#: kernel family → {reference name: function}, merged into :data:`fastcarbon.reference.REGISTRY`
REGISTRY = {
    "bottom_up": {
        "loops": bottom_up_loops,
        "einsum": bottom_up_einsum,
        "naive": bottom_up_naive,
    },
}
