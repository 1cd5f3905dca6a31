"""Graded triangle meshes of axisymmetric (r, z) domains.

Two generators, both returning a :class:`skfem.MeshTri` whose ``boundaries`` name the
facet sets the solver needs (``"dendrite"``, ``"cap"``, ``"membrane"``; the symmetry
axis r = 0 needs no name: its weak-form weight r vanishes):

- :func:`tensor_mesh`: a tensor grid of given node positions (the FEM library's own
  ``MeshTri.init_tensor``), for rectangular (r, z) domains, graded by the caller;
- :func:`gmsh_mesh`: an outline of straight lines and circular arcs meshed by gmsh
  (Frontal-Delaunay), with the element size growing linearly with the distance from
  refinement curves and points: ``h = h0 + grading * distance``, capped at ``h_max``.
  This resolves the Debye layers (h0 ~ a fraction of the Debye length) and the field
  singularities at the corners of the domain with few elements.

Lengths are in um throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Segment", "Refinement", "tensor_mesh", "gmsh_mesh", "graded_nodes",
           "facet_lookup"]


def graded_nodes(length: float, h_end: float, h_max: float, grading: float = 0.15,
                 at=("end",)) -> np.ndarray:
    """Nodes on [0, length] whose spacing grows as ``h_end + grading * distance`` from
    the ends named in ``at`` (``"start"``, ``"end"``), capped at ``h_max`` [um]."""
    if not (h_end > 0 and h_max >= h_end and grading > 0 and length > 0):
        raise ValueError(f"graded_nodes: need length > 0, 0 < h_end <= h_max and "
                         f"grading > 0 (got {length}, {h_end}, {h_max}, {grading})")

    def spacing(x):
        d = []
        if "start" in at:
            d.append(x)
        if "end" in at:
            d.append(length - x)
        dist = min(d) if d else length
        return min(h_end + grading * max(dist, 0.0), h_max)

    xs = [0.0]
    while xs[-1] < length:
        x = xs[-1]
        h = spacing(x)
        h = min(h, spacing(min(x + h, length)))     # do not overshoot a fine end
        xs.append(x + h)
    x = np.array(xs)
    # stretch the last interval onto the end
    x = x * (length / x[-1])
    if x.size >= 3 and x[-1] - x[-2] < 0.3 * (x[-2] - x[-3]):
        x = np.delete(x, -2)
    return x


def facet_lookup(mesh, pairs) -> np.ndarray:
    """Indices of the mesh facets joining the node pairs ``pairs`` (2, n)."""
    f = np.sort(mesh.facets, axis=0)
    key = f[0].astype(np.int64) * mesh.p.shape[1] + f[1]
    order = np.argsort(key)
    p = np.sort(np.asarray(pairs), axis=0)
    want = p[0].astype(np.int64) * mesh.p.shape[1] + p[1]
    pos = np.searchsorted(key[order], want)
    pos = np.clip(pos, 0, key.size - 1)
    found = order[pos]
    if not np.all(key[found] == want):
        raise RuntimeError("mesh boundary edges do not match the triangulation's facets")
    return np.unique(found)


def tensor_mesh(r_nodes, z_nodes, boundaries: dict):
    """Tensor triangle mesh of a rectangle with named boundary facets.

    ``boundaries`` maps a name to a function of the facet midpoints ``(r, z)`` (arrays)
    returning a boolean mask; only boundary facets are classified.
    """
    from skfem import MeshTri
    mesh = MeshTri.init_tensor(np.asarray(r_nodes, float), np.asarray(z_nodes, float))
    mesh = MeshTri(np.ascontiguousarray(mesh.p), np.ascontiguousarray(mesh.t))
    return mesh.with_boundaries({k: (lambda x, f=f: f(x[0], x[1]))
                                 for k, f in boundaries.items()})


@dataclass
class Segment:
    """A piece of a domain outline: a line (``centre`` None) or a circular arc about
    ``centre`` (less than half a circle), from ``start`` to ``end`` (r, z) [um],
    on the boundary ``name`` (None: the symmetry axis)."""

    start: tuple
    end: tuple
    name: str | None
    centre: tuple | None = None


@dataclass
class Refinement:
    """Element size ``h0 + grading * distance`` near the named segments' curves and at
    the given points [um]."""

    h0: float
    grading: float
    segments: tuple = ()
    points: tuple = ()
    extra: dict = field(default_factory=dict)


def gmsh_mesh(outline, refinements, h_max: float, name: str = "domain"):
    """Mesh the closed ``outline`` (list of :class:`Segment`, counter-clockwise in the
    (r, z) plane) with gmsh; returns a ``skfem.MeshTri`` with named boundaries.

    gmsh runs in this process with its terminal output off; it is initialised and
    finalised here.
    """
    try:
        import gmsh
    except ImportError as exc:   # pragma: no cover - a dependency
        raise ImportError("spinepnp.pnp2d needs gmsh for curved domains: "
                          "pip install gmsh") from exc
    from skfem import MeshTri

    started = False
    if not gmsh.isInitialized():
        gmsh.initialize(interruptible=False)
        started = True
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add(name)
        geo = gmsh.model.geo
        pts = {}

        def point(xy):
            key = (round(xy[0], 12), round(xy[1], 12))
            if key not in pts:
                pts[key] = geo.addPoint(xy[0], xy[1], 0.0)
            return pts[key]

        curves, names = [], []
        for seg in outline:
            a, b = point(seg.start), point(seg.end)
            if seg.centre is None:
                c = geo.addLine(a, b)
            else:
                c = geo.addCircleArc(a, point(seg.centre), b)
            curves.append(c)
            names.append(seg.name)
        loop = geo.addCurveLoop(curves)
        geo.addPlaneSurface([loop])
        geo.synchronize()
        # centre points of arcs are not part of the outline
        fields = []
        for ref in refinements:
            fd = gmsh.model.mesh.field.add("Distance")
            cl = [c for c, n in zip(curves, names) if n in ref.segments]
            if cl:
                gmsh.model.mesh.field.setNumbers(fd, "CurvesList", cl)
                gmsh.model.mesh.field.setNumber(fd, "Sampling", 400)
            if ref.points:
                gmsh.model.mesh.field.setNumbers(fd, "PointsList",
                                                 [point(p) for p in ref.points])
            geo.synchronize()
            fm = gmsh.model.mesh.field.add("MathEval")
            gmsh.model.mesh.field.setString(fm, "F", f"{ref.h0!r} + {ref.grading!r}*F{fd}")
            fields.append(fm)
        fmin = gmsh.model.mesh.field.add("Min")
        gmsh.model.mesh.field.setNumbers(fmin, "FieldsList", fields)
        gmsh.model.mesh.field.setAsBackgroundMesh(fmin)
        for opt, val in (("Mesh.MeshSizeExtendFromBoundary", 0),
                         ("Mesh.MeshSizeFromPoints", 0),
                         ("Mesh.MeshSizeFromCurvature", 0),
                         ("Mesh.MeshSizeMax", h_max),
                         ("Mesh.Algorithm", 6),
                         ("Mesh.Optimize", 1)):
            gmsh.option.setNumber(opt, val)
        for c, n in zip(curves, names):
            gmsh.model.addPhysicalGroup(1, [c], name=n or "axis")
        gmsh.model.addPhysicalGroup(2, [1], name="domain")
        gmsh.model.mesh.generate(2)
        tags, xyz, _ = gmsh.model.mesh.getNodes()
        index = {int(t): i for i, t in enumerate(tags)}
        p = xyz.reshape(-1, 3)[:, :2].T.copy()
        etypes, _, enodes = gmsh.model.mesh.getElements(2)
        tri = None
        for et, en in zip(etypes, enodes):
            if et == 2:
                tri = np.array([index[int(t)] for t in en]).reshape(-1, 3).T
        if tri is None:
            raise RuntimeError("gmsh produced no triangles")
        edges = {}
        for c, n in zip(curves, names):
            if n is None:
                continue
            et, _, en = gmsh.model.mesh.getElements(1, c)
            e = np.array([index[int(t)] for t in en[0]]).reshape(-1, 2).T
            edges.setdefault(n, []).append(e)
    finally:
        gmsh.model.remove() if gmsh.isInitialized() else None
        if started:
            gmsh.finalize()
    used = np.unique(tri)
    if used.size != p.shape[1]:          # drop nodes not in any triangle (arc centres)
        new = -np.ones(p.shape[1], dtype=int)
        new[used] = np.arange(used.size)
        p = p[:, used]
        tri = new[tri]
        edges = {k: [new[e] for e in v] for k, v in edges.items()}
    p[0] = np.maximum(p[0], 0.0)         # the axis exactly at r = 0
    mesh = MeshTri(np.ascontiguousarray(p), np.ascontiguousarray(tri))
    # orient counter-clockwise (skfem needs positive Jacobians)
    mesh = mesh.oriented()
    bnd = {k: facet_lookup(mesh, np.hstack(v)) for k, v in edges.items()}
    return mesh.with_boundaries(bnd)
