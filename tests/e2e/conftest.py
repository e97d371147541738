"""Browser tests in real Chromium (Debian's package), driven by Playwright through executable_path.

Screenshots of the main pages are saved under test-output/screenshots/ (CI keeps the run's output).
"""
import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the tests' own ORM calls are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


PHONE = {"width": 360, "height": 740}


def fits_the_phone(page) -> None:
    """No horizontal scroll at 360 px wide (the page itself; wide tables scroll inside .table-wrap)."""
    page.set_viewport_size(PHONE)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: {width}px wide in a {inner}px window"


def unlabelled_fields(page) -> list[str]:
    """Form fields (not hidden) that no <label> names."""
    return page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter(el => el.type !== 'hidden' && el.labels.length === 0).map(el => el.name || el.id)""")


@pytest.fixture
def new_page(browser):
    """Pages in new browser contexts (each with its own cookies: one person each), closed afterwards."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def log_in(new_page, live_server):
    """A new context logged in through the login form; returns its page, on the workspace."""

    def enter(username: str, password: str = "a-long-pass-phrase-2026"):
        page = new_page()
        page.goto(f"{live_server.url}/accounts/login/?next=/workspace/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_server.url}/workspace/")
        return page

    return enter
