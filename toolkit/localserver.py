"""An HTTP server for one person's machine: a few threads, prompt to stop, loopback names only.

The standard library's ThreadingHTTPServer starts a thread for every connection, queues 5,
answers any Host and polls for shutdown every half second. The hostile test campaign of
issue 14 found each of these: 300 half-open connections held 300 threads, 200 concurrent
requests had a p95 of 2.7 s, and a page on another site that rebinds its DNS name to
127.0.0.1 could read the drafts. `notice preview` serves its pages with this one.

What it answered once for the current version of what it serves it answers again from a
table of prebuilt bytes, on the thread that accepts connections: no thread hand-off, no
http.server parsing (its headers go through email.parser), no file read. http.server took
0.4-1 ms of CPU a request, so 200 concurrent requests could not finish within 100 ms on one
core (issue 14, item 10); the table's answer costs about a tenth of that.
"""

from __future__ import annotations

import re
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from ipaddress import ip_address
from typing import Any, NamedTuple

#: Host names a loopback-bound server answers to, besides its own address: a page on another
#: site that rebinds its DNS name to 127.0.0.1 still sends its own name, and gets a 400 (issue 14).
LOCAL_HOSTS = frozenset({"localhost", "localhost.", "127.0.0.1", "::1"})
_HOST = re.compile(r"(?P<name>\[[0-9a-fA-F:.]+\]|[^\s:@/\\\[\]?#]+)(?::\d{0,5})?")  # RFC 9110 §7.2
#: A connection that sends nothing for this long is closed (issue 14: 300 half-open connections
#: held 300 threads). Browsers open a new connection when an idle one was closed.
IDLE_SECONDS = 3.0
#: Threads serving requests (an open page's event stream holds one), and connections the kernel
#: queues before they are accepted: socketserver's default of 5 dropped connections under 200
#: concurrent requests (p95 2.7 s); the kernel caps it at net.core.somaxconn.
WORKERS = 16
BACKLOG = 1024
#: Prebuilt answers kept for one version, and their bytes: a query string makes a new request
#: target, so a page asked for with random ones cannot grow the table without bound.
TABLE_SIZE = 512
TABLE_BYTES = 32 * 1024 * 1024
#: The largest answer kept: a few big photos (a local image may be 20 MB) would otherwise fill
#: the table and leave the pages, asked for far more often, to http.server.
ENTRY_BYTES = 2 * 1024 * 1024
#: The most of a request's head the table's reader looks at; a longer head goes to http.server.
MAX_HEAD = 16 * 1024
#: Request headers that make a request more than "send me that": http.server answers those.
_NOT_PLAIN = frozenset({b"content-length", b"transfer-encoding", b"expect", b"upgrade"})


class Response(NamedTuple):
    """A response as bytes, Date left out: *start* is the status line and Server header,
    *rest* the other headers and the blank line, then *body* (not sent to HEAD)."""

    start: bytes
    rest: bytes
    body: bytes


def http_date(now: float) -> bytes:
    """The Date header an origin server sends (RFC 9110 §6.6.1), made once a second."""
    second = int(now)
    if _date[0] != second:
        _date[:] = [second, b"Date: %s\r\n" % formatdate(second, usegmt=True).encode("ascii")]
    return _date[1]


_date: list[Any] = [None, b""]


def plain_request(head: bytes) -> tuple[bool, str, list[str], bool] | None:
    """(HEAD?, target, Host values, close after?) of a GET or HEAD with no body and nothing
    unusual (RFC 9112 §3, §5); None for anything else, which http.server then answers."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[0] not in (b"GET", b"HEAD") or parts[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
        return None
    hosts: list[str] = []
    tokens: set[bytes] = set()
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            return None  # no colon, a space before it, or an obsolete folded line (RFC 9112 §5.2)
        name = name.lower()
        if name in _NOT_PLAIN:
            return None
        if name == b"host":
            hosts.append(value.strip().decode("latin-1"))
        elif name == b"connection":
            tokens.update(token.strip().lower() for token in value.split(b","))
    # HTTP/1.1 keeps the connection unless told to close; 1.0 closes unless told to keep it (RFC 9112 §9.3).
    close = b"close" in tokens or (parts[2] == b"HTTP/1.0" and b"keep-alive" not in tokens)
    return parts[0] == b"HEAD", parts[1].decode("latin-1"), hosts, close


class LocalServer(HTTPServer):
    """An HTTP server on a fixed number of threads that stops at once, and answers a page on
    another site only when it was asked to listen beyond loopback (issue 14)."""

    request_queue_size = BACKLOG

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        bound = str(self.server_address[0])
        # Bound beyond loopback (`--host`), readers come by names it cannot know: any Host goes.
        self.hosts = LOCAL_HOSTS | {bound.lower()} if ip_address(bound).is_loopback else None
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="notice-preview")
        self.connections: set[socket.socket] = set()  # being served, or waiting for a thread
        self._lock = threading.Lock()
        self._wake, self._waker = socket.socketpair()
        self._selector = selectors.DefaultSelector()  # used by the serving thread only
        self._silent: dict[Any, float] = {}  # accepted, nothing received yet: when to give up
        #: What is served now, for example a build number: answers kept for another version
        #: are never sent (the application sets it; a constant keeps every answer for good).
        self.version: Callable[[], object] = lambda: None
        self._table: dict[str, Response] = {}
        self._table_version: object = object()
        self._table_bytes = 0

    def host_allowed(self, values: list[str]) -> bool:
        """One Host header (RFC 9112 §3.2) naming this machine, when bound to loopback."""
        if self.hosts is None:
            return True
        match = _HOST.fullmatch(values[0].strip()) if len(values) == 1 else None
        return match is not None and match["name"].strip("[]").lower() in self.hosts

    def serve_until_stopped(self) -> None:
        """serve_forever without its half-second poll (`wake` ends this loop at once), that
        gives a connection a thread only once it has sent something: one that stays silent
        holds none and is closed after IDLE_SECONDS."""
        self.socket.setblocking(False)  # accept until none is left
        self._selector.register(self.socket, selectors.EVENT_READ)
        self._selector.register(self._wake, selectors.EVENT_READ)
        try:
            while not self.stopping.is_set():
                wait = max(0.0, min(self._silent.values()) - time.monotonic()) if self._silent else None
                for key, _ in self._selector.select(wait):
                    if key.fileobj is self.socket:
                        self._accept()
                    elif key.fileobj is not self._wake:
                        self._readable(key.fileobj, key.data)
                now = time.monotonic()
                for request in [r for r, deadline in self._silent.items() if deadline <= now]:
                    self._selector.unregister(request)
                    del self._silent[request]
                    self.shutdown_request(request)
        finally:
            for request in self._silent:
                self.shutdown_request(request)

    def _accept(self) -> None:
        """Accept every connection the kernel has queued (socketserver's handle_request takes
        one, and makes a selector of its own to do it)."""
        for _ in range(BACKLOG):
            try:
                request, client_address = self.socket.accept()
            except OSError:  # none left (BlockingIOError), or one that went away meanwhile
                return
            request.setblocking(False)  # the table's answers never wait; a handler sets its timeout
            self.process_request(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Wait for the connection's first bytes without a thread (see serve_until_stopped)."""
        self._silent[request] = time.monotonic() + IDLE_SECONDS
        self._selector.register(request, selectors.EVENT_READ, client_address)

    def _readable(self, request: Any, client_address: Any) -> None:
        """Answer from the table when it can, else serve the connection on a thread."""
        self._selector.unregister(request)
        del self._silent[request]
        try:
            answered = self._answer_from_table(request, client_address)
        except OSError:  # reset by the reader, or its head not there yet: http.server decides
            answered = False
        if not answered:
            self._give_thread(request, client_address)

    def _answer_from_table(self, request: Any, client_address: Any) -> bool:
        """Send a prebuilt answer to a plain GET or HEAD whose target the table holds for the
        current version; False (nothing read) for anything else."""
        data = request.recv(MAX_HEAD, socket.MSG_PEEK)
        if not data:  # the reader closed it (a browser ending a kept-alive connection)
            self.shutdown_request(request)
            return True
        end = data.find(b"\r\n\r\n")
        if end < 0 or self._table_version != self.version():
            return False  # a head still on its way, or nothing kept for this version
        plain = plain_request(data[:end])
        if plain is None:
            return False
        head_only, target, hosts, close = plain
        response = self._table.get(target)
        if response is None or not self.host_allowed(hosts):
            return False  # the 400 is http.server's to send
        answer = b"".join((response.start, http_date(time.time()), response.rest, b"" if head_only else response.body))
        try:
            request.recv(end + 4)  # the head, now answered
            sent = request.send(answer)
        except OSError:  # the reader went away (BlockingIOError: its buffer is full)
            sent = 0 if isinstance(sys.exc_info()[1], BlockingIOError) else -1
        if sent < 0:
            self.shutdown_request(request)
        elif sent < len(answer):  # the reader's buffer is full: a thread waits for the rest
            with self._lock:
                self.connections.add(request)
            self.pool.submit(self._send_rest, request, client_address, answer[sent:], close)
        elif close:
            self.shutdown_request(request)
        else:  # keep-alive: back to waiting for the next request, without a thread
            self.process_request(request, client_address)
        return True

    def _send_rest(self, request: Any, client_address: Any, rest: bytes, close: bool) -> None:
        request.settimeout(IDLE_SECONDS)
        try:
            request.sendall(rest)
        except OSError:
            close = True
        if close:
            with self._lock:
                self.connections.discard(request)
            self.shutdown_request(request)
        else:
            self.serve_connection(request, client_address)

    def keep(self, target: str, version: object, response: Response) -> None:
        """Remember *response* as the answer to GET *target* while *version* is current."""
        if version != self.version():
            return  # made while a rebuild finished: it may show the old one
        size = len(response.start) + len(response.rest) + len(response.body)
        if size > ENTRY_BYTES:
            return
        with self._lock:
            if self._table_version != version:
                self._table, self._table_version, self._table_bytes = {}, version, 0
            if target not in self._table and len(self._table) < TABLE_SIZE and self._table_bytes + size <= TABLE_BYTES:
                self._table[target] = response
                self._table_bytes += size

    def _give_thread(self, request: Any, client_address: Any) -> None:
        """Serve the connection on the pool; it waits its turn when every thread is busy."""
        with self._lock:
            self.connections.add(request)
        self.pool.submit(self.serve_connection, request, client_address)

    def serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(IDLE_SECONDS)  # accepted non-blocking; a silent reader is dropped
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - socketserver's own policy: report it, keep serving
            self.handle_error(request, client_address)
        finally:
            with self._lock:
                self.connections.discard(request)
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A reader who went away is not a bug worth a traceback in the author's terminal."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def wake(self) -> None:
        """Tell the loop and every event stream to end."""
        if not self.stopping.is_set():
            self.stopping.set()
            self._waker.send(b"\0")

    def close(self) -> None:
        """After the loop ended: end every connection (a browser's idle one too), free the threads."""
        with self._lock:
            for connection in self.connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)  # a blocked read or write returns at once
                except OSError:
                    pass
        self.pool.shutdown(wait=True, cancel_futures=True)
        for connection in list(self.connections):  # accepted, never served
            self.shutdown_request(connection)
        self.server_close()
        self._selector.close()
        self._wake.close()
        self._waker.close()


class LocalRequestHandler(BaseHTTPRequestHandler):
    """A handler whose answers the server can send again from its table (see LocalServer.keep)."""

    server: LocalServer

    def parse_request(self) -> bool:
        # The version the answer is made for, taken before anything is looked at.
        self.served_version = self.server.version()
        return super().parse_request()

    def respond(self, status: HTTPStatus, headers: dict[str, str], body: bytes, keep: bool = True) -> None:
        """Send a response; with *keep*, the server answers the same target with the same
        bytes until its version changes (so it must depend on nothing else of the request)."""
        self.log_request(status.value)
        start = b"%s %d %s\r\nServer: %s\r\n" % (
            self.protocol_version.encode("ascii"),
            status.value,
            status.phrase.encode("latin-1"),
            self.version_string().encode("latin-1"),
        )
        rest = b"".join(b"%s: %s\r\n" % (k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())
        response = Response(start, rest + b"\r\n", body)
        if headers.get("Connection", "").lower() == "close":
            self.close_connection = True
        elif keep:
            self.server.keep(self.path, self.served_version, response)
        # One write, as the table sends it: a head and a body in two small segments can wait
        # for a delayed ACK (Nagle's algorithm, RFC 896).
        head = response.start + http_date(time.time()) + response.rest
        self.wfile.write(head if self.command == "HEAD" else head + body)
