from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant import Assistant, ConfigError, Settings, load_settings
from assistant.settings import FLAT_NAMES, GROUP_MODELS, RetrievalSettings


def test_later_sources_win_defaults_then_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text('collection = "from-file"\nk = 7\nchunk_size = 600\n')
    env = {"QA_COLLECTION": "from-env", "QA_K": "9"}
    settings = load_settings({"collection": "from-flag"}, config_file=config, environ=env)
    assert (
        settings.storage.collection,
        settings.retrieval.k,
        settings.ingest.chunk_size,
        settings.retrieval.rrf_k,
    ) == ("from-flag", 9, 600, 60)


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
    assert settings.storage.collection == "docs"
    assert heard == ["environment variable QA_COLECTION is not a setting and is ignored; did you mean QA_COLLECTION?"]


def test_the_data_folder_is_per_user_unless_a_qa_toml_or_a_setting_names_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).storage.data_dir == tmp_path / "xdg" / "cited-qa"
    project = tmp_path / "project"
    (project / "a" / "b").mkdir(parents=True)
    (project / "qa.toml").write_text("k = 4\n")
    monkeypatch.chdir(project / "a" / "b")
    assert load_settings(environ={}).storage.data_dir == project / ".qa-data"
    (project / "qa.toml").write_text('data_dir = "store"\n')
    # relative to the file, not the current folder
    assert load_settings(environ={}).storage.data_dir == project / "store"
    assert load_settings(environ={"QA_DATA_DIR": "/elsewhere"}).storage.data_dir == Path("/elsewhere")


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
    assert assistant.settings.storage.collection == "docs"
    assert assistant.settings.storage.data_dir == tmp_path


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


# Every name a setting had before the groups: (QA_* variable, qa.toml key and keyword, where it lives now,
# the variable's text, the value it means). Written out so that renaming any of them fails here.
OLD_NAMES = [
    ("QA_DATA_DIR", "data_dir", "storage.data_dir", "/srv/qa-data", Path("/srv/qa-data")),
    ("QA_MODELS_DIR", "models_dir", "models.dir", "/srv/qa-models", Path("/srv/qa-models")),
    ("QA_COLLECTION", "collection", "storage.collection", "team-notes", "team-notes"),
    ("QA_CHROMA_URL", "chroma_url", "storage.chroma_url", "http://localhost:8001", "http://localhost:8001"),
    (
        "QA_DATABASE_URL",
        "database_url",
        "storage.database_url",
        "postgresql://qa@db.internal:5432/qa",
        "postgresql://qa@db.internal:5432/qa",
    ),
    ("QA_EMBEDDER", "embedder", "models.embedder", "fake", "fake"),
    ("QA_EMBEDDING_MODEL", "embedding_model", "models.embedding_model", "/srv/mini", "/srv/mini"),
    ("QA_EMBED_BATCH_SIZE", "embed_batch_size", "ingest.embed_batch_size", "64", 64),
    ("QA_CHUNK_SIZE", "chunk_size", "ingest.chunk_size", "600", 600),
    ("QA_CHUNK_OVERLAP", "chunk_overlap", "ingest.chunk_overlap", "50", 50),
    ("QA_K", "k", "retrieval.k", "7", 7),
    ("QA_CANDIDATES", "candidates", "retrieval.candidates", "30", 30),
    ("QA_FUSION", "fusion", "retrieval.fusion", "rrf", "rrf"),
    ("QA_DENSE_WEIGHT", "dense_weight", "retrieval.dense_weight", "0.25", 0.25),
    ("QA_RRF_K", "rrf_k", "retrieval.rrf_k", "30", 30),
    ("QA_SECOND_SENTENCE_WEIGHT", "second_sentence_weight", "retrieval.second_sentence_weight", "0.2", 0.2),
    ("QA_SOURCE_SPREAD", "source_spread", "retrieval.source_spread", "0.3", 0.3),
    ("QA_MIN_RELEVANCE", "min_relevance", "answering.min_relevance", "0.4", 0.4),
    ("QA_MIN_TERM_COVERAGE", "min_term_coverage", "answering.min_term_coverage", "0.6", 0.6),
    ("QA_SEMANTIC_CHECK", "semantic_check", "answering.semantic_check", "false", False),
    ("QA_ANSWERER", "answerer", "llm.answerer", "extractive", "extractive"),
    ("QA_LLM_MODEL_PATH", "llm_model_path", "llm.model_path", "/srv/other.gguf", Path("/srv/other.gguf")),
    ("QA_LLM_BASE_URL", "llm_base_url", "llm.base_url", "http://localhost:8080/v1", "http://localhost:8080/v1"),
    ("QA_LLM_MODEL", "llm_model", "llm.model", "qwen", "qwen"),
    ("QA_LLM_API_KEY", "llm_api_key", "llm.api_key", "sk-test", "sk-test"),
    ("QA_LLM_CHAT_MODEL", "llm_chat_model", "llm.chat_model", "ollama:llama3.2", "ollama:llama3.2"),
    ("QA_LLM_TIMEOUT_S", "llm_timeout_s", "llm.timeout_s", "30", 30.0),
    ("QA_LLM_CONTEXT_TOKENS", "llm_context_tokens", "llm.context_tokens", "8192", 8192),
    ("QA_LLM_EXCERPT_CHARS", "llm_excerpt_chars", "llm.excerpt_chars", "1200", 1200),
    ("QA_LLM_MAX_TOKENS", "llm_max_tokens", "llm.max_tokens", "300", 300),
    ("QA_LLM_THREADS", "llm_threads", "llm.threads", "4", 4),
    ("QA_LLM_RUNTIME", "llm_runtime", "llm.runtime", "xllamacpp", "xllamacpp"),
    ("QA_WRITER_TIMEOUT_S", "writer_timeout_s", "ingest.writer_timeout_s", "5", 5.0),
    ("QA_MAX_UPLOAD_MB", "max_upload_mb", "server.max_upload_mb", "10", 10),
    ("QA_MAX_FILE_MB", "max_file_mb", "ingest.max_file_mb", "50", 50),
    ("QA_MAX_TEXT_CHARS", "max_text_chars", "ingest.max_text_chars", "100000", 100_000),
    (
        "QA_LINK_HOSTS",
        "link_hosts",
        "answering.link_hosts",
        "example.org, docs.example.com",
        ["example.org", "docs.example.com"],
    ),
    ("QA_FOLLOW_OUTSIDE_LINKS", "follow_outside_links", "ingest.follow_outside_links", "true", True),
    ("QA_MAX_UPLOAD_REQUEST_MB", "max_upload_request_mb", "server.max_upload_request_mb", "50", 50),
    ("QA_MAX_REQUEST_MB", "max_request_mb", "server.max_request_mb", "2", 2),
    ("QA_UPLOAD_QUEUE", "upload_queue", "server.upload_queue", "3", 3),
    ("QA_MAX_SENTENCE_VECTORS", "max_sentence_vectors", "ingest.max_sentence_vectors", "20000", 20_000),
    ("QA_API_KEYS", "api_keys", "server.api_keys", "s3cret,other", ["s3cret", "other"]),
    ("QA_ANSWER_QUEUE", "answer_queue", "server.answer_queue", "2", 2),
]


def grouped(settings: Settings, place: str) -> object:
    group, name = place.split(".")
    return getattr(getattr(settings, group), name)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(f'"{item}"' for item in value) + "]"
    return f'"{value}"' if isinstance(value, (str, Path)) else str(value)


def test_the_old_names_are_every_setting_and_each_differs_from_its_default() -> None:
    assert [key for _, key, _, _, _ in OLD_NAMES] == list(FLAT_NAMES)
    fields = {f"{group}.{name}" for group in GROUP_MODELS for name in GROUP_MODELS[group].model_fields}
    assert sorted(place for _, _, place, _, _ in OLD_NAMES) == sorted(fields)  # each grouped field has one old name
    defaults = Settings()
    assert [key for _, key, place, _, value in OLD_NAMES if grouped(defaults, place) == value] == []


@pytest.mark.parametrize(("variable", "key", "place", "text", "value"), OLD_NAMES, ids=[row[0] for row in OLD_NAMES])
def test_each_qa_variable_sets_its_grouped_setting(
    variable: str, key: str, place: str, text: str, value: object
) -> None:
    assert variable == f"QA_{key.upper()}"
    heard: list[str] = []
    settings = load_settings(config_file=None, environ={variable: text}, warn=heard.append)
    assert grouped(settings, place) == value
    assert heard == []


def test_each_flat_qa_toml_key_sets_its_grouped_setting(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text("".join(f"{key} = {toml_value(value)}\n" for _, key, _, _, value in OLD_NAMES))
    settings = load_settings(config_file=config, environ={})
    assert {key: grouped(settings, place) for _, key, place, _, _ in OLD_NAMES} == {
        key: value for _, key, _, _, value in OLD_NAMES
    }


def test_each_flat_keyword_of_settings_and_of_load_settings_sets_its_grouped_setting() -> None:
    given = {key: value for _, key, _, _, value in OLD_NAMES}
    built, loaded = Settings(**given), load_settings(given, environ={})
    for _, key, place, _, value in OLD_NAMES:
        assert (grouped(built, place), grouped(loaded, place)) == (value, value), key
    assert built.flat() == given
    assert built.updated(k=9, llm_model="other").flat() == {**given, "k": 9, "llm_model": "other"}


def test_grouped_tables_in_qa_toml_and_grouped_keywords_are_accepted_too(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text('[retrieval]\nk = 8\nfusion = "rrf"\n\n[llm]\nbase_url = "http://localhost:9/v1"\n')
    settings = load_settings({"llm": {"max_tokens": 64}}, config_file=config, environ={"QA_K": "3"})
    assert (settings.retrieval.k, settings.retrieval.fusion) == (3, "rrf")  # QA_K is above the file
    assert (settings.llm.base_url, settings.llm.max_tokens) == ("http://localhost:9/v1", 64)
    built = Settings(retrieval=RetrievalSettings(k=4), candidates=20)
    assert (built.retrieval.k, built.retrieval.candidates) == (4, 20)
    assert Settings(retrieval={"k": 4}, k=6).retrieval.k == 6  # a flat name beside its group wins


def test_a_misspelt_key_in_a_group_table_gets_a_did_you_mean_in_that_group(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text("[llm]\nbase_ur = 'http://localhost:9'\n")
    expected = r"'llm.base_ur' \(in .*qa.toml\): unknown setting; did you mean 'llm.base_url'\?"
    with pytest.raises(ConfigError, match=expected):
        load_settings(config_file=config, environ={})


def test_a_bad_value_in_a_group_table_is_named_by_its_setting_and_file(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text("[retrieval]\nk = 0\n")
    with pytest.raises(ConfigError, match=r"setting 'k' \(in .*qa.toml\): Input should be greater than or equal to 1"):
        load_settings(config_file=config, environ={})


def test_updated_settings_are_validated_like_new_ones() -> None:
    with pytest.raises(ValidationError, match="collection"):
        Settings().updated(collection="a b")
    with pytest.raises(ValidationError, match="k"):
        Settings().updated(k=0)
    with pytest.raises(ValidationError, match="colection"):
        Settings(colection="x")  # type: ignore[call-arg]
