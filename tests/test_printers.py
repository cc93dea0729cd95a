from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from printers import encoder as encoder_module
from printers.connections import PrinterUrlError, open_connection
from printers.decoder import DecodeError, decode
from printers.encoder import EncodeOptions, Encoder
from printers.fake import FakePrinter
from printers.layout import Columns, Document, Text
from printers.preview import preview_lines
from printers.profiles import ProfileError, parse_profile
from printers.samples import sample_for
from printers.service import AlreadyPrinted, PrintService
from printers.templates import TEMPLATES, HallInfo, build
from printers.wrap import CLOSING, OPENING, UnprintableCharacter, columns, printable, wrap

GOLDEN = Path(__file__).parent / "golden"
PROFILES = [f"{mm}mm-{cs}" for mm in (58, 80) for cs in ("gb2312", "gbk", "gb18030")]
HALL = HallInfo()


def test_profiles_parse_and_bad_ones_are_clear() -> None:
    p = parse_profile("58mm-gbk-nocut@POS-5890")
    assert (p.columns, p.charset, p.cutter, p.native_qr, p.escpos_profile) == (32, "gbk", False, True, "POS-5890")
    assert parse_profile("80mm-gb18030").columns == 48
    with pytest.raises(ProfileError, match="58mm 或 80mm"):
        parse_profile("76mm-utf8")


def test_printer_urls() -> None:
    assert open_connection("tcp://10.0.0.5:9100").port == 9100  # type: ignore[attr-defined]
    assert open_connection("serial:///dev/ttyUSB0?baudrate=19200").args["baudrate"] == 19200  # type: ignore[attr-defined]
    assert open_connection("usb://0416:5011").args == {"vid": 0x0416, "pid": 0x5011}  # type: ignore[attr-defined]
    assert open_connection("file:///dev/usb/lp0").path == "/dev/usb/lp0"  # type: ignore[attr-defined]
    assert open_connection("cups://counter5").queue == "counter5"  # type: ignore[attr-defined]
    for bad in ("http://x", "tcp://", "usb://zz", "cups://", "lpt1"):
        with pytest.raises(PrinterUrlError, match="打印机地址"):
            open_connection(bad)


def test_wrap_rules() -> None:
    text = "受理回执" * 3 + "，。" + "案件编号 370800-20261120-05-0001 已受理（请妥善保管）"
    for width in (16, 20, 32):
        lines = wrap(text, width, "gbk")
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        for line in lines:
            assert columns(line, "gbk") <= width
            assert line[:1] not in CLOSING
            assert line[-1:] not in OPENING
    assert "370800-20261120-05-0001" in "\n".join(wrap("编号：370800-20261120-05-0001", 32, "gbk"))


def test_punctuation_only_line_is_chinese_mode_not_question_marks() -> None:
    data = Encoder(parse_profile("58mm-gb18030")).encode(Document().add(Text("，。！？“”：")))
    assert b"?" not in data
    assert b"\x1c&" + "，。！？“”：".encode("gb18030") + b"\x1c." in data
    assert decode(data, "gb18030").text == ["，。！？“”："]


def test_enlarged_chinese_uses_gs_bang_and_resets() -> None:
    data = Encoder(parse_profile("80mm-gbk")).encode(Document().add(Text("受理回执 A023", size=2)))
    assert b"\x1d!\x11" in data and data.index(b"\x1d!\x00") < data.rindex(b"\n")
    line = decode(data, "gbk").lines[0]
    assert (line.text, line.size) == ("受理回执 A023", 2)


def test_decoder_refuses_high_bytes_outside_chinese_mode() -> None:
    with pytest.raises(DecodeError, match="非中文模式"):
        decode(b"\x1b@" + "受".encode("gbk") + b"\n", "gbk")
    with pytest.raises(DecodeError, match="未知"):
        decode(b"\x1b@\x1bZ\n", "gbk")


def expected_text_lines(document: Document, profile_name: str) -> list[tuple[str, int, bool]]:
    profile = parse_profile(profile_name)
    out = []
    for block in document.blocks:
        if isinstance(block, Text):
            out += [(line, block.size, block.bold) for line in wrap(block.text, profile.columns // block.size,
                                                                     profile.charset)]
    return out


@pytest.mark.parametrize("profile_name", PROFILES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_templates_round_trip_and_match_golden(profile_name: str, template: str) -> None:
    profile = parse_profile(profile_name)
    source = sample_for(template)
    document = build(template, source, HALL)
    data = Encoder(profile).encode(document)
    decoded = decode(data, profile.charset)
    text_lines = [(line.text, line.size, line.bold) for line in decoded.lines if line.text]
    expected = expected_text_lines(document, profile_name)
    as_images = [e for e in expected if printable(e[0], profile.charset) is not None]
    for line in expected:
        assert line in text_lines or line in as_images
    assert decoded.images == len(as_images)
    for line in decoded.lines:
        assert columns(line.text, profile.charset) * line.size <= profile.columns
    assert decoded.cuts == (1 if profile.cutter else 0)
    if template == "report":
        assert decoded.qr == []
        joined = "\n".join(decoded.text)
        assert "BB202611200001" in joined and "13912345678" not in joined and "赵大明" not in joined
    elif template == "pickup":  # a hand-over's paper is signed, not looked up
        assert decoded.qr == []
        joined = "\n".join(decoded.text)
        collector = source["collector"]
        assert collector["name"] not in joined and HALL.mask.name(collector["name"]) in joined
        assert collector["id_number"] not in joined and HALL.mask.id_number(collector["id_number"]) in joined
        assert "领取人签字" in joined and "Q370012345" in joined
    else:
        url = (HALL.queue_url + source["label"]) if template == "ticket" else (
            HALL.progress_url + source["case_number"] + "?c=" + source["check_code"])
        assert decoded.qr == [url]  # a refusal too: the applicant can check the decision online
    if template == "receipt":
        joined = "\n".join(decoded.text)
        name = source["applicant"]["name"]
        assert name not in joined and HALL.mask.name(name) in joined
        assert source["applicant"]["id_number"] not in joined
    golden = GOLDEN / f"{template}-{profile_name}.bin"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(data)
    assert golden.exists(), "run with UPDATE_GOLDEN=1 to create golden files"
    assert data == golden.read_bytes()


def test_preview_is_cell_accurate() -> None:
    from rich.cells import cell_len

    profile = parse_profile("58mm-gb18030")
    data = Encoder(profile).encode(build("receipt", sample_for("receipt"), HALL))
    for line in preview_lines(data, profile):
        assert cell_len(line) == profile.columns or len(line) > profile.columns


def test_qr_as_image_when_the_printer_has_no_native_qr() -> None:
    profile = parse_profile("58mm-gbk-noqr")
    data = Encoder(profile).encode(build("ticket", sample_for("ticket"), HALL))
    decoded = decode(data, "gbk")
    assert decoded.qr == [] and decoded.images == 1


def test_four_byte_character_becomes_an_image_or_a_named_error(monkeypatch: pytest.MonkeyPatch) -> None:
    document = Document().add(Text("申请人：𠀀小明"), Text("收费 ¥12"))
    profile = parse_profile("80mm-gb18030")
    monkeypatch.setattr(encoder_module, "find_cjk_font", lambda: None)
    with pytest.raises(UnprintableCharacter, match="𠀀"):
        Encoder(profile).encode(document)
    font = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    if not os.path.exists(font):
        pytest.skip("no CJK font installed for the image path")
    # The font has no glyph for 𠀀 either: refused by name, never drawn as an empty box.
    with pytest.raises(UnprintableCharacter, match="𠀀.*wqy-microhei"):
        Encoder(profile, EncodeOptions(font_path=font)).encode(document)
    data = Encoder(profile, EncodeOptions(font_path=font)).encode(Document().add(Text("收费 ¥12")))
    decoded = decode(data, "gb18030")
    assert decoded.images == 1 and all("?" not in line for line in decoded.text)


names = st.one_of(
    st.sampled_from(["欧阳锋", "司马相如", "上官婉儿", "诸葛亮", "张三", "𠀀明", "李·买买提", "Smith 约翰"]),
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=4),
)
texts = st.one_of(
    st.sampled_from(["，。！？“”", "ABC 受理 123", "费用 ¥100", "企业开办（含食品经营许可、户外招牌设置、消防安全检查）" * 3]),
    st.text(st.characters(codec="gbk", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=80),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, text=texts, profile_name=st.sampled_from(PROFILES))
def test_receipt_round_trips_generated_names_and_texts(name: str, text: str, profile_name: str) -> None:
    profile = parse_profile(profile_name)
    source = sample_for("receipt")
    source = {**source, "applicant": {**source["applicant"], "name": name},
              "bundle_name": text, "matters": [{**source["matters"][0], "name": text}]}
    document = build("receipt", source, HALL)
    font = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    options = EncodeOptions(font_path=font if os.path.exists(font) else None)
    try:
        data = Encoder(profile, options).encode(document)
    except UnprintableCharacter as exc:
        assert exc.char in name + text + "¥"
        return
    decoded = decode(data, profile.charset)
    assert all(columns(line.text, profile.charset) * line.size <= profile.columns for line in decoded.lines)
    printed = "".join(decoded.text).replace(" ", "")
    for line, _, _ in expected_text_lines(document, profile_name):
        if printable(line, profile.charset) is None:
            assert line.replace(" ", "") in printed


def test_columns_row_wraps_long_values() -> None:
    profile = parse_profile("58mm-gbk")
    data = Encoder(profile).encode(Document().add(Columns("办理事项", "企业开办（含食品经营许可、户外招牌、消防安全检查）")))
    lines = decode(data, "gbk").text
    assert lines[0] == "办理事项" and all(line.startswith("  ") for line in lines[1:])


# --- delivery, status and the journal against the fake TCP printer ----------------------------


def service_for(printer: FakePrinter) -> PrintService:
    return PrintService.from_config(printer.url, "80mm-gb18030", role="receipt", hall=HALL)


def test_online_printer_gets_the_job_in_one_piece() -> None:
    with FakePrinter("online") as printer:
        service = service_for(printer)
        job = service.print("receipt", sample_for("receipt"), "x")
        assert job.state == "sent"
        time.sleep(0.2)
        assert printer.jobs == [job.data]


@pytest.mark.parametrize(("mode", "message"), [("paper_out", "缺纸"), ("cover_open", "盖未合上"),
                                               ("cutter_error", "切刀")])
def test_problems_are_reported_before_the_job_is_sent(mode: str, message: str) -> None:
    with FakePrinter(mode) as printer:
        service = service_for(printer)
        job = service.print("receipt", sample_for("receipt"), "x")
        assert job.state == "failed" and message in job.error
        time.sleep(0.2)
        assert printer.jobs == []


def test_silent_printer_is_unknown_within_three_seconds() -> None:
    with FakePrinter("silent") as printer:
        started = time.monotonic()
        status = service_for(printer).status()
        assert time.monotonic() - started < 3
        assert status.kind == "unknown" and "未应答" in status.message


def test_switched_off_printer_is_reported_at_once() -> None:
    with FakePrinter("online") as printer:
        url = printer.url
    started = time.monotonic()
    service = PrintService.from_config(url, "80mm-gbk", role="receipt", hall=HALL)
    job = service.print("ticket", sample_for("ticket"), "A023")
    assert time.monotonic() - started < 3
    assert job.state == "failed" and "无法连接打印机" in job.error


def test_disconnect_mid_job_leaves_it_for_retry_and_no_double_print() -> None:
    with FakePrinter("disconnect", cut_after=200) as printer:
        service = service_for(printer)
        job = service.print("receipt", sample_for("receipt"), "370800-20261120-05-0001")
        assert job.state == "failed" and "中断" in job.error
        assert [j.job_id for j in service.failed_jobs()] == [job.job_id]
        printer.mode = "online"
        retried = service.retry(job.job_id)
        assert retried.state == "sent" and retried.attempts == 2
        with pytest.raises(AlreadyPrinted, match="补打"):
            service.retry(job.job_id)
        again = service.reprint(job.job_id)
        assert again.reprint_of == job.job_id and again.job_id != job.job_id
        time.sleep(0.2)
        assert len(printer.jobs) == 2
        assert "【补打】" in decode(printer.jobs[1], "gb18030").text


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as hst  # noqa: E402

_PIECES = hst.sampled_from(list("申请材料受理窗口新生儿") + list("，。、；：？！）》」』】”’") + list("（《「“")
                           + ["370800-20261120-05-0001", "http://10.1.2.3/p/X", "A023", " ", "abc"])


@settings(max_examples=2000, deadline=None)
@given(hst.lists(_PIECES, min_size=1, max_size=60), hst.sampled_from([32, 48]))
def test_wrapping_never_starts_a_line_with_closing_punctuation(pieces: list[str], width: int) -> None:
    text = "".join(pieces)
    lines = wrap(text, width, "gb18030")
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost
    for before, line in zip([""] + lines, lines, strict=False):
        assert columns(line, "gb18030") <= width or " " not in line and len(line.split()) == 1
        if line and line[0] in CLOSING and before:  # (a text that itself starts with one is left so)
            # Only when nothing can be pulled down: the line before is closing marks after at
            # most one unbreakable ASCII word (a case number or URL is never split for a comma).
            rest = before.strip().rstrip("".join(CLOSING))
            assert rest == "" or (rest.isascii() and " " not in rest), (before, line)
