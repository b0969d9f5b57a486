"""A TCP forwarder on 127.0.0.1 that can stop listening and listen again on the same port.

Put between the operator and the AWS emulator, it makes AWS *really* unreachable: while
closed, nothing listens on its port, so every connection attempt is refused by the kernel (a
TCP reset), and the connections it had are cut. ``connections`` counts the connections it
accepted (and so passed on).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
import time
from typing import Self

__all__ = ["TcpForwarder"]


class TcpForwarder:
    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.port = port
        self.connections = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._live: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def listening(self) -> bool:
        return self._listener is not None

    def start(self) -> Self:
        """Listen (on the same port as before, after :meth:`close`)."""
        assert self._listener is None, "already listening"
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # the port's connections we closed linger in TIME_WAIT: listening again is allowed
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = int(listener.getsockname()[1])
        self._listener = listener
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._accept, args=(listener,), name="tcp-forwarder", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop listening (the port refuses connections from now on) and cut every connection."""
        listener = self._listener
        if listener is None:
            return
        self._listener = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        listener.close()
        with self._lock:
            live, self._live = self._live, set()
        for sock in live:
            _shut(sock)

    reopen = start

    def _accept(self, listener: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not selector.select(timeout=0.05):
                    continue
                try:
                    client, _ = listener.accept()
                except OSError:
                    continue
                try:
                    upstream = socket.create_connection(self.target, timeout=10)
                except OSError:
                    _shut(client)
                    continue
                upstream.settimeout(None)
                with self._lock:
                    self.connections += 1
                    self._live.update((client, upstream))
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        for sock in (source, sink):
            _shut(sock)
        with self._lock:
            self._live.difference_update((source, sink))


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


# --- counting connection attempts, also those refused ---------------------------------------

# A classic BPF program for loopback frames (14-byte link header, IPv4): TCP segments from or to
# port PORT (patched in) with SYN or RST set; everything else is dropped in the kernel.
_PORT = 0xFFFF_FFFF
_FILTER = (
    (0x28, 0, 0, 12),  # ldh [12]: ethertype
    (0x15, 0, 12, 0x0800),  # IPv4, else drop
    (0x30, 0, 0, 23),  # ldb [23]: protocol
    (0x15, 0, 10, 6),  # TCP, else drop
    (0x28, 0, 0, 20),  # ldh [20]: fragment offset
    (0x45, 8, 0, 0x1FFF),  # a fragment: drop
    (0xB1, 0, 0, 14),  # x = IP header length
    (0x48, 0, 0, 14),  # ldh [x + 14]: source port
    (0x15, 2, 0, _PORT),
    (0x48, 0, 0, 16),  # ldh [x + 16]: destination port
    (0x15, 0, 3, _PORT),
    (0x50, 0, 0, 27),  # ldb [x + 27]: TCP flags
    (0x45, 0, 1, 0x06),  # SYN or RST
    (0x06, 0, 0, 0x40000),  # keep
    (0x06, 0, 0, 0),  # drop
)
_SO_ATTACH_FILTER = 26
_PACKET_OUTGOING = 4
_ETH_P_ALL = 0x0003


class SynCounter:
    """Connection attempts to a port on 127.0.0.1 (TCP SYNs), with when each was seen, and
    the resets the port answered, read off the loopback interface: it counts attempts also
    while nothing listens (then the kernel refuses each with a reset). Needs CAP_NET_RAW:
    :meth:`open` returns ``None`` without it."""

    def __init__(self, sock: socket.socket, port: int) -> None:
        self._sock = sock
        self.port = port
        self.syns: list[float] = []
        self.resets: list[float] = []
        self._thread = threading.Thread(target=self._read, name="syn-counter", daemon=True)
        self._thread.start()

    @classmethod
    def open(cls, port: int) -> SynCounter | None:
        import ctypes

        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
        except (PermissionError, AttributeError, OSError):
            return None
        program = [(code, jt, jf, port if k == _PORT else k) for code, jt, jf, k in _FILTER]
        filters = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
        buffer = ctypes.create_string_buffer(filters)
        fprog = struct.pack("HL", len(program), ctypes.addressof(buffer))
        sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)
        sock.bind(("lo", 0))
        sock.settimeout(0.2)
        counter = cls(sock, port)
        counter._buffer = buffer  # the kernel copied it; kept for the reader's lifetime anyway
        return counter

    def _read(self) -> None:
        while True:
            try:
                frame, address = self._sock.recvfrom(256)
            except TimeoutError:
                continue
            except OSError:
                return
            if address[2] != _PACKET_OUTGOING:  # loopback shows each segment twice
                continue
            ihl = (frame[14] & 0x0F) * 4
            tcp = 14 + ihl
            source, destination = struct.unpack("!HH", frame[tcp : tcp + 4])
            flags = frame[tcp + 13]
            now = time.time()
            if destination == self.port and flags & 0x02 and not flags & 0x10:
                self.syns.append(now)
            elif source == self.port and flags & 0x04:
                self.resets.append(now)

    def between(self, times: list[float], begin: float, end: float) -> int:
        return sum(1 for t in list(times) if begin <= t < end)

    def close(self) -> None:
        self._sock.close()
        self._thread.join(timeout=5)
