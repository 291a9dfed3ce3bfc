"""Import graphs for affected-test selection: grimp for the project's packages, ``ast`` for tests.

grimp needs the packages importable, so it runs in a subprocess whose ``PYTHONPATH`` holds the
project's source folders: the graph is the checkout's, never an installed copy's, and nothing is
imported into the calling process. Test folders are often not packages (no ``__init__.py``), so
their imports are read with ``ast`` and matched by name, erring towards more edges, never fewer.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from ci_sessions.errors import GraphUnavailable  # also imported from here by closure, affected

_GRIMP_SCRIPT = """
import json, sys
import grimp
graph = grimp.build_graph(*sys.argv[1:], include_external_packages=True, cache_dir=None)
print(json.dumps({m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}))
"""


def grimp_available() -> bool:
    return importlib.util.find_spec("grimp") is not None


def source_graph(root: Path, packages: dict[str, str]) -> dict[str, set[str]]:
    """Module -> modules it imports directly, for the packages ``{name: folder on sys.path}``.

    External imports appear as their top-level name, so an import of a single-file module of the
    project (which grimp cannot graph itself) is still an edge.
    """
    if not packages:
        return {}
    if not grimp_available():
        raise GraphUnavailable("grimp is not installed (pip install 'ci-sessions[changes]')")
    folders = sorted({str((root / folder).resolve()) for folder in packages.values()})
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*folders, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PYTHONSAFEPATH", None)
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", _GRIMP_SCRIPT, *sorted(packages)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    if done.returncode != 0:
        last = (
            done.stderr.strip().splitlines()[-1]
            if done.stderr.strip()
            else f"exit {done.returncode}"
        )
        raise GraphUnavailable(f"grimp could not build the import graph: {last}")
    raw: dict[str, list[str]] = json.loads(done.stdout)
    return {module: set(imports) for module, imports in raw.items()}


def file_imports(path: Path, module: str | None = None, *, is_package: bool = False) -> set[str]:
    """Absolute names a Python file imports: ``from a.b import c`` gives ``a.b`` and ``a.b.c``.

    Relative imports resolve against ``module`` when it is known. Literal ``pytest_plugins`` and
    ``importlib.import_module("...")`` names count as imports too. A file that does not parse
    raises GraphUnavailable: its imports are unknown.
    """
    return file_facts(path, module, is_package=is_package)[0]


#: calls that import a module named by their first argument (or load a file by path)
_IMPORT_CALLS = frozenset({"import_module", "__import__"})
_LOAD_CALLS = frozenset({"spec_from_file_location", "run_path", "run_module", "load_source"})


def file_facts(
    path: Path, module: str | None = None, *, is_package: bool = False
) -> tuple[set[str], str]:
    """:func:`file_imports`, plus where the file reaches a module by a computed name.

    Attribute chains on an imported module count as imports too (``import pkg`` then
    ``pkg.sub.f()`` imports ``pkg.sub`` when ``pkg`` loads its submodules lazily, PEP 562). The
    second item is empty, or ``line N`` of the first place whose target the text does not say
    (``importlib.import_module(name)``, ``runpy.run_path(p)``, ``pytest_plugins = LIST``,
    ``getattr(pkg, name)`` on an imported module): what such a file reaches cannot be read
    from it.
    """
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError) as exc:
        raise GraphUnavailable(f"cannot parse {path.name}: {exc}") from None
    package = (module if is_package else module.rpartition(".")[0]) if module else ""
    names: set[str] = set()
    bound: dict[str, str] = {}  # a local name -> the module (or module attribute) it names
    dynamic = ""
    nodes = list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                names.add(alias.name)
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    top = alias.name.split(".", 1)[0]
                    bound[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_from(node, package)
            if base is None:
                continue
            if base:
                names.add(base)
            for alias in node.names:
                if alias.name == "*":
                    continue
                full = f"{base}.{alias.name}" if base else alias.name
                names.add(full)
                bound[alias.asname or alias.name] = full
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
        ):
            found = _literal_strings(node.value)
            names.update(found)
            if not found and not dynamic:
                dynamic = f"line {node.lineno}: pytest_plugins from a computed value"
    for node in nodes:
        if isinstance(node, ast.Attribute):
            chain = _attribute_chain(node)
            if chain and chain[0] in bound:
                names.add(".".join([bound[chain[0]], *chain[1:]]))
        elif isinstance(node, ast.Call):
            called = _called_name(node.func)
            if called in _IMPORT_CALLS and node.args:
                found = _literal_strings(node.args[0])
                names.update(found)
                if not found and not dynamic:
                    dynamic = f"line {node.lineno}: {called}() of a computed name"
            elif called in _LOAD_CALLS and not dynamic:
                dynamic = f"line {node.lineno}: {called}() loads code by path"
            elif called == "getattr" and len(node.args) >= 2:
                target, attribute = node.args[0], node.args[1]
                if isinstance(target, ast.Name) and target.id in bound:
                    literal = _literal_strings(attribute)
                    names.update(f"{bound[target.id]}.{a}" for a in literal)
                    if not literal and not dynamic:
                        dynamic = f"line {node.lineno}: getattr() of a computed name on a module"
    return names, dynamic


def _attribute_chain(node: ast.Attribute) -> list[str]:
    """``a.b.c`` -> ``["a", "b", "c"]``; anything but names and attributes -> ``[]``."""
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return []
    parts.append(current.id)
    return parts[::-1]


def _resolve_from(node: ast.ImportFrom, package: str) -> str | None:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts) or not package:
        return None  # relative import we cannot place: the name-based matching covers it
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def _literal_strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def prefixes(name: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``: importing a module runs every parent package."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def parent(module: str) -> str | None:
    return module.rpartition(".")[0] or None


def reverse_reachable(graph: dict[str, set[str]], seeds: set[str]) -> set[str]:
    """Every node that imports a seed, directly or transitively (seeds included)."""
    importers: dict[str, set[str]] = {}
    for node, imports in graph.items():
        for imported in imports:
            importers.setdefault(imported, set()).add(node)
    reached = set(seeds)
    pending = list(seeds)
    while pending:
        for importer in importers.get(pending.pop(), ()):
            if importer not in reached:
                reached.add(importer)
                pending.append(importer)
    return reached
