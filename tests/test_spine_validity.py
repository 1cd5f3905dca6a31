"""SpnpSpine refuses bad parameters at finitialize, on every path.

Raw NEURON (a plain process that loads the compiled library with nrn_load_dll, from hoc
and from Python): the spine sets ``badparam``, prints one line naming parameter, value
and allowed range, and delivers no current, so the dendrite is exactly the dendrite
without the spine. Through spinepnp (mechanisms loaded by the loader):
``h.finitialize()`` raises, naming the spine, its location, the value and the fix; and
the helpers (``spine.add_spine``/``configure_spine``, ``build.attach_spine``) refuse
the same values (with their own ValueError, or through finitialize).
"""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spinepnp import validity

NAN = float("nan")
CODE = {name: code for code, (name, _, _) in validity.BADPARAM.items()}

# The table: (parameter, bad value, other settings the rule needs)
RING = {"gna_neck": 0.01}
ROWS = [
    ("neck_len", 0.0, {}), ("neck_len", -1.0, {}),
    ("neck_diam", 0.0, {}), ("neck_diam", -0.1, {}),
    ("conc", 0.0, {}), ("conc", -5.0, {}),
    ("diff", 0.0, {}),
    ("diff_anion", 0.0, {"mode": 2}),
    ("head_diam", 0.0, {"mode": 2}),
    ("mode", 7.0, {}), ("mode", -1.0, {}), ("mode", 1.5, {}), ("mode", NAN, {}),
    ("rneck", -10.0, {"mode": 0}),
    ("gamma", -1.0, {}),
    ("ring_pos", 0.0, RING), ("ring_pos", 1.0, RING), ("ring_pos", 1.5, RING),
    ("tau2", 0.0, {}),
    ("iinj", NAN, {}),
]
IDS = [f"{p}={v:g}" + ("-" + ",".join(f"{k}={x:g}" for k, x in o.items()) if o else "")
       for p, v, o in ROWS]


def test_table_and_mechanism_agree():
    """spine_checks.inc uses the numbers, names and ranges of validity.BADPARAM."""
    from spinepnp.loader import mod_dir
    text = (mod_dir() / "spine_checks.inc").read_text()
    found = re.findall(r"badparam = (\d+)\n\s*printf\(\"SpnpSpine refused \(badparam "
                       r"(\d+)\): (\w+) = %g[^(]*\(allowed (.*)\): no current", text)
    table = {int(c): (name, allowed) for c, c2, name, allowed in found if c == c2}
    assert len(found) == len(table) == len(validity.BADPARAM)
    assert table == {c: (n, a) for c, (n, a, _) in validity.BADPARAM.items()}
    # every rule's parameter is a parameter of SpnpSpine (or NEURON's celsius)
    from spinepnp.spine import PARAMETERS
    assert {n for n, _, _ in validity.BADPARAM.values()} <= set(PARAMETERS) | {"celsius"}


# ---------------------------------------------------------------- raw NEURON path

_RAW = r"""
import json, math, sys
from neuron import h
assert h.nrn_load_dll(sys.argv[1])
h.load_file("stdrun.hoc")
rows = json.loads(sys.argv[2])

def dendrite(name):
    d = h.Section(name=name)
    d.L, d.diam, d.nseg = 100.0, 1.0, 5
    d.insert("pas")
    return d

out = []
for k, (param, value, other, lang, cvode) in enumerate(rows):
    d, ref = dendrite("d%d" % k), dendrite("ref%d" % k)
    stims = []
    for sec in (d, ref):
        st = h.IClamp(sec(0.5)); st.delay, st.dur, st.amp = 1.0, 2.0, 0.05
        stims.append(st)
    if lang == "hoc":
        h("objref rawspine")
        d.push()
        h("rawspine = new SpnpSpine(0.5)")
        h.pop_section()
        for key, val in other.items():
            h("rawspine.%s = %r" % (key, val))
        h("rawspine.%s = %r" % (param, value))
        sp = h.rawspine
    else:
        sp = h.SpnpSpine(d(0.5))
        for key, val in other.items():
            setattr(sp, key, val)
        setattr(sp, param, value)
    vs, vr = h.Vector().record(d(0.5)._ref_v), h.Vector().record(ref(0.5)._ref_v)
    h.cvode_active(cvode)
    print("ROW %d" % k, flush=True)
    h.finitialize(-65)
    h.continuerun(5)
    sys.stdout.flush()
    out.append(dict(badparam=sp.badparam, i=sp.i, gtot=sp.gtot, vhead=sp.vhead,
                    chead=sp.chead, vmax=max(abs(a - b) for a, b in zip(vs, vr)),
                    finite=all(math.isfinite(a) for a in vs), n=len(vs)))
    h.cvode_active(0)
    del sp
    h("objref rawspine")
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def raw_run(mechanisms):
    """Every row in a plain NEURON process (no spinepnp handler), from Python and hoc,
    fixed step and CVODE; returns (rows, results, stdout split by row)."""
    from spinepnp.loader import _arch_dir, loaded_build
    path = loaded_build()
    if path is None:
        pytest.skip("mechanisms were compiled into this NEURON outside the loader")
    lib = str(_arch_dir(path) / "libnrnmech.so")
    rows = []
    for param, value, other in ROWS:
        rows.append((param, value, other, "python", 0))
        rows.append((param, value, other, "python", 1))
        if not math.isnan(value):        # hoc has no NaN literal
            rows.append((param, value, other, "hoc", 0))
    proc = subprocess.run([sys.executable, "-c", _RAW, lib, json.dumps(rows)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT ", 1)[1])
    chunks = proc.stdout.split("RESULT ", 1)[0].split("ROW ")[1:]
    return rows, result, chunks


def test_raw_neuron_refuses_every_row(raw_run):
    rows, result, chunks = raw_run
    assert len(result) == len(rows) == len(chunks)
    for (param, value, other, lang, cvode), res, text in zip(rows, result, chunks):
        where = f"{param}={value} {other} {lang} cvode={cvode}"
        assert res["badparam"] == CODE[param], where
        # no current and no conductance: the dendrite is the dendrite without the spine,
        # to rounding (both integrate the same equations; 1e-9 mV allows CVODE's
        # different step sequence only if the spine's zero current changed it, which it
        # must not: the limit is far below any physiological effect)
        assert res["i"] == 0.0 and res["gtot"] == 0.0, where
        assert res["finite"] and res["n"] > 10, where
        assert res["vmax"] < 1e-9, where
        assert math.isfinite(res["vhead"]) and math.isfinite(res["chead"]), where
        # one line, naming the parameter, its value and the allowed range
        lines = [ln for ln in text.splitlines() if ln.startswith("SpnpSpine refused")]
        assert len(lines) == 1, (where, text)
        shown = "nan" if math.isnan(value) else f"{value:g}"
        assert f"{param} = {shown}" in lines[0].replace("-nan", "nan"), lines[0]
        assert "allowed " + validity.BADPARAM[CODE[param]][1] in lines[0], lines[0]


# ---------------------------------------------------------------- spinepnp paths


def _dend(h):
    d = h.Section(name="dend")
    d.L, d.diam, d.nseg = 100.0, 1.0, 5
    d.insert("pas")
    return d


def _expect_refusal(h, param, value):
    """h.finitialize() fails with a message that names the parameter, value and fix."""
    with pytest.raises(RuntimeError) as err:
        h.finitialize(-65)
    msg = str(err.value)
    assert "SpineParameterError" in msg and "at dend(0.5)" in msg, msg
    shown = "nan" if math.isnan(value) else f"{value:g}"
    assert f"{param} = {shown}" in msg and "Fix: " in msg, msg
    assert validity.BADPARAM[CODE[param]][2] in msg, msg


@pytest.mark.parametrize("param,value,other", ROWS, ids=IDS)
def test_finitialize_raises_for_raw_spine(h, param, value, other):
    d = _dend(h)
    sp = h.SpnpSpine(d(0.5))
    for key, val in other.items():
        setattr(sp, key, val)
    setattr(sp, param, value)
    _expect_refusal(h, param, value)
    rec = validity.refused_spines(h)
    assert [(r["parameter"], r["code"], r["location"]) for r in rec] == [
        (param, CODE[param], "dend(0.5)")]
    # fixed, the same spine initialises and runs
    setattr(sp, param, getattr(h.SpnpSpine(d(0.1)), param))
    h.finitialize(-65)
    assert sp.badparam == 0 and validity.refused_spines(h) == []


@pytest.mark.parametrize("param,value,other", ROWS, ids=IDS)
def test_spine_helpers_refuse(h, param, value, other):
    from spinepnp.spine import add_spine
    d = _dend(h)
    params = dict(other)
    mode = params.pop("mode", 1)
    if param == "mode":
        # the helper checks mode itself: a clear ValueError before NEURON sees it
        with pytest.raises(ValueError, match="mode"):
            add_spine(d(0.5), mode=value, **params)
        return
    params[param] = value
    if math.isnan(value):
        with pytest.raises(ValueError, match=f"{param} = nan must be finite"):
            add_spine(d(0.5), mode=mode, **params)
        return
    sp = add_spine(d(0.5), mode=mode, **params)
    _expect_refusal(h, param, value)
    assert sp.badparam == CODE[param]


@pytest.mark.parametrize("param,value,other", ROWS, ids=IDS)
def test_build_attach_spine_refuses(h, param, value, other):
    from spinepnp.build import attach_spine
    d = _dend(h)
    params = dict(other)
    law = {0: "ohmic", 1: "pnp", 2: "pnp-dynamic"}[params.pop("mode", 1)]
    if param == "mode":
        # the law picks the mode; a mode given as a point parameter is refused too
        params["mode"] = value
        with pytest.raises((ValueError, TypeError)):
            attach_spine(d(0.5), law, **params)
        return
    params[param] = value
    if param in ("neck_len", "neck_diam", "head_diam"):
        # the geometry comes from a SpineParams, which checks it
        from spinepnp.spinesets import SpineParams
        geo = dict(neck_len=1.0, neck_diam=0.1, head_diam=0.5)
        geo[param] = value
        params.pop(param)
        with pytest.raises(ValueError, match=param):
            attach_spine(d(0.5), law, SpineParams("bad", **geo), **params)
        return
    if param in ("conc", "diff"):
        # attach_spine takes these as its own arguments and checks them
        name = {"conc": "conc", "diff": "diffusion"}[param]
        params.pop(param)
        with pytest.raises(ValueError, match=name):
            attach_spine(d(0.5), law, **{name: value}, **params)
        return
    if math.isnan(value):
        with pytest.raises(ValueError, match=param):
            attach_spine(d(0.5), law, **params)
        return
    try:
        spine = attach_spine(d(0.5), law, **params)
    except ValueError as exc:       # refused by the helper itself: must name it
        assert param in str(exc)
        return
    _expect_refusal(h, param, value)
    assert spine.point.badparam == CODE[param]


def test_valid_defaults_pass(h):
    d = _dend(h)
    sp = h.SpnpSpine(d(0.5))
    for mode in (0, 1, 2):
        sp.mode = mode
        h.finitialize(-65)
        assert sp.badparam == 0


def test_refusal_lists_many_spines(h):
    d = _dend(h)
    spines = [h.SpnpSpine(d(0.5)) for _ in range(7)]
    for sp in spines:
        sp.conc = -1
    with pytest.raises(RuntimeError, match=r"7 SpnpSpine\(s\) refused(.|\n)*and 2 more"):
        h.finitialize(-65)
    del spines


# ---------------------------------------------------------------- validity flags


def _clamped_spine(h, mode, **params):
    from spinepnp.build import clamped_dendrite
    h.celsius = 20.0          # (the fixture restores it)
    dend, clamp = clamped_dendrite(-65.0)
    sp = h.SpnpSpine(dend(0.5))
    sp.mode = mode
    for key, val in params.items():
        setattr(sp, key, val)
    return dend, clamp, sp


def _flags_from_record(rec, conc, cmin, mode):
    """The flags (2, 4, 8) the recorded outputs call for, and the first time of each."""
    first = {}
    conds = {8: np.abs(rec["vhead"]) > 1000.0}
    if mode == 1:
        conds[2] = rec["chead"] < 1e-3 * conc
    if mode == 2:
        conds[4] = np.min([rec[c] for c in ("c1", "c2", "c3", "ch")], axis=0) <= cmin
    for bit, cond in conds.items():
        if cond.any():
            first[bit] = rec["t"][np.argmax(cond)]
    return first


def _run_recorded(h, sp, tstop, step_at=1.0, **change):
    names = ["vhead", "chead", "c1", "c2", "c3", "ch"]
    vecs = {n: h.Vector().record(getattr(sp, f"_ref_{n}")) for n in names}
    vecs["t"] = h.Vector().record(h._ref_t)
    h.finitialize(-65.0)
    h.continuerun(step_at)
    for key, val in change.items():
        setattr(sp, key, val)
    h.continuerun(tstop)
    rec = {n: np.array(v) for n, v in vecs.items()}
    for v in vecs.values():
        v.play_remove()
    return rec


@pytest.mark.parametrize("mode,frac", [(1, 0.5), (1, 0.998), (1, 0.9999), (1, 2.0),
                                       (1, -50.0), (2, 0.5), (2, 0.9), (2, 2.0)])
def test_flags_fire_exactly_when_their_condition_holds(h, mode, frac):
    """An outward head current frac*isat from t = 1 ms (frac > 1: beyond saturation):
    each flag is set iff the recorded outputs meet its condition, at the first such
    sample; concentrations never negative."""
    h.dt = 0.025
    dend, clamp, sp = _clamped_spine(h, mode)
    h.finitialize(-65.0)
    isat = sp.isat
    rec = _run_recorded(h, sp, 30.0, iinj=-frac * isat)
    expected = _flags_from_record(rec, sp.conc, sp.cmin, mode)
    flags = {b for b in validity.INVALID if int(sp.invalid) & b}
    assert flags == set(expected), (flags, expected)
    if expected:
        # the mechanism stamps the time of the step whose outputs first met a condition
        # (recorded at the same t, so equal to rounding of t's accumulation)
        assert sp.tinvalid == pytest.approx(min(expected.values()), abs=1e-9)
    else:
        assert sp.tinvalid == -1.0
    assert rec["chead"].min() >= 0.0
    if mode == 2:
        assert min(rec[c].min() for c in ("c1", "c2", "c3", "ch")) >= 0.0
    assert np.isfinite(rec["vhead"]).all()
    # expected cases (hand-derived): 0.5 and 0.998 isat stay valid in mode 1 (chead =
    # 0.5 and 0.002 conc), 0.9999 isat is at saturation (chead ~ 6e-4 conc: 1e-4 plus
    # the floor's 1 pS x 190 mV), 2 isat also drives vhead beyond -1000 mV (the excess
    # isat flows through gfloor = 1 pS)
    if mode == 1:
        assert flags == {0.5: set(), 0.998: set(), 0.9999: {2}, 2.0: {2, 8},
                         -50.0: set()}[frac]
    if mode == 2 and frac == 2.0:
        assert 4 in flags     # the head's salt runs out


def test_flags_reset_at_finitialize(h):
    dend, clamp, sp = _clamped_spine(h, 1)
    h.finitialize(-65.0)
    sp.iinj = -2 * sp.isat
    h.finitialize(-65.0)
    assert sp.invalid == 10 and sp.tinvalid == 0.0          # at finitialize itself
    sp.iinj = 0
    h.finitialize(-65.0)
    assert sp.invalid == 0 and sp.tinvalid == -1.0
    rec = validity.invalid_spines(h=h)
    assert rec == []


def test_flags_under_cvode(h):
    dend, clamp, sp = _clamped_spine(h, 1)
    h.cvode_active(1)
    h.finitialize(-65.0)
    isat = sp.isat
    h.continuerun(1.0)
    sp.iinj = -0.9999 * isat
    h.cvode.re_init()
    h.continuerun(5.0)
    assert sp.invalid == 2 and 1.0 <= sp.tinvalid <= 5.0
    assert sp.chead < 1e-3 * sp.conc


def test_invalid_spines_and_warning(h):
    dend, clamp, sp = _clamped_spine(h, 1)
    ok = h.SpnpSpine(dend(0.5))
    h.finitialize(-65.0)
    sp.iinj = -2 * sp.isat
    h.continuerun(2.0)
    rec = validity.invalid_spines(h=h)
    assert [(r["name"], r["invalid"], r["flags"], r["location"]) for r in rec] == [
        (sp.hname(), 10, [2, 8], "dend(0.5)")]
    assert rec[0]["reasons"] == [validity.INVALID[2], validity.INVALID[8]]
    with pytest.warns(validity.SpineValidityWarning, match=r"1 SpnpSpine\(s\) left"):
        validity.warn_invalid(h=h, context="test")
    assert validity.invalid_spines([ok]) == []
    # a log over several runs keeps each run's flags
    with validity.ValidityLog() as log:
        h.finitialize(-65.0)
        h.continuerun(1.0)
        sp.iinj = 0.0
        h.finitialize(-65.0)
        h.continuerun(1.0)
    assert [r["invalid"] for r in log.records] == [10]


def test_chunked_run_reports_invalid_spines(h, tmp_path):
    import json as _json
    from spinepnp.parallel import ChunkedRun
    dend, clamp, sp = _clamped_spine(h, 1)
    h.finitialize(-65.0)
    sp.iinj = -0.9999 * sp.isat
    run = ChunkedRun(tmp_path, spikes=False)
    with pytest.warns(validity.SpineValidityWarning, match="ChunkedRun"):
        run.run(2.0, progress=False)
    status = _json.loads(run.paths["status"].read_text())
    assert [r["invalid"] for r in status["invalid_spines"]] == [2]
