"""部门管理 (spec 3.2): the institution's department tree; every rule lives in services/departments.py."""
from flask import abort, g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from app.extensions import db
from app.models.org import Department, Institution
from app.security import pages
from app.services import departments, dictionaries
from app.views.concurrency import opened_version
from app.views.orgtree import MoveStaffMixin
from app.views.pages import act, form_page


class DepartmentForm(FlaskForm):
    """The typed values only; the rules are the service's, so a refused form keeps its input."""

    name = StringField("科室名称")
    category = SelectField("科室(部门)类别", choices=[(c, c) for c in departments.CATEGORIES],
                           default=departments.CLINICAL, validate_choice=False)
    standard_code = StringField("科室标准名称")  # rendered as a grouped select by the template
    parent = StringField("上级")  # rendered as an indented select by the template
    seq = StringField("序号")
    status = SelectField("状态", choices=[("正常", "正常"), ("停用", "停用")], default="正常", validate_choice=False)
    head = StringField("负责人")
    phone = StringField("电话")


class DepartmentView(MoveStaffMixin, BaseView):
    """The department tree under the institution: 新增下级 / 修改 / 删除 (with moving staff) / 启用·停用."""

    route_base = "/departments"
    edited_models = (Department,)  # what its forms edit (versioned)
    default_view = "list"
    class_permission_name = pages.DEPARTMENTS.resource
    method_permission_name = {"list": "read", "initialize": "write", "add": "write", "add_child": "write",
                              "edit": "write", "toggle": "write", "delete": "write", "move": "write"}
    base_permissions = ["can_read", "can_write"]
    scoped_model = Department  # the tenancy sweep calls every <pk> route with foreign department ids

    unit_service = departments
    deleted_message = "部门“{name}”已删除"
    moved_message = "已把 {moved} 名人员从“{name}”转移到“{to}”"
    moved_and_deleted_message = "已把 {moved} 名人员转移到“{to}”，部门“{name}”已删除"

    # ---- helpers ----------------------------------------------------------------------------------------------
    def _institution_id(self):
        return g.user.institution_id

    def _department(self, pk):
        dept = departments.get(self._institution_id(), pk)
        if dept is None:
            abort(404)
        return dept

    _unit = _department

    def _move_choices(self, dept):
        return departments.move_targets(dept)

    def _delete_texts(self, dept, blocked):
        return dict(
            noun="部门", heading=f"删除部门：{departments.path_name(dept)}", choose="（请选择部门）",
            move_title=f"把“{dept.name}”的 {blocked.staff if blocked else 0} 名人员全部转移到其他部门",
            move_delete="转移人员并删除部门", back="返回部门管理",
            help=f"人员的所在部门一次全部改为所选部门（全部成功或全部不改）；“转移人员并删除部门”会在同一步中删除“{dept.name}”。",
            confirm=f"确定删除部门“{dept.name}”吗？删除后不能恢复。该部门下没有人员和下级部门。")

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

    @staticmethod
    def _values(form):
        return dict(name=form.name.data, category=form.category.data, standard_code=form.standard_code.data,
                    parent_id=form.parent.data, seq=form.seq.data, active=form.status.data != "停用",
                    head=form.head.data, phone=form.phone.data)

    @staticmethod
    def _opened(dept):
        """The form's values when opened on a saved department."""
        return dict(name=dept.name, category=dept.category, standard_code=dept.standard_code or "",
                    parent=str(dept.parent_id or ""), seq=str(dept.seq), status="正常" if dept.active else "停用",
                    head=dept.head or "", phone=dept.phone or "")

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
        def done(created):
            if created:
                return (f"已按标准科室生成 {created} 个部门，请根据本机构实际情况修改、停用或删除", url_for(".list"))
            return "本机构已有部门，不能再初始化；请直接新增或修改部门", url_for(".list"), "warning"

        return act(lambda: departments.initialize(self._institution_id()), done=done, back=url_for(".list"))

    def _add(self, parent):
        inst_id = self._institution_id()
        if not inst_id:
            abort(404)
        form = DepartmentForm()
        if request.method != "POST":
            form.parent.data = str(parent.id) if parent else ""
            if parent is not None and parent.category == "村卫生室":
                form.category.data = "村卫生室"
        return form_page(
            save=lambda: departments.create(inst_id, **self._values(form)),
            render=lambda errors: self._render_form(form, None, errors, departments.parent_choices(inst_id)),
            done=lambda dept: (f"部门“{dept.name}”已新增", url_for(".list")))

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
        form = DepartmentForm(data=None if request.method == "POST" else self._opened(dept))
        return form_page(
            save=lambda: departments.update(inst_id, dept.id, **self._values(form), version=opened_version()),
            render=lambda errors: self._render_form(form, dept, errors, departments.parent_choices(inst_id, dept)),
            done=lambda saved: (f"部门“{saved.name}”已保存", url_for(".list")))

    @expose("/toggle/<int:pk>", methods=["POST"])
    @has_access
    def toggle(self, pk):
        dept = self._department(pk)
        name, enable = dept.name, not dept.active

        def done(cascaded):
            extra = f"，其下 {cascaded} 个下级部门也一并停用" if cascaded else ""
            return f"部门“{name}”已{'启用' if enable else '停用'}{extra}", url_for(".list")

        return act(lambda: departments.set_active(self._institution_id(), dept.id, enable), done=done,
                   back=url_for(".list"))
