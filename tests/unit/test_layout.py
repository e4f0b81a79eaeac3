"""The one dependency rule: the registry never imports the bot or a chat library."""

from __future__ import annotations

import ast
from pathlib import Path

REGISTRY = Path(__file__).resolve().parents[2] / "registry"
FORBIDDEN = ("bot", "telegram", "starlette", "uvicorn", "httpx", "typer", "rich")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_registry_imports_no_chat_or_cli_code() -> None:
    offenders = {
        str(path.relative_to(REGISTRY)): sorted(_imports(path) & set(FORBIDDEN))
        for path in REGISTRY.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    assert len(offenders) > 10
