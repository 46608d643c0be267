"""Chinese messages on the REST API's refusals. FAB's `BaseApi.response_401/403` ("Not authorized",
"Forbidden") and Flask-JWT-Extended's loaders ("Missing Authorization Header", "Token has expired", …) answer in
English; every API response passes here (an after_request hook) and an English refusal is replaced by a Chinese
one with the same status code. Messages the app already wrote in Chinese are kept."""
import json
import re

_CJK = re.compile(r"[\u4e00-\u9fff]")

UNAUTHORIZED = "未登录或登录已失效：请先登录，并在请求头 Authorization 中携带有效的访问令牌（Bearer）"
FORBIDDEN = "没有权限：您的账号没有执行此操作的权限，如需开通请联系本机构总账号或上级管理员"
# Flask-JWT-Extended's messages, by their start (its wording includes the header name and other details).
_JWT = (
    ("Missing", "缺少访问令牌：请先登录，并在请求头 Authorization 中携带访问令牌（Bearer）"),
    ("Bad Authorization header", "访问令牌格式错误：请求头应为 Authorization: Bearer <令牌>"),
    ("Token has expired", "访问令牌已过期，请重新登录获取新的令牌"),
    ("Token has been revoked", "访问令牌已失效，请重新登录"),
    ("Fresh token required", "此操作需要重新登录后获取的新令牌"),
    ("Only non-refresh tokens", "不能用刷新令牌访问接口，请使用访问令牌"),
    ("Only refresh tokens", "请使用刷新令牌换取新的访问令牌"),
    ("Error loading the user", "令牌对应的账号不存在或已停用，请重新登录"),
)
# Invalid tokens answer 422 in Flask-JWT-Extended (signature, segments, decoding): the same Chinese sentence.
INVALID_TOKEN = "访问令牌无效，请重新登录获取新的令牌"


def _chinese(status: int, english: str, jwt: bool) -> str | None:
    for start, text in _JWT:
        if english.startswith(start):
            return text
    if status == 401:
        return UNAUTHORIZED
    if status == 403:
        return FORBIDDEN
    if status == 422 and jwt:
        return INVALID_TOKEN
    return None


def chinese_api_error(resp) -> None:
    """Replace an English refusal message (401, 403, and a JWT library's 422) in a JSON response, in place."""
    if resp.status_code not in (401, 403, 422) or not resp.is_json or resp.direct_passthrough:
        return
    data = resp.get_json(silent=True)
    if not isinstance(data, dict):
        return
    key = "msg" if isinstance(data.get("msg"), str) else "message"  # "msg": Flask-JWT-Extended, "message": FAB
    english = data.get(key)
    if not isinstance(english, str) or _CJK.search(english):
        return
    text = _chinese(resp.status_code, english, key == "msg")
    if text is None:
        return
    data[key] = data["message"] = text  # "message" everywhere, as in our own answers; "msg" kept for JWT clients
    resp.set_data(json.dumps(data, ensure_ascii=False))
