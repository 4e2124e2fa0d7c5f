"""Settings: defaults ← config/govbot.toml ← $GOVBOT_CONFIG ← environment; bad keys named."""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

import bot.settings as settings_module
from bot.__main__ import main
from bot.settings import DEFAULT_CONFIG, Settings, SettingsError, load_settings
from tests.conftest import READING_FLOOR_ENV


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def unknown_keys(data: dict[str, Any], model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted keys in a TOML tree that are not settings of `model`."""
    bad: list[str] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        field = model.model_fields.get(key)
        if field is None:
            bad.append(path)
            continue
        nested = _model_of(field.annotation)
        if nested is not None and isinstance(value, dict):
            bad += unknown_keys(value, nested, f"{path}.")
        elif typing.get_origin(field.annotation) is dict and isinstance(value, dict):
            value_model = _model_of(typing.get_args(field.annotation)[1])
            for name, item in value.items():
                if value_model is not None and isinstance(item, dict):
                    bad += unknown_keys(item, value_model, f"{path}.{name}.")
    return bad


def leaf_settings(model: type[BaseModel], prefix: str = "") -> list[tuple[str, Any]]:
    leaves: list[tuple[str, Any]] = []
    for name, field in model.model_fields.items():
        nested = _model_of(field.annotation)
        if nested is not None:
            leaves += leaf_settings(nested, f"{prefix}{name}.")
        else:
            leaves.append((f"{prefix}{name}", field.annotation))
    return leaves


@pytest.fixture
def no_default_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(settings_module, "DEFAULT_CONFIG", tmp_path / "absent.toml")


def test_defaults(no_default_file: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVBOT_VOTING__REQUIRE_WALLET", raising=False)  # set by conftest
    monkeypatch.delenv(READING_FLOOR_ENV, raising=False)  # likewise
    s = load_settings()
    assert s.database_url == "sqlite:///govbot.db"
    assert s.sqlite_synchronous == "FULL" and s.log_level == "INFO" and s.log_format == "text"
    assert s.charts_dir == Path("charts")
    assert s.voting.require_wallet is True  # on by default: votes need a linked wallet
    assert (s.voting.default_method, s.voting.default_weight) == ("single", "member")
    assert s.voting.default_hours == 72
    assert s.proposals.who_may_propose == "everyone"
    treasury = s.proposals.profiles["treasury"]
    assert (treasury.hours, treasury.quorum, treasury.threshold) == (168, "20%", 0.66)
    assert s.console.admins == ["admin"] and s.console.user == "alice"
    assert s.telegram.token is None and s.discord.token is None
    assert s.telegram.api_base_url == "https://api.telegram.org/bot"
    assert s.policy.voting == s.voting and s.policy.proposals == s.proposals
    # arena ratings faster than skimming both answers do not count
    assert (s.arena.reading_chars_per_second, s.arena.reading_floor_max_seconds) == (40.0, 30.0)


@pytest.mark.skipif(not DEFAULT_CONFIG.exists(), reason="config/govbot.toml not written yet")
def test_config_file_keys_are_real_settings_with_their_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GOVBOT_VOTING__REQUIRE_WALLET", raising=False)  # set by conftest
    data = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    assert unknown_keys(data, Settings) == []
    with_file = load_settings()
    monkeypatch.setattr(settings_module, "DEFAULT_CONFIG", tmp_path / "absent.toml")
    without_file = load_settings()
    # the shipped file documents the defaults; it does not change them
    assert with_file.model_dump() == without_file.model_dump()


@pytest.mark.skipif(not DEFAULT_CONFIG.exists(), reason="config/govbot.toml not written yet")
def test_config_file_mentions_every_setting() -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    missing = []
    for path, annotation in leaf_settings(Settings):
        if SecretStr in typing.get_args(annotation) or annotation is SecretStr:
            continue  # secrets come from the environment only
        name = path.rsplit(".", 1)[-1]
        as_key = rf"^#?\s*{re.escape(name)}\s*="
        as_table = rf"^#?\s*\[[^\]]*\b{re.escape(name)}\b"
        if not (re.search(as_key, text, re.M) or re.search(as_table, text, re.M)):
            missing.append(path)
    assert missing == []


def test_unknown_key_checker_catches_one() -> None:
    assert unknown_keys({"voting": {"colour": 1}, "bogus": 2}, Settings) == [
        "voting.colour",
        "bogus",
    ]
    assert unknown_keys({"proposals": {"profiles": {"x": {"hour": 1}}}}, Settings) == [
        "proposals.profiles.x.hour"
    ]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "override.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_govbot_config_file_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'database_url = "sqlite:///other.db"\n'
        "[voting]\ndefault_hours = 24\n"
        '[proposals.profiles.grants]\nhours = 336\nquorum = "10%"\n'
        '[console]\nadmins = ["root", "admin"]\n',
    )
    monkeypatch.setenv("GOVBOT_CONFIG", str(path))
    s = load_settings()
    assert s.database_url == "sqlite:///other.db"
    assert s.voting.default_hours == 24
    assert s.voting.default_method == "single"  # untouched settings keep their default
    assert s.proposals.profiles["grants"].hours == 336
    assert s.console.admins == ["root", "admin"]


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _write(tmp_path, "[voting]\ndefault_hours = 24\nrequire_wallet = false\n")
    monkeypatch.setenv("GOVBOT_CONFIG", str(path))
    monkeypatch.setenv("GOVBOT_VOTING__DEFAULT_HOURS", "48")
    monkeypatch.setenv("GOVBOT_VOTING__REQUIRE_WALLET", "true")
    monkeypatch.setenv("GOVBOT_LOG_LEVEL", "DEBUG")
    s = load_settings()
    assert s.voting.default_hours == 48
    assert s.voting.require_wallet is True
    assert s.log_level == "DEBUG"


def test_plain_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://gov:pw@db.example/govbot")
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:secret-token")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    monkeypatch.setenv("DISCORD_GUILD_IDS", "1, 2,3")
    s = load_settings()
    assert s.database_url == "postgresql://gov:pw@db.example/govbot"
    assert s.telegram.api_base_url == "http://127.0.0.1:9/bot"
    assert s.discord.guild_ids == [1, 2, 3]
    assert s.telegram.token is not None
    assert s.telegram.token.get_secret_value() == "123:secret-token"
    assert "secret-token" not in repr(s) and "secret-token" not in str(s.model_dump())


def test_init_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///env.db")
    assert load_settings(database_url="sqlite:///init.db").database_url == "sqlite:///init.db"


@pytest.mark.parametrize(
    ("env", "value", "key"),
    [
        ("GOVBOT_VOTING__DEFAULT_HOURS", "abc", "voting.default_hours"),
        ("GOVBOT_VOTING__DEFAULT_HOURS", "-1", "voting.default_hours"),
        ("GOVBOT_VOTING__DEFAULT_METHOD", "plurality", "voting.default_method"),
        ("GOVBOT_LOG_LEVEL", "LOUD", "log_level"),
        ("GOVBOT_VOTING__COLOUR", "blue", "voting.colour"),
    ],
)
def test_wrong_env_setting_names_the_key(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, key: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert re.search(rf"^\s*{re.escape(key)}: ", str(raised.value), re.M), str(raised.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[voting]\ndefault_hours = "soon"\n', "voting.default_hours"),
        ("[voting]\ncolour = 1\n", "voting.colour"),
        ("bogus = 1\n", "bogus"),
        ("[proposals.profiles.x]\nthreshold = 2\n", "proposals.profiles.x.threshold"),
        ("[proposals.profiles.x]\nhour = 2\n", "proposals.profiles.x.hour"),
        ("[telegram]\nwebhook_port = 70000\n", "telegram.webhook_port"),
    ],
)
def test_wrong_file_setting_names_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, key: str
) -> None:
    monkeypatch.setenv("GOVBOT_CONFIG", str(_write(tmp_path, text)))
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert re.search(rf"^\s*{re.escape(key)}: ", str(raised.value), re.M), str(raised.value)


def test_missing_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOVBOT_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(SettingsError, match="GOVBOT_CONFIG"):
        load_settings()


def test_run_with_a_bad_setting_exits_2_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVBOT_VOTING__DEFAULT_HOURS", "abc")
    assert main(["run"]) == 2
    captured = capsys.readouterr()
    assert "voting.default_hours" in captured.err
    assert captured.out == ""
    assert "Traceback" not in captured.err
