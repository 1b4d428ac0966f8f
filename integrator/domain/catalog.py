"""The service catalog (`config/services.toml`): each owner handle's service, Jira, PagerDuty and people."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from integrator.domain.halt import VARIABLE_PREFIX, Environment
from integrator.domain.owner import Team
from integrator.domain.report import Email, RequiredText
from integrator.errors import ConfigError, field_messages

_HANDLE = re.compile(r"@[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:/[A-Za-z0-9][\w.-]*)?")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_handle(value: str) -> str:
    if not _HANDLE.fullmatch(value):
        raise ValueError("is not an @user or @org/team handle, written as in the registry")
    return value


def _check_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError("is not an http(s) URL")
    return value


def _check_secret_reference(value: str) -> str:
    """Only `env:NAME`: the secret itself lives in the environment, never in the file (nor its messages)."""
    if not value.startswith(VARIABLE_PREFIX) or not _VARIABLE.fullmatch(value[len(VARIABLE_PREFIX) :]):
        raise ValueError(
            "must name an environment variable as env:NAME (e.g. env:POC_HALT_SECRET);"
            " a secret is never written in the catalog"
        )
    return value


Handle = Annotated[str, AfterValidator(_check_handle)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _OwnerEntry(_Strict):
    service: RequiredText
    jira_project: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]+$")]
    jira_component: RequiredText | None = None
    pagerduty_service: Annotated[str, Field(pattern=r"^[A-Z0-9]+$")]
    senior_engineer: Email
    breach_contacts: list[Email] = []
    chat_webhook: Annotated[str, AfterValidator(_check_url)] | None = None
    executive_escalation: list[Email] | None = None  # None: the defaults' list


class _EnvironmentEntry(_Strict):
    halt_url: Annotated[str, AfterValidator(_check_url)] | None = None
    secret: Annotated[str, AfterValidator(_check_secret_reference)] | None = None

    @model_validator(mode="after")
    def _secret_with_hook(self) -> _EnvironmentEntry:
        if self.halt_url and not self.secret:
            raise ValueError("secret (env:NAME) is required with halt_url: every halt is signed")
        return self


class _Defaults(_Strict):
    owner: Handle | None = None
    executive_escalation: list[Email] = []


class _CatalogFile(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)  # a pasted secret

    defaults: _Defaults = _Defaults()
    owners: Annotated[dict[Handle, _OwnerEntry], Field(min_length=1)]
    environments: dict[Annotated[str, Field(min_length=1)], _EnvironmentEntry] = {}


@dataclass(frozen=True)
class Catalog:
    """The owner handles the registry may name, each a `Team`, and the default owner's handle."""

    teams: Mapping[str, Team]
    default_owner: str | None = None
    environments: Mapping[str, Environment] = field(default_factory=dict)  # by the name reports give

    @classmethod
    def parse(cls, text: str, *, source: str = "catalog") -> Catalog:
        """Read the TOML text; a `ConfigError` names each bad field (`owners."@x".service: required`)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
        try:
            parsed = _CatalogFile.model_validate(data)
        except ValidationError as exc:
            messages = field_messages(exc.errors(), root="catalog", name=_field_name)
            lines = [f"{key}: {why}" for key, why in messages.items()]
            raise ConfigError(f"{source}: invalid catalog:\n  " + "\n  ".join(lines)) from exc
        default = parsed.defaults.owner
        if default is not None and default not in parsed.owners:
            raise ConfigError(f"{source}: invalid catalog:\n  defaults.owner: {default} is not in [owners]")
        executives = parsed.defaults.executive_escalation
        teams = {handle: _team(handle, entry, executives) for handle, entry in parsed.owners.items()}
        environments = {name: _environment(name, entry) for name, entry in parsed.environments.items()}
        return cls(teams=teams, default_owner=default, environments=environments)

    @classmethod
    def load(cls, path: Path) -> Catalog:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the catalog ({exc.strerror})") from exc
        return cls.parse(text, source=str(path))

    @property
    def handles(self) -> frozenset[str]:
        return frozenset(self.teams)

    def team(self, handle: str) -> Team | None:
        return self.teams.get(handle)


def _team(handle: str, entry: _OwnerEntry, executives: list[str]) -> Team:
    """The owner's team; its executive escalation is its own list, or else the defaults'."""
    return Team(
        handle=handle,
        service=entry.service,
        jira_project=entry.jira_project,
        pagerduty_service=entry.pagerduty_service,
        senior_engineer=entry.senior_engineer,
        jira_component=entry.jira_component,
        breach_contacts=tuple(entry.breach_contacts),
        chat_webhook=entry.chat_webhook,
        executive_escalation=tuple(
            executives if entry.executive_escalation is None else entry.executive_escalation
        ),
    )


def _environment(name: str, entry: _EnvironmentEntry) -> Environment:
    variable = entry.secret.removeprefix(VARIABLE_PREFIX) if entry.secret else None
    return Environment(name=name, halt_url=entry.halt_url, secret_variable=variable)


def _field_name(loc: Sequence[int | str]) -> str:
    """A pydantic location as the TOML key path a user would write: `owners."@acme/ingest".service`."""
    parts: list[str] = []
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
        else:
            parts.append(part if _BARE_KEY.fullmatch(part) else json.dumps(part))
    return ".".join(parts) or "(file)"
