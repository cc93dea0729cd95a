"""Deterministic synthetic shared-data registries: persons, households,
marriages, newborns, deaths, social insurance, housing funds, enterprises and
e-licences. Every ID number is valid by GB 11643 and every credit code by
GB 32100. The same seed and reference date give the same registry.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from window_tui.domain.prefill import REGISTRY_SOURCES
from window_tui.domain.rules import legal_retirement_month
from window_tui.domain.shared import LookupKey, SharedRecord
from window_tui.domain.validators import (
    USCC_ALPHABET,
    id_check_char,
    luhn_check_digit,
    org_code_check,
    uscc_check_char,
)

# Real county-level division codes (GB/T 2260) with their addresses.
DIVISIONS = {
    "370811": "山东省济宁市任城区", "370812": "山东省济宁市兖州区", "370826": "山东省济宁市微山县",
    "370102": "山东省济南市历下区", "110105": "北京市朝阳区", "110108": "北京市海淀区",
    "140105": "山西省太原市小店区", "440106": "广东省广州市天河区", "350102": "福建省福州市鼓楼区",
    "320102": "江苏省南京市玄武区", "330106": "浙江省杭州市西湖区", "510107": "四川省成都市武侯区",
}
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
COMPOUND = ["欧阳", "司马", "上官", "诸葛", "东方", "慕容"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然梓涵子轩一诺欣怡思远嘉懿晨曦雨桐")
STREETS = ["建设路", "古槐路", "共青团路", "太白楼路", "红星中路", "琵琶山路", "吴泰闸路", "车站西路"]
ETHNICITIES = ["汉族"] * 18 + ["回族", "满族"]
BANKS = ["中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "交通银行", "中国邮政储蓄银行"]
BANK_BINS = {"中国工商银行": "622202", "中国农业银行": "622848", "中国银行": "621661",
             "中国建设银行": "621700", "交通银行": "622262", "中国邮政储蓄银行": "621799"}
HOSPITALS = ["济宁市第一人民医院", "济宁医学院附属医院", "济宁市妇幼保健院", "任城区人民医院"]
FUNERAL_HOMES = ["济宁市殡仪馆", "任城区殡仪馆"]
SHOP_WORDS = ["老街", "鲁味", "运河", "孔府", "家常", "小馆", "食府", "面馆", "烧烤", "水饺"]
ENTERPRISE_TYPES = ["有限责任公司(自然人独资)", "有限责任公司(自然人投资或控股)", "个人独资企业"]


@dataclass
class Registry:
    as_of: date
    persons: dict[str, dict[str, Any]] = field(default_factory=dict)
    births: dict[str, dict[str, Any]] = field(default_factory=dict)  # keyed by mother's ID
    social: dict[str, dict[str, Any]] = field(default_factory=dict)
    fund: dict[str, dict[str, Any]] = field(default_factory=dict)
    deaths: dict[str, dict[str, Any]] = field(default_factory=dict)
    enterprises: dict[str, dict[str, Any]] = field(default_factory=dict)
    licences: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    record_dates: dict[tuple[str, str], str] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)  # typical applicants by bundle

    def table(self, registry: str) -> dict[str, Any]:
        return {
            "person": self.persons, "birth": self.births, "social": self.social, "fund": self.fund,
            "death": self.deaths, "enterprise": self.enterprises, "elicence": self.licences,
        }[registry]

    def lookup(self, key: LookupKey) -> SharedRecord | None:
        if key.registry == "clock":
            return None
        data = self.table(key.registry).get(key.key)
        if data is None:
            return None
        attributes = {"licences": data} if key.registry == "elicence" else data
        return SharedRecord(
            registry=key.registry, key=key.key, attributes=attributes,
            source=REGISTRY_SOURCES[key.registry],
            record_date=self.record_dates.get((key.registry, key.key), self.as_of.isoformat()),
        )

    def rows(self) -> list[tuple[str, str, dict[str, Any] | list[Any], str]]:
        """(registry, key, attributes, record date) for loading into a database."""
        out = []
        for registry in ("person", "birth", "social", "fund", "death", "enterprise", "elicence"):
            for key, value in self.table(registry).items():
                out.append((registry, key, value,
                            self.record_dates.get((registry, key), self.as_of.isoformat())))
        return out


class _Generator:
    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.registry = Registry(as_of=as_of)
        self.used_ids: set[str] = set()
        self.used_codes: set[str] = set()
        self.serial = 0

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def id_number(self, division: str, birth: date, sex: str) -> str:
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if sex == "男" else 0)
            body = f"{division}{birth:%Y%m%d}{seq:03d}"
            value = body + id_check_char(body)
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def uscc(self, division: str) -> str:
        while True:
            org = "".join(self.rng.choice("0123456789") for _ in range(8))
            org += org_code_check(org)
            body = "91" + division + org
            if any(c not in USCC_ALPHABET for c in body):
                continue
            value = body + uscc_check_char(body)
            if value not in self.used_codes:
                self.used_codes.add(value)
                return value

    def name(self, surname: str | None = None) -> str:
        if surname is None:
            surname = self.rng.choice(COMPOUND) if self.rng.random() < 0.03 else self.rng.choice(SURNAMES)
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2, 2))))
        return surname + given

    def phone(self) -> str:
        return "1" + self.rng.choice("3456789") + "".join(self.rng.choice("0123456789") for _ in range(9))

    def bank_card(self, bank: str) -> str:
        body = BANK_BINS[bank] + "".join(self.rng.choice("0123456789") for _ in range(12))
        return body + luhn_check_digit(body)

    def address(self, division: str) -> str:
        return (f"{DIVISIONS[division]}{self.rng.choice(STREETS)}{self.rng.randrange(1, 300)}号"
                f"{self.rng.randrange(1, 30)}号楼{self.rng.randrange(1, 6)}单元{self.rng.randrange(101, 2602)}室")

    def birth_in(self, lo_years: float, hi_years: float) -> date:
        days = self.rng.randrange(int(lo_years * 365.25), int(hi_years * 365.25))
        return self.as_of - timedelta(days=days)

    def person(self, division: str, birth: date, sex: str, *, surname: str | None = None,
               household: dict[str, Any] | None = None, relation: str = "户主") -> dict[str, Any]:
        pid = self.id_number(division, birth, sex)
        if household is None:
            household = {"no": f"{division}{self.next_serial():08d}", "address": self.address(division),
                         "head_id": pid, "head_name": None}
        record = {
            "id_number": pid, "name": self.name(surname), "sex": sex, "birth_date": birth.isoformat(),
            "ethnicity": self.rng.choice(ETHNICITIES), "household_no": household["no"],
            "household_address": household["address"], "residence_address": household["address"],
            "head_id": household["head_id"], "head_name": household["head_name"],
            "relation_to_head": relation, "marital_status": "未婚", "spouse_id": None,
            "phone": self.phone(), "relatives": {},
        }
        if household["head_name"] is None:
            household["head_name"] = record["name"]
            record["head_name"] = record["name"]
        self.registry.persons[pid] = record
        issued = self.as_of - timedelta(days=self.rng.randrange(30, 3600))
        long_term = (issued - birth).days >= 46 * 365  # 46 and over: 长期 validity
        self.licence(pid, "居民身份证", pid, "公安局", issued, years=0 if long_term else 20)
        self.licence(pid, "居民户口簿", household["no"], "公安局", self.as_of - timedelta(days=900), years=0)
        return record

    def licence(self, holder: str, kind: str, number: str, issuer: str, issued: date, years: int) -> None:
        valid_to = "" if years == 0 else (issued + timedelta(days=365 * years)).isoformat()
        self.registry.licences.setdefault(holder, []).append(
            {"type": kind, "number": number, "issuer": issuer, "valid_from": issued.isoformat(),
             "valid_to": valid_to}
        )

    def marry(self, a: dict[str, Any], b: dict[str, Any], year: int) -> None:
        for x, y in ((a, b), (b, a)):
            x["marital_status"], x["spouse_id"], x["spouse_name"] = "已婚", y["id_number"], y["name"]
            x["relatives"][y["id_number"]] = "配偶"
        number = f"J{a['id_number'][:6]}-{year}-{self.next_serial():06d}"
        for person in (a, b):
            self.licence(person["id_number"], "结婚证", number, "民政局婚姻登记处", date(year, 5, 20), years=0)

    def social_record(self, person: dict[str, Any], since: date, employer: str) -> None:
        years = round((self.as_of - since).days / 365.25, 1)
        bank = self.rng.choice(BANKS)
        self.registry.social[person["id_number"]] = {
            "card_no": f"{person['id_number'][:6]}{self.rng.randrange(10**8, 10**9)}",
            "insured_since": since.isoformat(), "contribution_years": f"{years:g}",
            "medical_years": f"{max(0.0, years - 3):g}", "employer": employer,
            "post_type": self.rng.choice(["管理岗", "工人岗"]), "card_bank": bank, "status": "参保缴费",
        }
        self.registry.fund[person["id_number"]] = {
            "account_no": f"{self.rng.randrange(10**11, 10**12)}", "employer": employer,
            "status": "正常缴存", "balance": f"{self.rng.randrange(5000, 300000)}.00",
        }


def _share(key: str, salt: str) -> float:
    """A stable fraction in [0, 1) for a record: new attributes without disturbing the
    random stream every earlier sample depends on."""
    import hashlib

    return int(hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()[:8], 16) / 16**8


def generate_registry(seed: int = 20240101, persons: int = 10_000, as_of: date | None = None) -> Registry:
    """About `persons` persons grouped in households, with the other registries around them."""
    gen = _Generator(seed, as_of or date.today())
    rng, reg = gen.rng, gen.registry
    divisions = list(DIVISIONS)
    employers = [f"济宁{w}{s}有限公司" for w in ("鲁兴", "运河", "圣地", "泰和", "恒通") for s in ("机械", "纺织", "商贸")]
    samples: dict[str, list[str]] = {"newborn": [], "retirement": [], "posthumous": [], "restaurant": [],
                                     "deregistration": [], "retirement_not_yet": []}
    while len(reg.persons) < persons:
        division = rng.choice(divisions)
        kind = rng.random()
        if kind < 0.45:  # a young family, a quarter of them with a newborn this month
            father_birth = gen.birth_in(25, 38)
            father = gen.person(division, father_birth, "男")
            mother = gen.person(division, gen.birth_in(23, 36), "女",
                                household={"no": father["household_no"], "address": father["household_address"],
                                           "head_id": father["id_number"], "head_name": father["name"]},
                                relation="妻")
            gen.marry(father, mother, rng.randrange(2012, gen.as_of.year))
            for parent in (father, mother):
                gen.social_record(parent, gen.birth_in(2, 12), rng.choice(employers))
            if rng.random() < 0.25:
                born = gen.as_of - timedelta(days=rng.randrange(1, 28))
                cert = f"{rng.choice('OPQRSTUVWXYZ')}{division[:3]}{rng.randrange(10**5, 10**6)}"
                reg.births[mother["id_number"]] = {
                    "newborn_sex": rng.choice(["男", "女"]), "newborn_birth_date": born.isoformat(),
                    "birth_place": rng.choice(HOSPITALS), "birth_cert_no": cert,
                    "delivery_mode": rng.choice(["顺产", "剖宫产"]), "father_id": father["id_number"],
                    # Most births are settled directly by medical insurance (no bills to bring).
                    "direct_settlement": _share(mother["id_number"], "settlement") < 0.8,
                }
                reg.record_dates[("birth", mother["id_number"])] = born.isoformat()
                gen.licence(mother["id_number"], "出生医学证明", cert, rng.choice(HOSPITALS), born, years=0)
                samples["newborn"].append(mother["id_number"])
        elif kind < 0.70:  # an older couple; some reach retirement age this year
            sex = rng.choice(["男", "女"])
            head = gen.person(division, gen.birth_in(45, 66), sex)
            post = rng.choice(["管理岗", "工人岗"])
            month = legal_retirement_month(date.fromisoformat(head["birth_date"]), sex, post)
            gen.social_record(head, gen.birth_in(16, 40), rng.choice(employers))
            reg.social[head["id_number"]]["post_type"] = post
            # Most personnel files lie with the public talent service centre; some with the employer.
            reg.social[head["id_number"]]["file_keeper"] = (
                "济宁市公共就业和人才服务中心" if _share(head["id_number"], "file") < 0.8 else "用人单位")
            if month <= gen.as_of and (gen.as_of - month).days < 120:
                samples["retirement"].append(head["id_number"])
            elif month > gen.as_of and (month - gen.as_of).days < 2 * 365:  # applies too early: 不予受理
                samples["retirement_not_yet"].append(head["id_number"])
            spouse_sex = "女" if sex == "男" else "男"
            spouse = gen.person(division, gen.birth_in(45, 66), spouse_sex,
                                household={"no": head["household_no"], "address": head["household_address"],
                                           "head_id": head["id_number"], "head_name": head["name"]},
                                relation="妻" if spouse_sex == "女" else "夫")
            gen.marry(head, spouse, rng.randrange(1980, 2005))
        elif kind < 0.80:  # a person who died recently, with a child as heir
            deceased = gen.person(division, gen.birth_in(68, 95), rng.choice(["男", "女"]))
            child = gen.person(division, gen.birth_in(38, 60), rng.choice(["男", "女"]),
                               surname=deceased["name"][0],
                               household={"no": deceased["household_no"],
                                          "address": deceased["household_address"],
                                          "head_id": deceased["id_number"], "head_name": deceased["name"]},
                               relation="子女")
            deceased["relatives"][child["id_number"]] = "子女"
            child["relatives"][deceased["id_number"]] = "父母"
            gen.social_record(deceased, gen.birth_in(40, 50), rng.choice(employers))
            gen.licence(deceased["id_number"], "驾驶证", deceased["id_number"], "公安交通管理部门",
                        gen.birth_in(5, 10), years=10)
            died = gen.as_of - timedelta(days=rng.randrange(2, 25))
            reg.deaths[deceased["id_number"]] = {
                "death_date": died.isoformat(), "death_place": rng.choice(HOSPITALS + ["家中"]),
                "death_cert_no": f"SW{division}{rng.randrange(10**6, 10**7)}",
                "cremation_date": (died + timedelta(days=3)).isoformat(),
                "funeral_home": rng.choice(FUNERAL_HOMES),
                "cremation_cert_no": f"HH{division}{rng.randrange(10**6, 10**7)}",
            }
            reg.record_dates[("death", deceased["id_number"])] = (died + timedelta(days=3)).isoformat()
            samples["posthumous"].append(f"{deceased['id_number']}:{child['id_number']}")
        else:  # a business owner with an enterprise
            owner = gen.person(division, gen.birth_in(28, 55), rng.choice(["男", "女"]))
            code = gen.uscc(division)
            food = rng.random() < 0.6
            short = "".join(rng.sample(SHOP_WORDS, 2))
            name = f"{DIVISIONS[division][3:6]}{short}{'餐饮' if food else '商贸'}有限公司"
            bank = rng.choice(BANKS)
            reg.enterprises[code] = {
                "uscc": code, "name": name, "short_name": short + ("餐馆" if food else "商行"),
                "type": rng.choice(ENTERPRISE_TYPES), "legal_rep_id": owner["id_number"],
                "legal_rep_name": owner["name"], "address": gen.address(division), "status": "存续",
                "scope": "餐饮服务；食品销售" if food else "日用百货销售",
                "established": gen.birth_in(0.2, 10).isoformat(), "phone": owner["phone"],
                "customs_code": f"{division[:4]}{rng.randrange(10**5, 10**6)}",
                "social_insurance_no": f"{division}{rng.randrange(10**7, 10**8)}",
                "bank_name": bank, "bank_account": gen.bank_card(bank), "seals": "公章、财务专用章、法定代表人名章",
                "fire_acceptance": rng.random() < 0.7,
                "customs_pending": _share(code, "customs-pending") < 0.1,
            }
            if _share(code, "customs") < 0.6:  # most small firms never registered with customs
                reg.enterprises[code]["customs_code"] = ""
            gen.licence(code, "营业执照", code, "市场监督管理局", gen.birth_in(0.2, 10), years=0)
            gen.licence(owner["id_number"], "健康证明", f"JK{rng.randrange(10**9, 10**10)}", "疾病预防控制中心",
                        gen.as_of - timedelta(days=100), years=1)
            if rng.random() < 0.5:
                gen.licence(owner["id_number"], "不动产权证书",
                            f"鲁({gen.as_of.year - 3})济宁市不动产权第{rng.randrange(10**6, 10**7)}号",
                            "自然资源和规划局", gen.birth_in(1, 5), years=0)
                # The owner's property is the premises for some; for others it is their home.
                here = _share(code, "premises") < 0.6
                reg.licences[owner["id_number"]][-1]["address"] = (
                    reg.enterprises[code]["address"] if here else owner["household_address"])
            samples["restaurant" if food else "deregistration"].append(code)
    reg.samples = samples
    return reg
