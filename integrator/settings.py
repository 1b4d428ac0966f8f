"""Typed settings, read once at start-up from the environment (INTEGRATOR_*, nested with __) and .env."""

from __future__ import annotations

from decimal import Decimal
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class JiraSettings(BaseModel):
    url: str | None = None
    email: str | None = None
    api_token: SecretStr | None = None  # Jira Cloud, with `email`
    pat: SecretStr | None = None  # Jira Data Center personal access token
    issue_type: str = "Bug"
    priority: str = "Highest"
    webhook_secret: SecretStr | None = None
    timeout_seconds: float = Field(default=10.0, gt=0)

    @property
    def configured(self) -> bool:
        return bool(self.url and (self.pat or (self.email and self.api_token)))

    @model_validator(mode="after")
    def _credentials_are_whole(self) -> JiraSettings:
        if self.api_token and not self.email:
            raise ValueError("INTEGRATOR_JIRA__EMAIL is required with INTEGRATOR_JIRA__API_TOKEN")
        if (self.api_token or self.pat) and not self.url:
            raise ValueError("INTEGRATOR_JIRA__URL is required when Jira credentials are set")
        return self


class PagerDutySettings(BaseModel):
    api_key: SecretStr | None = None
    from_email: str | None = None  # must be a PagerDuty user; sent as the From header
    api_url: str = "https://api.pagerduty.com"
    priority: str = "P1"
    webhook_secrets: Annotated[list[SecretStr], NoDecode] = []
    timeout_seconds: float = Field(default=10.0, gt=0)

    _split = field_validator("webhook_secrets", mode="before")(_split_commas)

    @property
    def configured(self) -> bool:
        return bool(self.api_key and self.from_email)

    @model_validator(mode="after")
    def _from_email_with_key(self) -> PagerDutySettings:
        if self.api_key and not self.from_email:
            raise ValueError(
                "INTEGRATOR_PAGERDUTY__FROM_EMAIL (a PagerDuty user's email) is required with the API key"
            )
        return self


class SlaSettings(BaseModel):
    fix_hours: float = Field(default=48, gt=0)


class SyncSettings(BaseModel):
    interval_seconds: float = Field(default=60, gt=0)
    resolve_page_on_fix: bool = True


class ProtocolSettings(BaseModel):
    """The escalation protocol's "stop and tell": who must be named, and how soon the customer is told."""

    contacts: Literal["warn", "require", "off"] = "warn"  # a report without the buyer's or sponsor's email
    tell_customer_within_minutes: int = Field(default=60, gt=0)  # then the reporter is reminded, once


class GroupingSettings(BaseModel):
    """Reports of one failure from several deals: one page, one P1; re-paged once past this ARR."""

    repage_arr: Decimal | None = Field(default=None, gt=0)  # summed per currency; unset = never


class AuthSettings(BaseModel):
    mode: Literal["token", "proxy", "none"] = "token"
    proxy_header: str = "X-Forwarded-Email"
    trusted_proxies: Annotated[list[str], NoDecode] = []

    _split = field_validator("trusted_proxies", mode="before")(_split_commas)

    @field_validator("trusted_proxies")
    @classmethod
    def _are_networks(cls, values: list[str]) -> list[str]:
        for value in values:
            ip_network(value, strict=False)  # raises ValueError naming the bad address
        return values


class SmtpSettings(BaseModel):
    host: str | None = None
    port: int = Field(default=587, gt=0, lt=65536)
    starttls: bool = True
    username: str | None = None
    password: SecretStr | None = None
    from_: str | None = Field(default=None, alias="from")
    timeout_seconds: float = Field(default=10.0, gt=0)

    @property
    def configured(self) -> bool:
        return bool(self.host and self.from_)


class ServerSettings(BaseModel):
    """What `serve` allows one client: how long to send headers and body, and how many at once."""

    header_timeout_seconds: float = Field(default=10.0, gt=0)  # from connection (or last answer) to headers
    body_timeout_seconds: float = Field(default=30.0, gt=0)  # from headers to the end of the body
    keep_alive_seconds: float = Field(default=5.0, gt=0)  # an idle kept-alive connection is closed after
    max_requests: int = Field(default=64, gt=0)  # in flight at once; more get 503 with Retry-After
    max_connections: int = Field(default=1000, gt=0)  # open at once; more get 503
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    retry_after_seconds: int = Field(default=5, gt=0)


class Settings(BaseSettings):
    """Every setting integrator reads; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="INTEGRATOR_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: str = "sqlite:///integrator.db"
    registry: Path = Path("config/CODEOWNERS")
    catalog: Path = Path("config/services.toml")
    public_url: str = "http://127.0.0.1:8000"
    dry_run: bool = False
    source_roots: Annotated[list[str], NoDecode] = [
        "/app/",
        "/srv/",
        "/usr/src/app/",
        "/code/",
        "/workspace/",
    ]
    secret_key: SecretStr | None = None
    log_format: Literal["text", "json"] = "text"

    jira: JiraSettings = JiraSettings()
    pagerduty: PagerDutySettings = PagerDutySettings()
    sla: SlaSettings = SlaSettings()
    sync: SyncSettings = SyncSettings()
    auth: AuthSettings = AuthSettings()
    smtp: SmtpSettings = SmtpSettings()
    server: ServerSettings = ServerSettings()
    protocol: ProtocolSettings = ProtocolSettings()
    grouping: GroupingSettings = GroupingSettings()

    _split = field_validator("source_roots", mode="before")(_split_commas)

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")
