"""An HTTP server for one person's machine: a few threads, prompt to stop, loopback names only.

The standard library's ThreadingHTTPServer starts a thread for every connection, queues 5,
answers any Host and polls for shutdown every half second. The hostile test campaign of
issue 14 found each of these: 300 half-open connections held 300 threads, 200 concurrent
requests had a p95 of 2.7 s, and a page on another site that rebinds its DNS name to
127.0.0.1 could read the drafts. `notice preview` serves its pages with this one.
"""

from __future__ import annotations

import re
import selectors
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from ipaddress import ip_address
from typing import Any

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


class LocalServer(HTTPServer):
    """An HTTP server on a fixed number of threads that stops at once, and answers a page on
    another site only when it was asked to listen beyond loopback (issue 14)."""

    request_queue_size = BACKLOG
    timeout = 0  # handle_request() gives up at once if the connection it was woken for is gone

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
        self._selector.register(self.socket, selectors.EVENT_READ)
        self._selector.register(self._wake, selectors.EVENT_READ)
        try:
            while not self.stopping.is_set():
                wait = max(0.0, min(self._silent.values()) - time.monotonic()) if self._silent else None
                for key, _ in self._selector.select(wait):
                    if key.fileobj is self.socket:
                        self.handle_request()  # accepts; process_request below
                    elif key.fileobj is not self._wake:
                        self._give_thread(key.fileobj, key.data)
                now = time.monotonic()
                for request in [r for r, deadline in self._silent.items() if deadline <= now]:
                    self._selector.unregister(request)
                    del self._silent[request]
                    self.shutdown_request(request)
        finally:
            for request in self._silent:
                self.shutdown_request(request)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Wait for the connection's first bytes without a thread (see serve_until_stopped)."""
        self._silent[request] = time.monotonic() + IDLE_SECONDS
        self._selector.register(request, selectors.EVENT_READ, client_address)

    def _give_thread(self, request: Any, client_address: Any) -> None:
        """Serve the connection on the pool; it waits its turn when every thread is busy."""
        self._selector.unregister(request)
        del self._silent[request]
        with self._lock:
            self.connections.add(request)
        self.pool.submit(self.serve_connection, request, client_address)

    def serve_connection(self, request: Any, client_address: Any) -> None:
        try:
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
