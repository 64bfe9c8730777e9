"""Emission accounting, labelled API (xarray).

- :func:`fuel_emissions` — fuel-based accounting: energy by fuel × emission factor (000 eq. 1,
  001 eq. 1), physical quantities converted through the unit system.
- :func:`bottom_up` — the industry × process × equipment × fuel tensor (001 eqs. 2–4): energy and
  CO2 with breakdowns by sector and fuel.
- :func:`potentials` — energy-saving and carbon-mitigation potentials against a reference
  scenario (001 eqs. 5–6) and each sector's share of the reduction.
"""

from fastcarbon.accounting.compare import potentials
from fastcarbon.accounting.fuel import fuel_emissions
from fastcarbon.accounting.tensor import bottom_up

__all__ = ["bottom_up", "fuel_emissions", "potentials"]
