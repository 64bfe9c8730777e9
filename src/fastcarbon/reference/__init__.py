"""Slow, obviously-correct reference implementations, one module per kernel family.

The tests compare every kernel with these; the benchmarks time the fast baselines a user would
otherwise write.  :data:`REGISTRY` maps each kernel family to ``{reference name: function}`` so
both iterate over one list; each submodule contributes its own ``REGISTRY`` entries.
"""

from __future__ import annotations

from fastcarbon.reference import accounting as _accounting
from fastcarbon.reference import grey as _grey
from fastcarbon.reference import index as _index
from fastcarbon.reference import lmdi as _lmdi
from fastcarbon.reference import montecarlo as _montecarlo
from fastcarbon.reference import peaks as _peaks
from fastcarbon.reference import quantile as _quantile
from fastcarbon.reference.accounting import bottom_up_einsum, bottom_up_loops, bottom_up_naive
from fastcarbon.reference.index import entropy_loops, entropy_numpy
from fastcarbon.reference.peaks import peak_loops, peak_numpy
from fastcarbon.reference.quantile import quantile_loops, quantile_numpy, summarize_numpy

__all__ = [
    "REGISTRY", "bottom_up_loops", "bottom_up_einsum", "bottom_up_naive", "peak_loops", "peak_numpy",
    "entropy_loops", "entropy_numpy", "quantile_loops", "quantile_numpy", "summarize_numpy",
]

#: kernel family → {reference name: function}
REGISTRY: dict[str, dict] = {}
for _module in (_accounting, _peaks, _index, _grey, _montecarlo, _quantile, _lmdi):
    REGISTRY.update(_module.REGISTRY)
