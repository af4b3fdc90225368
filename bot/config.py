"""Every setting of the project, read once from environment variables, with defaults that
run on a fresh machine (SQLite, local files, localhost ports).

Rasa's endpoints and channels are written from these settings to var/ at every start
(bot/deployment/endpoints.py, bot/channels/credentials.py). So the defaults live here and
nowhere else.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field, SecretStr, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    # Where the facts live; edited files are picked up without retraining.
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    # Runtime state that is never committed (spaCy pipeline, SQLite files, logs).
    var_dir: Path = PROJECT_ROOT / "var"
    models_dir: Path = PROJECT_ROOT / "models"

    rasa_port: int = 5005
    # Several Rasa processes on one host may listen on the same port (SO_REUSEPORT): the
    # kernel spreads new connections over them and one can go without the port going away.
    # For replicas with the host's network (deploy/kube-play/); a cluster uses a Service.
    rasa_share_port: bool = False
    action_port: int = 5055
    # The action server answers Rasa only and has no authentication: it listens on the
    # loopback interface unless an operator runs it on another host (then 0.0.0.0 and a
    # firewall or a private network in front).
    action_host: str = "127.0.0.1"
    action_endpoint_url: str = ""  # default: http://localhost:<action_port>/webhook

    # Tracker store (conversation history): a SQLite file under var/ by default; in
    # production a full SQLAlchemy URL, e.g. postgresql://rasa:secret@db:5432/rasa.
    tracker_store_url: str = ""

    # Production services (empty: not used). Redis as Rasa's lock store is needed as soon as
    # several Rasa replicas serve the same conversations; RabbitMQ receives every event.
    redis_url: str = ""  # redis://[:password@]host:6379/1
    rabbitmq_url: str = ""  # amqp://user:password@host:5672/
    rabbitmq_queue: str = "asskomm_events"

    # Commune and application database: a SQLite file under var/ by default; set
    # DATABASE_URL (e.g. postgresql://asskomm:secret@db:5432/asskomm) for production.
    database_url: str = Field("", env="DATABASE_URL")

    # Where confirmed applications are sent by e-mail (the LPR's inbox for them). Mail goes
    # out only when smtp_host is set too (bot/applications/mail.py).
    applications_to: str = ""
    # The mail server for that: empty host = no mail, applications wait in the outbox.
    # Port 0 means the usual one (465 with smtp_ssl, else 587). The password is only sent
    # over an encrypted connection (STARTTLS or SSL).
    smtp_host: str = ""
    smtp_port: int = 0
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_from: str = ""
    # The privacy notice users consent to before an application is stored. The operator
    # must point this at their own Datenschutzhinweise.
    privacy_url: str = "https://www.lpr.sachsen.de/"

    # Staff console (make console, bot/console/). It listens on localhost only unless
    # console_host says otherwise (production: behind nginx with HTTPS, then console_https_only).
    console_port: int = 8081
    console_host: str = "127.0.0.1"
    # Signs the session and CSRF cookies. Empty: a random key kept in var/console-secret.
    console_secret_key: SecretStr = SecretStr("")
    # A session ends after this many minutes without a request, and after 10 hours at most.
    console_session_minutes: int = 30
    console_https_only: bool = False
    # Where "als Trainingsbeispiel vorschlagen" collects user messages with their right intent,
    # for a developer to review and add to data/nlu/ (CSV: Rasa and the training check ignore it).
    console_suggestions_file: Path = PROJECT_ROOT / "data" / "review" / "trainingsvorschlaege.csv"

    # Telegram (off while the token is empty): the token from @BotFather, the bot's user name
    # (Rasa checks updates against it), the public HTTPS address of
    # <host>/webhooks/telegram/webhook, and optionally a Bot API server of one's own.
    telegram_token: str = ""
    telegram_bot_name: str = ""
    telegram_webhook_url: str = ""
    telegram_api_url: str = ""

    # Today's date as YYYY-MM-DD for everything that depends on it (funding deadlines);
    # empty: the system date in Saxony. Tests set it to get the same answers every day.
    today: str = ""
    # The moment as YYYY-MM-DDTHH:MM (Saxon time) for what depends on the time of day (office
    # hours); empty: now. Tests set it; with only `today` set, today's date at the current time.
    now: str = ""

    # Handover to LPR staff (docs/handover.md). The Matrix room where staff answer in threads;
    # empty: no live handover, the bot offers only the callback request (closed by default).
    handover_room: str = ""
    # When staff take over: weekly hours ("Mo-Fr 09:00-15:00", several ranges with ";"),
    # Saxon public holidays always, and extra closed days (day.month., every year).
    office_hours: str = "Mo-Fr 09:00-15:00"
    office_closed_days: str = "24.12.,31.12."
    # No staff answer within this many minutes after the thread was opened: callback request.
    handover_timeout_minutes: int = 5
    # Who may answer and end a handover in the staff room (read by the bridge, which has its
    # own environment: bot/matrix_bridge/handover.py StaffCheck). Matrix ids, comma-separated;
    # empty: every room member with at least handover_staff_power_level (50 = moderator).
    handover_staff: str = ""
    handover_staff_power_level: int = 50

    # Websites (origins, comma-separated: https://www.gemeinde.de,https://lpr.sachsen.de) that
    # may embed the widget or call the REST channel from a browser. Empty: only pages of the
    # bot itself (its demo page). "*" allows every website and is meant for trials only.
    cors_origins: str = ""

    # Rasa's HTTP API (/model, /conversations/…/tracker, …) can read and change every
    # conversation. It is off unless one of these is set (Rasa's --auth-token / --jwt-secret).
    rasa_api_token: SecretStr = SecretStr("")
    rasa_jwt_secret: SecretStr = SecretStr("")

    # Flood protection in the app (make run; in production nginx limits too): messages per
    # minute from one conversation (sender) and from one client address. Above that the
    # sender gets a polite "bitte langsamer" and its message is not processed.
    rate_limit_per_sender: int = 30
    rate_limit_per_ip: int = 300
    # Behind a reverse proxy every request comes from the proxy's address; name the header in
    # which the proxy passes the client's address (nginx template: X-Real-IP). Empty: the
    # address of the connection. Set it only when the proxy overwrites that header.
    client_ip_header: str = ""

    # Data lifecycle (bot/privacy/): conversations are deleted from the tracker store this many
    # days after their last event; applications this many days after they were closed
    # (status "abgeschlossen"). 0 switches the deletion off.
    retention_days: int = 30
    application_retention_days: int = 365
    # The controller (Verantwortlicher, DSGVO Art. 13) named in the chat's privacy notice.
    # The operator must set their own; the default says that it has not been set.
    privacy_controller: str = ""

    # make prod (bot/deployment/prod.py): nginx on prod_port in front of prod_replicas Rasa
    # servers on the ports right after it (5006, 5007, … with the defaults).
    prod_port: int = 5005
    prod_replicas: int = 2

    class Config:
        env_prefix = "ASSKOMM_"

    @validator("today")
    def _today_is_a_date(cls, value: str) -> str:
        if value:
            date.fromisoformat(value)  # raises: ASSKOMM_TODAY must be YYYY-MM-DD
        return value

    @validator("now")
    def _now_is_a_moment(cls, value: str) -> str:
        if value:
            datetime.fromisoformat(value)  # raises: ASSKOMM_NOW must be YYYY-MM-DDTHH:MM
        return value

    @validator("office_hours", "office_closed_days")
    def _office_hours_readable(cls, value: str, field) -> str:
        from bot.handover.office_hours import OfficeHours

        OfficeHours.parse(value) if field.name == "office_hours" else OfficeHours.parse("", value)
        return value

    @property
    def allowed_origins(self) -> list[str]:
        """The configured cross-origin websites (without trailing slashes)."""
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @property
    def spacy_pipeline_dir(self) -> Path:
        return self.var_dir / "spacy" / "de_asskomm"

    def as_env(self) -> dict[str, str]:
        """These settings as ASSKOMM_* variables, so child processes see the same ones."""
        env = {}
        for name, value in self.dict().items():
            explicit = self.__fields__[name].field_info.extra.get("env")
            value = value.get_secret_value() if isinstance(value, SecretStr) else value
            env[explicit or f"ASSKOMM_{name.upper()}"] = str(value)
        return env

    @property
    def database(self) -> str:
        """The SQLAlchemy URL of the commune and application database."""
        return self.database_url or f"sqlite:///{self.var_dir / 'asskomm.db'}"

    def rasa_env(self) -> dict[str, str]:
        """Action server and tracker store as Rasa's endpoints need them."""
        if self.tracker_store_url:
            # Rasa uses a host that contains "://" as the complete database URL.
            dialect = self.tracker_store_url.split("://", 1)[0].split("+", 1)[0]
            host, db = self.tracker_store_url, ""
        else:
            dialect, host, db = "sqlite", "", str(self.var_dir / "tracker.db")
        return {
            "ACTION_ENDPOINT_URL": self.action_endpoint_url
            or f"http://localhost:{self.action_port}/webhook",
            "TRACKER_STORE_DIALECT": dialect,
            "TRACKER_STORE_HOST": host,
            "TRACKER_STORE_DB": db,
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
