"""Decomposition of changes, labelled API (xarray).

- :func:`lmdi` — LMDI-I (Ang 2004, 2005, 2015), additive and multiplicative, of the change of
  V = Σ_i Π_k x_{k,i} between years or scenarios into one effect per factor (activity,
  structure, intensity, fuel mix, emission factor...), with each sub-category's contribution,
  zero values by the limits of Ang & Liu (2007), for every region, scenario pair and draw at once.
- :func:`sector_identity`, :func:`fuel_mix_factors` (module ``identities``): the factors of the
  standard identities (activity × structure × intensity × mix × factor; total energy × fuel
  share × factor) from accounting and scenario data.
"""

from fastcarbon.decompose._lmdi import TotalMismatchError, lmdi
from fastcarbon.decompose.identities import fuel_mix_factors, sector_identity

__all__ = ["lmdi", "TotalMismatchError", "sector_identity", "fuel_mix_factors"]
