"""Where `make dev` and the tools find the broker: the operator's URL in `.env` or the environment, else the
development vhost's operator, with development passwords only where none is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import broker


@pytest.fixture
def no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(broker, "ROOT", tmp_path)
    for name in ("OPERATOR_RABBITMQ_URL", "RABBITMQ_URL", "AMQP_USER_PREFIX", "DEVELOPMENT_VHOST",
                 "OPERATOR_AMQP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_without_any_setting_the_tools_log_in_as_the_development_vhosts_operator(no_env_file: Path) -> None:
    assert broker.operator_url() == "amqp://operator:operator-local-dev@127.0.0.1:5672/district-dev"


def test_the_operator_url_from_dot_env_is_used_and_the_environment_wins_over_it(
    no_env_file: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    (no_env_file / ".env").write_text("OPERATOR_AMQP_PASSWORD=s3cret\n"
                                      "OPERATOR_RABBITMQ_URL=amqp://operator:${OPERATOR_AMQP_PASSWORD}@127.0.0.1:5672/\n")
    assert broker.operator_url() == "amqp://operator:s3cret@127.0.0.1:5672/"
    monkeypatch.setenv("OPERATOR_RABBITMQ_URL", "amqp://operator:other@broker.example:5672/")
    assert broker.operator_url() == "amqp://operator:other@broker.example:5672/"


def test_a_development_user_takes_its_prefix_and_its_password_and_quotes_both(
    no_env_file: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AMQP_USER_PREFIX", "ann-")
    monkeypatch.setenv("TRAINING_GRADING_AMQP_PASSWORD", "p@ss/word")
    assert broker.development_url("training-grading") == \
        "amqp://ann-training-grading:p%40ss%2Fword@127.0.0.1:5672/district-dev"
