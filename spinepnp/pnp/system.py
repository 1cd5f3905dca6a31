"""Discrete PNP system: finite volumes, Scharfetter-Gummel fluxes, banded Newton.

Unknowns (interleaved per node, ``nv = 1 + n_species`` per node): the scaled potential
``u = V / VT`` and the concentrations scaled by ``c_ref`` (the largest bulk value).
Vertex-centred finite volumes on the node mesh; the dual cell of node ``i`` runs between
the midpoints of its neighbouring intervals. Per species ``s`` and interval ``[i, i+1]``
the Scharfetter-Gummel flow (exact for constant flux and field on the interval) is::

    Q = D_s A (B(t) c_i - B(-t) c_{i+1}),   t = z_s (u_{i+1} - u_i),  B(t) = t/(e^t - 1)

with the interval's effective area over length ``A = 1 / (gamma(x_{i+1}) - gamma(x_i))``
[um] (exact for any S(x), so the discrete Ohmic and electroneutral limits see the exact
Gamma). Poisson, area-weighted::

    l2 [A_{i+1/2} (u_{i+1} - u_i) - A_{i-1/2} (u_i - u_{i-1})] + vol_i sum_s z_s c_is = 0

with ``l2 = eps VT / (F c_ref)`` [um2] (twice the squared Debye length of a 1:1 salt at
``c_ref``). Boundary conditions: node 0 (dendrite) has u = 0 and bulk concentrations;
the last node (head end) gets the injected current as an inflow of the carrier, no flow
of the others, and either zero field (``head_bc="insulating"``: an uncharged insulating
wall, the natural condition of the finite-volume scheme) or local electroneutrality
(``head_bc="neutral"``: the Poisson equation of the last node replaced by
``sum z c = 0``, no Debye layer there).

The Jacobian is analytic. Its banded part (bandwidth ``2 nv - 1``) is factorised by
LAPACK's banded solver; ring sources couple the band-averaged potential to the band's
nodes and enter as a rank-one term per ring, handled by the Woodbury identity.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

from ..constants import (EPSILON_0, EPSILON_WATER, FARADAY, MM, MS, MV, NA, UM, UM2,
                         UM2_PER_MS, UM3, debye_length, thermal_voltage)
from .errors import ConvergenceError
from .mesh import check_mesh, graded_mesh
from .rings import Ring
from .species import check_species

__all__ = ["Problem", "bernoulli"]

HEAD_BCS = ("insulating", "neutral")
_UNSET = object()
_GBSV = scipy.linalg.get_lapack_funcs("gbsv", (np.empty(1),))


def bernoulli(t, deriv=True):
    """Bernoulli function B(t) = t/(e^t - 1) and its derivative, overflow-free.

    With ``deriv=False`` only B(t) is returned.
    """
    t = np.asarray(t, dtype=float)
    if t.ndim == 0:
        out = bernoulli(t.reshape(1), deriv)
        return tuple(o.reshape(()) for o in out) if deriv else out.reshape(())
    small = np.abs(t) < 1e-3
    any_small = bool(small.any())
    ts = np.where(small, 1.0, t) if any_small else t
    b = ts / np.expm1(np.minimum(ts, 700.0))    # ~t e^-700 = 0 beyond the clip
    if deriv:
        # B'(t) = B(t) (1 - B(-t)) / t with B(-t) = B(t) + t
        db = b * (1.0 - b - ts) / ts
    if any_small:                               # series for |t| < 1e-3 (few entries)
        tk = t[small]
        t2 = tk * tk
        b[small] = 1.0 - 0.5 * tk + t2 / 12.0 - t2 * t2 / 720.0
        if deriv:
            db[small] = -0.5 + tk / 6.0 - t2 * tk / 180.0
    return (b, db) if deriv else b


def _check_neck(neck):
    for attr in ("length", "area", "gamma_at"):
        if not hasattr(neck, attr):
            raise ValueError(f"neck = {neck!r} is not a geometry: it has no .{attr} "
                             "(use spinepnp.laws.Cylinder, Hyperboloid, Profile or "
                             "ball_and_neck)")
    try:
        length = float(neck.length)
    except (TypeError, ValueError):
        raise ValueError(f"neck.length = {neck.length!r} is not a number [um]") from None
    if not (math.isfinite(length) and length > 0):
        raise ValueError(f"neck.length = {length!r} um must be finite and > 0")
    return length


@functools.lru_cache(maxsize=64)
def _pattern(n, nv, head_bc):
    """Sparsity pattern of the Jacobian (depends only on the sizes and head_bc; shared,
    read-only)."""
    ns = nv - 1
    N = n * nv
    f = np.arange(n - 1)
    s = np.arange(ns)
    L = f[:, None] * nv + 1 + s[None, :]          # species rows/cols at left node
    R = L + nv
    uL = np.repeat((f * nv)[:, None], ns, axis=1)
    uR = uL + nv
    rows, cols = [], []
    # species flow entries, order: (R: cL, cR, uL, uR), (L: cL, cR, uL, uR)
    for r in (R, L):
        for c in (L, R, uL, uR):
            rows.append(r.ravel())
            cols.append(c.ravel())
    pL, pR = f * nv, f * nv + nv
    for r, c in ((pL, pL), (pL, pR), (pR, pL), (pR, pR)):
        rows.append(r)
        cols.append(c)
    node = np.arange(n)
    ci = node[:, None] * nv + 1 + s[None, :]
    pi = np.repeat((node * nv)[:, None], ns, axis=1)
    rows.append(pi.ravel())                        # charge in Poisson
    cols.append(ci.ravel())
    rows.append(ci.ravel())                        # mass (transient)
    cols.append(ci.ravel())
    rows.append(np.arange(nv))                     # Dirichlet identity at node 0
    cols.append(np.arange(nv))
    rows = np.concatenate(rows)
    cols = np.concatenate(cols)
    keep = rows >= nv                              # node 0 rows are Dirichlet
    keep[-nv:] = True
    if head_bc == "neutral":                       # last Poisson row: sum z c only
        nf = 8 * (n - 1) * ns
        pl = (n - 1) * nv
        face = np.arange(rows.size) < nf + 4 * (n - 1)
        keep &= ~((rows == pl) & face)
    bw = 2 * nv - 1
    # entry (r, c) sits at row 2 bw + r - c of the (3 bw + 1, N) Fortran-ordered array
    # of LAPACK's gbsv (its first bw rows are workspace for the LU fill-in)
    flat = cols * (3 * bw + 1) + (2 * bw + rows - cols)
    out = (rows, cols, keep.astype(float), flat, bw, (3 * bw + 1, N))
    for a in out:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return out


@functools.lru_cache(maxsize=64)
def _flow_off(n, nv, head_bc):
    """Positions of the flow entries that the pattern drops (Dirichlet rows)."""
    keep = _pattern(n, nv, head_bc)[2]
    off = np.nonzero(keep[:8 * (n - 1) * (nv - 1)] == 0)[0]
    off.flags.writeable = False
    return off


@functools.lru_cache(maxsize=64)
def _row_gather(N, bw):
    """Indices into the flattened band (with one zero appended) such that entry
    ``[bw + k, r]`` is row ``r``'s entry in column ``r - k`` (the zero if outside)."""
    k = np.arange(-bw, bw + 1)[:, None]
    r = np.arange(N)[None, :]
    c = r - k
    idx = np.where((c >= 0) & (c < N), (bw + k) * N + c, (2 * bw + 1) * N)
    idx.flags.writeable = False
    return idx


class Problem:
    """A discretised PNP problem on one mesh (internal; see solve_steady/solve_transient).

    Parameters
    ----------
    neck : geometry
        Any object with ``length`` [um], ``area(x)`` [um2] and ``gamma_at(x)`` [1/um].
    species : list of Species or None
        Species (default: Na+, K+, anion of the paper's Table I).
    carrier : str
        Name of the species carrying the injected current.
    celsius : float
        Temperature [degC].
    rings : sequence of Ring
        Voltage-gated channel rings.
    v_rest : float
        Membrane potential of the dendrite end [mV]; a ring sees ``v_rest + V(x)``.
    n : int
        Number of mesh nodes (ignored if ``mesh`` is given).
    mesh : array_like or None
        Node positions [um] from 0 to ``neck.length``.
    head_bc : {"insulating", "neutral"}
        Potential condition at the head end (see module docstring).

    Notes
    -----
    Everything that does not change between Newton iterations (sparsity pattern,
    geometric coefficients, the constant Jacobian entries, the saturation current) is
    computed once; the assembly writes into a buffer owned by the problem, so one
    problem must not be assembled from several threads at once.
    """

    def __init__(self, neck, species=None, carrier="na", celsius=20.0, rings=(),
                 v_rest=-70.0, n=2001, mesh=None, head_bc="insulating"):
        length = _check_neck(neck)
        self.neck = neck
        self.species, self.icarrier = check_species(species, carrier)
        self.carrier = carrier
        self.names = [s.name for s in self.species]
        if head_bc not in HEAD_BCS:
            raise ValueError(f"head_bc = {head_bc!r}: use one of {HEAD_BCS}")
        self.head_bc = head_bc
        self.celsius = float(celsius)
        self.vt = thermal_voltage(self.celsius)                  # mV
        self.v_rest = float(v_rest)
        if not math.isfinite(self.v_rest):
            raise ValueError(f"v_rest = {v_rest!r} mV must be finite")
        ns = len(self.species)
        self.ns, self.nv = ns, ns + 1
        self.z = np.array([s.z for s in self.species], dtype=float)
        self.D = np.array([s.diffusion for s in self.species], dtype=float)  # um2/ms
        conc = np.array([s.conc for s in self.species], dtype=float)          # mM
        self.c_ref = float(conc.max())                                        # mM
        self.bulk = conc / self.c_ref
        ionic = 0.5 * float((self.z ** 2 * conc).sum())
        self.debye = debye_length(ionic, self.celsius)                        # um
        # Poisson coefficient eps VT / (F c_ref) [um2]
        self.l2 = (EPSILON_WATER * EPSILON_0 * self.vt * MV /
                   (FARADAY * self.c_ref * MM) / UM2)
        # nA -> scaled flow (c_ref um3 / ms) of a monovalent ion
        self.q_scale = NA * MS / (FARADAY * self.c_ref * MM * UM3)
        # mesh and finite-volume geometry
        if mesh is None:
            x = graded_mesh(length, n, delta=4.0 * self.debye)
        else:
            x = check_mesh(mesh, length)
        self.x = x
        self.n = x.size
        self.N = self.n * self.nv
        h = x[1:] - x[:-1]
        mid = 0.5 * (x[:-1] + x[1:])
        m = self.n - 1
        # one vectorised call for all the sample points (the geometries are pointwise)
        pts = np.concatenate([x, x[:-1] + 0.25 * h, x[1:] - 0.25 * h, mid])
        with np.errstate(all="ignore"):
            gam = np.asarray(neck.gamma_at(x), dtype=float)
            s_all = np.asarray(neck.area(pts), dtype=float)
        if s_all.shape != pts.shape:
            s_all = np.broadcast_to(s_all, pts.shape)
        s_node, s_q1 = s_all[:self.n], s_all[self.n:self.n + m]
        s_q3, s_mid = s_all[self.n + m:self.n + 2 * m], s_all[self.n + 2 * m:]
        dg = gam[1:] - gam[:-1]
        # finite and > 0 (a NaN fails the min tests, +inf the max tests)
        if not (s_node.min() > 0 and s_mid.min() > 0 and dg.min() > 0
                and s_node.max() < math.inf and dg.max() < math.inf):
            raise ValueError(f"neck {neck!r}: the cross-section must be finite and > 0 "
                             "everywhere on [0, length] (and gamma_at increasing)")
        self.Af = 1.0 / dg                                       # um
        self.gamma = gam - gam[0]                                # 1/um
        self.Gamma = float(self.gamma[-1])                       # 1/um
        left = h / 12.0 * (s_node[:-1] + 4.0 * s_q1 + s_mid)     # Simpson, [x_i, mid]
        right = h / 12.0 * (s_mid + 4.0 * s_q3 + s_node[1:])     # [mid, x_{i+1}]
        self.vol = np.zeros(self.n)
        self.vol[:-1] += left
        self.vol[1:] += right                                    # um3
        self.s_node = s_node                                     # um2
        self.length = length
        self._setup_rings(rings)
        self._setup_pattern()
        self._setup_constants()
        self.row_scale = None
        #: "banded" (LAPACK banded LU, the default) or "sparse" (SuperLU on the CSC
        #: matrix; slower, kept as a benchmark baseline)
        self.linear_solver = "banded"

    @property
    def cell_lo(self):
        """Left ends of the dual cells [um]."""
        return np.concatenate([[0.0], 0.5 * (self.x[:-1] + self.x[1:])])

    @property
    def cell_hi(self):
        """Right ends of the dual cells [um]."""
        return np.concatenate([0.5 * (self.x[:-1] + self.x[1:]), [self.length]])

    # ------------------------------------------------------------------ rings
    def _setup_rings(self, rings):
        self.rings = list(rings or ())
        self.ring_idx, self.ring_w, self.ring_sp = [], [], []
        for r in self.rings:
            if not isinstance(r, Ring):
                raise ValueError(f"{r!r} is not a spinepnp.pnp ring (BoltzmannRing, "
                                 "HHNaRing)")
            name = self.carrier if r.species is None else r.species
            if name not in self.names:
                raise ValueError(f"ring {r!r} carries species {name!r}, which is not one "
                                 f"of {self.names}")
            lo, hi = r.x - 0.5 * r.width, r.x + 0.5 * r.width
            if not (0.0 <= r.x <= self.length) or hi <= 0 or lo >= self.length:
                raise ValueError(f"ring at x = {r.x} um lies outside the domain "
                                 f"[0, {self.length}] um")
            overlap = np.clip(np.minimum(self.cell_hi, hi) - np.maximum(self.cell_lo, lo),
                              0.0, None)
            w = overlap * 2.0 * np.sqrt(np.pi * self.s_node)
            w[0] = 0.0                                  # node 0 is a Dirichlet node
            if not w.sum() > 0:
                w = np.zeros(self.n)
                w[max(1, int(np.argmin(np.abs(self.x - r.x))))] = 1.0
            idx = np.nonzero(w)[0]
            self.ring_idx.append(idx)
            self.ring_w.append(w[idx] / w[idx].sum())
            self.ring_sp.append(self.names.index(name))

    def ring_vm(self, y):
        """Band-averaged membrane potentials [mV] of the rings for state ``y``."""
        u = y[0::self.nv]
        return np.array([self.v_rest + self.vt * float(np.dot(w, u[idx]))
                         for idx, w in zip(self.ring_idx, self.ring_w)])

    # ------------------------------------------------------------ sparsity
    def _setup_pattern(self):
        (self._rows, self._cols, self._keep, self._flat, self.bw,
         self._lapack_shape) = _pattern(self.n, self.nv, self.head_bc)

    def _setup_constants(self):
        """Per-problem constants of the assembly (reused by every Newton iteration)."""
        n, ns = self.n, self.ns
        self._z_row = self.z[None, :]
        self._DA = self.D[None, :] * self.Af[:, None]
        self._nDA = -self._DA
        self._lA = self.l2 * self.Af
        m = (n - 1) * ns
        lA = self._lA
        charge = (self.vol[:, None] * self.z[None, :]).ravel()
        static = np.concatenate([-lA, lA, lA, -lA, charge])
        vals = np.empty(self._flat.size)
        self._flow_off = _flow_off(self.n, self.nv, self.head_bc)
        k = 8 * m + static.size
        vals[8 * m:k] = static * self._keep[8 * m:k]
        self._mass_slice = slice(k, k + n * ns)
        # steady state: no mass entries, except that an immobile species (D = 0) has
        # no flux to fix it, so its rows hold it at its bulk value: -vol (c - c_bulk)
        self._imm = np.nonzero(self.D == 0.0)[0]
        imm_rep = np.tile(self.D == 0.0, n)
        self._steady_mass = (-np.repeat(self.vol, ns) * imm_rep
                             * self._keep[self._mass_slice])
        vals[self._mass_slice] = self._steady_mass
        self._mass_set = False
        vals[k + n * ns:] = 1.0                      # Dirichlet identity (always kept)
        self._vals = vals
        self._vol_rep = np.repeat(self.vol, ns)
        self._z_carrier = float(self.z[self.icarrier])
        is_conc = np.ones((n, self.nv), dtype=bool)
        is_conc[:, 0] = False
        self._is_conc = is_conc.ravel()
        self._atol = {}
        self._sat = _UNSET
        self._law = None

    # ------------------------------------------------------------ assembly
    def assemble(self, y, current, ring_scale=1.0, a0=0.0, hist=None, ring_fun=None,
                 y_ref=None):
        """Residual, banded Jacobian and ring low-rank factors at state ``y``.

        Parameters
        ----------
        y : ndarray
            Interleaved scaled unknowns.
        current : float
            Injected current [nA].
        ring_scale : float
            Homotopy factor multiplying the ring currents (1 = physical).
        a0 : float
            BDF coefficient of the new state [1/ms] (0 for steady state).
        hist : ndarray or None
            BDF history term (same layout as ``y``, [scaled/ms]): the time derivative
            is ``a0 (y - y_ref) + hist``.
        ring_fun : callable or None
            ``ring_fun(k, vm) -> (I [nA], dI/dvm [uS])`` for ring ``k``; default: the
            steady-state (gating at equilibrium) ring current.
        y_ref : ndarray or None
            Reference state of the BDF difference (the last accepted state); written as
            a difference so that a steady state has an exactly zero time derivative.

        Returns
        -------
        F : ndarray
            Residual.
        ab : ndarray
            Banded Jacobian (LAPACK layout, ``bw`` sub- and super-diagonals).
        U, V : ndarray or None
            Ring factors: full Jacobian = band + U V^T.
        """
        F, a1, U, V = self._assemble(y, current, ring_scale, a0, hist, ring_fun, y_ref,
                                     True)
        return F, a1[self.bw:], U, V

    def residual(self, y, current, ring_scale=1.0, a0=0.0, hist=None, ring_fun=None,
                 y_ref=None):
        """Residual only (the ``F`` of :meth:`assemble`, without the Jacobian)."""
        return self._assemble(y, current, ring_scale, a0, hist, ring_fun, y_ref, False)

    def _assemble(self, y, current, ring_scale, a0, hist, ring_fun, y_ref, jac):
        n, nv, ns = self.n, self.nv, self.ns
        z = self._z_row
        DA = self._DA
        Y = y.reshape(n, nv)
        u = Y[:, 0]
        C = Y[:, 1:]
        du = u[1:] - u[:-1]
        T = du[:, None] * z
        if jac:
            bp, dbp = bernoulli(T)
        else:
            bp = bernoulli(T, deriv=False)
        bm = bp + T
        CL, CR = C[:-1], C[1:]
        Q = DA * (bp * CL - bm * CR)
        F = np.empty((n, nv))
        G = F[:, 1:]
        G[0] = 0.0
        G[1:] = Q
        G[:-1] -= Q
        flux_u = self._lA * du
        P = F[:, 0]
        P[-1] = 0.0
        P[:-1] = flux_u
        P[1:] -= flux_u
        P += C @ self.z * self.vol
        if self.head_bc == "neutral":
            P[-1] = self.vol[-1] * float(C[-1] @ self.z)
        # sources
        G[-1, self.icarrier] += current * self.q_scale / self._z_carrier
        transient = a0 != 0.0 or hist is not None
        if transient:
            H = hist.reshape(n, nv)[:, 1:] if hist is not None else 0.0
            Cr = y_ref.reshape(n, nv)[:, 1:] if y_ref is not None else 0.0
            G -= self.vol[:, None] * (a0 * (C - Cr) + H)
        elif self._imm.size:               # immobile species: held at the bulk value
            imm = self._imm
            G[:, imm] -= self.vol[:, None] * (C[:, imm] - self.bulk[imm])
        U = V = None
        if self.rings:
            k = len(self.rings)
            U = np.zeros((self.N, k))
            V = np.zeros((self.N, k))
            vms = self.ring_vm(y)
            for j, (idx, w, sp) in enumerate(zip(self.ring_idx, self.ring_w,
                                                 self.ring_sp)):
                if ring_fun is None:
                    i_r, di_r = self.steady_ring_current(j, vms[j])
                else:
                    i_r, di_r = ring_fun(j, vms[j])
                fac = -ring_scale * self.q_scale / self.z[sp] * w
                G[idx, sp] += fac * i_r
                U[idx * nv + 1 + sp, j] = fac * di_r
                V[idx * nv, j] = self.vt * w
            U[:nv] = 0.0
        F[0, 0] = u[0]
        F[0, 1:] = C[0] - self.bulk
        if not jac:
            return F.ravel()
        # Jacobian values in the order of the pattern, written into a reused buffer:
        # flows (R rows: cL, cR, uL, uR; L rows: the negatives), then the constant
        # Poisson, charge, mass and Dirichlet entries
        m = (n - 1) * ns
        vals = self._vals
        blk = vals[:4 * m].reshape(4, n - 1, ns)
        np.multiply(DA, bp, out=blk[0])                               # dQ/dcL
        np.multiply(self._nDA, bm, out=blk[1])                        # dQ/dcR
        dQ_t = DA * (dbp * CL - (1.0 + dbp) * CR)
        np.multiply(dQ_t, z, out=blk[3])                              # dQ/duR
        np.negative(blk[3], out=blk[2])                               # dQ/duL
        np.negative(vals[:4 * m], out=vals[4 * m:8 * m])
        vals[self._flow_off] = 0.0                  # flows into the Dirichlet rows
        if transient:
            mass = vals[self._mass_slice]
            np.multiply(-a0, self._vol_rep, out=mass)
            mass *= self._keep[self._mass_slice]
            self._mass_set = True
        elif self._mass_set:
            vals[self._mass_slice] = self._steady_mass
            self._mass_set = False
        # the (3 bw + 1, N) Fortran-ordered array of gbsv; the band is a1[bw:]
        rows, N = self._lapack_shape
        a1 = np.bincount(self._flat, weights=vals, minlength=rows * N).reshape(N, rows).T
        return F.ravel(), a1, U, V

    def steady_ring_current(self, j, vm, h=1e-5):
        """Ring ``j`` current [nA] at ``vm`` [mV] with gating at steady state, and its
        derivative [uS] (central difference, step ``h`` [mV])."""
        r = self.rings[j]

        def f(v):
            return r.current(v, r.steady_states(v))
        return f(vm), (f(vm + h) - f(vm - h)) / (2.0 * h)

    def jacobian_sparse(self, y, current, **kw):
        """Full Jacobian as a scipy.sparse CSR matrix (for checks and other solvers)."""
        _, ab, U, V = self.assemble(y, current, **kw)
        J = self._band_to_sparse(ab)
        if U is not None:
            J = J + scipy.sparse.csr_matrix(U @ V.T)
        return J

    def _band_to_sparse(self, ab):
        bw = self.bw
        offsets = np.arange(bw, -bw - 1, -1)
        diags = []
        for k, off in enumerate(offsets):
            d = ab[k]
            diags.append(d[off:] if off >= 0 else d[:off])
        return scipy.sparse.diags(diags, offsets, shape=(self.N, self.N), format="csr")

    # ------------------------------------------------------------ linear solve
    def solve_linear(self, ab, U, V, rhs):
        """Solve (band + U V^T) d = rhs with LAPACK's banded LU and Woodbury."""
        bw = self.bw
        if self.linear_solver == "sparse":
            return self._solve(None, ab, U, V, rhs)
        a1 = np.empty((3 * bw + 1, self.N), order="F")     # Fortran order: no copy in
        a1[:bw] = 0.0                                       # the LAPACK wrapper
        a1[bw:] = ab
        return self._solve(a1, ab, U, V, rhs)

    def _solve(self, a1, ab, U, V, rhs):
        """As :meth:`solve_linear`, given the gbsv array ``a1`` (overwritten by the LU;
        ``ab = a1[bw:]``)."""
        bw = self.bw
        if self.linear_solver == "sparse":
            lu = scipy.sparse.linalg.splu(self._band_to_sparse(ab).tocsc())
            solve = lu.solve
        else:
            # LAPACK gbsv directly (scipy.linalg.solve_banded adds ~0.1 ms of checks)
            def solve(b):
                _, _, x, info = _GBSV(bw, bw, a1, b, overwrite_ab=1, overwrite_b=0)
                if info > 0:
                    raise np.linalg.LinAlgError(f"singular Jacobian (pivot {info})")
                if info < 0:
                    raise ValueError(f"illegal argument {-info} to LAPACK gbsv")
                return x
        if U is None:
            return solve(rhs)
        X = solve(np.column_stack([rhs, U]))
        d0, Z = X[:, 0], X[:, 1:]
        small = np.eye(U.shape[1]) + V.T @ Z
        return d0 - Z @ np.linalg.solve(small, V.T @ d0)

    def _row_scale(self, ab):
        """Largest |entry| of every Jacobian row (1 for empty rows)."""
        a = np.append(np.abs(ab).ravel(), 0.0)
        m = a[_row_gather(self.N, self.bw)].max(axis=0)
        m[m == 0] = 1.0
        return m

    # ------------------------------------------------------------ Newton
    def newton(self, y0, current, ring_scale=1.0, a0=0.0, hist=None, ring_fun=None,
               y_ref=None, max_iter=30, rtol=1e-9, atol_u=1e-10, atol_c=1e-12, max_du=4.0):
        """Damped Newton iteration; returns (y, iterations, residual history).

        Converged when every update is below ``atol + rtol |y|`` (scaled unknowns:
        ``u`` in units of VT, concentrations in units of ``c_ref``). Steps are damped
        so that no potential moves more than ``max_du`` VT and no concentration loses
        more than 90 % in one iteration.

        Raises
        ------
        ConvergenceError
            After ``max_iter`` iterations, or on a non-finite residual; carries the
            residual and update histories.
        """
        y = np.array(y0, dtype=float)
        nv = self.nv
        atol = self._atol.get((atol_u, atol_c))
        if atol is None:
            atol = np.full(self.N, atol_c)
            atol[0::nv] = atol_u
            self._atol[(atol_u, atol_c)] = atol
        res_hist, upd_hist = [], []
        for it in range(1, max_iter + 1):
            F, a1, U, V = self._assemble(y, current, ring_scale, a0, hist, ring_fun, y_ref,
                                         True)
            ab = a1[self.bw:]
            if self.row_scale is None:
                self.row_scale = self._row_scale(ab)
            rn = float((np.abs(F) / self.row_scale).max())
            res_hist.append(rn)
            if not math.isfinite(rn):
                raise ConvergenceError("Newton failed: the residual is not finite",
                                       res_hist, upd_hist)
            try:
                d = self._solve(a1, ab, U, V, -F)       # a1 is not needed afterwards
            except (np.linalg.LinAlgError, ValueError) as exc:
                raise ConvergenceError(f"Newton failed: singular Jacobian ({exc})",
                                       res_hist, upd_hist) from None
            if not np.isfinite(d).all():
                raise ConvergenceError("Newton failed: non-finite update", res_hist,
                                       upd_hist)
            alpha = 1.0
            du = np.abs(d[0::nv]).max()
            if du > max_du:
                alpha = max_du / du
            neg = (d < -0.9 * y) & self._is_conc        # concentrations losing > 90 %
            if neg.any():
                alpha = min(alpha, float(np.min(0.9 * y[neg] / -d[neg])))
            y = y + d if alpha == 1.0 else y + alpha * d
            y[0] = 0.0                      # Dirichlet values, exactly
            y[1:nv] = self.bulk
            un = float((np.abs(d) / (atol + rtol * np.abs(y))).max())
            upd_hist.append(un)
            if alpha == 1.0 and un <= 1.0:
                F = self.residual(y, current, ring_scale, a0, hist, ring_fun, y_ref)
                res_hist.append(float((np.abs(F) / self.row_scale).max()))
                return y, it, res_hist
        raise ConvergenceError(f"Newton did not converge in {max_iter} iterations",
                               res_hist, upd_hist)

    # ------------------------------------------------------------ states
    def uniform_state(self):
        """Bulk concentrations and zero potential everywhere (rest without rings)."""
        y = np.zeros((self.n, self.nv))
        y[:, 1:] = self.bulk
        return y.ravel()

    def unpack(self, y):
        """Potential [mV] and concentrations [mM] (n_species x n) of a state."""
        Y = y.reshape(self.n, self.nv)
        return self.vt * Y[:, 0], self.c_ref * Y[:, 1:].T

    # ------------------------------------------------------------ electroneutral law
    def saturation_current(self):
        """Saturation current I_sat >= 0 [nA] for mobile monovalent species without rings,
        else None (the convention of :mod:`spinepnp.laws`: steady states need
        ``z I > -I_sat``).

        With every species monovalent, the species of the carrier's sign other than the
        carrier (total ``C_same``) and of the opposite sign (``C_counter``) sit at
        Boltzmann equilibrium and the carrier runs out at the head end when
        ``z I = -(1 - sqrt(C_same/C_counter)) 2 C_counter D F / Gamma = -I_sat``.
        """
        if self._sat is _UNSET:
            self._sat = self._saturation_current()
        return self._sat

    def _saturation_current(self):
        if self.rings or np.any(np.abs(self.z) != 1) or self._imm.size:
            return None
        zc = self.z[self.icarrier]
        conc = self.bulk * self.c_ref
        same = float(sum(c for c, z, i in zip(conc, self.z, range(self.ns))
                         if z == zc and i != self.icarrier))
        counter = float(sum(c for c, z in zip(conc, self.z) if z != zc))
        if counter <= 0:
            return None
        return (1.0 - math.sqrt(same / counter)) * self._i2(counter)

    def _i2(self, counter):
        d = self.D[self.icarrier]                                # um2/ms
        # 2 C D F / Gamma in nA: C [mM = mol/m3], D [um2/ms], Gamma [1/um]
        return 2.0 * counter * MM * d * UM2_PER_MS * FARADAY * UM / self.Gamma / NA

    def law_state(self, current):
        """Electroneutral steady state (the paper's law, any S(x)) as an initial guess.

        Returns None where it does not apply (rings, non-monovalent species) or the
        current is beyond saturation.
        """
        sat = self.saturation_current()
        if sat is None:
            return None
        zc = self.z[self.icarrier]
        if not zc * current > -sat:
            return None
        if self._law is None:
            conc = self.bulk * self.c_ref
            same = sum(c for c, z, i in zip(conc, self.z, range(self.ns))
                       if z == zc and i != self.icarrier)
            counter = sum(c for c, z in zip(conc, self.z) if z != zc)
            self._law = (conc, same, counter, self.gamma / self.Gamma,
                         self._i2(counter))
        conc, same, counter, g, i2 = self._law
        w = 1.0 + zc * current * g / i2
        Y = np.empty((self.n, self.nv))
        Y[:, 0] = zc * np.log(w)
        for i, z in enumerate(self.z):
            if i == self.icarrier:
                Y[:, 1 + i] = counter * w - same / w
            elif z == zc:
                Y[:, 1 + i] = conc[i] / w
            else:
                Y[:, 1 + i] = conc[i] * w
        Y[:, 1:] /= self.c_ref
        return Y.ravel()
