"""Every public function and method of formcheck.{model,kinematics,assess,io} that takes
arguments documents them in a numpydoc ``Parameters`` section, and a ``Returns`` (or
``Yields``) section when it is annotated to return something other than None."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "formcheck"
PACKAGES = ("model", "kinematics", "assess", "io")


def _section(doc: str, name: str) -> bool:
    """True when ``doc`` has a numpydoc section ``name`` (its title underlined with dashes)."""
    return re.search(rf"^\s*{name}\s*\n\s*-{{3,}}\s*$", doc, re.MULTILINE) is not None


def _is_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for d in node.decorator_list:
        if isinstance(d, ast.Name) and d.id in ("property", "cached_property"):
            return True
        if isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter", "cached_property"):
            return True
    return False


def _returns_value(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    r = node.returns
    if r is None:
        return False
    return not (isinstance(r, ast.Constant) and r.value is None) and ast.unparse(r) != "None"


def public_functions() -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(file:line qualified name, node) of the public functions and methods that take
    at least one argument besides ``self`` / ``cls``."""
    found = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))

            def visit(body: list[ast.stmt], prefix: str, path: Path = path) -> None:
                for n in body:
                    if isinstance(n, ast.ClassDef) and not n.name.startswith("_"):
                        visit(n.body, f"{prefix}{n.name}.")
                    elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and not n.name.startswith("_"):
                        if _is_property(n):
                            continue
                        args = [a.arg for a in n.args.posonlyargs + n.args.args + n.args.kwonlyargs
                                if a.arg not in ("self", "cls")]
                        if args:
                            rel = path.relative_to(ROOT.parent)
                            found.append((f"{rel}:{n.lineno} {prefix}{n.name}", n))

            visit(tree.body, "")
    return found


FUNCTIONS = public_functions()


def test_scan_finds_the_public_api() -> None:
    names = {name.split(" ", 1)[1] for name, _ in FUNCTIONS}
    assert len(FUNCTIONS) > 50
    assert {"change_ci", "json_ready", "AnalysisFolder.file", "LatestFrameSlot.get"} <= names


def test_section_detection() -> None:
    assert _section("Summary.\n\n    Parameters\n    ----------\n    x : int\n", "Parameters")
    assert not _section("Summary. Parameters are described above.\n", "Parameters")
    assert not _section("Returns (a, b) per frame.\n", "Returns")


def test_every_public_function_has_parameters() -> None:
    missing = [name for name, n in FUNCTIONS if not _section(ast.get_docstring(n) or "", "Parameters")]
    assert missing == [], "no numpydoc Parameters section:\n" + "\n".join(missing)


def test_every_returning_function_has_returns() -> None:
    missing = [name for name, n in FUNCTIONS if _returns_value(n)
               and not (_section(ast.get_docstring(n) or "", "Returns")
                        or _section(ast.get_docstring(n) or "", "Yields"))]
    assert missing == [], "no numpydoc Returns/Yields section:\n" + "\n".join(missing)


@pytest.mark.parametrize("pkg", PACKAGES)
def test_package_is_scanned(pkg: str) -> None:
    assert any(name.startswith(f"formcheck/{pkg}/") for name, _ in FUNCTIONS)
