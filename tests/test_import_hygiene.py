"""The layering holds: the core never imports the shells, and the mock stands alone.

DESIGN.md: the core knows nothing of Textual or click (the TUI and the CLI are thin shells over
it), and `workbench/mock` is a server that imports nothing of the client, the profiles or the
keyring (it must run on a machine with none of them set up, and stay fast to start). Every
import statement is read, including the ones deferred into functions, so a lazy import cannot
slip past; a fresh interpreter then imports every core module to prove it at run time too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "workbench"
SHELLS = ("workbench.tui", "workbench.cli")
SHELL_LIBRARIES = ("textual", "click")
MOCK_MUST_NOT_IMPORT = ("workbench.client", "workbench.profiles", "workbench.secrets", "keyring", "httpx")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def within(name: str, packages: tuple[str, ...]) -> bool:
    """`name` is one of `packages` or inside one (workbench.client is not inside workbench.cli)."""
    return any(name == p or name.startswith(p + ".") for p in packages)


def core_files() -> list[Path]:
    return sorted(
        path for path in PACKAGE.rglob("*.py")
        if not within(module_name(path), SHELLS) and module_name(path) != "workbench.__main__"
    )


def imported_names(path: Path, source: str | None = None) -> set[str]:
    """Every module an import statement in `path` names (absolute and relative), at any depth."""
    names: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    text = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def reaches(names: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if within(n, forbidden))


def test_the_core_is_found() -> None:
    """A guard for the guard: the walk sees the core modules it is meant to judge."""
    found = {module_name(p) for p in core_files()}
    assert {"workbench.redact", "workbench.client.call", "workbench.profiles.resolve", "workbench.mock.app"} <= found
    assert not any(within(name, SHELLS) for name in found)


@pytest.mark.parametrize("path", core_files(), ids=module_name)
def test_no_core_module_imports_a_shell(path: Path) -> None:
    bad = reaches(imported_names(path), SHELLS + SHELL_LIBRARIES)
    assert not bad, f"{module_name(path)} imports {bad}: the core must not know the TUI or the CLI"


@pytest.mark.parametrize("path", sorted((PACKAGE / "mock").rglob("*.py")), ids=module_name)
def test_the_mock_imports_nothing_of_the_client_profiles_or_keyring(path: Path) -> None:
    bad = reaches(imported_names(path), MOCK_MUST_NOT_IMPORT)
    assert not bad, f"{module_name(path)} imports {bad}: the mock must stand alone"


def test_the_walk_sees_a_deferred_import() -> None:
    """An import inside a function and a relative one are both read (else the rules above prove little)."""
    code = "def f():\n    import textual.app\n    from ..cli import main\n"
    names = imported_names(PACKAGE / "checks" / "probe.py", code)
    assert reaches(names, SHELLS + SHELL_LIBRARIES) == ["textual.app", "workbench.cli", "workbench.cli.main"]


def test_importing_every_core_module_loads_no_shell() -> None:
    """At run time too. click is left out here only because httpx's own `__init__` imports its
    command-line client (httpx/_main.py), which loads click when it is installed; the static
    rule above still keeps the workbench's own core from importing it."""
    modules = [module_name(p) for p in core_files()]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n    importlib.import_module(name)\n"
        f"shells = {('textual',) + SHELLS!r}\n"
        "bad = sorted(m for m in sys.modules if any(m == s or m.startswith(s + '.') for s in shells))\n"
        "print(bad)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ---- Ray: an optional extra, loaded only by `workbench bench --ray` ------------------------------

RAY_OWNER = "workbench.bench.ray_backend"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=module_name)
def test_only_the_ray_backend_imports_ray(path: Path) -> None:
    if module_name(path) == RAY_OWNER:
        return
    bad = reaches(imported_names(path), ("ray",))
    assert not bad, f"{module_name(path)} imports {bad}: Ray is imported by {RAY_OWNER} alone"


def test_the_ray_backend_imports_ray_only_when_asked() -> None:
    """Its module-level imports leave Ray out: it is loaded inside `import_ray()`, by `--ray` alone."""
    path = PACKAGE / "bench" / "ray_backend.py"
    top_level = ast.parse(path.read_text(encoding="utf-8")).body
    names = {alias.name for node in top_level if isinstance(node, (ast.Import, ast.ImportFrom))
             for alias in node.names} | {node.module or "" for node in top_level if isinstance(node, ast.ImportFrom)}
    assert not reaches(names, ("ray",))


def test_bench_help_and_every_core_module_load_no_ray() -> None:
    code = (
        "import importlib, sys\n"
        "from workbench.cli import main\n"
        "sys.argv = ['workbench', 'bench', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"for name in {[module_name(p) for p in core_files()]!r}:\n    importlib.import_module(name)\n"
        "print('RAY', sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--ray ADDRESS" in done.stdout  # the help was printed
    assert done.stdout.strip().endswith("RAY []")
