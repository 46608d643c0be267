"""人员信息管理 (spec 4.1, 4.2.1, 4.2.3): the staff list, 基本信息 add/edit, the person page with every detail set
(entries added in place), and 单条录入 of one detail entry for a person found by 证件号码 or 姓名.

Rules live in services/people.py and domain/person.py; this module reads the request, calls them and renders.
Every person-id argument is `pk` and answers 404 outside the caller's scope (the tenancy sweep relies on it).
"""
import datetime
import math

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import joinedload

from app.domain.errors import DomainError
from app.domain.person import CODED, IMPORTANT, LABELS, PROBATION_STATUS, REQUIRED, completeness, mask_id
from app.extensions import db
from app.models.org import Department, Post
from app.models.people import Person
from app.security import pages
from app.security.masking import sees_full_id, shown_id
from app.services import dictionaries, history_copy, people, resignations, stats, transfers
from app.services.imports import jobs as import_jobs
from app.services.scope import scope_of
from app.views.concurrency import opened_version
from app.views.imports import ImportView
from app.views.pages import Errors, act, form_page
from app.views.stats import back_url

PER_PAGE = 20
RESIGNATIONS = pages.RESIGNATIONS.resource  # 批量离职 from the list follows the 编辑 right of 员工离职
VILLAGE_CATEGORY = "村卫生室"
# The 基本信息 form in four groups (every key of LABELS appears once).
GROUPS = (
    ("身份信息", ("staff_no", "name", "id_type", "id_number", "sex", "birth_date", "ethnicity", "political", "phone")),
    ("工作信息", ("department_id", "post_id", "status", "work_start", "staff_category", "establishment", "admin_post")),
    ("学历与职称", ("education", "major", "degree", "tech_title", "tech_post", "practice_category", "practice_scope")),
    # the 卫生人力基本信息调查表 items (the annual 卫统 export), collapsed unless filled or refused
    ("卫统信息", ("office_phone", "specialties", "multisite", "multisite_unit2", "multisite_unit3", "resident_training",
              "resident_training_no", "gp_registered", "gp_certificate", "village_posted", "stats_it", "stats_it_work",
              "nurse_certificate_no", "village_doctor_certificate_no")),
)
COLLAPSED_GROUPS = ("卫统信息",)
DATE_FIELDS = ("birth_date", "work_start")
LIST_COLUMNS = (("staff_no", "工号"), ("name", "姓名"), ("sex", "性别"), ("id_number", "证件号码"),
                ("department_id", "科室"), ("post_id", "岗位"), ("status", "在职状态"))


def _open_groups(values, errors):
    """The form's groups shown open: all but a collapsed one with nothing typed and nothing refused in it."""
    refused = errors.fields()
    return {group for group, keys in GROUPS if group not in COLLAPSED_GROUPS
            or any(values.get(k) for k in keys) or refused & set(keys)}


def _text(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _names(lists):
    """dictionary type → {code: name} of `dictionaries.items_of(…, active_only=False)` (inactive codes included, so
    stored values still show their names)."""
    return {t: {d.code: d.name for d in items} for t, items in lists.items()}


def _department_tree(institution_id):
    """(department, depth) in tree order (序号 within each parent)."""
    rows = db.session.scalars(select(Department).where(Department.institution_id == institution_id)
                              .order_by(Department.seq, Department.id)).all()
    children = {}
    for d in rows:
        children.setdefault(d.parent_id, []).append(d)
    ordered = []

    def walk(parent_id, depth):
        for d in children.get(parent_id, []):
            ordered.append((d, depth))
            walk(d.id, depth + 1)

    walk(None, 0)
    return ordered


def _indent(name, depth):
    return "\u3000" * depth + ("└ " if depth else "") + name


class PersonView(BaseView):
    """人员信息管理: list → 基本信息 → person page with the detail sets."""

    route_base = "/people"
    edited_models = (Person, *(s.model for s in people.DETAIL_SETS.values()))  # what its forms edit (versioned)
    default_view = "list"
    class_permission_name = pages.PEOPLE.resource
    method_permission_name = {"list": "read", "show": "read", "view": "read", "add": "write", "edit": "write",
                              "detail_add": "write", "detail_edit": "write", "detail_delete": "write",
                              "detail_new": "write", "fullid": "fullid", "history": "write"}
    base_permissions = ["can_read", "can_write", "can_fullid"]
    scoped_model = Person

    # ---- helpers -------------------------------------------------------------------------------------------------

    def _institution(self):
        if g.user.institution is None:
            abort(403)
        return g.user.institution

    def _person(self, pk, details=False):
        try:
            return people.get_person(scope_of(g.user), pk, details=details)
        except DomainError:
            abort(404)

    def _can(self, right, page=None):
        return self.appbuilder.sm.has_access(f"can_{right}", page or self.class_permission_name)

    @staticmethod
    def _shown_id(number, full=None):
        """The 证件号码 as this user may see it (security.masking.shown_id, the one rule)."""
        return shown_id(number, full)

    # ---- list ----------------------------------------------------------------------------------------------------

    @expose("/list/")
    @has_access
    def list(self):
        inst = self._institution()
        q = request.args.get("q", "").strip()
        dept_id = request.args.get("department", "")
        status = request.args.get("status", "")
        try:
            page = max(int(request.args.get("page", 1)), 1)
        except ValueError:
            page = 1
        tree = _department_tree(inst.id)
        full_ids = sees_full_id()
        sort = request.args.get("sort", "")
        sort = sort if sort in people.SORTS and (sort != "id_number" or full_ids) else ""
        descending = sort != "" and request.args.get("desc") == "1"
        size = request.args.get("size", "")
        per_page = int(size) if size.isdigit() and int(size) in people.PAGE_SIZES else PER_PAGE
        drill, drill_error, conditions = self._drill()
        stmt, notice = people.list_statement(
            inst.id, text=q, full_ids=full_ids, status=status, sort=sort, descending=descending,
            department_ids=self._subtree_ids(tree, int(dept_id)) if dept_id.isdigit() else None,
            conditions=conditions)
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        pages = max(math.ceil(total / per_page), 1)
        page = min(page, pages)
        rows = db.session.scalars(
            stmt.options(joinedload(Person.department), joinedload(Person.post))
            .limit(per_page).offset((page - 1) * per_page)).unique().all()
        lists = dictionaries.items_of(("sex", "staff_status"), active_only=False)
        sexes = {d.code: (d.extra or {}).get("short") or d.name for d in lists["sex"]}
        items = [{"person": p, "id_number": self._shown_id(p.id_number, full_ids), "sex": sexes.get(p.sex or "", p.sex or ""),
                  "completeness": completeness({k: getattr(p, k) for k in IMPORTANT})[0]} for p in rows]
        left = status == people.LEFT_FILTER
        resigned = resignations.latest_of(p.id for p in rows) if left else {}
        args = {k: v for k, v in (("q", q), ("department", dept_id), ("status", status)) if v}
        args.update({k: request.args.getlist(k) for k in request.args if k.startswith(stats.DRILL_PREFIX)})
        view_args = {**args, **({"sort": sort} if sort else {}), **({"desc": "1"} if descending else {}),
                     **({"size": per_page} if per_page != PER_PAGE else {})}
        # 批量导入 / 导出 / 下载模板 lead to 人员信息导入管理 and follow its rights (导入; 导出 for exports and templates)
        imports = {right: self._can(right, ImportView.class_permission_name) for right in ("import", "export", "read")}
        return self.render_template(
            "people/list.html", items=items, total=total, page=page, pages=pages, args=args, q=q, notice=notice,
            view_args=view_args, sort=sort, descending=descending, per_page=per_page, page_sizes=people.PAGE_SIZES,
            sortable=[k for k, _ in LIST_COLUMNS if k != "id_number" or full_ids],
            department=dept_id, status=status, columns=LIST_COLUMNS, important=IMPORTANT,
            departments=[(d.id, _indent(d.name, depth)) for d, depth in tree],
            statuses=[d.name for d in lists["staff_status"] if d.active], detail_sets=people.DETAIL_SETS,
            left=left, left_filter=people.LEFT_FILTER, resigned=resigned, flow_types=resignations.flow_types(),
            can_resign=self._can("write", RESIGNATIONS), active_statuses=people.ACTIVE_STATUSES,
            can_write=self._can("write"), inst=inst, can_import=imports["import"], can_export=imports["export"],
            can_see_jobs=imports["read"], import_sets=import_jobs.set_labels() if any(imports.values()) else {},
            drill=drill, drill_error=drill_error, title="人员信息管理")

    @staticmethod
    def _drill():
        """({labels of the statistic's cell, link back to it}, error, WHERE conditions) when the list is opened from 常用统计
        (stat_<dimension>=<code> parameters, services/stats.py); (None, None, None) otherwise."""
        try:
            query = stats.parse_drill(request.args)
            if query is None:
                return None, None, None
            conditions = stats.staff_clause(g.user, filters=query.filters, institution_id=query.institution_id,
                                            region_code=query.region_code, values=query.values)
            return {"labels": stats.describe(g.user, query), "back": back_url(query)}, None, conditions
        except DomainError as exc:
            return None, exc.message, [false()]

    @staticmethod
    def _subtree_ids(tree, root_id):
        children = {}
        for d, _ in tree:
            children.setdefault(d.parent_id, []).append(d.id)
        ids, todo = set(), [root_id]
        while todo:
            current = todo.pop()
            if current not in ids:
                ids.add(current)
                todo.extend(children.get(current, []))
        return ids

    # ---- 基本信息 ------------------------------------------------------------------------------------------------

    def _choices(self, institution_id, person=None):
        """Dropdown options of the 基本信息 form: dictionaries, this institution's departments (tree) and posts."""
        current_dept = person.department_id if person else None
        current_post = person.post_id if person else None
        departments = [(str(d.id), _indent(d.name + ("（已停用）" if not d.active else ""), depth), d.category)
                       for d, depth in _department_tree(institution_id) if d.active or d.id == current_dept]
        posts = [(str(p.id), p.name + ("（已停用）" if not p.active else "")) for p in db.session.scalars(
            select(Post).where(Post.institution_id == institution_id,
                               or_(Post.active.is_(True), Post.id == (current_post or 0))).order_by(Post.name))]
        lists = dictionaries.items_of({*CODED.values(), "id_types", "staff_status"})
        coded = {f: [(d.code, d.name) for d in lists[t]] for f, t in CODED.items()}
        coded["id_type"] = [(d.code, d.name) for d in lists["id_types"]]
        # 离职/退休/其他 only through 员工离职: not offered, except a record's own stored value
        coded["status"] = [(n, n) for n in people.offered_statuses(lists["staff_status"],
                                                                   person.status if person else None)]
        coded["department_id"] = [(v, label) for v, label, _ in departments]
        coded["post_id"] = posts
        return coded, {v: cat for v, _, cat in departments}

    def _render_form(self, institution, person, values, errors=None):
        if person is not None and values.get("id_number") == person.id_number:
            values = {**values, "id_number": shown_id(person.id_number)}  # masked without 查看完整证件号
        choices, dept_categories = self._choices(institution.id, person)
        percent, missing = completeness({k: getattr(person, k) for k in IMPORTANT}) if person else (None, [])
        return self.render_template(
            "people/form.html", person=person, values=values, errors=errors or Errors(),
            groups=GROUPS, collapsed=COLLAPSED_GROUPS, labels=LABELS, choices=choices, dept_categories=dept_categories,
            required=REQUIRED, open_groups=_open_groups(values, errors or Errors()),
            important=IMPORTANT, date_fields=DATE_FIELDS, percent=percent, missing=missing, form=FlaskForm(),
            probation=PROBATION_STATUS, village=VILLAGE_CATEGORY,
            transfer_offer=transfers.offer_for(institution.id, values.get("id_number"))  # 申请调入 under 证件号码
            if errors and errors.of("id_number") else None,
            title=f"修改基本信息：{person.name}" if person else "新增人员")

    def _basic_page(self, institution, person, values):
        """The add/edit form: shown with `values`; its POST saves, or shows it again with every message next to
        its field and what was typed."""
        if request.method == "POST":
            values = {k: request.form.get(k, "") for k in LABELS}
            if person is not None and not sees_full_id() and values["id_number"].strip() == mask_id(person.id_number):
                values["id_number"] = person.id_number  # the masked number left as shown: the stored one is kept
        photo = request.files.get("photo")

        adding = person is None

        def saved(result):
            person, warnings = result
            flash(f"{person.name} 的基本信息已保存", "success")
            for message in warnings:
                flash(message, "warning")
            if adding and history_copy.has_offers(person):
                flash("该证件号码在其他机构有以往记录，可选择复制教育、资格、职称、培训和工作经历", "info")
                return redirect(url_for(".history", pk=person.id))
            return redirect(url_for(".show", pk=person.id))

        return form_page(
            save=lambda: people.save_person(institution, values, person, photo if photo else None,
                                            version=opened_version()),
            render=lambda errors: self._render_form(institution, person, values, errors),
            done=saved)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return self._basic_page(self._institution(), None, {**{k: "" for k in LABELS}, "id_type": "01", "status": "在岗"})

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        person = self._person(pk)
        if people.read_only_problem(person):  # a former employee's record: read-only (the service refuses a save)
            flash(people.read_only_problem(person), "warning")
            return redirect(url_for(".show", pk=pk))
        return self._basic_page(person.institution, person, {k: _text(getattr(person, k)) for k in LABELS})

    @expose("/history/<int:pk>", methods=["GET", "POST"])
    @has_access
    def history(self, pk):
        """复制以往记录 (issue 13): the person's earlier entries in other institutions (same ID number, records no
        longer active), each selectable; shown right after a new person is saved."""
        person = self._person(pk)
        if person.institution_id != self._institution().id:
            abort(404)
        chosen = request.form.getlist("keys") if request.method == "POST" else []

        def render(errors):
            return self.render_template(
                "people/history.html", person=person, offers=history_copy.offers(person), chosen=chosen,
                order=history_copy.ORDER,
                detail_sets=people.DETAIL_SETS, names=self._detail_context()["detail_names"], errors=errors,
                form=FlaskForm(), title=f"复制以往记录：{person.name}")

        if request.method == "GET":
            return render(Errors())
        return form_page(save=lambda: history_copy.copy(person, chosen), render=render,
                         done=lambda n: (f"已为 {person.name} 复制 {n} 条以往记录", url_for(".show", pk=person.id)))

    @expose("/fullid/<int:pk>")
    @has_access
    def fullid(self, pk):
        """The full 证件号码 of one person, for pages that show it masked (needs the 查看完整证件号码 right)."""
        person = self._person(pk)
        return jsonify(id_number=person.id_number)

    # ---- person page ---------------------------------------------------------------------------------------------

    def _summary(self, person, names):
        """(label, shown value, starred) of every 基本信息 field, dictionary codes as names (`names`: `_names`)."""
        rows = []
        for key, label in LABELS.items():
            value = getattr(person, key)
            if key in CODED:
                shown = names[CODED[key]].get(value, value) if value else ""
            elif key == "id_type":
                shown = names["id_types"].get(value, value) if value else ""
            elif key == "id_number":
                shown = self._shown_id(value)
            elif key == "department_id":
                shown = person.department.name if person.department else ""
            elif key == "post_id":
                shown = person.post.name if person.post else ""
            else:
                shown = _text(value)
            rows.append((label, shown, key in IMPORTANT))
        return rows

    @staticmethod
    def _detail_context(extra_types=()):
        """The dictionaries of the detail forms and tables (and `extra_types`), read in one statement: names with
        inactive codes (stored values keep their names), options of active codes only."""
        code_types = {f.kind[5:] for s in people.DETAIL_SETS.values() for f in s.fields if f.kind.startswith("code:")}
        lists = dictionaries.items_of(code_types | set(extra_types), active_only=False)
        names = _names(lists)
        return {"detail_names": names,
                "detail_options": {t: [(d.code, d.name) for d in lists[t] if d.active] for t in code_types}}

    def _render_show(self, person, open_set=None, values=None, errors=None, editing=None, read_only=False):
        percent, missing = completeness({k: getattr(person, k) for k in IMPORTANT})
        can_write = self._can("write")
        context = self._detail_context({*CODED.values(), "id_types"})
        return self.render_template(
            "people/show.html", person=person, summary=self._summary(person, context["detail_names"]), percent=percent,
            missing=missing,
            detail_sets=people.DETAIL_SETS, open_set=open_set, values=values or {}, errors=errors or Errors(),
            editing=editing, form=FlaskForm(), read_only=read_only,
            can_write=can_write and not read_only, may_edit=can_write,
            has_history=can_write and not read_only and history_copy.has_offers(person),
            title=f"人员信息：{person.name}" if read_only else f"人员信息维护：{person.name}", **context)

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        person = self._person(pk, details=True)  # a person no longer active (离职人员) is shown read-only
        return self._render_show(person, read_only=person.status not in people.ACTIVE_STATUSES)

    @expose("/view/<int:pk>")
    @has_access
    def view(self, pk):
        """The read-only person page (opened from the photo wall and the key groups); editing is a button there."""
        return self._render_show(self._person(pk, details=True), read_only=True)

    # ---- detail entries ------------------------------------------------------------------------------------------

    @staticmethod
    def _detail_set(set_key):
        detail_set = people.DETAIL_SETS.get(set_key)
        if detail_set is None:
            abort(404)
        return detail_set

    @staticmethod
    def _entry_values(detail_set, entry):
        values = {}
        for f in detail_set.fields:
            value = getattr(entry, f.key)
            values[f.key] = "至今" if value is None and f.kind == "end_date" and f.key == "end_date" else _text(value)
        return values

    def _entry_page(self, person, detail_set, entry, values, render, done):
        """An entry form: shown with `values`; its POST saves (done(saved entry) → message, url) or calls
        render(values, errors) to show it again with the messages next to the fields."""
        if request.method == "POST":
            values = {f.key: request.form.get(f.key, "") for f in detail_set.fields}
        return form_page(
            save=lambda: people.save_detail(person, detail_set.key, values, request.files.getlist("attachments"), entry,
                                            version=opened_version()),
            render=lambda errors: render(values, errors), done=done)

    @expose("/show/<int:pk>/detail/<set_key>", methods=["POST"])
    @has_access
    def detail_add(self, pk, set_key):
        """The in-place “+” form of a section on the person page (pk = the person)."""
        person = self._person(pk)
        detail_set = self._detail_set(set_key)
        return self._entry_page(
            person, detail_set, None, {}, lambda v, errors: self._render_show(person, set_key, v, errors),
            lambda _: (f"已为 {person.name} 新增一条{detail_set.label}",
                       url_for(".show", pk=person.id, _anchor=f"set-{set_key}")))

    def _entry(self, set_key, pk):
        try:
            return people.get_detail(scope_of(g.user), set_key, pk)
        except DomainError:
            abort(404)

    @expose("/detail/<set_key>/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def detail_edit(self, set_key, pk):
        """修改 one entry (pk = the entry): the person page with that entry's form open."""
        detail_set, entry = self._entry(set_key, pk)
        person = entry.person
        return self._entry_page(
            person, detail_set, entry, self._entry_values(detail_set, entry),
            lambda v, errors: self._render_show(person, set_key, v, errors, editing=entry),
            lambda _: (f"{person.name} 的{detail_set.label}已保存",
                       url_for(".show", pk=person.id, _anchor=f"set-{set_key}")))

    @expose("/detail/<set_key>/delete/<int:pk>", methods=["POST"])
    @has_access
    def detail_delete(self, set_key, pk):
        detail_set, entry = self._entry(set_key, pk)
        back = url_for(".show", pk=entry.person_id, _anchor=f"set-{set_key}")
        return act(lambda: people.delete_detail(scope_of(g.user), set_key, pk),
                   done=lambda _: (f"已删除一条{detail_set.label}", back), back=back)

    @expose("/detail/<set_key>/new", methods=["GET", "POST"])
    @has_access
    def detail_new(self, set_key):
        """单条录入 (spec 4.2.3): find the person by 证件号码 or 姓名, then fill the set's form."""
        inst = self._institution()
        detail_set = self._detail_set(set_key)
        q = request.values.get("q", "").strip()
        person_ref = request.values.get("person", "")
        person = self._person(int(person_ref)) if person_ref.isdigit() else None
        if person is not None and person.institution_id != inst.id:
            abort(404)

        def render(values=None, errors=None):
            found = people.find_people(inst.id, q) if q and person is None else []
            full_ids = sees_full_id()
            return self.render_template(
                "people/detail_new.html", detail_set=detail_set, detail_sets=people.DETAIL_SETS, q=q, person=person,
                found=[(p, self._shown_id(p.id_number, full_ids)) for p in found], searched=bool(q), values=values or {},
                errors=errors or Errors(), form=FlaskForm(),
                shown_id=self._shown_id(person.id_number) if person else "",
                title=f"{detail_set.label}单条录入", **self._detail_context())

        if request.method == "POST" and person is None:
            return render(errors=Errors(["请先按证件号码或姓名查找并选择人员"]))
        if person is None:
            return render()
        return self._entry_page(
            person, detail_set, None, {}, render,
            lambda _: (f"已为 {person.name} 保存一条{detail_set.label}；可继续为其录入，或查找其他人员",
                       url_for(".detail_new", set_key=set_key, person=person.id)))
