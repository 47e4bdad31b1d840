"""Loading: the root :class:`Config`, YAML files, ``section.key=value`` overrides and the layering
base < profile < command-line override, with unknown keys refused naming the file they came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml
from pydantic import BaseModel, ValidationError

from repurchase.config._base import _Strict
from repurchase.config.data import DataConfig
from repurchase.config.engine import EngineConfig
from repurchase.config.export import ExportConfig
from repurchase.config.features import FeatureConfig
from repurchase.config.generate import GenerateConfig
from repurchase.config.metrics import MetricsConfig
from repurchase.config.models import ModelConfig
from repurchase.config.scoring import ScoringConfig
from repurchase.errors import ConfigError


# no docstring on purpose: it would become the description of the JSON schema
class Config(_Strict):
    data: DataConfig = DataConfig()
    generate: GenerateConfig = GenerateConfig()
    metrics: MetricsConfig = MetricsConfig()
    features: FeatureConfig = FeatureConfig()
    models: ModelConfig = ModelConfig()
    scoring: ScoringConfig = ScoringConfig()
    export: ExportConfig = ExportConfig()
    engine: EngineConfig = EngineConfig()


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top, not {type(data).__name__}")
    return data


def _check_keys(model: type[BaseModel], data: Mapping[str, Any], source: str, prefix: str = "") -> None:
    """Refuse unknown keys, naming the dotted key and where it came from."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        field = model.model_fields.get(key)
        if field is None:
            known = ", ".join(model.model_fields)
            raise ConfigError(f"unknown config key '{dotted}' in {source} (known here: {known})")
        sub = field.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            if not isinstance(value, Mapping):
                raise ConfigError(f"config key '{dotted}' in {source} must be a mapping")
            _check_keys(sub, value, source, dotted + ".")


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_override(text: str) -> dict[str, Any]:
    """Turn ``a.b.c=value`` into ``{"a": {"b": {"c": value}}}``; the value is parsed as YAML."""
    if "=" not in text:
        raise ConfigError(f"override '{text}' must look like section.key=value")
    key, raw = text.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ConfigError(f"override '{text}' has no key")
    try:
        value: Any = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"override '{text}': value is not valid YAML: {exc}") from exc
    for part in reversed(parts):
        value = {part: value}
    return value


def default_config_dir() -> Path:
    """``./configs`` when it exists, else the repository's ``configs`` next to the sources."""
    here = Path.cwd() / "configs"
    if here.is_dir():
        return here
    # src/repurchase/config/load.py -> the repository root is three folders up
    return Path(__file__).resolve().parents[3] / "configs"


def load_config(
    path: str | Path | None = None,
    profile: str | None = None,
    overrides: Sequence[str | Mapping[str, Any]] = (),
) -> Config:
    """Load the layered config.

    Parameters
    ----------
    path : path, optional
        A base YAML file; by default the built-in defaults (equal to ``configs/base.yaml``).
    profile : str, optional
        Name of ``profiles/<profile>.yaml`` beside the base file (or in ``configs/``), or a path.
    overrides : sequence
        ``section.key=value`` strings or mappings, applied last, in order.
    """
    layers: list[tuple[str, Mapping[str, Any]]] = []
    config_dir = default_config_dir()
    if path is not None:
        path = Path(path)
        layers.append((str(path), _read_yaml(path)))
        config_dir = path.parent
    if profile:
        candidate = Path(profile)
        if candidate.suffix not in (".yaml", ".yml"):
            candidate = config_dir / "profiles" / f"{profile}.yaml"
        if not candidate.is_file():
            available = sorted(p.stem for p in (config_dir / "profiles").glob("*.yaml"))
            raise ConfigError(
                f"profile '{profile}' not found at {candidate} "
                f"(available: {', '.join(available) or 'none'})"
            )
        layers.append((str(candidate), _read_yaml(candidate)))
    for item in overrides:
        layer = parse_override(item) if isinstance(item, str) else dict(item)
        layers.append((f"command-line override {item!r}", layer))

    merged: dict[str, Any] = {}
    for source, layer in layers:
        _check_keys(Config, layer, source)
        merged = _merge(merged, layer)
    if profile and not (merged.get("models") or {}).get("name_prefix"):
        # one registry per shop: a profile's models are named after it unless it names them
        merged = _merge(merged, {"models": {"name_prefix": candidate.stem}})
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        sources = ", ".join(s for s, _ in layers) or "defaults"
        raise ConfigError(f"invalid config ({sources}): {problems}") from exc
