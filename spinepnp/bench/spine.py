"""Cost of the drop-in spine: 1000 SpnpSpines on a dendrite under Poisson input.

A 1000 um dendrite carries 1000 synapses, each driven by its own Poisson NetStim, for
1 s of simulated time (fixed step, dt = 25 us). Variants, built and timed in this one
invocation so the ratios compare like with like:

- ``exp2syn``: Exp2Syn on the dendrite, no spines (baseline a);
- ``explicit``: classical spines, head and neck Sections (Ra giving R0), Exp2Syn in the
  head (baseline b);
- ``spine0``, ``spine1``, ``spine2``: SpnpSpine in modes 0, 1 and 2 with the same
  synaptic kinetics (default settings: ``refresh = 1``, the head re-solved after each
  state update and that solution reused by the next current evaluation);
  ``spine1-lag``: mode 1 with ``refresh = 0`` (the head solved in the current evaluation
  only: recorded head outputs lag v by one step, as NEURON's currents do).

The variants run round robin (``--repeat`` rounds, each timing every variant once): the
best round per variant gives the headline ratio, and the median of the per-round ratios
is printed beside it, since on a shared machine speed drifts over seconds.

Subnormal numbers: a double-exponential state that decays for long without input ends
as a subnormal number that never reaches 0 (its decrement rounds to 0), and every
operation on it is a slow microcode assist. NEURON's Exp2Syn (baselines a and b) has
this: with tau1 = 0.2 ms its A state goes subnormal about 150 ms after an input and stays
there; SpnpSpine sets its synaptic states below 1e-290 uS to 0. The script prints the
fraction of synapses whose A state is subnormal at the end of the run; a short run
(``--tstop 150``) compares the variants before the baselines pay for this.

NMDA: ``--nmda W`` gives every SpnpSpine NetCon an NMDA weight W [uS] as well (the
baselines have no NMDA synapse: NEURON has none built in), so the ratios then show what
NMDA input costs the spine; the targets below are for AMPA input (the default, W = 0).

``spine-floor``, ``ions-floor`` (on request, not in the default list): point processes
with SpnpSpine's and SpnpSpineIons' NEURON interface (USEIONs, currents, CONDUCTANCE
hints and states) and no physics, their derivatives 0 (:func:`floor_mod`, generated
from the .mod files and compiled on first use): what NEURON itself spends per step on
such a spine. Against mode 2 they split each spine's cost into NEURON's share and its
physics.

Targets (:data:`TARGETS`), checked on the median of the per-round ratios: mode 1 at most
1.0x baseline a and 0.55x baseline b, mode 2 at most 0.9x baseline b (issue 13);
SpnpSpineIons at most 2x mode 2 (issue 16).
Run ``python -m spinepnp.bench.spine --help`` (or ``python comparisons/bench_spine.py``).
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time

VARIANTS = ("exp2syn", "explicit", "spine0", "spine1", "spine1-lag", "spine2", "ions",
            "spine-floor", "ions-floor")
#: the floors: (variant, mechanism whose interface it has, its point process)
FLOORS = {"spine-floor": ("SpnpSpine", "SpnpSpineFloor"),
          "ions-floor": ("SpnpSpineIons", "SpnpIonsFloor")}
#: the variants run when none are named (the floors compile mechanisms: on request)
DEFAULT_VARIANTS = VARIANTS[:-2]
#: variants that are a drop-in point process (SpnpSpine or SpnpSpineIons)
POINT_VARIANTS = ("spine0", "spine1", "spine1-lag", "spine2", "ions")
#: variants on a dendrite with NEURON's Na, K, Cl and Ca ions
ION_VARIANTS = ("ions", "ions-floor")
#: variants whose ratio to mode 2 is printed (baseline c)
MODE2_RATIO_VARIANTS = ("ions",) + tuple(FLOORS)
#: the baselines each ratio is printed against
BASELINES = ("exp2syn", "explicit", "spine2")
#: (variant, baseline, largest median ratio variant/baseline)
TARGETS = (("spine1", "exp2syn", 1.0), ("spine1", "explicit", 0.55),
           ("spine2", "explicit", 0.9), ("ions", "spine2", 2.0))


def build(h, variant, nspines=1000, length=1000.0, rate=5.0, weight=0.0005, seed=1,
          nmda=0.0):
    """Build one variant; returns objects to keep alive. ``nmda`` [uS]: NMDA weight of
    the drop-in spines' NetCons (the baselines have no NMDA)."""
    from ..ions import insert_ions, set_cytoplasm
    from ..synapses import poisson_netstim
    h.celsius = 20.0
    dend = h.Section(name="dend")
    dend.L, dend.diam, dend.Ra, dend.cm = length, 1.0, 100.0, 1.0
    dend.nseg = int(length / 5.0) + 1                          # 5 um segments
    dend.insert("pas")
    for seg in dend:
        seg.pas.g, seg.pas.e = 1e-4, -70.0
    keep = {"dend": dend, "secs": [], "syn": [], "stim": [], "nc": [], "rng": []}
    if variant in ION_VARIANTS:
        insert_ions([dend])       # before the spines (see spinepnp.ions.insert_ions)
    # explicit spine geometry: neck 1 um x 0.1 um with Ra giving the law's R0 (75 MOhm)
    ra_neck = 58.9
    for k in range(nspines):
        x = (k + 0.5) / nspines
        if variant == "exp2syn":
            syn = h.Exp2Syn(dend(x))
            syn.tau1, syn.tau2, syn.e = 0.2, 2.0, 0.0
        elif variant == "explicit":
            neck = h.Section(name=f"neck{k}")
            head = h.Section(name=f"head{k}")
            neck.L, neck.diam, neck.Ra = 1.0, 0.1, ra_neck
            head.L, head.diam, head.Ra = 0.5, 0.5, 100.0
            for s in (neck, head):
                s.insert("pas")
                s(0.5).pas.g, s(0.5).pas.e = 1e-4, -70.0
            neck.connect(dend(x), 0)
            head.connect(neck(1), 0)
            keep["secs"] += [neck, head]
            syn = h.Exp2Syn(head(0.5))
            syn.tau1, syn.tau2, syn.e = 0.2, 2.0, 0.0
        elif variant in FLOORS:
            syn = getattr(h, FLOORS[variant][1])(dend(x))
        else:
            if variant == "ions":
                # AMPA's reversal follows from its Na/K shares; the leak's from its ion
                syn = h.SpnpSpineIons(dend(x))
            else:
                syn = h.SpnpSpine(dend(x))
                syn.mode = int(variant[5])
                syn.refresh = 0 if variant.endswith("-lag") else 1
                syn.e_ampa, syn.eleak = 0.0, -70.0
            syn.neck_len, syn.neck_diam, syn.head_diam = 1.0, 0.1, 0.5
            syn.tau1, syn.tau2 = 0.2, 2.0
            syn.gleak = 1e-4 * (math.pi * 0.1 + math.pi * 0.25) * 1e-2
        ns, rng = poisson_netstim(h, rate, k, seed)
        nc = h.NetCon(ns, syn)
        nc.weight[0], nc.delay = weight, 1.0
        if variant in POINT_VARIANTS:
            nc.weight[1] = nmda
        keep["syn"].append(syn)
        keep["stim"].append(ns)
        keep["nc"].append(nc)
        keep["rng"].append(rng)
    if variant in ION_VARIANTS:
        # the spines' boundary concentrations: the dendrite's (now present) ions
        set_cytoplasm([dend])
    return keep


def floor_mod(mechanism: str, name: str) -> str:
    """NMODL of the point process ``name``: ``mechanism``'s NEURON interface without its
    physics.

    Generated from mechanisms/<mechanism>.mod, so that it keeps the same USEION and
    NONSPECIFIC_CURRENT lines, the same STATEs (their derivatives 0, cnexp) and the same
    CONDUCTANCE hints; every current is 0 and NET_RECEIVE adds the AMPA weight to A."""
    import re
    from ..loader import mod_dir
    text = (mod_dir() / f"{mechanism}.mod").read_text()
    text = re.sub(r"(?ms)^\s*COMMENT\b.*?^\s*ENDCOMMENT\b", "", text)
    text = "\n".join(line.split(":", 1)[0] for line in text.splitlines())

    def block(title):
        return re.search(rf"(?s)^{title}\s*\{{(.*?)^\}}", text, re.M).group(1)
    ions = [ln.strip() for ln in block("NEURON").splitlines()
            if ln.strip().startswith(("USEION", "NONSPECIFIC_CURRENT"))]
    variables = set()
    written = []
    for ln in ions:
        if ln.startswith("NONSPECIFIC_CURRENT"):
            names = [n.strip() for n in ln.split(None, 1)[1].split(",")]
            variables.update(names)
            written += names
            continue
        m = re.search(r"READ\s+([\w\s,]+?)(?:\s+WRITE|\s+VALENCE|$)", ln)
        variables.update(n.strip() for n in (m.group(1).split(",") if m else []))
        m = re.search(r"WRITE\s+([\w\s,]+?)(?:\s+VALENCE|$)", ln)
        names = [n.strip() for n in (m.group(1).split(",") if m else [])]
        variables.update(names)
        written += names
    states = re.findall(r"\b([A-Za-z_]\w*)\s*\(", block("STATE"))
    hints = [ln.strip() for ln in block("BREAKPOINT").splitlines()
             if ln.strip().startswith("CONDUCTANCE")]
    gs = [ln.split()[1] for ln in hints]
    lines = ["NEURON {", "    THREADSAFE", f"    POINT_PROCESS {name}"]
    lines += ["    " + ln for ln in ions] + ["    RANGE " + ", ".join(gs), "}",
                                              "ASSIGNED {", "    v"]
    lines += [f"    {n}" for n in sorted(variables) + gs] + ["}", "STATE {"]
    lines += [f"    {n}" for n in states] + ["}", "BREAKPOINT {",
                                              "    SOLVE states METHOD cnexp"]
    lines += [f"    {n} = 0" for n in written + gs] + ["    " + ln for ln in hints]
    lines += ["}", "DERIVATIVE states {"] + [f"    {n}' = 0" for n in states] + ["}"]
    lines += ["NET_RECEIVE(w_ampa, w_nmda) {", "    A = A + w_ampa", "}", ""]
    return "\n".join(lines)


def load_floor(h, variant: str) -> None:
    """Compile (once, in spinepnp's cache, with the shipped mechanisms' flags) and load
    the floor ``variant``'s mechanism."""
    from ..loader import build_text
    mechanism, name = FLOORS[variant]
    if not hasattr(h, name):
        h.nrn_load_dll(str(build_text(name, floor_mod(mechanism, name))))


def time_run(h, tstop, dt=0.025, cvode=False):
    """CPU time [s] of this process for finitialize + run to tstop [ms].

    CPU time rather than wall time: on a shared machine it is far less sensitive to other
    processes (one thread here, so the two agree on an idle machine).
    """
    h.cvode_active(int(cvode))
    h.dt = dt
    h.steps_per_ms = 1.0 / dt
    t0 = time.process_time()
    h.finitialize(-70.0)
    h.continuerun(tstop)
    cpu = time.process_time() - t0
    h.cvode_active(0)
    return cpu


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="100 spines, 100 ms (a smoke test, not a measurement)")
    p.add_argument("--nspines", type=int, default=1000)
    p.add_argument("--tstop", type=float, default=1000.0, help="simulated time [ms]")
    p.add_argument("--rate", type=float, default=5.0, help="Poisson rate per synapse [Hz]")
    p.add_argument("--nmda", type=float, default=0.0,
                   help="NMDA weight of the SpnpSpine variants' inputs [uS] (baselines: none)")
    p.add_argument("--repeat", type=int, default=7,
                   help="rounds; each times every variant once (best kept)")
    p.add_argument("--variants", nargs="+", default=list(DEFAULT_VARIANTS),
                   choices=VARIANTS)
    a = p.parse_args(argv)
    if not (math.isfinite(a.nmda) and a.nmda >= 0):
        p.error(f"--nmda {a.nmda}: give an NMDA weight >= 0 [uS]")
    if a.quick:
        a.nspines, a.tstop, a.repeat = 100, 100.0, 1

    from . import cpu_name
    from ..loader import build_flags, load_mechanisms
    load_mechanisms()
    from neuron import h
    h.load_file("stdrun.hoc")
    for variant in a.variants:
        if variant in FLOORS:
            load_floor(h, variant)

    import os
    import neuron
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"bench_spine (CPU seconds, best of {a.repeat}): {a.nspines} synapses on a 1000 um "
          f"dendrite (nseg {int(1000.0 / 5.0) + 1} in every variant), Poisson {a.rate} Hz, "
          f"NMDA weight {a.nmda:g} uS on the spines, {a.tstop} ms, dt 25 us; "
          f"{platform.node()} {cpu_name()}, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f}, NEURON {neuron.__version__}, "
          f"python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; "
          f"mechanisms compiled with extra flags {build_flags()!r}", flush=True)
    # Round robin: every round times each variant once and the best round counts. On a
    # shared machine the speed drifts over seconds; interleaving exposes every variant to
    # the same drift, so the ratios are far steadier than timing variants one after
    # another.
    times = {v: [] for v in a.variants}
    evals, vmax, subn = {}, {}, {}
    tiny = sys.float_info.min                    # the smallest normal double
    for rnd in range(a.repeat):
        for variant in a.variants:
            keep = build(h, variant, nspines=a.nspines, rate=a.rate, nmda=a.nmda)
            vrec = h.Vector().record(keep["dend"](0.5)._ref_v)
            times[variant].append(time_run(h, a.tstop))
            vmax[variant] = vrec.max() - (-70.0)
            subn[variant] = (sum(1 for s in keep["syn"] if 0 < abs(s.A) < tiny)
                             / len(keep["syn"]) if hasattr(keep["syn"][0], "A") else None)
            if variant in POINT_VARIANTS:
                steps = a.tstop / 0.025
                # niter restarts at finitialize: it counts the last run only
                evals[variant] = sum(s.niter for s in keep["syn"]) / (len(keep["syn"]) * steps)
            vrec.play_remove()
            del vrec
            for sec in list(h.allsec()):
                h.delete_section(sec=sec)
            keep.clear()
        print(f"  round {rnd + 1}/{a.repeat}: " + ", ".join(
            f"{v} {times[v][-1]:.3f} s" for v in a.variants), file=sys.stderr, flush=True)
    walls = {v: min(t) for v, t in times.items()}
    for variant in a.variants:
        # SpnpSpine's niter leaves out its fast path's exp-free first evaluation,
        # SpnpSpineIons's counts every evaluation of its head balance
        what = ("head evaluations/step" if variant == "ions" else
                "head evaluations/step beyond the exp-free first")
        extra = f", {evals[variant]:.3f} {what}" if variant in evals else ""
        sub = ("" if subn[variant] is None else
               f", A subnormal at the end in {100 * subn[variant]:.0f} % of synapses")
        print(f"  {variant:10s} {walls[variant]:8.3f} s (best of {a.repeat}; worst "
              f"{max(times[variant]):.3f} s)   peak dendritic depolarisation "
              f"{vmax[variant]:6.2f} mV{sub}{extra}", flush=True)
    import statistics

    def ratios(variant, base):
        """(best-of-rounds ratio, median of the per-round ratios)."""
        per_round = [x / y for x, y in zip(times[variant], times[base])]
        return walls[variant] / walls[base], statistics.median(per_round)

    print("ratios (CPU time / baseline; best of rounds, and in brackets the median of the "
          "per-round ratios):")
    for variant in a.variants:
        parts = []
        for base in BASELINES:
            if base == "spine2" and variant not in MODE2_RATIO_VARIANTS:
                continue                 # baseline c: for the ion spine and the floors
            if base in walls and variant != base:
                best, med = ratios(variant, base)
                parts.append(f"{best:.2f}x {base} ({med:.2f}x)")
        if parts:
            print(f"  {variant:10s} " + ", ".join(parts))
    if a.nmda > 0:
        print("targets: not checked, they are for AMPA input (--nmda 0)")
        return 0
    # targets (issue 13), on the median of the per-round ratios: mode 1 <= 1.0x Exp2Syn
    # and <= 0.55x explicit spines, mode 2 <= 0.9x explicit spines
    for variant, base, limit in TARGETS:
        if variant in walls and base in walls:
            best, med = ratios(variant, base)
            print(f"target {variant} <= {limit:.2f}x {base}: "
                  f"{'met' if med <= limit else 'MISSED'} (median {med:.2f}x, best "
                  f"{best:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
