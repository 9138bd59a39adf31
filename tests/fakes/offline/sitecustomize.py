"""Loaded by a child Python put on this folder's PYTHONPATH: no name outside this machine resolves.

Every lookup of a non-local host raises and is written to $GHOSTWATCH_OFFLINE_LOG, so a test
can prove a command made no network request (asyncio, aiohttp and websockets all resolve
names through socket.getaddrinfo before they connect).
"""

from __future__ import annotations

import os
import socket

_LOCAL = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "", None}
_real_getaddrinfo = socket.getaddrinfo


def _offline_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    name = host.decode() if isinstance(host, bytes) else host
    if name not in _LOCAL:
        log = os.environ.get("GHOSTWATCH_OFFLINE_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(f"{name}\n")
        raise OSError(f"offline test: lookup of {name!r} refused")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _offline_getaddrinfo
