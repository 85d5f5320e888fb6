"""Benchmark: what CORS costs a request that carries no ``Origin`` (every non-browser client).

Runs a trivial ASGI app bare, behind Starlette's CORSMiddleware, and behind the emulator's
CrossOrigin (which hands only requests with ``Origin`` to Starlette's), in-process, and prints
the median microseconds per request of each. Usage: ``python bench/cors_overhead.py``.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from starlette.middleware.cors import CORSMiddleware

from emulator.core.subapp import CrossOrigin

REQUESTS = 20_000
RUNS = 9
HEADERS = [(b"host", b"127.0.0.1"), (b"x-auth-user", b"me"), (b"x-auth-password", b"secret"), (b"accept", b"*/*")]


async def bare(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def per_request(app, headers) -> float:
    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(_message) -> None:
        pass

    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    started = time.perf_counter()
    for _ in range(REQUESTS):
        await app(scope, receive, send)
    return (time.perf_counter() - started) / REQUESTS * 1e6


async def main() -> None:
    starlette = CORSMiddleware(
        bare, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"], expose_headers=["*"]
    )
    apps = {"bare": bare, "Starlette CORSMiddleware": starlette, "CrossOrigin": CrossOrigin(bare, origins=["*"])}
    for name, app in apps.items():
        runs = [await per_request(app, HEADERS) for _ in range(RUNS)]
        print(f"{name:26} no Origin: median {statistics.median(runs):6.2f} us/request")


if __name__ == "__main__":
    asyncio.run(main())
