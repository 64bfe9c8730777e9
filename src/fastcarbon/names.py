"""Fuel and sector names as people write them, and the fuel groups of each factor set.

Two shipped tables (data layer, no xarray):

- ``data/aliases.toml``: canonical labels (the fuel labels of :mod:`fastcarbon.factors`, the
  sector labels of the Chongqing study, the other rows of the China Energy Statistical Yearbook's
  energy balance) and the names that mean them: spellings, abbreviations (NG, LPG, HFO) and the
  yearbook's Chinese names (原煤, 洗精煤, 焦炭, 原油, 汽油, 煤油, 柴油, 燃料油, 液化石油气,
  天然气, 电力, 热力, ...).  Matching ignores case, surrounding spaces, full-width forms and the
  difference between spaces, underscores and hyphens (:func:`normalize`).
- ``data/fuel_groups.toml``: for each bundled factor set, which of its fuels a detailed fuel is
  charged at (hj2021: raw coal, washed coal, coke ... → ``coal``; gasoline, diesel, kerosene,
  fuel oil, LPG ... → ``refined_oil``; natural gas, LNG → ``natural_gas``), with the rationale in
  the file's comments.

:func:`fastcarbon.io.read_table` applies the aliases to a table's ``fuel`` and ``sector``
columns; :func:`fastcarbon.accounting.fuel_emissions` applies the groups with ``groups=True``.

Examples
--------
>>> from fastcarbon import names
>>> names.canonical(["Natural Gas", "LPG", "原煤", "fuel-oil", "柴油"], "fuel")
['natural_gas', 'lpg', 'coal', 'fuel_oil', 'diesel']
>>> groups = names.fuel_groups("hj2021")
>>> groups["cleaned_coal"], groups["coke"], groups["lpg"], groups["lng"]
('coal', 'coal', 'refined_oil', 'natural_gas')
>>> names.canonical(["natual gas"], "fuel")
Traceback (most recent call last):
...
fastcarbon.errors.UnknownLabelError: fuel: no canonical label for 'natual gas'; nearest labels: ['natural_gas', 'lng', 'other_gas']; known fuels: ['coal', 'cleaned_coal', 'other_washed_coal', 'briquettes', 'coke', 'coke_oven_gas', 'blast_furnace_gas', 'converter_gas', ... (30 in all)]. Use one of them, or pass your own mapping ({'natual gas': 'natural_gas'})
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from importlib import resources

from fastcarbon._format import show, show_list
from fastcarbon.errors import InputError, InputTypeError, UnknownLabelError

__all__ = ["KINDS", "normalize", "aliases", "canonical", "fuel_groups", "grouped_sets", "resolve_groups"]

#: The label kinds the shipped alias table covers (its TOML tables).
KINDS = ("fuel", "sector")

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalize(name) -> str:
    """The key a name is matched by: NFKC (full-width → ASCII), case-folded, trimmed, and runs of
    spaces, underscores and hyphens written as one ``_``.

    Examples
    --------
    >>> normalize("  Natural-Gas "), normalize("ＬＰＧ"), normalize("Fuel__oil")
    ('natural_gas', 'lpg', 'fuel_oil')
    """
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    return _SEPARATORS.sub("_", text).strip("_")


@functools.lru_cache(maxsize=None)
def _toml(name: str) -> dict:
    with resources.files("fastcarbon.data").joinpath(name).open("rb") as fh:
        return tomllib.load(fh)


def aliases(kind: str = "fuel") -> dict[str, str]:
    """The shipped alias table of ``kind`` (``"fuel"`` or ``"sector"``): every known name, as
    written in ``data/aliases.toml``, mapped to its canonical label (canonical labels map to
    themselves).  A new dict on each call."""
    table = _table(kind)
    out = {label: label for label in table}
    for label, names in table.items():
        out.update({n: label for n in names})
    return out


def _table(kind: str) -> dict[str, list[str]]:
    if not isinstance(kind, str) or kind not in KINDS:
        raise UnknownLabelError(f"kind: {show(kind)} has no alias table; tables: {list(KINDS)}")
    return _toml("aliases.toml")[kind]


def _lookup(kind: str | None, extra: Mapping | None) -> tuple[dict[str, str], list[str]]:
    """normalized name → canonical label, and the canonical labels, for the shipped table of
    ``kind`` (none if None) with ``extra`` (name → label) merged over it."""
    keys: dict[str, str] = {}
    labels: list[str] = []
    if kind is not None:
        for label, names in _table(kind).items():
            labels.append(label)
            keys[normalize(label)] = label
            keys.update({normalize(n): label for n in names})
    if extra is not None:
        if not isinstance(extra, Mapping):
            raise InputTypeError(
                f"aliases: a table must be a dict of name -> label, got {type(extra).__name__}"
            )
        for name, label in extra.items():
            labels.append(label) if label not in labels else None
            keys[normalize(name)] = label
            keys.setdefault(normalize(label), label)
    return keys, labels


def canonical(names: Iterable, kind: str | None = "fuel", extra: Mapping | None = None,
              *, what: str | None = None) -> list:
    """Each of ``names`` as its canonical label.

    Parameters
    ----------
    names : iterable
        Names as written in a table ("Natural Gas", "LPG", "原煤").
    kind : {"fuel", "sector"} or None
        The shipped table to use; None for ``extra`` alone.
    extra : dict, optional
        The caller's own name → label entries, merged over the shipped table (they win).
    what : str, optional
        The column the names come from, for messages (default: ``kind``).

    Returns
    -------
    list
        Canonical labels, in the order of ``names``.

    Raises
    ------
    UnknownLabelError
        A name matches no label: the message lists the nearest ones (:mod:`difflib` on the
        normalized names) and every known label.
    """
    keys, labels = _lookup(kind, extra)
    what = what or kind or "labels"
    out, unknown = [], []
    for name in names:
        label = keys.get(normalize(name))
        if label is None:
            unknown.append(name)
        out.append(label)
    if unknown:
        raise UnknownLabelError(_unknown_message(unknown, keys, labels, what, kind))
    return out


def _unknown_message(unknown: list, keys: dict, labels: list, what: str, kind: str | None) -> str:
    first = unknown[0]
    near = difflib.get_close_matches(normalize(first), list(keys), n=12, cutoff=0.5)
    nearest = list(dict.fromkeys(keys[k] for k in near))[:3]  # labels of the closest names
    others = f" (and {len(unknown) - 1} more: {show_list(unknown[1:], limit=5)})" if len(unknown) > 1 else ""
    kind_word = f"{kind}s" if kind else "labels"
    guess = nearest[0] if nearest else (labels[0] if labels else "label")
    return (
        f"{what}: no canonical label for {show(first)}{others}; nearest labels: "
        f"{show(nearest) if nearest else 'none close'}; known {kind_word}: {show_list(labels)}. "
        f"Use one of them, or pass your own mapping ({{{show(first)}: {show(guess)}}})"
    )


def fuel_groups(factor_set: str) -> dict[str, str]:
    """The shipped mapping detailed fuel → fuel of ``factor_set`` (``data/fuel_groups.toml``,
    whose comments give each set's source and rationale).  A new dict on each call.

    Raises
    ------
    UnknownLabelError
        ``factor_set`` has no shipped grouping (the message lists the sets that have one).
    """
    groups = _toml("fuel_groups.toml")
    if not isinstance(factor_set, str):
        raise InputTypeError(
            f"factor_set: expected a factor-set name, got {type(factor_set).__name__}; sets with "
            f"fuel groups: {grouped_sets()}"
        )
    if factor_set not in groups:
        raise UnknownLabelError(
            f"factor_set: {show(factor_set)} has no shipped fuel groups; sets with groups: "
            f"{grouped_sets()}. Pass your own mapping (detailed fuel -> the set's fuel) instead"
        )
    return dict(groups[factor_set])


def grouped_sets() -> list[str]:
    """The factor sets with a shipped fuel grouping, sorted."""
    return sorted(_toml("fuel_groups.toml"))


def resolve_groups(groups, factors, fuels: list, what: str = "groups") -> tuple[list, str]:
    """The factor label each of ``fuels`` is charged at under ``groups`` (True: the shipped
    grouping of the set ``factors`` names; a dict: detailed fuel → label), or an error naming the
    fuels that have none.  A fuel the mapping omits keeps its own label (so ``coal`` passes an
    hj2021 mapping that lists only the other fuels); the factors then need a value for it.
    Returns the labels and a description of the mapping for messages."""
    if groups is True:
        name = factors if isinstance(factors, str) else getattr(factors, "attrs", {}).get("name")
        if not isinstance(name, str) or name not in grouped_sets():
            raise InputError(
                f"{what}: groups=True uses the shipped grouping of a bundled factor set "
                f"({grouped_sets()}); the factors are {show(name) if name else 'user-supplied'}. "
                f"Pass groups as a dict (detailed fuel -> factor fuel) instead"
            )
        mapping, source = fuel_groups(name), f"the {name} grouping"
    elif isinstance(groups, Mapping):
        mapping, source = dict(groups), "groups"
    else:
        raise InputTypeError(
            f"{what}: expected None, True or a dict of detailed fuel -> factor fuel, got "
            f"{type(groups).__name__}"
        )
    return [mapping.get(f, f) for f in fuels], source
