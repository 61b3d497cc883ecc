"""The shape of the code, checked: no app reaches into another app's private names, and no source file grows past
600 lines (migrations aside). The layering itself is import-linter's (pyproject.toml, run by the test command)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "rongcuo"


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_app_imports_another_apps_private_names() -> None:
    found = []
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        own = path.relative_to(SRC).parts[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: dict[str, str] = {}  # local name -> another app's module imported under it
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rongcuo."):
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private and _app(node.module) != own:
                    found.append(f"{path.relative_to(SRC)}: from {node.module} import {', '.join(private)}")
                for a in node.names:
                    target = SRC.joinpath(*node.module.split(".")[1:], a.name)
                    if _app(node.module) != own and (target.with_suffix(".py").exists() or target.is_dir()):
                        modules[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in ast.walk(tree):  # another app's module's private name, read as an attribute
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in modules):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {modules[node.value.id]}.{node.attr}")
    assert not found, "\n".join(found)


def test_no_source_file_is_longer_than_600_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py") if "migrations" not in p.parts
            and (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long, long
