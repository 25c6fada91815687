"""The house: subpackages in one-way data flow, checked by import-linter.

The contracts live in pyproject.toml ([tool.importlinter]); this test runs them, and
checks that they do catch a planted violation (so a broken linter set-up cannot pass
silently), that every subpackage states its purpose in one line, and that the
README's architecture section names every subpackage in data-flow order.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "formcheck"
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())"]


def subpackages() -> list[str]:
    return sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))


def run_linter(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([*LINT, "--config", str(root / "pyproject.toml")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_import_contracts_hold():
    proc = run_linter(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize(("module", "planted", "message"), [
    ("kinematics/metrics.py", "formcheck.render.report", "formcheck.kinematics is not allowed to import formcheck.render"),
    # io sits above assess in the layers, so only its own contract stops this import
    ("io/migrate.py", "formcheck.assess.verdict", "formcheck.io is not allowed to import formcheck.assess"),
])
def test_a_forbidden_import_is_caught(tmp_path, module, planted, message):
    shutil.copytree(PACKAGE, tmp_path / "formcheck", ignore=shutil.ignore_patterns("__pycache__", "_models"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    victim = tmp_path / "formcheck" / module
    victim.write_text(victim.read_text() + f"\nimport {planted}  # planted violation\n")
    proc = run_linter(tmp_path)
    assert proc.returncode != 0
    assert message in proc.stdout


def test_every_subpackage_states_its_purpose_in_one_line():
    for name in subpackages():
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert doc and "\n" not in doc.strip() and len(doc) > 20, name


def test_layers_contract_and_readme_name_every_subpackage_in_data_flow_order():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    top_down = [m.removeprefix("formcheck.") for m in layers]
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"^\| `(\w+)/` \|", section, flags=re.M)
    assert sorted(named) == subpackages()
    in_layers = [n for n in named if n in top_down]
    # the README lists them bottom-up (the way data flows), the contract top-down
    assert in_layers == [n for n in reversed(top_down) if n in named]


@pytest.mark.parametrize("name", ["pandas", "scipy"])
def test_importing_the_pose_pass_leaves_pandas_and_scipy_out(name):
    code = ("import sys, formcheck.pose.extract, formcheck.pipeline.run, formcheck.io.folder; "
            f"print({name!r} in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def import_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.append(member)
                    if member == node:
                        break
                if len(comp) > 1:
                    cycles.append(sorted(comp))
    return cycles


def module_graph(package: str = "formcheck") -> dict[str, set[str]]:
    """Every import between the package's modules that runs (at module level or in a
    function; not those under ``if TYPE_CHECKING``), plus the packages an import runs on
    the way: importing ``a.b.c`` executes ``a/b/__init__``, so an ``__init__`` that
    re-exports a module which imports the package back is a cycle too."""
    import grimp

    graph = grimp.build_graph(package, exclude_type_checking_imports=True, cache_dir=None)
    edges: dict[str, set[str]] = {m: set() for m in graph.modules}
    for module in graph.modules:
        for target in graph.find_modules_directly_imported_by(module):
            parts = target.split(".")
            for i in range(2, len(parts) + 1):  # the root package's __init__ imports nothing
                name = ".".join(parts[:i])
                if name in edges and name != module:
                    edges[module].add(name)
    return edges


def test_cycle_finder_finds_cycles():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_the_module_graph_has_no_cycles():
    edges = module_graph()
    assert "formcheck.store" in edges["formcheck.store.library"]  # the package it runs on the way
    assert import_cycles(edges) == []


# --------------------------------------------------------------------------- the skeleton
#
# Only the pose backend (formcheck/pose/) and the skeleton definition
# (formcheck/model/skeleton.py) may know the model's points by number; everything else asks
# a Skeleton by name. What the scan below catches, and what it does not:
# - an integer literal equal to BlazePose's point count (33), and "33" as an array axis in a
#   string, e.g. a docstring's "(n, 33, 2)";
# - an integer literal >= 5 inside a subscript (``xy[:, 7]``, ``xy[[11, 12]]``): the body
#   points BlazePose numbers 7-32, while coordinate axes are 0-2 and the package's tuple
#   fields stop at 4. Not caught: the nose (0) and the eyes (1-6) by number, an index held
#   in a variable that is not named after a body part, a bare pair like ``(25, 26)`` kept
#   for later indexing, or a comparison such as ``j < 11``;
# - a module constant named after a body part holding integers (``L_EAR, R_EAR = 7, 8``);
# - a dict display numbering five or more points (``{0: "nose", 1: ..., ...}``).

SKELETON_OWNERS = ("formcheck/pose/", "formcheck/model/skeleton.py")
BODY_PART = re.compile(r"(NOSE|EAR|EYE|MOUTH|SHOULDER|ELBOW|WRIST|HIP|KNEE|ANKLE|HEEL|FOOT|TOE)")
AXIS_33 = re.compile(r"[(,]\s*33\s*[,)]")


def _ints(node: ast.AST) -> list[int]:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [i for e in node.elts for i in _ints(e)]
    return []


def landmark_numbers(source: str, n_points: int = 33) -> list[str]:
    """Where ``source`` names landmarks by number (see the comment above)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"line {getattr(node, 'lineno', '?')}: "
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value == n_points:
            found.append(where + f"the point count {n_points}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and AXIS_33.search(node.value):
            found.append(where + "an axis of 33 in a string")
        elif isinstance(node, ast.Subscript):
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if any(i >= 5 for e in elts for i in _ints(e)):
                found.append(where + "an integer index >= 5: " + ast.unparse(node))
        elif isinstance(node, ast.Assign):
            names = [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            if any(BODY_PART.search(n.upper()) for n in names) and _ints(node.value):
                found.append(where + f"a body-part constant {', '.join(names)}")
        elif isinstance(node, ast.Dict):
            numbered = [k for k in node.keys if k is not None and _ints(k)]
            if len(numbered) >= 5 and all(isinstance(v, ast.Constant) and isinstance(v.value, str)
                                          for v in node.values):
                found.append(where + "a table of numbered points")
    return found


def test_only_pose_and_the_skeleton_definition_number_the_landmarks():
    files = [p for p in sorted(PACKAGE.rglob("*.py"))
             if not str(p.relative_to(ROOT)).startswith(SKELETON_OWNERS)]
    assert len(files) > 80  # the whole package, less the pose backend
    from formcheck.model.skeleton import BLAZEPOSE

    found = {str(p.relative_to(ROOT)): hits for p in files
             if (hits := landmark_numbers(p.read_text(), BLAZEPOSE.n))}
    assert found == {}


@pytest.mark.parametrize(("code", "caught"), [
    ("y = xy[:, 7]", True),
    ("sh = np.nanmean(xy[[11, 12]], axis=0)", True),
    ("p = frame[27]", True),
    ("a = np.zeros((n, 33, 2))", True),
    ("order = [j[i] for i in range(33)]", True),
    ("def f():\n    '''xy: (n, 33, 2) pixels'''", True),
    ("L_EAR, R_EAR = 7, 8", True),
    ("NOSE = 0", True),
    ("J = {0: 'nose', 1: 'eye', 2: 'eye', 3: 'eye', 4: 'ear'}", True),
    ("x = xy[:, 0]; z = w[:, [0, 2]]; t = row[3]; s = name[:12]", False),
    ("ear = series.point('left_ear'); li, ri = sk.pair('ear')", False),
    ("text = 'at 43 / 33 px of torso'", False),
])
def test_the_landmark_number_scan_catches_what_it_claims(code: str, caught: bool):
    assert bool(landmark_numbers(code)) is caught
