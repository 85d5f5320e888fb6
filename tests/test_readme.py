"""The README runs as written: its shell examples against a fresh emulator, its Python examples as
a pytest run.

What the README's fenced blocks mean here:

- ```` ```sh ```` blocks run, in README order, in one bash session (variables carry from one block
  to the next), against a real ``serve`` process this test starts on a free loopback port: every
  ``localhost:8080`` and ``127.0.0.1:8080`` becomes that port; ``127.0.0.1:9000`` (a callback
  receiver that is down) becomes a port nothing listens on. The session's working folder is an
  empty temporary one (files the examples write land there) holding ``.venv/bin/python`` and
  ``.venv/bin/number-emulator`` for this interpreter, and ``EMULATOR_DATA_DIR`` points at the
  serving emulator's folder. Every command must exit with status 0.
- A command's shown output is the ``# => `` lines right after it (``# =>`` alone is an empty
  line); the command's stdout must read exactly that. In shown output ``…`` stands for any text
  (the rest of a token, or whole lines); UUIDs and Telcom's ``"time"`` are compared by shape only.
  Lines starting with ``#`` otherwise are plain comments.
- ```` ```python ```` blocks are files of one pytest project: a block whose first line is
  ``# <name>.py`` (``# conftest.py``, ``# test_addresses.py: ...``) is written under that name,
  any other as ``test_readme_<n>.py``; ``127.0.0.1:8080`` becomes the emulator above. They run in
  one pytest process with the installed plugin, and every test function in them must pass.
- A block right after a ``<!-- not run: reason -->`` line is not run (Docker, Compose, CI, the
  install commands themselves); the reason must be given. Other languages (```` ```yaml ````,
  ```` ```text ````) are configuration and pictures, never run.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import ROOT, EmulatorProcess, run_pytest

README = ROOT / "README.md"
NOT_RUN = re.compile(r"<!-- not run: (?P<reason>.*?) -->")
FENCE = re.compile(r"^```(?P<language>[\w-]*)\n(?P<body>.*?)^```\n", re.S | re.M)
SHOWN = "# =>"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TELCOM_TIME = re.compile(r'"time":\d+(\.\d+)?')
MARK = "\x1eREADME"


@dataclass
class Block:
    language: str
    body: str
    line: int
    """Where the block starts in the README (1-based), for messages."""
    not_run: str | None


@dataclass
class Command:
    text: str
    line: int
    shown: list[str] = field(default_factory=list)


def blocks(text: str) -> list[Block]:
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = NOT_RUN.fullmatch(before.strip())
        line = text.count("\n", 0, match.start()) + 2
        found.append(Block(match["language"], match["body"], line, marker["reason"].strip() if marker else None))
    return found


def _open_quote(line: str, quote: str | None) -> str | None:
    """The quote still open at the end of ``line`` (None: none), given the one open at its start;
    a ``#`` starting a word outside quotes ends the line."""
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif quote == "'":
            quote = None if char == "'" else quote
        elif char == "\\":
            escaped = True
        elif quote == '"':
            quote = None if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            break
    return quote


def commands(block: Block) -> list[Command]:
    """The block's commands (a command goes on over a trailing ``\\`` or an open quote), each with
    the output shown after it."""
    found: list[Command] = []
    current: list[str] = []
    quote: str | None = None
    for number, line in enumerate(block.body.split("\n"), start=block.line):
        if not current:
            stripped = line.strip()
            if stripped == SHOWN or stripped.startswith(SHOWN + " "):
                assert found, f"README line {number}: shown output before any command"
                found[-1].shown.append(stripped[len(SHOWN) + 1 :])
                continue
            if not stripped or stripped.startswith("#"):
                continue
            start = number
        current.append(line)
        quote = _open_quote(line, quote)
        if quote is None and not line.endswith("\\"):
            found.append(Command("\n".join(current), start))
            current = []
    assert not current, f"README line {start}: a command never ends (an open quote?)"
    return found


def _pattern(shown: str) -> re.Pattern:
    return re.compile(".*?".join(re.escape(part) for part in _normalised(shown).split("…")), re.S)


def _normalised(text: str) -> str:
    return TELCOM_TIME.sub('"time":<time>', UUID.sub("<uuid>", text.replace("\r\n", "\n")))


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _on_the_emulator(text: str, port: int, down_port: int) -> str:
    for host in ("localhost", "127.0.0.1"):
        text = text.replace(f"{host}:8080", f"127.0.0.1:{port}")
    return text.replace("127.0.0.1:9000", f"127.0.0.1:{down_port}")


def _tool_folder(folder: Path) -> None:
    """``.venv/bin/python`` and ``.venv/bin/number-emulator`` as a user's checkout has them."""
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    script = bin_dir / "number-emulator"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m emulator "$@"\n', encoding="utf-8")
    script.chmod(0o755)


TEXT = README.read_text(encoding="utf-8")
BLOCKS = blocks(TEXT)


def test_blocks_not_run_say_why():
    skipped = [block for block in BLOCKS if block.not_run is not None]
    assert all(block.not_run for block in skipped)
    assert {block.language for block in skipped} <= {"sh", "python"}, "only sh and python blocks ever run"


@pytest.fixture
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """A fresh ``serve`` process for each test; its settings are the environment the examples run in."""
    data = tmp_path_factory.mktemp("readme-data")
    settings = {"EMULATOR_DATA_DIR": str(data), "EMULATOR_DATABASE_URL": f"sqlite:///{data / 'emulator.sqlite3'}"}
    with EmulatorProcess(settings["EMULATOR_DATABASE_URL"], env=settings) as process:
        yield process


def test_the_shell_examples_print_what_the_readme_shows(emulator, tmp_path):
    down_port = closed_port()
    script, expected = [], {}
    for block in BLOCKS:
        if block.language != "sh" or block.not_run is not None:
            continue
        for index, command in enumerate(commands(block), start=len(expected)):
            expected[index] = command
            script += [
                f"printf '\\n{MARK} %s\\n' {index}",
                _on_the_emulator(command.text, emulator.port, down_port),
                f"printf '\\n{MARK}-status %s %s\\n' {index} $?",
            ]
    assert expected, "the README has no shell examples"
    _tool_folder(tmp_path)
    run = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=tmp_path,
        env={**os.environ, **emulator.env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    outputs = {
        int(index): (output, int(status))
        for index, output, status in re.findall(rf"{MARK} (\d+)\n(.*?)\n{MARK}-status \1 (\d+)\n", run.stdout, re.S)
    }
    problems = []
    for index, command in expected.items():
        output, status = outputs.get(index, ("", None))
        shown = _on_the_emulator("\n".join(command.shown), emulator.port, down_port)
        if status != 0:
            problems.append(f"README line {command.line}: exit status {status}\n{command.text}\n{output}")
        elif command.shown and not _pattern(shown).fullmatch(_normalised(output.removesuffix("\n"))):
            problems.append(f"README line {command.line}:\n{command.text}\n--- shown:\n{shown}\n--- printed:\n{output}")
    assert not problems, "\n\n".join(problems) + f"\n\nstderr:\n{run.stderr[-3000:]}"


def test_the_python_examples_pass(emulator, tmp_path):
    modules = [block for block in BLOCKS if block.language == "python" and block.not_run is None]
    assert modules, "the README has no Python examples"
    tests = 0
    for number, block in enumerate(modules, start=1):
        named = re.match(r"# (\w+\.py)\b", block.body)
        path = tmp_path / (named[1] if named else f"test_readme_{number}.py")
        assert not path.exists(), f"README line {block.line}: a second {path.name}"
        path.write_text(_on_the_emulator(block.body, emulator.port, closed_port()), encoding="utf-8")
        tests += len(re.findall(r"^def test_", block.body, flags=re.M))
    run = run_pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{tests} passed" in run.stdout, run.stdout


def test_shown_output_is_matched_exactly_but_for_ellipses_and_ids():
    assert _pattern('{"id":"…","n":1}').fullmatch('{"id":"abc","n":1}')
    assert not _pattern('{"id":"…","n":1}').fullmatch('{"id":"abc","n":2}')
    assert _pattern("a\n…\nz").fullmatch("a\nb\nc\nz")
    assert _pattern('{"uuid":"31347d42-00bd-44a5-9b5c-20dc4197a2f6"}').fullmatch(
        _normalised('{"uuid":"0b7e3f56-5f3a-4d2e-8f1a-6c7d8e9f0a1b"}')
    )
    block = Block("sh", "H=(-H 'a: b')\ncurl -s x \\\n  -d '{\n\"a\": 1}'  # a comment's 'quote\n# => out\n", 1, None)
    [first, second] = commands(block)
    assert first.text == "H=(-H 'a: b')" and second.shown == ["out"]
    assert second.text.endswith("a comment's 'quote")
