from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path

from offline.store import LocalStore
from offline.sync import Backoff, SyncEngine
from tests.casefactory import TYPED, newborn_case
from tests.conftest import HALL_TZ as HALL_ZONE
from tests.conftest import Hall
from window_tui.client import PlatformClient
from window_tui.domain.case import build_case, format_case_number, new_case_id
from window_tui.domain.catalog import default_catalog
from window_tui.domain.forms import merge_bundle
from window_tui.domain.prefill import FormData, RegistryUnavailable, run_prefill
from window_tui.domain.workdays import WorkCalendar

BOTH_DATABASES = True  # each platform test runs on SQLite and on PostgreSQL


def engine_for(hall: Hall, tmp_path: Path, window: int = 5) -> tuple[LocalStore, SyncEngine, PlatformClient]:
    store = LocalStore(tmp_path / "data", tmp_path / "store.key")
    client = PlatformClient(hall.url, token=hall.clerk_token(window))
    return store, SyncEngine(store, client, backoff=Backoff(initial=0.05, cap=0.2)), client


async def test_delivers_once_keeps_receipt_and_quarantines_without_blocking(hall: Hall, tmp_path: Path) -> None:
    store, engine, client = engine_for(hall, tmp_path)
    good = [newborn_case(i) for i in range(1, 4)]
    bad = newborn_case(4)
    bad["form"]["entries"]["bank.card_no"]["value"] = "123"
    store.enqueue("case", good[0]["case_id"], good[0], ref=good[0]["case_number"])
    store.enqueue("case", bad["case_id"], bad, ref=bad["case_number"])
    for case in good[1:]:
        store.enqueue("case", case["case_id"], case, ref=case["case_number"])
    printed = {"job_id": "print-of-1", "ref": good[0]["case_number"], "template": "receipt", "state": "sent"}
    store.enqueue("print", "print-of-1", printed, depends_on=good[0]["case_id"])
    await engine.sync_once()
    assert [i.id for i in store.items()] == [bad["case_id"]]
    quarantined = store.items("quarantined")[0]
    assert "bank.card_no" in quarantined.errors and "校验" in quarantined.last_error + str(quarantined.errors)
    archived = store.archived(store.clock.today().isoformat())
    assert {i.id for i in archived} == {c["case_id"] for c in good} | {"print-of-1"}
    assert all(i.receipt_id.startswith("R") and len(i.content_hash) == 64 for i in archived)
    # The clerk corrects the quarantined case and resubmits it.
    bad["form"]["entries"]["bank.card_no"]["value"] = TYPED["bank.card_no"]
    store.replace_body(bad["case_id"], bad)
    await engine.sync_once()
    assert store.items() == []
    with hall.client(hall.clerk_token(5)) as c:
        for case in good + [bad]:
            assert c.get(f"/cases/{case['case_id']}").status_code == 200
    await client.aclose()


async def test_conflict_keeps_both_versions(hall: Hall, tmp_path: Path) -> None:
    store, engine, client = engine_for(hall, tmp_path)
    case = newborn_case(1)
    with hall.client(hall.clerk_token(5)) as c:
        assert c.put(f"/cases/{case['case_id']}", json=case).status_code == 201
    changed = {**case, "ticket": "A777"}
    store.enqueue("case", case["case_id"], changed)
    await engine.sync_once()
    item = store.items("quarantined")[0]
    assert item.conflict["stored"]["ticket"] == case["ticket"]
    assert store.body(item)["ticket"] == "A777"
    assert item.conflict["stored_hash"] != item.conflict["sent_hash"]
    await client.aclose()


async def test_dependent_record_waits_for_its_case(hall: Hall, tmp_path: Path) -> None:
    store, engine, client = engine_for(hall, tmp_path)
    case = newborn_case(1)
    case["form"]["entries"]["bank.card_no"]["value"] = "1"
    store.enqueue("case", case["case_id"], case)
    store.enqueue("print", "r1-print", {"job_id": "r1-print", "ref": case["case_number"], "template": "receipt",
                                        "state": "sent"}, depends_on=case["case_id"])
    await engine.sync_once()
    assert {i.id: i.state for i in store.items()} == {case["case_id"]: "quarantined", "r1-print": "pending"}
    await client.aclose()


async def test_offline_then_resumes_by_itself(hall: Hall, tmp_path: Path) -> None:
    store, engine, client = engine_for(hall, tmp_path)
    hall.server.stop()
    cases = [newborn_case(i) for i in range(1, 6)]

    task = asyncio.create_task(engine.run())
    for case in cases:
        store.enqueue("case", case["case_id"], case)
    engine.wake()
    await asyncio.sleep(0.5)
    assert engine.status()["online"] is False and "无法连接" in engine.status()["last_error"]
    assert len(store.items()) == 5
    await asyncio.to_thread(hall.server.start)
    for _ in range(100):
        if not store.items():
            break
        await asyncio.sleep(0.1)
    engine.stop()
    await task
    assert store.items() == [] and engine.status()["online"] is True
    await client.aclose()


def test_backoff_grows_with_jitter_up_to_cap_and_honours_retry_after() -> None:
    import random

    backoff = Backoff(initial=1, cap=10, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(8)]
    assert all(0.5 <= d <= 10 for d in delays) and delays[-1] >= 5
    assert backoff.next_delay(retry_after=30) == 10
    backoff.reset()
    assert backoff.next_delay(retry_after=4) >= 4


async def test_manual_fields_are_verified_and_mismatch_raised(hall: Hall, tmp_path: Path) -> None:
    mother = hall.samples["newborn"][0]
    catalog = default_catalog()
    data = FormData(merge_bundle(catalog, catalog.bundle("newborn")), today=date(2026, 11, 20))
    data.enter("mother.id_number", mother)

    def down(_key):  # noqa: ANN001, ANN202
        raise RegistryUnavailable("network")

    run_prefill(data, down)
    fields = {f.id for f in data.form.intake_fields}
    typed = {"mother.name": "王错名", "father.id_number": "11010519491231002X", "father.name": "李四",
             "newborn.sex": "男", "newborn.birth_date": "2026-11-10", "newborn.birth_place": "济宁市第一人民医院",
             "newborn.birth_cert_no": "X370811001", "newborn.ethnicity": "汉族", "newborn.delivery_mode": "顺产",
             "mother.phone": "13900000000", "father.phone": "13900000001", "mother.employer": "某公司",
             "marriage.cert_no": "J1", "household.head_name": "李四", "household.head_id_number": "11010519491231002X",
             "household.address": "济宁市任城区", "applicant.name": "王错名", "applicant.phone": "13900000000",
             "applicant.mail_address": "济宁市任城区", "social.card_bank": "中国银行", "social.payment_year": "2026",
             **TYPED}
    for field_id, value in typed.items():
        if field_id in fields:
            data.enter(field_id, value)
    assert data.errors() == {}
    case = build_case(data, case_id=new_case_id(), case_number=format_case_number("370800", date(2026, 11, 20), 5, 9),
                      hall="370800", window=5, clerk="1005", accepted_at=datetime(2026, 11, 20, 10, tzinfo=HALL_ZONE),
                      calendar=WorkCalendar.load(), received={"mother_bank_card", "newborn_photo", "father_id_card",
                                                              "mother_id_card", "household_register", "marriage_cert",
                                                              "birth_medical_cert", "childbirth_bills",
                                                              "applicant_id_card"})
    assert case.values["mother.name"]["state"] == "unverified"
    store, engine, client = engine_for(hall, tmp_path)
    store.enqueue("case", case.case_id, case.to_json(), ref=case.case_number)
    await engine.sync_once()
    alerts = store.get_state("alerts")
    assert any(a["field"] == "mother.name" and a["typed"] == "王错名" for a in alerts)
    await client.aclose()
