"""The layers of src/ftcluster import one way only, and only cli/ renders (see docs/architecture.md)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "ftcluster"

# A unit (a subpackage or a top-level module of ftcluster) may import only units of a lower rank.
RANKS = {
    "ftcluster": 0,  # the package's __init__ (__version__)
    "errors": 0,
    "home": 0,
    "pulumi_private": 0,
    "plain": 0,
    "spec": 1,
    "aws": 1,
    "program": 2,
    "cost": 3,
    "offline": 3,
    "ledger": 3.5,  # the interruption ledger: status (live) shows its last interruption
    "live": 4,
    "drill": 4.5,  # uses the live views' readers and the ledger
    "engine": 5,
    "api": 5.5,  # the façade: one function per command, the only core module cli/ calls
    "cli": 6,
    "__main__": 7,
}
RENDERING = ("typer", "rich", "click")


def unit_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return "ftcluster" if parts == ("__init__",) else parts[0]


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, also those inside functions."""
    package = ["ftcluster", *path.relative_to(PACKAGE).parent.parts]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if not node.level:
                yield node.lineno, node.module or ""
                continue
            base = ".".join(package[: len(package) - node.level + 1])
            if node.module:
                yield node.lineno, f"{base}.{node.module}"
            else:  # `from .. import x`: x is a module of base, or a name in base's __init__
                for alias in node.names:
                    is_module = any(
                        (PACKAGE.parent / base.replace(".", "/") / alias.name).with_suffix(s).exists()
                        for s in (".py", "")
                    )
                    yield node.lineno, f"{base}.{alias.name}" if is_module else base


def imported_unit(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "ftcluster":
        return None
    return parts[1] if len(parts) > 1 else "ftcluster"


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_unit_has_a_rank() -> None:
    units = {unit_of(path) for path in sources()}
    assert "engine" in units and "cli" in units  # the walk works
    unranked = sorted(units - RANKS.keys())
    assert not unranked, f"new units {unranked}: give each its layer in RANKS (tests/test_layers.py)"


def test_imports_point_down_the_layers_only() -> None:
    upward = []
    for path in sources():
        unit = unit_of(path)
        for line, module in imported_modules(path):
            target = imported_unit(module)
            if target is None or target == unit or target not in RANKS or unit not in RANKS:
                continue
            if RANKS[target] >= RANKS[unit]:
                upward.append(f"{path.relative_to(PACKAGE)}:{line} imports {module} ({unit} -> {target})")
    assert not upward, "imports against the layer order:\n" + "\n".join(upward)


def test_only_the_cli_renders_prints_or_exits() -> None:
    found = []
    for path in sources():
        if unit_of(path) in ("cli", "__main__"):
            continue
        where = path.relative_to(PACKAGE)
        for line, module in imported_modules(path):
            if module.split(".")[0] in RENDERING:
                found.append(f"{where}:{line} imports {module}")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in ("print", "exit"):
                    found.append(f"{where}:{node.lineno} calls {func.id}()")
                if isinstance(func, ast.Attribute) and func.attr == "exit" and getattr(func.value, "id", "") == "sys":
                    found.append(f"{where}:{node.lineno} calls sys.exit()")
    assert not found, "core modules never render, print or exit (only cli/ does):\n" + "\n".join(found)
