"""Problem titles and details in the reader's language: English, or Chinese for ``Accept-Language:
zh``.

Why here and not in the screens: the console shows a problem's ``detail`` as it arrives (the
server knows which unit was taken, which incident was closed), so a Chinese dispatcher would read
English at the worst moment, a refused assignment. The machine ``code`` never changes with the
language; programs branch on it. Codes without a Chinese detail keep their English one under a
Chinese title, rather than a vague translation that hides what the server said.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Language = Literal["en", "zh"]

#: The Content-Language each answer declares.
CONTENT_LANGUAGE: dict[Language, str] = {"en": "en", "zh": "zh-CN"}

_TITLE_BY_STATUS_ZH = {
    400: "请求有误",
    401: "未登录",
    403: "无权操作",
    404: "未找到",
    405: "不支持此请求方法",
    409: "操作冲突",
    422: "请求无法处理",
    429: "尝试次数过多",
    500: "服务器内部错误",
    503: "服务暂不可用",
}

#: Chinese titles per problem code; every code of ``dispatch.api.problems.STATUS_BY_CODE`` has
#: one (a test keeps it so).
TITLE_BY_CODE_ZH = {
    "not-found": "未找到",
    "invalid-location": "位置无效",
    "off-road": "位置附近没有道路",
    "address-not-found": "未找到地址",
    "unit-not-available": "车组不可派",
    "unit-not-capable": "车组级别不符合要求",
    "incident-not-assignable": "该事件不能再派车",
    "illegal-transition": "不允许的状态变更",
    "unit-has-no-position": "车组位置未知",
    "concurrent-change": "已被他人修改，请重试",
    "order-not-current": "不是该车组的当前指令",
    "idempotency-key-reused": "Idempotency-Key 已用于另一请求",
    "cancel-refused": "该事件不能取消",
    "divert-refused": "该车组不能改派或替换",
    "invalid-note": "备注无效",
    "invalid-triage": "分诊不完整",
    "destination-refused": "该医院不能作为送往医院",
    "outside-map": "位置超出地图范围",
    "unknown-complaint": "未知主诉",
    "invalid-answer": "分诊回答无效",
    "unknown-capability": "未知的专科能力",
    "beds-without-capability": "专科床位与专科能力不符",
    "unknown-crs": "未知坐标系",
    "weak-password": "密码不符合要求",
    "wrong-password": "当前密码不正确",
    "invalid-binding": "绑定无效",
    "user-exists": "用户已存在",
    "own-account": "不能更改自己的账号",
    "bad-credentials": "用户名或密码错误",
    "not-authenticated": "未登录",
    "session-expired": "会话已结束",
    "password-change-required": "请先修改密码",
    "forbidden": "无权操作",
    "not-your-unit": "无权操作",
    "not-your-incident": "无权操作",
    "not-routed-to-you": "无权操作",
    "not-your-hospital": "无权操作",
    "too-many-attempts": "登录失败次数过多",
    "account-locked": "账号已锁定",
    "validation-error": "请求内容无效",
    "invalid-value": "数值无效",
    "storage-unavailable": "数据库暂不可用",
    "not-ready": "服务尚未就绪",
    "network-not-allowed": "所在网络无权访问",
    "internal-error": "服务器内部错误",
    "no-address-nearby": "附近没有地址",
    "no-assignment": "当前没有任务",
    "method-not-allowed": "不支持此请求方法",
    "phone-call-already-taken": "该来电已受理",
    "call-already-ended": "通话已结束",
    "unknown-time-element": "未知的时间项",
    "invalid-time": "时间无效",
    "unknown-protocol-version": "未知的分诊规程版本",
    "times-out-of-order": "时间顺序不对",
    "invalid-protocol": "分诊规程文件有误",
    "invalid-patient": "伤员信息无效",
    "illegal-patient-transition": "不允许的伤员状态变更",
    "patient-not-transportable": "该伤员不转运",
    "unit-overloaded": "超出车辆载运能力",
    "role-binding-refused": "不能指定该职务",
    "invalid-surge-capacity": "应急收治能力无效",
    "mci-refused": "不能这样宣布批量伤员事件",
    "mci-not-declared": "该事件未宣布为批量伤员事件",
    "mci-already-declared": "该事件已宣布为批量伤员事件",
    "patient-tag-taken": "检伤标签已被其他伤员使用",
    "unit-not-on-incident": "该车组未派往此事件",
    "not-role-holder": "本车组不担任该职务",
    "invalid-blood-group": "不是有效的ABO/RhD血型",
    "invalid-blood-product": "不是有效的血液制品",
    "invalid-blood-request": "用血申请无效",
    "invalid-stock-lot": "血液库存批次无效",
    "stock-import-refused": "库存文件被拒绝：未导入任何数据",
    "history-import-refused": "历史计数文件被拒绝：未导入任何数据",
    "signal-already-acknowledged": "该信号已被确认",
    "illegal-job-transition": "配送任务不能这样变更",
    "handover-refused": "不能确认交接",
    "blood-bank-exists": "同代码或同名的血库已存在",
    "not-a-courier": "该车辆不能运送此血液",
    "ambulance-not-offered": "仅危及生命的大出血可派救护车送血",
    "request-not-reserved": "该用血申请没有待派送的血液",
    "not-your-job": "该配送任务不属于本车组",
}

#: Chinese details, per code: the first template whose ``{names}`` the problem carries is used
#: (the domain error's ``params``), so a detail names the unit or incident whenever it can.
_DETAIL_BY_CODE_ZH: dict[str, tuple[str, ...]] = {
    "unit-not-available": ("车组 {unit} 当前为“{status}”，不可派车。", "该车组当前不可派车。"),
    "incident-not-assignable": (
        "事件 {number} 当前为“{status}”，不能再派车。",
        "该事件已结束或已取消，不能再派车。",
    ),
    "address-not-found": ("地图上没有与“{address}”匹配的地址。", "地图上没有匹配的地址。"),
    "not-found": ("请求的对象不存在。",),
    "invalid-location": ("位置无效：请点击地图或输入地址。",),
    "off-road": ("该位置附近没有可通行的道路：请在道路旁标点。",),
    "outside-map": ("该位置超出本中心地图范围。",),
    "unit-not-capable": ("该车组的级别不满足此事件的要求。",),
    "illegal-transition": ("车组状态不能这样变更。",),
    "unit-has-no-position": ("该车组没有位置信息，无法计算路线。",),
    "concurrent-change": ("该记录刚被他人修改，请重新查看后再试。",),
    "order-not-current": ("这不是该车组的当前指令。",),
    "cancel-refused": ("该事件现在不能取消（需填写原因；车组到达现场后由车组结束任务）。",),
    "divert-refused": ("该车组现在不能改派或替换。",),
    "invalid-note": ("备注不能为空。",),
    "invalid-triage": ("请选择优先级，或选择主诉进行分诊。",),
    "destination-refused": ("该医院现在不能接收此车组的患者。",),
    "unknown-complaint": ("分诊规程中没有这个主诉。",),
    "invalid-answer": ("分诊问题的回答无效。",),
    "bad-credentials": ("用户名或密码错误。",),
    "not-authenticated": ("请先登录（令牌缺失、无效或已过期）。",),
    "session-expired": (
        "会话已结束（已退出、空闲过久、超过班次时长或账号已被管理员修改），请重新登录。",
    ),
    "password-change-required": ("请先设置新密码。",),
    "forbidden": ("当前角色无权执行此操作。",),
    "not-your-unit": ("只能操作本人所属的车组。",),
    "not-your-incident": ("只能查看本车组执行的事件。",),
    "not-routed-to-you": ("只能查看送往本院的患者。",),
    "not-your-hospital": ("只能操作本院。",),
    "too-many-attempts": ("该地址登录失败次数过多，请稍后再试。",),
    "account-locked": ("登录失败次数过多，账号已锁定：请稍后再试，或请管理员解锁。",),
    "weak-password": (
        "新密码不符合规则：至少 12 个字符（几个普通词语组成的口令短语即可），"
        "不能是用户名，不能是常见或容易猜到的密码。",
    ),
    "wrong-password": ("当前密码不正确。",),
    "validation-error": ("请求内容无效：{where}。", "请求内容无效。"),
    "invalid-value": ("请求中的某个值超出范围或无法保存。",),
    "storage-unavailable": (
        "暂时无法连接数据库，请几秒后重试：带相同 Idempotency-Key 或 client_seq 的重试"
        "不会被重复执行。",
    ),
    "internal-error": ("服务器发生意外错误，已记录。",),
    "no-address-nearby": ("该点附近没有地址或有名称的街道。",),
    "method-not-allowed": ("不支持此请求方法。",),
    "invalid-patient": ("伤员信息无效（检伤标签必填，文字不能过长）。",),
    "illegal-patient-transition": (
        "伤员 {tag} 当前状态不允许此操作。",
        "伤员当前状态不允许此操作。",
    ),
    "patient-not-transportable": ("伤员 {tag} 已标记为死亡，不转运。", "死亡伤员不转运。"),
    "unit-overloaded": (
        "车组 {unit} 载不下这些伤员：请减少伤员，或填写原因后强制装载。",
        "超出车辆载运能力：请减少伤员，或填写原因后强制装载。",
    ),
    "role-binding-refused": ("不能把该职务指定给此车组（现场指挥只能移交，不能空缺）。",),
    "invalid-surge-capacity": ("各类应急收治能力须在 0 到 1000 之间。",),
    "mci-refused": ("宣布的等级低于伤员人数对应的等级，或等级无效。",),
    "mci-not-declared": ("该事件尚未宣布为批量伤员事件。",),
    "mci-already-declared": ("该事件已宣布为批量伤员事件。",),
    "patient-tag-taken": (
        "检伤标签 {tag} 已登记为另一名伤员（信息不同）：请核对标签号。",
        "该检伤标签已登记为另一名伤员：请核对标签号。",
    ),
    "unit-not-on-incident": ("车组 {unit} 未派往此事件。", "该车组未派往此事件。"),
    "not-role-holder": ("本车组不担任此批量伤员事件的该职务（由现场指挥指定）。",),
    "stock-import-refused": ("库存文件有错误，未导入任何数据：错误的行、列和原因见 rows。",),
    "not-your-job": ("该配送任务由其他车辆运送。",),
    "ambulance-not-offered": ("该用血申请不是危及生命的紧急情况：请派送血车。",),
    "history-import-refused": ("计数文件有错误，未导入任何数据：错误的行、列和原因见 rows。",),
    "signal-already-acknowledged": ("该信号已由 {by} 确认。", "该信号已被确认。"),
}

#: Status values a detail may name (the console's words for them, ``frontend/src/shared/lang``).
_STATUS_ZH = {
    "available": "待命",
    "dispatched": "已派车",
    "en_route": "出车",
    "on_scene": "到达现场",
    "transporting": "转运",
    "at_hospital": "到达医院",
    "returning": "返回途中",
    "out_of_service": "暂停服务",
    "decontamination": "洗消中",
    "pending": "待派车",
    "closed": "已结案",
    "cancelled": "已取消",
}


def _quality(params: str) -> float:
    """The ``q`` of one Accept-Language entry (1 when absent, 0 when unreadable)."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def negotiate(accept_language: str | None, default: Language) -> Language:
    """The language to answer in for an ``Accept-Language`` header (RFC 9110 section 12.5.4).

    The entry with the highest ``q`` among ``zh*``, ``en*`` and ``*`` wins, the first on a tie;
    ``*`` and a header naming neither language (or none at all) get ``default``, the centre's
    language."""
    best: Language | None = None
    best_q = 0.0
    for entry in (accept_language or "").split(","):
        tag, _, params = entry.strip().partition(";")
        tag = tag.strip().lower()
        lang: Language | None
        if tag == "zh" or tag.startswith("zh-"):
            lang = "zh"
        elif tag == "en" or tag.startswith("en-"):
            lang = "en"
        elif tag == "*":
            lang = default
        else:
            continue
        q = _quality(params)
        if q > best_q:
            best, best_q = lang, q
    return best or default


def _fill(templates: tuple[str, ...], params: Mapping[str, str]) -> str | None:
    values = {k: _STATUS_ZH.get(v, v) if k == "status" else v for k, v in params.items()}
    for template in templates:
        try:
            return template.format_map(values)
        except KeyError:
            continue
    return None


def localise(
    lang: Language,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    params: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """``(title, detail)`` of a problem in ``lang``; English ones are returned unchanged."""
    if lang == "en":
        return title, detail
    zh_title = TITLE_BY_CODE_ZH.get(code) or _TITLE_BY_STATUS_ZH.get(status, "错误")
    templates = _DETAIL_BY_CODE_ZH.get(code)
    zh_detail = _fill(templates, params or {}) if templates else None
    return zh_title, zh_detail or detail
