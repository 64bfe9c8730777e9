"""Indicator weighting, labelled API (xarray) (000, eqs. 2–8).

- :func:`entropy_weights` — entropy-weight method with positive and negative indicators: weights,
  entropies, difference coefficients and the standardized data, each batch item (city, scenario,
  draw) standardized over its own rows (000 eqs. 2–7).
- :func:`obstacle_degree` — obstacle degree ("resistance") of each indicator in each row, its
  ranking, and how often each indicator is the main obstacle (000 eq. 8, Fig. 2).

The numpy API is :mod:`fastcarbon.core.entropy`, the kernels :mod:`fastcarbon.kernels.entropy`.
"""

from fastcarbon.index.entropy import entropy_weights
from fastcarbon.index.obstacle import obstacle_degree

__all__ = ["entropy_weights", "obstacle_degree"]
