"""Paper Fig 3: transient current into a ball-and-neck spine with voltage-gated rings.

A 50 pA current (a step, and an alpha function ``I0 s exp(-s/tpeak)`` peaking at 50 pA at
``tpeak`` = 10 ms) enters the head of a spine (cylindrical neck L = 1 um, r = 50 nm;
spherical head r = 250 nm; 167 mM binary salt) that carries one ring of instantaneous
Boltzmann channels (the paper's Fig 3A inset) at one of four places: head top, head
bottom, neck top, neck bottom (or no ring). The head voltage (relative to the dendrite
interior) is computed three ways:

1. full PNP (:func:`spinepnp.pnp.solve_transient` on
   :func:`spinepnp.geometry.ball_and_neck` with :class:`spinepnp.pnp.BoltzmannRing`),
   read at the head centre (docs/physics.rst, "Cautions": not at the injection cap); the paper's own
   measure, ``max_x V``, is kept in the CSV;
2. NEURON with the drop-in spine ``SpnpSpine`` (mode 2, dynamic electroneutral neck;
   mode 1, steady law, dashed), in a dendrite held at rest; its ring is ``gbz_head``
   (a lumped head, so head top and head bottom are the same model) or ``gbz_neck`` at
   the ring's own Gamma from the dendrite;
3. the explicit spine (the classical cable): head and neck Sections
   (:func:`spinepnp.build.attach_spine`) with the ring as an ``SpnpRing`` point process
   at the same place, Ra calibrated so that the dendrite-to-head-centre resistance is
   the PNP small-signal R0 (only the nonlinearity and the electro-diffusion differ); an
   explicit spine with a typical Ra (``DEFAULT_RA``, 150 Ohm cm) is shown without ring.

Labels, CSV columns and summary rows name the three ``full_pnp``, ``nrn2``/``nrn1``
(SpnpSpine modes 2 and 1) and ``explicit``/``explicit_ra``.

The rings see the membrane potential ``v_rest + V`` (V: the potential relative to the
dendrite interior, which sits at ``v_rest``).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from .. import laws
from ..channels import boltzmann, boltzmann_current
from ..constants import DEFAULT_RA, thermal_voltage
from .common import Result, save_csv, save_figure

NAME = "fig3"
TITLE = ("Paper Fig 3: transient current into a ball-and-neck spine with voltage-gated "
         "rings")

# --- physics (paper Table I, binary salt) ------------------------------------------
CONC = 167.0        # mM, salt at the dendrite end
D_NA = 1.33         # um2/ms, carrier (cation)
D_ANION = 2.03      # um2/ms, anion (Cl-)
CELSIUS = 20.0      # degC (VT = 25.26 mV)
V_REST = -70.0      # mV, dendrite (and resting spine) membrane potential

# --- geometry ---------------------------------------------------------------------
NECK_LEN = 1.0      # um
NECK_R = 0.05       # um
HEAD_R = 0.25       # um
CAP_R = 0.01        # um (injection cap, paper: 10 nm)

# --- stimulus ---------------------------------------------------------------------
AMP = 0.05          # nA (50 pA)
T_ON = 10.0         # ms (paper: step starting at 10 ms)
TPEAK = 10.0        # ms, alpha function time to peak

#: The ring (paper Fig 3A inset gives no values; chosen so that head rings activate at
#: 50 pA): total conductance [uS], reversal, half activation, slope [mV], band [um].
RING = {"gmax": 0.00025, "erev": 50.0, "vhalf": -67.0, "slope": 1.0, "width": 0.02}

#: Ring placements: tag -> (label, colour as in the paper). Head rings sit at axial
#: z = HEAD_Z * HEAD_R from the sphere's centre, neck rings at NECK_FRAC of the neck.
PLACEMENTS = {
    "none": ("no ring", "k"),
    "head_top": ("head top", "C0"),
    "head_bottom": ("head bottom", "C2"),
    "neck_top": ("neck top", "C1"),
    "neck_bottom": ("neck bottom", "C3"),
}
#: Markers per ring place: places whose curves coincide (head top and bottom; no ring
#: and neck bottom) stay distinguishable (hollow markers at staggered points)
PLACE_MARKERS = {
    "none": dict(marker="x", markevery=(0.0, 0.1)),
    "head_top": dict(marker="^", markevery=(0.0, 0.1), mfc="none"),
    "head_bottom": dict(marker="v", markevery=(0.05, 0.1), mfc="none"),
    "neck_top": dict(marker="s", markevery=(0.025, 0.1), mfc="none"),
    "neck_bottom": dict(marker="o", markevery=(0.075, 0.1), mfc="none"),
}
HEAD_Z = {"head_top": 0.8, "head_bottom": -0.8}          # z / HEAD_R
NECK_FRAC = {"neck_top": 0.9, "neck_bottom": 0.1}         # x / NECK_LEN
HEAD_NSEG = 5      # cable head Section: nodes at 0.1 ... 0.9 (z = -0.8 ... 0.8 HEAD_R)
NECK_NSEG = 5      # cable neck Section: nodes at 0.1 ... 0.9


def _settings(quick: bool) -> dict:
    if quick:
        return dict(n=201, rtol=1e-4, t_stop=60.0, step_dur=30.0, dt_out=0.2,
                    dt_nrn=0.01, dt_max=1.0)
    return dict(n=801, rtol=1e-5, t_stop=100.0, step_dur=50.0, dt_out=0.05,
                dt_nrn=0.0025, dt_max=0.25)


# ------------------------------------------------------------------------- geometry

def spine_geometry():
    """The PNP domain (:func:`spinepnp.geometry.ball_and_neck`)."""
    from ..geometry import ball_and_neck
    return ball_and_neck(NECK_LEN, NECK_R, HEAD_R, CAP_R)


def _z0() -> float:
    """Axial position of the neck-head junction relative to the sphere's centre [um]."""
    return -math.sqrt(HEAD_R ** 2 - NECK_R ** 2)


def head_centre_x() -> float:
    """x [um] of the head's centre in the PNP domain (x = 0 at the dendrite)."""
    return NECK_LEN - _z0()


def ring_x(tag: str) -> float:
    """x [um] of ring ``tag`` in the PNP domain."""
    if tag in HEAD_Z:
        return NECK_LEN + HEAD_Z[tag] * HEAD_R - _z0()
    return NECK_FRAC[tag] * NECK_LEN


def r0_head_centre() -> float:
    """PNP small-signal resistance from the dendrite to the head centre [MOhm]:
    ``VT Gamma(x_c) / (2 C D F)`` (:func:`spinepnp.laws.ohmic_resistance`, scaled by
    Gamma)."""
    neck = laws.Cylinder(NECK_LEN, NECK_R)
    return (laws.ohmic_resistance(neck, CONC, D_NA, CELSIUS)
            * spine_geometry().gamma_at(head_centre_x()) / neck.gamma)


def calibrated_ra() -> float:
    """Ra [Ohm cm] making the cable's dendrite-to-head-centre resistance R0(head centre):
    the neck cylinder plus half the head cylinder (L = diam = 2 HEAD_R)."""
    g_cable = NECK_LEN / (math.pi * NECK_R ** 2) + HEAD_R / (math.pi * HEAD_R ** 2)
    from ..build import explicit_neck_ra
    return explicit_neck_ra(r0_head_centre(), g_cable)


# ------------------------------------------------------------------------- stimuli

def waveforms(settings: dict) -> dict:
    """name -> (spinepnp.pnp Waveform, breakpoints [ms])."""
    from ..pnp import alpha, step
    t_off = T_ON + settings["step_dur"]
    return {"step": (step(AMP, T_ON, t_off), (T_ON, t_off)),
            "alpha": (alpha(AMP, TPEAK, T_ON), (T_ON,))}


def output_times(settings: dict, breaks) -> np.ndarray:
    """Common sample times [ms]: a uniform grid (never exactly on a breakpoint, where the
    models disagree on which side they record) refined just after every breakpoint."""
    t = np.arange(0.0, settings["t_stop"] + 1e-9, settings["dt_out"])
    for b in breaks:
        t = t[np.abs(t - b) > 1e-9]
    extra = [b + d for b in breaks for d in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)]
    return np.unique(np.concatenate([t, np.array(extra)]))


def _interp_pieces(t_out, t_rec, y_rec, breaks, at_break_after: bool):
    """Interpolate a record onto ``t_out`` without interpolating across a jump.

    Records are split at the breakpoints; a record exactly at a breakpoint belongs to the
    piece after it (``at_break_after``, the PNP solver's convention) or before it
    (NEURON's: the value at t_b was computed before the step's current changed).
    """
    t_rec = np.asarray(t_rec, dtype=float)
    y_rec = np.asarray(y_rec, dtype=float)
    # NEURON accumulates t by adding dt: a record "at" a breakpoint may be off by ~1e-12
    tol = 1e-7 * (-1.0 if at_break_after else 1.0)
    edges = [-np.inf] + [b + tol for b in sorted(breaks)] + [np.inf]
    out = np.full(t_out.shape, np.nan)
    for a, b in zip(edges[:-1], edges[1:]):
        sel_o = (t_out > a - tol) & (t_out < b - tol)
        if at_break_after:
            sel_r = (t_rec >= a) & (t_rec < b)
        else:
            sel_r = (t_rec > a) & (t_rec <= b)
        if not sel_o.any():
            continue
        if not sel_r.any():
            raise RuntimeError(f"no record between the breakpoints {a} and {b} ms")
        out[sel_o] = np.interp(t_out[sel_o], t_rec[sel_r], y_rec[sel_r])
    return out


# ------------------------------------------------------------------------- models

def run_pnp(tag: str, wave, breaks, t_out, settings) -> dict:
    """Full PNP run; returns head-centre V, max_x V, ring membrane potential and current
    on ``t_out``."""
    from ..pnp import BoltzmannRing, Species, solve_transient
    species = [Species("na", 1, D_NA, CONC), Species("a", -1, D_ANION, CONC)]
    rings = []
    if tag != "none":
        rings = [BoltzmannRing(ring_x(tag), RING["gmax"], RING["erev"], RING["vhalf"],
                               RING["slope"], width=RING["width"])]
    tr = solve_transient(spine_geometry(), wave, settings["t_stop"], species, "na",
                         CELSIUS, t_eval=None, rings=rings, v_rest=V_REST,
                         n=settings["n"], rtol=settings["rtol"],
                         dt_max=settings["dt_max"])
    xc = head_centre_x()
    j = int(np.searchsorted(tr.x, xc))
    wgt = (xc - tr.x[j - 1]) / (tr.x[j] - tr.x[j - 1])
    v_c = (1 - wgt) * tr.v[:, j - 1] + wgt * tr.v[:, j]
    res = {"v": _interp_pieces(t_out, tr.t, v_c, breaks, True),
           "vmax": _interp_pieces(t_out, tr.t, tr.max_potential, breaks, True),
           "steps": tr.n_steps}
    if rings:
        res["vm_ring"] = _interp_pieces(t_out, tr.t, tr.ring_vm[:, 0], breaks, True)
        res["i_ring"] = _interp_pieces(t_out, tr.t, tr.ring_current[:, 0], breaks, True)
    return res


def _neuron():
    from neuron import h

    from ..loader import load_mechanisms
    load_mechanisms()
    h.load_file("stdrun.hoc")
    return h


def _play(h, ref, wave, breaks, t_stop, dt):
    """Play the waveform into ``ref`` on NEURON's time grid (steps exactly at the
    breakpoints: each appears twice in the time vector)."""
    grid = np.arange(0.0, t_stop + dt, dt)
    tt, vv = [], []
    for t in grid:
        for b in breaks:
            if abs(t - b) < 0.5 * dt:
                tt.append(b)
                vv.append(wave(b - 1e-9))
                t = b
        tt.append(t)
        vv.append(wave(t))
    tvec, ivec = h.Vector(tt), h.Vector(vv)
    ivec.play(ref, tvec, 1)
    return tvec, ivec


def _run_neuron(h, t_stop, dt, breaks, fine=5e-5, window=0.1):
    """Fixed-step (backward Euler) run to ``t_stop``, with step ``dt`` [ms] except for
    ``window`` ms after every breakpoint, where the step is ``fine``: the cable head
    charges in ~1 us, and NEURON linearises the steep ring once per step, so coarse
    steps across an onset overshoot (0.2 mV at 5 us steps)."""
    h.cvode_active(0)
    h.celsius = CELSIUS
    h.dt = dt
    h.finitialize(V_REST)
    pieces = []
    for b in sorted(breaks):
        if b >= t_stop:
            break
        pieces += [(b, dt), (min(b + window, t_stop), fine)]
    pieces.append((t_stop, dt))
    for t_end, step in pieces:
        n = int(round((t_end - h.t) / step))
        h.dt = step
        for _ in range(max(n, 0)):
            h.fadvance()


def spnp_neck_rings() -> bool:
    """True if the loaded SpnpSpine has neck rings (``gbz_neck``, ``ring_gamma``,
    ``vring``)."""
    h = _neuron()
    sec = h.Section(name="fig3_probe")
    try:
        pp = h.SpnpSpine(sec(0.5))
        ok = all(hasattr(pp, k) for k in ("gbz_neck", "ring_gamma", "ring_pos", "vring"))
        del pp
    finally:
        h.delete_section(sec=sec)
    return ok


class _LumpedNeck:
    """The PNP spine as SpnpSpine sees it: a cylinder neck (length, volume) whose Gamma
    runs from the dendrite to the head centre (the head is one node), with the PNP
    geometry's own Gamma at every point of the neck (for the neck rings)."""

    def __init__(self, geo):
        self.length = NECK_LEN
        self.volume = math.pi * NECK_R ** 2 * NECK_LEN
        self.gamma = float(geo.gamma_at(head_centre_x()))
        self.gamma_at = geo.gamma_at


def run_spnp(tag: str, mode: int, wave, breaks, t_out, settings) -> dict:
    """SpnpSpine (mode 1 or 2) in a dendrite at rest. Its head is lumped, so both head
    placements are its head ring ``gbz_head``; neck placements use its neck ring
    (``gbz_neck`` at ``ring_gamma``; in mode 2 a node of the dynamic neck sits there)."""
    from ..build import attach_spine, clamped_dendrite
    h = _neuron()
    geo = spine_geometry()
    neck = _LumpedNeck(geo)
    head_vol = geo.volume - neck.volume
    dend, clamp = clamped_dendrite(V_REST, name="fig3_dend")
    try:
        params = dict(gfloor=1e-12, iinj=0.0)
        if tag != "none":
            params.update(ebz=RING["erev"], vhalf_bz=RING["vhalf"],
                          slope_bz=RING["slope"])
        if tag in HEAD_Z:
            params["gbz_head"] = RING["gmax"]
        elif tag != "none":
            # at ring_pos the ring gets its own Gamma from the dendrite (neck.gamma_at)
            params.update(gbz_neck=RING["gmax"], ring_pos=NECK_FRAC[tag])
        pp = attach_spine(dend(0.5), {1: "pnp", 2: "pnp-dynamic"}[mode], "paper",
                          neck=neck, head_diam=(6 * head_vol / math.pi) ** (1 / 3),
                          conc=CONC, diffusion=D_NA, g_pas=0.0, e_pas=V_REST,
                          **({"diff_anion": D_ANION} if mode == 2 else {}),
                          **params).point
        tvec, ivec = _play(h, pp._ref_iinj, wave, breaks, settings["t_stop"],
                           settings["dt_nrn"])
        rt, rv, rd, rr = h.Vector(), h.Vector(), h.Vector(), h.Vector()
        rt.record(h._ref_t)
        rv.record(pp._ref_vhead)
        rd.record(dend(0.5)._ref_v)
        if tag in NECK_FRAC:
            rr.record(pp._ref_vring)
        _run_neuron(h, settings["t_stop"], settings["dt_nrn"], breaks)
        t = np.array(rt)
        vh = np.array(rv)
        v = vh - np.array(rd)
        ivec.play_remove()
        res = {"v": _interp_pieces(t_out, t, v, breaks, False)}
        if tag != "none":
            vm = _interp_pieces(t_out, t, np.array(rr) if tag in NECK_FRAC else vh,
                                breaks, False)
            res["vm_ring"] = vm
            res["i_ring"] = boltzmann_current(vm, RING["gmax"], RING["erev"],
                                              RING["vhalf"], RING["slope"])
        del pp
    finally:
        h.delete_section(sec=dend)
    return res


def run_cable(tag: str, wave, breaks, t_out, settings, ra: float | None = None) -> dict:
    """Explicit head and neck Sections (Ra calibrated to the PNP R0 unless ``ra``), the
    ring an SpnpRing at the same place, current injected at the head's top."""
    from ..build import attach_spine, clamped_dendrite
    h = _neuron()
    dend, clamp = clamped_dendrite(V_REST, name="fig3_cable_dend")
    secs = [dend]
    try:
        # "explicit-ra": head and neck Sections with the given Ra (here the one that
        # calibrates neck plus half head to the PNP's R0, so Spine.r0 is that neck's)
        sp = attach_spine(dend(0.5), "explicit-ra", "paper",
                          neck=laws.Cylinder(NECK_LEN, NECK_R), g_pas=0.0, cm=1.0,
                          ra=calibrated_ra() if ra is None else float(ra),
                          head_synapse="exp2syn", neck_nseg=NECK_NSEG, name="fig3_cable")
        secs += [sp.neck, sp.head]
        sp.head.nseg = HEAD_NSEG
        ring = None
        if tag != "none":
            if tag in HEAD_Z:
                loc = sp.head(0.5 * (1.0 + HEAD_Z[tag]))
            else:
                loc = sp.neck(NECK_FRAC[tag])
            ring = h.SpnpRing(loc)
            ring.kinetics = 1
            ring.gmax, ring.erev = RING["gmax"], RING["erev"]
            ring.vhalf, ring.slope = RING["vhalf"], RING["slope"]
        stim = h.IClamp(sp.head(1.0))
        stim.delay, stim.dur, stim.amp = 0.0, 1e9, 0.0
        tvec, ivec = _play(h, stim._ref_amp, wave, breaks, settings["t_stop"],
                           settings["dt_nrn"])
        rt, rv, rd, ri, rm = (h.Vector() for _ in range(5))
        rt.record(h._ref_t)
        rv.record(sp.head(0.5)._ref_v)
        rd.record(dend(0.5)._ref_v)
        if ring is not None:
            ri.record(ring._ref_i)
            rm.record(loc._ref_v)
        _run_neuron(h, settings["t_stop"], settings["dt_nrn"], breaks)
        ivec.play_remove()
        t = np.array(rt)
        res = {"v": _interp_pieces(t_out, t, np.array(rv) - np.array(rd), breaks, False),
               "ra": sp.ra}
        if ring is not None:
            res["vm_ring"] = _interp_pieces(t_out, t, np.array(rm), breaks, False)
            res["i_ring"] = _interp_pieces(t_out, t, np.array(ri), breaks, False)
        del ring, stim, sp
    finally:
        for sec in secs:
            h.delete_section(sec=sec)
    return res


# ------------------------------------------------------------------------- analysis

def _rest_index(t, t_on) -> int:
    """Index of the last sample before the onset (the resting value)."""
    return max(int(np.searchsorted(t, t_on)) - 1, 0)


def activation_delay(t, i_ring, t_on, frac=0.5) -> float:
    """Time [ms] after ``t_on`` at which the ring current's change from its resting value
    (the last sample before ``t_on``) first reaches ``frac`` of its largest change
    (linear interpolation between samples); NaN if the ring current does not change."""
    t = np.asarray(t, dtype=float)
    i_ring = np.asarray(i_ring, dtype=float)
    k0 = _rest_index(t, t_on)
    t, d = t[k0:], np.abs(i_ring[k0:] - i_ring[k0])
    top = d.max()
    if not top > 0:
        return float("nan")
    k = int(np.argmax(d >= frac * top))
    t0, t1, d0, d1 = t[k - 1], t[k], d[k - 1], d[k]
    tc = t1 if d1 == d0 else t0 + (frac * top - d0) * (t1 - t0) / (d1 - d0)
    return float(max(tc, t_on) - t_on)


def _summary_row(rows, stim, model, tag, t, r, t_on):
    v = r["v"]
    k = int(np.argmax(v))
    k0 = _rest_index(t, t_on)
    rows["stimulus"].append(stim)
    rows["model"].append(model)
    rows["placement"].append(tag)
    rows["peak_mV"].append(float(v[k]))
    rows["t_peak_after_onset_ms"].append(float(t[k] - t_on))
    rows["v_rest_offset_mV"].append(float(v[k0]))
    if "i_ring" in r:
        i = r["i_ring"]
        rows["ring_i_rest_pA"].append(float(i[k0] * 1e3))
        rows["ring_i_peak_pA"].append(float(i[np.argmax(np.abs(i - i[k0]))] * 1e3))
        rows["ring_act_rest"].append(float(boltzmann(r["vm_ring"][k0], RING["vhalf"],
                                                     RING["slope"])))
        rows["ring_act_max"].append(float(boltzmann(np.max(r["vm_ring"]), RING["vhalf"],
                                                    RING["slope"])))
        rows["delay50_ms"].append(activation_delay(t, i, t_on, 0.5))
        rows["delay90_ms"].append(activation_delay(t, i, t_on, 0.9))
    else:
        for key in ("ring_i_rest_pA", "ring_i_peak_pA", "ring_act_rest", "ring_act_max",
                    "delay50_ms", "delay90_ms"):
            rows[key].append(float("nan"))


MODEL_LABELS = {"full_pnp": "full PNP (head centre)",
                "nrn2": "NEURON SpnpSpine mode 2 (dynamic neck)",
                "nrn1": "NEURON SpnpSpine mode 1 (steady law)",
                "explicit": "explicit spine, Ra calibrated to R0",
                "explicit_ra": f"explicit spine, Ra = {DEFAULT_RA:g} Ohm cm"}


def run(out: Path, quick: bool = False, progress=None) -> Result:
    """Run the Fig 3 comparison into ``out``; see the module docstring."""
    t_start = time.perf_counter()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from .neuron_spine import spine_available

    out = Path(out)
    st = _settings(quick)
    waves = waveforms(st)
    have_nrn = spine_available()
    all_breaks = sorted({b for _, br in waves.values() for b in br})
    t_out = output_times(st, all_breaks)
    tags = list(PLACEMENTS)
    head_tags = ["none", "head_top"]         # SpnpSpine: a lumped head (top = bottom)
    spnp_tags = head_tags + (["neck_top", "neck_bottom"]
                             if have_nrn and spnp_neck_rings() else [])
    jobs = []
    for stim in waves:
        jobs += [(stim, "full_pnp", tag) for tag in tags]
        if have_nrn:
            jobs += [(stim, "nrn2", tag) for tag in spnp_tags]
            jobs += [(stim, "nrn1", tag) for tag in spnp_tags]
            jobs += [(stim, "explicit", tag) for tag in tags]
            jobs += [(stim, "explicit_ra", "none")]
    results = {}
    pnp_steps = 0
    for k, (stim, model, tag) in enumerate(jobs):
        wave, br = waves[stim]
        if model == "full_pnp":
            r = run_pnp(tag, wave, br, t_out, st)
            pnp_steps += r["steps"]
        elif model in ("nrn1", "nrn2"):
            r = run_spnp(tag, int(model[-1]), wave, br, t_out, st)
        elif model == "explicit":
            r = run_cable(tag, wave, br, t_out, st)
        else:
            r = run_cable(tag, wave, br, t_out, st, ra=DEFAULT_RA)
        results[(stim, model, tag)] = r
        if progress:
            progress(k + 1, len(jobs))

    # ---------------------------------------------------------------- numbers, CSVs
    r0c = r0_head_centre()
    i_s = laws.saturation_current(laws.Cylinder(NECK_LEN, NECK_R), CONC, D_NA, CELSIUS)
    vt = thermal_voltage(CELSIUS)
    isat_c = vt / r0c                                        # I_s to the head centre
    dv_law_centre = vt * math.log1p(AMP / isat_c)           # steady law at head centre
    traces = {"t_ms": t_out,
              "I_step_pA": np.array([waves["step"][0](t) for t in t_out]) * 1e3,
              "I_alpha_pA": np.array([waves["alpha"][0](t) for t in t_out]) * 1e3}
    rows = {k: [] for k in ("stimulus", "model", "placement", "peak_mV",
                            "t_peak_after_onset_ms", "v_rest_offset_mV", "ring_i_rest_pA",
                            "ring_i_peak_pA", "ring_act_rest", "ring_act_max",
                            "delay50_ms", "delay90_ms")}
    for (stim, model, tag), r in results.items():
        traces[f"V_{model}_{stim}_{tag}_mV"] = r["v"]
        if model == "full_pnp":
            traces[f"Vmax_{model}_{stim}_{tag}_mV"] = r["vmax"]
        if "i_ring" in r:
            traces[f"Iring_{model}_{stim}_{tag}_pA"] = r["i_ring"] * 1e3
        _summary_row(rows, stim, model, tag, t_out, r, T_ON)
    nrow = len(rows["model"])
    rx = {tag: (ring_x(tag) if tag != "none" else float("nan")) for tag in tags}
    rows.update({"ring_x_pnp_um": [rx[p] for p in rows["placement"]],
                 "gmax_uS": [RING["gmax"]] * nrow, "erev_mV": [RING["erev"]] * nrow,
                 "vhalf_mV": [RING["vhalf"]] * nrow, "slope_mV": [RING["slope"]] * nrow,
                 "v_rest_mV": [V_REST] * nrow, "band_um": [RING["width"]] * nrow,
                 "amp_pA": [AMP * 1e3] * nrow})
    csvs = [save_csv(out, "fig3_traces.csv", traces),
            save_csv(out, "fig3_summary.csv", rows)]

    def peak(stim, model, tag):
        r = results.get((stim, model, tag))
        return float(np.max(r["v"])) if r is not None else float("nan")

    def delay(stim, model, tag, frac=0.5):
        r = results.get((stim, model, tag))
        if r is None or "i_ring" not in r:
            return float("nan")
        return activation_delay(t_out, r["i_ring"], T_ON, frac)

    step_end = T_ON + st["step_dur"]
    k_end = int(np.searchsorted(t_out, step_end)) - 1
    numbers = {
        "R0 dendrite to head centre [MOhm]": r0c,
        "I_s (neck) [pA]": i_s * 1e3,
        "explicit spine: Ra calibrated to R0 [Ohm cm]": calibrated_ra(),
        "steady law at head centre, 50 pA [mV]": dv_law_centre,
        "PNP no ring, step: V at onset + 10 us [mV]": float(np.interp(
            T_ON + 0.01, t_out, results[("step", "full_pnp", "none")]["v"])),
        "PNP no ring, step: V at step end [mV]":
            float(results[("step", "full_pnp", "none")]["v"][k_end]),
        "PNP no ring, step: max_x V at step end (paper's Delta V) [mV]":
            float(results[("step", "full_pnp", "none")]["vmax"][k_end]),
    }
    for stim in waves:
        for model in ("full_pnp", "nrn2", "nrn1", "explicit"):
            for tag in ("none", "head_top", "neck_top", "neck_bottom"):
                if (stim, model, tag) in results:
                    numbers[f"peak V {model} {stim} {PLACEMENTS[tag][0]} [mV]"] = \
                        peak(stim, model, tag)
    # delays: for the step, t50 is within microseconds everywhere; t90 shows the creep
    for stim, frac in (("alpha", 0.5), ("step", 0.9)):
        for model in ("full_pnp", "nrn2", "explicit"):
            for tag in tags[1:]:
                if (stim, model, tag) in results:
                    numbers[f"ring t{round(frac * 100)} {model} {stim} "
                            f"{PLACEMENTS[tag][0]} [ms]"] = delay(stim, model, tag, frac)
    if have_nrn:
        for stim in waves:
            for tag in spnp_tags:
                if tag == "head_top":
                    continue        # a lumped head against a ring near the head's top
                a = results[(stim, "full_pnp", tag)]["v"]
                b = results[(stim, "nrn2", tag)]["v"]
                sel = (t_out > T_ON + 0.0099) & (np.abs(a) > 0.05 * np.max(a))
                where = "no ring" if tag == "none" else f"ring {PLACEMENTS[tag][0]}"
                numbers[f"max abs(NEURON mode 2 - PNP) / PNP peak, {where}, {stim}"] = \
                    float(np.max(np.abs(a[sel] - b[sel])) / np.max(a))
        numbers[f"explicit spine, Ra {DEFAULT_RA:g}: peak V step no ring [mV]"] = peak("step", "explicit_ra",
                                                               "none")
    numbers["PNP time steps (all runs)"] = pnp_steps

    # ---------------------------------------------------------------- figure
    models = ["full_pnp"] + (["nrn2", "explicit"] if have_nrn else [])
    fig, ax = plt.subplots(2, len(models) + 1, figsize=(4.2 * (len(models) + 1), 8),
                           squeeze=False, layout="constrained")
    ymax = max(float(np.max(r["v"])) for (s, m, _), r in results.items()
               if m != "explicit_ra")
    for i, stim in enumerate(waves):
        for j, model in enumerate(models):
            a = ax[i, j]
            for tag in tags:
                r = results.get((stim, model, tag))
                if r is None:
                    continue
                lab, col = PLACEMENTS[tag]
                if model == "nrn2" and tag == "head_top":
                    lab = "head (lumped: top = bottom)"
                a.plot(t_out, r["v"], color=col, lw=1.3, label=lab, ms=4,
                       **PLACE_MARKERS[tag])
            if model == "full_pnp":
                a.plot(t_out, results[(stim, "full_pnp", "none")]["vmax"], ":", color="k",
                       lw=0.9, label="no ring, max over x (paper's Delta V)")
            if model == "nrn2":
                for tag in spnp_tags:
                    r = results[(stim, "nrn1", tag)]
                    a.plot(t_out, r["v"], "--", color=PLACEMENTS[tag][1], lw=0.9,
                           label=f"mode 1 (steady law), {PLACEMENTS[tag][0]}")
            if model == "explicit":
                r = results[(stim, "explicit_ra", "none")]
                a.plot(t_out, r["v"], ":", color="0.5", lw=1.0,
                       label=f"no ring, Ra = {DEFAULT_RA:g} Ohm cm (peak "
                             f"{np.max(r['v']):.1f} mV, off scale)")
            a.set_ylim(-0.2, 1.55 * ymax)          # room for the legend above the data
            a.set_xlim(0, st["t_stop"])
            a.set_xlabel("time [ms]")
            a.set_ylabel("head centre V - V_dendrite [mV]" if model != "nrn2" else
                         "head V - V_dendrite [mV]")
            a.set_title(f"{MODEL_LABELS[model]}\n{stim} 50 pA", fontsize=9)
            a.legend(fontsize=6.3, loc="upper center", ncol=2, columnspacing=0.8,
                     handlelength=1.6)
    # inset column: activation curve and stimuli
    a = ax[0, -1]
    vm = np.linspace(V_REST - 5, V_REST + 10, 300)
    a.plot(vm, -boltzmann_current(vm, RING["gmax"], RING["erev"], RING["vhalf"],
                                  RING["slope"]) * 1e3, "k-")
    a.axvline(V_REST, ls=":", color="0.5", label=f"rest {V_REST:g} mV")
    a.axvline(V_REST + float(np.max(results[("step", "full_pnp", "none")]["v"])), ls="--",
              color="0.5", label="head, 50 pA step, no ring (PNP)")
    a.set_xlabel("membrane potential v_rest + V [mV]")
    a.set_ylabel("inward ring current -I_VC [pA]")
    a.set_title(f"ring I_VC(V) (Fig 3A inset): gmax = {RING['gmax'] * 1e3:g} nS,\n"
                f"E = {RING['erev']:g} mV, V1/2 = {RING['vhalf']:g} mV, "
                f"k = {RING['slope']:g} mV", fontsize=9)
    a.legend(fontsize=7, loc="upper left")
    a = ax[1, -1]
    a.plot(t_out, traces["I_step_pA"], "k-", label="step")
    a.plot(t_out, traces["I_alpha_pA"], "k--",
           label=f"alpha, tpeak = {TPEAK:g} ms")
    a.set_xlabel("time [ms]")
    a.set_ylabel("injected current [pA]")
    a.set_title("current into the head (at the cap)", fontsize=9)
    a.set_xlim(0, st["t_stop"])
    a.set_ylim(-2, 60)
    a.legend(fontsize=7)
    fig.suptitle(TITLE + (" (quick)" if quick else ""), fontsize=11)
    figs = [save_figure(fig, out, "fig3.png")]

    # ring currents
    fig, ax = plt.subplots(2, len(models), figsize=(4.4 * len(models), 7.5),
                           squeeze=False, layout="constrained")
    for i, stim in enumerate(waves):
        for j, model in enumerate(models):
            a = ax[i, j]
            for tag in tags[1:]:
                r = results.get((stim, model, tag))
                if r is None:
                    continue
                lab, col = PLACEMENTS[tag]
                frac = 0.9 if stim == "step" else 0.5
                dl = activation_delay(t_out, r["i_ring"], T_ON, frac)
                if model == "nrn2":
                    lab = "mode 2, " + ("head" if tag in HEAD_Z else lab)
                a.plot(t_out, -r["i_ring"] * 1e3, color=col, label=f"{lab}: {dl:.3f}",
                       ms=4, **PLACE_MARKERS[tag])
            if model == "nrn2":
                for tag in spnp_tags[1:]:
                    r = results[(stim, "nrn1", tag)]
                    lab = "head" if tag in HEAD_Z else PLACEMENTS[tag][0]
                    dl = activation_delay(t_out, r["i_ring"], T_ON, frac)
                    a.plot(t_out, -r["i_ring"] * 1e3, "--", color=PLACEMENTS[tag][1],
                           lw=0.9, label=f"mode 1, {lab}: {dl:.3f}")
            a.set_xlim(0, st["t_stop"])
            a.set_xlabel("time [ms]")
            a.set_ylabel("inward ring current -I_VC [pA]")
            a.set_title(f"{MODEL_LABELS[model].replace(' (head centre)', '')}\n"
                        f"{stim} 50 pA", fontsize=9)
            top = max(float(np.max(-r["i_ring"])) for (s_, m_, t_), r in results.items()
                      if s_ == stim and "i_ring" in r) * 1e3
            a.set_ylim(0, 1.6 * top)                # room for the legend above the data
            a.legend(fontsize=6.5, loc="upper center", ncol=2, columnspacing=0.8,
                     handlelength=1.6,
                     title=f"t{90 if stim == 'step' else 50} [ms]: time after onset to "
                           f"{90 if stim == 'step' else 50} % of the max change",
                     title_fontsize=6.5)
    fig.suptitle("Fig 3: ring currents and activation delays", fontsize=11)
    figs.append(save_figure(fig, out, "fig3_rings.png"))

    caption = _caption(numbers, have_nrn, st, results, t_out)
    res = Result(NAME, TITLE, caption, figs, csvs, numbers)
    res.seconds = time.perf_counter() - t_start
    return res


def salt_time_constant() -> float:
    """Lumped-head salt relaxation time ``V_head L / (D_a S)`` [ms] (docs/physics.rst, "Time scales")."""
    s = math.pi * NECK_R ** 2
    v_head = spine_geometry().volume - s * NECK_LEN
    d_a = 2 * D_NA * D_ANION / (D_NA + D_ANION)
    return v_head * NECK_LEN / (d_a * s)


def _caption(nb, have_nrn, st, results, t_out) -> str:
    def g(key):
        return nb.get(key, float("nan"))

    def pk(model, stim, tag):
        return g(f"peak V {model} {stim} {PLACEMENTS[tag][0]} [mV]")

    def m2err(where, stim):
        """NEURON mode 2 against the PNP: max deviation in % of the PNP peak."""
        return 100 * g(f"max abs(NEURON mode 2 - PNP) / PNP peak, {where}, {stim}")

    rings = list(PLACEMENTS)[1:]
    neck = laws.Cylinder(NECK_LEN, NECK_R)
    i_s = g("I_s (neck) [pA]")
    vt = thermal_voltage(CELSIUS)
    # Gamma a neck would need for 6 mV at 50 pA with the steady law, relative to ours
    gam_ratio = math.expm1(6.0 / vt) * i_s * 1e-3 / AMP
    tau = salt_time_constant()
    d_pnp = {t: g(f"ring t50 full_pnp alpha {PLACEMENTS[t][0]} [ms]") for t in rings}
    d_cab = {t: g(f"ring t50 explicit alpha {PLACEMENTS[t][0]} [ms]") for t in rings}
    t90_pnp = {t: g(f"ring t90 full_pnp step {PLACEMENTS[t][0]} [ms]") for t in rings}
    k0 = _rest_index(t_out, T_ON)
    act = {}
    for tag in rings:
        vm = results[("step", "full_pnp", tag)]["vm_ring"]
        act[tag] = (float(boltzmann(vm[k0], RING["vhalf"], RING["slope"])),
                    float(boltzmann(np.max(vm), RING["vhalf"], RING["slope"])))
    v_on = g("PNP no ring, step: V at onset + 10 us [mV]")
    v_end = g("PNP no ring, step: V at step end [mV]")
    vmax_end = g("PNP no ring, step: max_x V at step end (paper's Delta V) [mV]")
    text = [
        f"Spine: neck L = {NECK_LEN:g} um, r = {NECK_R * 1e3:g} nm; head r = "
        f"{HEAD_R * 1e3:g} nm; injection cap r = {CAP_R * 1e3:g} nm; {CONC:g} mM binary "
        f"salt (D+ = {D_NA}, D- = {D_ANION} um2/ms), {CELSIUS:g} degC. Ring (our choice; "
        f"the paper gives no values): instantaneous Boltzmann, gmax = "
        f"{RING['gmax'] * 1e3:g} nS, E = {RING['erev']:g} mV, V1/2 = "
        f"{RING['vhalf']:g} mV, slope {RING['slope']:g} mV, band "
        f"{RING['width'] * 1e3:g} nm; v_rest = {V_REST:g} mV (rings see v_rest + V). "
        f"Placements: head top/bottom at z = +-{HEAD_Z['head_top']:g} r_head from the "
        f"head centre, neck top/bottom at {NECK_FRAC['neck_top']:g}/"
        f"{NECK_FRAC['neck_bottom']:g} of the neck. Step {T_ON:g}-"
        f"{T_ON + st['step_dur']:g} ms; alpha from {T_ON:g} ms, tpeak = {TPEAK:g} ms.",
        f"**Peak voltage.** Without rings the full PNP head-centre voltage at 50 pA "
        f"peaks at {pk('full_pnp', 'step', 'none'):.2f} mV (step) and "
        f"{pk('full_pnp', 'alpha', 'none'):.2f} mV (alpha); the paper's max over the domain "
        f"adds only the cap's quasi-1D spreading drop ({vmax_end:.2f} mV). The paper "
        f"states about 6 mV. The steady law bounds our number: VT ln(1 + I/I_s) = "
        f"{laws.delta_v(AMP, neck, CONC, D_NA, CELSIUS):.2f} mV for this neck (I_s = "
        f"{i_s:.0f} pA), {g('steady law at head centre, 50 pA [mV]'):.2f} mV to the "
        f"head centre; 6 mV needs ~{gam_ratio:.1f}x our Gamma = int dx/S (a longer or "
        f"narrower neck; the paper does not give Fig 3's geometry). A 3D model's "
        f"spreading resistance under the 10 nm cap, which a quasi-1D model cannot have "
        f"(rho/(4 a) ~ 15 MOhm for the law's 59 Ohm cm), would add only ~0.7 mV to "
        f"max_x V at 50 pA.",
        f"**Dynamics.** At onset the PNP head jumps to {v_on:.2f} mV (both ions conduct "
        f"at bulk concentration: 2D+/(D+ + D-) = {2 * D_NA / (D_NA + D_ANION):.2f} of "
        f"R0) and climbs to the steady law ({v_end:.2f} mV) as salt accumulates in the "
        f"head, with tau ~ V_head L/(D_a S) = {tau:.1f} ms.",
    ]
    if have_nrn:
        text.append(
            f"The explicit spine calibrated to R0 = {g('R0 dendrite to head centre [MOhm]'):.1f} "
            f"MOhm sits at R0 I = {pk('explicit', 'step', 'none'):.2f} mV within ~1 us "
            f"(R0 C_head); with Ra = {DEFAULT_RA:g} Ohm cm it reaches "
            f"{g(f'explicit spine, Ra {DEFAULT_RA:g}: peak V step no ring [mV]'):.2f} mV. NEURON's SpnpSpine "
            f"mode 2 (dynamic neck, lumped head) follows the full PNP within "
            f"{m2err('no ring', 'step'):.2f} % (step) and "
            f"{m2err('no ring', 'alpha'):.2f} % (alpha) of the peak after 10 us; mode 1 (steady law, dashed) has no salt "
            f"dynamics. SpnpSpine lumps the head (head top = head bottom). "
            + (f"With the ring on the neck (a node of the dynamic neck on the ring) mode 2 "
               f"follows the PNP within "
               + ", ".join(f"{m2err('ring ' + PLACEMENTS[t][0], s_):.2f} % "
                           f"({PLACEMENTS[t][0]}, {s_})"
                           for t in ("neck_top", "neck_bottom") for s_ in ("step", "alpha"))
               + f" of the peak, and has the PNP's ring delays (alpha t50 at the neck top "
               f"{g('ring t50 nrn2 alpha neck top [ms]'):.2f} vs "
               f"{g('ring t50 full_pnp alpha neck top [ms]'):.2f} ms, step t90 at the neck "
               f"bottom {g('ring t90 nrn2 step neck bottom [ms]'):.2f} vs "
               f"{g('ring t90 full_pnp step neck bottom [ms]'):.2f} ms); mode 1 sits at once at "
               f"the PNP's late value (step, neck top: "
               f"{pk('nrn1', 'step', 'neck_top'):.2f} mV vs "
               f"{pk('full_pnp', 'step', 'neck_top'):.2f} mV)."
               if f"peak V nrn2 step {PLACEMENTS['neck_top'][0]} [mV]" in nb else
               "Its neck rings are not available in this build.")
            )
    else:
        text.append("NEURON's SpnpSpine is not available: the NEURON and explicit-spine columns "
                    "are omitted.")
    ring_txt = (
        f"**Rings.** Head rings raise the step peak from {pk('full_pnp', 'step', 'none'):.2f} "
        f"to {pk('full_pnp', 'step', 'head_top'):.2f} mV (PNP"
        + (f"; explicit spine {pk('explicit', 'step', 'none'):.2f} to "
           f"{pk('explicit', 'step', 'head_top'):.2f} mV" if have_nrn else "")
        + f"); a ring at the neck top does almost as much "
        f"({pk('full_pnp', 'step', 'neck_top'):.2f} mV); at the neck bottom it is barely "
        f"activated (activation {act['neck_bottom'][0]:.2f} at rest, "
        f"{act['neck_bottom'][1]:.2f} at most, vs {act['head_top'][1]:.2f} in the head "
        f"top), as the paper says. Delays on the alpha input (t50, time from onset to "
        f"half the ring current's largest change): PNP "
        + ", ".join(f"{PLACEMENTS[t][0]} {d_pnp[t]:.2f}" for t in rings) + " ms")
    if have_nrn:
        lag = np.nanmean([d_pnp[t] - d_cab[t] for t in ("head_top", "head_bottom",
                                                         "neck_top")])
        t90_cab = max(g(f"ring t90 explicit step {PLACEMENTS[t][0]} [ms]") for t in rings)
        ring_txt += (
            "; explicit spine " + ", ".join(f"{PLACEMENTS[t][0]} {d_cab[t]:.2f}" for t in rings)
            + f" ms: the neck top activates ~0.5 ms after the head in both (it sees a "
            f"lower voltage on the rising input), and electro-diffusion delays every "
            f"ring "
            f"by ~{lag:.1f} ms relative to the explicit spine (the head starts at 0.79 R0 I and "
            f"charges with the salt). Step input: the rings reach half their change "
            f"within microseconds in every model; 90 % (t90) takes "
            + ", ".join(f"{PLACEMENTS[t][0]} {t90_pnp[t]:.2f}" for t in rings)
            + f" ms in PNP (the salt relaxation; 0 = at once) against at most "
            f"{t90_cab * 1e3:.0f} us in the explicit spine.")
    else:
        ring_txt += "."
    text.append(ring_txt)
    text.append(
        f"The paper's 'delay of a few hundreds of ms' at the neck entrance is not "
        f"reproduced: with instantaneous channels nothing in this spine is that slow "
        f"(the slowest electro-diffusive time, V_head L/(D_a S), is {tau:.1f} ms; "
        f"hundreds of ms would need a ~50x larger head volume per neck conductance, or "
        f"slow channel kinetics; the paper gives neither its Fig 3 geometry nor its "
        f"channel parameters).")
    return " ".join(text)
