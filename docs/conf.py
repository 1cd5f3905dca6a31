"""Sphinx configuration of the spinepnp documentation.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    python -m sphinx -W -b html docs docs/_build/html

``-W`` turns every warning into an error: CI builds the docs this way. The gallery
scripts in ``examples/`` run during the build (sphinx-gallery) and make their figures.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import spinepnp  # noqa: E402  (the installed package whose API is documented)

project = "spinepnp"
author = "the spinepnp developers"
copyright = "2026, the spinepnp developers"
release = spinepnp.__version__ if hasattr(spinepnp, "__version__") else "0.1.0"
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",   # ships MathJax with the site: equations render offline
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "spinepnp_tables",          # docs/_ext: parameter tables from the code's own tables
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.json",
                    "auto_examples/*.md5", "sg_execution_times.rst"]
root_doc = "index"
nitpicky = False

html_theme = "furo"
html_title = "spinepnp"
html_static_path = []

# --- API reference -----------------------------------------------------------------
autosummary_generate = True
# Each object is documented once, in the module that defines it: a name a module only
# re-exports (spinepnp.laws re-exports the necks of spinepnp.geometry, spinepnp.pnp its
# submodules' names) is not documented again there.
autodoc_default_options = {"members": True, "ignore-module-all": True,
                           "show-inheritance": False}
autodoc_typehints = "none"            # numpydoc's Parameters sections carry the types
autodoc_mock_imports = []
numpydoc_show_class_members = False   # autosummary lists members; avoids duplicates
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# --- tutorial gallery ---------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",      # every plot_*.py runs during the build
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "abort_on_example_error": True,
    "show_memory": False,
    "write_computation_times": False,
}
