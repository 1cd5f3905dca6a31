"""Sphinx extension: tables generated from spinepnp's own parameter tables.

``.. spinepnp-table:: spinepnp.spine.PARAMETERS`` renders a dict ``name -> (unit,
meaning[, laws])`` as a table, so the documented names, units and meanings are the ones
the code checks against and cannot drift from them. Supported dicts are the ones with
tuples of two (``spinepnp.spine.PARAMETERS``, ``OUTPUTS``) or three entries
(``spinepnp.build.SPINE_KEYWORDS``: unit, meaning, the laws the keyword applies to).
"""

from __future__ import annotations

import importlib

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

__all__ = ["setup"]


def _lookup(dotted: str):
    module, _, attr = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"spinepnp-table: cannot import {dotted!r} ({exc})") from None


def _cell(text) -> str:
    text = str(text) if text not in (None, "") else "--"
    return text.replace("|", r"\|").replace("*", r"\*")


def table_rst(dotted: str, table: dict) -> list:
    """Lines of a ``list-table`` for ``table`` (name -> (unit, meaning[, laws]))."""
    widths = {2: "20 15 65", 3: "16 12 44 28"}
    ncols = {len(v) for v in table.values()}
    if len(ncols) != 1 or next(iter(ncols)) not in widths:
        raise ValueError(f"spinepnp-table: {dotted} must map names to (unit, meaning) or "
                         f"(unit, meaning, laws) tuples")
    n = next(iter(ncols))
    header = ["name", "unit", "meaning"] + (["laws"] if n == 3 else [])
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths[n]}", ""]
    for row in [header] + [[f"``{k}``", *v] for k, v in table.items()]:
        if n == 3 and row is not header:
            row = row[:3] + [", ".join(f"``{law}``" for law in row[3])]
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {_cell(c)}" for c in row[1:])
    return lines


class SpinepnpTable(Directive):
    """The ``spinepnp-table`` directive (one argument: the dotted name of the dict)."""

    required_arguments = 1
    has_content = False

    def run(self):
        dotted = self.arguments[0]
        try:
            lines = table_rst(dotted, _lookup(dotted))
        except ValueError as exc:
            raise self.error(str(exc)) from None
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=f"<{dotted}>"), self.content_offset,
                                container)
        return container.children


def setup(app):
    app.add_directive("spinepnp-table", SpinepnpTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
