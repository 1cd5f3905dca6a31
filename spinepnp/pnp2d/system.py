"""The discrete axisymmetric PNP system: P1 finite elements (scikit-fem), Newton.

Physics. In the (r, z) half plane, for species i with valence z_i, diffusion
coefficient D_i and bulk concentration b_i (scaled by ``c_ref``, the largest bulk
value), with the scaled potential u = V/VT and lengths in um::

    dc_i/dt = div(D_i c_i grad mu_i),   c_i = b_i exp(mu_i - z_i u)
    -l2 lap u = sum_i z_i c_i,          l2 = eps VT / (F c_ref)   [um2]

``mu_i`` is the scaled electrochemical potential of species i (the logarithm of its
Slotboom variable): the unknowns are u and mu_i, so every concentration is positive by
construction, and the flux -D_i c_i grad mu_i makes each Nernst-Planck equation a pure
diffusion equation in mu_i with the positive coefficient D_i c_i (no convection term to
upwind). ``l2`` is twice the squared Debye length of a 1:1 salt at ``c_ref``.

Weak forms carry the axisymmetric weight r (the common factor 2 pi is dropped)::

    int r [l2 grad u . grad v - sum_i z_i c_i v] = 0
    int r [dc_i/dt v + D_i c_i grad mu_i . grad v] = int_cap r q_i v + rings

Boundaries: the dendrite (u = 0, mu_i = 0: bulk concentrations, potential 0); the cap,
where the carrier enters with the uniform flux density of the injected current and
the others have no flux; the membrane, with no flux of any species and zero normal
field (the natural conditions). The zero-field choice treats the membrane as an
uncharged wall whose capacitance is negligible beside the Debye layer's (its charging
current flows within the membrane's own RC time, microseconds in a spine); it is the
quasi-1D solver's ``head_bc="insulating"``. It needs no Debye layer at the insulating
walls: an electroneutral bulk with zero normal flux of every species already has zero
normal field there (sum_i z_i J_i.n = 0 and sum_i z_i grad c_i = 0 give
(sum_i z_i^2 D_i c_i) du/dn = 0). The cap, where the carrier alone enters, has one.

Rings of channels are flux boundaries on membrane bands; their current follows the
kinetics of :mod:`spinepnp.channels` at the band's area-averaged membrane potential.

Numerics: P1 Lagrange elements, 4th-order quadrature of the exponentials, Newton with
the exact Jacobian of the discrete equations (each block a scikit-fem BilinearForm of
the linearisation, a ring adding one dense band-by-band block), SuperLU on the free
unknowns, updates capped at 2 (scaled units) per iteration.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from skfem import Basis, BilinearForm, ElementTriP1, FacetBasis, LinearForm, asm
from skfem.helpers import dot, grad

from ..constants import (EPSILON_0, EPSILON_WATER, FARADAY, MM, MS, MV, NA, UM2, UM3,
                         debye_length, thermal_voltage)
from ..pnp.errors import ConvergenceError
from ..pnp.rings import Ring
from ..pnp.species import check_species
from .geometry import Geometry2D

__all__ = ["Problem2D", "NANOAMP_TO_FLOW"]

#: A current of 1 nA carried by a monovalent ion is this molar flow [mM um3/ms].
NANOAMP_TO_FLOW = NA / FARADAY / (MM * UM3 / MS)

MU_CAP = 2.0       # largest Newton update of u or mu per iteration [1]


@BilinearForm
def _block(u, v, w):
    """r (k0 u v + k1 grad u . grad v + u g . grad v): every Jacobian block."""
    return w.x[0] * (w.k0 * u * v + w.k1 * dot(grad(u), grad(v)) + u * dot(w.g, grad(v)))


@LinearForm
def _load(v, w):
    """r (f0 v + f1 . grad v): every residual."""
    return w.x[0] * (w.f0 * v + dot(w.f1, grad(v)))


@LinearForm
def _rweight(v, w):
    return w.x[0] * v


class Problem2D:
    """Mesh, basis, species and boundaries of one 2-D PNP problem (reused by repeated
    solves).

    Parameters
    ----------
    geometry : Geometry2D
        Domain (:class:`~spinepnp.pnp2d.BallAndNeck`, ``Cylinder``...).
    species : list of Species or None
        Species (default: Na+ 12, K+ 155, anion 167 mM, the paper's Table I).
    carrier : str
        Species carrying the injected current.
    celsius : float
        Temperature [degC].
    rings : sequence of Ring
        Channel rings (band centre ``x`` = axial z [um] from the neck's base).
    v_rest : float
        Membrane potential of the dendrite [mV]; rings see ``v_rest + V``.
    resolution : float
        Mesh refinement factor (element sizes scale with 1/resolution).
    mesh : skfem.MeshTri or None
        A prebuilt mesh with boundaries "dendrite", "cap", "membrane".
    """

    def __init__(self, geometry, species=None, carrier="na", celsius=20.0, rings=(),
                 v_rest=-70.0, resolution=1.0, mesh=None):
        if not isinstance(geometry, Geometry2D):
            raise ValueError(f"geometry = {geometry!r} is not a spinepnp.pnp2d geometry "
                             "(use BallAndNeck, Cylinder, HyperboloidNeck or "
                             "DiscOnHalfSpace)")
        self.geometry = geometry
        sp_list, self.icarrier = check_species(species, carrier)
        self.species = sp_list
        self.carrier = carrier
        self.names = [s.name for s in sp_list]
        self.z = np.array([s.z for s in sp_list], dtype=float)
        self.D = np.array([s.diffusion for s in sp_list], dtype=float)
        conc = np.array([s.conc for s in sp_list], dtype=float)
        if np.any(conc <= 0):
            raise ValueError("every species needs a bulk concentration > 0 in the 2-D "
                             "solver (its unknown is the logarithm of a concentration)")
        self.c_ref = float(conc.max())
        self.bulk = conc / self.c_ref
        self.celsius = float(celsius)
        self.vt = thermal_voltage(celsius)
        self.debye = debye_length(0.5 * float(np.sum(self.z ** 2 * conc)), celsius)
        self.l2 = (EPSILON_0 * EPSILON_WATER * self.vt * MV
                   / (FARADAY * self.c_ref * MM) / UM2)
        try:
            self.v_rest = float(v_rest)
        except (TypeError, ValueError):
            raise ValueError(f"v_rest = {v_rest!r} is not a number [mV]") from None
        self.mesh = mesh if mesh is not None else geometry.mesh(resolution, self.debye)
        for name in ("dendrite", "cap"):
            if name not in (self.mesh.boundaries or {}):
                raise ValueError(f"the mesh has no {name!r} boundary")
        e = ElementTriP1()
        self.basis = Basis(self.mesh, e, intorder=4)
        self.n = self.basis.N
        self.ns = len(sp_list)
        self.cap_weight = self._facet_weight(self.mesh.boundaries["cap"])
        self.cap_area = 2 * math.pi * float(self.cap_weight.sum())       # um2
        self.dendrite_dofs = self.basis.get_dofs("dendrite").all()
        self.cap_dofs = self.basis.get_dofs("cap").all()
        self._setup_rings(rings)

    # ------------------------------------------------------------------ set-up
    def _facet_weight(self, facets):
        fb = FacetBasis(self.mesh, ElementTriP1(), facets=facets, intorder=4)
        return asm(_rweight, fb)

    def _setup_rings(self, rings):
        self.rings = list(rings or ())
        self.ring_weight, self.ring_area, self.ring_species = [], [], []
        if not self.rings:
            return
        mb = self.mesh.boundaries.get("membrane")
        if mb is None:
            raise ValueError("rings need a 'membrane' boundary in the mesh")
        mid = self.mesh.p[:, self.mesh.facets[:, mb]].mean(axis=1)
        for ring in self.rings:
            if not isinstance(ring, Ring):
                raise ValueError(f"{ring!r} is not a spinepnp.pnp Ring "
                                 "(BoltzmannRing, HHNaRing)")
            band = mb[np.abs(mid[1] - ring.x) <= 0.5 * ring.width]
            if band.size == 0:
                raise ValueError(f"ring at z = {ring.x} um (band {ring.width} um) meets "
                                 "no membrane facet of the mesh: move it onto the "
                                 "membrane or widen the band")
            g = self._facet_weight(band)
            self.ring_weight.append(g)
            self.ring_area.append(2 * math.pi * float(g.sum()))
            name = ring.species or self.carrier
            if name not in self.names:
                raise ValueError(f"ring species {name!r} is not one of {self.names}")
            self.ring_species.append(self.names.index(name))

    # ------------------------------------------------------------------ state
    @property
    def size(self) -> int:
        return self.n * (1 + self.ns)

    def rest_state(self) -> np.ndarray:
        """u = 0, mu = 0: the zero-current state without rings."""
        return np.zeros(self.size)

    def split(self, X):
        u = X[: self.n]
        mu = X[self.n:].reshape(self.ns, self.n)
        return u, mu

    def concentrations(self, X) -> np.ndarray:
        """Nodal concentrations [mM], shape (species, nodes)."""
        u, mu = self.split(X)
        return self.c_ref * self.bulk[:, None] * np.exp(mu - self.z[:, None] * u)

    def flow(self, current: float) -> float:
        """Scaled molar inflow of the carrier [um3/ms] for ``current`` [nA]."""
        return current * NANOAMP_TO_FLOW / (self.z[self.icarrier] * self.c_ref)

    def ring_vm(self, X) -> np.ndarray:
        """Band-averaged membrane potential of every ring [mV]."""
        u = X[: self.n]
        return np.array([self.v_rest + self.vt * float(g @ u) / float(g.sum())
                         for g in self.ring_weight])

    def ring_current(self, j, vm, states=None, h=1e-5):
        """Ring ``j`` current [nA] at ``vm`` [mV] (steady gating unless ``states`` is a
        function of vm) and its derivative [uS] (central difference, step h [mV])."""
        ring = self.rings[j]

        def f(v):
            s = ring.steady_states(v) if states is None else states(v)
            return ring.current(v, s)
        return f(vm), (f(vm + h) - f(vm - h)) / (2.0 * h)

    # ------------------------------------------------------------------ assembly
    def assemble(self, X, current, *, a0=0.0, hist=None, ring_scale=1.0,
                 ring_states=None, jacobian=True):
        """Residual F(X) and, with ``jacobian``, its exact Jacobian (CSR).

        A BDF time step approximates dc/dt by ``a0 c + hist``: ``a0`` [1/ms] and ``hist``
        (scaled nodal history, (species, nodes), [1/ms]) add it (a0 = 0: steady).
        ``ring_states`` (list of functions of vm, or None) give each ring's gating.
        """
        b = self.basis
        ns, n = self.ns, self.n
        u, mu = self.split(X)
        U = b.interpolate(u)
        uq, gu = np.asarray(U), U.grad
        zero = np.zeros_like(uq)
        zero2 = np.zeros_like(gu)
        cq, gmu = [], []
        for i in range(ns):
            M = b.interpolate(mu[i])
            cq.append(self.bulk[i] * np.exp(np.asarray(M) - self.z[i] * uq))
            gmu.append(M.grad)
        charge = sum(self.z[i] * cq[i] for i in range(ns))
        F = np.empty(self.size)
        F[:n] = asm(_load, b, f0=-charge, f1=self.l2 * gu)
        a0 = float(a0)
        for i in range(ns):
            f0 = a0 * cq[i] + np.asarray(b.interpolate(hist[i])) if a0 else zero
            F[n * (1 + i): n * (2 + i)] = asm(_load, b, f0=f0,
                                              f1=self.D[i] * cq[i] * gmu[i])
        # sources: the cap flux of the carrier, the rings
        ic = self.icarrier
        # uniform flux density: the inflow (per 2 pi) spread in proportion to r ds
        F[n * (1 + ic): n * (2 + ic)] -= self.flow(current) / (2 * math.pi) * \
            self.cap_weight / self.cap_weight.sum()
        ring_terms = []
        if self.rings:
            vms = self.ring_vm(X)
            for j, vm in enumerate(vms):
                st = None if ring_states is None else ring_states[j]
                i_ring, di = self.ring_current(j, vm, st)
                k = self.ring_species[j]
                g = self.ring_weight[j]
                gs = float(g.sum())
                # outward current -> inflow -i_ring of species k into the domain
                amp = -ring_scale * NANOAMP_TO_FLOW / (self.z[k] * self.c_ref) / \
                    (2 * math.pi)
                F[n * (1 + k): n * (2 + k)] -= amp * i_ring * g / gs
                ring_terms.append((k, g, -amp * di * self.vt / gs / gs))
        if not jacobian:
            return F, None
        blocks = [[None] * (ns + 1) for _ in range(ns + 1)]
        blocks[0][0] = asm(_block, b, k0=sum(self.z[i] ** 2 * cq[i] for i in range(ns)),
                           k1=self.l2 + zero, g=zero2)
        for i in range(ns):
            zc = self.z[i] * cq[i]
            Dc = self.D[i] * cq[i]
            blocks[0][1 + i] = asm(_block, b, k0=-zc, k1=zero, g=zero2)
            blocks[1 + i][0] = asm(_block, b, k0=-zc * a0, k1=zero,
                                   g=-self.z[i] * Dc * gmu[i])
            blocks[1 + i][1 + i] = asm(_block, b, k0=cq[i] * a0, k1=Dc,
                                       g=Dc * gmu[i])
        J = sp.bmat(blocks, format="csr")
        for k, g, coef in ring_terms:
            nz = np.nonzero(g)[0]
            rows = n * (1 + k) + nz
            dense = coef * np.outer(g[nz], g[nz])
            J = J + sp.csr_matrix((dense.ravel(), (np.repeat(rows, nz.size),
                                                   np.tile(nz, nz.size))),
                                  shape=J.shape)
        return F, J

    def dirichlet_dofs(self, electrode: bool = False) -> np.ndarray:
        """Unknowns fixed by the dendrite (and, for an electrode cap, the cap)."""
        nodes = self.dendrite_dofs
        if electrode:
            nodes = np.union1d(nodes, self.cap_dofs)
        return np.concatenate([nodes + self.n * k for k in range(self.ns + 1)])

    # ------------------------------------------------------------------ Newton
    def newton(self, X0, current, *, max_iter=30, tol=1e-9, electrode=None, **kw):
        """Solve F(X) = 0 from ``X0``; returns (X, iterations, update history).

        ``electrode`` [mV]: hold the cap at this potential and at bulk concentrations
        (an equipotential electrode; ``current`` is then ignored).
        """
        X = np.array(X0, dtype=float)
        fixed = self.dirichlet_dofs(electrode is not None)
        if electrode is not None:
            ue = float(electrode) / self.vt
            X[self.cap_dofs] = ue
            for k in range(self.ns):
                X[self.n * (1 + k) + self.cap_dofs] = self.z[k] * ue
            current = 0.0
        free = np.setdiff1d(np.arange(self.size), fixed)
        hist = []
        for it in range(1, int(max_iter) + 1):
            F, J = self.assemble(X, current, **kw)
            if not np.all(np.isfinite(F)):
                raise ConvergenceError("Newton produced a non-finite residual "
                                       "(a concentration over- or underflowed)", hist)
            Jf = J[free][:, free].tocsc()
            try:
                dx = spla.spsolve(Jf, -F[free])
            except RuntimeError as exc:       # singular factor
                raise ConvergenceError(f"singular Newton matrix ({exc})", hist) from None
            if not np.all(np.isfinite(dx)):
                raise ConvergenceError("singular Newton matrix", hist)
            step = float(np.max(np.abs(dx))) if dx.size else 0.0
            hist.append(step)
            if step > MU_CAP:
                dx *= MU_CAP / step
            X[free] += dx
            if step < tol:
                return X, it, hist
            if it >= 10 and step > 1e-2:      # not in Newton's quadratic range: give up
                break                         # early, continuation takes a smaller step
        raise ConvergenceError(f"Newton did not converge in {it} iterations", hist)

    def boundary_current(self, X, where="cap", **kw) -> float:
        """Current [nA] into the domain through the Dirichlet nodes of ``where``
        ("cap" for an electrode, "dendrite"), from the weak residual (the consistent
        flux), positive into the domain."""
        F, _ = self.assemble(X, 0.0, jacobian=False, **kw)
        nodes = self.cap_dofs if where == "cap" else self.dendrite_dofs
        total = 0.0
        for k in range(self.ns):
            q = float(F[self.n * (1 + k) + nodes].sum())        # scaled, per 2 pi
            total += self.z[k] * q
        return 2 * math.pi * total * self.c_ref / NANOAMP_TO_FLOW
