"""Spine populations on whole dendritic trees: placement, geometry draws, F-factor folding.

A real neuron carries thousands of spines, most of which never receive an input in a
given simulation. :func:`add_spines` places spines on sections at a density (spines per
um), draws each spine's neck length, neck diameter and head size from a literature
distribution, and by default *folds* every spine into its parent segment (the classical
F-factor method, e.g. Holmes 1989; Rapp, Yarom & Segev 1992): the segment's membrane
grows by the spine membrane, so ``cm`` and every density-mechanism conductance of the
segment are multiplied by ``F = (A_seg + A_spines) / A_seg``. A folded spine costs
nothing at run time. Only the spines that receive input (:meth:`SpinePopulation.drive`,
:meth:`SpinePopulation.unfold`) become drop-in spines (:func:`spinepnp.build.attach_spine`
with the population's law): their area leaves the fold and their own membrane is carried
by the spine (leak in the point process, capacitance in the segment's ``cm``, exactly as
:func:`attach_spine` does for one spine).

The fold assumes the spine membrane has the parent's membrane properties (every
conductance is scaled, also active ones) and that an undriven spine's neck resistance
is negligible against its membrane's (true for passive spines: a few hundred MOhm of
neck against tens of GOhm of membrane).

Determinism: each section's spines come from a numpy Generator seeded by ``(seed,
crc32(section name))``, each spine's selection key from ``(seed, crc32(section name),
index on the section)`` and its input stream from its name
(:meth:`SpinePopulation.drive`). The same spines, geometries and inputs result
whatever the MPI rank count and whatever order the sections are given in.

Conductance detection: a density mechanism's PARAMETER (NEURON's ``MechanismStandard``
with vartype 1, so states and assigned variables are never touched) is scaled when its
declared unit (``h.units``) is a conductance or permeability density (S/cm2, mho/cm2,
cm/s); a PARAMETER without a declared unit is scaled when its name starts with ``g``
(NEURON's naming convention for conductances: g, gbar, gnabar, gl...).

NEURON's units: um, S/cm2, uF/cm2, Hz, uS, ms. NEURON is imported inside the functions.
"""

from __future__ import annotations

import math
import weakref
import zlib
from dataclasses import dataclass, field

import numpy as np

from .spinesets import SpineParams, load_spine_params

__all__ = ["SpineDistribution", "SPINE_DISTRIBUTIONS", "SpinePopulation", "Drive",
           "PopulationRecording", "add_spines", "spine_area", "conductance_parameters"]

#: Units of density parameters that scale with membrane area (conductance, permeability)
_AREA_UNITS = {"S/cm2", "mho/cm2", "S/cm^2", "mho/cm^2", "cm/s"}


def spine_area(neck_len, neck_diam, head_diam):
    """Spine membrane area [um2]: a spherical head ``pi d_h^2`` plus the neck's lateral
    area ``pi d_n L`` (the area :func:`spinepnp.build.attach_spine` gives a spine)."""
    return np.pi * np.asarray(head_diam) ** 2 + np.pi * np.asarray(neck_diam) * \
        np.asarray(neck_len)


def _lognormal(rng, mean, sd, size):
    """Lognormal draws with the given mean and standard deviation."""
    sigma2 = math.log1p((sd / mean) ** 2)
    return rng.lognormal(math.log(mean) - 0.5 * sigma2, math.sqrt(sigma2), size)


@dataclass(frozen=True)
class SpineDistribution:
    """A distribution of spine geometry: lognormal neck length, neck diameter, head volume.

    Each quantity is lognormal with the given mean and standard deviation [um, um3]
    (measured spine sizes are positive and right-skewed), clipped to ``*_range`` so no
    draw is unphysical. The head is the sphere of the drawn volume.
    """

    name: str
    neck_len: tuple
    neck_diam: tuple
    head_volume: tuple
    source: str
    neck_len_range: tuple = (0.05, 3.0)
    neck_diam_range: tuple = (0.03, 0.5)
    head_volume_range: tuple = (0.002, 1.5)

    def draw(self, rng, size: int) -> dict:
        """``size`` spines: arrays ``neck_len``, ``neck_diam``, ``head_diam`` [um]."""
        out = {}
        for key in ("neck_len", "neck_diam", "head_volume"):
            mean, sd = getattr(self, key)
            lo, hi = getattr(self, key + "_range")
            out[key] = np.clip(_lognormal(rng, mean, sd, size), lo, hi)
        out["head_diam"] = (6.0 * out.pop("head_volume") / np.pi) ** (1.0 / 3.0)
        return out


_HJT = "Harris, Jensen & Tsao 1992 J Neurosci 12:2685 (adult rat CA1), means +- SD"
#: Geometry distributions for ``add_spines(params=...)``.
#:
#: - thin: neck length 0.51 +- 0.34 um and neck diameter 0.10 +- 0.03 um (Harris, Jensen
#:   & Tsao 1992); neck diameters within the 50-200 nm STED range of Tonnesen et al.
#:   2014 Nat Neurosci 17:678; head volume mean 0.03 um3 (Harris et al. 1992). That
#:   table gives no SD for the thin head volume: a coefficient of variation of 0.5 is
#:   ASSUMED here (Harris & Stevens 1989 J Neurosci 9:2982 report a broad, skewed
#:   spread of head volumes).
#: - mushroom: neck length 0.43 +- 0.21 um, neck diameter 0.20 +- 0.07 um, head volume
#:   0.27 +- 0.13 um3 (Harris, Jensen & Tsao 1992); cortical ranges in Arellano et al.
#:   2007 Front Neurosci 1:131.
#:
#: The clip ranges (neck 0.05-3 um long, 30-500 nm wide, head 0.002-1.5 um3) are wide
#: bounds around the measured extremes of these studies, only there to exclude the
#: lognormal's far tails.
SPINE_DISTRIBUTIONS = {
    "thin-dist": SpineDistribution(
        "thin-dist", neck_len=(0.51, 0.34), neck_diam=(0.10, 0.03),
        head_volume=(0.03, 0.015),
        source=_HJT + "; head-volume SD assumed (CV 0.5); Tonnesen et al. 2014"),
    "mushroom-dist": SpineDistribution(
        "mushroom-dist", neck_len=(0.43, 0.21), neck_diam=(0.20, 0.07),
        head_volume=(0.27, 0.13), source=_HJT + "; Arellano et al. 2007"),
}


def _resolve_params(params):
    """A SpineDistribution, or a fixed SpineParams (spine set name, SpineParams, dict)."""
    if isinstance(params, SpineDistribution):
        return params
    if isinstance(params, str) and params in SPINE_DISTRIBUTIONS:
        return SPINE_DISTRIBUTIONS[params]
    try:
        return load_spine_params(params)
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"params = {params!r}: give a spine set (thin, mushroom, stubby, "
                         f"paper, a SpineParams or a dict of its fields) or a distribution "
                         f"({', '.join(SPINE_DISTRIBUTIONS)}, or a SpineDistribution) "
                         f"({exc})") from None


def _crc(name: str) -> int:
    return zlib.crc32(name.encode())


def _segment_key(name: str, sec, x: float):
    """(section name, segment index) of position ``x``: ``sec(x).x`` is x itself, not
    the segment's centre, so segments are told apart by index."""
    return name, min(int(x * sec.nseg), sec.nseg - 1)


def conductance_parameters(h, mech_name: str) -> list:
    """Names (``gnabar_hh``...) of mechanism ``mech_name``'s area-scaled PARAMETERs.

    See the module docstring for the rule (declared unit, else a name starting with g).
    """
    ms = h.MechanismStandard(mech_name, 1)
    names = []
    ref = h.ref("")
    suffix = "_" + mech_name
    for i in range(int(ms.count())):
        ms.name(ref, i)
        full = ref[0]
        unit = h.units(full).replace(" ", "")
        base = full[:-len(suffix)] if full.endswith(suffix) else full
        if unit in _AREA_UNITS or (not unit and base.startswith("g")):
            names.append(full)
    return names


class _SegmentFold:
    """Base membrane of one segment and the spine area folded into it.

    :meth:`apply` changes ``cm`` and the conductances by the change of the fold factor
    only (``+= base * (F_new - F_applied)``), so what others add to the segment (the
    capacitance of a point spine, :func:`spinepnp.build.attach_spine`) stays.
    """

    __slots__ = ("sec", "x", "area", "cm", "g", "folded", "applied")

    def __init__(self, h, seg, cache):
        self.sec = seg.sec
        self.x = (min(int(seg.x * seg.sec.nseg), seg.sec.nseg - 1) + 0.5) / seg.sec.nseg
        self.area = float(seg.area())
        self.cm = float(seg.cm)
        self.g = {}
        for mech in seg:
            name = mech.name()
            if name not in cache:
                cache[name] = conductance_parameters(h, name)
            for full in cache[name]:
                base = full[:-len(name) - 1]
                try:
                    self.g[(name, base)] = float(getattr(mech, base))
                except (AttributeError, LookupError, TypeError):
                    raise ValueError(
                        f"{full} in {seg} is not a RANGE variable (GLOBAL?): folding "
                        "scales each segment's conductances, so declare it RANGE in "
                        f"{name}'s NMODL file, or use add_spines(..., fold=False)"
                    ) from None
        self.folded = 0.0        # spine area folded here [um2]
        self.applied = 1.0       # fold factor F now in the segment [1]

    def apply(self):
        seg = self.sec(self.x)
        delta = 1.0 + self.folded / self.area - self.applied
        seg.cm += self.cm * delta
        for (mech, name), value in self.g.items():
            m = getattr(seg, mech)
            setattr(m, name, getattr(m, name) + value * delta)
        self.applied += delta

    def pas(self):
        """The segment's own (unfolded) pas g [S/cm2] and e [mV], or (None, None)."""
        if ("pas", "g") not in self.g:
            return None, None
        return self.g[("pas", "g")], float(self.sec(self.x).pas.e)


@dataclass
class Drive:
    """Poisson inputs made by :meth:`SpinePopulation.drive`.

    ``indices`` (population indices of the driven spines), ``netstims``, ``netcons``
    and their Random123 generators ``randoms`` (one each per spine; the population
    keeps this object alive).
    """

    indices: np.ndarray
    rate: float
    netstims: list
    netcons: list
    randoms: list


@dataclass
class PopulationRecording:
    """Recordings of one variable over spines (:meth:`SpinePopulation.record`)."""

    name: str
    indices: np.ndarray
    t: object
    vectors: list

    def array(self) -> np.ndarray:
        """Shape (n_spines, n_times): one row per recorded spine."""
        return np.array([np.array(v) for v in self.vectors])

    def times(self) -> np.ndarray:
        """Sample times [ms]."""
        return np.array(self.t)


# section name -> weakref to the folded population on it (no Section reference: the
# registry must not keep a user's Sections alive)
_FOLDED_SECTIONS: dict = {}


@dataclass(repr=False)
class SpinePopulation:
    """Spines on a set of sections, made by :func:`add_spines`.

    Per-spine arrays (population order: by section name, then position): ``section``
    (names), ``x`` (normalised position), ``distance`` (path distance from the origin
    [um]), ``neck_len``, ``neck_diam``, ``head_diam`` [um], ``area`` [um2]; ``folded``
    (bool: membrane folded into the parent segment). ``spines[i]`` is the
    :class:`spinepnp.build.Spine` of a spine that is a point process (else None).
    """

    law: str
    params: object
    seed: int
    fold: bool
    section: list
    x: np.ndarray
    distance: np.ndarray
    neck_len: np.ndarray
    neck_diam: np.ndarray
    head_diam: np.ndarray
    index_on_section: np.ndarray
    spine_kwargs: dict
    spines: list = field(default_factory=list)
    _secs: dict = field(default_factory=dict, repr=False)
    _folds: dict = field(default_factory=dict, repr=False)
    _keep: list = field(default_factory=list, repr=False)

    def __len__(self) -> int:
        return len(self.section)

    def __repr__(self) -> str:
        return (f"SpinePopulation({len(self)} spines on {len(self._secs)} sections, "
                f"law={self.law!r}, params={self.params!r}, seed={self.seed}, "
                f"{self.point_indices.size} point processes, the rest "
                f"{'folded' if self.fold else 'none'})")

    def segment(self, i: int):
        """The dendrite segment (nrn.Segment at the spine's x) of spine ``i``."""
        return self._secs[self.section[i]](float(self.x[i]))

    @property
    def area(self) -> np.ndarray:
        """Membrane area of each spine [um2]."""
        return spine_area(self.neck_len, self.neck_diam, self.head_diam)

    @property
    def folded(self) -> np.ndarray:
        """True where the spine is folded into its parent segment."""
        return np.array([s is None for s in self.spines], dtype=bool)

    @property
    def point_indices(self) -> np.ndarray:
        """Indices of the spines that are point processes (or explicit Sections)."""
        return np.flatnonzero(~self.folded)

    @property
    def targets(self) -> list:
        """NetCon targets of the spines that are point processes (all with fold=False)."""
        return [self.spines[i].target for i in self.point_indices]

    def geometry(self, i: int) -> SpineParams:
        """The geometry of spine ``i`` as a SpineParams."""
        return SpineParams(f"spine{i}", float(self.neck_len[i]), float(self.neck_diam[i]),
                           float(self.head_diam[i]))

    def select(self, sections=None, distance=None) -> np.ndarray:
        """Indices of the spines on ``sections`` (Sections or names) and/or with a path
        distance from the origin in ``distance = (lo, hi)`` [um]."""
        keep = np.ones(len(self), dtype=bool)
        if sections is not None:
            names = {s if isinstance(s, str) else s.name() for s in sections}
            unknown = names - set(self._secs)
            if unknown:
                raise ValueError(f"sections {sorted(unknown)} carry no spine of this "
                                 "population")
            keep &= np.array([n in names for n in self.section], dtype=bool)
        if distance is not None:
            lo, hi = distance
            keep &= (self.distance >= lo) & (self.distance <= hi)
        return np.flatnonzero(keep)

    def _keys(self, seed: int) -> np.ndarray:
        """One uniform number per spine from (seed, section name, index on section)."""
        return np.array([np.random.default_rng([int(seed), _crc(s), int(k), 2]).random()
                         for s, k in zip(self.section, self.index_on_section)])

    def choose(self, n: int, seed: int = 0, among=None) -> np.ndarray:
        """``n`` spine indices of this population (or of ``among``) chosen at random,
        reproducibly: the ``n`` smallest of a uniform key per spine drawn from ``(seed,
        section name, index)``, so the choice does not depend on section order (a
        population holding other sections chooses among other spines)."""
        pool = np.arange(len(self)) if among is None else np.asarray(among, dtype=int)
        if not 0 <= n <= pool.size:
            raise ValueError(f"n = {n}: choose between 0 and {pool.size} spines")
        keys = self._keys(seed)[pool]
        return np.sort(pool[np.argsort(keys, kind="stable")[:n]])

    def unfold(self, indices) -> list:
        """Make spines ``indices`` point processes (attach_spine with the population's
        law); their membrane leaves the fold. Returns their Spine objects."""
        from .build import attach_spine
        out = []
        for i in np.atleast_1d(np.asarray(indices, dtype=int)):
            if not 0 <= i < len(self):
                raise IndexError(f"spine index {i} is outside 0..{len(self) - 1}")
            if self.spines[i] is not None:
                out.append(self.spines[i])
                continue
            sec = self._secs[self.section[i]]
            seg = self.segment(i)
            kw = dict(self.spine_kwargs)
            fold = self._folds.get(_segment_key(self.section[i], sec, float(self.x[i])))
            if fold is not None:
                fold.folded -= float(self.area[i])
                fold.apply()
                g, e = fold.pas()
                kw.setdefault("cm", fold.cm)
                if g is not None:
                    kw.setdefault("g_pas", g)
                    kw.setdefault("e_pas", e)
            sp = attach_spine(seg, self.law, self.geometry(i),
                              name=f"{self.section[i]}_spine{self.index_on_section[i]}",
                              **kw)
            self.spines[i] = sp
            out.append(sp)
        return out

    def stream(self, i: int) -> int:
        """Random123 stream of spine ``i``: crc32 of "<section name>[<index>]"."""
        return _crc(f"{self.section[i]}[{int(self.index_on_section[i])}]")

    def drive(self, rate: float, n: int | None = None, weight: float = 0.001,
              nmda: float = 0.0, seed: int = 0, indices=None, start: float = 0.0,
              delay: float = 1.0) -> Drive:
        """Poisson inputs on ``n`` spines (chosen by :meth:`choose`) or on ``indices``.

        Each driven spine gets its own Poisson NetStim
        (:func:`spinepnp.synapses.poisson_netstim`, mean ``rate`` [Hz]) on the Random123
        stream ``(seed, crc32("<section name>[<index on section>]"), 0)``, and
        a NetCon with AMPA weight ``weight`` and NMDA weight ``nmda`` [uS], ``delay``
        [ms]. Folded spines that are driven become point processes first.
        """
        from neuron import h
        from .synapses import poisson_netstim
        if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate = {rate!r} Hz: give a positive mean input rate")
        if indices is None:
            indices = (np.arange(len(self)) if n is None else self.choose(int(n), seed))
        elif n is not None:
            raise ValueError("give n (spines chosen at random) or indices, not both")
        indices = np.asarray(indices, dtype=int)
        spines = self.unfold(indices)
        stims, ncs, rngs = [], [], []
        for i, sp in zip(indices, spines):
            ns, rng = poisson_netstim(h, rate, self.stream(i), int(seed), start)
            stims.append(ns)
            rngs.append(rng)
            ncs.append(sp.netcon(ns, weight, nmda, delay=delay))
        drive = Drive(indices, float(rate), stims, ncs, rngs)
        self._keep.append(drive)
        return drive

    def record(self, name: str = "vhead", indices=None, dt: float | None = None):
        """Record RANGE variable ``name`` of SpnpSpine (``vhead``, ``ineck``, ``chead``,
        ...; ``vhead`` also works for explicit spines) on point spines ``indices``
        (default all point spines). Returns a :class:`PopulationRecording`."""
        from neuron import h
        idx = self.point_indices if indices is None else np.asarray(indices, dtype=int)
        folded = [int(i) for i in idx if self.spines[i] is None]
        if folded:
            raise ValueError(f"spines {folded[:5]}{'...' if len(folded) > 5 else ''} are "
                             "folded into their segments and have no variables: drive or "
                             "unfold them first, or build with fold=False")

        def vec(ref):
            v = h.Vector()
            v.record(ref) if dt is None else v.record(ref, dt)
            return v

        vecs = []
        for i in idx:
            sp = self.spines[i]
            if name == "vhead":
                vecs.append(vec(sp.head_v_ref))
            elif sp.explicit:
                raise ValueError(f"spine {i} is an explicit spine ({sp.law}): only vhead "
                                 "can be recorded from it")
            else:
                try:
                    ref = getattr(sp.point, f"_ref_{name}")
                except (AttributeError, LookupError, TypeError):
                    raise ValueError(f"SpnpSpine has no RANGE variable {name!r}") from None
                vecs.append(vec(ref))
        rec = PopulationRecording(name, idx, vec(h._ref_t), vecs)
        self._keep.append(rec)
        return rec

    def parameter(self, name: str) -> np.ndarray:
        """Array of SpnpSpine parameter ``name`` over the point spines (point order)."""
        return np.array([float(getattr(self.spines[i].point, name))
                         for i in self.point_indices])


def _positions(rng, sec, density):
    """Stratified positions (sorted, inside (0, 1)) at ``density`` spines/um."""
    length = float(sec.L)
    n_grid = max(int(math.ceil(length / 0.5)), 2)
    edges = np.linspace(0.0, 1.0, n_grid + 1)
    mids = 0.5 * (edges[1:] + edges[:-1])
    if callable(density):
        rho = np.array([float(density(sec, float(x))) for x in mids])
    else:
        rho = np.full(n_grid, float(density))
    if not np.all(np.isfinite(rho)) or np.any(rho < 0):
        raise ValueError(f"density on {sec.name()} must be a finite number >= 0 "
                         "spines/um everywhere")
    counts = rho * length / n_grid
    total = float(counts.sum())
    n = int(round(total))
    if n == 0:
        return np.zeros(0)
    cdf = np.concatenate([[0.0], np.cumsum(counts)]) / total
    u = (np.arange(n) + rng.random(n)) / n
    x = np.interp(u, cdf, edges)
    return np.clip(x, 1e-9, 1 - 1e-9)


def add_spines(sections, density, law: str = "pnp-dynamic", params="thin", seed: int = 0,
               *, fold: bool = True, origin=None, **spine_kwargs) -> SpinePopulation:
    """Put spines on ``sections`` at ``density`` spines per um.

    Parameters
    ----------
    sections : iterable of nrn.Section
        Where the spines go (set ``nseg``, ``cm`` and the density mechanisms first).
    density : float or callable
        Spines per um, or ``density(section, x)`` [1/um] (e.g. a function of
        ``h.distance``).
    law : str
        Neck law of the spines that become point processes (:data:`spinepnp.build.LAWS`).
    params : str, SpineParams, dict or SpineDistribution
        A spine set (every spine the same: ``"thin"``, ``"mushroom"``...) or a geometry
        distribution (:data:`SPINE_DISTRIBUTIONS`: ``"thin-dist"``, ``"mushroom-dist"``,
        or a :class:`SpineDistribution`).
    seed : int
        Seed of positions and geometry (with each section's name).
    fold : bool
        True (default): every spine is folded into its segment until driven or
        unfolded; False: every spine is a point process now.
    origin : nrn.Segment, optional
        Origin of ``distance`` (default: the middle of the root section of the first
        section's tree, usually the soma).
    **spine_kwargs
        Passed to :func:`spinepnp.build.attach_spine` for each point spine.

    Returns
    -------
    SpinePopulation
    """
    from neuron import h
    from .build import LAWS, SPINE_KEYWORDS
    from .spine import PARAMETERS
    if law not in LAWS:
        raise ValueError(f"unknown law {law!r}; valid laws: {', '.join(LAWS)}")
    for key in ("params", "name", "law"):
        if key in spine_kwargs:
            raise ValueError(f"{key} is set by add_spines itself, not per spine")
    # folded spines meet attach_spine only when driven: catch a misspelt keyword now
    unknown = sorted(set(spine_kwargs) - set(SPINE_KEYWORDS) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"unknown spine keyword(s) {', '.join(unknown)}: use "
                         "attach_spine's (spinepnp.build.SPINE_KEYWORDS) or SpnpSpine "
                         "parameters (spinepnp.spine.PARAMETERS)")
    geo = _resolve_params(params)
    secs = {}
    for sec in sections:
        secs.setdefault(sec.name(), sec)
    if not secs:
        raise ValueError("sections is empty: give the Sections that carry spines")
    if origin is None:
        origin = h.SectionRef(sec=secs[min(secs)]).root(0.5)
    if fold:
        for name, sec in secs.items():
            prev = _FOLDED_SECTIONS.get(name)
            prev = prev() if prev is not None else None
            try:
                same = prev is not None and prev._secs.get(name) == sec
            except (RuntimeError, ReferenceError):     # that section was deleted
                same = False
            if same:
                raise ValueError(f"{name} already carries a folded SpinePopulation: put "
                                 "all its spines in one add_spines call (a callable "
                                 "density can add several densities)")
    cols = {k: [] for k in ("section", "x", "neck_len", "neck_diam", "head_diam",
                            "index")}
    for name in sorted(secs):
        sec = secs[name]
        rng = np.random.default_rng([int(seed), _crc(name)])
        xs = _positions(rng, sec, density)
        n = xs.size
        if isinstance(geo, SpineDistribution):
            draws = geo.draw(rng, n)
        else:
            draws = {k: np.full(n, getattr(geo, k))
                     for k in ("neck_len", "neck_diam", "head_diam")}
        cols["section"] += [name] * n
        cols["x"].append(xs)
        cols["index"].append(np.arange(n))
        for k in ("neck_len", "neck_diam", "head_diam"):
            cols[k].append(draws[k])
    cat = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in cols.items()
           if k != "section"}
    # path distance at the spine's exact position (h.distance of a segment would be
    # that of its centre): the distance of the section's 0 end plus x L
    start = {name: h.distance(origin, sec(0)) for name, sec in secs.items()}
    dist = np.array([start[s] + float(x) * secs[s].L
                     for s, x in zip(cols["section"], cat["x"])])
    pop = SpinePopulation(law, params, int(seed), bool(fold), cols["section"], cat["x"],
                          dist, cat["neck_len"], cat["neck_diam"], cat["head_diam"],
                          cat["index"].astype(int), dict(spine_kwargs),
                          spines=[None] * len(cols["section"]), _secs=secs)
    if not fold:
        pop.unfold(np.arange(len(pop)))
        return pop
    cache = {}
    area = pop.area
    for i, (name, x) in enumerate(zip(pop.section, pop.x)):
        seg = secs[name](float(x))
        key = _segment_key(name, secs[name], float(x))
        f = pop._folds.get(key)
        if f is None:
            if not seg.area() > 0:
                raise ValueError(f"{seg} has no membrane area to fold spines into")
            f = pop._folds[key] = _SegmentFold(h, seg, cache)
        f.folded += float(area[i])
    for f in pop._folds.values():
        f.apply()
    ref = weakref.ref(pop)
    for name in secs:
        _FOLDED_SECTIONS[name] = ref
    return pop
