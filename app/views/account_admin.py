"""系统管理: 角色管理 with the permission tree, 账号管理 (sub-accounts; owners for regional accounts)."""
from flask import abort, current_app, g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from app.extensions import db
from app.models.enums import SUBSYSTEMS, WEB_SUBSYSTEMS
from app.models.org import Institution
from app.models.security import ROLE_TYPES, RoleProfile, User, original_username
from app.security import pages
from app.security.filters import AppInterface
from app.security.permissions import permission_tree
from app.security.tenancy import TenantModelView
from app.services import accounts, roles
from app.services.scope import scope_of
from app.views.concurrency import VersionedEditMixin, opened_version
from app.views.pages import act, form_page

SCOPE_NOTE = "子账号在被授权的页面中可以查看本机构的全部数据。"


def _unique_role_name(form, field):
    """角色名称 unique within the caller's institution (checked as a form rule, so what was typed is kept)."""
    current = request.view_args.get("pk") if request.view_args else None
    exists = db.session.scalar(select(RoleProfile.id).where(
        RoleProfile.institution_id == g.user.institution_id, RoleProfile.display_name == (field.data or "").strip(),
        RoleProfile.id != int(current or 0)))
    if exists:
        raise ValidationError(f"角色名称“{field.data}”在本机构已存在")


def _permission_pks():
    """Ids of the roles whose 权限设置 page the caller may open: the level-3 roles of its own institution, for a
    caller with 角色管理 编辑 (an institution 总账号). Others' roles (系统管理员 sees every institution's) get no link."""
    if not g.user.institution_id or not current_app.appbuilder.sm.has_access("can_write", pages.ROLES.resource):
        return set()
    return {r.id for r in roles.own_roles(g.user)}


class RoleListWidget(ListWidget):
    """FAB's list with a 权限设置 link (a GET to the permission tree) beside 查看/修改/删除 in each row."""

    template = "accounts/role_list_widget.html"

    def __init__(self, **kwargs):
        super().__init__(permission_pks=_permission_pks(), **kwargs)


class RoleShowWidget(ShowWidget):
    """FAB's detail page with a 权限设置 button."""

    template = "accounts/role_show_widget.html"

    def __init__(self, **kwargs):
        super().__init__(permission_pks=_permission_pks(), **kwargs)


class RoleProfileView(VersionedEditMixin, TenantModelView):
    """角色管理 (spec 7.1): the level-3 roles of the caller's institution."""

    datamodel = AppInterface(RoleProfile)
    class_permission_name = pages.ROLES.resource
    base_permissions = pages.ROLES.permissions
    base_filters = [["level", FilterEqual, 3]]
    list_title = pages.ROLES.label
    show_title, add_title, edit_title = "角色详情", "新增角色", "修改角色"
    list_columns = ["display_name", "role_type", "seq", "parent_role", "status", "description"]
    show_columns = list_columns
    add_columns = ["display_name", "role_type", "seq", "status", "description"]
    edit_columns = add_columns
    search_columns = ["display_name", "role_type", "status"]
    base_order = ("seq", "asc")
    label_columns = {"display_name": "角色名称", "role_type": "角色类型", "seq": "角色序号", "parent_role": "上级角色",
                     "status": "状态", "description": "说明"}
    description_columns = {"seq": "可不填，用于列表排序", "status": "停用的角色不授予任何权限，其账号不能登录"}
    add_form_extra_fields = edit_form_extra_fields = {
        "display_name": StringField("角色名称", validators=[DataRequired("请填写角色名称"),
                                                        Length(max=30, message="角色名称不能超过 30 个字"),
                                                        _unique_role_name]),
        "role_type": SelectField("角色类型", choices=[(t, t) for t in ROLE_TYPES], default="科室"),
        "seq": IntegerField("角色序号", validators=[Optional()]),
        "status": SelectField("状态", choices=[("正常", "正常"), ("停用", "停用")], default="正常"),
        "description": TextAreaField("说明", validators=[Optional(), Length(max=500)]),
    }
    list_template = "accounts/role_list.html"

    def pre_add(self, item):
        super().pre_add(item)
        roles.prepare_role(g.user, item)

    def pre_update(self, item):
        super().pre_update(item)
        roles.check_role_update(item)

    def pre_delete(self, item):
        roles.check_role_delete(item)
        self._role_to_delete = item.role

    def post_delete(self, item):
        roles.remove_fab_role(self._role_to_delete)

    list_widget = RoleListWidget
    show_widget = RoleShowWidget


class RolePermissionView(BaseView):
    """The permission tree of one level-3 role: category → page → 查看/编辑/审核/导入/导出."""

    route_base = "/rolepermissions"
    class_permission_name = pages.ROLES.resource
    method_permission_name = {"edit": "write"}
    base_permissions = ["can_write"]
    scoped_model = RoleProfile  # the tenancy sweep calls every <pk> route with foreign role ids

    def _profile(self, pk):
        profile = db.session.get(RoleProfile, pk)
        if profile is None or profile.level != 3 or profile.institution_id != g.user.institution_id:
            abort(404)
        return profile

    @expose("/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        """The rights ticked replace the role's; their menu entries come with them (services.roles)."""
        profile = self._profile(pk)
        chosen = {int(v) for v in request.form.getlist("pv") if v.isdigit()}

        def render(errors):
            # A refused save shows what was ticked, with the reason above the tree.
            held = chosen if errors else {pv.id for pv in profile.role.permissions}
            tree = permission_tree(roles.grantable(g.user), held)
            return self.render_template("accounts/role_permissions.html", profile=profile, tree=tree,
                                        form=FlaskForm(), note=SCOPE_NOTE, errors=errors)

        return form_page(save=lambda: roles.set_permissions(g.user, profile, chosen),
                         done=lambda _: (f"角色“{profile.display_name}”的权限已保存", url_for(".edit", pk=pk)),
                         render=render)


class AccountForm(FlaskForm):
    role = SelectField("角色", coerce=str)
    institution = SelectField("机构", coerce=str)
    username = StringField("账号")
    nickname = StringField("用户昵称")
    mobile = StringField("手机号码")
    password = StringField("用户密码")


class AccountView(BaseView):
    """账号管理 (spec 7.2, 7.3): an institution 总账号's sub-accounts; a regional 总账号's institution owners."""

    route_base = "/accounts"
    edited_models = (User,)  # what its forms edit (versioned)
    default_view = "list"
    class_permission_name = pages.ACCOUNTS.resource
    method_permission_name = {"list": "read", "add": "write", "edit": "write", "unlock": "write", "delete": "write",
                              "resetpassword": "write"}
    base_permissions = pages.ACCOUNTS.permissions
    scoped_model = User

    def _target(self, pk):
        user = db.session.get(User, pk)
        if user is None or not accounts.can_manage(g.user, user):
            abort(404)
        return user

    def _choices(self, form):
        form.role.choices = [(str(p.id), p.display_name) for p in roles.own_roles(g.user)] if g.user.institution_id else []
        s = scope_of(g.user)
        clause = s.institutions_clause(Institution.id)
        stmt = select(Institution).order_by(Institution.code)
        if clause is not None:
            stmt = stmt.where(clause)
        form.institution.choices = [(str(i.id), i.name) for i in db.session.scalars(stmt)] if not g.user.institution_id else []

    @expose("/list/")
    @has_access
    def list(self):
        users = accounts.managed_accounts(g.user)
        return self.render_template("accounts/list.html", users=users, me=g.user, form=FlaskForm(), note=SCOPE_NOTE,
                                    can_manage=lambda u: accounts.can_manage(g.user, u))

    def _render_form(self, form, errors, subsystems, editing=None):
        return self.render_template("accounts/form.html", form=form, errors=errors, subsystems=subsystems,
                                    all_subsystems=SUBSYSTEMS, editing=editing,
                                    owner_mode=editing.is_owner if editing else not g.user.institution_id)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        form = AccountForm()
        self._choices(form)
        subsystems = request.form.getlist("subsystems") if request.method == "POST" else list(WEB_SUBSYSTEMS)
        fields = {"username": form.username.data, "nickname": form.nickname.data, "mobile": form.mobile.data,
                  "password": form.password.data}

        def save():
            if g.user.institution_id:
                return accounts.create_subaccount(g.user, role_profile_id=form.role.data, subsystems=subsystems,
                                                  **fields)
            chosen = form.institution.data or ""
            institution = db.session.get(Institution, int(chosen)) if chosen.isdigit() else None
            return accounts.create_owner_account(g.user, institution, **fields)

        def render(errors):
            # The system default (spec 7.3: shown in the field, published in the manual) is offered on a new form;
            # a password typed by the manager is never written back after a refusal.
            form.password.data = current_app.config["DEFAULT_PASSWORD"] if request.method == "GET" else ""
            return self._render_form(form, errors, subsystems)

        return form_page(save=save, render=render,
                         done=lambda _: (f"账号 {form.username.data} 已创建；首次登录须修改密码并完成实名认证",
                                         url_for(".list")))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        target = self._target(pk)
        form = AccountForm()
        self._choices(form)
        if request.method == "POST":
            subsystems = request.form.getlist("subsystems")
        else:
            subsystems = target.subsystem_list
            form.mobile.data = target.mobile or ""
            current = next((r.profile for r in target.roles if r.profile is not None and r.profile.level == 3), None)
            form.role.data = str(current.id) if current else ""
        internet = request.form.get("internet_access") == "y" if target.is_owner else None
        return form_page(
            save=lambda: accounts.update_subaccount(g.user, target, role_profile_id=form.role.data,
                                                    mobile=form.mobile.data, subsystems=subsystems,
                                                    internet_access=internet, version=opened_version()),
            done=lambda _: (f"账号 {target.username} 已保存", url_for(".list")),
            render=lambda errors: self._render_form(form, errors, subsystems, editing=target))

    @expose("/unlock/<int:pk>", methods=["POST"])
    @has_access
    def unlock(self, pk):
        target = self._target(pk)
        return act(lambda: accounts.unlock(g.user, target),
                   done=lambda _: (f"账号 {target.username} 已解锁", url_for(".list")), back=url_for(".list"))

    @expose("/delete/<int:pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        target = self._target(pk)
        name = original_username(target.username)
        return act(lambda: accounts.remove(g.user, target),
                   done=lambda _: (f"账号 {name} 已删除（其操作记录保留；该账号名可以重新建立）", url_for(".list")),
                   back=url_for(".list"))

    @expose("/resetpassword/<int:pk>", methods=["GET", "POST"])
    @has_access
    def resetpassword(self, pk):
        target = self._target(pk)
        return form_page(
            save=lambda: accounts.reset_password(g.user, target, request.form.get("password", ""),
                                                 request.form.get("confirm", "")),
            done=lambda _: (f"账号 {target.username} 的密码已重置，该账号下次登录须修改密码", url_for(".list")),
            # What was typed is never written back into the page.
            render=lambda errors: self.render_template("accounts/reset_password.html", target=target,
                                                       form=FlaskForm(), errors=errors))
