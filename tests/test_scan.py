"""Scanners as keyboards: a burst at a scanner's pace ended by Enter is a scan, a person's
typing is not; what was scanned is recognised by its check digits or its documented form."""

from __future__ import annotations

from window_tui.domain.scan import MIN_CHARS, BurstWatch, classify
from window_tui.domain.validators import id_check_char, uscc_check_char

ID = "11010519491231002" + id_check_char("11010519491231002")
USCC = "91350100M000100Y4" + uscc_check_char("91350100M000100Y4")


def test_what_a_scan_is() -> None:
    assert classify(ID).kind == "id" and classify(ID.lower()).value == ID.upper()
    assert classify(USCC).kind == "uscc"
    licence = classify(f"ELIC1;type=营业执照;no=L-2026-001;holder={USCC}")
    assert (licence.kind, licence.value, licence.details["type"], licence.details["holder_kind"]) == \
        ("elicence", USCC, "营业执照", "uscc")
    assert classify("ELIC1;type=结婚证;holder=123").kind == "unknown"  # a holder that does not check out
    assert classify("http://hall.lan:8700/p/370800-20261120-05-0001").value == "370800-20261120-05-0001"
    # The printed receipt's QR carries the check code (a progress link cannot be enumerated).
    printed = classify("http://hall.lan:8700/halls/3201/p/370800-20261120-05-0001?c=3LGGVVJXEU")
    assert (printed.kind, printed.value) == ("receipt", "370800-20261120-05-0001")
    assert classify(ID[:-1] + ("0" if ID[-1] != "0" else "1")).kind == "unknown"  # a wrong check digit
    assert classify("6222020000000000000").kind == "unknown"  # a bank card typed fast stays where it is


def test_a_burst_is_a_scan_and_typing_is_not() -> None:
    watch = BurstWatch()
    for index, char in enumerate(ID):
        watch.key(char, 10.0 + index * 0.004, "")
    assert watch.scanned(10.0 + len(ID) * 0.004 + 0.01) == ID
    for index, char in enumerate(ID):  # a person: 120 ms a key
        watch.key(char, 20.0 + index * 0.12, "")
    assert watch.scanned(20.0 + len(ID) * 0.12) is None
    for index, char in enumerate(ID[:MIN_CHARS - 1]):  # too short to be a scan
        watch.key(char, 30.0 + index * 0.004, "")
    assert watch.scanned(30.1) is None
    watch.key("张", 40.0, "")  # typed, then a scan appended after a pause: only the burst counts
    for index, char in enumerate(ID):
        watch.key(char, 41.0 + index * 0.004, "张")
    assert watch.scanned(41.2) == ID and watch.value_before == "张"
    for index, char in enumerate(ID):  # Enter long after the last key: someone looked, then pressed it
        watch.key(char, 50.0 + index * 0.004, "")
    assert watch.scanned(52.0) is None
