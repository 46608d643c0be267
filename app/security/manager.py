"""SecurityManager: lockout, access channel, forced password change, Chinese login messages, rate limits."""
import datetime

from flask import abort, current_app, flash, g, has_request_context, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.api import safe
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    ViewMenu,
    assoc_group_role,
    assoc_permissionview_role,
    assoc_user_group,
    assoc_user_role,
)
from flask_appbuilder.security.views import (
    AuthDBView,
    ResetMyPasswordView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
)
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_jwt_extended import create_access_token, create_refresh_token
from flask_login import login_user
from sqlalchemy import or_, select, union
from wtforms import BooleanField, PasswordField, validators

from app.domain.errors import DomainError
from app.domain.network import NO_INTERNET_MESSAGE
from app.domain.password import password_problems, validate_password
from app.extensions import db, limiter
from app.models.enums import API_SUBSYSTEM
from app.models.security import TOMBSTONE, RoleProfile, User, original_username
from app.security import sessions
from app.security.filters import AppInterface
from app.security.roles import permission_label
from app.security.tenancy import SafeRoutesMixin, TenantViewMixin
from app.services import accounts, login_history
from app.services import sessions as session_epochs
from app.services.roles import active_roles
from app.services.scope import scope_of
from app.views.display import DisplayMixin

# FAB renders role permissions with repr(): "can read on X". Shown to operators in Chinese instead.
PermissionView.__repr__ = permission_label

PERMISSIONS_KEY = "app.user_permissions"  # on the request's WSGI environ: {user id: frozenset of pairs}


def _permissions_statement(user_id):
    """One statement: the (permission, resource) pairs granted by the user's roles and its groups' roles; a role
    whose profile is 停用 grants nothing (services.roles.active_roles)."""
    role_ids = union(
        select(assoc_user_role.c.role_id).where(assoc_user_role.c.user_id == user_id),
        select(assoc_group_role.c.role_id)
        .join(assoc_user_group, assoc_user_group.c.group_id == assoc_group_role.c.group_id)
        .where(assoc_user_group.c.user_id == user_id))
    granted = assoc_permissionview_role.c
    return (select(Permission.name, ViewMenu.name).distinct()
            .select_from(PermissionView)
            .join(Permission, PermissionView.permission_id == Permission.id)
            .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
            .join(assoc_permissionview_role, granted.permission_view_id == PermissionView.id)
            .outerjoin(RoleProfile, RoleProfile.role_id == granted.role_id)
            .where(granted.role_id.in_(role_ids), or_(RoleProfile.id.is_(None), RoleProfile.status != "停用")))


INVALID_LOGIN = "用户名或密码错误（连续 5 次错误将锁定账号 30 分钟）"
NO_API_MESSAGE = (f"该账号未开通“{API_SUBSYSTEM}”子系统，不能获取接口令牌；"
                  f"请由本机构总账号在“账号管理”中为接口账号勾选“{API_SUBSYSTEM}”")


def password_complexity(password):
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: the same policy, for FAB's own password forms."""
    problems = password_problems(password)
    if problems:
        raise PasswordComplexityValidationError("；".join(problems))


def lockout_message(until: datetime.datetime) -> str:
    return f"密码连续错误 5 次，账号已锁定，请于 {until:%Y-%m-%d %H:%M} 后再试，或联系上级管理员解锁"


class AppAuthDBView(AuthDBView):
    """FAB's login form with the reason of a refusal (locked, no internet access) in Chinese."""

    invalid_login_message = INVALID_LOGIN
    login_template = "security/login.html"

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = LoginForm_db()
        form.username.label.text = "账号"
        form.password.label.text = "密码"
        if form.validate_on_submit():
            next_url = get_safe_redirect(request.args.get("next", ""))
            user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                flash(g.get("login_error") or self.invalid_login_message, "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            login_user(user, remember=False)
            sessions.start(user)
            return redirect(next_url)
        return self.render_template(self.login_template, title="登录", form=form, appbuilder=self.appbuilder)

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        """退出登录 by POST with the CSRF token (it ends every session of the account); a GET — an old bookmark, a link
        on another site — changes nothing and asks first."""
        if request.method == "GET":
            if g.user is None or not g.user.is_authenticated:
                return redirect(self.appbuilder.get_url_for_login)
            return self.render_template("security/logout.html", title="退出登录", appbuilder=self.appbuilder)
        super().logout()
        return redirect(self.appbuilder.get_url_for_login)


class AppSecurityApi(SecurityApi):
    """REST login: same checks and messages as the form; accounts that must change their password get no token."""

    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """Log in: an access token (and with "refresh": true a refresh token) for an account with 开放接口.
        ---
        post:
          summary: 登录获取访问令牌（仅限开通“开放接口”子系统的账号）
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    username: {type: string}
                    password: {type: string}
                    refresh: {type: boolean}
          responses:
            200:
              description: access_token（15 分钟），可选 refresh_token
              content:
                application/json:
                  schema: {type: object}
            400:
              description: 缺少账号或密码
            401:
              description: 账号或密码错误、已锁定
            403:
              description: 未开通“开放接口”、须先修改密码或完成实名认证
            429:
              description: 登录过于频繁
        """
        payload = request.get_json(silent=True) or {}
        username, password = payload.get("username"), payload.get("password")
        if not username or not password:
            return self.response_400(message="请提供账号和密码")
        user = self.appbuilder.sm.auth_user_db(username, password)
        if not user:
            return self.response(401, message=g.get("login_error") or INVALID_LOGIN)
        if user.must_change_password:
            return self.response(403, message="首次登录或密码被重置，请先在网页上修改密码")
        if user.certified_at is None and scope_of(user).kind != "all":
            return self.response(403, message="请先在网页上完成实名认证")
        if API_SUBSYSTEM not in user.subsystem_list:
            return self.response(403, message=NO_API_MESSAGE)
        resp = {"access_token": create_access_token(identity=str(user.id), fresh=True)}
        if payload.get("refresh"):
            resp["refresh_token"] = create_refresh_token(identity=str(user.id))
        return self.response(200, **resp)


class AppResetMyPasswordView(ResetMyPasswordView):
    """FAB's own-password form is replaced by the change-password page (which asks for the old password)."""

    @expose("/form", methods=["GET", "POST"])
    def this_form_get(self):
        return redirect(url_for("ChangePasswordView.form"))


API_ACCESS_NOTE = ("接口账号：勾选后可通过 /api/v1/security/login 获取令牌，供其他系统按本账号的机构/区域与角色调用接口；"
                   "取消勾选即收回其全部令牌")


class AppUserDBModelView(TenantViewMixin, UserDBModelView):
    """The operators' user list, in Chinese, with the account fields of this system."""

    list_title = "账号列表"
    show_title = "账号详情"
    add_title = "新增账号"
    edit_title = "修改账号"
    list_columns = ["username", "nickname", "institution", "region", "roles", "active", "locked_until"]
    show_columns = [
        "username", "nickname", "mobile", "institution", "region", "roles", "active", "is_owner",
        "must_change_password", "internet_access", "subsystems", "locked_until", "login_count",
        "fail_login_count", "last_login", "created_on", "changed_on",
    ]
    edit_columns = ["nickname", "mobile", "institution", "region", "roles", "active", "internet_access", "is_owner",
                    "api_access"]
    add_columns = ["username", "nickname", "mobile", "institution", "region", "roles", "active", "internet_access",
                   "is_owner", "api_access", "password", "conf_password"]
    search_columns = ["username", "nickname", "institution", "region", "active"]
    label_columns = {
        "username": "账号", "nickname": "昵称", "mobile": "手机号码", "institution": "所属机构",
        "region": "所属区域", "roles": "角色", "active": "启用", "is_owner": "总账号",
        "must_change_password": "须修改密码", "internet_access": "互联网访问", "subsystems": "所属子系统",
        "locked_until": "锁定至", "login_count": "登录次数", "fail_login_count": "连续失败次数",
        "last_login": "最近登录", "created_on": "创建时间", "changed_on": "修改时间",
        "password": "密码", "conf_password": "确认密码", "api_access": "开放接口",
    }

    # A deleted account (renamed "<name>~<id>" to free its name) shows its original name, marked.
    formatters_columns = {"username": lambda name: original_username(name) + ("（已删除）" if TOMBSTONE in (name or "") else "")}
    # FAB's roles_or_groups_required reads a "groups" field these forms do not have (a 500 when no role is ticked).
    validators_columns = {"roles": [validators.DataRequired("请至少选择一个角色")]}
    edit_form_extra_fields = {"api_access": BooleanField("开放接口", description=API_ACCESS_NOTE)}
    add_form_extra_fields = {
        "api_access": BooleanField("开放接口", description=API_ACCESS_NOTE),
        "password": PasswordField("密码", description="须符合密码规则；新账号首次登录须修改密码",
                                  validators=[validators.DataRequired("请输入密码"), PasswordComplexityValidator()],
                                  widget=BS3PasswordFieldWidget()),
        "conf_password": PasswordField("确认密码", description="再次输入密码",
                                       validators=[validators.DataRequired("请再次输入密码"),
                                                   validators.EqualTo("password", message="两次输入的密码不一致")],
                                       widget=BS3PasswordFieldWidget()),
    }
    description_columns = {
        "username": "登录账号，以字母开头，至少 8 位",
        "active": "停用的账号不能登录（删除账号会丢失其操作记录的归属，建议停用）",
        "internet_access": "关闭后只能通过卫生专网登录",
        "api_access": API_ACCESS_NOTE,
    }
    show_fieldsets = [("账号信息", {"fields": show_columns})]
    user_show_fieldsets = [("账号信息", {"fields": ["username", "nickname", "mobile", "institution", "region",
                                                   "roles", "last_login", "login_count"]})]

    def pre_add(self, item):
        item.first_name = item.nickname or item.username
        item.last_name = ""
        item.email = item.email or f"{item.username}@accounts.invalid"
        item.must_change_password = True
        super().pre_add(item)

    def _delete(self, pk):
        """删除 here is the same soft delete as 账号管理 (the row stays, so the audit trail keeps its name):
        FAB's hard delete is never reached, from the button or any action."""
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        try:
            accounts.remove(g.user, item)  # one transaction: nothing of a refusal stays
        except DomainError as exc:
            flash(exc.message, "danger")
            return
        flash(f"账号 {original_username(item.username)} 已删除（其操作记录保留；该账号名可以重新建立）", "success")


class AppRoleModelView(SafeRoutesMixin, DisplayMixin, RoleModelView):
    """The operators' role list (the permission tree of the accounts issue is the users' page)."""

    class_permission_name = "RoleModelView"
    label_columns = {"name": "角色名称", "permissions": "权限", "user": "账号", "groups": "用户组"}
    list_title, show_title, add_title, edit_title = "角色列表", "角色详情", "新增角色", "修改角色"
    search_columns = ["name", "user"]


class AppGroupModelView(SafeRoutesMixin, DisplayMixin, UserGroupModelView):
    """FAB's user groups: not used by this system (kept out of the menu), labelled for completeness."""

    class_permission_name = "UserGroupModelView"
    list_title = show_title = "用户组"
    add_title, edit_title = "新增用户组", "修改用户组"
    label_columns = {"name": "名称", "label": "显示名", "description": "说明", "users": "账号", "roles": "角色"}


class AppSecurityManager(SecurityManager):
    user_model = User
    userdbmodelview = AppUserDBModelView
    authdbview = AppAuthDBView
    security_api = AppSecurityApi
    resetmypasswordview = AppResetMyPasswordView
    rolemodelview = AppRoleModelView
    groupmodelview = AppGroupModelView
    userstatschartview = None  # FAB's chart loads Google Charts from the internet (blocked by the CSP); not used

    def create_limiter(self, app):
        """Use the app's one Flask-Limiter (storage REDIS_URL when set) for FAB's login limits too."""
        limiter.init_app(app)
        return limiter

    def register_views(self):
        for view, model in ((self.userdbmodelview, self.user_model), (self.rolemodelview, self.role_model),
                            (self.groupmodelview, self.group_model)):
            view.datamodel = AppInterface(model)  # search operations the form can use (security/filters.py)
        super().register_views()
        # One counter per address for the form login and the REST login together (FAB limits only the form).
        if self.is_auth_limited:
            api = next(v for v in self.appbuilder.baseviews if isinstance(v, AppSecurityApi))
            logins = {f"{self.auth_view.__class__.__name__}.login", f"{api.__class__.__name__}.login"}
            # Only the two logins count: 退出登录 (a POST on the same blueprint) and the token refresh do not.
            shared = self.limiter.shared_limit(self.auth_rate_limit, scope="login", methods=["POST"],
                                               exempt_when=lambda: request.endpoint not in logins)
            shared(self.auth_view.blueprint)
            shared(api.blueprint)

    def add_permissions_view(self, base_permissions, view_menu):
        """Several views share one permission name (人员信息管理: the pages and their files; 角色管理: the list and the
        permission tree). FAB deletes the permissions of the name that the view being registered lacks, though
        another view of the name uses them ("Refused to delete permission view" when a role holds them): register
        the permissions of every view of the name instead. Likewise a menu item named like the view owns its
        menu_access (added after the views on a first start, present on the next): a view does not remove it."""
        shared = [p for v in self.appbuilder.baseviews if getattr(v, "class_permission_name", None) == view_menu
                  for p in (getattr(v, "base_permissions", None) or ())]
        if self.find_permission_view_menu("menu_access", view_menu) is not None:
            shared.append("menu_access")
        return super().add_permissions_view(list(dict.fromkeys([*base_permissions, *shared])), view_menu)

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)
        sessions.install_jwt(jwt_manager)
        return jwt_manager

    def on_user_logout(self, user):
        """Logout ends every session and token of the account, so a copied cookie dies with it."""
        session_epochs.end_all(user)

    def auth_user_db(self, username, password):
        """Password check plus lockout (5 failures → 30 minutes) and the access channel (spec 二). Every attempt on
        a known account is recorded with its outcome (个人中心 shows the last ones); unknown names are not."""
        user = self.find_user(username=username) if username else None
        result, outcome = self._check_login(user, username, password)
        if user is not None:
            login_history.record(user, request.remote_addr, outcome)
        return result

    def _check_login(self, user, username, password):
        g.login_error = None
        cfg = current_app.config
        now = datetime.datetime.now()
        if user is not None and sessions.from_internet() and not self.internet_allowed(user):
            # Before any password check: from the internet this account learns nothing about its password.
            g.login_error = NO_INTERNET_MESSAGE
            return None, login_history.NO_INTERNET
        if user is not None and user.locked_until:
            if user.locked_until > now:
                g.login_error = lockout_message(user.locked_until)
                return None, login_history.LOCKED
            user.locked_until = None  # the lock has run out: a fresh count of 5
            user.fail_login_count = 0
        result = super().auth_user_db(username, password)
        if result is None:
            if user is not None and not user.is_active:
                return None, login_history.INACTIVE
            if user is not None and user.is_active and (user.fail_login_count or 0) >= cfg["LOCKOUT_THRESHOLD"]:
                user.locked_until = now + datetime.timedelta(minutes=cfg["LOCKOUT_MINUTES"])
                self.update_user(user)
                g.login_error = lockout_message(user.locked_until)
                return None, login_history.LOCKED_NOW
            return None, login_history.WRONG_PASSWORD
        if result.roles and not active_roles(result):
            g.login_error = "您的角色已停用，暂时不能登录，请联系本机构总账号"
            return None, login_history.ROLE_DISABLED
        return result, login_history.SUCCESS

    # ---- permissions: read once per request (issue 12 item 9) ---------------------------------------------------
    # FAB asks the database once per has_access (every menu entry, every button): 25–30 statements a page. Here the
    # user's (permission, resource) pairs are read in one statement the first time a request asks, and every later
    # check of that request is a set lookup. Nothing outlives the request, so a role changed by its owner (or a role
    # set to 停用) counts from the very next request.
    def user_permissions(self, user) -> frozenset:
        """(permission, resource) pairs of the user's roles and its groups' roles, without 停用 roles."""
        cache = request.environ.setdefault(PERMISSIONS_KEY, {}) if has_request_context() else {}
        if user.id not in cache:
            cache[user.id] = frozenset(db.session.execute(_permissions_statement(user.id)).all())
        return cache[user.id]

    def _has_view_access(self, user, permission_name, view_name) -> bool:
        if self.builtin_roles or getattr(user, "id", None) is None:
            return super()._has_view_access(user, permission_name, view_name)
        return (permission_name, view_name) in self.user_permissions(user)

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        if self.builtin_roles or user is None or getattr(user, "id", None) is None:
            return super()._get_user_permission_view_menus(user, permission_name, view_menus_name)
        return {view for perm, view in self.user_permissions(user) if perm == permission_name}

    def get_user_roles(self, user):
        """A 停用 role grants nothing (spec 7.1)."""
        roles = super().get_user_roles(user)
        if not user.is_authenticated:
            return roles
        return active_roles(user) + [r for r in roles if r not in user.roles]

    @staticmethod
    def internet_allowed(user) -> bool:
        return sessions.internet_allowed(user)

    def reset_password(self, userid, password):
        """Every FAB path that sets a password goes through the policy; a reset by another must be changed."""
        user = self.get_user_by_id(userid)
        by_self = g.get("user") is not None and getattr(g.user, "id", None) == user.id
        try:
            accounts.set_password(user, password, by_self=by_self)
        except DomainError as exc:
            raise PasswordComplexityValidationError(exc.message) from exc
        self.update_user(user)

    def add_user(self, username, first_name, last_name, email, role, password="", hashed_password="", **kw):
        if password:
            try:
                validate_password(password)
            except DomainError as exc:
                raise PasswordComplexityValidationError(exc.message) from exc
        return super().add_user(username, first_name, last_name, email, role, password, hashed_password, **kw)
