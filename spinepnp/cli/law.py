"""``spinepnp law``: the analytic electro-diffusion neck laws for given currents."""

from __future__ import annotations

import csv
import io
import sys

from . import add_neck_options, formatter, neck_from_args, output_file

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("law", formatter_class=formatter(),
                       help="analytic electro-diffusion neck law: dV, R(I), R0, I_s",
                       description="Evaluate the paper's steady electro-diffusion laws "
                       "(corrected) for a neck geometry. Units: um, nA, mV, MOhm, mM, "
                       "um2/ms, degC. Current positive = into the head.")
    p.add_argument("--neck", choices=["cylinder", "hyperboloid"], default="cylinder",
                   help="neck geometry")
    add_neck_options(p)
    p.add_argument("--current", type=float, nargs="+", default=[0.1],
                   help="injected current(s) [nA]")
    p.add_argument("--conc", type=float, default=167.0, help="bulk concentration [mM]")
    p.add_argument("--diffusion", type=float, default=1.33,
                   help="carrier diffusion coefficient [um2/ms]")
    p.add_argument("--celsius", type=float, default=20.0, help="temperature [degC]")
    p.add_argument("--csv", nargs="?", const="-", default=None, metavar="FILE",
                   help="write CSV (to FILE, or to stdout if no FILE is given)")
    p.add_argument("--force", action="store_true",
                   help="overwrite an existing --csv FILE")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from .. import laws
    target = None
    if args.csv not in (None, "-"):
        target = output_file(args.csv, args.force, "--csv")   # before any work
    neck = neck_from_args(args.neck, args)
    kw = dict(conc=args.conc, diffusion=args.diffusion, celsius=args.celsius)
    r0 = laws.ohmic_resistance(neck, **kw)
    i_s = laws.saturation_current(neck, **kw)
    rows = []
    for i in args.current:
        dv = laws.delta_v(i, neck, **kw)
        r = laws.resistance(i, neck, **kw)
        rows.append({"current_nA": i, "dv_mV": dv, "R_MOhm": r, "R0_MOhm": r0,
                     "Isat_nA": i_s, "ohm_deviation_percent": 100.0 * (r - r0) / r0})
    if args.csv is not None:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        for row in rows:
            w.writerow({k: f"{v:.10g}" for k, v in row.items()})
        if target is None:
            sys.stdout.write(buf.getvalue())
        else:
            from ..io import write_text_atomic
            write_text_atomic(target, buf.getvalue())
            print(f"wrote {target}")
        return 0
    print(f"neck: {neck!r}; C = {args.conc:g} mM, D = {args.diffusion:g} um2/ms, "
          f"{args.celsius:g} degC (VT = {laws.thermal_voltage(args.celsius):.4f} mV)")
    print(f"R0 (Ohmic limit)   = {r0:.6g} MOhm")
    print(f"I_s (saturation)   = {i_s:.6g} nA  (largest current out of the head)")
    for row in rows:
        print(f"I = {row['current_nA']:+.6g} nA:  dV = {row['dv_mV']:+.6g} mV,  "
              f"R = {row['R_MOhm']:.6g} MOhm  ({row['ohm_deviation_percent']:+.3g} % vs Ohm)")
    return 0
