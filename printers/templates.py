"""The documents a counter prints, for 58 and 80 mm paper: 受理回执,
一次性告知书, 不予受理通知书 and the queue ticket. Personal data is masked by
the domain's one masking policy; money uses ￥ (two-byte in GB), never ¥."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from printers.layout import QR, Columns, Cut, Document, Feed, Rule, Text
from window_tui.domain.masking import DEFAULT_POLICY, SENSITIVE_LICENCES, MaskPolicy

TEMPLATES = ("receipt", "notice", "rejection", "ticket", "pickup", "report")
TEMPLATE_NAMES = {"receipt": "受理回执", "notice": "一次性告知书", "rejection": "不予受理通知书",
                  "ticket": "排队号票", "pickup": "领取回执", "report": "办不成事反映回执"}


@dataclass(frozen=True)
class HallInfo:
    name: str = "市民之家政务服务大厅"
    progress_url: str = "http://127.0.0.1:8700/p/"
    queue_url: str = "http://127.0.0.1:8700/q/"
    phone: str = "0537-12345"  # consultation
    complaint_phone: str = "12345"
    organ: str = "济宁市行政审批服务局"  # the accepting organ that seals the paper
    review_body: str = "济宁市人民政府"  # 行政复议机关
    court: str = "济宁市任城区人民法院"
    mask: MaskPolicy = DEFAULT_POLICY


def _money(text: str) -> str:
    return text.replace("¥", "￥")


def _header(doc: Document, hall: HallInfo, title: str, reprint: bool) -> None:
    if reprint:
        doc.add(Text("【补打】", bold=True, align="center"))
    doc.add(Text(hall.name, align="center"), Text(title, size=2, bold=True, align="center"), Rule("="))


def _applicant_lines(doc: Document, case: dict[str, Any], mask: MaskPolicy) -> None:
    applicant = case.get("applicant", {})
    if applicant.get("org_name"):
        doc.add(Columns("申请单位", applicant["org_name"]))
        doc.add(Columns("信用代码", mask.uscc(applicant.get("uscc", ""))))
    doc.add(Columns("申请人", mask.name(applicant.get("name", ""))))
    if applicant.get("id_number"):
        doc.add(Columns("证件号码", mask.id_number(applicant["id_number"])))
    if applicant.get("phone"):
        doc.add(Columns("联系电话", mask.phone(applicant["phone"])))


def _fee(case: dict[str, Any]) -> str:
    """行政许可法 art. 58: licensing is free unless a law says otherwise; a contribution
    (社保、医保缴费) is not a fee and is printed on its own line."""
    fees = {m.get("fee", "免费") for m in case.get("matters", [])} - {"免费", "不收费"}
    return "不收费" if not fees else "收费：" + "；".join(sorted(fees))


def _contributions(case: dict[str, Any]) -> list[str]:
    return [f"{m['name']}：{m['contribution']}" for m in case.get("matters", []) if m.get("contribution")]


def _masked_evidence(hall: HallInfo, material: dict[str, Any], case: dict[str, Any]) -> str:
    """One masking per kind of value: an e-licence number that is the applicant's credit code
    or ID number is masked exactly as that code is elsewhere on the paper (two different
    masks of one value would together reveal more of it)."""
    evidence = material.get("evidence", "")
    if not evidence:
        return ""
    applicant = case.get("applicant", {})
    if evidence == applicant.get("uscc"):
        return " " + hall.mask.uscc(evidence)
    if len(evidence) == 18 and evidence[:17].isdigit():
        return " " + hall.mask.id_number(evidence)
    sensitive = any(name in material.get("reason", "") for name in SENSITIVE_LICENCES)
    return " " + hall.mask.licence(evidence, sensitive=sensitive)


def _contacts(doc: Document, hall: HallInfo) -> None:
    doc.add(Columns("咨询电话", hall.phone), Columns("投诉电话", hall.complaint_phone))


def _seal(doc: Document, hall: HallInfo, day: datetime) -> None:
    """The seal area: the organ's name with room for the stamp, and the date."""
    doc.add(Feed(1), Text(f"{hall.organ}（盖章）", align="right"), Feed(3),
            Text(day.strftime("%Y年%m月%d日"), align="right"))


def receipt(case: dict[str, Any], hall: HallInfo, *, reprint: bool = False) -> Document:
    doc = Document(title=f"受理回执 {case['case_number']}")
    _header(doc, hall, "受理回执", reprint)
    doc.add(Columns("案件编号", case["case_number"], bold=True))
    if case.get("supersedes"):
        noticed = str(case["supersedes"].get("noticed_at", ""))[:10]
        doc.add(Columns("补正前告知书", f"{case['supersedes']['case_number']}（{noticed}）"))
    doc.add(Columns("受理机关", hall.organ))
    doc.add(Columns("办理事项", case["bundle_name"] + "（一件事）"))
    for matter in case["matters"]:
        doc.add(Text(f"● {matter['name']}（{matter['department']}）"))
    _applicant_lines(doc, case, hall.mask)
    values = case.get("values", {})
    delivery = values.get("result.delivery", {}).get("value", "窗口领取")
    accepted = datetime.fromisoformat(case["accepted_at"])
    doc.add(
        Rule(),
        Columns("收件日期", accepted.strftime("%Y-%m-%d")),
        Columns("受理日期", accepted.strftime("%Y-%m-%d %H:%M")),
        Columns("法定时限", f"{case['statutory_days']}个工作日"),
        Columns("承诺时限", f"{case['promised_days']}个工作日"),
        Columns("承诺办结", case["promised_date"] + ("（预估）" if case.get("promised_estimated") else "")),
        Columns("收费情况", _money(_fee(case))),
    )
    for line in _contributions(case):
        doc.add(Text(_money(f"另需缴费（非行政收费）：{line}")))
    doc.add(
        Columns("结果领取", delivery),
        Columns("受理人", f"{case['window']}号窗口 工号{case['clerk']}"),
        Rule(),
        Text("已收材料：", bold=True),
    )
    received = set(case.get("received", []))
    brought = [m for m in case["materials"] if m["kind"] == "bring" and m["id"] in received]
    for m in brought:
        doc.add(Text(f"● {m['name']}（原件核验）"))
    if not brought:
        doc.add(Text("● 无需提交纸质材料"))
    exempt = [m for m in case["materials"] if m["kind"] != "bring"]
    if exempt:
        doc.add(Text(f"免于提交（{len(exempt)}项）：", bold=True))
        for m in exempt:
            doc.add(Text(f"● {m['name']}：{m['reason']}{_masked_evidence(hall, m, case)}"))
    commitments = [m for m in case["materials"] if m["kind"] == "commitment"]
    if commitments:
        doc.add(Text("告知承诺（申请人已签署）：", bold=True))
        for m in commitments:
            doc.add(Text(f"● {m['name']}：{m['reason']}"))
    url = progress_link(hall, case)
    doc.add(Rule(), Text("扫码查询办理进度：", align="center"), QR(url), Text(url, align="center"))
    _contacts(doc, hall)
    _seal(doc, hall, accepted)
    doc.add(Cut())
    return doc


def progress_link(hall: HallInfo, case: dict[str, Any]) -> str:
    """The QR's link: the case number and its check code (without the code the platform
    shows nothing, so sequential numbers cannot be enumerated)."""
    code = case.get("check_code", "")
    return hall.progress_url + case["case_number"] + (f"?c={code}" if code else "")


def notice(case: dict[str, Any], hall: HallInfo, *, reprint: bool = False) -> Document:
    """一次性告知书: everything missing, at once, and what was received (行政许可法 art. 32).
    The case is not accepted: it waits for the materials (待补正)."""
    doc = Document(title=f"一次性告知书 {case['case_number']}")
    _header(doc, hall, "一次性告知书", reprint)
    doc.add(Columns("案件编号", case["case_number"], bold=True), Columns("告知机关", hall.organ),
            Columns("办理事项", case["bundle_name"]))
    _applicant_lines(doc, case, hall.mask)
    received = set(case.get("received", []))
    brought = [m for m in case["materials"] if m["kind"] == "bring" and m["id"] in received]
    missing = [m for m in case["materials"] if m["kind"] == "bring" and m["id"] not in received]
    doc.add(Rule(), Text(f"已收取材料（{len(brought)}项）：", bold=True))
    for m in brought:
        doc.add(Text(f"● {m['name']}"))
    if not brought:
        doc.add(Text("● 无"))
    exempt = [m for m in case["materials"] if m["kind"] not in ("bring", "commitment")]
    if exempt:
        doc.add(Text(f"免于提交（{len(exempt)}项，由窗口核验）", bold=True))
    doc.add(Rule(), Text(f"您申请的事项尚缺以下{len(missing)}项材料，现一次性告知，请补齐后再来办理：", bold=True))
    for index, m in enumerate(missing, start=1):
        needed_by = "、".join(m.get("matters", []))
        doc.add(Text(f"{index}. {m['name']}"), Text(f"   用于：{needed_by}"))
    accepted = datetime.fromisoformat(case["accepted_at"])
    url = progress_link(hall, case)
    doc.add(Rule(), Text("本件尚未受理（待补正）。已填写的信息已保存，补齐材料后凭本告知书到任一综合窗口办理，"
                         "无需重复填写。"), QR(url))
    _contacts(doc, hall)
    doc.add(Columns("告知人", f"{case['window']}号窗口 工号{case['clerk']}"))
    _seal(doc, hall, accepted)
    doc.add(Cut())
    return doc


def rejection(case: dict[str, Any], hall: HallInfo, *, reprint: bool = False) -> Document:
    """不予受理决定书 (行政许可法 arts. 32, 38): reasons, basis, and the applicant's
    right to review (60 days) or litigation (6 months), before named bodies."""
    doc = Document(title=f"不予受理通知书 {case['case_number']}")
    _header(doc, hall, "不予受理通知书", reprint)
    refusal = case.get("refusal") or {}
    doc.add(Columns("编号", case["case_number"], bold=True), Columns("作出机关", hall.organ),
            Columns("申请事项", case["bundle_name"]))
    _applicant_lines(doc, case, hall.mask)
    decided = datetime.fromisoformat(case["accepted_at"])
    reasons = refusal.get("reasons") or [case.get("reason") or ""]
    doc.add(Rule(), Text(f"{decided:%Y年%m月%d日}，本机关收到您的申请。经审查，决定不予受理。理由如下：", bold=True))
    for index, reason in enumerate(reasons, start=1):
        doc.add(Text(f"{index}. {reason}"))
    if refusal.get("basis"):
        doc.add(Text(f"依据：{refusal['basis']}"))
    received = set(case.get("received", []))
    returned = [m["name"] for m in case.get("materials", []) if m["id"] in received]
    if returned:
        doc.add(Text("已退还您提交的材料：" + "、".join(returned)))
    review_days = refusal.get("review_days", 60)
    litigation = refusal.get("litigation_months", 6)
    doc.add(Text(f"如不服本决定，可在收到本通知书之日起{review_days}日内向{refusal.get('review_body', hall.review_body)}"
                 f"申请行政复议，或者在{litigation}个月内向{refusal.get('court', hall.court)}提起行政诉讼。"))
    url = progress_link(hall, case)
    doc.add(Text("扫码查询本决定：", align="center"), QR(url))
    _contacts(doc, hall)
    doc.add(Columns("经办人", f"{case['window']}号窗口 工号{case['clerk']}"))
    _seal(doc, hall, decided)
    doc.add(Cut())
    return doc


def ticket(data: dict[str, Any], hall: HallInfo, *, reprint: bool = False) -> Document:
    """Queue ticket: number large, service, people waiting ahead, time, QR to check the position."""
    doc = Document(title=f"排队号 {data['label']}")
    if reprint:
        doc.add(Text("【补打】", bold=True, align="center"))
    issued = datetime.fromisoformat(data["issued_at"])
    doc.add(Text(hall.name, align="center"), Rule(), Text(data["label"], size=2, bold=True, align="center"),
            Text(data.get("service_name", ""), align="center"))
    if data.get("priority") == "green":
        doc.add(Text(f"绿色通道（{data.get('priority_kind', '')}）", bold=True, align="center"))
    elif data.get("priority") == "appointment":
        doc.add(Text("预约号", bold=True, align="center"))
    url = hall.queue_url + data["label"]
    doc.add(Text(f"您前面还有 {data.get('ahead', 0)} 人等候", align="center"),
            Text(issued.strftime("%Y-%m-%d %H:%M:%S"), align="center"), QR(url, module_size=5),
            Text("扫码查看排队进度", align="center"), Text("请留意叫号屏幕与语音提示，过号请重新取号或咨询导办台。"),
            Cut())
    return doc


def pickup(data: dict[str, Any], hall: HallInfo, *, reprint: bool = False) -> Document:
    """领取回执 (or, for mail, 邮寄交付单): what was handed over, to whom (masked), when, by
    whom, with a line for the collector's signature. `data` is the hand-over record."""
    mailed = data["kind"] == "mail"
    title = "邮寄交付单" if mailed else "领取回执"
    doc = Document(title=f"{title} {data['case_number']}")
    _header(doc, hall, title, reprint)
    doc.add(Columns("案件编号", data["case_number"], bold=True))
    if data.get("bundle_name"):
        doc.add(Columns("办理事项", data["bundle_name"]))
    documents = data["documents"]
    doc.add(Rule(), Text(f"交付证照（{len(documents)}项）：", bold=True))
    for index, item in enumerate(documents, start=1):
        doc.add(Text(f"{index}. {item['name']}"), Columns("   编号", item.get("number") or "无"),
                Columns("   份数", f"{item.get('copies', 1)} 份"))
    collector = data["collector"]
    doc.add(Rule(), Columns("收件人" if mailed else "领取人", hall.mask.name(collector["name"])),
            Columns("证件号码", hall.mask.id_number(collector["id_number"])))
    if mailed:
        doc.add(Columns("快递公司", data["mail"]["carrier"]), Columns("运单号", data["mail"]["tracking"]))
    elif collector["relation"] == "agent":
        doc.add(Columns("领取方式", "代领"), Columns("授权委托书", data.get("authorization", "")))
    else:
        doc.add(Columns("领取方式", "本人领取"))
    handed = datetime.fromisoformat(data["handed_at"])
    doc.add(Columns("交付时间", handed.strftime("%Y-%m-%d %H:%M")),
            Columns("经办人", f"{data['window']}号窗口 工号{data['clerk']}"))
    if not mailed:
        doc.add(Feed(1), Text("以上证照已当面核对无误并领取。"), Feed(1), Text("领取人签字：＿＿＿＿＿＿＿＿"))
    doc.add(Feed(1), Text("经办人签字：＿＿＿＿＿＿＿＿"))
    _contacts(doc, hall)
    doc.add(Cut())
    return doc


def report(data: dict[str, Any], hall: HallInfo, *, reprint: bool = False) -> Document:
    """办不成事反映回执: the report's number (or, offline, that it comes by SMS once uploaded),
    what was reported, the contact masked, and who follows it up."""
    doc = Document(title=f"办不成事反映回执 {data.get('report_number') or data['report_id']}")
    _header(doc, hall, "办不成事反映回执", reprint)
    if data.get("report_number"):
        doc.add(Columns("反映编号", data["report_number"], bold=True))
    else:
        doc.add(Columns("登记号", data["report_id"][-8:].upper(), bold=True),
                Text("反映编号在上传中心平台后生成，将以短信告知。"))
    raised = datetime.fromisoformat(data["raised_at"])
    doc.add(Columns("类别", data["category"]), Columns("登记时间", raised.strftime("%Y-%m-%d %H:%M")),
            Rule(), Text("反映内容：", bold=True), Text(data["wanted"]), Rule(),
            Columns("联系人", hall.mask.name(data["contact_name"])), Columns("联系电话", hall.mask.phone(data["contact_phone"])))
    if data.get("case_number"):
        doc.add(Columns("相关案件", data["case_number"]))
    doc.add(Columns("登记人", f"{data['window']}号窗口 工号{data['clerk']}"),
            Text("本事项已转12345政务服务便民热线跟踪办理，办理结果将回访告知。"))
    _contacts(doc, hall)
    doc.add(Cut())
    return doc


BUILDERS = {"receipt": receipt, "notice": notice, "rejection": rejection, "ticket": ticket, "pickup": pickup,
            "report": report}


def build(template: str, data: dict[str, Any], hall: HallInfo, *, reprint: bool = False) -> Document:
    if template not in BUILDERS:
        raise ValueError(f"未知的模板 {template}，可选：{'、'.join(TEMPLATES)}")
    return BUILDERS[template](data, hall, reprint=reprint)
