"""机构岗位管理 (spec 3.3) with 映射管理, and 标准岗位 (区域管理). Every rule lives in services/posts.py."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from app.extensions import db
from app.models.org import Institution, Post, StandardPost
from app.security import pages
from app.services import posts
from app.views.concurrency import opened_version
from app.views.orgtree import MoveStaffMixin
from app.views.pages import act, form_page

STATUSES = [("正常", "正常"), ("停用", "停用")]


class PostForm(FlaskForm):
    """The typed values only; the rules are the service's, so a refused form keeps its input."""

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


def _status(active) -> str:
    return "正常" if active else "停用"


class PostView(MoveStaffMixin, BaseView):
    """The institution's posts: 新增 / 修改 / 映射管理 / 启用·停用 / 删除 (with moving the staff who hold it)."""

    route_base = "/posts"
    edited_models = (Post,)  # what its forms edit (versioned)
    default_view = "list"
    class_permission_name = pages.POSTS.resource
    method_permission_name = {"list": "read", "add": "write", "edit": "write", "mapping": "write",
                              "toggle": "write", "delete": "write", "move": "write"}
    base_permissions = ["can_read", "can_write"]
    scoped_model = Post  # the tenancy sweep calls every <pk> route with foreign post ids

    unit_service = posts
    deleted_message = "岗位“{name}”已删除"
    moved_message = "已把 {moved} 名人员从岗位“{name}”转移到“{to}”"
    moved_and_deleted_message = "已把 {moved} 名人员转移到岗位“{to}”，岗位“{name}”已删除"

    # ---- helpers ----------------------------------------------------------------------------------------------
    def _post(self, pk):
        post = posts.get(g.user.institution_id, pk)
        if post is None:
            abort(404)
        return post

    _unit = _post

    def _move_choices(self, post):
        return [(str(p.id), f"{p.name}（{p.category}）", 1) for p in posts.move_targets(post)]

    def _delete_texts(self, post, blocked):
        return dict(
            noun="岗位", heading=f"删除岗位：{post.name}", choose="（请选择本机构的岗位）",
            move_title=f"把岗位“{post.name}”的 {blocked.staff if blocked else 0} 名人员全部转移到其他岗位",
            move_delete="转移人员并删除岗位", back="返回机构岗位管理",
            help=f"人员的岗位一次全部改为所选岗位（全部成功或全部不改）；“转移人员并删除岗位”会在同一步中删除“{post.name}”，"
                 "不会有人员的岗位被清空。",
            confirm=f"确定删除岗位“{post.name}”吗？删除后不能恢复。目前没有人员在此岗位。")

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
        return form_page(
            save=lambda: posts.create(g.user.institution_id, **self._values(form)),
            render=lambda errors: self._render_form(form, None, errors),
            done=lambda post: (f"岗位“{post.name}”已新增；请在下面选择与之对应的标准岗位，点击“确定”完成映射",
                               url_for(".mapping", pk=post.id)))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        post = self._post(pk)
        opened = dict(name=post.name, category=post.category, description=post.description or "",
                      status=_status(post.active))
        form = PostForm(data=None if request.method == "POST" else opened)
        return form_page(
            save=lambda: posts.update(g.user.institution_id, post.id, **self._values(form), version=opened_version()),
            render=lambda errors: self._render_form(form, post, errors),
            done=lambda saved: (f"岗位“{saved.name}”已保存", url_for(".list")))

    @expose("/mapping/<int:pk>", methods=["GET", "POST"])
    @has_access
    def mapping(self, pk):
        """映射管理: pick the post's 标准岗位 from the regional list (filterable); 确定 saves."""
        post = self._post(pk)
        query = request.values.get("q", "")
        chosen = request.form.get(posts.MAPPING, "") if request.method == "POST" else str(post.standard_post_id or "")

        def render(errors):
            region = posts.list_region_for_institution(g.user.institution_id)
            entries = posts.standard_posts(region, active_only=True)
            shown = {sp.id for sp in entries if posts.matches(sp, query)}
            return self.render_template("posts/mapping.html", post=post, entries=entries, shown=shown, query=query,
                                        chosen=chosen, errors=errors, region=region, form=FlaskForm(),
                                        problem=posts.mapping_problem(post))

        def done(saved):
            sp = saved.standard_post
            return f"岗位“{saved.name}”已映射到标准岗位“{sp.name}”（{sp.code}）", url_for(".list")

        return form_page(save=lambda: posts.set_mapping(g.user.institution_id, post.id, chosen,
                                                        version=opened_version()),
                         render=render, done=done)

    @expose("/toggle/<int:pk>", methods=["POST"])
    @has_access
    def toggle(self, pk):
        post = self._post(pk)
        name, enable = post.name, not post.active

        def done(staff):
            if enable:
                return f"岗位“{name}”已启用", url_for(".list")
            extra = f"；该岗位的 {staff} 名人员岗位不变，批量导入模板中不再提供此岗位" if staff else \
                "；批量导入模板中不再提供此岗位"
            return f"岗位“{name}”已停用{extra}", url_for(".list")

        return act(lambda: posts.set_active(g.user.institution_id, post.id, enable), done=done, back=url_for(".list"))


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
        return form_page(
            save=lambda: posts.create_standard_post(g.user, region, **self._values(form)),
            render=lambda errors: self._render_form(form, region, None, errors),
            done=lambda sp: (f"标准岗位“{sp.name}”（{sp.code}）已新增", self._list_url(region)))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        sp = self._entry(pk)
        region = sp.region
        refused = self._read_only_refusal(region)
        if refused:
            return refused
        opened = dict(code=sp.code, name=sp.name, category=sp.category, status=_status(sp.active))
        form = StandardPostForm(data=None if request.method == "POST" else opened)
        return form_page(
            save=lambda: posts.update_standard_post(g.user, sp, **self._values(form), version=opened_version()),
            render=lambda errors: self._render_form(form, region, sp, errors),
            done=lambda saved: (f"标准岗位“{saved.name}”（{saved.code}）已保存", self._list_url(region)))

    @expose("/toggle/<int:pk>", methods=["POST"])
    @has_access
    def toggle(self, pk):
        sp = self._entry(pk)
        region = sp.region
        refused = self._read_only_refusal(region)
        if refused:
            return refused
        name, enable = sp.name, not sp.active

        def done(mapped):
            if enable:
                return f"标准岗位“{name}”已启用", self._list_url(region)
            extra = f"；已映射到它的 {mapped} 个机构岗位将标为需要重新映射" if mapped else ""
            return f"标准岗位“{name}”已停用，机构不能再映射到它{extra}", self._list_url(region)

        return act(lambda: posts.set_standard_post_active(g.user, sp, enable), done=done,
                   back=self._list_url(region))
