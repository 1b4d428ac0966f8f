"""The links `serve` makes in the local demo follow the served host and port, unless the operator set them."""

from __future__ import annotations

import pytest

from integrator.application.configuration import served_settings
from integrator.settings import AuthSettings, Settings


@pytest.fixture(autouse=True)
def no_public_url_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTEGRATOR_PUBLIC_URL", raising=False)


def test_the_local_demo_without_a_public_url_links_to_the_served_port() -> None:
    settings = Settings(_env_file=None, auth=AuthSettings(mode="none"))
    assert served_settings(settings, host="127.0.0.1", port=8123).public_url == "http://127.0.0.1:8123"


def test_an_ipv6_loopback_goes_in_brackets() -> None:
    settings = Settings(_env_file=None, auth=AuthSettings(mode="none"))
    assert served_settings(settings, host="::1", port=8123).public_url == "http://[::1]:8123"


def test_a_public_url_the_operator_set_is_kept() -> None:
    settings = Settings(
        _env_file=None, auth=AuthSettings(mode="none"), public_url="https://integrator.acme.example"
    )
    assert (
        served_settings(settings, host="127.0.0.1", port=8123).public_url == "https://integrator.acme.example"
    )


def test_outside_the_local_demo_the_default_is_kept() -> None:
    settings = Settings(_env_file=None, auth=AuthSettings(mode="token"))
    assert served_settings(settings, host="127.0.0.1", port=8123).public_url == "http://127.0.0.1:8000"
