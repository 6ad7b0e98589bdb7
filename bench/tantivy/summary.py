"""The figures of bench.sh's results folder as Markdown tables."""

import json
import pathlib
import re
import sys

out = pathlib.Path(sys.argv[1])


def load_of(name):
    """The 1-minute load average before and after a measurement."""
    found = {}
    for line in (out / "load.txt").read_text().splitlines():
        m = re.match(rf"{re.escape(name)} (before|after): .*load average: ([\d.]+)", line)
        if m:
            found[m.group(1)] = m.group(2)
    return f"{found.get('before', '?')} / {found.get('after', '?')}"


def median(name):
    r = json.loads((out / f"{name}.json").read_text())["results"][0]
    return r["median"], r["min"], r["max"]


def fmt(seconds):
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def row(label, name):
    m, lo, hi = median(name)
    return f"| {label} | {fmt(m)} | {fmt(lo)} – {fmt(hi)} | {load_of(name)} |"


print("| measurement | median | min – max | load 1-min before / after |")
print("| --- | --- | --- | --- |")
print(row("tantivy: build from nothing", "tantivy-build"))
print(row("desk: search index built from nothing (`desk search 无法开机`)", "desk-build"))
print(row("cat every ticket file (warm)", "cat"))
print(row("stat every ticket file (`find -newer`, warm)", "stat"))
queries = sorted(out.glob("query-*.txt"), key=lambda p: int(p.stem.split("-")[1]))
for p in queries:
    i = p.stem.split("-")[1]
    q = p.read_text().strip()
    print(row(f"tantivy: search `{q}`", f"tantivy-search-{i}"))
    print(row(f"desk: search `{q}`", f"desk-search-{i}"))
print()
print("Sizes:", (out / "tantivy-size.txt").read_text().replace("\n", "; "),
      (out / "desk-size.txt").read_text().replace("\n", "; ").strip())
if (out / "desk-stats.txt").exists():
    print("desk search 无法开机, warm:", (out / "desk-stats.txt").read_text().replace("\n", "; ").strip())
print()

print("| query | tantivy hits | desk hits | top-10 overlap | tantivy ties at its top score | "
      "desk ties at its top score | tantivy's places of desk's top 10 | desk's places of tantivy's top 10 |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")


def places(keys, scores):
    """The place of each key in a ranking by `scores` (ties share the best
    place of their score), as min–max; '>N' past a list cut at N."""
    values = sorted(scores.values(), reverse=True)
    found = []
    for k in keys:
        if k in scores:
            found.append(1 + sum(1 for v in values if v > scores[k]))
    if not keys:
        return "–"
    span = f"{min(found)}–{max(found)}" if found else ""
    missing = len(keys) - len(found)
    if missing:
        span += f"{', ' if span else ''}{missing} past {len(values)}"
    return span


for p in queries:
    i = p.stem.split("-")[1]
    q = p.read_text().strip()
    t_all = [l.split("\t") for l in (out / f"tantivy-all-{i}.txt").read_text().splitlines()]
    t_score = {k: float(s) for k, s in t_all}
    t_top = (out / f"tantivy-top-{i}.txt").read_text().split()
    # desk lists knowledge-base articles (KB…) before the tickets: left out.
    d_top = [k for k in (out / f"desk-top-{i}.txt").read_text().split() if not k.startswith("KB")]
    try:
        d_all = json.loads((out / f"desk-all-{i}.json").read_text())
    except json.JSONDecodeError:
        d_all = []
    d_all = [d for d in d_all if not d["id"].startswith("KB")]
    d_score = {d["id"]: float(d["score"]) for d in d_all}
    matched = re.search(r"of (\d+) matching", (out / f"desk-matched-{i}.txt").read_text())
    d_hits = matched.group(1) if matched else str(len(d_all))
    overlap = len(set(t_top) & set(d_top))
    t_tie = sum(1 for _, s in t_all if s == t_all[0][1])
    d_tie = sum(1 for d in d_all if d["score"] == d_all[0]["score"])
    print(f"| `{q}` | {len(t_all)} | {d_hits} | {overlap} of {max(len(t_top), len(d_top))} | "
          f"{t_tie} | {d_tie} | {places(d_top, t_score)} | {places(t_top, d_score)} |")
