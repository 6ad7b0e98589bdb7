#!/usr/bin/env python3
"""desk's scale benchmark. Run it through bench/run.sh, which builds desk and
installs what this needs.

For each store size it generates a demo store (deterministic), then times,
as medians of several runs on a warm page cache:
  - the system baselines: stat every ticket file (find -printf) and read
    every ticket file (find | xargs cat);
  - desk list / desk report --month with a warm cache and with none;
  - desk new and desk update on the full store;
  - peak memory of desk report;
and for the largest store a PyYAML script computing the same `types` and
`handling` tables, checking that the numbers agree.

With --customer-sizes it also generates stores of that many customers (and a
tenth as many tickets) and times the system baseline (stat every customer
file), `desk customer list` with a warm and with no customer index, and
`desk customer add` / `customer edit` (each adding or changing a different
value), and an add right after a file appeared behind desk's back (as after a
git pull); with --desk-before the same with an older desk, for comparison.
These results go between their own markers.

With --as-of-sizes it commits a copy of the demo store to a new git
repository and times `desk report --as-of HEAD` (read from git: one ls-tree,
one cat-file --batch) against the cold work-tree report of the same store,
with git's objects loose (as after `git add`) and packed (after `git gc`).

Usage: bench.py DESK_BINARY WORKDIR [--sizes 10000,100000] [--runs 5] [--markdown FILE]
                [--customer-sizes 100000] [--desk-before OLD_DESK_BINARY]
                [--run-sizes 100000] [--as-of-sizes 100000]
"""
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOW = "2026-11-23T18:00:00+08:00"
MONTH = "2026-10"
HERE = Path(__file__).resolve().parent
START = "<!-- bench:start (written by bench/run.sh) -->"
END = "<!-- bench:end -->"
CUSTOMERS_START = "<!-- bench-customers:start (written by bench/run.sh --customer-sizes) -->"
CUSTOMERS_END = "<!-- bench-customers:end -->"
RUN_START = "<!-- bench-run:start (written by bench/run.sh --run-sizes) -->"
RUN_END = "<!-- bench-run:end -->"
AS_OF_START = "<!-- bench-as-of:start (written by bench/run.sh --as-of-sizes) -->"
AS_OF_END = "<!-- bench-as-of:end -->"


def run(cmd, cwd=None, env=None, stdin=None, check=True):
    """Runs a command with stdout discarded; returns (seconds, peak RSS in MB)."""
    # stderr to a file, not a pipe: a command that says more than a pipe
    # holds (a first `desk run` on a demo store) would block while we wait.
    with tempfile.TemporaryFile() as err_file:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err_file, stdin=stdin
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")
    if check and os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{err}")
    return elapsed, usage.ru_maxrss / 1024


def median_of(runs, cmd, before=None, **kw):
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        t, m = run(cmd, **kw)
        times.append(t)
        peaks.append(m)
    return statistics.median(times), max(peaks)


def shell(script):
    return ["sh", "-c", script]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("desk")
    ap.add_argument("workdir")
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--markdown")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--customer-sizes", default="")
    ap.add_argument("--desk-before")
    ap.add_argument("--run-sizes", default="")
    ap.add_argument("--as-of-sizes", default="")
    args = ap.parse_args()
    desk = str(Path(args.desk).resolve())
    work = Path(args.workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    env = dict(os.environ, DESK_NOW=NOW, DESK_ACTOR="bench", NO_COLOR="1")
    env.pop("DESK_DIR", None)

    customer_sizes = [int(s) for s in args.customer_sizes.split(",") if s]
    if customer_sizes:
        desks = [("before", str(Path(args.desk_before).resolve()))] if args.desk_before else []
        desks.append(("after" if args.desk_before else "desk", desk))
        out = bench_customers(desks, work, customer_sizes, args.runs, env)
        if args.markdown:
            write_section(args.markdown, CUSTOMERS_START, CUSTOMERS_END, out)
    run_sizes = [int(s) for s in args.run_sizes.split(",") if s]
    if run_sizes:
        out = bench_run(desk, work, run_sizes, args.runs, env)
        if args.markdown:
            write_section(args.markdown, RUN_START, RUN_END, out)
    as_of_sizes = [int(s) for s in args.as_of_sizes.split(",") if s]
    if as_of_sizes:
        out = bench_as_of(desk, work, as_of_sizes, args.runs, env)
        if args.markdown:
            write_section(args.markdown, AS_OF_START, AS_OF_END, out)
    if not sizes:
        return

    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    say(f"Measured {time.strftime('%Y-%m-%d')} by `bench/run.sh` on {machine()}.")
    say(f"Medians of {args.runs} runs, page cache warm; times in seconds, memory in MB (peak RSS).")
    say()
    rows = []
    for n in sizes:
        store = work / f"store-{n}"
        if not (store / "desk.yaml").exists():
            print(f"generating {n} tickets in {store} ...", file=sys.stderr, flush=True)
            shutil.rmtree(store, ignore_errors=True)
            months = max(3, min(48, n // 2000))
            gen, _ = run(
                [desk, "demo", str(store), "--tickets", str(n), "--customers", str(max(12, n // 5)),
                 "--months", str(months), "--seed", "7"],
                env=env,
            )
            print(f"  generated in {gen:.1f} s", file=sys.stderr)
        tickets = store / "tickets"
        # Warm the page cache, and let the files age past the cache's
        # two-second window for just-written files.
        run(shell("find tickets -type f -print0 | xargs -0 cat > /dev/null"), cwd=store)
        time.sleep(2.5)
        r = {"n": n}
        r["stat"], _ = median_of(args.runs, ["find", "tickets", "-type", "f", "-printf", "%s %T@\\n"], cwd=store)
        r["read"], _ = median_of(args.runs, shell("find tickets -type f -print0 | xargs -0 cat > /dev/null"), cwd=store)
        list_cmd = [desk, "--dir", str(store), "list", "--format", "csv"]
        report_cmd = [desk, "--dir", str(store), "report", "--month", MONTH, "--format", "csv"]
        clear = lambda: run([desk, "--dir", str(store), "cache", "clear"], env=env)
        r["list_cold"], r["list_cold_mb"] = median_of(args.runs, list_cmd, before=clear, env=env)
        r["report_cold"], r["report_cold_mb"] = median_of(args.runs, report_cmd, before=clear, env=env)
        run(list_cmd, env=env)  # warm the cache
        r["list_warm"], r["list_warm_mb"] = median_of(args.runs, list_cmd, env=env)
        r["report_warm"], r["report_warm_mb"] = median_of(args.runs, report_cmd, env=env)
        new_cmd = [desk, "--dir", str(store), "new", "--customer", "C000001", "--type", "咨询",
                   "--priority", "一般", "--channel", "电话", "--title", "benchmark ticket"]
        r["new"], _ = median_of(args.runs, new_cmd, env=env)
        ticket = subprocess.run(new_cmd, env=env, capture_output=True, text=True, check=True).stdout.strip()
        update_cmd = [desk, "--dir", str(store), "update", ticket, "--note", "benchmark note"]
        r["update"], _ = median_of(args.runs, update_cmd, env=env)
        rows.append(r)

    say("| tickets | stat all (find) | read all (cat) | list warm | report warm | list cold | report cold | new | update | report peak MB (warm / cold) |")
    say("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        say(f"| {r['n']:,} | {r['stat']:.3f} | {r['read']:.3f} | {r['list_warm']:.3f} | {r['report_warm']:.3f} | "
            f"{r['list_cold']:.3f} | {r['report_cold']:.3f} | {r['new']:.3f} | {r['update']:.3f} | "
            f"{r['report_warm_mb']:.0f} / {r['report_cold_mb']:.0f} |")
    say()
    say("Ratios to the system baselines (targets: warm ≤ 2× stat and < 0.5 s; cold ≤ 2× read; new/update < 30 ms; report < 150 MB):")
    say()
    for r in rows:
        say(f"- {r['n']:,} tickets: list warm {r['list_warm'] / r['stat']:.2f}× stat, "
            f"report warm {r['report_warm'] / r['stat']:.2f}× stat; "
            f"list cold {r['list_cold'] / r['read']:.2f}× read, report cold {r['report_cold'] / r['read']:.2f}× read; "
            f"new {r['new'] * 1000:.0f} ms, update {r['update'] * 1000:.0f} ms; "
            f"report peak {max(r['report_warm_mb'], r['report_cold_mb']):.0f} MB")
    say()

    # Against PyYAML, on the largest store up to 100,000 tickets, once each
    # (the pure-Python loader takes minutes there).
    big = max((r for r in rows if r["n"] <= 100_000), key=lambda r: r["n"], default=rows[0])
    store = work / f"store-{big['n']}"
    say(f"## Against a PyYAML script ({big['n']:,} tickets, `types` and `handling` of {MONTH}, no cache)")
    say()
    desk_out = subprocess.run(
        [desk, "--dir", str(store), "report", "--month", MONTH, "--section", "types", "--format", "csv"],
        env=env, capture_output=True, text=True, check=True).stdout
    handling = subprocess.run(
        [desk, "--dir", str(store), "report", "--month", MONTH, "--section", "handling", "--format", "csv"],
        env=env, capture_output=True, text=True, check=True).stdout
    desk_out += "".join(",".join(line.split(",")[:5]) + "\n" for line in handling.splitlines())
    say("| script | seconds | desk report cold is faster by | numbers agree |")
    say("|---|---:|---:|---|")
    for label, extra in [("PyYAML, yaml.safe_load (pure Python)", []), ("PyYAML with libyaml (CSafeLoader)", ["--libyaml"])]:
        cmd = [args.python, str(HERE / "pyyaml_report.py"), str(store), MONTH] + extra
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        seconds = time.perf_counter() - start
        agree = "yes" if out == desk_out else "NO"
        say(f"| {label} | {seconds:.1f} | {seconds / big['report_cold']:.0f}× | {agree} |")
        if out != desk_out:
            print(f"--- desk\n{desk_out}--- python\n{out}", file=sys.stderr)
    say()
    if args.markdown:
        write_section(args.markdown, START, END, lines)


def write_section(markdown, start, end, lines):
    """Puts the results between the markers; the rest of the page is kept."""
    page = Path(markdown)
    text = page.read_text(encoding="utf-8") if page.exists() else ""
    if start not in text:
        text += "\n" + start + "\n" + end + "\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    page.write_text(head + start + "\n" + "\n".join(lines) + "\n" + end + tail, encoding="utf-8")
    print(f"wrote {markdown}", file=sys.stderr)


def demo_store(desk, work, n, env):
    """The benchmark store of n tickets (the main benchmark's), made once."""
    store = work / f"store-{n}"
    if not (store / "desk.yaml").exists():
        print(f"generating {n} tickets in {store} ...", file=sys.stderr, flush=True)
        shutil.rmtree(store, ignore_errors=True)
        months = max(3, min(48, n // 2000))
        run([desk, "demo", str(store), "--tickets", str(n), "--customers", str(max(12, n // 5)),
             "--months", str(months), "--seed", "7"], env=env)
    return store


def bench_run(desk, work, sizes, runs, env):
    """Times `desk run` (the scheduler, from cron) with nothing due, and with
    deliveries due through a `run` hook that does nothing."""
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} by `bench/run.sh --run-sizes` on {machine()}.",
        f"Medians of {runs} runs, page cache and ticket cache warm; times in seconds.",
        "",
        "| tickets | stat all (find) | list warm | run, nothing due | run --dry-run, 100 due | run, 100 hook deliveries |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sizes:
        store = demo_store(desk, work, n, env)
        run(shell("find tickets -type f -print0 | xargs -0 cat > /dev/null"), cwd=store)
        base = [desk, "--dir", str(store)]
        run(base + ["list", "--format", "csv"], env=env)
        time.sleep(2.5)
        stat, _ = median_of(runs, ["find", "tickets", "-type", "f", "-printf", "%s %T@\\n"], cwd=store)
        warm, _ = median_of(runs, base + ["list", "--format", "csv"], env=env)
        nothing, _ = median_of(runs, base + ["run"], env=env)
        # 100 tickets whose `created` queues a hook run: a rule of its own.
        hook = store / "hooks" / "noop.sh"
        hook.parent.mkdir(exist_ok=True)
        hook.write_text("#!/bin/sh\ncat > /dev/null\n")
        hook.chmod(0o755)
        config = store / "desk.yaml"
        original = config.read_text(encoding="utf-8")
        rule = "- name: bench-hook\n  when: created\n  if: {title: {contains: bench-run}}\n  then:\n  - run: hooks/noop.sh\n"
        if "bench-hook" not in original:
            config.write_text(original.replace("\nrules:\n", "\nrules:\n" + rule, 1), encoding="utf-8")

        def queue_100():
            for _ in range(100):
                run(base + ["new", "--customer", "C000001", "--type", "建议", "--priority", "一般",
                            "--channel", "电话", "--title", "bench-run ticket"], env=env)
            run(base + ["list", "--format", "csv"], env=env)

        dry = []
        due = []
        for _ in range(runs):
            queue_100()
            dry.append(run(base + ["run", "--dry-run"], env=env)[0])
            due.append(run(base + ["run"], env=env)[0])
        lines.append(f"| {n:,} | {stat:.3f} | {warm:.3f} | {nothing:.3f} | {statistics.median(dry):.3f} | "
                     f"{statistics.median(due):.3f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    lines.append("")
    lines.append("Target: `desk run` with nothing due < 1 s at 100,000 tickets.")
    return lines


def bench_as_of(desk, work, sizes, runs, env):
    """Times `desk report --as-of HEAD` against the cold work-tree report, on
    a copy of the demo store committed to its own repository: the two runs
    alternate, so that other work on the machine weighs on both alike, with
    git's objects loose (as after `git add`) and then packed (`git gc`)."""
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} by `bench/run.sh --as-of-sizes` on {machine()}.",
        f"Medians of {runs} runs of each, alternating, page cache warm; wall-clock and CPU "
        "(user + system, git's processes included) in seconds, memory in MB (peak RSS).",
        "",
        "| tickets | git objects | cold report | --as-of HEAD | ratio | cold CPU | --as-of CPU | "
        "ratio | peak MB (cold / as-of) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    git_env = dict(env, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null",
                   GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
                   GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")

    def timed(cmd):
        """(wall, CPU of the process and the children it waited for, peak MB)."""
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"failed: {' '.join(map(str, cmd))}")
        return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024

    for n in sizes:
        source = demo_store(desk, work, n, env)
        repo = work / f"store-{n}-git"
        if not (repo / ".git").exists():
            print(f"committing {n} tickets in {repo} ...", file=sys.stderr, flush=True)
            shutil.rmtree(repo, ignore_errors=True)
            shutil.copytree(source, repo, symlinks=True, ignore=shutil.ignore_patterns(".desk"))
            for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "store"]):
                run(["git", "-C", str(repo)] + cmd, env=git_env)
        # Loose objects first: unpack what a gc of an earlier run packed.
        for pack in list((repo / ".git" / "objects" / "pack").glob("*.pack")):
            with open(pack, "rb") as data:
                moved = pack.with_suffix(".old")
                pack.rename(moved)
                # Its index, reverse index and the like go with it.
                for other in pack.parent.glob(pack.stem + ".*"):
                    if other != moved:
                        other.unlink()
                subprocess.run(["git", "-C", str(repo), "unpack-objects", "-q"], stdin=data,
                               env=git_env, check=True)
            moved.unlink()
        report = [desk, "--dir", str(repo), "report", "--month", MONTH, "--format", "csv"]
        as_of = report + ["--as-of", "HEAD"]
        # The same numbers, byte for byte.
        if (subprocess.run(report, env=env, capture_output=True).stdout
                != subprocess.run(as_of, env=env, capture_output=True).stdout):
            sys.exit("report --as-of HEAD differs from the work tree's report")
        for objects in ("loose", "packed"):
            if objects == "packed":
                run(["git", "-C", str(repo), "gc", "-q"], env=git_env)
            run(shell("find tickets .git/objects -type f -print0 | xargs -0 cat > /dev/null"), cwd=repo)
            time.sleep(2.5)
            cold, then = [], []
            for _ in range(runs):
                run([desk, "--dir", str(repo), "cache", "clear"], env=env)
                cold.append(timed(report))
                then.append(timed(as_of))
            med = lambda rows, k: statistics.median(r[k] for r in rows)
            lines.append(
                f"| {n:,} | {objects} | {med(cold, 0):.3f} | {med(then, 0):.3f} | "
                f"{med(then, 0) / med(cold, 0):.2f}× | {med(cold, 1):.2f} | {med(then, 1):.2f} | "
                f"{med(then, 1) / med(cold, 1):.2f}× | {max(r[2] for r in cold):.0f} / "
                f"{max(r[2] for r in then):.0f} |")
            print(lines[-1], file=sys.stderr, flush=True)
    lines.append("")
    lines.append("Target: `report --as-of HEAD` at most 3× the cold work-tree report. The "
                 "reports printed the same bytes.")
    return lines


def bench_customers(desks, work, sizes, runs, env):
    """Times customer writes and customer list on stores of many customers."""
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} by `bench/run.sh --customer-sizes` on {machine()}.",
        f"Medians of {runs} runs, page cache warm; times in seconds.",
        "",
        "| customers | desk | stat all (find) | list warm | list cold (no index) | add | edit | add after a file appeared |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    counter = [0]

    def fresh_phone():
        # Unique across runs and invocations: the store keeps what is added.
        counter[0] += 1
        return f"199{(time.time_ns() // 1000 + counter[0]) % 10**8:08d}"

    for n in sizes:
        store = work / f"customers-{n}"
        if not (store / "desk.yaml").exists():
            print(f"generating {n} customers in {store} ...", file=sys.stderr, flush=True)
            shutil.rmtree(store, ignore_errors=True)
            run([desks[-1][1], "demo", str(store), "--tickets", str(max(60, n // 10)),
                 "--customers", str(n), "--months", "12", "--seed", "7"], env=env)
        run(shell("find customers tickets -type f -print0 | xargs -0 cat > /dev/null"), cwd=store)
        time.sleep(2.5)
        stat, _ = median_of(runs, ["find", "customers", "-type", "f", "-printf", "%s %T@\\n"], cwd=store)
        index = store / ".desk" / "cache" / "customers.bin"
        for label, binary in desks:
            base = [binary, "--dir", str(store)]
            list_cmd = base + ["customer", "list", "--format", "csv"]
            forget = lambda: index.unlink(missing_ok=True)
            cold, _ = median_of(runs, list_cmd, before=forget, env=env)
            run(list_cmd, env=env)
            time.sleep(2.5)  # past the index's racy window
            run(list_cmd, env=env)
            warm, _ = median_of(runs, list_cmd, env=env)

            def timed(make):
                times = [run(make(), env=env)[0] for _ in range(runs)]
                return statistics.median(times)

            add = lambda: base + ["customer", "add", "--kind", "individual", "--name", "基准",
                                  "--phone", fresh_phone()]
            t_add = timed(add)
            added = subprocess.run(add(), env=env, capture_output=True, text=True, check=True).stdout.strip()
            edit = lambda: base + ["customer", "edit", added, "--set", f"phone={fresh_phone()}"]
            t_edit = timed(edit)

            def appeared():
                # A file renamed into customers/, as git checkout writes one.
                name = f"CX{time.time_ns()}"  # not a number: leaves ID allocation alone
                src = store / "customers" / "C000001.yaml"
                text = src.read_text(encoding="utf-8").replace("C000001", name)
                text = "\n".join(l for l in text.splitlines() if not l.startswith(("phone:", "email:")))
                tmp = store / "customers" / f".{name}.tmp"
                tmp.write_text(text + "\n", encoding="utf-8")
                tmp.rename(store / "customers" / f"{name}.yaml")
                return add()

            t_appeared = timed(appeared)
            lines.append(f"| {n:,} | {label} | {stat:.3f} | {warm:.3f} | {cold:.3f} | {t_add:.3f} | "
                         f"{t_edit:.3f} | {t_appeared:.3f} |")
            print(lines[-1], file=sys.stderr, flush=True)
    lines.append("")
    lines.append("Targets: add and edit < 50 ms, warm list < 0.3 s at 100,000 customers.")
    return lines


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
