"""The console's web app: Starlette with Jinja2 templates, rendered on the server (no
JavaScript, every asset served from /static).

Security comes from maintained libraries: sessions are signed, expiring cookies (Starlette's
SessionMiddleware, itsdangerous), CSRF tokens come from asgi-csrf (Datasette's double-submit
cookie, checked on every POST including the login), passwords and lock-out from
bot/console/accounts.py (argon2-cffi).
"""
from __future__ import annotations

import csv
import io
import secrets
import time
from datetime import date, datetime, timedelta, timezone
from functools import wraps
from pathlib import Path
from typing import Optional
from urllib.parse import quote, urlencode

from asgi_csrf import asgi_csrf_decorator
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.applications.mail import SmtpSettings, deliver_pending
from bot.applications.models import Application, OutboxMessage
from bot.applications.store import KINDS, STATUSES
from bot.clock import today
from bot.communes.facts import COUNCIL, MembershipFact
from bot.communes.facts import STATUSES as MEMBERSHIP_STATUSES
from bot.communes.repository import CommuneRepository
from bot.config import Settings, get_settings
from bot.console import accounts, audit, conversations, export, knowledge_view, paging, suggestions, wording, workflow
from bot.console.local_time import local_time
from bot.db.engine import make_engine, make_session_factory, migrate
from bot.handover import store as handover_store

HERE = Path(__file__).resolve().parent
MAX_SESSION_SECONDS = 10 * 3600  # a login ends after a working day even when in constant use
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")

templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(KINDS=KINDS, STATUSES=STATUSES, ROLES=accounts.ROLES, may=accounts.may,
                             min_password=accounts.MIN_PASSWORD_LENGTH)
templates.env.filters["anzahl"] = wording.count
templates.env.filters["ortszeit"] = local_time


def secret_key(settings: Settings) -> str:
    """The configured key, or one made once and kept in var/ (readable by the owner only)."""
    configured = settings.console_secret_key.get_secret_value()
    if configured:
        return configured
    path = settings.var_dir / "console-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def tracker_engine(settings: Settings) -> Optional[Engine]:
    """Read access to the tracker store; None while the bot has not written a SQLite file yet."""
    url = conversations.tracker_url(settings)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    return create_engine(url, future=True, pool_pre_ping=True)


class Console:
    """Holds the database handles; its methods are the pages."""

    def __init__(self, settings: Settings):
        self.settings = settings
        migrate(settings.database)
        self.sessions = make_session_factory(make_engine(settings.database))
        # The table the action server reads on every answer: a change here is live at once.
        self.communes = CommuneRepository(self.sessions)
        self._tracker: Optional[Engine] = None

    @property
    def tracker(self) -> Optional[Engine]:
        if self._tracker is None:
            self._tracker = tracker_engine(self.settings)
        return self._tracker

    # --- helpers -------------------------------------------------------------------------
    def render(self, request: Request, name: str, context: Optional[dict] = None, status: int = 200) -> Response:
        context = {"user": getattr(request.state, "user", None), "notice": request.session.pop("notice", None),
                   "csrftoken": request.scope["csrftoken"](), **(context or {})}
        return templates.TemplateResponse(request, name, context, status_code=status)

    def current_user(self, request: Request):
        user_id, since = request.session.get("uid"), request.session.get("since", 0)
        if not user_id:
            return None
        user = accounts.find(self.sessions, user_id)
        if user is None or not user.active or time.time() - since > MAX_SESSION_SECONDS:
            request.session.clear()
            return None
        return user

    # --- login ---------------------------------------------------------------------------
    async def login_page(self, request: Request) -> Response:
        return self.render(request, "login.html", {"next": safe_next(request.query_params.get("weiter"))})

    async def login(self, request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("name", ""))[:80], str(form.get("passwort", ""))[:1000]
        target = safe_next(str(form.get("weiter", "")))
        result = await run_in_threadpool(accounts.authenticate, self.sessions, name, password)
        if result.outcome != "ok":
            error = (f"Zu viele Fehlversuche: Das Konto ist für {int(accounts.LOCKOUT.total_seconds() // 60)} "
                     "Minuten gesperrt." if result.outcome == "locked" else "Benutzername oder Passwort ist falsch.")
            return self.render(request, "login.html", {"error": error, "name": name, "next": target}, status=401)
        request.session.clear()
        request.session.update({"uid": result.user.id, "since": int(time.time())})
        return RedirectResponse(target, status_code=303)

    async def logout(self, request: Request) -> Response:
        request.session.clear()
        request.session["notice"] = "Sie sind abgemeldet."
        return RedirectResponse("/anmelden", status_code=303)

    # --- pages ---------------------------------------------------------------------------
    async def start(self, request: Request) -> Response:
        return self.render(request, "start.html")

    async def applications(self, request: Request) -> Response:
        filters = application_filters(request)
        rows = workflow.find(self.sessions, filters)
        filter_query = {k: v for k, v in request.query_params.items() if k not in ("seite", "pro_seite")}
        return self.render(request, "anfragen.html", {"page": paging.paginate(rows, request.query_params),
                                                       "filters": filters, "query": urlencode(filter_query)})

    async def application(self, request: Request) -> Response:
        reference = request.path_params["reference"]
        item = workflow.get(self.sessions, reference)
        if item is None:
            return self.render(request, "fehler.html", {"title": "Nicht gefunden",
                                                        "message": f"Keine Anfrage {reference}."}, 404)
        with self.sessions() as session:
            mails = list(session.execute(select(OutboxMessage).where(OutboxMessage.application_id == item.id)
                                         .order_by(OutboxMessage.id)).scalars())
        return self.render(request, "anfrage.html", {
            "item": item, "next_statuses": workflow.NEXT.get(item.status, ()), "mails": mails,
            "history": audit.entries(self.sessions, f"anfrage:{reference}")})

    async def change_status(self, request: Request) -> Response:
        reference = request.path_params["reference"]
        form = await request.form()
        try:
            workflow.change_status(self.sessions, reference, str(form.get("status", "")),
                                   str(form.get("notiz", "")), request.state.user.name)
            request.session["notice"] = f"Status von {reference}: {STATUSES[str(form.get('status'))]}."
        except LookupError:
            return self.render(request, "fehler.html", {"title": "Nicht gefunden",
                                                        "message": f"Keine Anfrage {reference}."}, 404)
        except ValueError as error:
            request.session["notice"] = f"Nicht geändert: {error}"
        return RedirectResponse(f"/anfragen/{quote(reference)}", status_code=303)

    async def export(self, request: Request) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in ("csv", "xlsx"):
            return self.render(request, "fehler.html", {"title": "Nicht gefunden",
                                                        "message": "Export gibt es als CSV oder XLSX."}, 404)
        rows = workflow.find(self.sessions, application_filters(request))
        with self.sessions.begin() as session:
            audit.record(session, request.state.user.name, "anfragen.export", "anfragen",
                         after={"format": fmt, "anzahl": len(rows), "filter": dict(request.query_params)})
        stamp = date.today().isoformat()
        if fmt == "xlsx":
            return Response(export.as_xlsx(rows), headers={"Content-Disposition": f'attachment; filename="anfragen-{stamp}.xlsx"'},
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return Response(export.as_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="anfragen-{stamp}.csv"'})

    async def outbox(self, request: Request) -> Response:
        with self.sessions() as session:
            rows = session.execute(
                select(OutboxMessage, Application.reference).join(Application, Application.id == OutboxMessage.application_id)
                .where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)).all()
        return self.render(request, "postausgang.html", {
            "rows": rows, "smtp": SmtpSettings.from_settings(self.settings) is not None})

    async def resend(self, request: Request) -> Response:
        smtp = SmtpSettings.from_settings(self.settings)
        if smtp is None:
            request.session["notice"] = "Kein Mailserver eingerichtet (ASSKOMM_SMTP_HOST): nichts gesendet."
            return RedirectResponse("/postausgang", status_code=303)
        report = await run_in_threadpool(deliver_pending, self.sessions, smtp)
        with self.sessions.begin() as session:
            audit.record(session, request.state.user.name, "postausgang.senden", "postausgang",
                         after={"gesendet": report.sent, "fehlgeschlagen": report.failed})
        request.session["notice"] = f"Gesendet: {report.sent}, fehlgeschlagen: {report.failed}."
        return RedirectResponse("/postausgang", status_code=303)

    async def conversation_list(self, request: Request) -> Response:
        day_from, day_to = date_range(request)
        channel, outcome = request.query_params.get("kanal", ""), request.query_params.get("ergebnis", "")
        rows = conversations.conversations(self.tracker, day_from, day_to, channel) if self.tracker else []
        rows = [r for r in rows if not outcome or r.outcome == outcome]
        return self.render(request, "gespraeche.html", {"page": paging.paginate(rows, request.query_params),
                                                         "day_from": day_from, "day_to": day_to,
                                                         "channel": channel, "outcome": outcome,
                                                         "outcomes": conversations.OUTCOMES,
                                                         "feedback_labels": conversations.FEEDBACK_LABELS})

    async def conversation(self, request: Request) -> Response:
        sender_id = request.query_params.get("id", "")
        turns = conversations.transcript(self.tracker, sender_id) if self.tracker and sender_id else []
        return self.render(request, "gespraech.html", {"sender_id": sender_id, "turns": turns,
                                                        "intents": suggestions.known_intents(),
                                                        "suggestions_file": self.settings.console_suggestions_file.name},
                           200 if turns else 404)

    async def application_conversation(self, request: Request) -> Response:
        """The conversation behind one application, for the clerk handling it: only that one,
        read-only, without the training column (that stays with the analysts)."""
        reference = request.path_params["reference"]
        item = workflow.get(self.sessions, reference)
        sender_id = item.sender_id if item is not None else ""
        turns = conversations.transcript(self.tracker, sender_id) if self.tracker and sender_id else []
        return self.render(request, "gespraech.html", {"sender_id": sender_id, "turns": turns, "intents": None,
                                                        "back": (f"/anfragen/{quote(reference)}", f"Zurück zu {reference}")},
                           200 if turns else 404)

    async def suggest(self, request: Request) -> Response:
        """Takes the message from the stored conversation (by its number), never from the form."""
        form = await request.form()
        sender_id, intent = str(form.get("id", "")), str(form.get("intent", ""))
        turns = conversations.transcript(self.tracker, sender_id) if self.tracker and sender_id else []
        try:
            turn = turns[int(str(form.get("nachricht", "")))]
            suggestions.suggest(self.settings.console_suggestions_file, turn.text, intent, turn.intent, sender_id,
                                request.state.user.name)
        except (ValueError, IndexError) as error:
            request.session["notice"] = f"Nicht vorgeschlagen: {error}"
        else:
            with self.sessions.begin() as session:
                audit.record(session, request.state.user.name, "trainingsbeispiel.vorgeschlagen",
                             f"gespraech:{sender_id}", after={"intent": intent, "beispiel": turn.text})
            request.session["notice"] = f"Als Trainingsbeispiel für „{intent}“ vorgeschlagen: „{turn.text}“"
        return RedirectResponse(f"/gespraeche/verlauf?id={quote(sender_id)}", status_code=303)

    async def statistics(self, request: Request) -> Response:
        day_from, day_to = date_range(request)
        stats = conversations.statistics(self.tracker, day_from, day_to) if self.tracker else None
        since = datetime.combine(day_from, datetime.min.time(), tzinfo=timezone.utc)
        handovers = await run_in_threadpool(handover_store.statistics, self.sessions, since,
                                            since + timedelta(days=(day_to - day_from).days + 1))
        return self.render(request, "statistik.html", {"stats": stats, "day_from": day_from, "day_to": day_to,
                                                        "feedback_subjects": conversations.FEEDBACK_SUBJECTS,
                                                        "chart": bar_chart(stats) if stats else None,
                                                        "handovers": handovers})

    async def statistics_csv(self, request: Request) -> Response:
        day_from, day_to = date_range(request)
        talks = conversations.conversations(self.tracker, day_from, day_to) if self.tracker else []
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=";").writerows(conversations.daily_table(talks))
        return Response(("\ufeff" + buffer.getvalue()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="statistik-{day_from}-{day_to}.csv"'})

    async def knowledge(self, request: Request) -> Response:
        only_review = request.query_params.get("pruefen") == "1"
        try:
            rows, error = knowledge_view.entries(self.settings.knowledge_dir, today(self.settings)), ""
        except ValueError as problem:  # KnowledgeError: the editors must see why, not a 500
            rows, error = [], str(problem)
        return self.render(request, "wissen.html", {
            "rows": [r for r in rows if r.needs_review or not only_review], "only_review": only_review,
            "review_count": sum(r.needs_review for r in rows), "error": error,
            "months": knowledge_view.REVIEW_AFTER_MONTHS})

    async def commune_list(self, request: Request) -> Response:
        text = request.query_params.get("name", "")[:120]
        return self.render(request, "kommunen.html", {"rows": self.communes.search(text), "name": text,
                                                       "statuses": MEMBERSHIP_STATUSES})

    async def commune(self, request: Request) -> Response:
        info = self.communes.info(request.path_params["ags"])
        if info is None:
            return self.render(request, "fehler.html", {"title": "Nicht gefunden",
                                                        "message": "Diese Kommune gibt es nicht."}, 404)
        return self.render(request, "kommune.html", {**self._commune_context(info), "values": membership_values(info)})

    async def change_commune(self, request: Request) -> Response:
        """Same rules as `bot.admin setzen` (MembershipFact.from_staff); the repository writes the
        audit entry with before and after."""
        info = self.communes.info(request.path_params["ags"])
        if info is None:
            return self.render(request, "fehler.html", {"title": "Nicht gefunden",
                                                        "message": "Diese Kommune gibt es nicht."}, 404)
        form = await request.form()
        values = {name: str(form.get(name, ""))[:600] for name in MEMBERSHIP_FIELDS}
        try:
            fact = MembershipFact.from_staff(info.commune.ags, **values)
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            return self.render(request, "kommune.html", {**self._commune_context(info), "values": values,
                                                          "errors": validation_messages(error)}, 422)
        self.communes.set_membership(fact, changed_by=request.state.user.name)
        request.session["notice"] = (f"Gespeichert: {info.commune.name_short} – {MEMBERSHIP_STATUSES[fact.status]}. "
                                     "Der Bot antwortet ab sofort damit.")
        return RedirectResponse(f"/kommunen/{info.commune.ags}", status_code=303)

    async def reset_commune(self, request: Request) -> Response:
        """As `bot.admin zuruecksetzen`: the staff change goes, the knowledge file applies again."""
        ags = request.path_params["ags"]
        info = self.communes.info(ags)
        if info is None:
            return self.render(request, "fehler.html", {"title": "Nicht gefunden",
                                                        "message": "Diese Kommune gibt es nicht."}, 404)
        done = self.communes.reset_to_knowledge(ags, request.state.user.name,
                                                self.settings.knowledge_dir / "communes" / "memberships.yml")
        request.session["notice"] = (f"{info.commune.name_short}: Es gilt wieder die Wissensdatei." if done
                                     else "Keine Änderung durch Mitarbeitende vorhanden.")
        return RedirectResponse(f"/kommunen/{ags}", status_code=303)

    def _commune_context(self, info) -> dict:
        return {"info": info, "statuses": MEMBERSHIP_STATUSES, "councils": COUNCIL,
                "history": audit.entries(self.sessions, target=f"kommune:{info.commune.ags}", limit=50)}

    async def users(self, request: Request) -> Response:
        return self.render(request, "benutzer.html", {"users": accounts.all_users(self.sessions)})

    async def change_user(self, request: Request) -> Response:
        """Create, new password, deactivate: accounts.py's functions, as `bot.admin benutzer-*` uses them."""
        form = await request.form()
        action, name = request.path_params["action"], str(form.get("name", ""))[:80]
        password = str(form.get("passwort", ""))[:1000]
        actor = request.state.user.name
        try:
            if action in ("anlegen", "passwort") and password != str(form.get("passwort2", ""))[:1000]:
                raise ValueError("Die Passwörter stimmen nicht überein.")
            if action == "anlegen":
                await run_in_threadpool(accounts.create_user, self.sessions, name, str(form.get("rolle", "")), password,
                                        actor)
                notice = f"Benutzer {name.strip().lower()} angelegt."
            elif action == "passwort":
                await run_in_threadpool(accounts.set_password, self.sessions, name, password, actor)
                notice = f"Neues Passwort für {name.strip().lower()} gesetzt; eine Sperre ist aufgehoben."
            elif action == "deaktivieren" and name.strip().lower() != actor:
                accounts.deactivate(self.sessions, name, actor)
                notice = f"Benutzer {name.strip().lower()} deaktiviert."
            else:
                raise ValueError("Das eigene Konto lässt sich hier nicht deaktivieren."
                                 if action == "deaktivieren" else "Unbekannte Aktion.")
        except ValueError as error:
            notice = f"Nicht geändert: {error}"
        request.session["notice"] = notice
        return RedirectResponse("/benutzer", status_code=303)

    async def audit_log(self, request: Request) -> Response:
        return self.render(request, "protokoll.html", {"entries": audit.entries(self.sessions, limit=500),
                                                        "users": accounts.all_users(self.sessions)})


MEMBERSHIP_FIELDS = ("status", "agreement_date", "via", "prevention_council", "note", "source_title", "source_url",
                     "source_stand")


def membership_values(info) -> dict:
    """The form's values: the stored membership, or empty fields for a commune without one."""
    m = info.membership
    return {name: (getattr(m, name, None) or "") if m else "" for name in MEMBERSHIP_FIELDS} | (
        {} if m else {"status": "unbekannt", "prevention_council": "unbekannt"})


def validation_messages(error: ValueError) -> list[str]:
    """pydantic's errors as German lines for the form ('Quelle, Stand: …')."""
    labels = {"status": "Status", "agreement_date": "Datum der Vereinbarung", "via": "über",
              "prevention_council": "Präventionsrat", "note": "Notiz", "source": "Quelle", "title": "Titel",
              "url": "Adresse (URL)", "stand": "Stand"}
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return [str(error)]
    return [", ".join(labels.get(str(part), str(part)) for part in e["loc"]) + ": " + e["msg"] for e in errors()]


def safe_next(target: Optional[str]) -> str:
    """Only paths of this site (no //host, no scheme) as the page after login."""
    return target if target and target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def application_filters(request: Request) -> workflow.Filters:
    q = request.query_params
    return workflow.Filters(kind=q.get("art", ""), status=q.get("status", ""), commune=q.get("kommune", "")[:120],
                            date_from=workflow.parse_date(q.get("von", "")), date_to=workflow.parse_date(q.get("bis", "")))


def date_range(request: Request) -> tuple[date, date]:
    """From/to of the query, by default the last 30 days."""
    day_to = workflow.parse_date(request.query_params.get("bis", "")) or date.today()
    day_from = workflow.parse_date(request.query_params.get("von", "")) or day_to - timedelta(days=29)
    return min(day_from, day_to), max(day_from, day_to)


def bar_chart(stats: conversations.Statistics, width: int = 640, height: int = 200) -> dict:
    """Bars of conversations per day, as coordinates for the SVG in statistik.html."""
    days = list(stats.per_day.items())
    peak = max((sum(c.values()) for _, c in days), default=0) or 1
    slot = width / max(len(days), 1)
    bars = []
    for i, (day, channels) in enumerate(days):
        total = sum(channels.values())
        bar_height = round(total / peak * (height - 30), 1)
        bars.append({"x": round(i * slot + slot * 0.15, 1), "width": round(slot * 0.7, 1), "y": height - 20 - bar_height,
                     "height": bar_height, "total": total, "label": f"{day:%d.%m.}"})
    return {"width": width, "height": height, "bars": bars, "peak": peak}


def create_app(settings: Optional[Settings] = None) -> Starlette:
    settings = settings or get_settings()
    console = Console(settings)

    def page(endpoint, area: Optional[str] = None):
        @wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = console.current_user(request)
            if user is None:
                # with the query: a link to a transcript or a filtered list still works after the login
                wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/anmelden?weiter={quote(wanted, safe='/')}", status_code=303)
            request.state.user = user
            if area and not accounts.may(user.role, area):
                return console.render(request, "fehler.html", {
                    "title": "Keine Berechtigung",
                    "message": f"Ihre Rolle „{accounts.ROLES[user.role]}“ darf diesen Bereich nicht öffnen."}, 403)
            return await endpoint(request)
        return guarded

    routes = [
        Route("/anmelden", console.login_page, methods=["GET"]),
        Route("/anmelden", console.login, methods=["POST"]),
        Route("/abmelden", console.logout, methods=["POST"]),
        Route("/", page(console.start)),
        Route("/anfragen", page(console.applications, "anfragen")),
        Route("/anfragen/export.{fmt:str}", page(console.export, "anfragen")),
        Route("/anfragen/{reference:str}", page(console.application, "anfragen")),
        Route("/anfragen/{reference:str}/verlauf", page(console.application_conversation, "anfragen")),
        Route("/anfragen/{reference:str}/status", page(console.change_status, "anfragen"), methods=["POST"]),
        Route("/postausgang", page(console.outbox, "anfragen")),
        Route("/postausgang/senden", page(console.resend, "anfragen"), methods=["POST"]),
        Route("/gespraeche", page(console.conversation_list, "gespraeche")),
        Route("/gespraeche/verlauf", page(console.conversation, "gespraeche")),
        Route("/gespraeche/vorschlag", page(console.suggest, "gespraeche"), methods=["POST"]),
        Route("/statistik", page(console.statistics, "statistik")),
        Route("/statistik/export.csv", page(console.statistics_csv, "statistik")),
        Route("/wissen", page(console.knowledge, "wissen")),
        Route("/kommunen", page(console.commune_list, "wissen")),
        Route("/kommunen/{ags:str}", page(console.commune, "wissen"), methods=["GET"]),
        Route("/kommunen/{ags:str}", page(console.change_commune, "wissen"), methods=["POST"]),
        Route("/kommunen/{ags:str}/zuruecksetzen", page(console.reset_commune, "wissen"), methods=["POST"]),
        Route("/protokoll", page(console.audit_log, "protokoll")),
        # Users are the admins' business like the audit log: the same area.
        Route("/benutzer", page(console.users, "protokoll")),
        Route("/benutzer/{action:str}", page(console.change_user, "protokoll"), methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    async def not_found(request: Request, _error) -> Response:
        request.state.user = console.current_user(request)
        return console.render(request, "fehler.html", {"title": "Nicht gefunden",
                                                       "message": "Diese Seite gibt es nicht."}, 404)

    app = Starlette(routes=routes, exception_handlers={404: not_found}, middleware=[
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=secret_key(settings), session_cookie="asskomm_konsole",
                   max_age=settings.console_session_minutes * 60, same_site="strict",
                   https_only=settings.console_https_only),
    ])
    protect = asgi_csrf_decorator(signing_secret=secret_key(settings), always_protect={"/anmelden"},
                                  cookie_secure=settings.console_https_only, cookie_samesite="Strict",
                                  send_csrf_failed=csrf_failed)
    return refuse_undecodable_tokens(protect(app))


def refuse_undecodable_tokens(app):
    """asgi-csrf compares tokens with secrets.compare_digest, which raises TypeError for a
    non-ASCII token; such a request is a forged one and gets the CSRF refusal, not a 500."""
    async def guarded(scope, receive, send):
        started = False

        async def tracking(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, receive, tracking)
        except TypeError:
            if started or scope["type"] != "http":
                raise
            await csrf_failed(scope, send, None)
    return guarded


class SecurityHeaders:
    """CSP without scripts, no framing, no caching of pages with personal data."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY")]
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


CSRF_FAILED_PAGE = (
    '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Anfrage abgelehnt – ASSKomm-Konsole</title>'
    '<link rel="stylesheet" href="/static/console.css"></head><body><main id="inhalt"><h1>Anfrage abgelehnt</h1>'
    "<p>Das Formular war abgelaufen oder kam nicht von dieser Seite (Schutz vor Cross-Site Request Forgery). "
    'Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.</p><p><a href="/">Zur Startseite</a></p>'
    "</main></body></html>").encode("utf-8")


async def csrf_failed(scope, send, message_id) -> None:
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/html; charset=utf-8")]})
    await send({"type": "http.response.body", "body": CSRF_FAILED_PAGE})
