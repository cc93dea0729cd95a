"""`window-tui catalog list|show|stats`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from window_tui.domain.catalog import CatalogError, load_catalog
from window_tui.domain.forms import merge_bundle


def run(args: argparse.Namespace) -> int:
    console = Console()
    directory = Path(args.dir) if getattr(args, "dir", None) else None
    if directory is not None and not directory.is_dir():
        print(f"目录文件夹不存在：{directory}", file=sys.stderr)
        return 1
    try:
        catalog = load_catalog(directory)
    except CatalogError as exc:
        print(f"目录检查未通过：{exc}" if args.catalog_command == "check" else str(exc), file=sys.stderr)
        return 1
    if args.catalog_command == "check":
        rules = sum(len(m.exempt) for m in catalog.materials.values())
        complete = [b for b in catalog.bundles.values() if b.complete]
        console.print(f"目录检查通过：{len(complete)} 个一件事、{len(catalog.matters)} 个事项、"
                      f"{len(catalog.materials)} 种材料、{rules} 条免提交规则（均有可核验的来源）；"
                      f"承诺时限均不短于事项衔接所需")
        return 0
    if args.catalog_command == "list":
        table = Table(title="一件事目录")
        for column in ("代码", "名称", "拼音", "事项数", "承诺时限", "状态"):
            table.add_column(column)
        for bundle in catalog.bundles.values():
            table.add_row(bundle.code, bundle.name, bundle.initials, str(len(bundle.matters)),
                          f"{bundle.promised_days}个工作日" if bundle.complete else "-",
                          "可受理" if bundle.complete else "[dim]尚未梳理，暂不受理[/]")
        console.print(table)
        return 0
    if args.catalog_command == "show":
        found = catalog.search(args.name, complete_only=False)
        if not found:
            print(f"没有找到“{args.name}”", file=sys.stderr)
            return 1
        bundle = found[0]
        if not bundle.complete:
            console.print(f"{bundle.name}：尚未梳理完成，暂不受理")
            return 0
        form = merge_bundle(catalog, bundle)
        matters = Table(title=f"{bundle.name}：{len(form.matters)}个事项，承诺{bundle.promised_days}个工作日")
        for column in ("代码", "事项", "部门", "法定", "承诺", "前置"):
            matters.add_column(column)
        for m in form.matters:
            matters.add_row(m.code, m.name, m.department, str(m.statutory_days), str(m.promised_days),
                            "、".join(m.after))
        console.print(matters)
        for section in form.sections:
            table = Table(title=f"表单·{section.name}")
            for column in ("字段", "必填", "来源", "事项"):
                table.add_column(column)
            for f in section.fields:
                source = str(f.definition.fill) if f.definition.fill else (
                    "办理中产生" if f.definition.origin == "issued" else "窗口录入")
                table.add_row(f.label, "是" if f.required else "", source, "、".join(f.matters))
            console.print(table)
        materials = Table(title="材料")
        materials.add_column("材料")
        materials.add_column("可免提交的情形")
        for material in form.materials:
            rules = "；".join(f"{r.kind}:{r.licence or r.check or r.matter or r.basis}" for r in material.exempt)
            materials.add_row(material.name, rules or "需提交")
        console.print(materials)
        return 0
    return run_stats(console, args)


def run_stats(console: Console, args: argparse.Namespace) -> int:
    from window_tui.domain.efficiency import efficiency_report

    as_of = date.fromisoformat(args.as_of) if args.as_of else None
    with console.status("正在生成合成共享数据并运行合并与预填……"):
        report = efficiency_report(as_of=as_of, seed=args.seed)
    table = Table(title="合并表单与预填效率（典型申请人，合成共享数据）")
    table.add_column("一件事", no_wrap=True)
    for column in ("事项", "分表字段", "合并", "录入"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("录入占比", no_wrap=True)
    for column in ("分表材料", "合并", "携带"):
        table.add_column(column, justify="right", no_wrap=True)
    for e in report:
        filled = round(e.typed_share * 5)
        bar = "█" * filled + "░" * (5 - filled) + f" {e.typed_share:.0%}"
        table.add_row(e.name, str(e.matters), str(e.separate_fields), str(e.merged_fields), str(e.typed_fields),
                      bar, str(e.separate_materials), str(e.merged_materials), str(e.materials_to_bring))
    console.print(table)
    for e in report:
        console.print(f"[b]{e.name}[/] 需携带：{'、'.join(e.bring_names) or '无'}")
    return 0
