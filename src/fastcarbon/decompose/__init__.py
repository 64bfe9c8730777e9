"""Why emissions change: LMDI-I decomposition (labelled API).

- :func:`sector_identity`, :func:`fuel_mix_factors` (module ``identities``): the factors of the
  standard identities (activity × structure × intensity × mix × factor; total energy × fuel
  share × factor) from accounting and scenario data.
"""

from fastcarbon.decompose.identities import fuel_mix_factors, sector_identity

__all__ = ["sector_identity", "fuel_mix_factors"]
