"""机构编制管理 (spec 3.4): the institution distributes its 编制 to departments (/quota); 区域端 records 编制
decisions for the institutions of its region subtree (/quotaallocation). Every rule lives in services/quota.py."""
import datetime

from flask import abort, flash, g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from app.extensions import db
from app.models.org import DepartmentQuota, Institution
from app.security import pages
from app.services import quota
from app.views.pages import Errors, form_page

AMOUNT_PREFIX = quota.AMOUNT_PREFIX  # amount-<department id>: the input of one department's 编制数
OPENED_PREFIX = "opened-"  # the amount shown when the sheet was opened (edit conflicts)


def _numbered(prefix):
    """{department id: posted value} of the inputs named <prefix><department id>."""
    return {int(k[len(prefix):]): v for k, v in request.form.items() if k.startswith(prefix) and k[len(prefix):].isdigit()}


class QuotaView(BaseView):
    """机构端: the current allocation on top, then 编制数 / 在编人数 / 空编 / 超编 per department, with totals."""

    route_base = "/quota"
    edited_models = (DepartmentQuota,)  # the sheet is compared by the amounts it showed
    default_view = "list"
    class_permission_name = pages.QUOTA.resource
    method_permission_name = {"list": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    def _render(self, *, errors=None, posted_kind=None, typed=None, opened=None):
        inst_id = g.user.institution_id
        inst = db.session.get(Institution, inst_id) if inst_id else None
        sheets = [quota.sheet(inst.id, kind) for kind in quota.KINDS] if inst else []
        errors = errors or Errors()
        bad = {int(f[len(AMOUNT_PREFIX):]) for f in errors.fields() if f.startswith(AMOUNT_PREFIX)}
        return self.render_template(
            "quota/sheet.html", institution=inst, sheets=sheets, form=FlaskForm(), errors=errors,
            posted_kind=posted_kind, typed=typed or {}, bad=bad, split=quota.SPLIT, opened=opened or {},
            amount_fields=[quota.amount_field(line.id) for sheet in sheets for line in sheet.lines],
            opened_prefix=OPENED_PREFIX,
            history=quota.history(inst.id) if inst else [], not_yet=quota.NOT_YET, prefix=AMOUNT_PREFIX,
            can_write=self.appbuilder.sm.has_access("can_write", self.class_permission_name))

    @expose("/list/")
    @has_access
    def list(self):
        return self._render()

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        if not g.user.institution_id:
            abort(404)
        kind = request.form.get("kind") or quota.DEFAULT_KIND
        typed, opened = _numbered(AMOUNT_PREFIX), _numbered(OPENED_PREFIX)
        return form_page(
            save=lambda: quota.distribute(g.user, g.user.institution_id, typed, kind=kind, opened=opened),
            render=lambda errors: self._render(errors=errors, posted_kind=kind, typed=typed, opened=opened),
            done=lambda total: (f"科室编制已保存：分配到科室的{kind}合计 {total} 名", url_for(".list")))


class AllocationForm(FlaskForm):
    """Only the CSRF check and the typed values; the rules are the service's, so a refused form keeps its input."""

    kind = SelectField("编制类型", choices=[(k, k) for k in quota.KINDS], default=quota.DEFAULT_KIND,
                       validate_choice=False)
    total = StringField("核定编制总数")
    management = StringField("管理岗位")
    professional = StringField("专业技术岗位")
    support = StringField("工勤技能岗位")
    effective_date = StringField("生效日期")
    document_no = StringField("文号")
    note = TextAreaField("备注")


class QuotaAllocationView(BaseView):
    """区域端: the institutions of the caller's region subtree with their 编制; one institution's decisions."""

    route_base = "/quotaallocation"
    edited_models = ()  # each allocation is a new decision row; none is edited
    default_view = "list"
    class_permission_name = pages.QUOTA_ALLOCATION.resource
    method_permission_name = {"list": "read", "show": "read", "allocate": "write"}
    base_permissions = ["can_read", "can_write"]
    scoped_model = Institution  # the tenancy sweep calls every <pk> route with foreign institution ids

    def _institution(self, pk):
        inst = db.session.get(Institution, pk)
        if inst is None or not quota.can_allocate_to(g.user, inst.id):
            abort(404)
        return inst

    @expose("/list/")
    @has_access
    def list(self):
        q = (request.args.get("q") or "").strip()
        rows = quota.regional_overview(g.user, quota.DEFAULT_KIND, q)
        return self.render_template("quota/regional_list.html", rows=rows, q=q, kind=quota.DEFAULT_KIND)

    def _render_show(self, inst, form, errors=None):
        return self.render_template(
            "quota/allocation.html", institution=inst, form=form, errors=errors or Errors(), split=quota.SPLIT,
            current={k: quota.current_allocation(inst.id, k) for k in quota.KINDS},
            distributed={k: quota.distributed(inst.id, k) for k in quota.KINDS},
            established={k: quota.established_count(inst.id, k) for k in quota.KINDS},
            history=quota.history(inst.id), today=datetime.date.today().isoformat(),
            can_write=self.appbuilder.sm.has_access("can_write", self.class_permission_name))

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        inst = self._institution(pk)
        return self._render_show(inst, AllocationForm(formdata=None))

    @expose("/allocate/<int:pk>", methods=["POST"])
    @has_access
    def allocate(self, pk):
        inst = self._institution(pk)
        form = AllocationForm()

        def done(result):
            a = result.allocation
            when = a.effective_date.isoformat()
            if not result.is_current:
                return (f"已登记为历史记录：文号 {a.document_no} 的生效日期 {when} 早于当前核定，当前核定不变",
                        url_for(".show", pk=inst.id), "warning")
            if result.distributed > a.total:
                flash(f"已登记{inst.name}的{a.kind}核定 {a.total} 名（文号：{a.document_no}，{when} 起生效）", "success")
                return (f"该机构已分配到科室的{a.kind}合计 {result.distributed} 名，超过新核定的 {a.total} 名；"
                        "机构的编制页面会提示其调减科室编制", url_for(".show", pk=inst.id), "warning")
            return (f"已登记{inst.name}的{a.kind}核定 {a.total} 名（文号：{a.document_no}，{when} 起生效）",
                    url_for(".show", pk=inst.id))

        return form_page(
            save=lambda: quota.allocate(g.user, inst.id, kind=form.kind.data, total=form.total.data,
                                        management=form.management.data, professional=form.professional.data,
                                        support=form.support.data, effective_date=form.effective_date.data,
                                        document_no=form.document_no.data, note=form.note.data),
            render=lambda errors: self._render_show(inst, form, errors),
            done=done)
