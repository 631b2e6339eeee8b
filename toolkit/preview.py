"""`notice preview`: a local server that builds, watches and shows every rendering.

It builds into ``.notice-cache/preview`` (never the published output), rebuilds on every
save through the ordinary incremental build (so only what changed is rendered again), and
tells open pages over server-sent events. It serves its own assets and the files it built,
nothing else: every other path is a 404, whatever ``..`` or encoding tricks it carries.
"""

from __future__ import annotations

import errno
import json
import re
import socket
import threading
import time
import traceback
from http import HTTPStatus
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import collector
from .build import BuildReport, build
from .config import Config, load_config
from .errors import Diagnostic, ToolkitError, as_diagnostic, internal_error, unique
from .feeds import PUBLIC_RECORD_FILES
from .images import HASHED_RE, IMAGE_FOLDER
from .localserver import IDLE_SECONDS, LocalRequestHandler, LocalServer
from .output import BuildCache
from .services import with_samples
from .snapshot import IMAGE_TYPES
from .templating import make_environment
from .ui_pages import DARK_VIEWS, UI_DIR, PreviewState, render_page, with_built_images
from .watching import watch_changes

ASSETS = {"preview.css": "text/css", "preview.js": "text/javascript"}
#: What the preview serves of what it built: pages, plain text, and the feeds, sitemap and record (issue 9).
BUILT_TYPES = {
    ".html": "text/html",
    ".txt": "text/plain",
    ".atom": "application/atom+xml",
    ".json": "application/json",
    ".xml": "application/xml",
}
#: What every build writes for the whole publication: `Previewer.rebuild` tells the pages
#: before these are written, and a request for one waits for them.
PUBLIC_FILES = frozenset({"index.html", *PUBLIC_RECORD_FILES})
_SAFE_PART = re.compile(r"[a-z0-9][a-z0-9-]*(\.(html|txt|atom|json|xml))?")
#: A request body the preview reads and drops, so it is never taken for a second request;
#: a longer one gets 413 and the connection is closed (RFC 9112 §6.3, RFC 9110 §15.5.14).
MAX_BODY = 64 * 1024


class Previewer:
    """Builds the publication into the preview folder and remembers the outcome."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.out_dir = Config(root=root).preview_dir  # known before notice.toml is read (it may be broken)
        self.state = PreviewState()
        self.changed = threading.Condition()
        self.watching = threading.Event()
        self._build_lock = threading.Lock()
        #: Clear while a build is writing the whole-publication files (see `rebuild`).
        self.public_ready = threading.Event()
        self.public_ready.set()
        self._told: dict[int, int] = {}  # each open event stream's last build sent
        self._env: tuple[Any, Any] | None = None
        #: The files the preview's own builds recorded in the build cache; nothing else in
        #: its folder is served, whatever was put there (issue 14).
        self.served: frozenset[str] = frozenset()

    def rebuild(self) -> PreviewState:
        """Build what changed; wake every page waiting for news. Never raises.

        The pages are told as soon as the stale issues are written, before the index, the
        corrections log, the feeds and the sitemap that a build also writes (issue 13: a save
        shown in under 50 ms; those took 7-14 ms of it). A request for one of those waits
        until they are written (`wait_for_public`), so it never gets the last build's copy
        beside the new pages. What the rest of the build finds (an error of the feeds, an
        issue's pages removed) is a build of its own for the pages.
        """
        with self._build_lock:
            started = time.perf_counter()
            self.public_ready.clear()
            config: Config | None = None
            errors: list[Diagnostic] = []
            report, cache, early = None, None, None

            def written(partial: BuildReport, partial_cache: BuildCache) -> None:
                nonlocal cache, early
                cache = partial_cache
                shown = unique(as_diagnostic(e) for e in partial.errors)
                early = self._publish(shown, config, started, partial, recorded_files(partial_cache, self.out_dir))
                self.wait_for_pages()

            try:
                config = load_config(self.root)
                report = build(
                    config,
                    out_dir=self.out_dir,
                    drafts=True,
                    env=self.environment(config),
                    on_written=written,
                )
                errors = report.errors
            except ToolkitError as error:
                errors = [Diagnostic.of(error)]
            except Exception as exc:  # noqa: BLE001 - a long-running server must outlive a bug
                # A bug in notice, not the author's mistake: show it in the page, keep watching.
                errors = [internal_error(exc)]
                traceback.print_exc()
            try:
                served = recorded_files(cache or BuildCache.load(config.cache_dir), self.out_dir) if config else None
                if early is None or errors != early.errors or served != self.served:
                    self._publish(errors, config, started, report, served)
                return self.state
            finally:
                self.public_ready.set()

    def _publish(
        self,
        errors: list[Diagnostic],
        config: Config | None,
        started: float,
        report: BuildReport | None,
        served: frozenset[str] | None,
    ) -> PreviewState:
        """Make a build's outcome the pages' state, under a new number, and wake the pages."""
        with self.changed:
            if served is not None:
                self.served = served
            self.state = PreviewState(
                self.state.generation + 1,
                errors,
                config or self.state.config,
                time.perf_counter() - started,
                report or self.state.report,
            )
            self.changed.notify_all()
            return self.state

    def page_html(self, slug: str | None, query: dict[str, str], state: PreviewState | None = None) -> str | None:
        """A page of the preview as *state* (the current build) shows it; None for an unknown issue."""
        state = state or self.state
        try:
            return render_page(state, self.out_dir, slug, query, *self.errors_for(slug, state))
        except LookupError:
            return None

    def page_told(self, stream: object, generation: int | None) -> None:
        """An event stream sent *generation*'s event (None: it closed)."""
        with self.changed:
            if generation is None:
                self._told.pop(id(stream), None)
            else:
                self._told[id(stream)] = generation
            self.changed.notify_all()

    def wait_for_pages(self, timeout: float = 0.1) -> None:
        """Wait (a little) until every open page's stream has sent the current build, so the
        rest of the build does not compete with the pages' rendering for the interpreter."""
        with self.changed:
            generation = self.state.generation
            self.changed.wait_for(lambda: all(told == generation for told in self._told.values()), timeout=timeout)

    def wait_for_public(self, timeout: float = 30.0) -> None:
        """Return once the build under way has written the index, log, feeds and sitemap."""
        self.public_ready.wait(timeout)

    def environment(self, config: Config) -> Any:
        """One Jinja environment across builds, so templates compile once (Jinja reloads a
        template whose file changed); made anew when templates/ appears or goes."""
        # Which template files exist where: a new override hides a built-in file that Jinja
        # has cached, which its modification check alone would never notice.
        folder = config.templates_dir
        key = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else None
        if self._env is None or self._env[0] != key:
            self._env = (key, make_environment(folder))
        return self._env[1]

    def wait_for_change(self, generation: int, timeout: float, stop: threading.Event | None = None) -> int:
        """The build number once it is no longer *generation*, or *timeout* passed, or *stop* is set."""
        with self.changed:
            self.changed.wait_for(
                lambda: self.state.generation != generation or (stop is not None and stop.is_set()), timeout=timeout
            )
            return self.state.generation

    def watch(self, stop: threading.Event) -> None:
        """Rebuild after every change to issues, corrections, templates or notice.toml."""
        for changes in watch_changes(self.root, stop):
            self.watching.set()  # the first, empty, batch: `start` waits for it
            if changes:
                self.rebuild()

    def errors_for(self, slug: str | None, state: PreviewState | None = None) -> tuple[list[Diagnostic], bool]:
        """The errors to show on a page, and whether they make its outputs stale."""
        state, stale = state or self.state, False
        shown: list[Diagnostic] = []
        for error in state.errors:
            owner = self.owner(error)
            if owner is None or owner == slug:
                shown.append(error)
                stale = True
            elif slug is None:
                shown.append(error)
        return shown, stale

    def owner(self, error: Diagnostic) -> str | None:
        """The issue an error belongs to, or None when it spoils every issue (config, template)."""
        if error.path is None:
            return None
        path = error.path.resolve()
        for folder in (self.root / "issues", self.root / "corrections"):
            folder = folder.resolve()
            if folder in path.parents:
                relative = path.relative_to(folder)
                return relative.stem if len(relative.parts) == 1 else relative.parts[0]
        return None

    def built_file(self, parts: list[str]) -> Path | None:
        """A file this preview built, from URL parts; None for anything else."""
        if not (is_image(parts) or parts and all(_SAFE_PART.fullmatch(part) for part in parts)):
            return None
        if "/".join(parts) not in self.served:
            return None
        path = self.out_dir.joinpath(*parts)
        base = self.out_dir.resolve()
        try:
            resolved = path.resolve(strict=True)
        except (FileNotFoundError, RuntimeError, OSError):
            return None
        if base not in resolved.parents or not resolved.is_file():
            return None
        if resolved.suffix not in BUILT_TYPES and not is_image(parts):
            return None
        return resolved


def is_image(parts: list[str]) -> bool:
    """``<slug>/img/<stem>.<hash>.<ext>``: a local image's copy (toolkit.images), whose name is
    the author's file name (spaces, Japanese), so not held to _SAFE_PART."""
    return (
        len(parts) == 3
        and _SAFE_PART.fullmatch(parts[0]) is not None
        and "." not in parts[0]
        and parts[1] == IMAGE_FOLDER
        and HASHED_RE.fullmatch(parts[2]) is not None
        and PurePosixPath(parts[2]).suffix.lower() in IMAGE_TYPES
        and not parts[2].startswith(".")
    )


def recorded_files(cache: BuildCache, out_dir: Path) -> frozenset[str]:
    """What the build cache says was built into *out_dir*, and its index."""
    entries = cache.entries(out_dir).values()
    return frozenset({*PUBLIC_FILES, *(str(name) for entry in entries for name in entry.get("files") or [])})


class PreviewHandler(LocalRequestHandler):
    """Routes: /, /issue/SLUG, /built/SLUG/FILE, /events, /assets/NAME. Everything else 404.
    GET and HEAD only (the standard library answers other methods 501 and closes)."""

    previewer: Previewer
    server: LocalServer
    server_version = "notice-preview"
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS  # StreamRequestHandler puts it on the socket: a silent client is dropped

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        pass  # quiet: the terminal is for build errors, not for every request

    def do_GET(self) -> None:  # noqa: N802 (stdlib's name)
        if not self.drain_body():
            return
        if not self.server.host_allowed(self.headers.get_all("Host") or []):
            return self.send(
                HTTPStatus.BAD_REQUEST,
                b"400 this preview answers only to localhost\n",
                "text/plain",
                {"Connection": "close"},
            )  # never kept: LocalServer answers from its table only the hosts it allows
        url = urlsplit(self.path)
        raw = url.path
        # Decode once and refuse anything that could climb out: "..", "%2e%2e", "//", "\".
        path = unquote(raw)
        if ".." in path or "\\" in path or "//" in path or "\0" in path:
            return self.not_found()
        parts = [p for p in PurePosixPath(path).parts if p != "/"]
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if not parts:
            return self.page(None, query)
        if parts[0] == "issue" and len(parts) == 2 and _SAFE_PART.fullmatch(parts[1]):
            return self.page(parts[1], query)
        if parts[0] == "built":
            return self.built(parts[1:], query)
        if parts == ["events"]:
            return self.events(query)
        if parts[0] == "assets" and len(parts) == 2 and parts[1] in ASSETS:
            # Versioned URLs (?v=...) can be cached for good: a reload then fetches the page only.
            return self.send(
                HTTPStatus.OK,
                (UI_DIR / parts[1]).read_bytes(),
                ASSETS[parts[1]],
                {"Cache-Control": "max-age=31536000, immutable"},
            )
        return self.not_found()

    # HEAD is GET without the body: the same status and headers (RFC 9110 §9.3.2); `send` and
    # `events` leave the body out.
    do_HEAD = do_GET  # noqa: N815 (stdlib's name)

    def drain_body(self) -> bool:
        """Read and drop a request's body, so its bytes are never parsed as a second request.
        False when the body cannot be read safely and the error is sent (RFC 9112 §6.3)."""
        if self.headers.get("Transfer-Encoding") is not None:
            self.send_error(HTTPStatus.LENGTH_REQUIRED, "a request body needs a Content-Length here")
            return False
        values = {v.strip() for line in self.headers.get_all("Content-Length") or [] for v in line.split(",")}
        if not values:
            return True
        value = values.pop()
        if values or not (value.isascii() and value.isdigit()):
            self.send_error(HTTPStatus.BAD_REQUEST, "invalid Content-Length")
            return False
        if int(value) > MAX_BODY:
            self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return False
        self.rfile.read(int(value))
        return True

    def not_found(self) -> None:
        self.send(HTTPStatus.NOT_FOUND, b"404 not found\n", "text/plain")

    def send(self, status: HTTPStatus, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        """Every answer depends on the path and the build only, so the server keeps it and
        answers the same path from memory until the next build (issue 14: p95 under 100 ms)."""
        self.respond(
            status,
            {
                "Content-Type": content_type if content_type.startswith("image/") else f"{content_type}; charset=utf-8",
                "Content-Length": str(len(body)),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
                **(headers or {}),
            },
            body,
        )

    def built(self, parts: list[str], query: dict[str, str]) -> None:
        if len(parts) == 1 and parts[0] in PUBLIC_FILES:
            self.previewer.wait_for_public()
        path = self.previewer.built_file(parts)
        if path is None:
            return self.not_found()
        body = path.read_bytes()
        # Built emails never run scripts here, whatever a template (or an SVG image) says.
        csp = {"Content-Security-Policy": "script-src 'none'; object-src 'none'"}
        if is_image(parts):
            return self.send(HTTPStatus.OK, body, IMAGE_TYPES[path.suffix.lower()], csp)
        config = self.previewer.state.config
        if path.suffix == ".html" and config is not None:
            # The pages link the published copies, not uploaded yet: shown from this build's.
            body = with_built_images(config, self.previewer.out_dir, body.decode("utf-8")).encode("utf-8")
        if path.name == "email.html" and query.get("dark") in DARK_VIEWS:
            body = DARK_VIEWS[query["dark"]](body)
        if path.name == "email.html" and query.get("tags") != "raw":  # a sample reader's copy (issue 10)
            body = with_samples(
                body.decode("utf-8"),
                self.previewer.state.config.service if self.previewer.state.config else None,
                html=True,
            ).encode("utf-8")
        self.send(HTTPStatus.OK, body, BUILT_TYPES[path.suffix], csp)

    def page(self, slug: str | None, query: dict[str, str]) -> None:
        body = self.previewer.page_html(slug, query)
        if body is None:
            return self.not_found()
        self.send(
            HTTPStatus.OK,
            body.encode("utf-8"),
            "text/html",
            {
                "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src * data:; frame-src 'self'"
            },
        )

    def events(self, query: dict[str, str]) -> None:
        """Server-sent events: the build number now, then again after every build.

        With ``page`` (the open page's own path and query, as a page route takes them),
        each event carries that page as the new build renders it, so the page swaps it in
        without fetching it (issue 13: the fetch cost 6-9 ms of a save's 50); ``have``, the
        build the page shows, leaves it out of the first event when it is still current.
        """
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        if self.command == "HEAD":
            self.close_connection = True  # the stream is never sent, whatever the header said
            return
        page = page_route(query.get("page", ""))
        previewer, stopping = self.previewer, self.server.stopping
        generation = previewer.state.generation
        try:
            self._event(page if query.get("have") != str(generation) else None)
            while not stopping.is_set():
                new = previewer.wait_for_change(generation, timeout=10, stop=stopping)
                if stopping.is_set():
                    break
                if new == generation:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    continue
                generation = self._event(page)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass
        finally:
            previewer.page_told(self, None)
        self.close_connection = True

    def _event(self, page: tuple[str | None, dict[str, str]] | None) -> int:
        """Send the current build's event (with *page* rendered); return its number."""
        state = self.previewer.state
        data: dict[str, Any] = {
            "generation": state.generation,
            "errors": len(state.errors),
            "ms": round(state.seconds * 1000, 1),
        }
        if page is not None:
            html = self.previewer.page_html(*page, state=state)
            if html is not None:  # an issue gone: the page asks for itself, and gets the 404
                data["html"] = html
        # JSON keeps the page on one data line (it escapes CR and LF, the only line ends of
        # an event stream: HTML Living Standard, "Server-sent events", 9.2.6).
        self.wfile.write(b"event: build\ndata: %s\n\n" % json.dumps(data, ensure_ascii=False).encode("utf-8"))
        self.wfile.flush()
        self.previewer.page_told(self, state.generation)
        return state.generation


def page_route(target: str) -> tuple[str | None, dict[str, str]] | None:
    """(slug, query) of a page's own path and query (``/`` or ``/issue/SLUG``); None otherwise."""
    url = urlsplit(target)
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    if url.scheme or url.netloc:
        return None
    if url.path == "/":
        return None, query
    parts = url.path.split("/")
    if len(parts) == 3 and parts[:2] == ["", "issue"] and _SAFE_PART.fullmatch(parts[2]):
        return parts[2], query
    return None


def _family(host: str) -> socket.AddressFamily:
    """IPv6 for ::1 and other IPv6 addresses; ThreadingHTTPServer assumes IPv4."""
    try:
        return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror:
        return socket.AF_INET  # let bind() say what is wrong with the name


class PreviewServer:
    """The HTTP server, the watcher and the first build, started and stopped together."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
        self.previewer = Previewer(root)
        handler = type("Handler", (PreviewHandler,), {"previewer": self.previewer})
        try:
            server_class = type("Server", (LocalServer,), {"address_family": _family(host)})
            self.httpd = server_class((host, port), handler)
            self.httpd.version = lambda: self.previewer.state.generation  # a build changes every answer
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ToolkitError(
                    f"port {port} on {host} is already in use",
                    hint=f"pick another one: notice preview --port {port + 1}",
                ) from None
            raise ToolkitError(
                f"cannot listen on {host}:{port}: {exc.strerror}", hint="check --host; 127.0.0.1 is the safe default"
            ) from None
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host if ':' not in str(host) else f'[{host}]'}:{port}/"

    def start(self) -> PreviewState:
        """Build once, then serve and watch in background threads."""
        collector.resume()  # a server runs for hours: its garbage is collected (`toolkit.collector`)
        first = self.previewer.rebuild()
        for target in (self.httpd.serve_until_stopped, lambda: self.previewer.watch(self.stop_event)):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self.threads.append(thread)
        self.previewer.watching.wait(timeout=5)
        return first

    def stop(self) -> None:
        """Stop watching, serving and every open page's event stream; returns when they have."""
        self.stop_event.set()
        self.httpd.wake()
        with self.previewer.changed:
            self.previewer.changed.notify_all()
        for thread in self.threads:
            thread.join(timeout=5)
        self.httpd.close()
