"""Profile one documented request in-process (cProfile), the whole ASGI stack without a socket: a
Yay GET by default, any method and body with ``--method`` and ``--body``.

    python bench/profile_get.py [--requests 3000] [--path /yay/voip/number-address/...] [--ladder]
    python bench/profile_get.py --method POST --path /yay/voip/number-address --body '{...}' \
        --header 'Content-Type: application/json' --header 'X-Auth-Reseller: bench' ...

Prints the per-request wall time and the top functions by cumulative time; with ``--ladder``, the
time per request entering the stack at each of its layers (outermost first), best of three, so
the difference between two lines is what that layer costs.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.app import create_app  # noqa: E402
from emulator.settings import Settings  # noqa: E402

AUTH = [(b"x-auth-reseller", b"bench"), (b"x-auth-user", b"user"), (b"x-auth-password", b"secret")]
DOCUMENTED = "/yay/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6"


METHOD = "GET"
BODY = b""


async def one(app, path: str, query: bytes = b"", headers: list | None = None) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": METHOD,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1:8080"), *(AUTH if headers is None else headers)],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8080),
    }
    status = 0

    async def receive():
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def _layers(app) -> list[tuple[str, object]]:
    """The app and each middleware below it, down to the hot routes (the last of ours)."""
    layers: list[tuple[str, object]] = [("FastAPI", app)]
    layer = app.middleware_stack
    while layer is not None:
        layers.append((type(layer).__name__, layer))
        if type(layer).__name__ == "HotRoutes":
            break
        layer = getattr(layer, "app", None)
    return layers


async def _timed(app, requests: int, path: str, query: bytes, headers: list | None) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await one(app, path, query, headers)
    return (time.perf_counter() - started) / requests


async def main(requests: int, path: str, query: bytes = b"", headers: list | None = None, ladder: bool = False) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(database_url=f"sqlite:///{folder}/profile.sqlite3"))
        async with app.router.lifespan_context(app):
            assert await one(app, path, query, headers) in (200, 201)
            for _ in range(200):
                await one(app, path, query, headers)
            started = time.perf_counter()
            for _ in range(requests):
                await one(app, path, query, headers)
            print(f"{(time.perf_counter() - started) / requests * 1e6:.0f} us per request (no profiler)")
            if ladder:
                for name, layer in _layers(app):
                    best = min([await _timed(layer, requests, path, query, headers) for _ in range(3)])
                    print(f"{best * 1e6:7.1f} us from {name}")
                return
            if requests < 0:
                return
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(requests):
                await one(app, path, query, headers)
            profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--path", default=DOCUMENTED)
    parser.add_argument("--query", default="", help="query string, e.g. id=3466")
    parser.add_argument("--header", action="append", default=[], help="Name: value (replaces the Yay credentials)")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default="", help="the request's body (sent as it is)")
    parser.add_argument("--ladder", action="store_true", help="time per request from each layer of the stack")
    args = parser.parse_args()
    headers = [
        (name.strip().lower().encode(), value.strip().encode())
        for name, value in (h.split(":", 1) for h in args.header)
    ] or None
    METHOD, BODY = args.method, args.body.encode()
    asyncio.run(main(args.requests, args.path, args.query.encode(), headers, args.ladder))
