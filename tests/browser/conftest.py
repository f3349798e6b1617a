"""Browser tests: Debian's Chromium driven by Playwright against a live server, with axe-core.

The folder is skipped, with the reason shown, when Chromium or the playwright package is missing;
with PB_REQUIRE_BROWSER=1 (as in CI) every test fails instead, so a broken runner cannot pass by
skipping. Every page a test visits is checked with axe-core (WCAG 2.0/2.1 A and AA) and saved as a
full-page screenshot in tests/browser/screenshots/ (gitignored) for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pb.core.extensions import db
from tests.conftest import make_test_app

# Debian's Chromium; PB_CHROMIUM names another binary (Playwright cannot download one here).
CHROMIUM = Path(os.environ.get("PB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # the suite runs as root
    "--disable-gpu",
    # No calls home: the machine has no network, and Chromium would otherwise keep trying.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe files page structure under "best-practice", not under a WCAG tag; these few are switched on
# as well because a screen-reader user navigates by them (headings, landmarks, the skip link).
STRUCTURE_RULES = [
    "heading-order",
    "page-has-heading-one",
    "empty-heading",
    "landmark-one-main",
    "landmark-unique",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "landmark-banner-is-top-level",
    "landmark-contentinfo-is-top-level",
    "landmark-main-is-top-level",
    "region",
    "skip-link",
]
REQUIRE_BROWSER = os.environ.get("PB_REQUIRE_BROWSER") == "1"
HERE = Path(__file__).resolve().parent

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError as error:  # reported below, once per test, as a skip or (in CI) a failure
    _IMPORT_ERROR: str | None = f"the playwright packages are not installed ({error})"
    expect = None  # the test modules import it from here; their tests never run without it
else:
    _IMPORT_ERROR = None


def _missing() -> str | None:
    if _IMPORT_ERROR:
        return _IMPORT_ERROR
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


MISSING = _missing()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not MISSING or REQUIRE_BROWSER:
        return  # when required, the `browser` fixture fails each test with the same reason
    skip = pytest.mark.skip(reason=f"browser tests skipped: {MISSING}")
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(skip)


# --- the live server -------------------------------------------------------------------------


class LiveServer:
    def __init__(self, app) -> None:
        from werkzeug.serving import make_server

        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="pb-live-server", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@contextmanager
def demo_server(
    directory: Path, now: datetime, templates, then=None, **app_settings
) -> Iterator[LiveServer]:
    """The demo as of `now` (then `then(now=now)`, if given) on a fresh SQLite database in
    `directory`, served on a free port; `app_settings` are the app's besides, such as its folders.

    The database is a copy of the session's demo template (`tests.demo_database`), built once for
    this clock, these settings and this `then` however many servers a run starts."""
    settings = {"WTF_CSRF_ENABLED": True, "PB_FROZEN_NOW": now.isoformat()}
    path = directory / "demo.sqlite3"
    shutil.copyfile(templates.sqlite_file(now, settings, then), path)
    app = make_test_app(f"sqlite:///{path}", **settings, **app_settings)
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def demo_now() -> datetime:
    # One clock for every demo server of the run: the demo's current edition is laid out around
    # `now`, and the pages read the same instant (PB_FROZEN_NOW), so a run that crosses midnight
    # still sees one consistent day, and the servers share one template.
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, demo_now, demo_templates):
    with demo_server(tmp_path_factory.mktemp("browser"), demo_now, demo_templates) as server:
        yield server


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if MISSING:
        pytest.fail(f"PB_REQUIRE_BROWSER=1 but {MISSING}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _blank_tile() -> bytes:
    """A plain light tile answered for every map tile request: the tile server is never asked."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (256, 256), (232, 236, 226)).save(out, "PNG")
    return out.getvalue()


TILE_PNG = _blank_tile()


def keep_local(context) -> list[str]:
    """Nothing leaves the machine: map tiles get a blank picture, anything else not served by the
    live server is refused. Returns the list of tile addresses asked for."""
    tiles: list[str] = []

    def answer(route) -> None:
        url = route.request.url
        if url.startswith("http://127.0.0.1:"):
            route.continue_()
        elif "/{z}/" not in url and url.endswith(".png"):
            tiles.append(url)
            route.fulfill(status=200, content_type="image/png", body=TILE_PNG)
        else:
            route.abort()

    context.route("**/*", answer)
    return tiles


def _new_page(browser, live_server: LiveServer, viewport: dict) -> Iterator[Page]:
    # A fresh context per test: no cookies (language, session) leak from one test to the next.
    context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="cs-CZ")
    keep_local(context)
    context.set_default_timeout(5_000)
    page = context.new_page()
    # Chromium logs what the Content-Security-Policy blocks; nothing the pages (or axe) need may be.
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not blocked, f"the Content-Security-Policy blocked: {blocked}"


@pytest.fixture
def page(browser, live_server: LiveServer) -> Iterator[Page]:
    yield from _new_page(browser, live_server, DESKTOP)


@pytest.fixture
def mobile_page(browser, live_server: LiveServer) -> Iterator[Page]:
    yield from _new_page(browser, live_server, MOBILE)


# --- what every visited page gets --------------------------------------------------------------

_axe = Axe() if _IMPORT_ERROR is None else None


def check_accessibility(page: Page, name: str) -> dict:
    """Run axe-core on the page as it is now; fail listing every WCAG 2.x A/AA violation
    (and any breach of the STRUCTURE_RULES).

    Playwright's `evaluate` runs through the DevTools protocol, which is not subject to the page's
    Content-Security-Policy (`script-src 'self'`, no inline script), so injecting axe needs no
    `bypass_csp` context: the pages are tested under the very policy residents get. The returned
    results say how many rules passed, which the tests use to prove axe really ran.
    """
    results = _axe.run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "rules": {rule: {"enabled": True} for rule in STRUCTURE_RULES},
            "resultTypes": ["violations"],
        },
    ).response
    violations = results["violations"]
    if violations:
        lines = [f"axe found {len(violations)} accessibility violation(s) on {name} ({page.url}):"]
        for violation in violations:
            lines.append(f"- {violation['id']} [{violation['impact']}]: {violation['help']}")
            for node in violation["nodes"]:
                target = " ".join(str(t) for t in node["target"])
                summary = (node.get("failureSummary") or "").replace("\n", " ")
                lines.append(f"    at {target}: {summary}")
        pytest.fail("\n".join(lines), pytrace=False)
    return results


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as tests/browser/screenshots/<name>.png."""
    if not re.fullmatch(r"[a-z0-9_.-]+", name):
        raise ValueError(f"screenshot names are lowercase file names, not {name!r}")
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_page(page: Page, name: str) -> dict:
    """What every page a test visits gets: a screenshot (taken first, so a failing page is still
    there to look at) and an axe-core check."""
    screenshot(page, name)
    return check_accessibility(page, name)


# --- results (issue 6): a live server of its own ---------------------------------------------


@pytest.fixture(scope="module")
def results_server(
    tmp_path_factory: pytest.TempPathFactory, demo_now, demo_templates
) -> Iterator[LiveServer]:
    """The demo on its own database: counting and publishing 2024 never touch the shared server."""
    with demo_server(tmp_path_factory.mktemp("results"), demo_now, demo_templates) as server:
        yield server


@pytest.fixture
def results_page(browser, results_server: LiveServer) -> Iterator[Page]:
    yield from _new_page(browser, results_server, DESKTOP)


@pytest.fixture
def results_mobile_page(browser, results_server: LiveServer) -> Iterator[Page]:
    yield from _new_page(browser, results_server, MOBILE)


# The last TOTP step each account used, per live server: every server has a database of its own
# (a fresh copy of the demo), where no code has been used yet. Keyed by the account alone, a
# story run on a new server waited up to half a minute for steps used on the server before.
_last_totp_step: dict[tuple[str, str], int] = {}


def pass_second_factor(page: Page, email: str) -> None:
    """After the password: a staff account (demo TOTP secret) types the next unused code."""
    import time
    from urllib.parse import urlsplit

    import pyotp

    from pb.demo.load import DEMO_TOTP_SECRET

    page.wait_for_load_state()
    if not page.url.endswith("/account/2fa"):
        return
    account = (urlsplit(page.url).netloc, email)
    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    while True:
        # The server takes the step before this one, this one or the next (a phone's clock
        # drifts), each code once. The step before only while this one has 10 s left, so that it
        # is still the step before when the code arrives: one sign-in more before any waiting.
        now = time.time()
        current = int(now) // totp.interval
        earliest = current - 1 if totp.interval - now % totp.interval > 10 else current
        step = max(earliest, _last_totp_step.get(account, -1) + 1)
        if step <= current + 1:
            break
        time.sleep(totp.interval - time.time() % totp.interval + 0.05)
    _last_totp_step[account] = step
    page.fill("input[name=code]", totp.generate_otp(step))
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
