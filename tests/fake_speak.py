"""A fake speech engine: records when it starts and ends speaking each text."""

import sys
import time
from pathlib import Path

log = Path(sys.argv[1])
text = sys.argv[2]
with log.open("a", encoding="utf-8") as handle:
    handle.write(f"start\t{time.monotonic():.4f}\t{text}\n")
time.sleep(0.15)
with log.open("a", encoding="utf-8") as handle:
    handle.write(f"end\t{time.monotonic():.4f}\t{text}\n")
