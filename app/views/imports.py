"""人员信息批量导入 (spec 4.2.2, 4.2.4) and 人员信息导入管理 (4.2.4 (7)); 附件批量导入 (4.2.5).

Small imports (at most IMPORT_BACKGROUND_ROWS rows) show their result at once; larger ones go on in the background
and the user is sent to 人员信息导入管理. Every upload becomes an `ImportJob` first (its file is kept), then runs
outside the request (services/imports/jobs.py); the upload request waits a few seconds for it and stops waiting as
soon as the engine reports more rows than the limit. Job-id arguments are `pk` and answer 404 for another
institution's job (the tenancy sweep calls them with foreign ids).

Every POST goes through the page helper (views/pages.py): each service call is its own unit of work, the site's
CSRFProtect has checked the token before any view runs, and a refusal names its field where it has one (the upload's
"file", the ZIP's "archive"), shown under that input.
"""
import datetime
import math

from flask import abort, current_app, g, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm

from app.domain.errors import DomainError
from app.extensions import db
from app.models.imports import ImportJob
from app.models.people import Person
from app.security import pages
from app.security.masking import sees_full_id, shown_id
from app.services import departments as departments_svc
from app.services import dictionaries
from app.services.imports import attachments
from app.services.imports import jobs as import_jobs
from app.services.people import DETAIL_SETS
from app.views.files import XLSX, send_stored, send_workbook
from app.views.pages import act, attempt, form_page

INLINE_WAIT_SECONDS = 10  # a small import still running after this goes on in the background
JOBS_PER_PAGE = 20
ROWS_PER_PAGE = 30
PEOPLE_PAGE = pages.PEOPLE.resource


def _institution():
    inst = getattr(g.user, "institution", None)
    if inst is None:
        abort(403)  # these pages work on one institution's staff: institution accounts only
    return inst


def _page_arg():
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


def _stem(filename):
    return filename.rsplit(".", 1)[0] if "." in filename else filename


class ImportView(BaseView):
    """人员信息导入管理: upload pages per data set, the job list with live progress, templates, exports."""

    route_base = "/imports"
    edited_models = (Person, *(s.model for s in DETAIL_SETS.values()))  # 更新: the export's versions
    default_view = "jobs"
    class_permission_name = pages.IMPORTS.resource
    # The uploaded file and its error workbook hold complete ID numbers: they are the importer's working files
    # (导入); 查看 shows the list, progress and counts.
    method_permission_name = {"jobs": "read", "status": "read", "report": "import", "file": "import",
                              "delete": "import", "upload": "import", "template": "export", "export": "export"}
    base_permissions = ["can_read", "can_import", "can_export"]
    scoped_model = ImportJob

    def _can(self, right):
        return self.appbuilder.sm.has_access(f"can_{right}", self.class_permission_name)

    def _job(self, pk):
        try:
            return import_jobs.get_job(_institution().id, pk)
        except DomainError:
            abort(404)

    @staticmethod
    def _sets():
        return import_jobs.set_labels()

    def _set_label(self, set_key):
        sets = self._sets()
        if set_key not in sets:
            abort(404)
        return sets[set_key]

    # ---- 人员信息导入管理 -------------------------------------------------------------------------------------------

    @expose("/jobs/")
    @has_access
    def jobs(self):
        inst = _institution()
        import_jobs.expire_stale(inst.id)
        import_jobs.purge_if_due()  # files past IMPORT_KEEP_DAYS: at most once an hour per process
        page = _page_arg()
        jobs, total = import_jobs.jobs_of(inst.id, page=page, per_page=JOBS_PER_PAGE)
        pages = max(math.ceil(total / JOBS_PER_PAGE), 1)
        if page > pages:  # e.g. the last job of the last page was just deleted
            page = pages
            jobs, total = import_jobs.jobs_of(inst.id, page=page, per_page=JOBS_PER_PAGE)
        return self.render_template(
            "imports/jobs.html", inst=inst, jobs=[(j, import_jobs.status_dict(j)) for j in jobs], total=total,
            page=page, pages=pages, sets=self._sets(), can_import=self._can("import"), can_export=self._can("export"),
            limit=current_app.config["IMPORT_BACKGROUND_ROWS"], highlight=request.args.get("job", ""),
            keep_days=current_app.config.get("IMPORT_KEEP_DAYS") or 0, form=FlaskForm(), title="人员信息导入管理")

    @expose("/job/<int:pk>/status")
    @has_access
    def status(self, pk):
        job = self._job(pk)
        if job.status == import_jobs.RUNNING and import_jobs.expire_stale(job.institution_id):
            db.session.refresh(job)
        data = import_jobs.status_dict(job)
        data["report_url"] = url_for(".report", pk=job.id) if job.report_path else ""
        resp = jsonify(data)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def _send(self, relative, download_name):
        try:
            path = import_jobs.absolute_path(relative)
            resp = send_file(path, as_attachment=True, download_name=download_name, mimetype=XLSX, max_age=0)
        except (DomainError, FileNotFoundError):
            abort(404)
        resp.cache_control.private = True  # ID numbers and phones: never kept by a shared cache
        return resp

    @expose("/job/<int:pk>/report")
    @has_access
    def report(self, pk):
        """The error workbook: as often as wanted, until the job is deleted or its files pass IMPORT_KEEP_DAYS."""
        job = self._job(pk)
        if not job.report_path:
            abort(404)
        return self._send(job.report_path, f"{_stem(job.filename)}_错误报告.xlsx")

    @expose("/job/<int:pk>/file")
    @has_access
    def file(self, pk):
        job = self._job(pk)
        return self._send(job.upload_path, f"{_stem(job.filename)}.xlsx")  # the extension of what was checked

    @expose("/job/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete(self, pk):
        """删除 a finished job with its uploaded workbook and error workbook (the imported data stays)."""
        job = self._job(pk)  # another institution's job: 404 before anything else
        page = _page_arg()
        back = url_for(".jobs", page=page) if page > 1 else url_for(".jobs")
        return act(lambda: import_jobs.delete_job(job.institution_id, job.id), back=back,
                   done=lambda filename: (f"已删除导入记录“{filename}”及其上传文件和错误报告（已导入的数据不受影响）", back))

    # ---- templates and exports -------------------------------------------------------------------------------------

    @expose("/template/<set_key>")
    @has_access
    def template(self, set_key):
        from app.services.imports import template as template_svc

        label = self._set_label(set_key)
        inst = _institution()
        data = template_svc.build_template(inst, set_key)
        return send_workbook(data, f"{label}导入模板_{inst.name}.xlsx")

    @expose("/export/<set_key>")
    @has_access
    def export(self, set_key):
        from app.services.imports import export as export_svc

        label = self._set_label(set_key)
        inst = _institution()
        data = export_svc.export_set(inst, set_key, show_id=shown_id)
        return send_workbook(data, f"{label}_{inst.name}_{datetime.date.today():%Y%m%d}.xlsx")

    # ---- upload --------------------------------------------------------------------------------------------------

    def _render_upload(self, set_key, errors, result=None, update_existing=False):
        inst = _institution()
        return self.render_template(
            "imports/upload.html", inst=inst, set_key=set_key, label=self._set_label(set_key), sets=self._sets(),
            errors=errors, result=result, form=FlaskForm(), update_existing=update_existing,
            max_mb=current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024),
            max_bytes=current_app.config["IMPORT_MAX_BYTES"], limit=current_app.config["IMPORT_BACKGROUND_ROWS"],
            can_export=self._can("export"), keep_days=current_app.config.get("IMPORT_KEEP_DAYS") or 0,
            title=f"{self._set_label(set_key)}批量导入")

    @staticmethod
    def _shown_result(inst, set_key):
        """The result panel of `?job=<id>` (where a small import lands): a job of this institution and data set."""
        job_arg = request.args.get("job", "")
        if request.method != "GET" or not job_arg.isdigit():
            return None
        try:
            job = import_jobs.get_job(inst.id, int(job_arg))
        except DomainError:
            return None
        return (job, import_jobs.status_dict(job)) if job.set_key == set_key else None

    @expose("/upload/<set_key>", methods=["GET", "POST"])
    @has_access
    def upload(self, set_key):
        inst = _institution()
        self._set_label(set_key)  # 404 for an unknown set
        update_existing = request.form.get("update_existing") == "y"  # a refused upload keeps the tick
        upload = request.files.get("file")
        chosen = upload is not None and bool(upload.filename)
        return form_page(
            save=lambda: import_jobs.create_job(inst, set_key, upload.stream if chosen else None,
                                                upload.filename if chosen else "", user=g.user,
                                                update_existing=update_existing),
            render=lambda errors: self._render_upload(set_key, errors, result=self._shown_result(inst, set_key),
                                                      update_existing=update_existing),
            done=lambda job: self._run_upload(set_key, job.id, job.filename))

    @staticmethod
    def _run_upload(set_key, job_id, filename):
        """Start the created job and wait a little: a small import shows its result on the upload page, a larger
        (or slower) one goes on in the background and the user is sent to the job list."""
        import_jobs.start_job(job_id)
        limit = current_app.config["IMPORT_BACKGROUND_ROWS"]
        finished = import_jobs.wait_small(job_id, limit, INLINE_WAIT_SECONDS)
        if finished is not None:
            return redirect(url_for(".upload", set_key=set_key, job=job_id) + "#import-result")
        job = import_jobs.fresh(job_id)
        total = max(job.total if job is not None else 0, import_jobs.progress_of(job)[1] if job is not None else 0)
        if total > limit:
            why = f"（共 {total} 行）数据量较大"
        elif job is not None and job.status == import_jobs.QUEUED:
            why = "前面还有导入任务在进行"
        else:
            why = "导入需要的时间较长"
        return (f"文件“{filename}”{why}，已转入后台导入。本页会自动刷新进度，完成后可在这里下载错误报告。",
                url_for(".jobs", job=job_id) + f"#job-{job_id}", "info")


# ---- 附件批量导入 ------------------------------------------------------------------------------------------------------

def _summary(set_key, entry, names):
    """A short description of the entry images are attached to."""
    if entry is None:
        return ""
    if set_key == "qualification":
        parts = [entry.kind, entry.certificate_no, entry.obtained_on]
    elif set_key == "practice":
        parts = [entry.certificate_no, names["practice_category"].get(entry.category or ""), entry.registered_on]
    elif set_key == "education":
        parts = [entry.school, names["education"].get(entry.education or ""), entry.end_date]
    else:
        parts = [entry.title_name, entry.obtained_on]
    return " · ".join(p.isoformat() if isinstance(p, datetime.date) else str(p) for p in parts if p)


class AttachmentBatchView(BaseView):
    """附件批量导入: staff of the caller's institution with the latest entry of a set; drop a JPG on a row, hover to
    delete, or upload a ZIP of images named by 证件号码."""

    route_base = "/attachmentbatch"
    edited_models = ()  # adds files to entries (their version moves: an open entry form is then refused)
    default_view = "page"
    class_permission_name = pages.ATTACHMENT_BATCHES.resource
    method_permission_name = {"page": "read", "image": "read", "upload": "write", "delete": "write", "zip": "write"}
    base_permissions = ["can_read", "can_write"]
    scoped_model = Person  # the tenancy sweep calls every <pk> route with foreign person ids

    def _can(self, right, resource=None):
        return self.appbuilder.sm.has_access(f"can_{right}", resource or self.class_permission_name)

    @staticmethod
    def _set_key(value):
        return value if value in attachments.SETS else attachments.SETS[0]

    def _person(self, pk):
        try:
            return attachments.person_of(_institution().id, pk)
        except DomainError:
            abort(404)

    def _images(self, person, set_key, row):
        return [{"url": url_for(".image", pk=person.id, set_key=set_key, entry=row.entry.id, index=i),
                 "thumb": url_for(".image", pk=person.id, set_key=set_key, entry=row.entry.id, index=i, thumb=1),
                 "entry": row.entry.id, "index": i, "filename": item.get("filename") or f"附件{i + 1}"}
                for i, item in enumerate(row.images)]

    def _render(self, zip_results=None, zip_errors=()):
        inst = _institution()
        set_key = self._set_key(request.values.get("set", ""))
        state = request.values.get("state", "")
        q = request.values.get("q", "").strip()
        dept_arg = request.values.get("department", "")
        nodes = list(departments_svc.walk(departments_svc.tree(inst.id)))
        department_ids = None
        if dept_arg.isdigit() and any(n.id == int(dept_arg) for n in nodes):
            department_ids = {int(dept_arg)}
            for n in nodes:  # the department and everything below it
                if n.parent_id in department_ids:
                    department_ids.add(n.id)
        else:
            dept_arg = ""
        page = _page_arg()
        rows, total = attachments.rows(inst.id, set_key, department_ids=department_ids, state=state, q=q,
                                            page=page, per_page=ROWS_PER_PAGE)
        pages = max(math.ceil(total / ROWS_PER_PAGE), 1)
        full_ids = sees_full_id()
        names = {t: {d.code: d.name for d in dictionaries.items(t, active_only=False)}
                 for t in ("practice_category", "education")}
        items = [{"person": r.person, "id_number": shown_id(r.person.id_number, full_ids),
                  "entry": r.entry, "summary": _summary(set_key, r.entry, names), "state": r.state,
                  "images": self._images(r.person, set_key, r) if r.entry is not None else []} for r in rows]
        args = {k: v for k, v in (("set", set_key), ("state", state), ("q", q), ("department", dept_arg)) if v}
        return self.render_template(
            "imports/attachments.html", inst=inst, set_key=set_key, sets=attachments.labels(), state=state,
            states=attachments.STATES, no_record=attachments.NO_RECORD,
            q=q, department=dept_arg, nodes=nodes, items=items, total=total, page=page, pages=pages, args=args,
            form=FlaskForm(), can_write=self._can("write"), zip_results=zip_results, zip_errors=zip_errors,
            zip_max_mb=attachments.ZIP_MAX_BYTES // (1024 * 1024), zip_max_files=attachments.ZIP_MAX_FILES,
            title="附件批量导入")

    @expose("/")
    @has_access
    def page(self):
        return self._render()

    @expose("/person/<int:pk>/image/<set_key>/<int:entry>/<int:index>")
    @has_access
    def image(self, pk, set_key, entry, index):
        inst = _institution()
        try:
            path = attachments.image_path(inst.id, pk, set_key, entry, index, bool(request.args.get("thumb")))
        except DomainError:
            abort(404)
        return send_stored(path, max_age=3600)

    def _row_json(self, person, set_key, message, ok=True, status=200):
        row = attachments.row_of(_institution().id, person.id, set_key)
        return jsonify(ok=ok, message=message, state=row.state,
                       images=self._images(person, set_key, row) if row.entry is not None else []), status

    @expose("/person/<int:pk>/upload", methods=["POST"])
    @has_access
    def upload(self, pk):
        person = self._person(pk)
        set_key = request.form.get("set", "")
        if set_key not in attachments.SETS:
            return jsonify(ok=False, message="附件类别不存在"), 400
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return jsonify(ok=False, message="请选择 JPG 图片"), 400
        _, errors = attempt(attachments.attach, _institution().id, person.id, set_key, upload, upload.filename)
        if errors:
            return self._row_json(person, set_key, errors.text(), ok=False, status=400)
        return self._row_json(person, set_key, f"已为 {person.name} 上传“{upload.filename}”")

    @expose("/person/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete(self, pk):
        person = self._person(pk)
        set_key = request.form.get("set", "")
        if set_key not in attachments.SETS:
            abort(404)
        _, errors = attempt(attachments.remove, _institution().id, person.id, set_key, request.form.get("entry"),
                            request.form.get("index"))
        if errors:  # the image (or its entry) is not there
            abort(404)
        return self._row_json(person, set_key, f"已删除 {person.name} 的一张附件图片")

    @expose("/zip", methods=["POST"])
    @has_access
    def zip(self):
        inst = _institution()
        set_key = self._set_key(request.form.get("set", ""))
        upload = request.files.get("archive")
        chosen = upload is not None and bool(upload.filename)
        results, errors = attempt(attachments.attach_zip, inst.id, set_key, upload.stream if chosen else b"")
        return self._render(zip_results=results, zip_errors=errors)
