"""机构人力资源: 人员信息查询 (the photo wall, spec 4.5) and 人员标签管理 (key-staff groups, spec 4.3)."""
from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError

from app.domain.person import ACTIVE_STATUSES
from app.models.people import KeyGroup
from app.security import pages
from app.security.masking import sees_full_id, shown_id
from app.services import keygroups
from app.services import photowall as wall
from app.views.concurrency import opened_version
from app.views.pages import act, form_page

PEOPLE_PAGE = pages.PEOPLE.resource  # the page whose rights open a person's detail, photo and full ID number


def detail_url(person_id) -> str:
    """The person's read-only page (人员信息管理 → view); editing is a button there."""
    try:
        return url_for("PersonView.view", pk=person_id)
    except BuildError:  # the detail page is not registered yet: same path it will have
        return f"/people/view/{person_id}"


class PhotoWallView(BaseView):
    """人员信息查询: the institution's staff as photo cards; double-click (or Enter) opens the detail page."""

    route_base = "/photowall"
    default_view = "wall"
    class_permission_name = pages.PHOTO_WALL.resource
    method_permission_name = {"wall": "read"}
    base_permissions = ["can_read"]

    @expose("/")
    @has_access
    def wall(self):
        institution_id = g.user.institution_id
        if not institution_id:
            return self.render_template("photowall/wall.html", institution=None, title="人员信息查询")
        sm = self.appbuilder.sm
        lists = wall.dictionary_lists()
        options = wall.status_options(lists)
        status = request.args.get("status", wall.SERVING)
        if status not in {v for v, _ in options}:
            status = wall.SERVING
        text = request.args.get("q", "").strip()[:50]
        dept_arg = request.args.get("dept", "").strip()
        try:
            page_no = max(1, int(request.args.get("page", "1")))
        except ValueError:
            page_no = 1

        depts, unassigned_count, total_count = wall.departments(institution_id, status)
        selected, notice = None, None
        if dept_arg == wall.UNASSIGNED:
            selected = wall.UNASSIGNED
        elif dept_arg:
            selected = next((d for d in depts if str(d.id) == dept_arg), None)
            if selected is None:
                notice = "所选科室不存在或不属于本机构，已显示全部科室的人员"
        result = wall.wall_page(
            institution_id, status=status, text=text, page=page_no,
            unassigned=selected == wall.UNASSIGNED,
            department_ids=selected.below if isinstance(selected, wall.DepartmentEntry) else None)

        can_detail = sm.has_access("can_read", PEOPLE_PAGE)
        full_id = sees_full_id()
        titles = wall.title_names(lists)
        cards = []
        for p in result.people:
            cards.append({
                "id": p.id, "name": p.name,
                "department": p.department.name if p.department else "未分配科室",
                "post": p.post.name if p.post else "",
                "title": titles.get(p.tech_title, "") if p.tech_title else "",
                "id_number": shown_id(p.id_number, full_id),
                "status": p.status,
                "photo": url_for("PersonFileView.photo", pk=p.id, size="thumb")
                if can_detail and (p.photo_thumb or p.photo_path) else None,
                "href": detail_url(p.id) if can_detail else None,
            })

        def page_url(**changes):
            args = {"dept": dept_arg if selected is not None else "", "status": status, "q": text, "page": 1}
            args.update(changes)
            return url_for(".wall", **{k: v for k, v in args.items() if v not in ("", None)})

        return self.render_template(
            "photowall/wall.html", institution=g.user.institution, title="人员信息查询", cards=cards,
            result=result, departments=depts, unassigned_count=unassigned_count, selected=selected,
            unassigned_value=wall.UNASSIGNED, status=status, status_options=options, text=text, notice=notice,
            can_detail=can_detail, full_id=full_id, page_url=page_url, serving=ACTIVE_STATUSES, total_count=total_count)


class KeyGroupView(BaseView):
    """人员标签管理: 关键人员组 of the institution's staff; 封存 makes a group read-only, 启用 reopens it."""

    route_base = "/keygroups"
    edited_models = (KeyGroup,)  # what its forms edit (versioned)
    default_view = "list"
    class_permission_name = pages.KEY_GROUPS.resource
    method_permission_name = {"list": "read", "show": "read", "add": "write", "edit": "write", "archive": "write",
                              "reopen": "write", "delete": "write", "staff": "write"}
    base_permissions = ["can_read", "can_write"]
    scoped_model = KeyGroup  # the tenancy sweep calls every <pk> route with foreign group ids

    def _institution_id(self):
        if not g.user.institution_id:
            abort(403)
        return g.user.institution_id

    def _group(self, pk) -> KeyGroup:
        group = keygroups.get(g.user.institution_id, pk)
        if group is None:
            abort(404)
        return group

    def _can_write(self):
        return self.appbuilder.sm.has_access("can_write", self.class_permission_name)

    @expose("/list/")
    @has_access
    def list(self):
        if not g.user.institution_id:
            return self.render_template("keygroups/list.html", institution=None, rows=[], title="人员标签管理")
        return self.render_template("keygroups/list.html", institution=g.user.institution, title="人员标签管理",
                                    rows=keygroups.groups_with_counts(g.user.institution_id), form=FlaskForm(),
                                    can_write=self._can_write())

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        group = self._group(pk)
        can_detail = self.appbuilder.sm.has_access("can_read", PEOPLE_PAGE)
        return self.render_template("keygroups/show.html", group=group, members=keygroups.members_of(group),
                                    form=FlaskForm(), title=group.name,
                                    can_write=self._can_write(), can_detail=can_detail, detail_url=detail_url)

    def _form(self, group=None):
        """新增/修改: on a refused save the page comes back with every message (next to its field) and what was
        typed."""
        institution_id = self._institution_id()
        if request.method == "POST":
            values = {"name": request.form.get("name", ""), "description": request.form.get("description", ""),
                      "members": [v for v in request.form.getlist("members") if v]}
        elif group is not None:
            values = {"name": group.name, "description": group.description or "",
                      "members": [str(p.id) for p in group.members]}
        else:
            values = {"name": "", "description": "", "members": []}

        def save():
            if group is None:
                return keygroups.create(institution_id, name=values["name"], description=values["description"],
                                        member_ids=values["members"])
            return keygroups.update(institution_id, group.id, name=values["name"], description=values["description"],
                                    member_ids=values["members"], version=opened_version())

        def render(errors):
            return self.render_template(
                "keygroups/form.html", form=FlaskForm(), errors=errors, values=values, editing=group,
                chosen=keygroups.chosen_people(institution_id, values["members"]), name_max=keygroups.NAME_MAX,
                description_max=keygroups.DESCRIPTION_MAX, title="修改关键人员组" if group else "新增关键人员组")

        return form_page(save=save, render=render, done=lambda saved: (
            f"关键人员组“{saved.name}”已保存，共 {len(saved.members)} 人", url_for(".list")))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return self._form()

    @expose("/staff")
    @has_access
    def staff(self):
        """The member picker's search (GET, reads only): one page of the caller's institution's serving staff
        matching ?q= (姓名, 科室, 工号, 证件号码), IDs shown by the one masking rule."""
        institution_id = self._institution_id()
        page = request.args.get("page", "1")
        full_id = sees_full_id()
        rows, total, page, notice = keygroups.search_staff(
            institution_id, request.args.get("q", ""), int(page) if page.isdigit() else 1, full_ids=full_id)
        per_page = keygroups.PICKER_PAGE
        return jsonify(
            total=total, page=page, pages=max((total + per_page - 1) // per_page, 1), notice=notice,
            items=[{"id": p.id, "name": p.name, "department": p.department.name if p.department else "未分配科室",
                    "post": p.post.name if p.post else "", "staff_no": p.staff_no or "",
                    "id_number": shown_id(p.id_number, full_id), "status": p.status} for p in rows])

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        group = self._group(pk)
        if group.archived:
            flash(f"关键人员组“{group.name}”已封存，只能查看，不能修改；如需修改，请先点击“启用”", "warning")
            return redirect(url_for(".show", pk=group.id))
        return self._form(group)

    def _post(self, pk, change, done):
        group = self._group(pk)  # a foreign group is 404 before anything else
        back = request.form.get("next") if request.form.get("next") == url_for(".show", pk=pk) else url_for(".list")
        return act(lambda: change(group.institution_id, group.id),
                   done=lambda name: (done.format(name=getattr(name, "name", name)), back), back=back)

    @expose("/archive/<int:pk>", methods=["POST"])
    @has_access
    def archive(self, pk):
        return self._post(pk, keygroups.archive, "关键人员组“{name}”已封存：只能查看，不再出现在人员组选择中")

    @expose("/reopen/<int:pk>", methods=["POST"])
    @has_access
    def reopen(self, pk):
        return self._post(pk, keygroups.reopen, "关键人员组“{name}”已启用，可以修改")

    @expose("/delete/<int:pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        return self._post(pk, keygroups.delete, "关键人员组“{name}”已删除（人员信息不受影响）")
