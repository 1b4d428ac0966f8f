"""Reading what the operator configured (settings, registry, catalog); each failure a `ConfigError`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from integrator.domain.ownership import Catalog, Registry, RegistryTooLarge
from integrator.errors import ConfigError, field_messages
from integrator.settings import Settings


def load_settings() -> Settings:
    """Settings from the environment and .env, or a `ConfigError` naming each bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        messages = field_messages(exc.errors(), root="settings", name=_variable)
        lines = [f"{variable}: {why}" for variable, why in messages.items()]
        raise ConfigError("invalid settings:\n  " + "\n  ".join(lines)) from exc


def _variable(loc: Sequence[int | str]) -> str:
    """A setting's location as its environment variable: `INTEGRATOR_JIRA__URL`."""
    return "INTEGRATOR_" + "__".join(str(p) for p in loc).upper()


def served_settings(settings: Settings, *, host: str, port: int) -> Settings:
    """The settings `serve` runs with: in the local demo (auth mode none) without an
    `INTEGRATOR_PUBLIC_URL`, every link points at the host and port being served."""
    if settings.auth.mode != "none" or "public_url" in settings.model_fields_set:
        return settings
    name = f"[{host}]" if ":" in host else host  # an IPv6 address goes in brackets in a URL
    return settings.model_copy(update={"public_url": f"http://{name}:{port}"})


def read_text(path: Path, setting: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot read {path} ({exc.strerror})") from exc


def load_catalog(settings: Settings) -> Catalog:
    return Catalog.parse(read_text(settings.catalog, "INTEGRATOR_CATALOG"))


def load_registry(path: Path, catalog: Catalog | None = None) -> Registry:
    """The registry at `path`; with a catalog, owners it does not know are errors of their lines."""
    text = read_text(path, "INTEGRATOR_REGISTRY")
    try:
        return Registry.parse(text, known_owners=catalog.handles if catalog else None)
    except RegistryTooLarge as exc:
        raise ConfigError(f"INTEGRATOR_REGISTRY: {path}: {exc}") from exc
