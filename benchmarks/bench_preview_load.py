"""Latency of the preview server under N concurrent requests (issue 14, item 10).

    python benchmarks/bench_preview_load.py [--concurrent 200] [--rounds 5]

Starts `notice preview --port 0` on a copy of the repository's sample publication in its own
process (so the client does not share the server's interpreter), then, for each path, opens
N connections at once from one asyncio client, each sending one GET, and times connect ->
last byte of the response. Prints p50, p95 and the worst case over all rounds, how many
answers were not 200, and (on Linux) the server's CPU time per request: N requests cannot
finish sooner than N times that on one core. Standard library only, plus notice itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SLUG = "pre-send-checklist"
PATHS = ["/", f"/issue/{SLUG}", f"/built/{SLUG}/email.html", "/assets/preview.css"]


async def one(port: int, path: str) -> tuple[float, int]:
    """One request on its own connection: (ms, status)."""
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout=30)  # until the server closes
        writer.close()
    except (TimeoutError, OSError):  # reset or refused: counted as a failure
        data = b""
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return (time.perf_counter() - started) * 1000, status


async def burst(port: int, path: str, concurrent: int) -> list[tuple[float, int]]:
    return await asyncio.gather(*(one(port, path) for _ in range(concurrent)))


def server_cpu(pid: int) -> float | None:
    """CPU seconds the server process has used (Linux's /proc; None elsewhere): on a busy
    machine the latency says more about the neighbours than about notice."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="notice-preview-load-") as folder:
        root = Path(folder)
        for name in ("issues", "corrections"):
            shutil.copytree(REPO / name, root / name)
        shutil.copy(REPO / "notice.toml", root / "notice.toml")
        server = subprocess.Popen(
            [sys.executable, "-m", "toolkit", "-C", str(root), "preview", "--port", "0"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            line = server.stdout.readline()  # type: ignore[union-attr]
            port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))  # type: ignore[union-attr]
            for path in PATHS:
                asyncio.run(burst(port, path, 10))  # warm-up: templates compiled, files cached
                times, failed, cpu = [], 0, server_cpu(server.pid)
                for _ in range(args.rounds):
                    for ms, status in asyncio.run(burst(port, path, args.concurrent)):
                        times.append(ms)
                        failed += status != 200
                    time.sleep(0.2)
                used = server_cpu(server.pid)
                per_request = f"  server CPU {(used - cpu) * 1000 / len(times):.2f} ms/request" if used else ""
                print(
                    f"{path:<38} p50 {statistics.median(times):7.1f} ms  p95 {percentile(times, 0.95):7.1f} ms"
                    f"  max {max(times):7.1f} ms  not 200: {failed}/{len(times)}{per_request}"
                )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
