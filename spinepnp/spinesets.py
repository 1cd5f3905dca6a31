"""Spine parameter sets (thin, mushroom, stubby, the paper's neck) with their sources.

The canonical table is :data:`SPINE_SETS` in this module, so an installed wheel always
has it (no package data needed). ``models/spines.json`` in a source checkout is a mirror
written by ``python -m spinepnp.spinesets --json models/spines.json``; a test checks that
the two agree. Users can keep their own sets in a JSON file of the same layout and load
them with ``load_spine_params(name, path=...)``.

Every spine is a cylindrical neck (length, diameter) and a spherical head (diameter;
the volume follows). Numbers are the means reported for adult rat hippocampal CA1
stratum radiatum spines by serial-section electron microscopy (Harris, Jensen & Tsao
1992), as tabulated e.g. by Alimohamadi et al. (2021); head diameters are those of a
sphere with the reported mean head volume. Neck diameters agree with the super-resolution
(STED) measurements in living tissue of Tonnesen et al. (2014), which found neck widths
mostly between about 50 and 200 nm, and with the cortical ranges of Arellano et al.
(2007). The stubby set is representative, not a measured mean (see its ``notes``).

References
----------
- Harris KM, Stevens JK (1989) Dendritic spines of CA1 pyramidal cells in the rat
  hippocampus: serial electron microscopy with reference to their biophysical
  characteristics. J Neurosci 9:2982-2997.
- Harris KM, Jensen FE, Tsao B (1992) Three-dimensional structure of dendritic spines
  and synapses in rat hippocampus (CA1) at postnatal day 15 and adult ages. J Neurosci
  12:2685-2705.
- Arellano JI, Benavides-Piccione R, DeFelipe J, Yuste R (2007) Ultrastructure of
  dendritic spines: correlation between synaptic and spine morphologies. Front Neurosci
  1:131-143.
- Tonnesen J, Katona G, Rozsa B, Nagerl UV (2014) Spine neck plasticity regulates
  compartmentalization of synapses. Nat Neurosci 17:678-685.
- Alimohamadi H, Bell MK, Halpain S, Rangamani P (2021) Mechanical principles governing
  the shapes of dendritic spines. Front Physiol (its Table 1 collects the values of
  Harris et al. 1992 used here).

Importing this module does not import NEURON.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from .constants import ZERO_CELSIUS
from .geometry import Cylinder, check_positive

__all__ = ["SpineParams", "SPINE_SETS", "spine_names", "load_spine_params",
           "spine_sets_json", "main"]


@dataclass(frozen=True)
class SpineParams:
    """Geometry of one spine: a cylindrical neck and a spherical head.

    Parameters
    ----------
    name : str
        Name of the set (``"thin"``, ...).
    neck_len : float
        Neck length [um].
    neck_diam : float
        Neck diameter [um].
    head_diam : float
        Head diameter [um] (a sphere).
    source : str
        Literature source of the numbers.
    notes : str
        What was measured and what was derived.
    celsius : float
        Temperature [degC] at which the set is calibrated: the neck resistance R0 and
        saturation current quoted for it (in ``source``, ``notes`` and the tables of
        the docs) are the steady law's at this temperature. A spine built from the set
        uses NEURON's ``h.celsius`` instead (R0 is proportional to the absolute
        temperature: 4.7 % lower at NEURON's default 6.3 degC than at 20 degC); its
        ``Spine.r0`` is the value at ``h.celsius``.
    """

    name: str
    neck_len: float
    neck_diam: float
    head_diam: float
    source: str = ""
    notes: str = ""
    celsius: float = 20.0

    def __post_init__(self):
        for field in ("neck_len", "neck_diam", "head_diam"):
            object.__setattr__(self, field, check_positive(
                f"{self.name}.{field}", getattr(self, field), "um"))
        try:
            celsius = float(self.celsius)
        except (TypeError, ValueError):
            celsius = math.nan
        if not (math.isfinite(celsius) and celsius > -ZERO_CELSIUS):
            raise ValueError(f"{self.name}.celsius = {self.celsius!r}: give the calibration "
                             f"temperature in degrees Celsius (above -{ZERO_CELSIUS})")
        object.__setattr__(self, "celsius", celsius)

    @property
    def head_volume(self) -> float:
        """Head volume pi d^3 / 6 [um3]."""
        return math.pi * self.head_diam ** 3 / 6.0

    @property
    def head_area(self) -> float:
        """Head membrane area pi d^2 [um2] (a sphere)."""
        return math.pi * self.head_diam ** 2

    @property
    def neck(self) -> Cylinder:
        """The neck as a :class:`spinepnp.geometry.Cylinder` (for :mod:`spinepnp.laws`)."""
        return Cylinder(self.neck_len, self.neck_diam / 2.0)

    def replace(self, **changes) -> "SpineParams":
        """A copy with some fields changed (e.g. ``neck_diam=0.08``) [um]."""
        d = asdict(self)
        d.update(changes)
        return SpineParams(**d)


def _diam_of_volume(volume_um3: float) -> float:
    return (6.0 * volume_um3 / math.pi) ** (1.0 / 3.0)


_HJT = ("Harris, Jensen & Tsao 1992 J Neurosci 12:2685 (adult CA1), via Alimohamadi et al. "
        "2021 Table 1")

#: The canonical spine sets. Lengths in um.
SPINE_SETS: dict[str, SpineParams] = {
    "thin": SpineParams(
        "thin", neck_len=0.51, neck_diam=0.10, head_diam=round(_diam_of_volume(0.03), 4),
        source=_HJT + "; neck width consistent with Tonnesen et al. 2014 Nat Neurosci "
        "17:678 and Harris & Stevens 1989 J Neurosci 9:2982",
        notes="means: neck length 0.51 +- 0.34 um, neck diameter 0.10 +- 0.03 um, head "
              "volume 0.03 um3 (head_diam is the sphere of that volume)"),
    "mushroom": SpineParams(
        "mushroom", neck_len=0.43, neck_diam=0.20,
        head_diam=round(_diam_of_volume(0.27), 4),
        source=_HJT + "; Arellano et al. 2007 Front Neurosci 1:131 for the cortical range",
        notes="means: neck length 0.43 +- 0.21 um, neck diameter 0.20 +- 0.07 um, head "
              "volume 0.27 +- 0.13 um3 (head_diam is the sphere of that volume)"),
    "stubby": SpineParams(
        "stubby", neck_len=0.20, neck_diam=0.40, head_diam=0.60,
        source="Harris, Jensen & Tsao 1992 J Neurosci 12:2685 (classification: stubby "
               "spines have no neck constriction, length about equal to width); Arellano "
               "et al. 2007 Front Neurosci 1:131",
        notes="representative values, not measured means: stubby spines have no distinct "
              "neck, modelled as a short wide neck (0.2 um x 0.4 um) under a 0.6 um head"),
    "paper": SpineParams(
        "paper", neck_len=1.0, neck_diam=0.10, head_diam=0.50,
        source="the electro-diffusion paper, Table I, and docs/guide/laws.rst "
               "(typical numbers): r0 = 50 nm, L = 1 um (R0 = 75 MOhm, I_s = 337 pA at 20 degC)",
        notes="the paper's reference neck; head diameter 0.5 um is our choice (the steady "
              "law does not depend on it)"),
}


def spine_names() -> list[str]:
    """Names of the built-in spine sets."""
    return list(SPINE_SETS)


def _from_json(path) -> dict[str, SpineParams]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read spine sets from {path}: {exc}") from None
    sets = data.get("spines", data) if isinstance(data, dict) else None
    if not isinstance(sets, dict):
        raise ValueError(f"{path}: expected {{'spines': {{name: {{neck_len, neck_diam, "
                         "head_diam, ...}}}} (lengths in um)")
    return {name: _from_row(name, row, f"{path}: spine {name!r}")
            for name, row in sets.items()}


_FIELDS = ("neck_len", "neck_diam", "head_diam", "source", "notes", "celsius")


def _from_row(name, row, where) -> SpineParams:
    """A SpineParams from a mapping of its fields (``head_volume`` is derived, skipped)."""
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a dict of {', '.join(_FIELDS)} (lengths in "
                         f"um), not {row!r}")
    extra = set(row) - set(_FIELDS) - {"name", "head_volume"}
    if extra:
        raise ValueError(f"{where} has unknown fields {sorted(extra)}; known: "
                         f"{', '.join(_FIELDS)}")
    missing = [k for k in ("neck_len", "neck_diam", "head_diam") if k not in row]
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)} [um]")
    return SpineParams(name=str(row.get("name", name)),
                       **{k: row[k] for k in _FIELDS if k in row})


def load_spine_params(name, path=None) -> SpineParams:
    """Spine geometry by name.

    Parameters
    ----------
    name : str, SpineParams or dict
        ``"thin"``, ``"mushroom"``, ``"stubby"`` or ``"paper"`` (case-insensitive); a
        :class:`SpineParams` is returned unchanged; a dict of its fields
        (``neck_len``, ``neck_diam``, ``head_diam`` [um], optionally ``name``,
        ``source``, ``notes``, ``celsius``) makes one (named ``"custom"`` unless given).
    path : str or Path, optional
        A JSON file with more sets, laid out like ``models/spines.json``; its names are
        looked up first.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid names), or a dict with unknown,
        missing or invalid fields.
    """
    if isinstance(name, SpineParams):
        return name
    if isinstance(name, dict):
        return _from_row("custom", name, "spine params dict")
    sets = dict(SPINE_SETS)
    if path is not None:
        sets.update(_from_json(path))
    key = str(name).strip()
    if key not in sets and key.lower() in sets:
        key = key.lower()
    if key not in sets:
        raise ValueError(f"unknown spine set {name!r}; valid names: "
                         f"{', '.join(sorted(sets))}")
    return sets[key]


def spine_sets_json() -> str:
    """The canonical table as JSON text (what ``models/spines.json`` holds)."""
    rows = {}
    for name, p in SPINE_SETS.items():
        d = asdict(p)
        d.pop("name")
        d["head_volume"] = round(p.head_volume, 6)
        rows[name] = d
    doc = {"units": {"neck_len": "um", "neck_diam": "um", "head_diam": "um",
                     "head_volume": "um3 (derived: pi head_diam^3 / 6)",
                     "celsius": "degC (calibration temperature of the quoted R0, I_s)"},
           "generated_by": "python -m spinepnp.spinesets --json models/spines.json",
           "spines": rows}
    return json.dumps(doc, indent=2) + "\n"


def main(argv=None) -> int:
    """Print the spine sets, or write them as JSON (``--json PATH``)."""
    p = argparse.ArgumentParser(prog="python -m spinepnp.spinesets",
                                description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--json", metavar="PATH", default=None,
                   help="write the table as JSON to PATH (atomically) instead of printing")
    args = p.parse_args(argv)
    if args.json:
        from .io import write_text_atomic
        write_text_atomic(args.json, spine_sets_json())
        return 0
    for s in SPINE_SETS.values():
        print(f"{s.name:9s} neck {s.neck_len:.2f} um x {s.neck_diam:.2f} um, head "
              f"{s.head_diam:.3f} um ({s.head_volume:.3f} um3)  [{s.source}]")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
