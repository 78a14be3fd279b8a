"""No import cycles between the project's modules, so the layer-first layout keeps.

Every `import` and `from ... import` in `config`, `institutes`, `evaluations`, `exchanges` and
`webhooks` is an edge, at module level and inside functions alike: a function-level import only
hides a cycle until the function runs. Imports under `if TYPE_CHECKING:` never run and are not edges.

The one accepted pattern: a service (`<app>.services` or a module of `<app>/services/`) importing
its app's Celery tasks (`<app>.tasks`) inside a function, to enqueue work on commit. Tasks call
services, and the service side is the one that waits until it runs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "institutes", "evaluations", "exchanges", "webhooks")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    lazy: bool  # inside a function (runs when the function is called)

    def __str__(self) -> str:
        where = "function-level" if self.lazy else "module-level"
        return f"{self.source} -> {self.target} (line {self.line}, {where})"


def module_name(path: str) -> tuple[str, bool]:
    """`evaluations/models/__init__.py` -> ("evaluations.models", True)."""
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """(node, lazy) for every import that runs, skipping `if TYPE_CHECKING:` blocks."""

    def visit(node: ast.AST, lazy: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    yield from visit_one(other, lazy)
                continue
            yield from visit_one(child, lazy)

    def visit_one(node: ast.AST, lazy: bool):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, lazy
        inner = lazy or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from visit(node, inner)

    yield from visit(tree, False)


def _resolve(name: str, modules: set[str]) -> str | None:
    """The longest prefix of `name` that is a project module (None outside the project)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def import_graph(sources: dict[str, str]) -> list[Edge]:
    """The import edges between the given modules ({relative path: source})."""
    names = {path: module_name(path) for path in sources}
    modules = {name for name, _ in names.values()}
    edges: list[Edge] = []
    for path, source in sources.items():
        module, is_package = names[path]
        package = module if is_package else module.rpartition(".")[0]
        for node, lazy in _imports(ast.parse(source, filename=path)):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from pkg import sub` imports the module `pkg.sub` when there is one.
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                resolved = _resolve(target, modules)
                if resolved is not None and resolved != module:
                    edges.append(Edge(module, resolved, node.lineno, lazy))
    return edges


def accepted(edge: Edge) -> bool:
    """A service enqueuing its app's Celery tasks from inside a function."""
    app = edge.source.split(".")[0]
    in_services = edge.source == f"{app}.services" or edge.source.startswith(f"{app}.services.")
    return edge.lazy and in_services and edge.target == f"{app}.tasks"


def find_cycles(edges: list[Edge]) -> list[list[Edge]]:
    """One shortest cycle per strongly connected group of modules, each as its edges in order.

    An accepted edge (a service importing its tasks in a function) may close only the direct
    pair service -> tasks -> service; a longer way back from the tasks to the service (through
    the runner, say) is a cycle like any other.
    """
    graph: dict[str, dict[str, Edge]] = {}
    for edge in edges:
        # Keep a module-level edge over a function-level one to the same module.
        current = graph.setdefault(edge.source, {}).get(edge.target)
        if current is None or (current.lazy and not edge.lazy):
            graph[edge.source][edge.target] = edge
    plain = {
        source: {target: edge for target, edge in targets.items() if not accepted(edge)}
        for source, targets in graph.items()
    }
    groups = _strongly_connected(plain)
    cycles = [_shortest_path(min(group), min(group), plain) for group in groups if len(group) > 1]
    group_of = {module: i for i, group in enumerate(groups) for module in group}
    for source, targets in sorted(graph.items()):
        for target, edge in sorted(targets.items()):
            if not accepted(edge) or group_of.get(source) == group_of.get(target, -1):
                continue  # not accepted, or already part of a reported cycle
            back = _shortest_path(target, source, plain, skip=(target, source))
            if back:
                cycles.append([edge, *back])
    return cycles


def _strongly_connected(graph: dict[str, dict[str, Edge]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (no recursion limit on a deep graph)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, {}))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, {})))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
    return groups


def _shortest_path(
    start: str,
    goal: str,
    graph: dict[str, dict[str, Edge]],
    skip: tuple[str, str] | None = None,
) -> list[Edge]:
    """Breadth-first from `start` to `goal` (back to itself when they are the same), without
    the edge `skip`; [] when there is no way."""
    previous: dict[str, Edge] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target, edge in sorted(graph.get(node, {}).items()):
                if (node, target) == skip:
                    continue
                if target == goal:
                    path = [edge]
                    while path[0].source != start:
                        path.insert(0, previous[path[0].source])
                    return path
                if target not in previous:
                    previous[target] = edge
                    following.append(target)
        frontier = following
    return []


def describe(cycles: list[list[Edge]]) -> str:
    lines = []
    for cycle in cycles:
        path = " -> ".join([cycle[0].source, *(edge.target for edge in cycle)])
        lines.append(f"import cycle: {path}")
        lines.extend(f"    {edge}" for edge in cycle)
    return "\n".join(lines)


def project_sources() -> dict[str, str]:
    sources = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            sources[path.relative_to(ROOT).as_posix()] = path.read_text(encoding="utf-8")
    return sources


def test_no_import_cycles_between_project_modules():
    edges = import_graph(project_sources())
    assert len(edges) > 300  # the walk found the project's imports
    cycles = find_cycles(edges)
    assert not cycles, describe(cycles)


# The four cycles the layout once hid behind function-level imports, as small synthetic trees:
# the detector must find each one and name its path.
KNOWN_CYCLES = {
    "comparisons <-> run scores": {
        "evaluations/__init__.py": "",
        "evaluations/comparisons.py": "def f():\n    from evaluations.run_scores import x\n",
        "evaluations/run_scores.py": "from evaluations import comparisons\n",
    },
    "log reader <-> lm-eval reader": {
        "evaluations/__init__.py": "",
        "evaluations/ingestion/__init__.py": "",
        "evaluations/ingestion/reader.py": "def open_log():\n    from . import lm_eval\n",
        "evaluations/ingestion/lm_eval.py": (
            "class R:\n    def samples(self):\n"
            "        from evaluations.ingestion.reader import SampleRecord\n"
        ),
    },
    "project models -> access -> models": {
        "evaluations/__init__.py": "",
        "evaluations/models/__init__.py": "from .projects import EvaluationProject\n",
        "evaluations/models/projects.py": (
            "class Q:\n    def visible_to(self, user):\n"
            "        from institutes.access import visible_projects\n"
        ),
        "institutes/__init__.py": "",
        "institutes/access.py": "from evaluations.models import EvaluationProject\n",
    },
    "supervisor -> job services -> tasks -> supervisor": {
        "evaluations/__init__.py": "",
        "evaluations/runner/__init__.py": "",
        "evaluations/runner/supervisor.py": (
            "from evaluations.services.jobs import access_window_error\n"
        ),
        "evaluations/services/__init__.py": "",
        # The one accepted pattern, both ways: a service enqueues its tasks, a task calls it.
        "evaluations/services/jobs.py": "def job_queue():\n    from evaluations import tasks\n",
        "evaluations/tasks.py": (
            "def run_job(job_id):\n    from evaluations.runner.supervisor import run_job\n"
            "def reap_jobs():\n    from evaluations.services.jobs import jobs_reap\n"
        ),
    },
}


@pytest.mark.parametrize("name", KNOWN_CYCLES)
def test_detector_finds_known_cycle(name):
    cycles = find_cycles(import_graph(KNOWN_CYCLES[name]))
    assert len(cycles) == 1, describe(cycles)
    modules = [edge.source for edge in cycles[0]]
    assert cycles[0][-1].target == modules[0]
    assert describe(cycles).startswith("import cycle: ")


def test_known_cycle_path_is_reported():
    cycles = find_cycles(
        import_graph(KNOWN_CYCLES["supervisor -> job services -> tasks -> supervisor"])
    )
    assert describe(cycles).splitlines()[0] == (
        "import cycle: evaluations.services.jobs -> evaluations.tasks"
        " -> evaluations.runner.supervisor -> evaluations.services.jobs"
    )


def test_service_may_import_its_tasks_lazily():
    sources = {
        "exchanges/__init__.py": "",
        "exchanges/services.py": "def approve():\n    from exchanges import tasks\n",
        "exchanges/tasks.py": "from exchanges import services\n",
    }
    assert find_cycles(import_graph(sources)) == []
    sources["exchanges/services.py"] = "from exchanges import tasks\n"
    assert len(find_cycles(import_graph(sources))) == 1


def test_type_checking_imports_are_not_edges():
    sources = {
        "institutes/__init__.py": "",
        "institutes/access.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from institutes.models import User\n"
        ),
        "institutes/models.py": "from institutes import access\n",
    }
    assert find_cycles(import_graph(sources)) == []
