"""A small HTTP CONNECT proxy that a test can take down and bring back: fault injection
for the path between the relay and the shared broker, without stopping the broker itself
(kafka-python tunnels every broker connection through ``proxy_url``)."""

from __future__ import annotations

import contextlib
import socket
import threading

BUFFER = 64 * 1024


class FaultProxy:
    """``down()`` closes the listener and resets every tunnel (clients see connection
    refused / reset, exactly as when the broker host goes away); ``up()`` listens again."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        probe = socket.socket()
        probe.bind((host, 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.tunnels = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def up(self) -> FaultProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            victims = list(self._sockets)
            self._sockets.clear()
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in victims:
            with contextlib.suppress(OSError):
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = client.recv(4096)
                if not chunk:
                    client.close()
                    return
                request += chunk
            target = request.split(b"\r\n", 1)[0].split()[1].decode()
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
            upstream.settimeout(None)
        except (OSError, IndexError, ValueError):
            client.close()
            return
        with self._lock:
            if self._listener is None:  # went down meanwhile
                client.close()
                upstream.close()
                return
            self._sockets.update((client, upstream))
            self.tunnels += 1
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(BUFFER)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)
