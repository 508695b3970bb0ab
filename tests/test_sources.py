"""kawaeval's own source: no private names of other packages, no package it does not declare.

Private names (``_name``) of other packages, the standard library's included, change without
notice (Python 3.14's warnings module did). The walk finds them where they can be seen in the
source: an attribute of an imported module or object (``warnings._filters_mutated``), and, in a
class built on another package's class, an inherited private member used (``self._x`` that the
class does not define itself) or overridden (a method whose name the base class has).
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from conftest import REPO

from kawaeval.build import zygote
from kawaeval.paths import PACKAGE_DIR

# Underscored names that their package documents as public API.
DOCUMENTED = {("os", "_exit")}  # docs.python.org/3/library/os.html#os._exit


def _sources() -> list[Path]:
    return sorted(PACKAGE_DIR.rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _external_names(tree: ast.Module) -> dict[str, str]:
    """Names a module binds to other packages' modules or objects: name -> module it is from."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.partition(".")[0] != "kawaeval":
                    names[alias.asname or alias.name.partition(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.partition(".")[0] != "kawaeval":
                for alias in node.names:
                    names[alias.asname or alias.name] = node.module
    return names


def _chain(node: ast.Attribute) -> tuple[ast.AST, list[str]]:
    """``a.b.c`` -> (the node of ``a``, ["b", "c"])."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    return node, attrs[::-1]


def _class_defines(cls: ast.ClassDef) -> set[str]:
    """Every name a class defines itself: methods, class attributes, ``self.x = ...``."""
    names = set()
    for node in ast.walk(cls):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                elements = target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
                names |= {e.attr for e in elements if _is_self_attribute(e)}
                if isinstance(target, ast.Name):
                    names.add(target.id)
    return names


def _is_self_attribute(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("self", "cls")
    )


def _private_uses(path: Path) -> list[str]:
    tree = _tree(path)
    external = _external_names(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            root, attrs = _chain(node)
            if isinstance(root, ast.Name) and root.id in external and _private(attrs[-1]):
                if (external[root.id], attrs[-1]) not in DOCUMENTED:
                    found.append((node.lineno, f"{root.id}.{'.'.join(attrs)}"))
                continue
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [_chain(b)[0] if isinstance(b, ast.Attribute) else b for b in node.bases]
        if not any(isinstance(b, ast.Name) and b.id in external for b in bases):
            continue
        own = _class_defines(node)
        for inner in ast.walk(node):
            if not (isinstance(inner, ast.Attribute) and _private(inner.attr)):
                continue
            owner = inner.value
            inherited = isinstance(owner, ast.Name) and owner.id in ("self", "cls")
            via_super = isinstance(owner, ast.Call) and getattr(owner.func, "id", "") == "super"
            if via_super or (inherited and inner.attr not in own):
                found.append((inner.lineno, f"{node.name} uses inherited {inner.attr}"))
    return [f"{path.name}:{line}: {use}" for line, use in sorted(found)]


def _body_names(cls: ast.ClassDef) -> set[str]:
    """The names a class body itself defines (its methods and class attributes)."""
    names = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _overrides(path: Path, name: str) -> list[str]:
    """Members of the classes of module ``name`` (at ``path``) that replace a private member
    of another package's class."""
    module = importlib.import_module(name)
    found = []
    for node in _tree(path).body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(module, node.name)
        foreign = [b for b in cls.__mro__[1:] if not b.__module__.startswith("kawaeval")]
        for member in sorted(_body_names(node)):
            if _private(member) and any(member in vars(b) for b in foreign):
                found.append(f"{name}.{node.name}.{member}")
    return found


def _modules() -> list[tuple[Path, str]]:
    paths = [p for p in _sources() if p.stem not in ("__init__", "__main__")]
    return [(p, ".".join(p.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)) for p in paths]


def test_no_private_name_of_another_package_is_used():
    assert [use for path in _sources() for use in _private_uses(path)] == []
    assert [o for path, name in _modules() for o in _overrides(path, name)] == []


def test_the_walk_finds_what_it_looks_for(tmp_path, monkeypatch):
    example = tmp_path / "example.py"
    example.write_text(
        "import warnings\n"
        "from jupyter_client.provisioning import LocalProvisioner\n"
        "warnings._filters_mutated()\n"
        "import os\n"
        "os._exit(0)\n"
        "class P(LocalProvisioner):\n"
        "    def launch(self, kwargs):\n"
        "        self.mine = 1\n"
        "        self.mine, self._own = 2, 3\n"
        "        return LocalProvisioner._scrub_kwargs(kwargs), self._tolerate, self._own\n",
        encoding="utf-8",
    )
    uses = [u.rpartition(": ")[2] for u in _private_uses(example)]
    assert uses == [
        "warnings._filters_mutated",
        "LocalProvisioner._scrub_kwargs",
        "P uses inherited _tolerate",
    ]
    overriding = tmp_path / "overriding.py"
    overriding.write_text(
        "from jupyter_client.manager import AsyncKernelManager\n"
        "class M(AsyncKernelManager):\n"
        "    async def _async_pre_start_kernel(self, **kw):\n"
        "        return await super()._async_pre_start_kernel(**kw)\n"
        "    def _mine(self):\n"
        "        pass\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _overrides(overriding, "overriding") == ["overriding.M._async_pre_start_kernel"]
    assert [u.rpartition(": ")[2] for u in _private_uses(overriding)] == [
        "M uses inherited _async_pre_start_kernel"
    ]


# ---------------------------------------------------------------- declared packages


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extras = project["project"]["optional-dependencies"]
    # what the package imports comes with it or with an edition's extra, never the tests'
    specs = project["project"]["dependencies"] + [
        spec for extra, specs in extras.items() if extra != "test" for spec in specs
    ]
    return {_normal(re.split(r"[=<>!~\[; ]", spec, maxsplit=1)[0]) for spec in specs}


def _imports(path: Path) -> list[tuple[str, int]]:
    """The top-level package of every absolute import in a file, with its line."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found += [(a.name.partition(".")[0], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.partition(".")[0], node.lineno))
    return found


def test_every_package_kawaeval_imports_is_declared_in_pyproject():
    distributions = packages_distributions()
    declared = _declared()
    imported = [
        (f"{path.relative_to(REPO)}:{line}", name)
        for path in _sources()
        for name, line in _imports(path)
    ]
    # the zygote imports these by name, as a kernel would
    imported += [("kawaeval/build/zygote.py", m.partition(".")[0]) for m in zygote.KERNEL_MODULES]
    imported += [("kawaeval/build/zygote.py", m.partition(".")[0]) for m in zygote.PRELOAD]
    undeclared = []
    for where, name in imported:
        if name in sys.stdlib_module_names or name in ("kawaeval", "__future__"):
            continue
        dists = {_normal(d) for d in distributions.get(name, [name])}
        if not dists & declared:
            undeclared.append(f"{where}: {name} (from {', '.join(sorted(dists))})")
    assert undeclared == []
