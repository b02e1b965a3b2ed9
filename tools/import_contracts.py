"""An import-linter contract for names inside a module: who may use `flask.request` and kin.

import-linter's own contracts follow imports of *modules*; `flask.request`, `flask.g` and
`flask_login.current_user` are names inside a module, so a `forbidden` contract cannot see
them. This one reads the source of every module under `source_modules` (except those under
`allowed_modules`) and fails on each use of a `forbidden_names` entry, however it is written:
`from flask import request`, aliased or in parentheses, from a submodule (`from flask.globals
import request`), or as an attribute of the imported package (`import flask` … `flask.g`).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from importlinter import Contract, ContractCheck, fields, output


class ForbiddenNamesContract(Contract):
    """No module of `source_modules` outside `allowed_modules` uses a `forbidden_names` name."""

    type_name = "forbidden_names"

    source_modules = fields.ListField(subfield=fields.StringField())
    allowed_modules = fields.ListField(subfield=fields.StringField(), required=False)
    forbidden_names = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        """Parse each module in scope and collect every use of a forbidden name."""
        forbidden = {tuple(name.rsplit(".", 1)) for name in self.forbidden_names}
        allowed = list(self.allowed_modules or [])
        uses = []
        for module in sorted(_modules_in(graph, self.source_modules)):
            if any(_within(module, parent) for parent in allowed):
                continue
            path = module_path(module)
            for line, name in forbidden_uses(path.read_text(encoding="utf-8"), forbidden):
                uses.append({"module": module, "path": str(path), "line": line, "name": name})
        return ContractCheck(kept=not uses, metadata={"uses": uses})

    def render_broken_contract(self, check: ContractCheck) -> None:
        """One line per use: where, and which name."""
        for use in check.metadata["uses"]:
            output.print_error(
                f"{use['module']} uses {use['name']} ({use['path']}:{use['line']})", bold=False
            )
        output.new_line()


def _modules_in(graph, roots) -> set[str]:
    found = set()
    for root in roots:
        found.add(root)
        found |= graph.find_descendants(root)
    return found


def _within(module: str, parent: str) -> bool:
    return module == parent or module.startswith(parent + ".")


def module_path(module: str) -> Path:
    """The source file of a module, found without importing it (nor running its package)."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    base = Path(next(iter(spec.submodule_search_locations))).joinpath(*rest)
    package = base / "__init__.py"
    return package if package.exists() else base.with_suffix(".py")


def forbidden_uses(source: str, forbidden: set[tuple[str, str]]) -> list[tuple[int, str]]:
    """(line, "package.name") for each use of a forbidden (package, name) in the source."""
    tree = ast.parse(source)
    packages = {package for package, _ in forbidden}
    bound: dict[str, str] = {}  # a local name bound to a forbidden name's package or submodule
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            top = node.module.split(".")[0]
            for alias in node.names:
                if (top, alias.name) in forbidden:
                    uses.append((node.lineno, f"{top}.{alias.name}"))
                elif top in packages:
                    bound[alias.asname or alias.name] = top  # perhaps a submodule
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in packages:
                    bound[alias.asname or top] = top
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (bound.get(node.value.id), node.attr) in forbidden
        ):
            uses.append((node.lineno, f"{bound[node.value.id]}.{node.attr}"))
    return sorted(uses)
