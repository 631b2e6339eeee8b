"""The collector paused while a command starts up, and running again wherever work is done
(issue 13, `toolkit.collector`): a build's reading and rendering, in its process and in its
workers, and the preview's server, never run without it; a library user's choice is kept."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

import pytest

from toolkit import collector

from conftest import make_publication, write_issue

#: A new process running `notice` (*argv* in sys.argv[1]) through `toolkit.cli.main`; it prints
#: the collections from the command's start until the build read its issues, and whether the collector ran wherever an
#: issue was rendered (this process or a worker: the workers are forked, and inherit the hooks).
PROBE = """
import gc, json, os, sys
import toolkit.build as build
from toolkit import collector
seen = {"started": False, "early": 0, "reading": None}
def count(phase, info):
    if phase == "start" and seen["started"] and seen["reading"] is None:
        seen["early"] += 1
gc.callbacks.append(count)
pause = collector.pause
def paused():
    seen["started"] = True
    pause()
collector.pause = paused
read_issues, write_issue = build.read_issues, build.write_issue
def reading(*args, **kwargs):
    seen["reading"] = gc.isenabled()
    return read_issues(*args, **kwargs)
def rendering(*args, **kwargs):
    with open(os.environ["PROBE_OUT"], "a") as out:
        out.write(json.dumps([os.getpid(), gc.isenabled()]) + "\\n")
    return write_issue(*args, **kwargs)
build.read_issues, build.write_issue = reading, rendering
sys.argv = ["notice", *json.loads(sys.argv[1])]
from toolkit.cli import main
seen["pid"] = os.getpid()
try:
    main()
finally:
    print(json.dumps(seen))
"""


def run_probe(tmp_path, *argv: str) -> tuple[dict, list[tuple[int, bool]]]:
    out = tmp_path / "rendered.jsonl"
    env = {**os.environ, "PROBE_OUT": str(out)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(argv))], capture_output=True, text=True, env=env, check=True
    )
    rendered = [tuple(json.loads(line)) for line in out.read_text().splitlines()]
    return json.loads(done.stdout.splitlines()[-1]), rendered


def test_resume_freezes_what_start_up_made_and_collects_again():
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    try:
        collector.pause()
        assert not gc.isenabled()
        kept = [[] for _ in range(100)]  # start-up's long-lived objects
        collector.resume()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(kept)
        count = gc.get_freeze_count()
        collector.resume()  # running already: nothing more is frozen
        assert gc.get_freeze_count() == count
    finally:
        gc.unfreeze()
        gc.enable() if enabled else gc.disable()


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_build_starts_up_without_collections_and_renders_with_them(tmp_path, jobs):
    root = make_publication(tmp_path / "pub", inliner="css-inline")
    for n in range(12):  # more than PARALLEL_THRESHOLD: with --jobs 2, workers render
        write_issue(root, f"issue-{n}", status="published")
    seen, rendered = run_probe(tmp_path, "-C", str(root), "-q", "build", "--jobs", jobs)
    assert seen["started"]
    assert seen["early"] == 0  # imports, the config and the cache: no pass of the collector
    assert seen["reading"] is True
    assert len(rendered) == 12 and all(enabled for _, enabled in rendered)
    renderers = {pid for pid, _ in rendered}
    if jobs == "1":
        assert renderers == {seen["pid"]}
    else:  # forked workers (one may have rendered every batch on a busy machine)
        assert seen["pid"] not in renderers


def test_a_library_user_who_turned_the_collector_off_keeps_it_off(publication):
    from toolkit.build import build
    from toolkit.config import load_config

    enabled = gc.isenabled()
    gc.disable()
    try:
        report = build(load_config(publication), drafts=True)
        assert report.ok and not gc.isenabled()
    finally:
        gc.enable() if enabled else gc.disable()


def test_the_preview_server_collects_when_started_from_the_paused_cli(sample_publication):
    from toolkit.preview import PreviewServer

    enabled = gc.isenabled()
    collector.pause()
    server = PreviewServer(sample_publication, port=0)
    try:
        server.start()
        assert gc.isenabled()
    finally:
        server.stop()
        collector.resume()  # if start failed before it did
        gc.unfreeze()
        gc.enable() if enabled else gc.disable()
