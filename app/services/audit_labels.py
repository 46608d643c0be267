"""Chinese names of what the audit trail records: audit rows store table and column names (person, department_id);
操作日志 shows these names instead. The field names are the ones the pages use (the services' and the domain's
label dicts), completed here for the columns no form shows. tests/services/test_audit_labels.py walks every
audited table and column and fails on a missing name: a new model or column needs its name here."""
from __future__ import annotations

import functools

ENTITY_LABELS = {
    "ab_user": "账号", "ab_role": "角色", "ab_group": "用户组", "ab_api_key": "接口密钥", "ab_register_user": "注册申请",
    "role_profile": "角色设置", "realname_certification": "实名认证", "region": "行政区划", "dict_item": "数据字典",
    "institution": "机构", "institution_field_history": "机构信息变更记录", "institution_file": "机构证照文件",
    "branch": "分院", "department": "部门", "post": "岗位", "standard_post": "标准岗位",
    "quota_allocation": "编制核定", "department_quota": "科室编制分配", "change_request": "信息变更申请",
    "review_record": "审核记录", "location_report": "定位信息", "person": "人员", "key_group": "人员标签",
    "probation": "试用期考核", "probation_window": "试用期考核报名时间", "import_job": "导入记录",
    "resignation": "员工离职",
    "emergency_report": "应急资源上报", "emergency_report_line": "应急资源上报明细",
    "emergency_indicator": "应急上报指标",
    "transfer_request": "调动申请",
    "drug_item": "药品字典",
    "emergency_vehicle": "车辆档案", "emergency_equipment": "应急医疗设备档案",
    "supply_item": "物资药械目录", "supply_entry": "物资药械上报",
    "report_task": "上报任务", "report_task_institution": "上报任务机构", "report_reminder": "催报记录",
}

# Columns of every table (ids, bookkeeping).
COMMON = {
    "id": "编号", "institution_id": "所属机构", "region_id": "所属区域", "person_id": "人员", "user_id": "账号",
    "version": "版本号", "created_at": "创建时间", "updated_at": "修改时间", "attachments": "附件",
    "status": "状态", "opinion": "审核意见", "submitted_at": "提交时间", "reviewed_at": "审核时间",
    "reviewer_id": "审核人", "name": "名称", "description": "说明", "active": "状态", "category": "类别",
    "phone": "电话", "head": "负责人", "latitude": "纬度", "longitude": "经度", "code": "代码",
}

_OWN = {
    "ab_user": {
        "username": "账号", "password": "密码", "first_name": "名", "last_name": "姓", "email": "电子邮箱",
        "last_login": "最近登录", "login_count": "登录次数", "fail_login_count": "连续失败次数",
        "created_on": "创建时间", "changed_on": "修改时间", "created_by_fk": "创建人", "changed_by_fk": "修改人",
        "created": "创建人", "changed": "修改人", "groups": "用户组", "api_keys": "接口密钥", "locked_until": "锁定至",
        "must_change_password": "须修改密码", "is_owner": "总账号", "certified_at": "实名认证时间",
        "deleted_at": "删除时间", "session_epoch": "登录凭据批次", "region_id": "所属区域",
    },
    "ab_role": {"name": "角色名称", "permissions": "权限", "user": "账号", "groups": "用户组"},
    "ab_group": {"name": "名称", "label": "显示名", "users": "账号", "roles": "角色"},
    "ab_api_key": {"uuid": "标识", "name": "名称", "key_hash": "密钥摘要", "lookup_hash": "查找摘要",
                   "key_prefix": "密钥前缀", "scopes": "权限范围", "created_on": "创建时间", "expires_on": "到期时间",
                   "revoked_on": "吊销时间", "last_used_on": "最近使用"},
    "ab_register_user": {"first_name": "名", "last_name": "姓", "username": "账号", "password": "密码",
                         "email": "电子邮箱", "registration_date": "申请时间", "registration_hash": "申请凭据"},
    "role_profile": {"role_id": "角色", "display_name": "角色名称", "level": "层级", "role_type": "角色类型",
                     "seq": "角色序号", "parent_role_id": "上级角色"},
    "realname_certification": {"scan_kind": "扫描件类型"},
    "region": {"code": "区划代码", "level": "级别", "parent_id": "上级", "path": "路径", "children": "下级"},
    "drug_item": {"code": "药品编码", "name": "通用名", "abbreviation": "拼音缩写", "dosage_form": "剂型",
                  "spec": "规格", "unit": "单位", "category": "药品分类", "active": "启用"},
    "dict_item": {"type": "字典类型", "code": "代码", "name": "名称", "order": "序号", "active": "启用",
                  "extra": "附加信息"},
    "institution": {"region_id": "所属区域", "is_large_public": "大型公立医院", "internet_access": "允许通过互联网访问",
                    "branches": "分院"},
    "institution_field_history": {"field": "字段", "old_value": "原值", "new_value": "新值",
                                  "change_request_id": "变更申请", "changed_at": "变更时间"},
    "institution_file": {"kind": "证照类型", "filename": "文件名", "path": "存储位置", "file_kind": "文件格式",
                         "uploaded_at": "上传时间"},
    "department": {"children": "下级部门"},
    "quota_allocation": {"kind": "编制类型", "total": "核定总数", "management": "管理岗位", "professional": "专业技术岗位",
                         "support": "工勤技能岗位", "effective_date": "生效日期", "document_no": "文号", "note": "备注",
                         "created_by": "录入人"},
    "department_quota": {"department_id": "科室", "kind": "编制类型", "amount": "数量"},
    "change_request": {"changes": "变更内容", "reason": "变更原因", "files": "证明材料", "created_by": "申请人"},
    "review_record": {"entity": "业务类型", "entity_id": "记录编号", "action": "操作", "from_status": "原状态",
                      "to_status": "新状态", "actor_id": "操作人", "actor_name": "操作人姓名", "at": "时间"},
    "location_report": {"token": "定位凭据", "received_at": "收到时间"},
    "person": {"photo_path": "照片", "photo_thumb": "照片缩略图", "work_experiences": "工作经历", "educations": "教育经历",
               "titles": "专业技术资格", "qualifications": "资格证书", "practice_certificates": "执业证书",
               "trainings": "培训经历"},
    "key_group": {"archived": "状态", "members": "组成员"},
    "probation": {"exam_category": "考试类别", "start_date": "试用期开始日期", "end_date": "试用期结束日期",
                  "probation_unit": "试用机构", "supervisor": "指导医师", "supervisor_title": "指导医师职称",
                  "note": "备注"},
    "probation_window": {"year": "年度"},
    "resignation": {"transfer_request_id": "调入申请", "created_by": "录入人", "submitted_by": "提交人"},
    "transfer_request": {"requester_institution_id": "申请机构", "holder_institution_id": "被申请机构",
                         "id_number": "证件号码", "created_by": "申请人", "expires_at": "过期时间",
                         "answered_by": "处理人", "answered_at": "处理时间"},
    "import_job": {"username": "导入人", "set_key": "信息类别", "filename": "文件名", "upload_path": "上传文件",
                   "update_existing": "更新已存在的数据", "total": "总行数", "processed": "已处理行数", "created": "新增",
                   "updated": "更新", "unchanged": "未变", "skipped": "跳过", "failed": "失败", "warnings": "提醒",
                   "report_path": "错误报告", "files_purged_days": "文件保留天数", "message": "结果说明",
                   "started_at": "开始时间", "finished_at": "结束时间", "heartbeat_at": "最近进度时间",
                   "owner_host": "处理主机", "owner_pid": "处理进程"},
}


@functools.cache
def _fields() -> dict:
    """table → {column: Chinese name}: the pages' own labels first, then this module's."""
    from app.domain.person import LABELS as PERSON
    from app.services import (
        accounts,
        certification,
        departments,
        emergency_registers,
        emergency_reports,
        emergency_supplies,
        institutions,
        keygroups,
        people,
        posts,
        probation,
        report_tasks,
        resignations,
        transfers,
    )

    tables = {table: dict(own) for table, own in _OWN.items()}

    def add(table, labels):
        tables.setdefault(table, {}).update(labels)

    add("person", PERSON)
    for detail in people.DETAIL_SETS.values():
        ENTITY_LABELS.setdefault(detail.model.__tablename__, detail.label)
        add(detail.model.__tablename__, {f.key: f.label for f in detail.fields})
    add("institution", {**institutions.SUBJECT_FIELDS, **institutions.EDITABLE_FIELDS})
    add("branch", institutions.BRANCH_LABELS)
    add("department", departments.LABELS)
    add("post", posts.POST_LABELS)
    add("standard_post", posts.STANDARD_LABELS)
    add("ab_user", accounts.LABELS)
    add("realname_certification", certification.LABELS)
    add("key_group", keygroups.LABELS)
    add("probation_window", probation.WINDOW_LABELS)
    add("resignation", resignations.LABELS)
    add("transfer_request", transfers.LABELS)
    add("emergency_vehicle", emergency_registers.VEHICLE_LABELS)
    add("emergency_equipment", emergency_registers.EQUIPMENT_LABELS)
    add("emergency_report", emergency_reports.LABELS)
    add("emergency_report_line", emergency_reports.LINE_LABELS)
    add("emergency_indicator", emergency_reports.INDICATOR_LABELS)
    add("supply_entry", emergency_supplies.LABELS)
    add("supply_item", emergency_supplies.ITEM_LABELS)
    add("report_task", report_tasks.LABELS)
    add("report_task_institution", report_tasks.TASK_INSTITUTION_LABELS)
    add("report_reminder", report_tasks.REMINDER_LABELS)
    return tables


def entity_label(table: str) -> str:
    _fields()  # the detail sets' names
    return ENTITY_LABELS.get(table, table)


def field_label(table: str, column: str) -> str | None:
    """The Chinese name of a recorded column; None when there is none (the test fails then)."""
    return _fields().get(table, {}).get(column) or COMMON.get(column)
