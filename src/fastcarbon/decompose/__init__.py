"""Decomposition of changes, labelled API (xarray).

- :func:`lmdi` — LMDI-I (Ang 2004, 2005, 2015), additive and multiplicative, of the change of
  V = Σ_i Π_k x_{k,i} between years or scenarios into one effect per factor (activity,
  structure, intensity, fuel mix, emission factor...), with each sub-category's contribution,
  zero values by the limits of Ang & Liu (2007), for every region, scenario pair and draw at once.
"""

from fastcarbon.decompose._lmdi import TotalMismatchError, lmdi

__all__ = ["lmdi", "TotalMismatchError"]
