"""Architecture rules (DESIGN.md, Layout), checked on the source of every app:

(a) no ``rest_framework`` import in any ``services``/``selectors``/``models`` module;
(b) the import graph between apps (non-test modules) has no cycle, and the core
    (``foodxchange``) imports no other app;
(c) no ``importlib.import_module`` / ``apps.get_model`` outside migrations.

Each rule has a ``KNOWN_…`` allowlist of what existed when the rule arrived, in apps
being fixed as it lands; it only shrinks and is empty once they are fixed. A new
violation fails; a listed one that is gone warns (remove it from the list)."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = (
    "foodxchange",
    "accounts",
    "experts",
    "matching",
    "leads",
    "commissions",
    "consultations",
    "engagements",
    "workspaces",
    "compliance",
    "assistant",
    "intelligence",
    "realtime",
    "backups",
    "backoffice",
)
LAYERED = ("services", "selectors", "models")

# Allowlists of accepted violations: empty, and an entry that no longer applies fails
# too, so a list never hides a new violation behind an old name.
# (a) modules of services/selectors/models allowed to import DRF.
KNOWN_DRF_IN_DOMAIN_CODE: dict[str, str] = {}

# (b) (importing app, imported app) edges allowed on a cycle.
KNOWN_CYCLE_EDGES: set[tuple[str, str]] = set()

# (c) "module:call" pairs allowed to hide a dependency.
KNOWN_DYNAMIC_IMPORTS: set[str] = set()


def _modules():
    """(module name, path, app) of every non-test, non-migration module of the apps."""
    for app in APPS:
        base = ROOT / app
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "tests" in parts or "migrations" in parts or parts[-1] in ("conftest", "factories"):
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path, app


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _parsed():
    return [(module, app, ast.parse(path.read_text(), str(path))) for module, path, app in _modules()]


def _is_layered(module: str) -> bool:
    parts = module.split(".")
    return any(part in LAYERED for part in parts[1:])


def drf_violations(parsed) -> set[str]:
    return {
        module
        for module, _, tree in parsed
        if _is_layered(module) and any(n == "rest_framework" or n.startswith("rest_framework.") for n in _imports(tree))
    }


def app_graph(parsed) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {app: set() for app in APPS}
    for _, app, tree in parsed:
        for name in _imports(tree):
            target = name.split(".")[0]
            if target in graph and target != app:
                graph[app].add(target)
    return graph


def cycle_edges(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Edges that lie on a cycle: a -> b where b reaches a back."""

    def reaches(start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(graph.get(node, ()))
        return False

    return {(a, b) for a, targets in graph.items() for b in targets if reaches(b, a)}


def dynamic_imports(parsed) -> set[str]:
    found = set()
    for module, _, tree in parsed:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ("import_module", "get_model", "__import__"):
                    found.add(f"{module}:{name.strip('_')}")
    return found


def _assert_no_stale(stale, name: str) -> None:
    assert not stale, f"fixed, remove from {name}: {sorted(stale)}"


def test_no_rest_framework_in_services_selectors_or_models():
    found = drf_violations(_parsed())
    assert found - set(KNOWN_DRF_IN_DOMAIN_CODE) == set(), "raise foodxchange.errors instead"
    _assert_no_stale(set(KNOWN_DRF_IN_DOMAIN_CODE) - found, "KNOWN_DRF_IN_DOMAIN_CODE")


def test_the_core_imports_no_other_app():
    graph = app_graph(_parsed())
    assert graph["foodxchange"] == set(), "register through foodxchange.hooks from the app above instead"


def test_nothing_imports_the_back_office():
    graph = app_graph(_parsed())
    assert [app for app, targets in graph.items() if "backoffice" in targets] == []


def test_no_import_cycles_between_apps():
    found = cycle_edges(app_graph(_parsed()))
    assert found - KNOWN_CYCLE_EDGES == set(), "a new cycle between apps"
    _assert_no_stale(KNOWN_CYCLE_EDGES - found, "KNOWN_CYCLE_EDGES")


def test_no_dynamic_imports_outside_migrations():
    found = dynamic_imports(_parsed())
    assert found - KNOWN_DYNAMIC_IMPORTS == set(), "import plainly, or register in AppConfig.ready()"
    _assert_no_stale(KNOWN_DYNAMIC_IMPORTS - found, "KNOWN_DYNAMIC_IMPORTS")


def test_the_checks_catch_what_they_claim(tmp_path):
    """The scanners themselves: a DRF import in a selector, a cycle, a dynamic import."""
    code = {
        "x.selectors": "from rest_framework.exceptions import NotFound\n",
        "x.views": (
            "import importlib\nimportlib.import_module('y')\nfrom django.apps import apps\napps.get_model('a', 'b')\n"
        ),
    }
    parsed = [(module, module.split(".")[0], ast.parse(source)) for module, source in code.items()]
    assert drf_violations(parsed) == {"x.selectors"}
    assert dynamic_imports(parsed) == {"x.views:import_module", "x.views:get_model"}
    assert cycle_edges({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {("a", "b"), ("b", "c"), ("c", "a")}
