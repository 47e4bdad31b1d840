from __future__ import annotations

import datetime as dt

import pytest
import yaml

from repurchase.config import Config, load_config, parse_override
from repurchase.errors import ConfigError
from tests.conftest import REPO


def test_base_yaml_equals_builtin_defaults():
    assert load_config(REPO / "configs" / "base.yaml") == Config()


@pytest.mark.parametrize("profile", sorted(p.stem for p in (REPO / "configs" / "profiles").glob("*.yaml")))
def test_every_profile_loads(profile):
    cfg = load_config(REPO / "configs" / "base.yaml", profile=profile)
    assert isinstance(cfg, Config)


def test_layering_base_profile_override(tmp_path):
    (tmp_path / "profiles").mkdir()
    base = tmp_path / "base.yaml"
    base.write_text("generate:\n  customers: 10\n  seed: 1\nmetrics:\n  period: year\n")
    (tmp_path / "profiles" / "p.yaml").write_text("generate:\n  customers: 20\n")
    cfg = load_config(base, "p", ["generate.seed=7"])
    assert (cfg.generate.customers, cfg.generate.seed, cfg.metrics.period) == (20, 7, "year")
    assert cfg.generate.start == dt.date(2024, 1, 1)  # untouched defaults survive


def test_unknown_key_names_key_and_file(tmp_path):
    (tmp_path / "profiles").mkdir()
    base = tmp_path / "base.yaml"
    base.write_text("metrics: {}\n")
    (tmp_path / "profiles" / "p.yaml").write_text("metrics:\n  perod: month\n")
    with pytest.raises(ConfigError, match=r"metrics\.perod.*p\.yaml"):
        load_config(base, "p")
    with pytest.raises(ConfigError, match=r"unknown config key 'nope'.*command-line"):
        load_config(None, None, ["nope.x=1"])


def test_wrong_type_is_refused_with_its_key():
    with pytest.raises(ConfigError, match=r"generate\.customers"):
        load_config(None, None, ["generate.customers=many"])


def test_column_mapping_must_use_canonical_names():
    with pytest.raises(ConfigError, match="order_time"):
        load_config(None, None, [{"data": {"columns": {"orders": {"order_time": "下单时间"}}}}])
    with pytest.raises(ConfigError, match="unknown table 'sales'"):
        load_config(None, None, [{"data": {"columns": {"sales": {"order_id": "x"}}}}])


def test_unknown_timezone_refused():
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        load_config(None, None, ["data.timezone=Mars/Olympus"])


def test_missing_profile_lists_available(tmp_path):
    with pytest.raises(ConfigError, match="available: .*demo"):
        load_config(REPO / "configs" / "base.yaml", "nosuch")


def test_parse_override_yaml_values():
    assert parse_override("a.b=3") == {"a": {"b": 3}}
    assert parse_override("a=[1, 2]") == {"a": [1, 2]}
    assert parse_override("a.b=") == {"a": {"b": None}}
    with pytest.raises(ConfigError):
        parse_override("novalue")


def test_non_mapping_yaml_refused(tmp_path):
    f = tmp_path / "list.yaml"
    f.write_text(yaml.safe_dump([1, 2]))
    with pytest.raises(ConfigError, match="mapping"):
        load_config(f)


def test_data_contract_doc_is_generated_from_the_schema():
    from repurchase.schema import contract_markdown

    assert (REPO / "docs" / "data_contract.md").read_text(encoding="utf-8").strip() == contract_markdown().strip(), \
        "regenerate: repurchase schema --markdown > docs/data_contract.md"
