"""部门管理 (spec 3.2): the institution's department tree; every rule lives in services/departments.py."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models.org import Department, Institution
from app.security import pages
from app.services import departments, dictionaries
from app.views.concurrency import opened_version

EXPIRED = "页面已过期，请刷新后重新提交"


def _errors(exc):
    return exc.errors if isinstance(exc, ValidationFailed) else [exc.message]


class DepartmentForm(FlaskForm):
    """Only the CSRF check and the typed values; the rules are the service's, so a refused form keeps its input."""

    name = StringField("科室名称")
    category = SelectField("科室(部门)类别", choices=[(c, c) for c in departments.CATEGORIES],
                           default=departments.CLINICAL, validate_choice=False)
    standard_code = StringField("科室标准名称")  # rendered as a grouped select by the template
    parent = StringField("上级")  # rendered as an indented select by the template
    seq = StringField("序号")
    status = SelectField("状态", choices=[("正常", "正常"), ("停用", "停用")], default="正常", validate_choice=False)
    head = StringField("负责人")
    phone = StringField("电话")


class DepartmentView(BaseView):
    """The department tree under the institution: 新增下级 / 修改 / 删除 (with moving staff) / 启用·停用."""

    route_base = "/departments"
    edited_models = (Department,)  # what its forms edit (versioned)
    default_view = "list"
    class_permission_name = pages.DEPARTMENTS.resource
    method_permission_name = {"list": "read", "initialize": "write", "add": "write", "add_child": "write",
                              "edit": "write", "toggle": "write", "delete": "write", "move": "write"}
    base_permissions = ["can_read", "can_write"]
    scoped_model = Department  # the tenancy sweep calls every <pk> route with foreign department ids

    # ---- helpers ----------------------------------------------------------------------------------------------
    def _institution_id(self):
        return g.user.institution_id

    def _department(self, pk):
        dept = departments.get(self._institution_id(), pk)
        if dept is None:
            abort(404)
        return dept

    def _csrf_ok(self):
        if FlaskForm().validate_on_submit():
            return True
        flash(EXPIRED, "danger")
        return False

    @staticmethod
    def _standard_groups(current=None):
        """[(group, [(code, name)])] of the standard departments dictionary, for an <optgroup> select."""
        groups = {}
        for item in dictionaries.items(departments.DICTIONARY):
            groups.setdefault((item.extra or {}).get("group") or "其他", []).append((item.code, item.name))
        known = {code for options in groups.values() for code, _ in options}
        if current and current not in known:  # a value since disabled in the dictionary stays selectable
            groups.setdefault("其他", []).append((current, departments.standard_names().get(current, current)))
        return list(groups.items())

    def _render_form(self, form, dept, errors, parent_choices):
        required = departments.standard_required(form.category.data)
        return self.render_template("departments/form.html", form=form, dept=dept, errors=errors,
                                    parent_choices=parent_choices, standard_required=required,
                                    standard_groups=self._standard_groups(dept.standard_code if dept else None),
                                    clinical=departments.CLINICAL, title="修改部门" if dept else "新增部门",
                                    name_max=departments.NAME_MAX)

    def _values(self, form):
        return dict(name=form.name.data, category=form.category.data, standard_code=form.standard_code.data,
                    parent_id=form.parent.data, seq=form.seq.data, active=form.status.data != "停用",
                    head=form.head.data, phone=form.phone.data)

    # ---- pages ------------------------------------------------------------------------------------------------
    @expose("/list/")
    @has_access
    def list(self):
        inst_id = self._institution_id()
        inst = db.session.get(Institution, inst_id) if inst_id else None
        nodes = departments.tree(inst_id) if inst else []
        return self.render_template(
            "departments/list.html", institution=inst, rows=list(departments.walk(nodes)),
            staff=departments.staff_counts(inst_id) if inst else {},
            names=departments.department_names(inst_id) if inst else [], form=FlaskForm(),
            template_size=len(departments.template_rows()) if inst and not nodes else 0)

    @expose("/init", methods=["POST"])
    @has_access
    def initialize(self):
        if not self._csrf_ok():
            return redirect(url_for(".list"))
        try:
            created = departments.initialize(self._institution_id())
        except DomainError as exc:
            db.session.rollback()
            flash("；".join(_errors(exc)), "danger")
        else:
            if created:
                flash(f"已按标准科室生成 {created} 个部门，请根据本机构实际情况修改、停用或删除", "success")
            else:
                flash("本机构已有部门，不能再初始化；请直接新增或修改部门", "warning")
        return redirect(url_for(".list"))

    def _add(self, parent):
        inst_id = self._institution_id()
        if not inst_id:
            abort(404)
        form = DepartmentForm()
        parent_choices = departments.parent_choices(inst_id)
        errors = []
        if request.method == "POST":
            if not form.validate_on_submit() and "csrf_token" in form.errors:
                errors = [EXPIRED]
            else:
                try:
                    dept = departments.create(inst_id, **self._values(form))
                except DomainError as exc:
                    db.session.rollback()
                    errors = _errors(exc)
                else:
                    flash(f"部门“{dept.name}”已新增", "success")
                    return redirect(url_for(".list"))
        else:
            form.parent.data = str(parent.id) if parent else ""
            if parent is not None and parent.category == "村卫生室":
                form.category.data = "村卫生室"
        return self._render_form(form, None, errors, parent_choices)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return self._add(None)

    @expose("/add/<int:pk>", methods=["GET", "POST"])
    @has_access
    def add_child(self, pk):
        return self._add(self._department(pk))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        dept = self._department(pk)
        inst_id = self._institution_id()
        form = DepartmentForm()
        parent_choices = departments.parent_choices(inst_id, dept)
        errors = []
        if request.method == "POST":
            if not form.validate_on_submit() and "csrf_token" in form.errors:
                errors = [EXPIRED]
            else:
                try:
                    departments.update(inst_id, dept.id, **self._values(form), version=opened_version())
                except DomainError as exc:
                    db.session.rollback()
                    errors = _errors(exc)
                    dept = self._department(pk)
                else:
                    flash(f"部门“{dept.name}”已保存", "success")
                    return redirect(url_for(".list"))
        else:
            form.name.data = dept.name
            form.category.data = dept.category
            form.standard_code.data = dept.standard_code or ""
            form.parent.data = str(dept.parent_id or "")
            form.seq.data = str(dept.seq)
            form.status.data = "正常" if dept.active else "停用"
            form.head.data = dept.head or ""
            form.phone.data = dept.phone or ""
        return self._render_form(form, dept, errors, parent_choices)

    @expose("/toggle/<int:pk>", methods=["POST"])
    @has_access
    def toggle(self, pk):
        dept = self._department(pk)
        if not self._csrf_ok():
            return redirect(url_for(".list"))
        name, enable = dept.name, not dept.active
        try:
            cascaded = departments.set_active(self._institution_id(), dept.id, enable)
        except DomainError as exc:
            db.session.rollback()
            flash("；".join(_errors(exc)), "danger")
        else:
            extra = f"，其下 {cascaded} 个下级部门也一并停用" if cascaded else ""
            flash(f"部门“{name}”已{'启用' if enable else '停用'}{extra}", "success")
        return redirect(url_for(".list"))

    @expose("/delete/<int:pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        """GET: what deleting means (or why it cannot be done, with the offer to move the staff); POST: delete."""
        dept = self._department(pk)
        if request.method == "POST":
            if not self._csrf_ok():
                return redirect(url_for(".delete", pk=pk))
            try:
                name = departments.delete(self._institution_id(), dept.id)
            except DomainError:
                db.session.rollback()
                return redirect(url_for(".delete", pk=pk))  # the page below says why
            flash(f"部门“{name}”已删除", "success")
            return redirect(url_for(".list"))
        return self._delete_page(dept, errors=[])

    def _delete_page(self, dept, errors, target=""):
        blocked = departments.delete_problems(dept)
        return self.render_template("departments/delete.html", dept=dept, blocked=blocked, errors=errors,
                                    path=departments.path_name(dept), targets=departments.move_targets(dept),
                                    target=target, form=FlaskForm())

    @expose("/move/<int:pk>", methods=["POST"])
    @has_access
    def move(self, pk):
        """Move every staff record of the department to another one; 转移并删除 also deletes it (one transaction)."""
        dept = self._department(pk)
        target = request.form.get("target", "")
        if not FlaskForm().validate_on_submit():
            return self._delete_page(dept, [EXPIRED], target)
        and_delete = request.form.get("then") == "delete"
        name = dept.name
        try:
            moved, to = departments.move_staff(self._institution_id(), dept.id, target, and_delete=and_delete)
        except DomainError as exc:
            db.session.rollback()
            return self._delete_page(self._department(pk), _errors(exc), target)
        if and_delete:
            flash(f"已把 {moved} 名人员转移到“{to.name}”，部门“{name}”已删除", "success")
            return redirect(url_for(".list"))
        flash(f"已把 {moved} 名人员从“{name}”转移到“{to.name}”", "success")
        return redirect(url_for(".delete", pk=pk))
