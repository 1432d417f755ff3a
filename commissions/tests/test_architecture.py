"""The layering of leads and commissions: services, selectors, models and the other
domain modules know nothing of HTTP, and leads never imports commissions (commissions
builds on leads; leads hands conversions over through ``leads.hooks``)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_PARTS = ("services", "selectors", "models", "inputs", "hooks", "scoring", "validators", "whatsapp")


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path, parts


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("app", ["leads", "commissions"])
def test_domain_modules_do_not_import_rest_framework(app):
    offenders = [
        str(path.relative_to(ROOT))
        for path, parts in _modules(app)
        if any(part.removesuffix(".py") in DOMAIN_PARTS for part in parts)
        and any(name.split(".")[0] == "rest_framework" or name.startswith("foodxchange.api") for name in _imports(path))
    ]
    assert offenders == []


def test_leads_never_imports_commissions():
    offenders = [
        str(path.relative_to(ROOT))
        for path, _ in _modules("leads")
        if any(name.split(".")[0] == "commissions" for name in _imports(path))
    ]
    assert offenders == []


def test_the_csv_import_service_uses_no_serializer():
    source = (ROOT / "leads" / "services" / "csv_import.py").read_text()
    assert "serializer" not in source.lower()
