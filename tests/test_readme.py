"""README.md's command lines agree with the commands: every synopsis (``searchkit CMD
[--opt …]``) names exactly the command's options, and every example uses only options
the command has, so the README cannot drift from ``--help``."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from searchkit.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"
SH_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)
OPTION = re.compile(r"(?<![\w-])(--?[a-z][a-z-]*)")


def _commands() -> dict[str, Any]:
    # typer ships its own click: its objects are used as they are, not checked against click's
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _options(command: Any) -> set[str]:
    options = [p for p in command.params if p.param_type_name == "option"]
    return {n for p in options for n in (*p.opts, *p.secondary_opts)} - {"--help"}


def _long_options(command: Any) -> set[str]:
    return {n for n in _options(command) if n.startswith("--")}


def _readme_lines() -> list[str]:
    """The README's shell lines that run searchkit, continuation lines joined."""
    lines: list[str] = []
    for block in SH_BLOCK.findall(README.read_text(encoding="utf-8")):
        for line in block.splitlines():
            if line.startswith(" ") and lines and lines[-1].startswith("searchkit "):
                lines[-1] += " " + line.strip()
            elif line.strip():
                lines.append(line.strip())
    return [line[line.index("searchkit ") :] for line in lines if "searchkit " in line and "pip" not in line]


def _is_synopsis(line: str) -> bool:
    return "[--" in line


def test_the_readme_has_a_synopsis_of_every_command():
    named = {line.split()[1] for line in _readme_lines() if _is_synopsis(line)}
    assert named == set(_commands()), named


@pytest.mark.parametrize("line", [line for line in _readme_lines() if _is_synopsis(line)])
def test_each_synopsis_names_exactly_the_options(line):
    command = _commands()[line.split()[1]]
    shown = set(OPTION.findall(line))
    # one synopsis line may cover a mode (a FILE or --id); together they cover every option
    together = {
        o
        for other in _readme_lines()
        if _is_synopsis(other) and other.split()[1] == line.split()[1]
        for o in OPTION.findall(other)
    }
    assert shown <= _options(command), shown - _options(command)
    assert _long_options(command) <= together, _long_options(command) - together


@pytest.mark.parametrize("line", [line for line in _readme_lines() if not _is_synopsis(line)])
def test_each_example_uses_only_real_options(line):
    words = shlex.split(line.split("|")[0] if line.startswith("searchkit") else line)
    command = _commands()[words[1]]
    used = {w.split("=")[0] for w in words[2:] if w.startswith("-") and w != "-" and not w.startswith('-"')}
    # a query may start with "-" (an exclusion): only option-shaped words count
    used = {w for w in used if OPTION.fullmatch(w)}
    assert used <= _options(command), (line, used - _options(command))


# -- every example runs, and prints what the README shows ------------------------------------

BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
# Lines no test runs: the install commands (the CI runs them), the server itself (its
# tests start it), and the benchmarks (they need ../shared). Every other line runs.
NOT_RUN = re.compile(r"pip install|^python3 -m venv|^searchkit serve|^python bench/")


def _blocks(lang: str) -> list[str]:
    return [block for kind, block in BLOCK.findall(README.read_text(encoding="utf-8")) if kind == lang]


def _shell_commands() -> list[str]:
    commands: list[str] = []
    for block in _blocks("sh"):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.split("  #")[0].strip()
            if line and not _is_synopsis(line) and not NOT_RUN.search(line):
                commands.append(line)
    return commands


@pytest.fixture(scope="module")
def readme_dir(tmp_path_factory):
    """A directory like the repository root for a new user: corpus/ indexed into index/
    by the README's first command."""
    import shutil

    from conftest import SAMPLE_CORPUS

    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(SAMPLE_CORPUS, root / "corpus")
    return root


def _run_cli(words: list[str], stdin: bytes | None = None) -> Any:
    from typer.testing import CliRunner

    return CliRunner().invoke(app, words[1:], input=stdin)


@pytest.fixture(scope="module")
def readme_client(readme_dir):
    import os

    from fastapi.testclient import TestClient

    from searchkit.server import create_app

    here = os.getcwd()
    os.chdir(readme_dir)
    try:
        assert _run_cli(["searchkit", "index", "corpus/", "--jobs", "1"]).exit_code == 0
    finally:
        os.chdir(here)
    with TestClient(create_app(readme_dir / "index")) as client:
        yield client


def test_the_readme_runs_searchkit_curl_and_pipes(readme_dir, readme_client, monkeypatch):
    monkeypatch.chdir(readme_dir)
    commands = _shell_commands()
    assert any(c.startswith("curl") for c in commands) and any("|" in c for c in commands)
    for command in commands:
        if command.startswith("curl"):
            words = shlex.split(command)
            method = words[words.index("-X") + 1] if "-X" in words else "GET"
            url = next(w for w in words if w.startswith("http://"))
            body = words[words.index("-d") + 1] if "-d" in words else None
            path = url.split("8000", 1)[1]
            response = readme_client.request(
                method, path, content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 200, (command, response.text)
            continue
        stdin = None
        if " | " in command:
            producer, command = command.split(" | ", 1)
            assert producer.startswith("cat "), producer
            stdin = (readme_dir / producer.split()[1]).read_bytes()
        done = _run_cli(shlex.split(command), stdin)
        assert done.exit_code == 0, (command, done.output)
        assert done.output.strip(), command


def test_the_readme_python_runs(readme_dir, readme_client, monkeypatch, capsys):
    monkeypatch.chdir(readme_dir)
    programs = [block for block in _blocks("python") if "import searchkit" in block]
    assert programs
    for program in programs:
        exec(compile(program, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "2 documents" in printed and "doi-moi-tu-duy-hanh-dong-quyet-liet.txt" in printed


def _same(shown: Any, real: Any, where: str = "") -> None:
    """``shown`` (the README) equals ``real`` but where the README elides: a list item "…"
    stands for any string, and ``took_ms`` for any time."""
    if isinstance(shown, dict):
        assert list(shown) == list(real), where
        for key in shown:
            if key != "took_ms":
                _same(shown[key], real[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert len(shown) == len(real), where
        for i, (a, b) in enumerate(zip(shown, real)):
            if a == "…" and isinstance(b, str):
                continue
            _same(a, b, f"{where}[{i}]")
    else:
        assert shown == real, (where, shown, real)


def test_the_readme_json_example_is_the_real_output(readme_dir, readme_client, monkeypatch):
    import json

    monkeypatch.chdir(readme_dir)
    (example,) = _blocks("json")
    text = README.read_text(encoding="utf-8")
    command = re.search(r"`(searchkit query [^`]*--json)`[^`]*\n\n```json", text)
    assert command, "the JSON example names the command that prints it"
    done = _run_cli(shlex.split(command.group(1)))
    assert done.exit_code == 0, done.output
    shown, real = json.loads(example), json.loads(done.stdout)
    _same(shown, real)
    for hit in shown["hits"]:  # and the highlights fit the snippet shown
        marked = [hit["snippet"][a:b] for a, b in hit["highlights"]]
        assert all(m.lower() in ("nông", "thôn", "mới") for m in marked), marked
