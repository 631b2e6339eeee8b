"""Time from saving an issue to the preview telling the page (and, with Playwright, to the
reloaded page showing the change), for each inliner.

    python benchmarks/bench_preview.py [--saves 20] [--split] [--issues N]

With --split it also says where the time of a save goes: the watcher noticing it, the
build of the issue, the rest of the build (the whole-publication outputs), the event, the
page's fetch and its swap, each as a median over the page's saves (the server's marks by
`time.time()`, the page's by `Date.now()`: one clock). With --issues N the publication is
bench_build.py's corpus of N issues, and the newest is saved. Otherwise it uses a copy of the repository's sample publication in a temporary folder. The browser part
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
sys.path.insert(1, str(REPO / "benchmarks"))

import toolkit.build  # noqa: E402
import toolkit.preview  # noqa: E402
from toolkit.preview import PreviewServer  # noqa: E402

#: Wall-clock marks (ms since the epoch) of the server's side of each save, for --split.
MARKS: list[dict[str, float]] = []
#: The page's side: when the event came and the fetch of the new page answered.
PAGE_MARKS = """
(() => {
  window.__marks = [];
  const Source = window.EventSource;
  window.EventSource = function (url) {
    const source = new Source(url);
    source.addEventListener("build", () => window.__marks.push(["event", Date.now()]));
    return source;
  };
  // A frame's load (the email shown again): load events do not bubble, but are captured.
  document.addEventListener("load", (e) => {
    if (e.target.tagName === "IFRAME") window.__marks.push(["frame", Date.now()]);
  }, true);
  const fetch = window.fetch;
  window.fetch = function (...args) {
    window.__marks.push(["fetch", Date.now()]);
    return fetch.apply(this, args).then((response) => {
      window.__marks.push(["answer", Date.now()]);
      return response;
    });
  };
})();
"""


def instrument() -> None:
    """Wrap the preview's rebuild and the build's stages with wall-clock marks."""

    def now() -> float:
        return time.time() * 1000

    rebuild, publish, write_issue, write_public = (
        toolkit.preview.Previewer.rebuild,
        getattr(toolkit.preview.Previewer, "_publish", None),
        toolkit.build.write_issue,
        toolkit.build.write_public,
    )

    def timed_publish(self, *args, **kwargs):
        MARKS[-1].setdefault("told", now())
        return publish(self, *args, **kwargs)

    def timed_rebuild(self, *args, **kwargs):
        MARKS.append({"rebuild": now()})
        result = rebuild(self, *args, **kwargs)
        MARKS[-1]["rebuilt"] = now()
        return result

    def timed_write_issue(*args, **kwargs):
        result = write_issue(*args, **kwargs)
        MARKS[-1]["issue"] = now()
        return result

    def timed_write_public(*args, **kwargs):
        MARKS[-1]["public_start"] = now()
        result = write_public(*args, **kwargs)
        MARKS[-1]["public"] = now()
        return result

    toolkit.preview.Previewer.rebuild = timed_rebuild
    if publish is not None:
        toolkit.preview.Previewer._publish = timed_publish
    toolkit.build.write_issue = timed_write_issue
    toolkit.build.write_public = timed_write_public


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


def make_corpus(folder: Path, inliner: str, count: int) -> tuple[Path, str]:
    """bench_build.py's corpus of *count* issues; and the slug of the newest, which is saved."""
    import bench_build

    bench_build.generate(folder, count)
    bench_build.use_engine(folder, inliner)
    newest = max((folder / "issues").glob("*.md"), key=lambda path: (path.stem[:10], int(path.stem[11:])))
    return folder, newest.stem


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


def time_reloads(
    server: PreviewServer, issue: Path, saves: int, split: list[dict[str, float]] | None = None
) -> list[float] | None:
    slug = issue.stem
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
        if split is not None:
            page.add_init_script(PAGE_MARKS)
        page.goto(server.url + f"issue/{slug}")
        for n in range(saves):
            time.sleep(0.3)  # the page's EventSource connects after load
            saved_at = time.time() * 1000
            if split is not None:
                page.evaluate("() => { window.__marks = []; }")
                del MARKS[:]
            save(issue, 1000 + n)
            # Nothing of Playwright runs beside the build (its driver and this process's
            # share of the interpreter took from it): an author's editor is another program.
            time.sleep(0.5)
            page.wait_for_selector(f"#subject:has-text('edit {1000 + n}')", timeout=10000)
            # The page's own clock: it stamps the moment it swapped the new build in. Playwright
            # notices the change only after a polling delay of its own, not the author's wait.
            updated_at = float(page.evaluate("() => document.body.dataset.updatedAt"))
            if split is not None:
                page.wait_for_function("() => window.__marks.some(([name]) => name === 'frame')", timeout=10000)
            times.append(updated_at - saved_at)
            if split is not None and MARKS:
                marks = {"save": saved_at, **MARKS[0], "updated": updated_at}
                for name, at in page.evaluate("() => window.__marks"):
                    marks.setdefault(name, at)  # the first of each: this save's
                marks["builds"] = len(MARKS)
                split.append(marks)
        browser.close()
    return times


def summary(times: list[float] | None) -> str:
    if not times:
        return "not measured (needs Playwright and chromium)"
    return f"median {statistics.median(times):6.1f} ms, p90 {sorted(times)[int(len(times) * 0.9) - 1]:6.1f} ms"


#: --split's stages: (label, from mark, to mark).
STAGES = [
    ("watcher notices the save", "save", "rebuild"),
    ("build up to the issue written", "rebuild", "issue"),
    ("issue written -> pages told", "issue", "told"),
    ("told -> the page has the event", "told", "event"),
    ("event -> swapped in", "event", "updated"),
    ("(rebuild starts -> the page has the event)", "rebuild", "event"),
    ("(fetch -> answer, when it fetches)", "fetch", "answer"),
    ("(told -> index, log, feeds, sitemap begin)", "told", "public_start"),
    ("(index, log, feeds, sitemap)", "public_start", "public"),
    ("(told -> the rebuild ends)", "told", "rebuilt"),
    ("(save -> the email frame loaded again)", "save", "frame"),
]


def split_summary(split: list[dict[str, float]]) -> str:
    lines = []
    for label, start, end in STAGES:
        gaps = [m[end] - m[start] for m in split if start in m and end in m]
        if gaps:
            lines.append(f"{'':<13}{label:<45} median {statistics.median(gaps):6.1f} ms")
    extra = sum(m["builds"] - 1 for m in split)
    if extra:
        lines.append(f"{'':<13}({extra} saves started more than one build)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--split", action="store_true", help="say where the time goes (the page's saves)")
    parser.add_argument("--issues", type=int, default=0, help="bench_build.py's corpus of N issues instead")
    args = parser.parse_args()
    if args.split:
        instrument()
    for inliner in ("premailer", "css-inline"):
        with tempfile.TemporaryDirectory(prefix="notice-preview-bench-") as folder:
            slug = SLUG
            if args.issues:
                root, slug = make_corpus(Path(folder), inliner, args.issues)
            else:
                root = make_publication(Path(folder), inliner)
            server = PreviewServer(root, port=0)
            server.start()
            issue = root / "issues" / f"{slug}.md"
            split: list[dict[str, float]] | None = [] if args.split else None
            try:
                events = time_events(server, issue, args.saves)
                reloads = time_reloads(server, issue, args.saves, split)
            finally:
                server.stop()
        print(f"{inliner:<11} save -> event: {summary(events)}")
        print(f"{'':<11} save -> page updated: {summary(reloads)}")
        if split:
            print(split_summary(split))


if __name__ == "__main__":
    main()
