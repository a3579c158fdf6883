"""The administrators' UI (sqladmin) at /admin: agencies, categories and deadlines, wards,
routing rules and staff. Only a logged-in staff member with the role admin gets in.

sqladmin is a well-kept admin library for SQLAlchemy on Starlette; it is built on the first
request so it uses the engine of the app that serves it (tests give the app its own).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqladmin import Admin, ModelView
from sqladmin.authentication import AuthenticationBackend
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send
from wtforms import Field, PasswordField, StringField, validators

from core.db import get_engine
from core.settings import get_settings
from httpbase.csrf import SESSION_COOKIE
from routing.models import Agency, Area, Category, Procedure, RoutingRule
from staff import service
from staff.models import ROLES, Role, StaffUser


class StaffAuth(AuthenticationBackend):
    """The staff log-in cookie decides; sqladmin's own log-in form is never used."""

    def __init__(self, secret_key: str, engine: Any, *, secure: bool = False) -> None:
        super().__init__(secret_key=secret_key, same_site="lax", https_only=secure)
        self.engine = engine

    async def login(self, request: Request) -> bool:
        return False

    async def logout(self, request: Request) -> Response:
        return RedirectResponse("/staff", status_code=303)

    async def authenticate(self, request: Request) -> Response | bool:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return RedirectResponse("/staff/login?next=/admin/", status_code=303)
        with Session(self.engine) as session:
            user = service.user_for_token(session=session, token=token, kind="browser")
            role = user.role if user else None
        if role is None:
            return RedirectResponse("/staff/login?next=/admin/", status_code=303)
        if role != Role.admin:
            return PlainTextResponse("Administrators only.", status_code=403)
        return True


def _fk(label: str, *, required: bool = True) -> Field:
    """sqladmin leaves plain foreign-key columns out of its forms: give them a text field."""
    checks = [validators.InputRequired()] if required else [validators.Optional()]
    return StringField(label, validators=checks, filters=[lambda v: (v or "").strip() or None])


class WithForeignKeys(ModelView):
    foreign_key_fields: dict[str, tuple[str, bool]] = {}

    async def scaffold_form(self, rules: list[str] | None = None) -> Any:
        form = await super().scaffold_form(rules)
        extra = {
            name: _fk(label, required=required)
            for name, (label, required) in self.foreign_key_fields.items()
        }
        return type(f"{form.__name__}WithKeys", (form,), extra) if extra else form


# sqladmin has no Vietnamese interface: the names and column labels are Vietnamese, the
# landing page (web/templates/admin/sqladmin/index.html) says what each list is in both languages
COMMON_LABELS: dict[str | InstrumentedAttribute[Any], str] = {
    "id": "Mã",
    "name_vi": "Tên (tiếng Việt)",
    "name_en": "Tên (tiếng Anh)",
    "email": "E-mail",
    "active": "Đang dùng",
    "kind": "Loại",
    "note": "Ghi chú",
    "name": "Họ tên",
    "role": "Vai trò",
    "language": "Ngôn ngữ",
    "agency_id": "Cơ quan",
    "category_id": "Lĩnh vực",
    "area_id": "Phường/xã",
    "default_agency_id": "Cơ quan mặc định",
    "acknowledge_hours": "Giờ tiếp nhận",
    "resolve_working_days": "Ngày làm việc để giải quyết",
    "urgent_resolve_hours": "Giờ giải quyết (khẩn)",
    "fix_question_days": "Ngày hỏi lại đã sửa chưa",
}


class AgencyAdmin(ModelView, model=Agency):
    name = "Cơ quan"
    name_plural = "Cơ quan (agencies)"
    description = "Các cơ quan nhận và giải quyết phản ánh · The agencies that handle reports."
    column_labels = COMMON_LABELS
    column_list = ["id", "name_vi", "name_en", "email", "active"]
    form_include_pk = True
    can_delete = False
    icon = "fa-solid fa-building"


class CategoryAdmin(WithForeignKeys, model=Category):
    name = "Lĩnh vực"
    name_plural = "Lĩnh vực (categories)"
    description = (
        "Lĩnh vực phản ánh, cơ quan mặc định và thời hạn · Categories, default agency, deadlines."
    )
    column_labels = COMMON_LABELS
    column_list = [
        "id",
        "name_vi",
        "default_agency_id",
        "acknowledge_hours",
        "resolve_working_days",
        "urgent_resolve_hours",
        "fix_question_days",
        "active",
    ]
    form_include_pk = True
    can_delete = False
    icon = "fa-solid fa-tags"
    foreign_key_fields = {"default_agency_id": ("Default agency (id)", True)}


class AreaAdmin(ModelView, model=Area):
    name = "Phường/xã"
    name_plural = "Phường/xã (wards)"
    description = "Các phường, xã của tỉnh/thành · The wards and communes."
    column_labels = COMMON_LABELS
    column_list = ["id", "name_vi", "name_en", "kind", "active"]
    form_include_pk = True
    can_delete = False
    icon = "fa-solid fa-map"


class RoutingRuleAdmin(WithForeignKeys, model=RoutingRule):
    name = "Quy tắc chuyển"
    name_plural = "Quy tắc chuyển (routing rules)"
    description = (
        "Lĩnh vực ở phường/xã nào thì chuyển cơ quan nào · Which agency gets a category where."
    )
    column_labels = COMMON_LABELS
    column_list = [
        "id",
        "category_id",
        "area_id",
        "agency_id",
        "note",
    ]
    form_columns = ["note"]
    foreign_key_fields = {
        "category_id": ("Category (id)", True),
        "area_id": ("Ward (id; empty: everywhere)", False),
        "agency_id": ("Agency (id)", True),
    }
    icon = "fa-solid fa-route"


class ProcedureAdmin(WithForeignKeys, model=Procedure):
    name = "Administrative procedure"
    column_list = ["id", "name_vi", "processing_working_days", "agency_id", "basis", "active"]
    form_include_pk = True
    can_delete = False  # deactivate instead: complaints name their procedure
    foreign_key_fields = {"agency_id": ("Deciding agency (id; empty: the ward's centre)", False)}
    icon = "fa-solid fa-file-lines"


class StaffAdmin(WithForeignKeys, model=StaffUser):
    name = "Cán bộ"
    name_plural = "Cán bộ (staff)"
    description = "Tài khoản cán bộ, vai trò và cơ quan · Staff accounts, roles and agencies."
    column_labels = COMMON_LABELS
    column_list = [
        "id",
        "email",
        "name",
        "role",
        "agency_id",
        "active",
    ]
    column_searchable_list = ["email", "name"]
    form_columns = [
        "email",
        "name",
        "role",
        "language",
        "active",
    ]
    foreign_key_fields = {"agency_id": ("Agency (id; agents and agency heads)", False)}
    form_args = {"role": {"description": " | ".join(ROLES)}}
    can_delete = False  # deactivate instead: the audit trail names staff
    icon = "fa-solid fa-users"

    async def scaffold_form(self, rules: list[str] | None = None) -> Any:
        form = await super().scaffold_form(rules)

        class WithPassword(form):  # type: ignore[valid-type,misc]
            new_password = PasswordField("New password (leave empty to keep)")

        return WithPassword

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        password = data.pop("new_password", None)
        if data.get("role") not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if data.get("email"):
            data["email"] = service.normalize_email(data["email"])
        if password:
            data["password_hash"] = service.hash_password(password)
        elif is_created:
            raise ValueError("a new staff member needs a password")


ADMIN_TEMPLATES = Path(__file__).resolve().parent / "templates" / "admin"


class LazyAdmin:
    """An ASGI app that builds the admin for the serving app's engine on first use."""

    def __init__(self) -> None:
        self._apps: dict[int, Any] = {}
        self._last: Any = None

    @property
    def routes(self) -> list[Any]:
        """For url_for('admin:...') through the parent Mount: the built admin's routes."""
        return list(getattr(self._last, "routes", []))

    def _build(self, engine: Any, secret_key: str, secure: bool = False) -> Any:
        holder = Starlette()
        admin = Admin(
            holder,
            engine=engine,
            base_url="/admin",
            title="Hotline 1022 · Quản trị",
            templates_dir=str(ADMIN_TEMPLATES),
            authentication_backend=StaffAuth(secret_key, engine, secure=secure),
        )
        for view in (
            AgencyAdmin,
            CategoryAdmin,
            AreaAdmin,
            RoutingRuleAdmin,
            ProcedureAdmin,
            StaffAdmin,
        ):
            admin.add_view(view)
        return admin.admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope.get("app")
        state = getattr(app, "state", None)
        engine = getattr(state, "engine", None) or get_engine()
        settings = getattr(state, "settings", None) or get_settings()
        if scope.get("method", "GET") not in SAFE_METHODS and not same_origin(
            scope, settings.public_base_url
        ):
            # sqladmin's forms carry no CSRF token: a state-changing request must come from
            # a page of this site (browsers send Origin on every cross-site POST)
            refusal = PlainTextResponse(
                "This form did not come from this site.", status_code=403
            )
            await refusal(scope, receive, send)
            return
        built = self._apps.get(id(engine))
        if built is None:
            built = self._apps[id(engine)] = self._build(
                engine, settings.secret_key.get_secret_value(), settings.secure_cookies
            )
        self._last = built
        await built(scope, receive, send)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(scope: Scope, public_base_url: str) -> bool:
    """Origin (or, without it, Referer) names this site: its own Host or the public URL."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    source = headers.get("origin") or headers.get("referer")
    if not source or source == "null":
        return False
    host = urlsplit(source).netloc.lower()
    allowed = {headers.get("host", "").lower(), urlsplit(public_base_url).netloc.lower()}
    return bool(host) and host in allowed
