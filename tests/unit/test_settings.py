from pathlib import Path

import pytest

from assistant import Assistant, ConfigError, load_settings


def test_later_sources_win_defaults_then_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text('collection = "from-file"\nk = 7\nchunk_size = 600\n')
    env = {"QA_COLLECTION": "from-env", "QA_K": "9"}
    settings = load_settings({"collection": "from-flag"}, config_file=config, environ=env)
    assert (settings.collection, settings.k, settings.chunk_size, settings.rrf_k) == ("from-flag", 9, 600, 60)


def test_invalid_collection_name_says_what_is_allowed_and_where_it_came_from() -> None:
    with pytest.raises(ConfigError, match=r"collection.*command line.*invalid collection name 'a b'.*3-512"):
        load_settings({"collection": "a b"}, environ={})


def test_a_misspelt_setting_in_the_file_gets_a_did_you_mean(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text("colection = 'x'\n")
    with pytest.raises(ConfigError, match=r"'colection'.*unknown setting; did you mean 'collection'\?"):
        load_settings(config_file=config, environ={})


def test_an_unknown_setting_like_no_other_lists_valid_ones(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text("flavour = 'x'\n")
    with pytest.raises(ConfigError, match=r"'flavour'.*unknown setting; valid ones are: data_dir"):
        load_settings(config_file=config, environ={})


def test_a_misspelt_variable_is_warned_about_and_other_qa_variables_are_not() -> None:
    heard: list[str] = []
    settings = load_settings(
        environ={"QA_COLECTION": "x", "QA_SOMETHING_ELSE": "y", "QA_PAUSE_AT": "load"}, warn=heard.append
    )
    assert settings.collection == "docs"
    assert heard == ["environment variable QA_COLECTION is not a setting and is ignored; did you mean QA_COLLECTION?"]


def test_the_data_folder_is_per_user_unless_a_qa_toml_or_a_setting_names_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).data_dir == tmp_path / "xdg" / "cited-qa"
    project = tmp_path / "project"
    (project / "a" / "b").mkdir(parents=True)
    (project / "qa.toml").write_text("k = 4\n")
    monkeypatch.chdir(project / "a" / "b")
    assert load_settings(environ={}).data_dir == project / ".qa-data"
    (project / "qa.toml").write_text('data_dir = "store"\n')
    assert load_settings(environ={}).data_dir == project / "store"  # relative to the file, not the current folder
    assert load_settings(environ={"QA_DATA_DIR": "/elsewhere"}).data_dir == Path("/elsewhere")


def test_a_bad_value_in_the_file_names_the_file_not_an_unset_variable(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text('k = "five"\n')
    with pytest.raises(ConfigError, match=r"'k' \(in .*qa.toml\)") as caught:
        load_settings(config_file=config, environ={})
    assert "QA_K" not in str(caught.value)


def test_a_missing_settings_file_named_by_qa_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing.toml: the settings file named by QA_CONFIG does not exist"):
        load_settings(environ={"QA_CONFIG": str(tmp_path / "missing.toml")})


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text("k = = 3")
    with pytest.raises(ConfigError, match=r"qa.toml: not valid TOML"):
        load_settings(config_file=config, environ={})


def test_bad_number_in_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"'k'.*QA_K"):
        load_settings(environ={"QA_K": "many"})


def test_unknown_answerer_lists_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'answerer'.*QA_ANSWERER.*'local', 'openai' or 'extractive'"):
        load_settings(environ={"QA_ANSWERER": "gpt-9"})


def test_from_settings_reads_environment_under_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QA_COLLECTION", "env-name")
    assistant = Assistant.from_settings(collection="docs", answerer="extractive")
    assert assistant.settings.collection == "docs"
    assert assistant.settings.data_dir == tmp_path


def test_each_backend_name_the_settings_accept_has_exactly_one_factory() -> None:
    from typing import get_args

    from assistant.answering.answerers import ANSWERERS
    from assistant.models.embedder import EMBEDDERS
    from assistant.models.llm import CHAT_MODELS, RUNTIMES
    from assistant.settings import AnswererName, ChatBackend, EmbedderName, RuntimeName

    def names(alias: object) -> set[str]:  # a Literal may hold another Literal (AnswererName holds ChatBackend)
        return {name for arg in get_args(alias) for name in (names(arg) if get_args(arg) else {arg})}

    assert set(EMBEDDERS) == names(EmbedderName)
    assert set(ANSWERERS) == names(AnswererName)
    assert set(CHAT_MODELS) == names(ChatBackend)
    assert set(RUNTIMES) == names(RuntimeName)
