#!/usr/bin/env python3
"""Kill trials of `desk run`: how often a run killed at a random moment makes
the next run send a mail a second time. Run it through bench/kill_run.sh.

A store made by `desk init` (its shipped rules and templates) gets MAILS
complaints, each of which queues one mail to the supervisor. For each trial
a copy of that store runs `desk run` against a real SMTP server on 127.0.0.1
(tests/smtp_server.py, Python's aiosmtpd, storing each message raw before it
answers; --parsing-server: reading it first, a few milliseconds more), and
`desk run` is killed with SIGKILL at a moment drawn uniformly from the length
of an unkilled run; a second `desk run` then finishes the work, as cron's next
run would. The mails the server
received during the trial are counted by Message-ID:

  - a duplicate: a Message-ID received twice (the killed run sent it, but its
    `notified` was not written before the kill);
  - lost: a queued mail never received (must never happen).

Prints one line per trial with --verbose, then the totals: killed runs that
sent some mail twice, per 100 kills, and the duplicates and losses in all.
Exits 1 when a mail was lost.

A duplicate happens when the kill falls between the moment the server has the
whole message and the moment desk has recorded `notified`; how often, per
kill, is that window's share of the time a run spends per mail.

Usage: kill_run.py DESK_BINARY WORKDIR [--kills 100] [--mails 40] [--seed 1]
                   [--label NAME] [--parsing-server] [--verbose]
"""
import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER = HERE.parent / "tests" / "smtp_server.py"
NOW = "2026-11-23T10:00:00+08:00"
RUN_AT = "2026-11-23T10:30:00+08:00"


class Server:
    """tests/smtp_server.py, storing each message as DIR/NNNN.json."""

    def __init__(self, directory, options=()):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), str(self.directory), *options],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.proc.kill()
            sys.exit("kill_run: the test SMTP server did not start (is aiosmtpd installed? "
                     "scripts/test installs it; bench/kill_run.sh finds it): "
                     + self.proc.stderr.read())
        self.port = int(line)
        # Its later lines (one per message) must not fill the pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def message_ids(self):
        """The Message-IDs of every message stored so far, in order."""
        ids = []
        for path in sorted(self.directory.glob("*.json")):
            with open(path, encoding="utf-8") as f:
                ids.append(json.load(f)["headers"].get("Message-ID"))
        return ids

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def desk(binary, store, *args, now=RUN_AT, check=True):
    env = dict(os.environ, DESK_NOW=now, DESK_ACTOR="cron", DESK_DIR=str(store))
    env.pop("DESK_KEY_FILE", None)
    result = subprocess.run([binary, *args], env=env, stdin=subprocess.DEVNULL, cwd=store,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and result.returncode != 0:
        sys.exit(f"kill_run: desk {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def make_store(binary, path, port, mails):
    """A store whose next `desk run` sends `mails` mails."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    desk(binary, path, "init", ".",
         "--agent", "li.na:李娜:service:li.na@example.com",
         "--agent", "wang.qiang:王强:engineer:wang.qiang@example.com",
         "--agent", "chen.jing:陈静:主管:chen.jing@example.com", now=NOW)
    with open(path / "desk.yaml", "a", encoding="utf-8") as f:
        f.write("mail:\n  from: 客服中心 <service@example.com>\n  timeout: 10\n"
                f"  smtp: {{host: 127.0.0.1, port: {port}, security: none}}\n")
    customer = desk(binary, path, "customer", "add", "--kind", "individual", "--name", "张三",
                    "--phone", "13900000001", now=NOW).stdout.strip()
    for i in range(mails):
        desk(binary, path, "new", "--customer", customer, "--type", "投诉", "--channel", "phone",
             "--priority", "紧急", "--title", f"投诉 {i}", now=NOW)
    queued = desk(binary, path, "outbox", "--format", "csv").stdout.strip().splitlines()
    if len(queued) - 1 != mails:
        sys.exit(f"kill_run: expected {mails} queued mails, the outbox has:\n" + "\n".join(queued))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("desk")
    parser.add_argument("workdir")
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--mails", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default=None)
    parser.add_argument("--parsing-server", action="store_true",
                        help="the test server reads every message with Python's email package "
                             "before it answers (a few ms) instead of storing it raw")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    binary = str(Path(args.desk).resolve())
    work = Path(args.workdir).resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    server = Server(work / "mail", () if args.parsing_server else ("--raw",))
    try:
        template = work / "template"
        make_store(binary, template, server.port, args.mails)

        # The length of an unkilled run, over which kill moments are drawn.
        before = len(server.message_ids())
        trial = work / "trial"
        shutil.copytree(template, trial, symlinks=True)
        start = time.perf_counter()
        desk(binary, trial, "run")
        length = time.perf_counter() - start
        sent = len(server.message_ids()) - before
        if sent != args.mails:
            sys.exit(f"kill_run: an unkilled run sent {sent} mails, expected {args.mails}")

        rng = random.Random(args.seed)
        runs_with_duplicates = 0
        duplicates = 0
        lost = 0
        killed = 0
        for n in range(args.kills):
            shutil.rmtree(trial)
            shutil.copytree(template, trial, symlinks=True)
            before = len(server.message_ids())
            delay = rng.uniform(0, length)
            env = dict(os.environ, DESK_NOW=RUN_AT, DESK_ACTOR="cron", DESK_DIR=str(trial))
            proc = subprocess.Popen([binary, "run"], env=env, stdin=subprocess.DEVNULL, cwd=trial,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            finished_first = proc.poll() is not None
            if not finished_first:
                os.kill(proc.pid, signal.SIGKILL)
                killed += 1
            proc.wait()
            # cron's next run (a failed one would be retried: run until none is due).
            for attempt in range(3):
                after = desk(binary, trial, "run", check=False)
                if after.returncode == 0:
                    break
                if args.verbose:
                    problems = [line for line in after.stderr.splitlines()
                                if "delivered" not in line]
                    print(f"trial {n + 1}: run {attempt + 1} after the kill failed:\n  "
                          + "\n  ".join(problems[:20]), flush=True)
            else:
                print(f"trial {n + 1}: the runs after the kill failed:\n{after.stderr}",
                      file=sys.stderr, flush=True)
            ids = server.message_ids()[before:]
            counts = collections.Counter(ids)
            twice = sum(c - 1 for c in counts.values() if c > 1)
            missing = args.mails - len(counts)
            duplicates += twice
            lost += max(missing, 0)
            runs_with_duplicates += twice > 0
            if args.verbose:
                print(f"trial {n + 1}: kill after {delay * 1000:.0f} ms"
                      f"{' (had finished)' if finished_first else ''}: "
                      f"{len(ids)} received, {twice} twice, {missing} missing", flush=True)
        label = (args.label or binary) + (", parsing server" if args.parsing_server else "")
        per_100 = 100.0 * runs_with_duplicates / killed if killed else 0.0
        print(f"{label}: {args.kills} trials, {killed} runs killed (an unkilled run of "
              f"{args.mails} mails takes {length * 1000:.0f} ms); killed runs that sent a mail "
              f"twice: {runs_with_duplicates} ({per_100:.1f} per 100 kills); duplicate mails "
              f"{duplicates}; lost mails {lost}")
        return 1 if lost else 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
