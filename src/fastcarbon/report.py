"""Reproductions of published results, each returning a labelled Dataset (used by ``fastcarbon run``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import xarray as xr

__all__ = ["bengbu_accounting", "Job", "JOBS"]


def bengbu_accounting() -> xr.Dataset:
    """Bengbu industrial emissions 2011–2020 recomputed from Table 4 fuel use and Table 1 factors.

    ``computed`` = Σ fuel × carbon emission factor (000 eq. 1), in t C; ``computed_co2`` the same
    in t CO2 (× 44/12 through the unit system); ``printed`` = Table 4's CE; ``gap`` =
    (printed − computed) / computed.  The printed CE sits 0.2–1.2 % above the recomputed sum in
    every year; the paper does not say why (rounding of the fuel columns to 0.001 × 10^4 tce
    moves the sum by < 0.01 %, so it cannot explain 1.2 %), so the gap is reported, not fudged.
    Measured (printed − computed)/computed, 2011 to 2020: +0.60, +1.24, +0.90, +0.79, +0.85,
    +1.00, +0.62, +0.81, +0.49, +0.20 %; 2011: computed 309.001 × 10^4 t C, printed 310.843.

    Examples
    --------
    >>> from fastcarbon.report import bengbu_accounting
    >>> r = bengbu_accounting()
    >>> bool(((r.gap > 0.0019) & (r.gap < 0.0125)).all())
    True
    """
    from fastcarbon.accounting import fuel_emissions
    from fastcarbon.datasets import bengbu

    ds = bengbu()
    carbon = fuel_emissions(ds.fuel_use, "bengbu2023", units="t C").emissions
    co2 = fuel_emissions(ds.fuel_use, "bengbu2023", units="t CO2").emissions
    printed = ds.ce_printed
    out = xr.Dataset(
        {
            "computed": carbon.assign_attrs(long_name="sum of fuel use x Table 1 carbon factor"),
            "computed_co2": co2.assign_attrs(long_name="the same as CO2"),
            "printed": printed,
            "gap": ((printed - carbon) / carbon).assign_attrs(
                units="1", long_name="relative gap (printed - computed) / computed"
            ),
        }
    )
    out.attrs.update(title="Bengbu fuel accounting: recomputed vs printed (000 eq. 1, Tables 1 and 4)",
                     source=ds.attrs["source"])
    return out


class Job(NamedTuple):
    """One job of ``fastcarbon run``: ``run()`` returns a Dataset over one dim, written as
    ``<name>.nc`` and ``<name>.csv`` and printed under ``title``."""

    name: str
    title: str
    run: Callable[[], xr.Dataset]


#: the jobs of ``fastcarbon run``, in order; later reproductions append here
JOBS: list[Job] = [
    Job(
        "bengbu_accounting",
        "Bengbu industrial carbon emissions, recomputed (000 eq. 1) vs printed (Table 4)",
        bengbu_accounting,
    ),
]
