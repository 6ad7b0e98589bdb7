#!/usr/bin/env python3
"""Kill trials of `desk mail-in --maildir`: does a run killed at a random
moment lose or double a message? Run it through bench/kill_mail_in.sh.

A store made by `desk init` (its shipped rules) and a Maildir whose new/
holds MAILS messages, each from a different sender with its own Message-ID
(a copy of tests/mail/plain.eml). For each trial a copy of both runs
`desk mail-in --maildir`, killed with SIGKILL at a moment drawn uniformly
from the length of an unkilled run; a second run then finishes the work, as
cron's next run would. Then:

  - lost: a message whose Message-ID no ticket records (must never happen);
  - doubled: a Message-ID recorded by two tickets, or twice in one (must
    never happen);
  - left: a message still in new/ (must never happen after the second run);
  - re-filed: messages the second run found filed already (killed after the
    ticket was written, before the move to cur/): counted as `skipped`, the
    window exactly-once exists for;
  - with --attachment (each message a copy of tests/mail/attachment.eml): the
    files of a ticket's attachment folder that no event of it lists (its
    attachment and the message itself, `message-….eml`), folders of no
    ticket (a kill between saving the attachment and writing its ticket), and
    temporary files of killed writes (counted apart: cleaned up later).

Prints one line per trial with --verbose, then the totals. Exits 1 when a
message was lost, doubled or left.

Usage: kill_mail_in.py DESK_BINARY WORKDIR [--kills 100] [--mails 40]
                       [--seed 1] [--attachment] [--verbose]
"""
import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "tests" / "mail"
NOW = "2026-11-23T10:00:00+08:00"


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith("DESK_")}
    e["DESK_NOW"] = NOW
    e["DESK_ACTOR"] = "mail"
    return e


def make_base(desk, base, mails, message):
    if base.exists():
        shutil.rmtree(base)
    store, maildir = base / "store", base / "Maildir"
    store.mkdir(parents=True)
    subprocess.run([desk, "init", str(store)], check=True, env=env(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for d in ("tmp", "new", "cur"):
        (maildir / d).mkdir(parents=True)
    text = (CORPUS / message).read_bytes()
    ids = []
    for i in range(mails):
        mid = f"kill-{i:04d}@mail.example.com"
        ids.append(mid)
        body = re.sub(rb"(?m)^From:.*$", f"From: c{i}@example.com\r".encode(), text)
        body = re.sub(rb"(?m)^Message-ID:.*$", f"Message-ID: <{mid}>\r".encode(), body)
        (maildir / "new" / f"{1700000000 + i}.{i}.host").write_bytes(body)
    return ids


def run(desk, store, maildir, kill_after=None):
    start = time.monotonic()
    proc = subprocess.Popen([desk, "mail-in", "--maildir", str(maildir)], cwd=store,
                            env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    if kill_after is not None:
        try:
            out, _ = proc.communicate(timeout=kill_after)
            return time.monotonic() - start, out.decode(), False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return time.monotonic() - start, out.decode(), True
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"kill_mail_in: desk mail-in failed ({proc.returncode}): {err.decode()}")
    return time.monotonic() - start, out.decode(), False


def recorded(store):
    """Message-ID -> number of times recorded across ticket files."""
    counts = {}
    for path in (store / "tickets").rglob("*.yaml"):
        for line in path.read_text().splitlines():
            m = re.match(r"\s+message_id: (\S+)$", line)
            if m:
                counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("desk")
    ap.add_argument("workdir")
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--mails", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--attachment", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    desk = str(Path(a.desk).resolve())
    work = Path(a.workdir).resolve()
    base = work / "base"
    ids = make_base(desk, base, a.mails, "attachment.eml" if a.attachment else "plain.eml")

    # An unkilled run, for the length the kill moments are drawn from.
    probe = work / "probe"
    shutil.rmtree(probe, ignore_errors=True)
    shutil.copytree(base, probe, symlinks=True)
    full, _, _ = run(desk, probe / "store", probe / "Maildir")
    rng = random.Random(a.seed)
    totals = dict(killed=0, lost=0, doubled=0, left=0, refiled=0, failed=0, extra=0, orphans=0,
                  temps=0)
    for trial in range(a.kills):
        t = work / "trial"
        shutil.rmtree(t, ignore_errors=True)
        shutil.copytree(base, t, symlinks=True)
        store, maildir = t / "store", t / "Maildir"
        moment = rng.uniform(0, full)
        _, _, killed = run(desk, store, maildir, kill_after=moment)
        totals["killed"] += killed
        _, out, _ = run(desk, store, maildir)
        refiled = sum(1 for l in out.splitlines() if "\tskipped\t" in l)
        counts = recorded(store)
        lost = sum(1 for i in ids if i not in counts)
        doubled = sum(1 for i in ids if counts.get(i, 0) > 1)
        left = len(os.listdir(maildir / "new"))
        failed = len(list((maildir / ".desk-failed").rglob("*"))) if (maildir / ".desk-failed").exists() else 0
        extra = orphans = temps = 0
        tickets = {p.stem: p for p in (store / "tickets").rglob("*.yaml")}
        if (store / "attachments").exists():
            for folder in (store / "attachments").iterdir():
                names = [f.name for f in folder.iterdir()]
                # A killed write's temporary file (.NAME.PID.N.tmp): not an
                # attachment; the next writer of the folder, `desk run` and
                # `desk check --fix` remove it.
                temp = [n for n in names if n.startswith(".") and n.endswith(".tmp")]
                temps += len(temp)
                if folder.name in tickets:
                    # Files its events do not list: saved twice under two
                    # names, or saved by a run killed before the ticket.
                    listed = set(re.findall(r"^\s*- name: (.+)$",
                                            tickets[folder.name].read_text(encoding="utf-8"), re.M))
                    extra += sum(1 for n in names if n not in temp and n not in listed)
                else:
                    orphans += 1
        for k, v in (("lost", lost), ("doubled", doubled), ("left", left),
                     ("refiled", refiled), ("failed", failed), ("extra", extra),
                     ("orphans", orphans), ("temps", temps)):
            totals[k] += v
        if a.verbose:
            print(f"trial {trial + 1}: kill at {moment:.3f}s of {full:.3f}s "
                  f"({'killed' if killed else 'finished first'}); lost {lost}, doubled {doubled}, "
                  f"left {left}, re-filed {refiled}")
    print(f"{a.kills} trials of {a.mails} messages, an unkilled run {full:.2f} s; "
          f"{totals['killed']} runs killed: lost {totals['lost']}, doubled {totals['doubled']}, "
          f"left in new/ {totals['left']}, re-filed as skipped {totals['refiled']}, "
          f"moved aside {totals['failed']}"
          + (f"; attachment files no event lists {totals['extra']}, folders of no ticket "
             f"{totals['orphans']}, temporary files of killed writes {totals['temps']}"
             if a.attachment else ""))
    return 1 if totals["lost"] or totals["doubled"] or totals["left"] or totals["extra"] else 0


if __name__ == "__main__":
    sys.exit(main())
