"""The request reader LocalServer answers from its table with, against the standard library's."""

from __future__ import annotations

import io
from http.client import parse_headers

from hypothesis import given
from hypothesis import strategies as st

from toolkit.localserver import plain_request

NAMES = st.sampled_from(["Host", "host", "Connection", "Accept", "User-Agent", "Content-Length", "Expect", "X-A"])
VALUES = st.one_of(
    st.sampled_from(["close", "Keep-Alive", "keep-alive", " close ", "localhost", "127.0.0.1:8000", "[::1]"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
)
HEADERS = st.lists(st.tuples(NAMES, VALUES), max_size=6)


@given(
    st.sampled_from(["GET", "HEAD", "POST", "get"]),
    st.sampled_from(["/", "/issue/a?tab=text", "/built/a/email.html"]),
    st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0"]),
    HEADERS,
)
def test_it_reads_what_http_server_reads_or_leaves_the_request_to_it(method, target, version, headers):
    head = "\r\n".join([f"{method} {target} {version}", *(f"{n}: {v}" for n, v in headers)]).encode()
    plain = plain_request(head)
    parsed = parse_headers(io.BytesIO(head.split(b"\r\n", 1)[1] + b"\r\n\r\n" if headers else b"\r\n"))
    if (
        method not in ("GET", "HEAD")
        or version == "HTTP/2.0"
        or any(n.lower() in ("content-length", "expect") for n, _ in headers)
    ):
        assert plain is None  # a body, an odd method or version: http.server answers
        return
    assert plain is not None
    head_only, got_target, hosts, close = plain
    assert head_only == (method == "HEAD") and got_target == target
    assert hosts == [v.strip() for v in parsed.get_all("Host") or []]
    # http.server's rule (BaseHTTPRequestHandler.parse_request), for a server speaking HTTP/1.1;
    # it compares one whole value, where a list of tokens ("close, x") is read here (RFC 9110 §7.6.1).
    values = [v.strip().lower() for v in parsed.get_all("Connection") or []]
    if len(values) <= 1 and all(v in ("close", "keep-alive", "") for v in values):
        value = values[0] if values else ""
        assert close == (value == "close" or (version == "HTTP/1.0" and value != "keep-alive"))


def test_folded_or_malformed_headers_are_left_to_http_server():
    for head in (
        b"GET / HTTP/1.1\r\nHost: localhost\r\n  evil.example",
        b"GET / HTTP/1.1\r\nHost : localhost",
        b"GET / HTTP/1.1\r\nno colon here",
        b"GET  / HTTP/1.1\r\nHost: localhost",
        b"GET / HTTP/1.1 extra\r\nHost: localhost",
    ):
        assert plain_request(head) is None, head
