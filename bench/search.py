#!/usr/bin/env python3
"""desk search at scale: the index built from nothing against the cold
report (both parse every ticket file), warm searches, the incremental
update after one `desk update`, `desk similar`, `desk new` with and without
the similar-cases hint, and the index's size on disk.

    python3 bench/search.py DESK STORE [--runs N]

STORE is a demo store (bench/run.sh keeps one in target/bench/); it is
copied first and left alone. Prints a Markdown table; medians of N runs,
wall-clock seconds."""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

# Words the demo store holds (its tickets share a few dozen titles, so each
# query matches thousands of tickets): Chinese, mixed, excluded, a phrase,
# and English words found in four tickets of ten.
QUERIES = ["无法开机", "打印机 offline", "快递延误 -退款", "\"invoice charged twice\"", "customer workaround"]

def timed(cmd, cwd, env):
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if out.returncode not in (0,):
        sys.exit(f"{' '.join(cmd)} exited {out.returncode}: {out.stderr.decode()[-400:]}")
    return took, out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("desk")
    ap.add_argument("store")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    desk = os.path.abspath(a.desk)
    work = tempfile.mkdtemp(prefix="desk-search-bench-")
    store = os.path.join(work, "store")
    shutil.copytree(a.store, store, symlinks=True)
    env = dict(os.environ, DESK_ACTOR="bench", NO_COLOR="1")
    env.pop("DESK_DIR", None)
    cache = os.path.join(store, ".desk", "cache")
    index = os.path.join(cache, "search")
    def rm(name):
        path = os.path.join(cache, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    tickets = sum(len(f) for _, _, f in os.walk(os.path.join(store, "tickets")))
    # The ticket cache warm, as any team's store has it.
    timed([desk, "list"], store, env)
    report_cold, build = [], []
    for _ in range(a.runs):
        for f in os.listdir(cache):
            rm(f)
        report_cold.append(timed([desk, "report", "--month", "2026-10"], store, env)[0])
        rm("search")
        build.append(timed([desk, "search", QUERIES[0], "--format", "ids"], store, env)[0])
    size = sum(os.path.getsize(os.path.join(index, f)) for f in os.listdir(index))
    warm = {}
    for q in QUERIES:
        warm[q] = statistics.median(timed([desk, "search", q, "--format", "ids"], store, env)[0] for _ in range(a.runs))
    ids = timed([desk, "search", "无法开机", "--format", "ids", "--limit", str(a.runs)], store, env)[1].stdout.decode().split()
    incremental = []
    for i, tid in enumerate(ids[: a.runs]):
        timed([desk, "update", tid, "--note", f"客户回电 {i} 已确认恢复"], store, env)
        took, out = timed([desk, "search", "已确认恢复", "--format", "ids"], store, env)
        assert tid in out.stdout.decode().split(), "the note is found at once"
        incremental.append(took)
    similar = statistics.median(timed([desk, "similar", ids[0], "--format", "ids"], store, env)[0] for _ in range(a.runs))
    customer = timed([desk, "customer", "list", "--format", "ids"], store, env)[1].stdout.decode().split()[0]
    def new(title):
        return timed([desk, "new", "--customer", customer, "--type", "complaint", "--priority", "high",
                      "--channel", "phone", "--title", title, "--description", "按电源键没有反应"], store, env)
    with_hint, without = [], []
    config = os.path.join(store, "desk.yaml")
    plain = open(config, encoding="utf-8").read()
    for i in range(a.runs):
        took, out = new(f"升级后无法开机 {i}")
        assert "similar closed tickets" in out.stderr.decode(), out.stderr.decode()
        with_hint.append(took)
        open(config, "w", encoding="utf-8").write(plain + "search:\n  similar: 0\n")
        without.append(new(f"升级后无法开机 {i}")[0])
        open(config, "w", encoding="utf-8").write(plain)
    rc, b = statistics.median(report_cold), statistics.median(build)
    print(f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; {tickets:,} ticket files; medians of {a.runs}.")
    print()
    print("| what | seconds |")
    print("|---|---:|")
    print(f"| report, cold (every ticket file parsed) | {rc:.3f} |")
    print(f"| search index built from nothing (every file parsed) | {b:.3f} ({b / rc:.2f}× the cold report) |")
    for q, t in warm.items():
        print(f"| warm `desk search {q}` | {t:.3f} |")
    print(f"| search after one `desk update` (its folder listed again) | {statistics.median(incremental):.3f} |")
    print(f"| warm `desk similar` | {similar:.3f} |")
    print(f"| `desk new`, routed, with the similar-cases hint | {statistics.median(with_hint):.3f} |")
    print(f"| `desk new`, routed, `search.similar: 0` | {statistics.median(without):.3f} |")
    print(f"| index size on disk | {size / 1e6:.1f} MB ({size / tickets:.0f} bytes a ticket) |")
    shutil.rmtree(work)

if __name__ == "__main__":
    main()
