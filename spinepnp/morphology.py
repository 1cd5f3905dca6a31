"""Reconstructed morphologies: NEURON's demo pyramidal cell, SWC files, 3-D d_lambda.

- :func:`load_pyramid` loads ``share/nrn/demo/pyramid.nrn`` from the installed ``neuron``
  package (a rat pyramidal cell traced by ntscable: soma and 78 dendritic sections,
  5,350 um of dendrite). Nothing is downloaded; a missing file is a clear error.
- :func:`load_swc` reads an SWC file through NEURON's Import3d.
- :func:`set_nseg_d_lambda` sets each section's ``nseg`` by the d_lambda rule (Hines &
  Carnevale 2001) with the AC length constant integrated over the section's 3-D points,
  as NEURON's ``fixnseg.hoc`` does: a section that narrows along its length gets the
  segments its thin part needs, not those of its mean diameter.
- :func:`build_spiny_pyramid` makes that cell ready to run: passive dendrites, an hh
  soma, d_lambda segments and a :class:`spinepnp.population.SpinePopulation` on every
  dendrite.

NEURON's units: um, Ohm cm, uF/cm2, Hz.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .constants import DEFAULT_RA

__all__ = ["Morphology", "pyramid_path", "load_pyramid", "load_swc",
           "effective_diameter", "set_nseg_d_lambda", "SpinyPyramid",
           "build_spiny_pyramid"]


@dataclass
class Morphology:
    """A loaded cell: ``soma`` (Section), ``sections`` (all, soma first), ``dendrites``
    (all but soma and axon) and the file it came from."""

    soma: object
    sections: list
    dendrites: list
    source: str
    _keep: object = None

    @property
    def total_length(self) -> float:
        """Summed length of the dendrites [um]."""
        return float(sum(s.L for s in self.dendrites))


def pyramid_path() -> Path:
    """Path of ``pyramid.nrn`` in the installed neuron package (or FileNotFoundError)."""
    import neuron
    base = Path(neuron.__file__).resolve().parent
    tried = [base / ".data" / "share" / "nrn" / "demo" / "pyramid.nrn",
             base / "share" / "nrn" / "demo" / "pyramid.nrn"]
    try:
        from neuron import h
        tried.append(Path(h.neuronhome()) / "demo" / "pyramid.nrn")
    except Exception:       # noqa: BLE001 (neuronhome is optional)
        pass
    for path in tried:
        if path.is_file():
            return path
    raise FileNotFoundError(
        "NEURON's demo morphology pyramid.nrn is not in this neuron installation "
        f"(looked at {', '.join(str(p) for p in tried)}); install the neuron wheel from "
        "PyPI (pip install neuron), which ships share/nrn/demo/, or load your own "
        "reconstruction with spinepnp.morphology.load_swc")


def load_pyramid(ra: float = DEFAULT_RA, cm: float = 1.0) -> Morphology:
    """NEURON's demo pyramidal cell (``pyramid.nrn``), with ``Ra`` [Ohm cm] and ``cm``
    [uF/cm2] set on every section and ``nseg = 1`` (call :func:`set_nseg_d_lambda`).

    The file creates top-level sections ``soma`` and ``dendrite_1[..] .. dendrite_8[..]``;
    loading it again replaces them (one pyramid per process at a time).
    """
    from neuron import h
    path = pyramid_path()
    h.xopen(str(path))
    soma = h.soma
    secs = [soma] + [s for s in soma.wholetree() if s != soma]
    for s in secs:
        s.Ra, s.cm = float(ra), float(cm)
    return Morphology(soma, secs, secs[1:], str(path))


class _Cell:
    """Holder that Import3d fills with sections (soma, dend, apic, axon lists)."""

    def __init__(self, name):
        self._name = name

    def __str__(self):
        return self._name


def load_swc(path, name: str = "swc", ra: float = DEFAULT_RA, cm: float = 1.0) -> Morphology:
    """Read an SWC file with NEURON's Import3d into Sections named ``<name>.soma[0]``...

    Raises FileNotFoundError for a missing file and ValueError when Import3d finds no
    soma in it.
    """
    from neuron import h
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"SWC file {path} does not exist")
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(str(path))
    gui = h.Import3d_GUI(reader, False)
    cell = _Cell(name)
    gui.instantiate(cell)
    somas = list(getattr(cell, "soma", []) or [])
    if not somas:
        raise ValueError(f"{path}: Import3d found no soma (SWC type 1) in this file")
    soma = somas[0]
    secs = [soma] + [s for s in soma.wholetree() if s != soma]
    for s in secs:
        s.Ra, s.cm = float(ra), float(cm)
    axons = {s.name() for s in getattr(cell, "axon", []) or []}
    dends = [s for s in secs[1:] if s.name() not in axons and s not in somas]
    return Morphology(soma, secs, dends, str(path), _keep=(cell, gui, reader))


def effective_diameter(sec) -> float:
    """Diameter [um] of the uniform cylinder with the section's length and AC electrotonic
    length: ``(L / sum_i dx_i / sqrt(dbar_i))^2`` over its 3-D points (``dbar_i`` the mean
    of the two end diameters of interval i, as in NEURON's fixnseg.hoc); ``sec.diam``
    for a section without 3-D points."""
    n = int(sec.n3d())
    if n < 2:
        return float(sec.diam)
    arc = np.array([sec.arc3d(i) for i in range(n)])
    dia = np.array([sec.diam3d(i) for i in range(n)])
    dx = np.diff(arc)
    dbar = 0.5 * (dia[1:] + dia[:-1])
    if np.any(dbar[dx > 0] <= 0):
        raise ValueError(f"{sec.name()} has a 3-D point of zero diameter: fix the "
                         "morphology (NEURON's d_lambda needs a positive diameter)")
    s = float(np.sum(dx[dx > 0] / np.sqrt(dbar[dx > 0])))
    if not s > 0:
        return float(sec.diam)
    return (arc[-1] / s) ** 2


def set_nseg_d_lambda(sections, d_lambda: float = 0.1, freq: float = 100.0) -> int:
    """Set ``nseg`` of ``sections`` by the d_lambda rule on 3-D diameters; returns the
    total number of segments. Uses each section's ``Ra`` and ``cm`` (set them first,
    and add spines after: changing nseg resets folded ``cm``)."""
    from .build import d_lambda_nseg
    if not (d_lambda > 0 and freq > 0):
        raise ValueError(f"d_lambda = {d_lambda!r} and freq = {freq!r} Hz must be positive")
    total = 0
    for sec in sections:
        cm = float(sec(0.5).cm)
        if not (sec.Ra > 0 and cm > 0 and math.isfinite(sec.L) and sec.L > 0):
            raise ValueError(f"{sec.name()}: Ra = {sec.Ra}, cm = {cm}, L = {sec.L} must "
                             "all be positive")
        sec.nseg = d_lambda_nseg(float(sec.L), effective_diameter(sec), float(sec.Ra),
                                 cm, d_lambda, freq)
        total += int(sec.nseg)
    return total


@dataclass
class SpinyPyramid:
    """NEURON's demo pyramid with spines (:func:`build_spiny_pyramid`): ``morphology``,
    ``spines`` (a SpinePopulation on the dendrites) and ``n_segments``."""

    morphology: Morphology
    spines: object
    n_segments: int

    @property
    def soma(self):
        return self.morphology.soma

    def spike_detector(self, threshold: float = 0.0):
        """A NetCon watching the soma voltage (no target), threshold [mV]."""
        from neuron import h
        nc = h.NetCon(self.soma(0.5)._ref_v, None, sec=self.soma)
        nc.threshold = threshold
        return nc


def build_spiny_pyramid(law: str = "pnp-dynamic", density=1.0, params="thin",
                        seed: int = 0, *, fold: bool = True, ra: float = DEFAULT_RA,
                        cm: float = 1.0, g_pas: float = 1e-4, e_pas: float = -65.0,
                        d_lambda: float = 0.1, **spine_kwargs) -> SpinyPyramid:
    """NEURON's demo pyramidal cell with an hh soma, passive dendrites and spines.

    Parameters
    ----------
    law, params, seed, fold, **spine_kwargs
        As for :func:`spinepnp.population.add_spines` (spines on every dendrite).
    density : float or callable
        Spines per um (1 per um: about 5,350 spines).
    ra, cm : float
        Axial resistivity [Ohm cm] and membrane capacitance [uF/cm2] everywhere.
    g_pas, e_pas : float
        Dendritic leak [S/cm2] and reversal [mV] (the soma has NEURON's hh, whose
        rest is -65 mV at its default parameters).
    d_lambda : float
        d_lambda rule fraction on the 3-D diameters (:func:`set_nseg_d_lambda`).
    """
    from .population import add_spines
    morph = load_pyramid(ra=ra, cm=cm)
    morph.soma.insert("hh")
    for sec in morph.dendrites:
        sec.insert("pas")
    n_segments = set_nseg_d_lambda(morph.sections, d_lambda)
    for sec in morph.dendrites:
        for seg in sec:
            seg.pas.g, seg.pas.e = g_pas, e_pas
    pop = add_spines(morph.dendrites, density, law=law, params=params, seed=seed,
                     fold=fold, origin=morph.soma(0.5), **spine_kwargs)
    return SpinyPyramid(morph, pop, n_segments)
