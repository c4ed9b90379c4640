"""rag/config.py: one Settings object built from the environment; bad values are ConfigErrors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.config import EmbedKey, Settings, load_settings, parse_embed_keys
from rag.errors import ConfigError

KEYS = {"site-key": {"origins": ["https://intranet.example/"], "per_minute": 5}}


def test_defaults_without_environment() -> None:
    settings = load_settings(env={})
    assert settings.index_dir == Path(".rag")
    assert settings.chroma_host is None
    assert settings.llm == "extractive"
    assert settings.llm_timeout == 30.0
    assert settings.api_key is None
    assert settings.embed_keys == {}
    assert settings.store_label == "chroma-embedded"


def test_environment_variables_are_read() -> None:
    settings = load_settings(
        env={
            "RAG_INDEX_DIR": "/data/index",
            "CHROMA_HOST": "chroma.local",
            "CHROMA_PORT": "9000",
            "RAG_LLM": "OpenAI",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": "http://127.0.0.1:1/v1",
            "RAG_LLM_MODEL": "llama3",
            "RAG_LLM_TIMEOUT": "2.5",
            "RAG_API_KEY": "secret",
        }
    )
    assert settings.index_dir == Path("/data/index")
    assert (settings.chroma_host, settings.chroma_port) == ("chroma.local", 9000)
    assert settings.store_label == "chroma-server http://chroma.local:9000"
    assert settings.llm == "openai"
    assert settings.openai_api_key == "sk-test"
    assert settings.openai_base_url == "http://127.0.0.1:1/v1"
    assert settings.llm_model == "llama3"
    assert settings.llm_timeout == 2.5
    assert settings.api_key == "secret"


def test_empty_variables_count_as_unset() -> None:
    settings = load_settings(env={"RAG_INDEX_DIR": "", "CHROMA_HOST": "", "RAG_LLM_TIMEOUT": ""})
    assert settings.index_dir == Path(".rag") and settings.chroma_host is None
    assert settings.llm_timeout == 30.0


def test_process_environment_is_read_when_no_env_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_INDEX_DIR", "/from/environ")
    assert load_settings().index_dir == Path("/from/environ")


def test_overrides_win_over_environment_and_none_is_ignored() -> None:
    settings = load_settings(env={"RAG_INDEX_DIR": "/env"}, index_dir=Path("/flag"), top_k=None)
    assert settings.index_dir == Path("/flag") and settings.top_k == 5
    assert settings.with_overrides(top_k=8, retrieval=None).top_k == 8


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().top_k = 3  # type: ignore[misc]


def test_embed_keys_inline_json() -> None:
    settings = load_settings(env={"RAG_EMBED_KEYS": json.dumps(KEYS)})
    assert settings.embed_keys == {
        "site-key": EmbedKey(origins=("https://intranet.example",), per_minute=5)
    }


def test_embed_keys_from_a_file_path(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(KEYS))
    settings = load_settings(env={"RAG_EMBED_KEYS": str(path)})
    assert settings.embed_keys["site-key"].origins == ("https://intranet.example",)


def test_embed_key_without_per_minute_gets_a_default_limit() -> None:
    keys = parse_embed_keys('{"k": {"origins": ["https://a.example"]}}')
    assert keys["k"].per_minute == 20


@pytest.mark.parametrize(
    "env",
    [
        {"RAG_LLM": "gpt"},
        {"CHROMA_PORT": "eighty"},
        {"CHROMA_PORT": "70000"},
        {"CHROMA_PORT": "0"},
        {"RAG_LLM_TIMEOUT": "soon"},
        {"RAG_LLM_TIMEOUT": "-1"},
        {"RAG_LLM_TIMEOUT": "0"},
        {"RAG_LLM_TIMEOUT": "nan"},
        {"RAG_EMBED_KEYS": "{not json"},
        {"RAG_EMBED_KEYS": "[1, 2]"},
        {"RAG_EMBED_KEYS": '{"k": {"origins": "https://a.example"}}'},
        {"RAG_EMBED_KEYS": '{"k": "https://a.example"}'},
        {"RAG_EMBED_KEYS": '{"k": {"origins": [], "per_minute": "lots"}}'},
        {"RAG_EMBED_KEYS": "/no/such/keys.json"},
    ],
    ids=lambda env: "-".join(f"{k}={v}" for k, v in env.items()),
)
def test_bad_values_raise_config_error_naming_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env=env)
    assert next(iter(env)) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_config_error_is_a_usage_error() -> None:
    assert ConfigError.exit_code == 2


def test_child_environment_keeps_ours_sets_overrides_and_prepends_python_path() -> None:
    from rag.config import environment_for_child

    ours = {"RAG_LLM": "openai", "CHROMA_HOST": "chroma.local", "PYTHONPATH": "/elsewhere"}
    child = environment_for_child({"CHROMA_HOST": ""}, [Path("/checkout")], env=ours)
    assert child["RAG_LLM"] == "openai" and child["CHROMA_HOST"] == ""
    assert child["PYTHONPATH"].split(":") == ["/checkout", "/elsewhere"]
    assert ours["CHROMA_HOST"] == "chroma.local"  # the parent's own mapping is untouched
    assert "PYTHONPATH" not in environment_for_child(env={"RAG_LLM": "extractive"})


def test_child_environment_defaults_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.config import environment_for_child

    monkeypatch.setenv("RAG_INDEX_DIR", "/from/parent")
    assert environment_for_child()["RAG_INDEX_DIR"] == "/from/parent"
    assert environment_for_child({"RAG_INDEX_DIR": "/x"})["RAG_INDEX_DIR"] == "/x"


def test_only_rag_config_reads_the_environment() -> None:
    import re

    root = Path(__file__).resolve().parent.parent
    reading = re.compile(r"\bos\.environ\b|\bgetenv\(|\bos\.environb\b")
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for folder in ("rag", "ui", "evals")
        for path in sorted((root / folder).rglob("*.py"))
        if path != root / "rag" / "config.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if reading.search(line)
    ]
    assert offenders == [], "read the environment through rag.config: " + ", ".join(offenders)
