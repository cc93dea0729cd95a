"""Printer status from DLE EOT 1-4 answers. No answer means "unknown", never OK
(python-escpos 3.1 reports "paper adequate" on an empty reply)."""

from __future__ import annotations

from dataclasses import dataclass

DLE_EOT = {n: bytes([0x10, 0x04, n]) for n in (1, 2, 3, 4)}

MESSAGES = {
    "ok": "打印机正常",
    "paper_near_end": "纸卷将尽，请准备更换",
    "offline": "打印机离线",
    "cover_open": "打印机盖未合上，请合上后重试",
    "paper_out": "打印机缺纸，请更换纸卷后重试",
    "cutter_error": "切刀故障，请检查切刀",
    "error": "打印机故障，请检查后重试",
    "unknown": "打印机未应答状态查询，状态未知",
    "unreachable": "无法连接打印机",
    "preview": "预览模式（未连接打印机）",
}


@dataclass(frozen=True)
class PrinterStatus:
    kind: str
    detail: str = ""

    @property
    def message(self) -> str:
        text = MESSAGES[self.kind]
        return f"{text}：{self.detail}" if self.detail else text

    @property
    def can_print(self) -> bool:
        """Whether a job may be sent. Unknown is allowed: the send itself is then the test."""
        return self.kind in ("ok", "paper_near_end", "unknown", "preview")


def valid_status_byte(value: int) -> bool:
    return value & 0x93 == 0x12  # fixed bits of every DLE EOT answer


def parse_status(answers: dict[int, int | None]) -> PrinterStatus:
    """Interpret the answers to DLE EOT 1..4 (None where the printer did not answer)."""
    if all(v is None for v in answers.values()):
        return PrinterStatus("unknown")
    for n, value in answers.items():
        if value is not None and not valid_status_byte(value):
            return PrinterStatus("unknown", f"状态字节异常 0x{value:02x}（查询{n}）")
    offline_cause = answers.get(2)
    error_cause = answers.get(3)
    paper = answers.get(4)
    if offline_cause is not None:
        if offline_cause & 0x04:
            return PrinterStatus("cover_open")
        if offline_cause & 0x20:
            return PrinterStatus("paper_out")
    if paper is not None and paper & 0x60:
        return PrinterStatus("paper_out")
    if error_cause is not None:
        if error_cause & 0x08:
            return PrinterStatus("cutter_error")
        if error_cause & 0x60:
            return PrinterStatus("error")
    printer = answers.get(1)
    if printer is not None and printer & 0x08:
        return PrinterStatus("offline")
    if offline_cause is not None and offline_cause & 0x40:
        return PrinterStatus("error")
    if paper is not None and paper & 0x0C:
        return PrinterStatus("paper_near_end")
    if None in answers.values():
        return PrinterStatus("unknown", "部分状态查询未应答")
    return PrinterStatus("ok")
