from pathlib import Path

import pytest

from assistant import Assistant, ConfigError, load_settings
from assistant.answerers import build_answerer
from assistant.embedder import FakeEmbedder


def test_later_sources_win_defaults_then_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text('collection = "from-file"\nk = 7\nchunk_size = 600\n')
    env = {"QA_COLLECTION": "from-env", "QA_K": "9"}
    settings = load_settings({"collection": "from-flag"}, config_file=config, environ=env)
    assert (settings.collection, settings.k, settings.chunk_size, settings.rrf_k) == ("from-flag", 9, 600, 60)


def test_invalid_collection_name_says_what_is_allowed() -> None:
    with pytest.raises(ConfigError, match=r"collection.*QA_COLLECTION.*invalid collection name 'a b'.*3-512"):
        load_settings({"collection": "a b"}, environ={})


def test_unknown_setting_in_the_file_lists_valid_ones(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text("colection = 'x'\n")
    with pytest.raises(ConfigError, match="'colection'.*unknown setting; valid ones are: data_dir"):
        load_settings(config_file=config, environ={})


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text("k = = 3")
    with pytest.raises(ConfigError, match="qa.toml: not valid TOML"):
        load_settings(config_file=config, environ={})


def test_bad_number_in_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="'k'.*QA_K"):
        load_settings(environ={"QA_K": "many"})


def test_unknown_answerer_lists_the_available_ones(tmp_path: Path) -> None:
    settings = load_settings({"answerer": "gpt-9", "data_dir": tmp_path}, environ={})
    with pytest.raises(ConfigError, match="unknown answerer .gpt-9.*choose one of: local, openai, extractive"):
        build_answerer(settings, FakeEmbedder())


def test_from_settings_reads_environment_under_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QA_COLLECTION", "env-name")
    assistant = Assistant.from_settings(collection="docs", answerer="extractive")
    assert assistant.settings.collection == "docs"
    assert assistant.settings.data_dir == tmp_path
