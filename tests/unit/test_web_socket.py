"""The web server's listening socket: bound early, and answers without Nagle's delay."""

from __future__ import annotations

import socket

import pytest

from bot import web


def test_the_socket_is_bound_at_once_and_sends_without_delay() -> None:
    sock = web.listen("127.0.0.1", 0)
    try:
        host, port = sock.getsockname()[:2]
        assert host == "127.0.0.1" and port > 0
        # Accepted connections inherit it: webhook answers and file links are not held back
        # ~40 ms waiting for the client's delayed ACK.
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        with pytest.raises(OSError):
            web.listen("127.0.0.1", port)  # a port in use fails before anything starts
    finally:
        sock.close()
