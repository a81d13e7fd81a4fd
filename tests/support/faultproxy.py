"""A TCP proxy that stands between a client and a server and breaks the line on demand.

The fault tests (tests/integration/faults) point the app or the CLI at the proxy
(``LRS_KEYCLOAK_URL``, or a database URL) and make it:

* ``down()``: refuse new connections (the listening socket is closed: ECONNREFUSED, as from a
  stopped server) and cut the open ones; ``up()`` listens again on the same port;
* ``fail_at(pattern, after=...)``: when a request whose bytes contain ``pattern`` passes, go
  down either before forwarding it (``after=False``: the server never sees it) or once the
  server has answered it, dropping the answer (``after=True``: the change is made, the client
  never learns it: the hard case);
* ``hold()`` / ``release()``: keep the server's answers back (a hung server) until released.

Plain bytes only (HTTP without TLS on loopback, PostgreSQL's protocol): a request is matched by
the bytes of the chunk that carries its head, which is how HTTP clients write a request line.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class _Trigger:
    pattern: bytes
    after: bool
    fired: threading.Event
    #: Matching requests still let through before this one fires.
    skip: int
    #: Whether the proxy goes down when it fires (else only this connection is cut: a blip).
    stays_down: bool = True


@dataclass
class _Line:
    """One client connection and its own to the server."""

    client: socket.socket
    upstream: socket.socket
    #: Set when the answer now coming is to be dropped (``fail_at(..., after=True)``).
    dropping: _Trigger | None = None


class FaultProxy:
    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._guard = threading.Lock()
        self._trigger: _Trigger | None = None
        self._released = threading.Event()
        self._released.set()
        self.connections = 0
        self.listen()

    # --- what a test does ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        with self._guard:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Like a stopped server: nothing listens, and every open connection is cut."""
        with self._guard:
            listener, self._listener = self._listener, None
            open_, self._open = self._open, set()
        if listener is not None:
            _close(listener)
        for sock in open_:
            _close(sock)

    def up(self) -> None:
        if self._listener is None:
            self.listen()

    def fail_at(
        self, pattern: bytes, after: bool, skip: int = 0, stays_down: bool = True
    ) -> threading.Event:
        """Go down at the first request containing ``pattern`` (after ``skip`` such requests
        went through): before it is forwarded, or (``after``) once it was answered, the answer
        dropped. With ``stays_down=False`` only that connection is cut (a blip: the next
        connection goes through). The event is set when it fired."""
        fired = threading.Event()
        self._trigger = _Trigger(pattern, after, fired, skip, stays_down)
        return fired

    def _fire(self, trigger: _Trigger, line: _Line) -> None:
        trigger.fired.set()  # first: the client learns of the cut only after this
        if trigger.stays_down:
            self.down()
        else:
            _close(line.client)
            _close(line.upstream)

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self._trigger = None
        self.release()
        self.down()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ----------------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._guard:
                if self._listener is not listener:
                    _close(client)
                    _close(upstream)
                    return
                self._open |= {client, upstream}
                self.connections += 1
            line = _Line(client, upstream)
            threading.Thread(target=self._requests, args=(line,), daemon=True).start()
            threading.Thread(target=self._answers, args=(line,), daemon=True).start()

    def _requests(self, line: _Line) -> None:
        while True:
            try:
                data = line.client.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            trigger = self._trigger
            if trigger is not None and trigger.pattern in data and _due(trigger):
                self._trigger = None
                if not trigger.after:
                    self._fire(trigger, line)
                    return
                line.dropping = trigger
            try:
                line.upstream.sendall(data)
            except OSError:
                break
        _close(line.upstream)

    def _answers(self, line: _Line) -> None:
        while True:
            try:
                data = line.upstream.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if line.dropping is not None:
                # The server made the change and answered; the client never hears it.
                self._fire(line.dropping, line)
                return
            self._released.wait()
            try:
                line.client.sendall(data)
            except OSError:
                break
        _close(line.client)


def _due(trigger: _Trigger) -> bool:
    if trigger.skip > 0:
        trigger.skip -= 1
        return False
    return not trigger.fired.is_set()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@contextlib.contextmanager
def proxy_to(url: str) -> Iterator[FaultProxy]:
    """A proxy in front of ``url``'s host and port (http://host:port/…)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    proxy = FaultProxy(parts.hostname or "127.0.0.1", parts.port or 80)
    try:
        yield proxy
    finally:
        proxy.close()


__all__ = ["FaultProxy", "proxy_to"]
