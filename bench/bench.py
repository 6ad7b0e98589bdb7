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

With --git-sizes it commits a copy of the demo store to its own repository
and times git status, the add and commit of one changed ticket and the
merge of another branch's 100 changed tickets, with git's defaults and with
the settings desk git-setup makes.

With --mail-sizes it times `desk mail-in --maildir` filing --mail-messages
messages (1,000) into a fresh copy of the demo store, its caches warm: a
seeded mix made from tests/mail/ of new mail from the store's customers
(plain, HTML alternative, GBK, with an attachment), mail from unknown
senders, replies threaded by In-Reply-To to mail earlier in the batch and
replies naming an existing ticket in the subject, from its customer. It
checks the outcome from desk's output (exit 0, a line per message, as many
created, replied and held as planned) and compares with floors measured on
the same copy: a stat of every ticket file plus a read of every message,
and a warm `desk list`; then times single messages alone.

Usage: bench.py DESK_BINARY WORKDIR [--sizes 10000,100000] [--runs 5] [--markdown FILE]
                [--customer-sizes 100000] [--desk-before OLD_DESK_BINARY]
                [--run-sizes 100000] [--as-of-sizes 100000]
                [--mail-sizes 100000] [--mail-messages 1000] [--git-sizes 100000]
"""
import argparse
import base64
import os
import platform
import random
import re
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
MAIL_START = "<!-- bench-mail:start (written by bench/run.sh --mail-sizes) -->"
MAIL_END = "<!-- bench-mail:end -->"
GIT_START = "<!-- bench-git:start (written by bench/run.sh --git-sizes) -->"
GIT_END = "<!-- bench-git:end -->"
HTML_START = "<!-- bench-html:start (written by bench/run.sh --html-sizes) -->"
HTML_END = "<!-- bench-html:end -->"


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
    ap.add_argument("--mail-sizes", default="")
    ap.add_argument("--mail-messages", type=int, default=1000)
    ap.add_argument("--html-sizes", default="")
    ap.add_argument("--git-sizes", default="")
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
    mail_sizes = [int(s) for s in args.mail_sizes.split(",") if s]
    if mail_sizes:
        out = bench_mail(desk, work, mail_sizes, args.mail_messages, args.runs, env)
        if args.markdown:
            write_section(args.markdown, MAIL_START, MAIL_END, out)
    git_sizes = [int(s) for s in args.git_sizes.split(",") if s]
    if git_sizes:
        out = bench_git(desk, work, git_sizes, args.runs, env)
        if args.markdown:
            write_section(args.markdown, GIT_START, GIT_END, out)
    html_sizes = [int(s) for s in args.html_sizes.split(",") if s]
    if html_sizes:
        out = bench_html(desk, work, html_sizes, args.runs, env)
        if args.markdown:
            write_section(args.markdown, HTML_START, HTML_END, out)
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


def bench_git(desk, work, sizes, runs, env):
    """Times the git operations of a team's daily loop on a copy of the demo
    store committed to its own repository, with git's defaults and then with
    the settings `desk git-setup` makes (index version 4, the untracked
    cache, a commit graph on fetch; src/store/git.rs): `git status` of a
    clean tree, adding and committing one changed ticket, and the merge a
    pull makes of another clone's commit that touched 100 tickets (after a
    commit of this clone's own, so a true merge, undone between runs). A third
    configuration adds git's split index (`core.splitIndex`), which desk
    does not set: measured to decide whether it should."""
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} by `bench/run.sh --git-sizes` on {machine()}.",
        f"Medians of {runs} runs, page cache warm; seconds. `.git/index` in MB.",
        "",
        "| tickets | git config | status | add + commit one ticket | merge of 100 changed tickets | index MB |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    git_env = dict(env, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null",
                   GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
                   GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com",
                   # No automatic gc or maintenance starting behind a timed command.
                   GIT_CONFIG_COUNT="2", GIT_CONFIG_KEY_0="gc.auto", GIT_CONFIG_VALUE_0="0",
                   GIT_CONFIG_KEY_1="maintenance.auto", GIT_CONFIG_VALUE_1="false")
    tuned = [("index.version", "4"), ("core.untrackedCache", "true"),
             ("fetch.writeCommitGraph", "true")]
    for n in sizes:
        source = demo_store(desk, work, n, env)
        repo = work / f"store-{n}-gitops"
        git = lambda *a: ["git", "-C", str(repo), *a]
        if not (repo / ".git").exists():
            print(f"committing {n} tickets in {repo} ...", file=sys.stderr, flush=True)
            shutil.rmtree(repo, ignore_errors=True)
            shutil.copytree(source, repo, symlinks=True, ignore=shutil.ignore_patterns(".desk"))
            (repo / ".gitignore").write_text(".desk/\n")
            for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "store"],
                        ["gc", "-q"]):
                run(git(*cmd), env=git_env)
        tickets = sorted((repo / "tickets").rglob("*.yaml"))
        # Another clone's commit: 100 tickets spread over the store.
        theirs = tickets[:: max(1, len(tickets) // 100)][:100]
        mine = next(t for t in tickets[len(tickets) // 2:] if t not in theirs)
        run(git("checkout", "-q", "-B", "main"), env=git_env)
        run(git("branch", "-f", "other", "main"), env=git_env)
        run(git("checkout", "-q", "other"), env=git_env)
        for t in theirs:
            with open(t, "a", encoding="utf-8") as f:
                f.write("# changed by another clone\n")
        run(git("commit", "-q", "-a", "-m", "another clone's 100 tickets"), env=git_env)
        run(git("checkout", "-q", "main"), env=git_env)
        split = [("core.splitIndex", "true")]
        configs = [("git's defaults", []), ("desk git-setup", tuned),
                   ("desk git-setup + split index", tuned + split)]
        for config, settings in configs:
            for key, value in tuned + split:
                if (key, value) in settings:
                    run(git("config", "--local", key, value), env=git_env)
                else:
                    run(git("config", "--local", "--unset", key), env=git_env, check=False)
            # The index as each configuration writes it.
            version = "4" if settings else "2"
            cache = "--untracked-cache" if settings else "--no-untracked-cache"
            splitting = "--split-index" if split[0] in settings else "--no-split-index"
            run(git("update-index", "--index-version", version, cache, splitting), env=git_env)
            run(git("status", "--porcelain"), env=git_env)
            run(shell("find tickets .git -type f -print0 | xargs -0 cat > /dev/null"), cwd=repo)
            status, _ = median_of(runs, git("status", "--porcelain"), env=git_env)
            commits, merges = [], []
            for i in range(runs):
                with open(mine, "a", encoding="utf-8") as f:
                    f.write(f"# bench {config} {i}\n")
                start = time.perf_counter()
                run(git("add", str(mine.relative_to(repo))), env=git_env)
                run(git("commit", "-q", "-m", "one ticket"), env=git_env)
                commits.append(time.perf_counter() - start)
                t, _ = run(git("merge", "-q", "--no-edit", "other"), env=git_env)
                merges.append(t)
                run(git("reset", "-q", "--hard", "HEAD~1"), env=git_env)
            # With a split index: the small index git rewrites on each change,
            # and the newest shared part beside it.
            shared = sorted((repo / ".git").glob("sharedindex.*"), key=lambda p: p.stat().st_mtime)
            index_mb = ((repo / ".git" / "index").stat().st_size
                        + (shared[-1].stat().st_size if split[0] in settings and shared else 0)) / 1e6
            lines.append(
                f"| {n:,} | {config} | {status:.3f} | {statistics.median(commits):.3f} | "
                f"{statistics.median(merges):.3f} | {index_mb:.1f} |")
            print(lines[-1], file=sys.stderr, flush=True)
    lines.append("")
    lines.append("The merge is what `git pull` (and `desk sync`) does after fetching: the "
                 "100 tickets were changed by the other branch only, so no merge driver runs.")
    return lines


def bench_html(desk, work, sizes, runs, env):
    """Times the HTML report (`--html -`, every section as a page with its
    charts) against the CSV report of the same month, warm, alternating."""
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} by `bench/run.sh --html-sizes` on {machine()}.",
        f"Medians of {runs} runs of each, alternating, cache and page cache warm; seconds, "
        "memory in MB (peak RSS).",
        "",
        "| tickets | report CSV | report HTML | ratio | HTML page bytes | peak MB (CSV / HTML) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sizes:
        store = demo_store(desk, work, n, env)
        csv_cmd = [desk, "--dir", str(store), "report", "--month", MONTH, "--format", "csv"]
        html_cmd = [desk, "--dir", str(store), "report", "--month", MONTH, "--html", "-"]
        page = subprocess.run(html_cmd, env=env, capture_output=True, check=True).stdout
        run(csv_cmd, env=env)
        csv_runs, html_runs = [], []
        for _ in range(runs):
            csv_runs.append(median_of(1, csv_cmd, env=env))
            html_runs.append(median_of(1, html_cmd, env=env))
        med = lambda rows, i: statistics.median(r[i] for r in rows)
        lines.append(
            f"| {n:,} | {med(csv_runs, 0):.3f} | {med(html_runs, 0):.3f} | "
            f"{med(html_runs, 0) / med(csv_runs, 0):.2f}× | {len(page):,} | "
            f"{max(r[1] for r in csv_runs):.0f} / {max(r[1] for r in html_runs):.0f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    lines.append("")
    lines.append("Target: the HTML report within 1.5× of the CSV report, warm.")
    return lines


CORPUS = HERE.parent / "tests" / "mail"
SUBJECTS = [
    "打印机无法使用", "发票开错了，请重开", "订单未到货", "账号被锁定", "退款申请", "登录失败",
    "安装后无法启动", "合同续签咨询", "数据导出报错", "Printer not working", "Cannot log in",
    "Invoice amount is wrong", "Question about the API rate limit", "Delivery is late",
]


def set_headers(raw, changes):
    """The message `raw` (CRLF lines) with the headers of `changes` replaced,
    a value of None removing one; a header it lacks is added at the top."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line  # a folded line
        else:
            fields.append(line)
    out, done = [], set()
    for field in fields:
        name = field.split(b":", 1)[0].decode(errors="replace").lower()
        key = next((k for k in changes if k.lower() == name), None)
        if key is None:
            out.append(field)
        elif key not in done:
            done.add(key)
            if changes[key] is not None:
                out.append(f"{key}: {changes[key]}".encode())
    for key, value in changes.items():
        if key not in done and value is not None:
            out.insert(0, f"{key}: {value}".encode())
    return b"\r\n".join(out) + sep + body


def encoded(text, charset="utf-8"):
    """An RFC 2047 encoded word for a header, when the text needs one."""
    if text.isascii():
        return text
    return f"=?{charset}?b?{base64.b64encode(text.encode(charset)).decode()}?="


def store_mail_facts(store):
    """The customers with an e-mail (id -> (name, address)), desk.yaml's
    unknown_sender, and a reader of a ticket file's ID, customer and title."""
    customers = {}
    for path in sorted((store / "customers").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        email = re.search(r"(?m)^email: *'?([^'\s]+)'?$", text)
        name = re.search(r"(?m)^name: *'?(.*?)'?$", text)
        if email:
            customers[path.stem] = (name.group(1) if name else path.stem, email.group(1))
    config = (store / "desk.yaml").read_text(encoding="utf-8")
    hold = re.search(r"(?m)^\s+unknown_sender: *hold\b", config) is not None
    return customers, hold


def make_mail(store, maildir, count, seed):
    """A deterministic Maildir of `count` messages for `store`; returns
    what desk should make of them (created, replied, held) and the mix."""
    rng = random.Random(seed)
    customers, hold = store_mail_facts(store)
    if not customers:
        sys.exit(f"{store}: no customer has an e-mail address")
    templates = {k: (CORPUS / f"{k}.eml").read_bytes()
                 for k in ("plain", "alternative", "gbk", "attachment", "reply")}
    mix = {"unknown": count * 10 // 100, "gbk": count * 4 // 100, "attachment": count * 2 // 100,
           "thread": count * 10 // 100, "subject": count * 6 // 100}
    mix["known"] = count - sum(mix.values())
    kinds = [k for k, n in mix.items() for _ in range(n)]
    rng.shuffle(kinds)
    first = kinds.index("known")  # a reply needs an earlier message to answer
    kinds[0], kinds[first] = kinds[first], kinds[0]
    # Distinct senders for new mail: none nears the hourly rate limit.
    ids = sorted(customers)
    chosen = rng.sample(ids, min(len(ids), count))
    senders = iter(chosen)
    # Existing tickets whose customer has an address, for replies by subject.
    files = sorted((store / "tickets").rglob("*.yaml"))
    existing = []
    for path in rng.sample(files, min(len(files), 20 * mix["subject"] + 100)):
        text = path.read_text(encoding="utf-8")
        customer = re.search(r"(?m)^customer: *'?(\w+)'?$", text)
        title = re.search(r"(?m)^title: *'?(.*?)'?$", text)
        if customer and title and customer.group(1) in customers:
            existing.append((path.stem, customer.group(1), title.group(1)))
    if len(existing) < mix["subject"]:
        sys.exit(f"{store}: too few tickets of customers with an e-mail address")
    for d in ("tmp", "new", "cur"):
        (maildir / d).mkdir(parents=True, exist_ok=True)
    sent = []  # (Message-ID, From, Subject) of new mail from customers
    for i, kind in enumerate(kinds):
        mid = f"<bench-{i:05d}@mail.example.cn>"
        date = f"Mon, 23 Nov 2026 {8 + i * 9 // count:02d}:{i % 60:02d}:{(i * 7) % 60:02d} +0800"
        changes = {"Message-ID": mid, "Date": date}
        if kind in ("known", "gbk", "attachment", "unknown"):
            subject = rng.choice(SUBJECTS)
            if kind == "unknown":
                name, address = f"Visitor {i}", f"visitor{i:05d}@example.org"
            else:
                name, address = customers[next(senders)]
            charset = "gbk" if kind == "gbk" else "utf-8"
            sender = f"{encoded(name, charset)} <{address}>"
            changes.update({"From": sender, "Subject": encoded(subject, charset)})
            if kind == "known":
                kind_file = rng.choice(("plain", "alternative"))
            else:
                kind_file = "plain" if kind == "unknown" else kind
            if kind != "unknown":
                sent.append((mid, sender, subject))
            raw = set_headers(templates[kind_file], changes)
        elif kind == "thread":
            to, sender, subject = rng.choice(sent)
            changes.update({"From": sender, "Subject": encoded("Re: " + subject),
                            "In-Reply-To": to, "References": to})
            raw = set_headers(templates["reply"], changes)
        else:  # a reply naming an existing ticket, from its customer (as QQ Mail sends)
            ticket, customer, title = existing.pop(rng.randrange(len(existing)))
            name, address = customers[customer]
            changes.update({"From": f"{encoded(name)} <{address}>",
                            "Subject": encoded(f"Re: [{ticket}] {title}"),
                            "In-Reply-To": None, "References": None})
            raw = set_headers(templates["reply"], changes)
        (maildir / "new" / f"{1795400000 + i}.M{i:06d}P1.bench").write_bytes(raw)
    created = mix["known"] + mix["gbk"] + mix["attachment"] + (0 if hold else mix["unknown"])
    expected = {"created": created, "replied": mix["thread"] + mix["subject"],
                "held": mix["unknown"] if hold else 0}
    return expected, mix, hold, set(chosen)


def bench_mail(desk, work, sizes, count, runs, env):
    """Times `desk mail-in --maildir` of `count` messages into a fresh copy of
    the demo store, its caches warm, against floors measured on that copy."""
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} by `bench/run.sh --sizes '' --mail-sizes "
        f"{','.join(map(str, sizes))} --runs {runs}` on {machine()}; load average "
        f"{load()} at the start.",
        f"Medians of {runs} runs, each on a fresh copy (`cp -a`) of the demo store whose ticket "
        "and customer caches a `desk list` and a `desk customer list` built first (untimed), "
        "page cache warm; wall-clock and CPU (user + system) in seconds.",
        "",
        "| tickets | messages | mail-in wall | per message | mail-in CPU | floor: stat tickets + "
        "read messages | ratio | warm `desk list` | per message ÷ warm list | one message alone |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []

    def timed(cmd, out=subprocess.DEVNULL, err=subprocess.DEVNULL, cwd=None):
        """(wall, CPU user + system, exit code)."""
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        return (time.perf_counter() - start, usage.ru_utime + usage.ru_stime,
                os.waitstatus_to_exitcode(status))

    def med3(cmd, cwd=None):
        return statistics.median(timed(cmd, cwd=cwd)[0] for _ in range(3))

    for n in sizes:
        source = demo_store(desk, work, n, env)
        base = work / f"mail-{n}"
        shutil.rmtree(base, ignore_errors=True)
        expected, mix, hold, used = make_mail(source, base / "Maildir", count, seed=7)
        print(f"mail mix {mix}, expecting {expected}", file=sys.stderr, flush=True)
        copy = work / f"mail-{n}-run"
        walls, cpus, floors, lists = [], [], [], []
        for r in range(runs):
            shutil.rmtree(copy, ignore_errors=True)
            copy.mkdir()
            run(["cp", "-a", str(source), str(copy / "store")])
            run(["cp", "-a", str(base / "Maildir"), str(copy / "Maildir")])
            store, maildir = copy / "store", copy / "Maildir"
            desk_store = [desk, "--dir", str(store)]
            run(desk_store + ["list", "--format", "csv"], env=env)
            run(desk_store + ["customer", "list", "--format", "csv"], env=env)
            time.sleep(2.5)  # past the caches' two-second window for fresh files
            run(desk_store + ["list", "--format", "csv"], env=env)
            run(desk_store + ["customer", "list", "--format", "csv"], env=env)
            floor = med3(shell("find tickets -type f -printf '%s %T@\\n' > /dev/null && "
                               "find ../Maildir/new -type f -print0 | xargs -0 cat > /dev/null"),
                         cwd=store)
            warm = med3(desk_store + ["list", "--format", "csv"])
            with open(copy / "out.txt", "wb") as out, open(copy / "err.txt", "wb") as err:
                wall, cpu, code = timed(desk_store + ["mail-in", "--maildir", str(maildir)], out, err)
            said = (copy / "out.txt").read_text(encoding="utf-8").splitlines()
            words = {}
            for line in said:
                words[line.split("\t")[1]] = words.get(line.split("\t")[1], 0) + 1
            errors = (copy / "err.txt").read_text(encoding="utf-8", errors="replace")
            summary = errors.strip().splitlines()[-1] if errors.strip() else "(nothing on stderr)"
            print(f"run {r + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU, exit {code}, {words}; "
                  f"floor {floor:.3f} s, warm list {warm:.3f} s; {summary}", file=sys.stderr, flush=True)
            got = {k: words.get(k, 0) for k in expected}
            left = len(os.listdir(maildir / "new"))
            if code != 0 or len(said) != count or got != expected or left:
                sys.exit(f"desk mail-in: exit {code}, {len(said)} lines for {count} messages, "
                         f"{got} for {expected}, {left} left in new/:\n{errors[-3000:]}")
            walls.append(wall)
            cpus.append(cpu)
            floors.append(floor)
            lists.append(warm)
        new_customers = errors.count("new customer")
        held = len(list((store / "mail" / "held").glob("*.eml"))) if hold else 0
        # One message alone, against the same store warm again (as cron
        # would find it): new mail from a customer not yet written to.
        run(desk_store + ["list", "--format", "csv"], env=env)
        customers, _ = store_mail_facts(store)
        spare = sorted(c for c in customers if c not in used)
        rng = random.Random(11)
        alone = []
        for k in range(max(3, runs)):
            time.sleep(2.5)
            name, address = customers[rng.choice(spare)]
            raw = set_headers((CORPUS / "plain.eml").read_bytes(), {
                "From": f"{encoded(name)} <{address}>", "Message-ID": f"<bench-alone-{k}@mail.example.cn>",
                "Subject": encoded(rng.choice(SUBJECTS))})
            one = copy / f"alone-{k}.eml"
            one.write_bytes(raw)
            wall, _, code = timed(desk_store + ["mail-in", str(one)])
            if code != 0:
                sys.exit(f"desk mail-in {one}: exit {code}")
            alone.append(wall)
        wall, cpu, floor, warm = (statistics.median(x) for x in (walls, cpus, floors, lists))
        per = wall / count
        lines.append(
            f"| {n:,} | {count:,} | {wall:.1f} | {per * 1000:.0f} ms | {cpu:.1f} | {floor:.3f} | "
            f"{wall / floor:.0f}× | {warm:.3f} | {per / warm:.2f}× | "
            f"{statistics.median(alone) * 1000:.0f} ms |")
        print(lines[-1], file=sys.stderr, flush=True)
        notes.append(
            f"- {n:,} tickets: {', '.join(f'{v} {k}' for k, v in mix.items())} messages; every run "
            f"exited 0 and printed {expected['created']} `created`, {expected['replied']} "
            f"`replied`, {expected['held']} `held` ({new_customers} new customers for unknown "
            f"senders), as planned; nothing left in `new/`. Last run's stderr ends: `{summary}`. "
            f"Run times: {', '.join(f'{w:.1f}' for w in walls)} s.")
    target_met = all(float(l.split("|")[4].split()[0]) <= 20 for l in lines[5:])
    lines.append("")
    lines.extend(notes)
    lines.append("")
    lines.append(f"Load average at the end: {load()}. Target: at most 20 ms a message warm: "
                 + ("**met**." if target_met else "**not met**."))
    return lines


def load():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


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
