"""Results of the 2-D PNP solver: fields on the mesh, point values, CSV."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Steady2D", "Transient2D", "IVCurve2D"]


def _points(r, z):
    r = np.abs(np.asarray(r, dtype=float))        # the field is even in r
    z = np.asarray(z, dtype=float)
    r, z = np.broadcast_arrays(r, z)
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(z))):
        raise ValueError("r and z must be finite [um]")
    return r, z


@dataclass
class Steady2D:
    """A steady state of the 2-D PNP system.

    Attributes
    ----------
    problem : Problem2D
        The discretised problem (mesh, basis, species).
    state : ndarray
        Newton unknowns (scaled u and mu per node).
    current : float
        Injected current [nA] (for an electrode cap: the current it passes).
    v : ndarray
        Nodal potential [mV] relative to the dendrite.
    c : dict
        Nodal concentrations [mM] per species name.
    iterations : int
        Newton iterations of the last solve.
    electrode : float or None
        The cap's potential [mV] when it was an electrode.
    """

    problem: object
    state: np.ndarray
    current: float
    v: np.ndarray
    c: dict
    iterations: int = 0
    electrode: float | None = None
    ring_vm: np.ndarray = field(default_factory=lambda: np.empty(0))

    @classmethod
    def from_state(cls, problem, X, current, iterations=0, electrode=None):
        c = problem.concentrations(X)
        return cls(problem, X.copy(), float(current), problem.vt * X[: problem.n],
                   {s: c[k] for k, s in enumerate(problem.names)}, int(iterations),
                   electrode, problem.ring_vm(X) if problem.rings else np.empty(0))

    # -- point values -------------------------------------------------------------
    def _probe(self, nodal, r, z):
        r, z = _points(r, z)
        pts = np.vstack([r.ravel(), z.ravel()])
        try:
            P = self.problem.basis.probes(pts)
        except ValueError:
            raise ValueError("a point (r, z) lies outside the domain "
                             f"{self.problem.geometry!r}") from None
        return (P @ nodal).reshape(r.shape)

    def potential(self, r, z):
        """Potential [mV] relative to the dendrite at (r, z) [um] (vectorised)."""
        return self._probe(self.v, r, z)

    def concentration(self, name, r, z):
        """Concentration of species ``name`` [mM] at (r, z) [um] (vectorised)."""
        if name not in self.c:
            raise ValueError(f"unknown species {name!r}; have {list(self.c)}")
        # interpolate the logarithm (the unknown), so values stay positive
        return np.exp(self._probe(np.log(self.c[name]), r, z))

    @property
    def head_centre_potential(self) -> float:
        """Potential at the geometry's head centre [mV] (the end centre of a cylinder)."""
        r, z = self.problem.geometry.head_centre
        return float(self.potential(r, z))

    @property
    def max_potential(self) -> float:
        """Largest potential over the domain [mV] (for a negative current: the most
        negative one, the largest in size)."""
        return float(self.v.max() if self.current >= 0 else self.v.min())

    @property
    def cap_potential(self) -> float:
        """Area-average potential over the cap [mV]."""
        g = self.problem.cap_weight
        return float(g @ self.v / g.sum())

    @property
    def neutrality_error(self) -> np.ndarray:
        """|sum z c| / sum |z| c per node [1]."""
        z = self.problem.z
        cs = np.array([self.c[s] for s in self.problem.names])
        return np.abs(z @ cs) / (np.abs(z) @ cs)

    def charge_fraction(self, depth: float) -> float:
        """Largest nodal neutrality error at least ``depth`` [um] from the cap."""
        p = self.problem
        cap_nodes = p.mesh.p[:, p.cap_dofs]
        d = np.min(np.hypot(p.mesh.p[0][:, None] - cap_nodes[0][None],
                            p.mesh.p[1][:, None] - cap_nodes[1][None]), axis=1)
        return float(self.neutrality_error[d >= depth].max())

    def axis_profile(self, n: int = 400):
        """(z, V [mV], concentrations dict [mM]) along the axis r = 0."""
        zs = np.sort(self.problem.mesh.p[1, self.problem.mesh.p[0] <= 1e-12])
        v = self.potential(np.zeros_like(zs), zs)
        return zs, v, {s: self.concentration(s, np.zeros_like(zs), zs) for s in self.c}

    def to_csv(self, path):
        """Write the nodal fields (r, z [um], V [mV], c [mM]) to ``path`` atomically."""
        from ..io import write_csv_atomic
        p = self.problem.mesh.p
        names = list(self.c)
        rows = zip(p[0], p[1], self.v, *[self.c[s] for s in names])
        return write_csv_atomic(path, ["r_um", "z_um", "V_mV"] + [f"c_{s}_mM" for s in names],
                                rows)


@dataclass
class IVCurve2D:
    """Steady I-V curve of a 2-D domain.

    Attributes: ``current`` [nA], ``v_centre`` (head centre) and ``v_max`` [mV],
    ``iterations``, ``elapsed`` [s], ``solutions`` (or None).
    """

    current: np.ndarray
    v_centre: np.ndarray
    v_max: np.ndarray
    v_cap: np.ndarray
    iterations: np.ndarray
    elapsed: float
    solutions: list | None = None


@dataclass
class Transient2D:
    """Time course of the 2-D PNP system.

    Attributes
    ----------
    t : ndarray
        Times [ms].
    current : ndarray
        Injected current [nA] at ``t``.
    v_centre, v_max, v_cap : ndarray
        Head-centre potential, maximum potential, cap-average potential [mV].
    c_carrier_min : ndarray
        Smallest carrier concentration over the domain [mM].
    steps : int
        Accepted time steps.
    final : Steady2D
        The last state (a Steady2D record of it).
    """

    t: np.ndarray
    current: np.ndarray
    v_centre: np.ndarray
    v_max: np.ndarray
    v_cap: np.ndarray
    c_carrier_min: np.ndarray
    steps: int
    final: Steady2D
    ring_vm: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))

    def to_csv(self, path):
        from ..io import write_csv_atomic
        cols = ["t_ms", "I_nA", "V_centre_mV", "V_max_mV", "V_cap_mV", "c_carrier_min_mM"]
        data = [self.t, self.current, self.v_centre, self.v_max, self.v_cap,
                self.c_carrier_min]
        if self.ring_vm.size:
            for j in range(self.ring_vm.shape[1]):
                cols.append(f"vm_ring{j}_mV")
                data.append(self.ring_vm[:, j])
        return write_csv_atomic(path, cols, zip(*data))
