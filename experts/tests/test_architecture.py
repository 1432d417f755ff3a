"""Layering of experts and search & discovery (DESIGN.md): domain modules know nothing
of HTTP, and experts never imports matching (matching may read experts)."""

import ast
from pathlib import Path

import pytest

from experts import services
from experts.tests.factories import make_expert
from foodxchange.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_MODULES = (
    "services",
    "selectors",
    "models",
    "hooks",
    "search",
    "search_services",
    "indexing",
    "tasks",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def source_files(app: str) -> list[Path]:
    return [p for p in (ROOT / app).rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts]


def is_domain_module(path: Path, app: str) -> bool:
    """``<app>/services.py`` and the like, or any module of a ``<app>/services/`` package
    (``experts/views/services.py`` is HTTP, not a service)."""
    relative = path.relative_to(ROOT / app).parts
    if len(relative) == 1:
        return path.stem in DOMAIN_MODULES
    return relative[0] in ("services", "selectors")


@pytest.mark.parametrize("app", ["experts", "matching"])
def test_domain_modules_do_not_import_the_http_layer(app):
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] == "rest_framework" or m.startswith("foodxchange.api")
        )
        for path in source_files(app)
        if is_domain_module(path, app)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_experts_never_imports_matching():
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] == "matching")
        for path in source_files("experts")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.django_db
def test_services_raise_domain_errors(admin_user):
    expert = make_expert(verification_status="unverified")
    verification = services.request_verification(profile=expert, documents=[])
    with pytest.raises(InvalidInput) as caught:
        services.decide_verification(verification_id=verification.pk, reviewer=admin_user, approve=False, note=" ")
    assert caught.value.field_errors == {"note": ["Explain the rejection so the expert can fix it."]}
