#!/usr/bin/env python3
"""desk search at scale: the index built from nothing against the cold
report (both parse every ticket file), warm searches, the incremental
update after one `desk update`, and the index's size on disk.

    python3 bench/search.py DESK STORE [--runs N]

STORE is a demo store (bench/run.sh keeps one in target/bench/); it is
copied first and left alone. Prints a Markdown table; medians of N runs,
wall-clock seconds."""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

QUERIES = ["无法开机", "打印机 offline", "发票 -退款", "\"firmware update\"", "退款 投诉"]

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
    def rm(name):
        try:
            os.remove(os.path.join(cache, name))
        except FileNotFoundError:
            pass
    tickets = sum(len(f) for _, _, f in os.walk(os.path.join(store, "tickets")))
    # The ticket cache warm, as any team's store has it.
    timed([desk, "list"], store, env)
    report_cold, build = [], []
    for _ in range(a.runs):
        for f in os.listdir(cache):
            rm(f)
        report_cold.append(timed([desk, "report", "--month", "2026-10"], store, env)[0])
        rm("search.bin"); rm("search.dict")
        build.append(timed([desk, "search", QUERIES[0], "--format", "ids"], store, env)[0])
    size = os.path.getsize(os.path.join(cache, "search.bin"))
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
    rc, b = statistics.median(report_cold), statistics.median(build)
    print(f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; {tickets:,} ticket files; medians of {a.runs}.")
    print()
    print("| what | seconds |")
    print("|---|---:|")
    print(f"| report, cold (every ticket file parsed) | {rc:.3f} |")
    print(f"| search index built from nothing (every file parsed and segmented) | {b:.3f} ({b / rc:.2f}× the cold report) |")
    for q, t in warm.items():
        print(f"| warm `desk search {q}` | {t:.3f} |")
    print(f"| search after one `desk update` (its file segmented again) | {statistics.median(incremental):.3f} |")
    print(f"| index size on disk | {size / 1e6:.1f} MB ({size / tickets:.0f} bytes a ticket) |")
    shutil.rmtree(work)

if __name__ == "__main__":
    main()
