"""`notice snapshot`: PNG screenshots of a built email at given widths, by headless Chromium.

Chromium is driven over its DevTools pipe (``--remote-debugging-pipe``: JSON messages ending
in NUL on file descriptors 3 and 4), so a full-page screenshot at an exact width needs no
Python browser library and no network port.
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from .errors import ToolkitError
from .output import write_atomic

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: `sudo apt-get install chromium fonts-noto-cjk`), "
    "or point at one with --browser PATH"
)
#: Flags that keep a headless browser quiet on a closed network (see shared/browser-testing.md).
FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--hide-scrollbars",
    "--mute-audio",
    "--disable-extensions",
    "--remote-debugging-pipe",
)
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]")


def find_browser(explicit: str | None = None) -> str:
    """The Chromium to use: --browser, else the first of the usual names on PATH."""
    if explicit:
        found = shutil.which(explicit) or (explicit if Path(explicit).is_file() else None)
        if not found:
            raise ToolkitError(f"no browser at '{explicit}'", hint=INSTALL_HINT)
        return found
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ToolkitError("no Chromium or Chrome found on PATH", hint=INSTALL_HINT)


def has_cjk_font() -> bool | None:
    """Whether fontconfig knows a Japanese font; None when fc-list itself is missing."""
    try:
        listed = subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return bool(listed.stdout.strip())


def needs_cjk(text: str) -> bool:
    return bool(CJK.search(text))


class DevTools:
    """A headless Chromium and its DevTools pipe. Use as a context manager."""

    def __init__(self, browser: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.TemporaryDirectory(prefix="notice-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        flags = [*FLAGS, f"--user-data-dir={self.profile.name}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox

        def wire_pipes() -> None:  # in the child: the pipe ends become fds 3 and 4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        try:
            # pass_fds keeps 3 and 4 open in the child after preexec_fn has placed the pipes there.
            self.process = subprocess.Popen(
                [browser, *flags, "about:blank"],
                pass_fds=(3, 4),
                preexec_fn=wire_pipes,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise ToolkitError(f"cannot start the browser {browser}: {exc.strerror}", hint=INSTALL_HINT) from None
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> DevTools:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.send("Browser.close")
        except (ToolkitError, OSError):
            pass  # already gone
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self.profile.cleanup()

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one command and wait for its answer; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise ToolkitError(f"the browser refused {method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, *methods: str) -> dict[str, Any]:
        """The first event of one of *methods*, in the order they came."""
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") in methods:
                    return self.events.pop(index)
            self.events.append(self._read())

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(0.0, remaining))
            chunk = os.read(self._from_browser, 1 << 16) if ready else b""
            if not chunk:
                raise ToolkitError(
                    "the browser stopped answering" if ready else "the browser took too long",
                    hint="run it by hand to see why, or try another with --browser",
                )
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)


#: What a local image's copy is served as (toolkit.images.FORMATS' extensions).
IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
}


def take_snapshots(
    page: Path, widths: list[int], out_stem: Path, browser: str, images: dict[str, Path] | None = None
) -> list[Path]:
    """Screenshot *page* at each width, full height; write ``<stem>-<width>.png`` files.

    *images*: the issue's local images by their published URL (toolkit.images). They are not
    uploaded yet, so the browser's requests for them are answered from the built copies
    (DevTools Fetch domain) and every other image request fails: no network, as in a test.
    """
    written = []
    with DevTools(browser) as tools:
        target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        tools.send("Page.enable", session=session)
        if images:
            tools.send("Fetch.enable", {"patterns": [{"urlPattern": "http*://*", "resourceType": "Image"}]}, session)
        for width in widths:
            metrics = {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 500}
            tools.send("Emulation.setDeviceMetricsOverride", metrics, session)
            tools.send("Page.navigate", {"url": page.resolve().as_uri()}, session)
            while (event := tools.wait_for("Page.loadEventFired", "Fetch.requestPaused"))[
                "method"
            ] != "Page.loadEventFired":
                answer_image(tools, session, event["params"], images or {})
            layout = tools.send("Page.getLayoutMetrics", session=session)
            size = layout.get("cssContentSize") or layout["contentSize"]
            height = max(1, min(int(size["height"] + 0.5), 16000))
            tools.send("Emulation.setDeviceMetricsOverride", {**metrics, "height": height}, session)
            shot = tools.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}, session)
            path = out_stem.parent / f"{out_stem.name}-{width}.png"
            write_atomic(path, base64.b64decode(shot["data"]))
            written.append(path)
    return written


def answer_image(tools: DevTools, session: str, paused: dict[str, Any], images: dict[str, Path]) -> None:
    """Answer a paused image request with the built copy it names, or fail it."""
    copy = images.get(paused["request"]["url"].split("#")[0])
    if copy is None:
        tools.send("Fetch.failRequest", {"requestId": paused["requestId"], "errorReason": "BlockedByClient"}, session)
        return
    kind = IMAGE_TYPES.get(copy.suffix.lower(), "application/octet-stream")
    tools.send(
        "Fetch.fulfillRequest",
        {
            "requestId": paused["requestId"],
            "responseCode": 200,
            "responseHeaders": [{"name": "Content-Type", "value": kind}],
            "body": base64.b64encode(copy.read_bytes()).decode("ascii"),
        },
        session,
    )


def parse_widths(text: str) -> list[int]:
    try:
        widths = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        widths = []
    if not widths or any(not 200 <= w <= 3000 for w in widths):
        raise ToolkitError(f"--width '{text}' is not a list of widths", hint="for example: --width 375,600")
    return widths
