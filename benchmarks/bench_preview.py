"""Time from saving an issue to the preview telling the page (and, with Playwright, to the
reloaded page showing the change), for each inliner.

    python benchmarks/bench_preview.py [--saves 20]

Uses a copy of the repository's sample publication in a temporary folder. The browser part
runs when Playwright and a `chromium` on PATH are there; otherwise only the server side is
timed (save -> server-sent event).
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from toolkit.preview import PreviewServer  # noqa: E402

SLUG = "pre-send-checklist"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def make_publication(folder: Path, inliner: str) -> Path:
    for name in ("issues", "corrections"):
        shutil.copytree(REPO / name, folder / name)
    text = (REPO / "notice.toml").read_text(encoding="utf-8")
    (folder / "notice.toml").write_text(
        text.replace('inliner = "premailer"', f'inliner = "{inliner}"'), encoding="utf-8"
    )
    return folder


def save(issue: Path, n: int) -> None:
    """Change the issue's title, as an author saving in an editor would."""
    text = issue.read_text(encoding="utf-8")
    start = text.index("title:")
    end = text.index("\n", start)
    issue.write_text(text[:start] + f'title: "Checklist, edit {n}"' + text[end:], encoding="utf-8")


def time_events(server: PreviewServer, issue: Path, saves: int) -> list[float]:
    """Save -> the server-sent event announcing the new build, in ms."""
    host, port = server.httpd.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", "/events")
    stream = conn.getresponse()
    stream.readline()  # the current build
    while stream.readline().strip():
        pass
    times = []
    for n in range(saves):
        started = time.perf_counter()
        save(issue, n)
        while not stream.readline().startswith(b"data:"):
            pass
        stream.readline()
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.15)
    conn.close()
    return times


def time_reloads(server: PreviewServer, issue: Path, saves: int) -> list[float] | None:
    """Save -> the open page shows the new build, in ms; None without Playwright or Chromium."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if executable is None:
        return None
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        page = browser.new_page()
        page.goto(server.url + f"issue/{SLUG}")
        for n in range(saves):
            time.sleep(0.3)  # the page's EventSource connects after load
            saved_at = time.time() * 1000
            save(issue, 1000 + n)
            page.wait_for_selector(f"#subject:has-text('edit {1000 + n}')", timeout=10000)
            # The page's own clock: it stamps the moment it swapped the new build in. Playwright
            # notices the change only after a polling delay of its own, not the author's wait.
            updated_at = float(page.evaluate("() => document.body.dataset.updatedAt"))
            times.append(updated_at - saved_at)
        browser.close()
    return times


def summary(times: list[float] | None) -> str:
    if not times:
        return "not measured (needs Playwright and chromium)"
    return f"median {statistics.median(times):6.1f} ms, p90 {sorted(times)[int(len(times) * 0.9) - 1]:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=20)
    args = parser.parse_args()
    for inliner in ("premailer", "css-inline"):
        with tempfile.TemporaryDirectory(prefix="notice-preview-bench-") as folder:
            root = make_publication(Path(folder), inliner)
            server = PreviewServer(root, port=0)
            server.start()
            issue = root / "issues" / f"{SLUG}.md"
            try:
                events = time_events(server, issue, args.saves)
                reloads = time_reloads(server, issue, args.saves)
            finally:
                server.stop()
        print(f"{inliner:<11} save -> event: {summary(events)}")
        print(f"{'':<11} save -> page updated: {summary(reloads)}")


if __name__ == "__main__":
    main()
