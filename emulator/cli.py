"""``python -m emulator serve|openapi|seed|new-provider`` (installed as ``number-emulator``)."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import sys
import time
from pathlib import Path

from emulator.settings import Settings


def _settings(args: argparse.Namespace, *names: str) -> Settings:
    """Environment first, flags on top."""
    overrides = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    return Settings(**overrides)


def openapi_documents() -> dict[str, dict]:
    """Every sub-app's OpenAPI document, keyed by file stem (``yay``, …, ``control``)."""
    from fastapi import FastAPI
    from starlette.routing import Mount

    from emulator.app import create_app

    app = create_app(Settings(database_url="sqlite://"))
    return {
        "control" if mount.path == "/_emulator" else mount.path.strip("/"): mount.app.openapi()
        for mount in app.routes
        if isinstance(mount, Mount) and isinstance(mount.app, FastAPI)
    }


def render_document(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# uvicorn settings that ``serve`` passes on (flag, EMULATOR_* variable and Settings field alike).
UVICORN_LIMITS = (
    "timeout_keep_alive",
    "timeout_graceful_shutdown",
    "limit_concurrency",
    "limit_max_requests",
    "backlog",
)


def uvicorn_options(settings: Settings) -> dict:
    """What ``serve`` hands to uvicorn."""
    from emulator.core.protocol import protocol_options

    limits = {name: getattr(settings, name) for name in UVICORN_LIMITS if getattr(settings, name) is not None}
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        "proxy_headers": False,
        **protocol_options(settings.max_header_bytes),
        **limits,
    }


def open_control_warning(settings: Settings) -> str | None:
    """What ``serve`` says at start when anyone beyond this machine could drive its control plane."""
    if settings.control_token is not None or settings.host == "localhost":
        return None
    try:
        if ipaddress.ip_address(settings.host).is_loopback:
            return None
    except ValueError:  # a host name: it may well resolve beyond loopback
        pass
    return (
        f"warning: the control plane (/_emulator) is open to anyone who reaches {settings.host}:{settings.port}; "
        "set EMULATOR_CONTROL_TOKEN (or --control-token) to lock it"
    )


SERVE_SETTINGS = ("host", "port", "log_level", "database_url", "fixtures", "data_dir", "control_token", "workers")


def _serve(args: argparse.Namespace) -> int:
    import gc

    # Importing and building the app makes some 90,000 objects and next to no garbage: the
    # collector's passes over them would cost start-up tens of ms. The app's lifespan turns it
    # back on once start-up is over (see create_app).
    gc.disable()
    import uvicorn

    settings = _settings(args, *SERVE_SETTINGS, *UVICORN_LIMITS)
    warning = open_control_warning(settings)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    if settings.workers == 1:
        from emulator.app import create_app

        uvicorn.run(create_app(settings), **uvicorn_options(settings))
        return 0
    from emulator.core.db import sqlite_file

    database_url = settings.resolved_database_url()
    if database_url.startswith("sqlite") and sqlite_file(database_url) is None:
        print("error: --workers needs a database they can share (a SQLite file or PostgreSQL)", file=sys.stderr)
        return 2
    gc.enable()  # this process only supervises the workers, for as long as they serve
    # Each worker is a fresh process that builds its app from the environment: hand the flags on
    # there, and the database resolved once, so every worker opens the same one.
    for name in (*SERVE_SETTINGS, *UVICORN_LIMITS):
        value = getattr(args, name, None)
        if value is not None:
            os.environ[f"EMULATOR_{name.upper()}"] = str(value)
    os.environ["EMULATOR_DATABASE_URL"] = database_url
    uvicorn.run(
        "emulator.app:create_app",
        factory=True,
        workers=settings.workers,
        # A worker answers uvicorn's health pings only once it has imported and built its app,
        # which on a busy machine takes longer than uvicorn's default 5 s before it kills it.
        timeout_worker_healthcheck=60,
        **uvicorn_options(settings),
    )
    return 0


def _openapi(args: argparse.Namespace) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name, document in openapi_documents().items():
        (out / f"{name}.json").write_text(render_document(document), encoding="utf-8")
        print(out / f"{name}.json")
    return 0


SEED_BATCH = 1_000_000
"""Records generated in one go: a run of up to a million is one batch (one draw of numbers per
area, rows inserted in the order the provider chose); later batches only make up for collisions."""
SEED_FRUITLESS_BATCHES = 3
"""After this many batches in a row that added nothing, ``seed`` gives up and says so."""


def batch_seed(seed: int, batch: int) -> int:
    """Each batch of generated records has a seed of its own, derived from the run's."""
    return random.Random(f"{seed}:{batch}").getrandbits(63)


def _seed(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from emulator.core import volume
    from emulator.core.runtime import Runtime
    from emulator.providers import load_providers

    settings = _settings(args, "database_url", "data_dir", "fixtures")
    runtime = Runtime(settings, load_providers())
    provider = runtime.providers.get(args.provider)
    if provider is None or provider.generate is None:
        known = ", ".join(name for name, spec in runtime.providers.items() if spec.generate is not None)
        print(f"cannot generate records for {args.provider!r}; providers that can: {known}", file=sys.stderr)
        return 2
    seed = (
        args.seed if args.seed is not None else settings.seed if settings.seed is not None else random.getrandbits(32)
    )
    started = time.perf_counter()
    runtime.start()
    # A new tenant starts from the fixtures, as on its first request; the records come on top.
    runtime.tenants.ensure(provider.name, args.tenant)
    added, batch, fruitless = 0, 0, 0
    with tqdm(total=args.count, unit=" records", desc=f"{provider.name}/{args.tenant}", disable=args.quiet) as progress:
        # A batch may add fewer than it drew (a number the tenant already holds is skipped): the
        # next batches, with seeds of their own, make up the difference.
        with runtime.db.session() as session, volume.without_cyclic_collection():
            if session.connection().dialect.name == "sqlite":
                # One transaction: the file holds all of the run's records or none. A one-off
                # load skips the syncs to disk (a process that dies mid-load leaves the file as
                # it was; only a power cut could cost it).
                session.connection().exec_driver_sql("PRAGMA synchronous=OFF")
            while added < args.count and fruitless < SEED_FRUITLESS_BATCHES:
                count = provider.generate(
                    session, args.tenant, min(SEED_BATCH, args.count - added), batch_seed(seed, batch), runtime
                )
                session.flush()
                session.expunge_all()  # a batch's rows are written: let go of its objects
                batch += 1
                fruitless = 0 if count else fruitless + 1
                added += count
                progress.update(count)
            session.commit()
    runtime.db.dispose()
    print(
        f"added {added} {provider.name} records to tenant {args.tenant!r} (seed {seed}) in {time.perf_counter() - started:.1f}s"
    )
    if added < args.count:
        print(
            f"asked for {args.count}, added {added}: {SEED_FRUITLESS_BATCHES} batches in a row found nothing new "
            f"(every {provider.name} record they drew, the tenant already holds)",
            file=sys.stderr,
        )
        return 1
    return 0


def _new_provider(args: argparse.Namespace) -> int:
    from emulator.scaffold import new_provider

    try:
        written = new_provider(args.name, args.root)
    except (ValueError, FileExistsError) as error:
        print(error, file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(f'now register it: add "{args.name}" to PROVIDER_MODULES in emulator/providers/__init__.py')
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="number-emulator", description="Stateful emulator of telecom phone-number APIs"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start the emulator (settings: EMULATOR_* variables; flags win)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--log-level", dest="log_level")
    serve.add_argument("--database-url", dest="database_url", help="default: a SQLite file in the data folder")
    serve.add_argument("--data-dir", dest="data_dir", type=Path)
    serve.add_argument("--fixtures", type=Path, help="folder of fixture files")
    serve.add_argument(
        "--control-token", dest="control_token", help="lock /_emulator/* (but health) behind this bearer token"
    )
    serve.add_argument(
        "--workers", type=int, help="serving processes on one database, acting as one emulator (EMULATOR_WORKERS)"
    )
    for name in UVICORN_LIMITS:
        serve.add_argument(
            "--" + name.replace("_", "-"), dest=name, type=int, help=f"uvicorn's {name} (EMULATOR_{name.upper()})"
        )
    serve.set_defaults(handler=_serve)

    openapi = commands.add_parser(
        "openapi", help="write one OpenAPI document per provider and one for the control plane"
    )
    openapi.add_argument("--out", type=Path, default=Path("openapi"))
    openapi.set_defaults(handler=_openapi)

    seed = commands.add_parser(
        "seed", help="add N realistic generated records to a tenant (deterministic under --seed or EMULATOR_SEED)"
    )
    seed.add_argument("--provider", required=True, help="e.g. yay")
    seed.add_argument("--tenant", required=True, help="the tenant the records belong to (as its credentials name it)")
    seed.add_argument("--count", required=True, type=int, help="how many records")
    seed.add_argument("--seed", type=int, help="random seed (default: EMULATOR_SEED, else a random one, printed)")
    seed.add_argument("--database-url", dest="database_url")
    seed.add_argument("--data-dir", dest="data_dir", type=Path)
    seed.add_argument("--fixtures", type=Path)
    seed.add_argument("--quiet", action="store_true", help="no progress bar")
    seed.set_defaults(handler=_seed)

    scaffold = commands.add_parser(
        "new-provider", help="write a new provider room and its tests (see docs/adding-a-provider.md)"
    )
    scaffold.add_argument("name", help="the provider's name: its mount prefix and package, e.g. acme")
    scaffold.add_argument("--root", type=Path, default=Path("."), help="the checkout to write into (default: here)")
    scaffold.set_defaults(handler=_new_provider)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)
