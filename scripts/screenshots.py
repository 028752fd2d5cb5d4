"""Screenshots of every dashboard page in Brazilian Portuguese for docs/.

    python scripts/screenshots.py [--out docs/screenshots/pt-BR]

Seeds a demo database (7 days of the simulated feed on every platform, in a
temporary folder), starts `streamlit run` as `replywatch dashboard --language
pt-BR` does, opens each page in Debian's chromium (Playwright, 1440 px wide)
and saves a full-page PNG, reduced to a 256-colour palette so each file stays
small. Needs `chromium` on the PATH (never `playwright install`).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

PAGES = {
    "triage": "Triagem",
    "response-times": "Tempos de resposta",
    "sentiment": "Sentimento",
    "benchmarks": "Benchmarks e exportação",
    "sources": "Fontes",
    "admin": "Administração",
}
WIDTH = 1440


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(base: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the dashboard exited while starting")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the dashboard did not start in time")


def _settled(page) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_timeout(1500)  # charts draw after the script run
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')


def _small_png(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def _seed(path: Path) -> None:
    from replywatch.collectors.demo import ALL_PLATFORMS, DemoFeed, demo_brand_for
    from replywatch.live_demo import seed_demo
    from replywatch.store.db import open_database

    db = open_database(path)
    seed_demo(db, DemoFeed(platforms=ALL_PLATFORMS), days=7, seed=42, now=datetime.now(UTC))
    db.close()
    assert demo_brand_for("pt-BR") is not None


def main() -> None:
    """Write one PNG per page to ``--out``."""
    from playwright.sync_api import sync_playwright

    from replywatch.collectors.demo import demo_brand_for
    from replywatch.dashboard_launcher import run_dashboard

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots/pt-BR"))
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    brand = demo_brand_for("pt-BR")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.db"
        _seed(db)
        port = _port()
        process = run_dashboard(
            db, port=port, language="pt-BR", brand=brand.key, timezone=brand.timezone
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base, process)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=shutil.which("chromium"),
                    args=["--no-sandbox", "--disable-gpu"],
                )
                # Tall: the page scrolls inside its own container, which a
                # full-page screenshot does not unroll.
                page = browser.new_page(viewport={"width": WIDTH, "height": 2200}, locale="pt-BR")
                page.set_default_timeout(60_000)
                for path, title in PAGES.items():
                    page.goto(f"{base}/?lang=pt-BR" if path == "triage" else f"{base}/{path}")
                    page.get_by_role("heading", name=title).first.wait_for()
                    _settled(page)
                    target = out / f"{path}.png"
                    page.screenshot(path=str(target), full_page=True)
                    _small_png(target)
                    print(f"{target} ({target.stat().st_size // 1024} KiB)")
                browser.close()
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
