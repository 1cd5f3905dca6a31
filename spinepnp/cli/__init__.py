"""The ``spinepnp`` command line: one entry point, one module per subcommand.

    spinepnp build [--coreneuron]            compile the NMODL mechanisms ahead of time
    spinepnp law --neck cylinder ...         the analytic neck laws for given currents
    spinepnp pnp sweep|transient ...         full PNP solver runs
    spinepnp pnp2d steady|transient ...      axisymmetric 2-D PNP on the spine's own geometry
    spinepnp compare [all|fig1|...]          cable vs electro-diffusion comparisons
    spinepnp bench [--quick]                 scaling benchmark (MPI, CoreNEURON, memory)

Errors go to stderr with exit code 2 and say what to do.

Adding a subcommand
-------------------
Write a module ``spinepnp/cli/<name>.py`` with one function::

    def add_parser(subparsers):
        p = subparsers.add_parser("<name>", help="...", description="...")
        p.add_argument(...)
        p.set_defaults(func=run)      # run(args) -> exit code; raise ValueError on bad input

and add one line ``"<name>": "spinepnp.cli.<name>",`` to :data:`COMMANDS`. Keep the
module's top-level imports light (no NEURON, no matplotlib): every ``spinepnp`` call
imports every subcommand module to build the help. The work itself belongs in the
library (``spinepnp.<subsystem>``); the module only parses and prints. A module listed
here that cannot be imported is an error, never a silently missing subcommand.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__

__all__ = ["main", "build_parser", "COMMANDS", "CLIError", "formatter", "output_file",
           "add_neck_options", "neck_from_args", "add_output_options"]

#: Subcommand name -> module that defines it (its ``add_parser(subparsers)``).
COMMANDS = {
    "build": "spinepnp.cli.build",
    "law": "spinepnp.cli.law",
    "pnp": "spinepnp.cli.pnp",
    "pnp2d": "spinepnp.cli.pnp2d",
    "compare": "spinepnp.cli.compare",
    "bench": "spinepnp.cli.bench",
}


class CLIError(Exception):
    """An error to report on stderr with exit code 2."""


def formatter():
    """The help formatter of every subcommand (shows the defaults)."""
    return argparse.ArgumentDefaultsHelpFormatter


def add_neck_options(group, cylinder: str = "cylinder"):
    """The neck geometry options shared by ``law`` and ``pnp`` [um]; ``cylinder`` names
    what ``--length`` and ``--radius`` describe in the help."""
    group.add_argument("--length", type=float, default=1.0, help=f"{cylinder} length [um]")
    group.add_argument("--radius", type=float, default=0.05, help=f"{cylinder} radius [um]")
    group.add_argument("--a", type=float, default=0.05, help="hyperboloid semi-axis a [um]")
    group.add_argument("--b", type=float, default=0.05, help="hyperboloid semi-axis b [um]")
    group.add_argument("--c", type=float, default=0.2, help="hyperboloid flare c [um]")
    group.add_argument("--half-length", type=float, default=0.5,
                       help="hyperboloid half length [um]")


def add_output_options(parser, name: str, progress: str = "no progress bar"):
    """The output options shared by the solver subcommands (``pnp``, ``pnp2d``):
    ``--out`` (default ``<name>_out``), ``--prefix`` (default ``name``), ``--no-plot`` and
    ``--quiet`` (its help ``progress``)."""
    o = parser.add_argument_group("output")
    o.add_argument("--out", default=f"{name}_out", help="output directory")
    o.add_argument("--prefix", default=name, help="file name prefix")
    o.add_argument("--no-plot", action="store_true", help="skip the PNG figure")
    o.add_argument("--quiet", action="store_true", help=progress)
    return o


def neck_from_args(kind: str, args):
    """The :mod:`spinepnp.laws` geometry ``kind`` ("cylinder", "hyperboloid", or "spine":
    a ball head on a cylindrical neck, with ``args.head_radius`` and ``args.cap_radius``)
    from the options of :func:`add_neck_options`."""
    from .. import laws
    if kind == "cylinder":
        return laws.Cylinder(args.length, args.radius)
    if kind == "hyperboloid":
        return laws.Hyperboloid(args.a, args.b, args.c, args.half_length)
    return laws.ball_and_neck(args.length, args.radius, args.head_radius, args.cap_radius)


def output_file(path, force: bool, option: str):
    """``path`` as a :class:`~pathlib.Path` if a result file may be written there.

    Raises CLIError if ``path`` is a folder, or an existing file and ``force`` is false
    (the message names ``option`` and says how to proceed)."""
    from pathlib import Path
    path = Path(path)
    if path.is_dir():
        raise CLIError(f"{option} {path}: that is a folder; give a file name, "
                       f"e.g. {option} {path / 'out.csv'}")
    if path.exists() and not force:
        raise CLIError(f"{option} {path}: the file exists; add --force to overwrite it "
                       "or choose another name")
    return path


def build_parser(commands: dict | None = None) -> argparse.ArgumentParser:
    """The ``spinepnp`` parser with the subcommands of ``commands`` (default
    :data:`COMMANDS`); raises ImportError naming a subcommand whose module is missing."""
    parser = argparse.ArgumentParser(
        prog="spinepnp", formatter_class=formatter(),
        description="Electro-diffusion (PNP) dendritic spines for NEURON, compared with "
        "the Ohmic cable. Units: mV, ms, um, mM, nA, uS, MOhm, um2/ms.")
    parser.add_argument("--version", action="version", version=f"spinepnp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, modname in (COMMANDS if commands is None else commands).items():
        try:
            mod = importlib.import_module(modname)
        except ImportError as exc:
            raise ImportError(f"spinepnp: subcommand {name!r} needs module {modname}, "
                              f"which cannot be imported ({exc}); reinstall spinepnp "
                              "(pip install .) or fix spinepnp.cli.COMMANDS") from exc
        mod.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run ``spinepnp`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from ..loader import MechanismBuildError
    try:
        return int(args.func(args) or 0)
    except (ValueError, CLIError, MechanismBuildError, OSError) as exc:
        print(f"spinepnp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"spinepnp {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
