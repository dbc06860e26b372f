"""The back office's pages. Views are thin: check who may do it, call one operation, commit.

Every page but the login form needs a logged-in user; every POST needs the CSRF token; a NUL
anywhere in a request is refused before any query. Forms re-render with what was typed and
errors next to the fields (status 422); a saved change redirects (status 303) so that
reloading the page never sends it twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from gateway import audit, clock, security
from gateway.admin import accounts, history, overview, passwords
from gateway.admin.auth import (
    authenticate,
    can_edit_organization,
    can_edit_service,
    can_manage_accounts,
    can_manage_organizations,
    log_in,
    log_out,
    session_user,
)
from gateway.admin.forms import (
    ACCESS_LABELS,
    PHONE_KIND_LABELS,
    REASON_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    TEXT_LABELS,
    AccountForm,
    AccountInput,
    LoginForm,
    OrganizationForm,
    PasswordForm,
    ServiceForm,
    has_control_characters,
)
from gateway.admin.throttle import LoginLimits
from gateway.config import settings
from gateway.db import db
from gateway.directory import datainclusion, operations
from gateway.directory.categories import category_name
from gateway.directory.describe import weekday_name
from gateway.directory.hsds import InterchangeError
from gateway.directory.operations import OperationError, OrganizationData, ServiceData
from gateway.directory.queries import categories, get_service
from gateway.errors import expired_form
from gateway.extensions import csrf
from gateway.i18n import LANGUAGE_NAMES, remember_choice, text_direction
from gateway.models import (
    SUMMARY_MAX_CHARS,
    TEXT_FIELDS,
    ClosureReason,
    Feedback,
    FeedbackStatus,
    IncomingChange,
    Organization,
    Service,
    User,
    UserRole,
)

blueprint = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
)

security.blueprint_headers(blueprint, {"Cache-Control": "no-store"})  # pages are never cached
PUBLIC_ENDPOINTS = frozenset({"admin.login", "admin.static"})
QUICK_ACTIONS = ("verified", "closed", "full", "reopen")


# --------------------------------------------------------------------------------------------
# Every request: who is it, is the form genuine, and the headers on the way out
# --------------------------------------------------------------------------------------------


@blueprint.before_request
def guard() -> ResponseReturnValue | None:
    if request.endpoint == "admin.static":
        return None
    if "\x00" in request.path:
        abort(404)
    g.user = session_user(db.session)
    if request.endpoint not in PUBLIC_ENDPOINTS and g.user is None:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("admin.login", next=target))
    if request.method == "POST":
        csrf.protect()
    if request.endpoint != "admin.login" and _holds_nul():
        abort(400)  # the login form tells its own error
    return None


def _holds_nul() -> bool:
    """PostgreSQL refuses NUL in text, and no back-office field has a use for one: a request
    holding one is refused whole rather than failing at the database."""
    for data in (request.args, request.form):
        for name, values in data.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return True
    return False


# The language chosen with ?lang= is remembered; headers, no-store among them, are
# gateway.security's.
blueprint.after_request(remember_choice)


@blueprint.errorhandler(400)
@blueprint.errorhandler(403)
@blueprint.errorhandler(404)
def refused(error: HTTPException) -> tuple[str, int]:
    """The back office's error page; a refused CSRF token is a 400 told in its own words."""
    messages = {
        400: _(
            "The back office cannot use what this page sent. Go back, check what you typed "
            "and try again."
        ),
        403: _("Your account may not see or change this. Ask the city's team if you need to."),
        404: _("There is nothing at this address. It may have been mistyped."),
    }
    if isinstance(error, CSRFError):
        messages[400] = expired_form()
    code = error.code or 500
    return render_template("admin/error.html", code=code, message=messages.get(code, "")), code


@blueprint.context_processor
def page_context() -> dict[str, Any]:
    locale = str(get_locale() or settings().default_locale)
    return {
        "current_user": g.get("user"),
        "locale": locale,
        "direction": text_direction(locale),
        "interface_languages": [(code, LANGUAGE_NAMES[code]) for code in settings().locales],
        "url_with_lang": _url_with_lang,
        "service_name": overview.service_name,
        "category_name": category_name,
        "language_name": history.language_name,
        "can_manage_accounts": can_manage_accounts,
        "can_manage_organizations": can_manage_organizations,
        "weekday_name": weekday_name,
        "text_labels": TEXT_LABELS,
        "status_labels": {s.value: label for s, label in STATUS_LABELS.items()},
        "access_labels": {a.value: label for a, label in ACCESS_LABELS.items()},
        "reason_labels": {r.value: label for r, label in REASON_LABELS.items()},
        "phone_kind_labels": PHONE_KIND_LABELS,
        "role_labels": {r.value: label for r, label in ROLE_LABELS.items()},
        "text_status_labels": history.TEXT_STATUS_LABELS,
        "action_label": history.action_label,
        "change_lines": history.change_lines,
        "import_summary": history.import_summary,
        "iso": audit.iso,
    }


def _url_with_lang(code: str) -> str:
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(), "lang": code}
    return url_for(request.endpoint or "admin.home", **values)


def _user() -> User:
    user: User = g.user
    return user


def _safe_next(default: str) -> str:
    """Where to go after a form: a page of the back office the form named, else ``default``.

    Anything else goes to ``default``: another site, a scheme, a backslash, a space or control
    character (CR/LF would split the Location header), a ``..`` that would climb out of
    ``/admin``, written plainly or percent-encoded.
    """
    target = request.values.get("next", "")
    if not target or any(c.isspace() or not c.isprintable() or c == "\\" for c in target):
        return default
    parts = urlsplit(target)
    segments = unquote(parts.path).split("/")
    if (
        not parts.scheme
        and not parts.netloc
        and segments[:2] == ["", "admin"]
        and not {".", ".."} & set(segments)
    ):
        return target
    return default


def _today() -> date:
    return clock.now().astimezone(ZoneInfo(settings().timezone)).date()


def _saved(changes: dict, message: str | None = None) -> None:
    if changes:
        flash(message or _("Saved. Residents see the change now."), "success")
    else:
        flash(_("Nothing had changed, so nothing was saved."), "info")


# --------------------------------------------------------------------------------------------
# Logging in and out
# --------------------------------------------------------------------------------------------


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if request.method == "GET":
        if g.user is not None:
            return redirect(_safe_next(url_for(".home")))
        return render_template("admin/login.html", form=form, error=None)
    if has_control_characters(form.email.data):
        form.email.data = ""  # never shown again: it is what the error is about
        error = _("Write an email address like name@example.org.")
        return render_template("admin/login.html", form=form, error=error), 422
    user = authenticate(
        db.session,
        form.email.data,
        form.password.data or "",
        request.remote_addr,
        LoginLimits.from_settings(),
    )
    db.session.commit()  # failed attempts count too: they are what slows guessing
    if user is None:
        error = _(
            "We could not sign you in with this email and password. Check them and try again; "
            "after several failed tries, wait %(minutes)s minutes.",
            minutes=settings().login_lockout_minutes,
        )
        return render_template("admin/login.html", form=form, error=error), 422
    log_in(user)
    return redirect(_safe_next(url_for(".home")), 303)


@blueprint.post("/logout")
def logout() -> Any:
    log_out(_user())
    db.session.commit()
    flash(_("You are signed out."), "info")
    return redirect(url_for(".login"), 303)


def _password_hint() -> str:
    return _(
        "At least %(count)s characters, any you like. A few unrelated words are easy to "
        "remember and hard to guess; common passwords, sequences and the account's email "
        "address are refused.",
        count=passwords.MIN_LENGTH,
    )


@blueprint.route("/password", methods=["GET", "POST"])
def change_password() -> Any:
    """A worker's own password. The current one is asked for, and checked against the login
    limits, so that a session left open cannot be used to guess it or to take the account."""
    user = _user()
    form = PasswordForm()
    if request.method == "GET":
        return render_template("admin/password.html", form=form, password_hint=_password_hint())
    new = form.new(user.email)
    if new is not None and not authenticate(
        db.session,
        user.email,
        form.current_password.data,
        request.remote_addr,
        LoginLimits.from_settings(),
    ):
        message = _(
            "This is not your current password. After several wrong tries, wait %(minutes)s "
            "minutes.",
            minutes=settings().login_lockout_minutes,
        )
        form.refuse("current_password", message)
        new = None
    if new is None:
        db.session.commit()  # a wrong current password counts as a failed login
        return render_template(
            "admin/password.html", form=form, password_hint=_password_hint()
        ), 422
    accounts.update_user(db.session, user, user, accounts.AccountData.of(user), password=new)
    db.session.commit()
    log_in(user)  # this browser goes on, with the account's new token
    flash(
        _("Your password is changed. Other browsers signed in to your account are signed out."),
        "success",
    )
    return redirect(url_for(".home"), 303)


# --------------------------------------------------------------------------------------------
# What needs me
# --------------------------------------------------------------------------------------------


@blueprint.get("/")
def home() -> str:
    user = _user()
    session = db.session
    feedback = overview.new_feedback(session, user)
    gaps = overview.translation_gaps(session, user, settings().locales)
    return render_template(
        "admin/home.html",
        stale=overview.stale_services(session, user, clock.now()),
        closures=overview.closures_ending_soon(session, user, _today()),
        feedback=feedback,
        feedback_services=overview.feedback_services(session, feedback),
        gaps=gaps[:10],
        gap_count=len(gaps),
        today=_today(),
        edits_nothing=user.edits_nothing,
    )


@blueprint.post("/feedback/<int:feedback_id>")
def review_feedback(feedback_id: int) -> Any:
    feedback = db.session.get(Feedback, feedback_id) or abort(404)
    _editable_service(feedback.service_id)
    try:
        status = FeedbackStatus(request.form.get("status", ""))
        operations.review_feedback(db.session, _user(), feedback, status)
    except (ValueError, OperationError):
        abort(400)
    db.session.commit()
    flash(_("The report is closed."), "success")
    return redirect(_safe_next(url_for(".home")), 303)


@blueprint.get("/translations")
def translations() -> str:
    locales = [c for c in settings().locales if c != "fr"]
    chosen = request.args.get("locale")
    if chosen not in locales:
        chosen = None
    gaps = overview.translation_gaps(db.session, _user(), settings().locales, chosen)
    return render_template("admin/translations.html", gaps=gaps, locales=locales, chosen=chosen)


# --------------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------------


@blueprint.get("/services")
def services() -> str:
    user = _user()
    page = overview.search_services(
        db.session,
        user,
        text=request.args.get("q", ""),
        organization_id=request.args.get("organization") or None,
        category=request.args.get("category") or None,
        archived=request.args.get("archived") == "1",
        page=request.args.get("page", 1, type=int),
    )
    return render_template(
        "admin/services.html",
        page=page,
        organizations=overview.organizations_for(db.session, user, archived=None),
        categories=categories(db.session),
        query=request.args,
        page_url=_page_url,
    )


def _page_url(number: int) -> str:
    """This list's page ``number``, with the same filters."""
    values: dict[str, Any] = {**request.args.to_dict(), "page": number}
    return url_for(request.endpoint or ".home", **values)


def _editable_service(service_id: str) -> Service:
    service = get_service(db.session, service_id) or abort(404)
    if not can_edit_service(_user(), service):
        abort(403)
    return service


def _form_context(service: Service | None) -> dict[str, Any]:
    organizations = overview.organizations_for(db.session, _user(), archived=False)
    if service is not None and service.organization not in organizations:
        organizations.append(service.organization)
    return {
        "organizations": organizations,
        "organization_options": [("", _("Choose…"))] + [(o.id, o.name) for o in organizations],
        "categories": categories(db.session),
        "category_options": [(c.slug, category_name(c.slug)) for c in categories(db.session)],
        "language_options": [(code, history.language_name(code)) for code in settings().locales],
        "text_fields": TEXT_FIELDS,
        "summary_max": SUMMARY_MAX_CHARS,
    }


def _statuses(service: Service | None) -> dict[str, str]:
    if service is None:
        return {}
    return {text.locale: text.status.value for text in service.texts}


def _render_service_form(
    form: ServiceForm, service: Service | None, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "admin/service_form.html", form=form, service=service, **_form_context(service)
    ), status


def _submitted_form(service: Service | None) -> tuple[ServiceForm, ServiceData | None]:
    statuses = _statuses(service)
    original = ServiceData.of(service).texts.get("fr") if service is not None else None
    form = ServiceForm.from_request(
        settings().locales, original.values() if original else {}, statuses
    )
    context = _form_context(service)
    data = form.service_data(
        [o.id for o in context["organizations"]], [c.slug for c in context["categories"]]
    )
    return form, data


@blueprint.route("/services/new", methods=["GET", "POST"])
def new_service() -> Any:
    user = _user()
    if request.method == "GET":
        organization_id = request.args.get("organization", "")
        blank = ServiceData(organization_id=organization_id, texts={}, categories=[])
        form = ServiceForm.for_service(blank, settings().locales, {})
        return _render_service_form(form, None)
    form, data = _submitted_form(None)
    if data is None or request.form.get("action") == "check":
        return _render_service_form(form, None, 422 if form.problems() else 200)
    if not can_edit_organization(user, data.organization_id):
        abort(403)
    try:
        service = operations.create_service(db.session, user, data)
    except OperationError as exc:
        db.session.rollback()
        form.refuse_operation(exc)
        return _render_service_form(form, None, 422)
    db.session.commit()
    flash(_("The service is created. Residents see it now."), "success")
    return redirect(url_for(".edit_service", service_id=service.id), 303)


@blueprint.route("/services/<service_id>", methods=["GET", "POST"])
def edit_service(service_id: str) -> Any:
    service = _editable_service(service_id)
    if request.method == "GET":
        form = ServiceForm.for_service(
            ServiceData.of(service), settings().locales, _statuses(service)
        )
        return _render_service_form(form, service)
    form, data = _submitted_form(service)
    if data is None or request.form.get("action") == "check":
        return _render_service_form(form, service, 422 if form.problems() else 200)
    if not can_edit_organization(_user(), data.organization_id):
        abort(403)
    try:
        changes = operations.update_service(db.session, _user(), service, data)
    except OperationError as exc:
        db.session.rollback()
        form.refuse_operation(exc)
        return _render_service_form(form, service, 422)
    db.session.commit()
    _saved(changes)
    return redirect(url_for(".edit_service", service_id=service.id), 303)


@blueprint.post("/services/<service_id>/quick/<action>")
def quick_action(service_id: str, action: str) -> Any:
    if action not in QUICK_ACTIONS:
        abort(404)
    service = _editable_service(service_id)
    user, today = _user(), _today()
    if action == "verified":
        changes = operations.verify_service(db.session, user, service)
        message = _("Marked as verified today.")
    elif action == "closed":
        changes = operations.close_for_today(db.session, user, service, today)
        message = _("Marked as closed today. Residents are told so.")
    elif action == "full":
        changes = operations.close_for_today(
            db.session, user, service, today, ClosureReason.FULL_TODAY
        )
        message = _("Marked as full today. Residents are told so.")
    else:
        changes = operations.reopen_service(db.session, user, service, today)
        message = _("Reopened: residents see the service as open today.")
    db.session.commit()
    flash(message if changes else _("Nothing had changed, so nothing was saved."), "success")
    return redirect(_safe_next(url_for(".edit_service", service_id=service.id)), 303)


@blueprint.post("/services/<service_id>/archive")
def archive_service(service_id: str) -> Any:
    service = _editable_service(service_id)
    operations.archive_service(db.session, _user(), service)
    db.session.commit()
    flash(_("The service is archived: residents no longer see it. You can restore it."), "info")
    return redirect(url_for(".edit_service", service_id=service.id), 303)


@blueprint.post("/services/<service_id>/restore")
def restore_service(service_id: str) -> Any:
    service = _editable_service(service_id)
    operations.restore_service(db.session, _user(), service)
    db.session.commit()
    flash(_("The service is restored: residents see it again."), "success")
    return redirect(url_for(".edit_service", service_id=service.id), 303)


@blueprint.get("/services/<service_id>/history")
def service_history(service_id: str) -> str:
    service = _editable_service(service_id)
    entries = audit.history(db.session, "service", service.id)
    return render_template("admin/history.html", service=service, entries=entries)


@blueprint.get("/changes")
def changes() -> str:
    """Every recent change to the directory, for every editor alike (a trail is only useful
    when nothing is hidden from it); changes to accounts only for those who manage them."""
    page = overview.paginate(
        db.session,
        audit.recent_query(hide=() if can_manage_accounts(_user()) else ("user",)),
        request.args.get("page", 1, type=int),
    )
    return render_template(
        "admin/changes.html", page=page, names=_entity_names(page.items), page_url=_page_url
    )


@blueprint.get("/incoming")
def incoming() -> str:
    """The review queue of data·inclusion changes held back by local edits, for those who
    may edit each service."""
    user = _user()
    changes = []
    names: dict[str, str] = {}
    for change in datainclusion.pending_changes(db.session):
        service = db.session.get(Service, change.service_id)
        if service is not None and can_edit_service(user, service):
            changes.append(change)
            names[service.id] = overview.service_name(service)
    return render_template("admin/incoming.html", changes=changes, names=names)


@blueprint.post("/incoming/<int:change_id>")
def decide_incoming(change_id: int) -> Any:
    change = db.session.get(IncomingChange, change_id) or abort(404)
    _editable_service(change.service_id)
    decision = request.form.get("decision")
    if decision not in ("accept", "reject"):
        abort(400)
    try:
        datainclusion.decide(db.session, _user(), change, accept=decision == "accept")
    except (OperationError, InterchangeError):
        abort(400)
    db.session.commit()
    if decision == "accept":
        flash(_("The incoming version is applied."), "success")
    else:
        flash(_("The incoming version is rejected: yours stays."), "info")
    return redirect(url_for(".incoming"), 303)


def _entity_names(entries: list) -> dict[tuple[str, str], str]:
    """Names of the services and organisations the entries are about, to link them."""
    names: dict[tuple[str, str], str] = {}
    service_ids = {e.entity_id for e in entries if e.entity_type == "service" and e.entity_id}
    if service_ids:
        for service in db.session.scalars(select(Service).where(Service.id.in_(service_ids))):
            names[("service", service.id)] = overview.service_name(service)
    org_ids = {e.entity_id for e in entries if e.entity_type == "organization" and e.entity_id}
    if org_ids:
        for org in db.session.scalars(select(Organization).where(Organization.id.in_(org_ids))):
            names[("organization", org.id)] = org.name
    user_ids = {e.entity_id for e in entries if e.entity_type == "user" and e.entity_id}
    if user_ids:
        ids = [int(i) for i in user_ids if i.isdigit()]
        for user in db.session.scalars(select(User).where(User.id.in_(ids))):
            names[("user", str(user.id))] = user.email
    return names


# --------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------


@blueprint.get("/organizations")
def organizations() -> str:
    archived = request.args.get("archived") == "1"
    return render_template(
        "admin/organizations.html",
        organizations=overview.organizations_for(db.session, _user(), archived=archived),
        counts=overview.service_counts(db.session),
        archived=archived,
    )


@blueprint.route("/organizations/new", methods=["GET", "POST"])
def new_organization() -> Any:
    if not can_manage_organizations(_user()):
        abort(403)
    if request.method == "GET":
        return render_template(
            "admin/organization_form.html", form=OrganizationForm(), organization=None
        )
    form = OrganizationForm()
    data = form.organization()
    if data is None:
        return render_template("admin/organization_form.html", form=form, organization=None), 422
    organization = operations.create_organization(db.session, _user(), data)
    db.session.commit()
    flash(_("The organisation is created. You can now add its services."), "success")
    return redirect(url_for(".edit_organization", organization_id=organization.id), 303)


def _editable_organization(organization_id: str) -> Organization:
    organization = db.session.get(Organization, organization_id) or abort(404)
    if not can_edit_organization(_user(), organization.id):
        abort(403)
    return organization


@blueprint.route("/organizations/<organization_id>", methods=["GET", "POST"])
def edit_organization(organization_id: str) -> Any:
    organization = _editable_organization(organization_id)
    entries = audit.history(db.session, "organization", organization.id)[:20]
    if request.method == "GET":
        form = OrganizationForm(obj=OrganizationData.of(organization))
        return render_template(
            "admin/organization_form.html",
            form=form,
            organization=organization,
            entries=entries,
        )
    form = OrganizationForm()
    data = form.organization()
    if data is None:
        return render_template(
            "admin/organization_form.html", form=form, organization=organization, entries=entries
        ), 422
    changes = operations.update_organization(db.session, _user(), organization, data)
    db.session.commit()
    _saved(changes)
    return redirect(url_for(".edit_organization", organization_id=organization.id), 303)


@blueprint.post("/organizations/<organization_id>/archive")
def archive_organization(organization_id: str) -> Any:
    organization = _editable_organization(organization_id)
    if not can_manage_organizations(_user()):
        abort(403)
    operations.archive_organization(db.session, _user(), organization)
    db.session.commit()
    flash(_("The organisation and its services are archived. You can restore them."), "info")
    return redirect(url_for(".edit_organization", organization_id=organization.id), 303)


@blueprint.post("/organizations/<organization_id>/restore")
def restore_organization(organization_id: str) -> Any:
    organization = _editable_organization(organization_id)
    if not can_manage_organizations(_user()):
        abort(403)
    operations.restore_organization(db.session, _user(), organization)
    db.session.commit()
    flash(_("The organisation and the services archived with it are restored."), "success")
    return redirect(url_for(".edit_organization", organization_id=organization.id), 303)


# --------------------------------------------------------------------------------------------
# Accounts (administrators only)
# --------------------------------------------------------------------------------------------


def _require_accounts() -> None:
    if not can_manage_accounts(_user()):
        abort(403)


@blueprint.get("/users")
def users() -> str:
    _require_accounts()
    everyone = db.session.scalars(select(User).order_by(User.email))
    return render_template("admin/users.html", users=list(everyone))


def _render_account(form: AccountForm, account: User | None, status: int = 200) -> Any:
    all_organizations = overview.organizations_for(db.session, _user(), archived=None)
    return render_template(
        "admin/user_form.html",
        form=form,
        account=account,
        organization_options=[(o.id, o.name) for o in all_organizations],
        roles=list(UserRole),
        password_hint=_password_hint(),
    ), status


def _account_data(result: AccountInput) -> accounts.AccountData:
    return accounts.AccountData(
        email=result.email,
        role=result.role,
        organization_ids=result.organization_ids,
        all_organizations=result.all_organizations,
    )


@blueprint.route("/users/new", methods=["GET", "POST"])
def new_user() -> Any:
    _require_accounts()
    if request.method == "GET":
        return _render_account(AccountForm(data={"role": "editor", "active": True}), None)
    form = AccountForm()
    result = form.account(creating=True)
    if result is not None and accounts.find_user(db.session, result.email):
        form.refuse("email", _("An account already uses this email address."))
        result = None
    if result is None:
        return _render_account(form, None, 422)
    try:
        account = accounts.create_user(db.session, _user(), _account_data(result), result.password)
    except OperationError as exc:
        db.session.rollback()
        form.refuse(exc.field if exc.field in form else "email", str(exc))
        return _render_account(form, None, 422)
    db.session.commit()
    flash(_("The account is created. Give the person their password in person."), "success")
    return redirect(url_for(".edit_user", user_id=account.id), 303)


@blueprint.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> Any:
    _require_accounts()
    account = db.session.get(User, user_id) or abort(404)
    if request.method == "GET":
        data = accounts.AccountData.of(account)
        form = AccountForm(
            data={
                "email": data.email,
                "role": data.role.value,
                "all_organizations": data.all_organizations,
                "organizations": data.organization_ids,
                "active": account.active,
            }
        )
        return _render_account(form, account)
    form = AccountForm()
    result = form.account(creating=False)
    if result is not None and account.id == _user().id:
        if not result.active:
            form.refuse("active", _("You cannot disable your own account."))
        if result.role is not UserRole.ADMIN:
            form.refuse("role", _("You cannot take away your own administrator role."))
        result = None if form.problems() else result
    if result is not None:
        other = accounts.find_user(db.session, result.email)
        if other is not None and other.id != account.id:
            form.refuse("email", _("An account already uses this email address."))
            result = None
    if result is None:
        return _render_account(form, account, 422)
    actor = _user()
    try:
        changes = accounts.update_user(
            db.session, actor, account, _account_data(result), result.password or None
        )
        if result.active and not account.active:
            changes |= accounts.enable_user(db.session, actor, account)
        elif not result.active and account.active:
            changes |= accounts.disable_user(db.session, actor, account)
    except OperationError as exc:
        db.session.rollback()
        form.refuse(exc.field if exc.field in form else "email", str(exc))
        return _render_account(form, account, 422)
    db.session.commit()
    if account.id == actor.id and result.password:
        log_in(account)  # a new password ends the other sessions, not this one
    _saved(changes, _("Saved."))
    return redirect(url_for(".edit_user", user_id=account.id), 303)
