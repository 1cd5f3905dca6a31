"""Ionic species of the PNP solver."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Species", "default_species", "check_species"]


@dataclass(frozen=True)
class Species:
    """One ionic species.

    Parameters
    ----------
    name : str
        Unique name (used as the key of ``solution.c``), e.g. ``"na"``.
    z : int
        Valence [1], non-zero.
    diffusion : float
        Diffusion coefficient [um2/ms] (1.33 um2/ms = 1.33e-9 m2/s for Na+), >= 0.
        Zero makes the species an immobile (fixed) background: it carries no flux and
        keeps its bulk concentration everywhere, as the impermeant anions of cytoplasm
        (proteins, nucleotides, metabolites) do on the time scales of a spine.
    conc : float
        Bulk concentration at the dendrite end [mM], >= 0.
    """

    name: str
    z: int
    diffusion: float
    conc: float

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"Species name {self.name!r} must be a non-empty string")
        try:
            z = int(self.z)
        except (TypeError, ValueError):
            raise ValueError(f"Species {self.name!r}: valence z = {self.z!r} is not an "
                             "integer") from None
        if z != self.z or z == 0:
            raise ValueError(f"Species {self.name!r}: valence z = {self.z!r} must be a "
                             "non-zero integer (e.g. 1 for Na+, -1 for Cl-)")
        for attr, unit, strict in (("diffusion", "um2/ms", False), ("conc", "mM", False)):
            val = getattr(self, attr)
            try:
                v = float(val)
            except (TypeError, ValueError):
                raise ValueError(f"Species {self.name!r}: {attr} = {val!r} is not a "
                                 f"number [{unit}]") from None
            if not math.isfinite(v) or v < 0 or (strict and v == 0):
                raise ValueError(f"Species {self.name!r}: {attr} = {val!r} {unit} must be "
                                 f"finite and {'> 0' if strict else '>= 0'}")
            object.__setattr__(self, attr, v)
        object.__setattr__(self, "z", z)


def default_species():
    """Na+, K+ and a monovalent anion at the paper's Table I values.

    Na+ 12 mM (D = 1.33 um2/ms), K+ 155 mM (1.96 um2/ms), anion 167 mM (2.03 um2/ms, the
    value of Cl-), so the bulk is electroneutral.
    """
    return [Species("na", 1, 1.33, 12.0), Species("k", 1, 1.96, 155.0),
            Species("a", -1, 2.03, 167.0)]


def check_species(species, carrier):
    """Validate a species list and the carrier name; return (list, carrier index).

    Raises
    ------
    ValueError
        If the list is empty, names repeat, the bulk is not electroneutral, the carrier is
        not one of the species or is immobile, no mobile species has a positive
        concentration, or no species has a positive concentration.
    """
    if species is None:
        species = default_species()
    try:
        sp = list(species)
    except TypeError:
        raise ValueError(f"species = {species!r} must be a list of Species") from None
    if len(sp) < 2:
        raise ValueError(f"need at least two species (a cation and an anion), got {len(sp)}")
    for s in sp:
        if not isinstance(s, Species):
            raise ValueError(f"{s!r} is not a spinepnp.pnp.Species")
    names = [s.name for s in sp]
    if len(set(names)) != len(names):
        raise ValueError(f"species names must be unique, got {names}")
    charge = sum(s.z * s.conc for s in sp)
    scale = sum(abs(s.z) * s.conc for s in sp)
    if not scale > 0:
        raise ValueError("all bulk concentrations are zero: give at least one salt")
    if abs(charge) > 1e-9 * scale:
        raise ValueError(f"the bulk is not electroneutral: sum z c = {charge:g} mM "
                         f"(species {', '.join(f'{s.name}: z={s.z}, {s.conc:g} mM' for s in sp)}); "
                         "adjust the concentrations so cations balance anions")
    if carrier not in names:
        raise ValueError(f"carrier {carrier!r} is not one of the species {names}")
    k = names.index(carrier)
    if sp[k].diffusion == 0:
        raise ValueError(f"carrier {carrier!r} is immobile (diffusion = 0 um2/ms) and "
                         "cannot carry the injected current: give it a diffusion "
                         "coefficient > 0 or choose a mobile carrier")
    if not any(s.diffusion > 0 and s.conc > 0 for s in sp):
        raise ValueError("no mobile species has a positive bulk concentration: the neck "
                         "would not conduct; give at least one species diffusion > 0 "
                         "and conc > 0")
    return sp, k
