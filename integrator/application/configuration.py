"""Reading what the operator configured (settings, registry, catalog); each failure a `ConfigError`."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from integrator.domain.ownership import Catalog, Registry, RegistryTooLarge
from integrator.errors import ConfigError
from integrator.settings import Settings


def load_settings() -> Settings:
    """Settings from the environment and .env, or a `ConfigError` naming each bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "INTEGRATOR_" + "__".join(str(p) for p in error["loc"]).upper()
            lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise ConfigError("invalid settings:\n  " + "\n  ".join(lines)) from exc


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
