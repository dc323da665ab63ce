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
