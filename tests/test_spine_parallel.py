"""SpnpSpine under threads and CoreNEURON: the same traces as plain NEURON.

A small network of dendrites (passive and hh) carrying spines of every mode, with AMPA,
NMDA, head rings, driven by NetStims. Run as a script (``python
tests/test_spine_parallel.py OUT.npy [--coreneuron] [--nthread N]``) it writes the traces;
the CoreNEURON test runs it in a fresh process because a process holds one build.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

TSTOP = 40.0


def build(h):
    h.celsius = 20.0
    cells = []
    for k in range(4):
        d = h.Section(name=f"dend{k}")
        d.L, d.diam, d.nseg = 200.0, 1.0, 11
        d.insert("hh" if k == 3 else "pas")
        cell = {"sec": d, "spines": [], "stims": [], "ncs": []}
        for j, mode in enumerate((0, 1, 2)):
            s = h.SpnpSpine(d((j + 1) / 4))
            s.mode, s.neck_diam, s.neck_len = mode, 0.1, 1.0 + 0.5 * k
            if k == 0:
                # fast AMPA decay: the states fall below 1e-290 uS within the run, so
                # the floor's branch (state set to 0) is taken in every engine compared
                s.tau1, s.tau2 = 0.004, 0.01
            if k == 1:
                s.gbz_head = 0.001
            if k == 2:
                s.gna_head = 0.02
                s.nmda_tau1, s.nmda_tau2 = 0.004, 0.01       # NMDA floored within the run
                s.gna_neck, s.ring_pos = 0.01, 0.4     # a Na ring part-way along the neck
            if k == 1:
                s.gbz_neck, s.ring_pos = 0.002, 0.7
            ns = h.NetStim()
            ns.start, ns.number, ns.interval, ns.noise = 2.0 + j, 5, 7.0, 0
            nc = h.NetCon(ns, s)
            nc.weight[0], nc.weight[1], nc.delay = 0.002 * (k + 1), 0.001 * k, 0.5
            cell["spines"].append(s)
            cell["stims"].append(ns)
            cell["ncs"].append(nc)
        cells.append(cell)
    return cells


def run(h, cells, nthread=1, use_coreneuron=False):
    """Fixed step (dt = 25 us) through ParallelContext.psolve; returns the traces."""
    pc = h.ParallelContext()
    recs = []
    for c in cells:
        recs.append(h.Vector().record(c["sec"](0.5)._ref_v))
        for s in c["spines"]:
            recs.append(h.Vector().record(s._ref_vhead))
            recs.append(h.Vector().record(s._ref_ineck))
    pc.nthread(nthread)
    h.cvode_active(0)
    h.dt = 0.025
    h.cvode.cache_efficient(1)
    from neuron import coreneuron
    coreneuron.enable = bool(use_coreneuron)
    coreneuron.verbose = 0
    try:
        pc.set_maxstep(10)
        h.finitialize(-65.0)
        pc.psolve(TSTOP)
    finally:
        coreneuron.enable = False
    out = np.array([np.array(r) for r in recs])
    for r in recs:
        r.play_remove()
    pc.nthread(1)
    h.cvode.cache_efficient(0)
    return out


def test_threads_equal_single_thread(h):
    cells = build(h)
    one = run(h, cells, nthread=1)
    two = run(h, cells, nthread=2)
    assert np.all(np.isfinite(one))
    # the hh dendrite fires: the comparison covers a nonlinear, spiking case
    assert one[3 * 7].max() > 0.0
    # the contract is 1e-6 mV; each thread does the same arithmetic, so it is exact
    assert np.max(np.abs(one - two)) <= 1e-6
    # the floor's branch was taken in these runs (the states are exactly 0). This only
    # shows the comparison covers it: at these decay rates plain underflow would reach 0
    # a few steps later too; the floor itself is tested in test_spine_fastpath.py
    assert all(sp.A == 0 and sp.B == 0 for sp in cells[0]["spines"])
    assert all(sp.An == 0 and sp.Bn == 0 for sp in cells[2]["spines"])


@pytest.mark.slow
def test_coreneuron_equals_neuron(tmp_path):
    """Builds the CoreNEURON library (cached), runs NEURON and CoreNEURON in a fresh
    process whose working directory is unrelated to the build: the loader's
    CORENEURONLIB makes CoreNEURON find the mechanisms."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    outs = {}
    for name, extra in (("nrn", []), ("core", ["--coreneuron"]),
                        ("core2", ["--coreneuron", "--nthread", "2"])):
        out = tmp_path / f"{name}.npy"
        proc = subprocess.run([sys.executable, __file__, str(out), "--build-core"] + extra,
                              cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outs[name] = np.load(out)
    assert np.all(np.isfinite(outs["nrn"]))
    # contract: 1e-6 mV. Same C++ arithmetic in both engines; differences are rounding
    # (~1e-10 mV observed)
    assert np.max(np.abs(outs["core"] - outs["nrn"])) <= 1e-6
    assert np.max(np.abs(outs["core2"] - outs["nrn"])) <= 1e-6


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out")
    p.add_argument("--coreneuron", action="store_true")
    p.add_argument("--build-core", action="store_true",
                   help="load the CoreNEURON-enabled build even for a NEURON run")
    p.add_argument("--nthread", type=int, default=1)
    a = p.parse_args(argv)
    from spinepnp.loader import load_mechanisms
    load_mechanisms(coreneuron=a.build_core or a.coreneuron)
    from neuron import h
    h.load_file("stdrun.hoc")
    cells = build(h)
    np.save(a.out, run(h, cells, nthread=a.nthread, use_coreneuron=a.coreneuron))


if __name__ == "__main__":
    main()
