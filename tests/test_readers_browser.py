"""The HTML report in a real browser: Chromium (Debian's `chromium`, never `playwright install`)
driven by playwright, checked by axe-core (npm, .ci/axe) at desktop and phone width.

- no critical, serious or moderate axe violation at 1400 and 400 px;
- every figure's alt text differs from its caption (and says more than a few words);
- wide tables scroll in a labelled, focusable region; the phone banner does not stick; the
  contents come after the title; screenshots of both widths are written for a person to look at
  (READERS_SCREENSHOTS=folder).

Slow: renders the committed executed notebooks (about ten seconds) and starts the browser. Runs
where chromium, playwright and axe-core are installed; `.ci/run` installs them and sets
REQUIRE_BROWSER=1, which turns a missing tool into a failure instead of a skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers import paths

import _readers

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
AXE = Path(os.environ.get("AXE_CORE_JS") or paths.ROOT / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING = ("critical", "serious", "moderate")
WIDTHS = (1400, 400)


def _missing() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright not installed"
    if not CHROMIUM:
        return "chromium not on PATH (apt-get install chromium)"
    if not AXE.exists():
        return f"axe-core not found at {AXE} (npm ci --prefix .ci/axe)"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = _missing()
    if missing:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    return _readers.render_report(tmp_path_factory.mktemp("readers-html"))["html"]


def open_page(browser, url: str, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.route(
        "**/*",
        lambda route: (
            route.abort() if not route.request.url.startswith(("file:", "data:", "blob:")) else route.continue_()
        ),
    )  # the report must not need the network
    page.goto(url)
    return page


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": len(v["nodes"]),
            "first": v["nodes"][0]["target"] if v["nodes"] else None,
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def screenshot(page, name: str) -> None:
    folder = os.environ.get("READERS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name))


@pytest.mark.parametrize("width", WIDTHS)
def test_no_blocking_axe_violation(browser, html, width):
    page = open_page(browser, html.as_uri(), width)
    screenshot(page, f"report-{width}.png")
    assert axe_violations(page) == []
    page.close()


def test_figure_alt_text_differs_from_caption(browser, html):
    page = open_page(browser, html.as_uri(), 1400)
    figures = page.eval_on_selector_all(
        "main figure", "els => els.map(f => [f.querySelector('img').alt, f.querySelector('figcaption').innerText])"
    )
    assert len(figures) >= 9
    for alt, caption in figures:
        assert alt.strip() and alt.strip() not in caption and len(alt.split()) >= 8, (alt, caption)
    page.close()


def test_wide_tables_scroll_in_a_labelled_focusable_region(browser, html):
    page = open_page(browser, html.as_uri(), 1400)
    boxes = page.eval_on_selector_all(
        ".report-table",
        """els => els.map(e => ({
        scrolls: e.scrollWidth > e.clientWidth + 1, role: e.getAttribute('role'), tab: e.tabIndex,
        label: e.getAttribute('aria-label') || '', cue: e.classList.contains('is-scrollable'),
        caption: !!e.querySelector('table[aria-labelledby]')}))""",
    )
    assert boxes and all(b["role"] == "region" and b["tab"] == 0 and b["label"] and b["caption"] for b in boxes)
    assert all(b["cue"] for b in boxes if b["scrolls"])
    page.close()


def test_phone_layout(browser, html):
    page = open_page(browser, html.as_uri(), 400)
    banner = page.eval_on_selector(".synthetic-banner", "e => [getComputedStyle(e).position, e.offsetHeight]")
    assert banner[0] != "sticky" and banner[1] < 120
    order = page.evaluate("""() => {
        const t = document.querySelector('.title-block'), n = document.querySelector('#TOC');
        return [t.compareDocumentPosition(n) & Node.DOCUMENT_POSITION_FOLLOWING, n.querySelector('details').open,
                t.getBoundingClientRect().top];
    }""")
    assert order[0] and order[1] is False and order[2] < 200  # title first, contents collapsed
    page.close()


# ---- the checks fail on a page with the faults ----------------------------------------------


def test_checks_fail_on_a_bad_page(browser, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
        '<div style="width:200px;overflow-x:auto"><table><tr><td style="white-space:nowrap">'
        + "wide " * 80
        + '</td></tr></table></div><img src="x.png"></body></html>'
    )
    page = open_page(browser, bad.as_uri(), 1400)
    ids = {v["id"] for v in axe_violations(page)}
    assert {"scrollable-region-focusable", "image-alt", "region"} <= ids
    page.close()
