"""机构岗位管理 (spec 3.3) with 映射管理, and 标准岗位 (区域管理). Every rule lives in services/posts.py."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models.org import Institution, Post, StandardPost
from app.security import pages
from app.services import posts
from app.views.concurrency import opened_version

EXPIRED = "页面已过期，请刷新后重新提交"
STATUSES = [("正常", "正常"), ("停用", "停用")]


def _errors(exc):
    return exc.errors if isinstance(exc, ValidationFailed) else [exc.message]


class PostForm(FlaskForm):
    """Only the CSRF check and the typed values; the rules are the service's, so a refused form keeps its input."""

    name = StringField("岗位名称")
    category = SelectField("岗位类别", choices=[("", "（请选择）")] + [(c, c) for c in posts.CATEGORIES],
                           validate_choice=False)
    description = TextAreaField("说明")
    status = SelectField("状态", choices=STATUSES, default="正常", validate_choice=False)


class StandardPostForm(FlaskForm):
    code = StringField("编码")
    name = StringField("名称")
    category = SelectField("岗位类别", choices=[("", "（请选择）")] + [(c, c) for c in posts.CATEGORIES],
                           validate_choice=False)
    status = SelectField("状态", choices=STATUSES, default="正常", validate_choice=False)


class PostView(BaseView):
    """The institution's posts: 新增 / 修改 / 映射管理 / 启用·停用 / 删除 (with moving the staff who hold it)."""

    route_base = "/posts"
    edited_models = (Post,)  # what its forms edit (versioned)
    default_view = "list"
    class_permission_name = pages.POSTS.resource
    method_permission_name = {"list": "read", "add": "write", "edit": "write", "mapping": "write",
                              "toggle": "write", "delete": "write", "move": "write"}
    base_permissions = ["can_read", "can_write"]
    scoped_model = Post  # the tenancy sweep calls every <pk> route with foreign post ids

    # ---- helpers ----------------------------------------------------------------------------------------------
    def _post(self, pk):
        post = posts.get(g.user.institution_id, pk)
        if post is None:
            abort(404)
        return post

    def _csrf_ok(self):
        if FlaskForm().validate_on_submit():
            return True
        flash(EXPIRED, "danger")
        return False

    @staticmethod
    def _values(form):
        return dict(name=form.name.data, category=form.category.data, description=form.description.data,
                    active=form.status.data != "停用")

    def _render_form(self, form, post, errors):
        return self.render_template("posts/form.html", form=form, post=post, errors=errors,
                                    title="修改岗位" if post else "新增岗位")

    # ---- pages ------------------------------------------------------------------------------------------------
    @expose("/list/")
    @has_access
    def list(self):
        inst_id = g.user.institution_id
        inst = db.session.get(Institution, inst_id) if inst_id else None
        rows = posts.rows(inst_id) if inst else []
        region = posts.list_region_for_institution(inst_id) if inst else None
        return self.render_template(
            "posts/list.html", institution=inst, rows=rows, form=FlaskForm(),
            unmapped=sum(1 for r in rows if not r.mapped), has_mapped=posts.has_mapped_post(inst_id) if inst else False,
            names=posts.post_names(inst_id) if inst else [], list_region=region)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        if not g.user.institution_id:
            flash("机构岗位由机构账号维护；当前账号不属于任何机构，不能新增岗位", "warning")
            return redirect(url_for(".list"))
        form = PostForm()
        errors = []
        if request.method == "POST":
            if not form.validate_on_submit() and "csrf_token" in form.errors:
                errors = [EXPIRED]
            else:
                try:
                    post = posts.create(g.user.institution_id, **self._values(form))
                except DomainError as exc:
                    db.session.rollback()
                    errors = _errors(exc)
                else:
                    flash(f"岗位“{post.name}”已新增；请在下面选择与之对应的标准岗位，点击“确定”完成映射", "success")
                    return redirect(url_for(".mapping", pk=post.id))
        return self._render_form(form, None, errors)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        post = self._post(pk)
        form = PostForm()
        errors = []
        if request.method == "POST":
            if not form.validate_on_submit() and "csrf_token" in form.errors:
                errors = [EXPIRED]
            else:
                try:
                    posts.update(g.user.institution_id, post.id, **self._values(form), version=opened_version())
                except DomainError as exc:
                    db.session.rollback()
                    errors = _errors(exc)
                    post = self._post(pk)
                else:
                    flash(f"岗位“{post.name}”已保存", "success")
                    return redirect(url_for(".list"))
        else:
            form.name.data = post.name
            form.category.data = post.category
            form.description.data = post.description or ""
            form.status.data = "正常" if post.active else "停用"
        return self._render_form(form, post, errors)

    @expose("/mapping/<int:pk>", methods=["GET", "POST"])
    @has_access
    def mapping(self, pk):
        """映射管理: pick the post's 标准岗位 from the regional list (filterable); 确定 saves."""
        post = self._post(pk)
        errors = []
        query = request.values.get("q", "")
        chosen = str(post.standard_post_id or "")
        if request.method == "POST":
            chosen = request.form.get("standard_post_id", "")
            if not FlaskForm().validate_on_submit():
                errors = [EXPIRED]
            else:
                try:
                    posts.set_mapping(g.user.institution_id, post.id, chosen, version=opened_version())
                except DomainError as exc:
                    db.session.rollback()
                    errors = _errors(exc)
                    post = self._post(pk)
                else:
                    sp = post.standard_post
                    flash(f"岗位“{post.name}”已映射到标准岗位“{sp.name}”（{sp.code}）", "success")
                    return redirect(url_for(".list"))
        region = posts.list_region_for_institution(g.user.institution_id)
        entries = posts.standard_posts(region, active_only=True)
        shown = {sp.id for sp in entries if posts.matches(sp, query)}
        return self.render_template("posts/mapping.html", post=post, entries=entries, shown=shown, query=query,
                                    chosen=chosen, errors=errors, region=region, form=FlaskForm(),
                                    problem=posts.mapping_problem(post))

    @expose("/toggle/<int:pk>", methods=["POST"])
    @has_access
    def toggle(self, pk):
        post = self._post(pk)
        if not self._csrf_ok():
            return redirect(url_for(".list"))
        name, enable = post.name, not post.active
        staff = posts.set_active(g.user.institution_id, post.id, enable)
        if enable:
            flash(f"岗位“{name}”已启用", "success")
        else:
            extra = f"；该岗位的 {staff} 名人员岗位不变，批量导入模板中不再提供此岗位" if staff else \
                "；批量导入模板中不再提供此岗位"
            flash(f"岗位“{name}”已停用{extra}", "success")
        return redirect(url_for(".list"))

    def _delete_page(self, post, errors, target=""):
        return self.render_template("posts/delete.html", post=post, blocked=posts.delete_problems(post),
                                    errors=errors, targets=posts.move_targets(post), target=target, form=FlaskForm())

    @expose("/delete/<int:pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        """GET: what deleting means, or why it cannot be done with the offer to move the staff; POST: delete."""
        post = self._post(pk)
        if request.method == "POST":
            if not FlaskForm().validate_on_submit():
                return self._delete_page(post, [EXPIRED])
            try:
                name = posts.delete(g.user.institution_id, post.id)
            except DomainError:
                db.session.rollback()
                return self._delete_page(self._post(pk), [])  # the page says why (staff hold it)
            flash(f"岗位“{name}”已删除", "success")
            return redirect(url_for(".list"))
        return self._delete_page(post, [])

    @expose("/move/<int:pk>", methods=["POST"])
    @has_access
    def move(self, pk):
        """Move every staff record holding the post to another post; 转移人员并删除岗位 deletes it in the same step."""
        post = self._post(pk)
        target = request.form.get("target", "")
        if not FlaskForm().validate_on_submit():
            return self._delete_page(post, [EXPIRED], target)
        and_delete = request.form.get("then") == "delete"
        name = post.name
        try:
            moved, to = posts.move_staff(g.user.institution_id, post.id, target, and_delete=and_delete)
        except DomainError as exc:
            db.session.rollback()
            return self._delete_page(self._post(pk), _errors(exc), target)
        if and_delete:
            flash(f"已把 {moved} 名人员转移到岗位“{to.name}”，岗位“{name}”已删除", "success")
            return redirect(url_for(".list"))
        flash(f"已把 {moved} 名人员从岗位“{name}”转移到“{to.name}”", "success")
        return redirect(url_for(".delete", pk=pk))


class StandardPostView(BaseView):
    """标准岗位: the regional list; editable by the region that owns it (the province by default) and 系统管理员."""

    route_base = "/standardposts"
    edited_models = (StandardPost,)  # what its forms edit (versioned)
    default_view = "list"
    class_permission_name = pages.STANDARD_POSTS.resource
    method_permission_name = {"list": "read", "add": "write", "edit": "write", "toggle": "write"}
    base_permissions = ["can_read", "can_write"]

    def _region(self):
        return posts.list_region_for_user(g.user, request.values.get("region"))

    def _entry(self, pk):
        sp = posts.get_standard_post(g.user, pk)
        if sp is None:
            abort(404)
        return sp

    def _read_only_refusal(self, region):
        if posts.can_edit_standard_posts(g.user, region):
            return None
        flash(f"{posts.owner_note(region)}，本账号只能查看，不能新增或修改", "warning")
        return redirect(url_for(".list"))

    def _list_url(self, region):
        return url_for(".list", region=region.code) if region is not None and not g.user.region_id else url_for(".list")

    @staticmethod
    def _values(form):
        return dict(code=form.code.data, name=form.name.data, category=form.category.data,
                    active=form.status.data != "停用")

    @expose("/list/")
    @has_access
    def list(self):
        region = self._region()
        query = request.args.get("q", "")
        entries = posts.standard_posts(region)
        shown = {sp.id for sp in entries if posts.matches(sp, query)}
        return self.render_template(
            "posts/standard_list.html", region=region, entries=entries, shown=shown, query=query,
            editable=posts.can_edit_standard_posts(g.user, region), counts=posts.mapped_counts(g.user, region),
            note=posts.owner_note(region), form=FlaskForm(), own_region=g.user.region,
            regions=posts.list_regions_for_admin() if not g.user.region_id and not g.user.institution_id else [])

    def _render_form(self, form, region, sp, errors):
        return self.render_template("posts/standard_form.html", form=form, region=region, sp=sp, errors=errors,
                                    back=self._list_url(region), title="修改标准岗位" if sp else "新增标准岗位")

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        region = self._region()
        if region is None:
            abort(404)
        refused = self._read_only_refusal(region)
        if refused:
            return refused
        form = StandardPostForm()
        errors = []
        if request.method == "POST":
            if not form.validate_on_submit() and "csrf_token" in form.errors:
                errors = [EXPIRED]
            else:
                try:
                    sp = posts.create_standard_post(g.user, region, **self._values(form))
                except DomainError as exc:
                    db.session.rollback()
                    errors = _errors(exc)
                else:
                    flash(f"标准岗位“{sp.name}”（{sp.code}）已新增", "success")
                    return redirect(self._list_url(region))
        return self._render_form(form, region, None, errors)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        sp = self._entry(pk)
        region = sp.region
        refused = self._read_only_refusal(region)
        if refused:
            return refused
        form = StandardPostForm()
        errors = []
        if request.method == "POST":
            if not form.validate_on_submit() and "csrf_token" in form.errors:
                errors = [EXPIRED]
            else:
                try:
                    posts.update_standard_post(g.user, sp, **self._values(form), version=opened_version())
                except DomainError as exc:
                    db.session.rollback()
                    errors = _errors(exc)
                    sp = self._entry(pk)
                else:
                    flash(f"标准岗位“{sp.name}”（{sp.code}）已保存", "success")
                    return redirect(self._list_url(region))
        else:
            form.code.data = sp.code
            form.name.data = sp.name
            form.category.data = sp.category
            form.status.data = "正常" if sp.active else "停用"
        return self._render_form(form, region, sp, errors)

    @expose("/toggle/<int:pk>", methods=["POST"])
    @has_access
    def toggle(self, pk):
        sp = self._entry(pk)
        region = sp.region
        refused = self._read_only_refusal(region)
        if refused:
            return refused
        if not FlaskForm().validate_on_submit():
            flash(EXPIRED, "danger")
            return redirect(self._list_url(region))
        name, enable = sp.name, not sp.active
        try:
            mapped = posts.set_standard_post_active(g.user, sp, enable)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            if enable:
                flash(f"标准岗位“{name}”已启用", "success")
            else:
                extra = f"；已映射到它的 {mapped} 个机构岗位将标为需要重新映射" if mapped else ""
                flash(f"标准岗位“{name}”已停用，机构不能再映射到它{extra}", "success")
        return redirect(self._list_url(region))
