"""Time the plain-text part alone: every `html_to_text` call a render of the corpus makes.

    python benchmarks/bench_text.py [--issues 200] [--passes 11]

The corpus is bench_build.py's. Every issue is rendered once while the calls of
`toolkit.plaintext.html_to_text` (and the `wrap` calls they make) are recorded; then the
calls are made again, in this process, and the best of *passes* is printed in CPU
milliseconds an issue (`time.process_time`), for html_to_text, its parse_fragment and its
wrap. Replaying leaves out the rest of the render, so the figures move less with the
machine's load than bench_build.py's "warm stages"; run it for two checkouts in turn to
compare them. Standard library only, plus notice itself.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_build  # noqa: E402  (the corpus generator, beside this file)


def record(pub: Path) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[tuple[Any, ...], dict[str, Any]]]]:
    """The html_to_text calls of a render of every issue in *pub*, and their wrap calls."""
    import toolkit.plaintext
    import toolkit.render
    from toolkit.build import load_states
    from toolkit.render import IssueRenderer
    from toolkit.source import read_issues

    config = bench_build.use_engine(pub, "css-inline")
    issues = read_issues(config.issues_dir, default_lang=config.publication.lang, tz=config.tz)[0]
    renderer = IssueRenderer(config)
    texts: list[tuple[str, dict[str, Any]]] = []
    wraps: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    html_to_text, wrap = toolkit.plaintext.html_to_text, toolkit.plaintext.wrap

    def text_call(fragment: str, **options: Any) -> str:
        links = options.get("links")
        texts.append((fragment, {**options, "links": None if links is None else dict(links)}))
        return html_to_text(fragment, **options)

    def wrap_call(*args: Any, **options: Any) -> list[str]:
        wraps.append((args, {**options, "atoms": frozenset(options.get("atoms", ()))}))
        return wrap(*args, **options)

    toolkit.render.html_to_text, toolkit.plaintext.wrap = text_call, wrap_call
    try:
        for state in load_states(config, issues)[0].values():
            renderer.render(state)
    finally:
        toolkit.render.html_to_text, toolkit.plaintext.wrap = html_to_text, wrap
    return texts, wraps


def best(passes: int, action: Callable[[], object]) -> float:
    """The least CPU seconds of *passes* calls of *action*, after one more to warm up."""
    action()
    times = []
    for _ in range(passes):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=200, help="issues to generate (default: 200)")
    parser.add_argument("--passes", type=int, default=11, help="timed passes, the best counts (default: 11)")
    args = parser.parse_args()
    from toolkit.plaintext import html_to_text, parse_fragment
    from toolkit.wrapping import wrap

    with tempfile.TemporaryDirectory(prefix="notice-text-") as folder:
        pub = Path(folder) / "pub"
        bench_build.generate(pub, args.issues)
        texts, wraps = record(pub)

    def convert() -> None:
        for fragment, options in texts:
            links = options["links"]
            html_to_text(fragment, **{**options, "links": None if links is None else dict(links)})

    figures = {
        "html_to_text": best(args.passes, convert),
        "  parse_fragment": best(args.passes, lambda: [parse_fragment(fragment) for fragment, _ in texts]),
        "  wrap": best(args.passes, lambda: [wrap(*call, **options) for call, options in wraps]),
    }
    print(f"{args.issues} issues, {len(texts)} html_to_text calls, {len(wraps)} wrap calls in them")
    for name, seconds in figures.items():
        print(f"{name:20s} {seconds * 1000 / args.issues:6.3f} ms of CPU an issue (best of {args.passes})")


if __name__ == "__main__":
    main()
