"""One network builder: every network (benchmark, models, comparisons, MPI script) is
:func:`spinepnp.build.build_network`, and the benchmark's variants are the networks its
former private wiring built."""

import pytest

from spinepnp import build

# Spikes (gid, t [ms] as float.hex) of the scaling benchmark's spine-less "exp2syn"
# network (6 cells, 30 synapse sites each, in-degree 4, seed 1, 6.3 degC, dt 25 us,
# 100 ms), recorded from the benchmark's own wiring (spinepnp/bench_cli.py,
# build_bench_network) before it was folded into build_network. No spine is involved,
# so the spine laws' evolution does not move these numbers; the network must.
FORMER_EXP2SYN_SPIKES = [
    (0, "0x1.4d33333336aadp+5"),
    (0, "0x1.8000000001f22p+6"),
    (1, "0x1.2c6666666d3c4p+4"),
    (1, "0x1.4d00000003779p+5"),
    (1, "0x1.39e6666668470p+6"),
    (2, "0x1.74ccccccda86cp+3"),
    (2, "0x1.304cccccceab0p+6"),
    (2, "0x1.8d80000001f58p+6"),
    (3, "0x1.0d999999a0716p+4"),
    (3, "0x1.239999999d06dp+5"),
    (3, "0x1.c100000003949p+5"),
    (4, "0x1.919999999d225p+5"),
    (4, "0x1.211999999b740p+6"),
    (5, "0x1.1accccccd3a3cp+4"),
    (5, "0x1.459999999d0f5p+5"),
    (5, "0x1.c39999999d2edp+5"),
    (5, "0x1.441999999b7ccp+6"),
]


def _bench_network(h, model, **kw):
    from dataclasses import replace

    from spinepnp.bench import scale
    spec, keep_spines = scale.bench_spec({"model": model, "n_spines": 180,
                                          "spines_per_cell": 30, "dend_length": 200.0})
    spec = replace(spec, in_degree=4, **kw)
    return build.build_network(spec, h.ParallelContext(), keep_spines=keep_spines)


def _run(h, net, tstop=100.0):
    h.celsius = 6.3
    h.cvode_active(0)
    h.dt = 0.025
    net.pc.set_maxstep(10)
    h.finitialize(-65.0)
    net.pc.psolve(tstop)
    spikes = net.local_spikes()
    net.pc.gid_clear()
    return spikes


def test_spineless_bench_network_equals_the_former_bench_wiring(h):
    net = _bench_network(h, "exp2syn")
    got = [(g, float(t).hex()) for g, t in _run(h, net)]
    assert got == FORMER_EXP2SYN_SPIKES          # bit for bit: same network, same run


def test_dendrite_synapses_sit_where_the_spines_would(h):
    """The Exp2Syn of site k is on the segment of spine k (positions 0.05 .. 0.95; a
    point process reports the centre of its segment)."""
    spiny = _bench_network(h, "pnp")
    where = [sp.point.get_segment().x for sp in spiny.cells[0].spines]
    # 200 um at d_lambda 0.1 gives 9 segments; sites from 0.05 to 0.95 reach all nine
    assert sorted(set(where)) == pytest.approx([(2 * k + 1) / 18 for k in range(9)])
    spiny.pc.gid_clear()
    del spiny
    flat = _bench_network(h, "exp2syn")
    syns = flat.synapses[0]
    assert len(syns) == 30 and flat.cells[0].spines == []
    cell = flat.cells[0]
    assert [s.get_segment().x for s in syns[:30]] == where
    assert all(s.get_segment().sec == cell.dend for s in syns[:30])
    flat.pc.gid_clear()


def test_lean_network_same_spikes_without_spine_records(h):
    spikes = {}
    for model in ("pnp", "pnp-lean"):
        net = _bench_network(h, model)
        n_records = sum(len(c.spines) for c in net.cells.values())
        assert n_records == (180 if model == "pnp" else 0)
        spikes[model] = _run(h, net)
        del net
    assert len(spikes["pnp"]) > 5 and spikes["pnp-lean"] == spikes["pnp"]


def test_network_without_excitatory_synapses_has_only_the_shaft_wiring(h):
    net = _bench_network(h, "none")
    conns = build.network_connectivity(net.spec)
    n_inh = sum(c.spine < 0 for c in conns)
    netcons = [o for o in net._keep if o.hname().startswith("NetCon")]
    assert 0 < n_inh < len(conns) and len(netcons) == n_inh   # no drive, no spine input
    net.pc.gid_clear()


def test_network_spec_rejects_bad_synapse_choices():
    with pytest.raises(ValueError, match="synapses = 'heads'"):
        build.NetworkSpec(synapses="heads")
    with pytest.raises(ValueError, match="w_nmda = 0"):
        build.NetworkSpec(synapses="dendrite")        # default w_nmda 0.0002 uS
    with pytest.raises(ValueError, match="head_synapse = 'ampa'"):
        build.NetworkSpec(head_synapse="ampa")
