"""`window-tui print-test`: print a sample, or preview it in the terminal."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.panel import Panel

    from printers.connections import PrinterUrlError
    from printers.journal import STATE_WORDS
    from printers.preview import preview_lines, preview_png
    from printers.profiles import ProfileError
    from printers.samples import sample_for
    from printers.service import PrintService
    from printers.templates import TEMPLATE_NAMES
    from printers.wrap import UnprintableCharacter
    from window_tui.config import ConfigError, load_config

    console = Console()
    try:
        config = load_config()
        hall = config.hall_info()
        service = PrintService.from_config(args.printer, args.profile or config.printer.receipt_profile,
                                           role="ticket" if args.template == "ticket" else "receipt", hall=hall,
                                           connect_timeout=config.printer.connect_timeout,
                                           write_timeout=config.printer.write_timeout)
    except (PrinterUrlError, ProfileError, ConfigError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    source = sample_for(args.template)
    try:
        data = service.render(args.template, source)
    except UnprintableCharacter as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if args.png:
        preview_png(data, service.profile, args.png)
        console.print(f"已生成预览图 {args.png}")
    if args.printer == "preview":
        lines = preview_lines(data, service.profile)
        console.print(Panel("\n".join(lines), title=f"{TEMPLATE_NAMES[args.template]}（{service.profile.name}）",
                            expand=False))
        return 0
    ref = source.get("case_number") or source.get("label", "")
    job = service.print(args.template, source, ref)
    if job.state == "failed":
        print(f"{STATE_WORDS['failed']}：{job.error}", file=sys.stderr)
        return 1
    console.print(f"{STATE_WORDS[job.state]}：{TEMPLATE_NAMES[args.template]}（{len(job.data)} 字节）→ {args.printer}"
                  + (f"；{job.warning}" if job.warning else ""))
    return 0
