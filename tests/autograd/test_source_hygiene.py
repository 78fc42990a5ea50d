"""Guards against a class of bug in the op modules: a module-level function named like a builtin
(``sum``, ``max``, ``min``, ``abs``, ``pow``) shadows it for the whole module, so a later plain
call such as ``max(a, b)`` silently runs the tensor op instead. Use ``builtins.max`` there."""
from __future__ import annotations

import ast
import builtins
import pathlib

import pytest

import losslab.autograd

SRC = pathlib.Path(losslab.autograd.__file__).parent
FILES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SRC)) for p in FILES])
def test_no_call_to_a_shadowed_builtin(path):
    tree = ast.parse(path.read_text())
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    shadowed = {d for d in defined if hasattr(builtins, d)}
    calls = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.Lambda)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in shadowed:
                calls.append(f"line {node.lineno}: {node.func.id}(...)")
    assert not calls, f"{path.name} calls module-level {sorted(shadowed)} that shadow builtins: {calls}"
