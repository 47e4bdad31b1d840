"""The house's floors: a module imports only from its own floor or the floors below it (the README's
Layout lists them top down, lowest first), and MLflow only in ``tracking.py``. Every import is read,
also the ones inside functions: a lazy import is still an arrow."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "repurchase"

#: lowest first; a top-level module or package of repurchase -> its floor
FLOORS = [
    {"errors", "schema", "_timeline", "_arrow", "_io", "_lock", "tracking"},
    {"config"},
    {"spine"},
    {"engine"},
    {"data"},
    {"synthetic", "labels"},
    {"features", "segments"},
    {"models"},
    {"scoring"},
    {"export", "lift", "reports"},
    {"pipelines"},
    {"cli", "_format", "api", "__init__", "__main__"},
]
FLOOR = {unit: i for i, units in enumerate(FLOORS) for unit in units}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "repurchase":  # from repurchase import tracking
                yield from (f"repurchase.{a.name}" for a in node.names)
            else:
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def test_every_module_has_a_floor():
    units = {_unit(".".join(p.relative_to(SRC.parent).with_suffix("").parts)) for p in SRC.rglob("*.py")}
    assert units - set(FLOOR) == set(), "add the new module to FLOORS (and the README's Layout)"


def test_no_module_imports_one_on_a_higher_floor():
    upward = []
    for path in sorted(SRC.rglob("*.py")):
        me = _unit(".".join(path.relative_to(SRC.parent).with_suffix("").parts))
        for module in _imports(path):
            if module.startswith("repurchase.") or module == "repurchase":
                other = _unit(module)
                if other in FLOOR and FLOOR[other] > FLOOR[me]:
                    upward.append(f"{path.relative_to(SRC.parent)} imports {module} (floor {FLOOR[other]} > {FLOOR[me]})")
    assert upward == []


def test_only_tracking_imports_mlflow():
    users = sorted(str(p.relative_to(SRC.parent)) for p in SRC.rglob("*.py")
                   if any(m == "mlflow" or m.startswith("mlflow.") for m in _imports(p)))
    assert users == ["repurchase/tracking.py"]


def test_no_source_file_is_over_300_lines():
    long = {str(p.relative_to(SRC.parent)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}
    assert long == {}
