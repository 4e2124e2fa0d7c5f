"""The layers import one way only: bot → handlers → storage.

`handlers/` and `storage/` never import a platform library, web3, openai, aiohttp or
anything from `bot`; `storage/` never imports `handlers`. Checked by parsing every
module with `ast` (no imports are executed), including imports inside functions and
`if TYPE_CHECKING:` blocks, and relative imports resolved against the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN_EVERYWHERE = ("discord", "telegram", "web3", "openai", "aiohttp", "bot")
FORBIDDEN = {
    "handlers": FORBIDDEN_EVERYWHERE,
    "storage": (*FORBIDDEN_EVERYWHERE, "handlers"),
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def from_target(node: ast.ImportFrom, package: str) -> str:
    """The absolute module a `from … import` names (relative levels resolved)."""
    if not node.level:
        return node.module or ""
    base = package.split(".") if package else []
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(p for p in (".".join(base), node.module or "") if p)


def imported_modules(source: str, module: str = "", *, is_package: bool = False) -> set[str]:
    """Every absolute module name `source` imports (relative imports resolved)."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = from_target(node, package)
            found.add(target)
            # `from x import y` may import the submodule x.y
            found.update(f"{target}.{alias.name}" for alias in node.names if target)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def violations(source: str, layer: str, module: str = "", *, is_package: bool = False) -> list[str]:
    """The imports in `source` that the layer `layer` may not make."""
    bad = []
    for name in sorted(imported_modules(source, module, is_package=is_package)):
        top = name.split(".", 1)[0]
        if top in FORBIDDEN[layer]:
            bad.append(name)
    return bad


def _layer_files(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_one_way(layer: str) -> None:
    files = _layer_files(layer)
    assert files, f"no Python files found under {layer}/"
    problems = []
    for path in files:
        module = _module_name(path, ROOT)
        found = violations(
            path.read_text(encoding="utf-8"), layer, module, is_package=path.name == "__init__.py"
        )
        problems += [f"{path.relative_to(ROOT)} imports {name}" for name in found]
    assert not problems, "layer violations:\n" + "\n".join(problems)


def test_checker_catches_violations() -> None:
    source = """
import os
import discord.ext.commands
from telegram import Bot
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from bot.app import Core

def later():
    import aiohttp
    from web3 import Web3
    import openai
    return importlib.import_module("bot.settings")
"""
    assert violations(source, "handlers", "handlers.x") == [
        "aiohttp",
        "bot.app",
        "bot.app.Core",
        "bot.settings",
        "discord.ext.commands",
        "openai",
        "telegram",
        "telegram.Bot",
        "web3",
        "web3.Web3",
    ]
    # storage may not reach up into handlers
    assert violations("from handlers.core.errors import BadArguments", "storage", "storage.x")
    assert violations("import handlers", "storage", "storage.db")
    # but handlers may use storage, and neither is fooled by look-alike names
    assert not violations("from storage.records import dumps", "handlers", "handlers.x")
    assert not violations(
        "import discordant\nimport botany\nfrom .db import Database", "storage", "storage.x"
    )
    assert not violations("from . import schema", "storage", "storage", is_package=True)
    # a relative import inside storage stays inside storage
    assert not violations("from ..handlers import x", "storage", "storage.repos.ballots")


def test_relative_imports_are_resolved() -> None:
    assert "storage.db" in imported_modules("from .db import Database", "storage.repos")
    assert "storage.db" in imported_modules("from ..db import Database", "storage.repos.ballots")
    assert "storage.schema" in imported_modules("from . import schema", "storage", is_package=True)
