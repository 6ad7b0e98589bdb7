#!/usr/bin/env python3
"""What a user would otherwise write: the `types` and `handling` tables of
`desk report --month M` computed from the ticket files with PyYAML.

Usage: pyyaml_report.py STORE YYYY-MM [--libyaml]
Prints two CSV tables in desk's columns (handling: the wall-clock columns).
"""
import glob
import math
import os
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import yaml

store, month = sys.argv[1], sys.argv[2]
loader = yaml.CSafeLoader if "--libyaml" in sys.argv else yaml.SafeLoader
tz = timezone(timedelta(hours=8))  # the demo store's Asia/Shanghai, no DST since 1991


def t(text):
    return datetime.fromisoformat(str(text))


created_in, closed = Counter(), defaultdict(list)
for path in glob.glob(os.path.join(store, "tickets", "**", "*.yaml"), recursive=True):
    with open(path, encoding="utf-8") as f:
        ticket = yaml.load(f, Loader=loader)
    created = t(ticket["created"])
    if created.astimezone(tz).strftime("%Y-%m") == month:
        created_in[ticket["type"]] += 1
    if ticket["status"] == "closed":
        close = [e for e in ticket["history"] if e["action"] == "closed"][-1]
        at = t(close["at"])
        if at.astimezone(tz).strftime("%Y-%m") == month:
            closed[ticket["priority"]].append((at - created).total_seconds() / 3600)

total = sum(created_in.values())
print("type,count,share_pct")
for kind, n in sorted(created_in.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"{kind},{n},{100 * n / total:.1f}")


def median(xs):
    xs = sorted(xs)
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2


def p90(xs):
    return sorted(xs)[max(math.ceil(0.9 * len(xs)), 1) - 1]


def fmt(x):
    return "" if x is None else f"{x:.2f}"


print("priority,closed,avg_hours,median_hours,p90_hours")
everything = []
for p in ["urgent", "important", "normal", "all"]:
    xs = everything if p == "all" else closed[p]
    if p != "all":
        everything.extend(xs)
    stats = (sum(xs) / len(xs), median(xs), p90(xs)) if xs else (None, None, None)
    print(",".join([p, str(len(xs))] + [fmt(s) for s in stats]))
