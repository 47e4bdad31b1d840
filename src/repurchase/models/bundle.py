"""Model bundles for hosts that score without MLflow: ``model.joblib`` plus ``manifest.json``.

joblib is pickle: a bundle is loaded only after the SHA-256 of ``model.joblib`` matches the
manifest, so a tampered or truncated file is refused before any of it is unpickled.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

import joblib

from repurchase._io import atomic_dir
from repurchase.errors import RepurchaseError

MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_bundle(model: Any, manifest: Mapping[str, Any], out: str | Path) -> Path:
    """Write the bundle directory atomically; the manifest gains ``sha256`` of the model file."""
    out = Path(out)
    with atomic_dir(out) as tmp:
        joblib.dump(model, tmp / MODEL_FILE)
        full = {**manifest, "model_file": MODEL_FILE, "sha256": sha256(tmp / MODEL_FILE)}
        (tmp / MANIFEST_FILE).write_text(json.dumps(full, indent=2, sort_keys=True, default=str), encoding="utf-8")
    return out


def load_bundle(path: str | Path) -> tuple[Any, dict]:
    """Load a bundle after checking the model file's SHA-256 against the manifest."""
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RepurchaseError(f"model bundle {path}: cannot read {MANIFEST_FILE} ({exc})") from exc
    model_path = path / manifest.get("model_file", MODEL_FILE)
    if not model_path.is_file():
        raise RepurchaseError(f"model bundle {path}: {model_path.name} is missing")
    actual = sha256(model_path)
    if actual != manifest.get("sha256"):
        raise RepurchaseError(
            f"model bundle {path}: {model_path.name} does not match its manifest (sha256 {actual[:12]}..., "
            f"manifest {str(manifest.get('sha256'))[:12]}...); refusing to load a file that may have been altered."
        )
    return joblib.load(model_path), manifest
