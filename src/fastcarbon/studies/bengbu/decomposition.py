"""Why Bengbu's industrial CO2 changed 2011–2020: LMDI-I of 000's Table 4 fuel use into the
effects of total energy, fuel mix and emission factors (Ang 2004, 2015)."""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["bengbu_decomposition"]

#: the units of the decomposition (the accounting's ``computed_co2``)
UNITS = "t CO2"


def bengbu_decomposition() -> xr.Dataset:
    """Bengbu's industrial CO2, 2011→2020 and year by year, split into the effects of total
    energy, fuel mix and emission factors.

    The identity is 000 eq. 1 over Table 4's eight fuels j,
    :math:`C = \\sum_j E\\,M_j\\,F_j` (:func:`fastcarbon.decompose.fuel_mix_factors`: total
    energy E, fuel share :math:`M_j = E_j/E`, Table 1 factor :math:`F_j` in t CO2/tce), and the
    additive LMDI-I effects (Ang 2004, 2015; :func:`fastcarbon.decompose.lmdi`)

    .. math::

        \\Delta C_k = \\sum_j L(C_j^T, C_j^0)\\,\\ln(x_{k,j}^T / x_{k,j}^0), \\qquad
        \\sum_k \\Delta C_k = C^T - C^0

    once from 2011 to 2020 (direct) and between consecutive years (chained).  Table 1's factors
    do not change over time, so the factor effect is exactly 0: the whole change is energy and
    fuel mix.  Fuels that go to or come from 0 (coke, kerosene in Table 4) take the analytical
    limits of Ang & Liu (2007).  The chained totals add up to the direct change; the chained
    effects of each factor do not have to add up to the direct ones (LMDI is not path
    independent), and the Dataset holds both.

    Returns
    -------
    xarray.Dataset
        In t CO2, for the direct pair the variables of :func:`~fastcarbon.decompose.lmdi`:
        ``effect`` (factor), ``effect_by`` (factor, fuel), ``total`` (2011→2020,
        :math:`C^T - C^0`), ``V_base``, ``V_target``, and ``index`` (factor: the multiplicative
        :math:`D_k`, whose product is :math:`C^T/C^0`); ``effect_yearly`` (factor, period),
        ``change_yearly`` (period) and ``effect_chained`` (factor: the sum of the yearly
        effects) for the chain; ``accounting_change``, the 2011→2020 change of
        :func:`fastcarbon.studies.bengbu.bengbu_accounting`'s ``computed_co2``, which
        ``total`` equals.  The ``summary`` attr gives the effects in Mt CO2.

    Examples
    --------
    >>> from fastcarbon.studies.bengbu import bengbu_decomposition
    >>> r = bengbu_decomposition()
    >>> r.factor.values.tolist()
    ['energy', 'mix', 'factor']
    >>> float(r.effect.sel(factor="factor"))
    0.0
    >>> bool(abs(r.effect.sum("factor") - r.accounting_change) < 1e-6 * abs(r.accounting_change))
    True
    >>> bool(abs(r.change_yearly.sum("period") - r.total) < 1e-6 * abs(r.total))
    True
    """
    from fastcarbon.datasets import bengbu
    from fastcarbon.decompose import fuel_mix_factors, lmdi
    from fastcarbon.studies.bengbu.reproduction import bengbu_accounting

    ds = bengbu()
    f = fuel_mix_factors(ds.fuel_use, ds.emission_factor, units=UNITS)
    over = f.attrs["over"].split()
    first, last = int(ds.year[0]), int(ds.year[-1])
    # the identity's left side, f.emissions, is the total lmdi checks the factors against
    common = dict(dim="year", over=over, identity=f.attrs["identity"])
    direct = lmdi(f, base=first, target=last, **common)  # scalar labels: one pair, no pair dim
    ratio = lmdi(f, base=first, target=last, kind="multiplicative", **common)
    chained = lmdi(f, chain=True, **common)
    computed = bengbu_accounting().computed_co2
    span = f"{first}-{last}"

    def named(da, long_name, units=UNITS):
        # the base/target coords of a pair and of a chain differ: the attrs say what was compared
        out = da.drop_vars(["base", "target"], errors="ignore")
        out.attrs = {"units": units, "long_name": long_name}
        return out

    out = xr.Dataset({
        "effect": named(direct.effect, f"LMDI-I effect on industrial CO2, {span}"),
        "effect_by": named(direct.effect_by, f"LMDI-I effect by fuel, {span}"),
        "total": named(direct.total, f"change of industrial CO2, {span}"),
        "V_base": named(direct.V_base, f"industrial CO2 emissions, {first}"),
        "V_target": named(direct.V_target, f"industrial CO2 emissions, {last}"),
        "index": named(ratio.effect, f"multiplicative LMDI-I index, {span} (product = C{last}/C{first})", "1"),
        "effect_yearly": named(chained.effect, "LMDI-I effect between consecutive years"),
        "change_yearly": named(chained.total, "change of industrial CO2 between consecutive years"),
        "effect_chained": named(chained.effect.sum("period"), f"sum of the yearly effects, {span}"),
        "accounting_change": named(computed.sel(year=last) - computed.sel(year=first),
                                   f"change of bengbu_accounting's computed_co2, {span}"),
    })
    out = out.drop_vars([c for c in out.coords if c not in ("factor", "fuel", "period")])
    mt = 1e-6
    eff = {str(k): float(v) * mt for k, v in zip(out.factor.values, out.effect.values)}
    chain = {str(k): float(v) * mt for k, v in zip(out.factor.values, out.effect_chained.values)}
    gap = float(out.change_yearly.sum("period") - out.total) / float(out.total)
    out.attrs.update(
        title="Bengbu industrial CO2 2011-2020: LMDI-I effects of total energy, fuel mix and factors (000 Table 4)",
        source=ds.attrs["source"], identity=f.attrs["identity"], base=first, target=last,
        quantity="industrial CO2 emissions",
        method="additive and multiplicative LMDI-I (Ang 2004, 2015; zeros by Ang & Liu 2007)",
        summary=[
            f"{span}: change {float(out.total) * mt:+.3f} Mt CO2 = energy {eff['energy']:+.3f} + fuel mix "
            f"{eff['mix']:+.3f} + factors {eff['factor']:+.3f} (Table 1 factors are constant)",
            f"year by year, summed: energy {chain['energy']:+.3f}, fuel mix {chain['mix']:+.3f}, factors "
            f"{chain['factor']:+.3f} Mt CO2; the yearly changes add up to the direct one (relative gap {gap:.1e})",
            f"indices {span}: " + ", ".join(f"{k} {float(v):.4f}" for k, v in zip(out.factor.values, out.index.values))
            + f" (product {float(np.prod(out.index.values)):.4f} = C{last}/C{first})",
        ],
    )
    return out


def bengbu_decomposition_table(ds: xr.Dataset) -> xr.Dataset:
    """One row per factor of :func:`bengbu_decomposition`: the direct 2011→2020 additive effect,
    the multiplicative index and the sum of the year-by-year effects (what ``fastcarbon run``
    prints and writes as CSV)."""
    units = ds.effect.attrs.get("units", "")
    return xr.Dataset(
        {
            "effect": ds.effect.assign_attrs(units=units, long_name="effect, 2011-2020 directly"),
            "index": ds["index"].assign_attrs(units="1", long_name="multiplicative index"),
            "effect_chained": ds.effect_chained.assign_attrs(units=units,
                                                             long_name="sum of the year-by-year effects"),
        }
    )
