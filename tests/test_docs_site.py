"""The built documentation in a real browser, and its internal links.

Run after building the site (``python -m sphinx -W -b html docs docs/_build/html``):
``python -m pytest tests/test_docs_site.py -m docs`` (``.ci/run`` does both). The tests
are marked ``docs`` and left out of the default run, which has no built site. Headless
Chromium is Debian's ``chromium`` with its ``chromium-driver``, driven by selenium.
Screenshots go to ``docs/_build/screenshots/`` for a developer to look at.
"""

from __future__ import annotations

import html.parser
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("SPINEPNP_DOCS_HTML", ROOT / "docs" / "_build" / "html"))
SHOTS = SITE.parent / "screenshots"
#: the pages opened in the browser: the index and one gallery page with its figure
PAGES = ["index.html", "auto_examples/plot_3_dynamic_neck.html"]

pytestmark = pytest.mark.docs


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").exists():
        pytest.fail(f"no built documentation in {SITE}: build it first with "
                    "python -m sphinx -W -b html docs docs/_build/html")
    return SITE


def _driver_paths():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.fail("headless Chromium is missing: apt-get install chromium chromium-driver "
                    "(.ci/run installs them)")
    return browser, driver


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    binary, driver_path = _driver_paths()
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--window-size=1280,1600"):
        opts.add_argument(arg)
    drv = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


# every <img> has finished loading and has a decoded, non-empty bitmap
_IMAGES_JS = """
return Array.from(document.images).map(img => ({
    src: img.currentSrc || img.src, complete: img.complete,
    width: img.naturalWidth, height: img.naturalHeight}));
"""


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_every_image(site, browser, page):
    browser.get((site / page).as_uri())
    browser.execute_script("return document.readyState")      # waits for the load
    title = browser.title
    assert "spinepnp" in title, f"{page}: unexpected title {title!r}"
    images = browser.execute_script(_IMAGES_JS)
    broken = [im["src"] for im in images
              if not im["complete"] or im["width"] == 0 or im["height"] == 0]
    assert not broken, f"{page}: images that did not load: {broken}"
    if page.startswith("auto_examples/"):
        # the gallery page shows the figure its script made during the build
        assert any("sphx_glr_" in im["src"] for im in images), images
    text = browser.execute_script("return document.body.innerText")
    assert len(text) > 500, f"{page}: the page rendered almost no text"
    if page == "index.html":
        # the index's equation is typeset by the MathJax shipped with the site (no CDN
        # on an offline machine): its LaTeX source must not show as text
        import time
        for _ in range(50):
            if browser.execute_script("return document.querySelector('mjx-container')"):
                break
            time.sleep(0.1)
        text = browser.execute_script("return document.body.innerText")
        assert "\\frac" not in text, f"{page}: the equation was not typeset"
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / (page.replace("/", "_").replace(".html", ".png"))
    assert browser.save_screenshot(str(shot)), f"could not save {shot}"
    assert shot.stat().st_size > 10_000                         # a real picture


class _Links(html.parser.HTMLParser):
    """Collects href/src targets and element ids of one HTML page."""

    def __init__(self):
        super().__init__()
        self.targets, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.targets.append(attrs[key])


def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    return p


def test_every_internal_link_resolves(site):
    pages = {p: _parse(p) for p in site.rglob("*.html") if "_static" not in p.parts}
    assert len(pages) > 20, "the site has suspiciously few pages"
    bad = []
    for page, parsed in pages.items():
        for target in parsed.targets:
            parts = urlsplit(target)
            if parts.scheme or target.startswith("//") or target.startswith("mailto:"):
                continue                                   # external: not checked here
            dest = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if dest.is_dir():
                dest = dest / "index.html"
            if not dest.exists():
                bad.append(f"{page.relative_to(site)} -> {target} (no file)")
                continue
            if parts.fragment and dest.suffix == ".html":
                ids = pages[dest].ids if dest in pages else _parse(dest).ids
                if parts.fragment not in ids:
                    bad.append(f"{page.relative_to(site)} -> {target} (no anchor)")
    assert not bad, f"{len(bad)} broken internal links:\n" + "\n".join(bad[:40])
