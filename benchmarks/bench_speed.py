"""Issue 13's targets, each measured as whole processes side by side: notice against MJML,
against a bare Python start, and against itself on one core.

    python benchmarks/bench_speed.py [--issues 200] [--runs 5] [--engines css-inline,premailer] [--mjml]

The corpus is bench_build.py's (seeded, mixed Japanese and English, 3-6 KB an issue). Every
figure is paired: the two commands run in turn, A B A B ..., and the ratio is taken pair by
pair, so it holds while the machine's speed drifts; the medians are printed. Times are wall
clock; CPU seconds and the peak memory of the largest process come from ``os.wait4``.

``--mjml`` installs MJML 5 from npm into a temporary folder (it says so, and needs ``npm``),
writes each issue as an MJML document (the same HTML body in ``mj-text``, the theme's CSS in
``mj-style inline="inline"``, the masthead and footer as sections) and times its CLI
compiling the same files. MJML writes only the HTML; notice also writes the text part, the
web page and the index. Standard library only, plus notice itself.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_build  # noqa: E402  (the corpus generator, beside this file)

PYTHON = sys.executable
NOTICE = [PYTHON, "-m", "toolkit"]
MJML_VERSION = "5"


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float


def measure(command: list[str], cwd: Path | None = None) -> Run:
    """One whole-process run: wall time, user+sys CPU of it and its children, peak RSS."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{error}")
    if process.stderr:
        process.stderr.close()
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


@dataclass
class Pair:
    """A against B, paired run by run."""

    name: str
    a: list[Run]
    b: list[Run]

    def median(self, side: str, what: str = "wall") -> float:
        return statistics.median(getattr(r, what) for r in (self.a if side == "a" else self.b))

    def ratio(self, what: str = "wall") -> float:
        return statistics.median(getattr(x, what) / getattr(y, what) for x, y in zip(self.a, self.b))


def paired(
    name: str,
    a: list[str],
    b: list[str],
    runs: int,
    before_a: Callable[[], None] | None = None,
    before_b: Callable[[], None] | None = None,
    warmup: int = 1,
) -> Pair:
    """*runs* pairs after *warmup* uncounted ones; *before_a*/*before_b* prepare each run."""
    result = Pair(name, [], [])
    for n in range(warmup + runs):
        if before_a:
            before_a()
        run_a = measure(a)
        if before_b:
            before_b()
        run_b = measure(b)
        if n >= warmup:
            result.a.append(run_a)
            result.b.append(run_b)
    return result


#: A CPU-bound Python loop of 0.5-0.8 s here, about a build's length: the unit of `ceiling`.
BUSY = [PYTHON, "-c", "n = 0\nfor i in range(8_000_000): n += i"]


def ceiling(cpus: int, runs: int) -> tuple[float, float, float]:
    """What this machine gives *cpus* processes at once: the time of *cpus* runs of `BUSY`
    one after the other against the time of *cpus* started together, paired run by run;
    the most `--jobs` could gain here (two cores under one hypervisor share more than
    their count says). Returns (one run, all at once, the median ratio)."""
    ones, togethers, ratios = [], [], []
    for n in range(1 + runs):
        one = sum(measure(BUSY).wall for _ in range(cpus))
        start = time.perf_counter()
        processes = [subprocess.Popen(BUSY, stdout=subprocess.DEVNULL) for _ in range(cpus)]
        if any(process.wait() for process in processes):
            sys.exit(f"{' '.join(BUSY)} failed")
        together = time.perf_counter() - start
        if n:  # the first pair warms up
            ones.append(one / cpus)
            togethers.append(together)
            ratios.append(one / together)
    return statistics.median(ones), statistics.median(togethers), statistics.median(ratios)


# --- MJML ---------------------------------------------------------------------------------------


def install_mjml(folder: Path) -> Path:
    """`npm install mjml@5` into *folder*; the path of its CLI."""
    if not shutil.which("npm"):
        sys.exit("--mjml needs npm (Debian: apt-get install npm)")
    print(f"installing mjml@{MJML_VERSION} from npm into {folder} (deleted at the end) ...", flush=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", f"mjml@{MJML_VERSION}"], cwd=folder, check=True
    )
    return folder / "node_modules" / ".bin" / "mjml"


def write_mjml(pub: Path, folder: Path) -> list[Path]:
    """Each issue of *pub* as an MJML document in *folder*: the same body HTML as notice's."""
    from toolkit.config import load_config
    from toolkit.markup import render_markdown
    from toolkit.source import read_issues
    from toolkit.templating import theme_dir

    config = load_config(pub)
    publication = config.publication
    # Without comments: the theme's mention "<style>", which MJML's parser takes for a tag.
    css = re.sub(r"/\*.*?\*/", "", (theme_dir() / "email.css").read_text(encoding="utf-8"), flags=re.S)
    issues, _ = read_issues(config.issues_dir, default_lang=publication.lang, tz=config.tz)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for issue in issues:
        body = render_markdown(issue.body, base_url=publication.base_url)
        footer = (
            f"{html.escape(publication.sender_name)} &lt;{html.escape(publication.sender_email)}&gt;<br>"
            f"{html.escape(publication.postal_address)}<br>"
            f'<a href="{html.escape(publication.unsubscribe_url)}">配信停止 / Unsubscribe</a>'
        )
        document = f"""<mjml lang="{issue.lang}">
  <mj-head>
    <mj-title>{html.escape(issue.title)}</mj-title>
    <mj-preview>{html.escape(issue.preheader)}</mj-preview>
    <mj-style inline="inline">{css}</mj-style>
  </mj-head>
  <mj-body width="600px">
    <mj-section><mj-column><mj-text css-class="masthead">{html.escape(publication.name)}
      No. {issue.number or ""}</mj-text></mj-column></mj-section>
    <mj-section><mj-column><mj-text><h1>{html.escape(issue.title)}</h1>
{body}
    </mj-text></mj-column></mj-section>
    <mj-section><mj-column><mj-text css-class="footer">{footer}</mj-text></mj-column></mj-section>
  </mj-body>
</mjml>
"""
        path = folder / f"{issue.slug}.mjml"
        path.write_text(document, encoding="utf-8")
        paths.append(path)
    return paths


# --- the figures --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=200, help="issues to generate (default: 200)")
    parser.add_argument("--runs", type=int, default=5, help="counted pairs per figure (default: 5)")
    parser.add_argument("--engines", default="css-inline,premailer", help="inliners to time (default: both)")
    parser.add_argument("--mjml", action="store_true", help=f"install mjml@{MJML_VERSION} from npm and compare")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR (new or empty) and keep it")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    root = (args.keep or Path(tempfile.mkdtemp(prefix="notice-speed-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    pub, n, runs = root / "pub", args.issues, args.runs
    rows: list[tuple[str, str]] = []
    try:
        bench_build.generate(pub, n)
        slug = sorted(p.stem for p in (pub / "issues").glob("*.md"))[n // 2]
        print(f"corpus: {n} issues in {pub}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}", flush=True)
        bare = [PYTHON, "-c", "pass"]
        mjml_cli = None
        if args.mjml:
            mjml_dir = root / "mjml"
            mjml_dir.mkdir(exist_ok=True)
            mjml_cli = install_mjml(mjml_dir)
            bench_build.use_engine(pub, engines[0])
            files = write_mjml(pub, root / "mjml-src")
            mjml_all = [str(mjml_cli), *map(str, files), "-o", str(root / "mjml-out") + os.sep]
            mjml_one = [str(mjml_cli), str(root / "mjml-src" / f"{slug}.mjml"), "-o", str(root / "mjml-one") + os.sep]
            (root / "mjml-out").mkdir(exist_ok=True)
            (root / "mjml-one").mkdir(exist_ok=True)

        def notice(*more: str) -> list[str]:
            return [*NOTICE, "-C", str(pub), "-q", *more]

        for engine in engines:
            bench_build.use_engine(pub, engine)
            full = notice("build", "--drafts", "--force", "--out", str(root / f"out-{engine}"))
            one = notice("build", "--drafts", slug, "--force", "--out", str(root / f"one-{engine}"))
            if mjml_cli:
                pair = paired(f"full {engine}", full, mjml_all, runs)
                rows.append((f"{n} issues, build --force, {engine}", report(pair, "MJML")))
                print(f"  {rows[-1][0]}: {rows[-1][1]}", flush=True)
                pair = paired(f"one {engine}", one, mjml_one, runs)
                rows.append((f"one issue, cold process, {engine}", report(pair, "MJML")))
            else:
                pair = paired(f"full {engine}", full, bare, runs)
                rows.append((f"{n} issues, build --force, {engine}", report(pair, "python -c pass")))
            print(f"  {rows[-1][0]}: {rows[-1][1]}", flush=True)

        engine = engines[0]
        bench_build.use_engine(pub, engine)
        out = root / "out-default"
        measure(notice("build", "--drafts", "--out", str(out)))
        pair = paired(
            "jobs",
            notice("build", "--drafts", "--force", "--jobs", "1", "--out", str(out)),
            notice("build", "--drafts", "--force", "--out", str(out)),
            runs,
        )
        rows.append((f"{n} issues, --jobs 1 against every CPU ({os.cpu_count()}), {engine}", report(pair, "every CPU")))
        cpus = os.cpu_count() or 1
        if cpus > 1:
            one, together, gain = ceiling(cpus, runs)
            rows.append(
                (
                    f"the machine: {cpus} busy processes at once against in turn",
                    f"{one:.3f} s each alone, {together:.3f} s all at once: {gain:.2f}x (the most --jobs can gain)",
                )
            )
        measure(notice("build", "--drafts", "--out", str(out)))
        pair = paired("noop", notice("build", "--drafts", "--out", str(out)), bare, runs)
        rows.append((f"{n} issues, nothing changed", report(pair, "python -c pass")))
        changed = pub / "issues" / f"{slug}.md"
        original = changed.read_text(encoding="utf-8")
        flip = [False]

        def change_one() -> None:  # a different body each run, so each run rebuilds that issue
            flip[0] = not flip[0]
            changed.write_text(original + ("\nOne more line.\n" if flip[0] else ""), encoding="utf-8")

        pair = paired("one changed", notice("build", "--drafts", "--out", str(out)), bare, runs, before_a=change_one)
        changed.write_text(original, encoding="utf-8")
        rows.append((f"{n} issues, one issue changed", report(pair, "python -c pass")))
        pair = paired("help", [*NOTICE, "--help"], bare, runs)
        rows.append(("notice --help", report(pair, "python -c pass")))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print("\nmedians of paired runs (A B A B ...), wall clock; ratio = notice / the other, pair by pair")
    for name, text in rows:
        print(f"{name:<58} {text}")


def report(pair: Pair, other: str) -> str:
    return (
        f"{pair.median('a'):.3f} s (cpu {pair.median('a', 'cpu'):.2f} s, peak {pair.median('a', 'peak_mib'):.0f} MiB)"
        f" vs {other} {pair.median('b'):.3f} s: {pair.ratio():.2f}x"
    )


if __name__ == "__main__":
    main()
