"""``python -m emulator serve|openapi`` (installed as ``number-emulator``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from emulator.settings import Settings


def _settings(args: argparse.Namespace, *names: str) -> Settings:
    """Environment first, flags on top."""
    overrides = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    return Settings(**overrides)


def openapi_documents() -> dict[str, dict]:
    """Every sub-app's OpenAPI document, keyed by file stem (``yay``, …, ``control``)."""
    from starlette.routing import Mount

    from emulator.app import create_app

    app = create_app(Settings(database_url="sqlite://"))
    return {
        "control" if mount.path == "/_emulator" else mount.path.strip("/"): mount.app.openapi()
        for mount in app.routes
        if isinstance(mount, Mount)
    }


def render_document(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from emulator.app import create_app

    settings = _settings(args, "host", "port", "log_level", "database_url", "fixtures", "data_dir")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        proxy_headers=False,
    )
    return 0


def _openapi(args: argparse.Namespace) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name, document in openapi_documents().items():
        (out / f"{name}.json").write_text(render_document(document), encoding="utf-8")
        print(out / f"{name}.json")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="number-emulator", description="Stateful emulator of telecom phone-number APIs")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start the emulator (settings: EMULATOR_* variables; flags win)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--log-level", dest="log_level")
    serve.add_argument("--database-url", dest="database_url", help="default: a SQLite file in the data folder")
    serve.add_argument("--data-dir", dest="data_dir", type=Path)
    serve.add_argument("--fixtures", type=Path, help="folder of fixture files")
    serve.set_defaults(handler=_serve)

    openapi = commands.add_parser("openapi", help="write one OpenAPI document per provider and one for the control plane")
    openapi.add_argument("--out", type=Path, default=Path("openapi"))
    openapi.set_defaults(handler=_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)
