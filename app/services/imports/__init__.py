"""Batch import and export of staff data (spec 4.2.2, 4.2.4): 基本信息 and every detail set.

    template.build_template(institution, set_key) -> bytes      the import template (.xlsx)
    export.export_set(institution, set_key) -> bytes            current data in the template's form
    runner.run_import(institution, set_key, source, *, update_existing=False, user=None, progress=None,
                      batch_size=1000) -> runner.ImportResult   raises runner.ImportRefused for an unusable file
    runner.SETS                                                 set key → Chinese label

Modules: columns (columns, dropdown lists, template version), cells (cell values), checks (the row rules), template
(every workbook in the template's form), reader (limits and template checks, python-calamine), report (the error
workbook), export, runner; jobs (an upload's ImportJob run outside the request: thread or RQ, progress, recovery,
retention; the RQ worker's app is built in the start layer, app/worker.py) and attachments (附件批量导入: images
added to detail-set entries).
"""
