"""The package's shape: which modules a surface loads, and the public API."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_reader_does_not_import_writer():
    result = _run("import searchkit.search, sys; assert 'searchkit.index' not in sys.modules")
    assert result.returncode == 0, result.stderr


def test_every_public_name_resolves():
    # A fresh interpreter: names are imported lazily, on first attribute access.
    code = (
        "import searchkit\n"
        "for name in searchkit.__all__:\n"
        "    getattr(searchkit, name)\n"
        "assert issubclass(searchkit.IndexLockedError, searchkit.SearchkitError)\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr


def test_public_api_lists_every_error():
    import inspect

    import searchkit
    from searchkit import errors

    classes = {
        name for name, obj in inspect.getmembers(errors, inspect.isclass) if obj.__module__ == errors.__name__
    }
    assert classes <= set(searchkit.__all__)
    assert issubclass(searchkit.IndexLockedError, searchkit.SearchkitError)


def test_type_checking_imports_match_all():
    """The imports for type checkers name exactly the public API."""
    import ast
    from pathlib import Path

    import searchkit

    tree = ast.parse(Path(searchkit.__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    )
    imported = {alias.name for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert imported == set(searchkit.__all__)
