"""Browser fixtures: the real app served by Uvicorn on loopback, Debian's Chromium driven by Playwright,
and axe-core (from npm) injected into pages to check accessibility."""

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from radhus.core import orgs
from radhus.core.auth import Role, create_user
from radhus.core.db import transaction
from tests.conftest import PASSWORD_HASH

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app, session_factory):  # type: ignore[no-untyped-def]
    """Serve the app on a free loopback port; yields the base URL."""
    with transaction(session_factory) as session:
        org = orgs.create_organisation(session, slug="exempelkommun", name="Exempelkommun")
        for role in Role:
            user = create_user(
                session,
                org_id=org.id,
                username=f"{role.value}@exempelkommun",
                display_name=f"{role.label_sv.title()} Testsson",
                roles=[role],
            )
            user.password_hash = PASSWORD_HASH
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        pytest.fail("Chromium saknas: installera Debians paket chromium (scripts/setup.sh --test gör det).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # getUserMedia answers with Chromium's synthetic microphone (a beep) without asking: lets the
                # notes page's in-browser recording be tested; pages that do not record are unaffected.
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="sv-SE")
    tab = context.new_page()
    tab.set_default_timeout(30_000)  # generous: CI machines are small and busy
    yield tab
    context.close()


def log_in(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD

    page.goto(f"{base_url}/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{base_url}/")


def axe_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """Run axe-core (WCAG 2.1 A/AA rules) in the page; returns serious and critical violations."""
    if not AXE.exists():
        pytest.fail("axe-core saknas: kör `npm install` (scripts/setup.sh --test gör det).")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, "
        "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
