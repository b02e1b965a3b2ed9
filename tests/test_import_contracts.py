"""The import contracts of pyproject.toml hold, and the request contract sees every spelling."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    # `tools.import_contracts` from the repository; wide lines, so each finding is one line.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "250"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_house_keeps_its_import_contracts():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


def _package(tmp_path: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = tmp_path / "shop" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


def test_the_request_contract_finds_each_spelling_outside_web_only(tmp_path):
    _package(
        tmp_path,
        {
            "__init__.py": "",
            "web/__init__.py": """\
                from flask import g, request
                from flask_login import current_user
                """,
            "orders.py": """\
                from flask import (
                    Flask,
                    request as incoming,
                )
                """,
            "stock.py": """\
                import flask
                import flask_login as fl


                def who(session):
                    return fl.current_user, flask.g, session, flask.current_app
                """,
            "basket.py": "from flask.globals import session\n",
            "plain.py": """\
                from flask import Flask, current_app


                def f(session, g):
                    return g, current_app, Flask
                """,
        },
    )
    (tmp_path / "contracts.toml").write_text(
        textwrap.dedent(
            """\
            [tool.importlinter]
            root_package = "shop"
            contract_types = ["forbidden_names: tools.import_contracts.ForbiddenNamesContract"]

            [[tool.importlinter.contracts]]
            name = "request in web only"
            type = "forbidden_names"
            source_modules = ["shop"]
            allowed_modules = ["shop.web"]
            forbidden_names = [
                "flask.request", "flask.g", "flask.session", "flask_login.current_user"
            ]
            """
        )
    )
    result = _lint(tmp_path, "--config", "contracts.toml")
    assert result.returncode == 1, result.stdout + result.stderr
    found = sorted(
        line.split(" (")[0].strip() for line in result.stdout.splitlines() if " uses " in line
    )
    assert found == [
        "shop.basket uses flask.session",
        "shop.orders uses flask.request",
        "shop.stock uses flask.g",
        "shop.stock uses flask_login.current_user",
    ]
