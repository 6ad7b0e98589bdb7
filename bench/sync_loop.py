#!/usr/bin/env python3
"""Two clones syncing at once, round after round, against one bare remote:
does `desk sync` ever lose a ticket or a note, or stop for a person?

Each round, each clone creates a ticket and adds a note to one shared
ticket, then both run `desk sync` at the same moment. At the end both sync
until each has the other's last push; then every ticket and note must be in
both clones, `desk check` clean, nothing left uncommitted.

Usage: sync_loop.py DESK_BINARY WORKDIR [--rounds 300]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("desk")
    ap.add_argument("workdir")
    ap.add_argument("--rounds", type=int, default=300)
    a = ap.parse_args()
    desk = str(Path(a.desk).resolve())
    work = Path(a.workdir).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = dict(os.environ, DESK_NOW="2026-11-24T09:00:00+08:00", DESK_ACTOR="bench",
               NO_COLOR="1", GIT_CONFIG_NOSYSTEM="1", HOME=str(work))
    env.pop("DESK_DIR", None)
    run = lambda cmd, cwd: subprocess.run(cmd, cwd=cwd, env=env, check=True,
                                          capture_output=True, text=True).stdout
    run(["git", "config", "--global", "user.name", "bench"], work)
    run(["git", "config", "--global", "user.email", "bench@example.com"], work)
    run(["git", "config", "--global", "init.defaultBranch", "main"], work)
    run(["git", "init", "-q", "--bare", "origin.git"], work)
    run(["git", "clone", "-q", "origin.git", "a"], work)
    A, B = work / "a", work / "b"
    run([desk, "init", ".", "--rules", "none"], A)
    run([desk, "git-setup", "--node", "1"], A)
    run([desk, "customer", "add", "--kind", "个人", "--name", "张三", "--phone", "13900000001"], A)
    new = [desk, "new", "--customer", "C000001", "--type", "complaint", "--priority", "urgent",
           "--channel", "phone", "--title"]
    shared = run(new + ["shared"], A).strip()
    run(["git", "add", "-A"], A)
    run(["git", "commit", "-q", "-m", "store"], A)
    run(["git", "push", "-q", "-u", "origin", "main"], A)
    run(["git", "clone", "-q", "origin.git", "b"], work)
    run([desk, "git-setup", "--node", "2"], B)
    created, notes = [shared], []
    failed, raced, start = 0, 0, time.time()
    for r in range(a.rounds):
        for name, clone in (("a", A), ("b", B)):
            created.append(run(new + [f"{name} {r}"], clone).strip())
            note = f"{name} round {r}"
            run([desk, "update", shared, "--note", note], clone)
            notes.append(note)
        procs = [subprocess.Popen([desk, "sync", "--retries", "20"], cwd=c, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for c in (A, B)]
        for p in procs:
            _, err = p.communicate()
            if p.returncode != 0:
                failed += 1
                print(f"round {r}: sync failed: {err.strip()}", file=sys.stderr)
            m = re.search(r"after (\d+) race", err)
            raced += int(m.group(1)) if m else 0
    for clone in (A, B, A):
        run([desk, "sync"], clone)
    lost = sum(1 for t in created
               if not (A / "tickets" / t[2:6] / t[6:8] / f"{t}.yaml").exists()
               or not (B / "tickets" / t[2:6] / t[6:8] / f"{t}.yaml").exists())
    text_a = (A / "tickets" / shared[2:6] / shared[6:8] / f"{shared}.yaml").read_text()
    text_b = (B / "tickets" / shared[2:6] / shared[6:8] / f"{shared}.yaml").read_text()
    notes_lost = sum(1 for n in notes if n not in text_a) + sum(1 for n in notes if n not in text_b)
    checks = [subprocess.run([desk, "check"], cwd=c, env=env, capture_output=True).returncode
              for c in (A, B)]
    dirty = [run(["git", "status", "--porcelain"], c).strip() for c in (A, B)]
    same = text_a == text_b
    print(f"{a.rounds} rounds of two clones syncing at once, {time.time() - start:.0f} s: "
          f"{2 * a.rounds} syncs, {failed} failed, {raced} pushes raced and retried; "
          f"{len(created)} tickets, {lost} missing from a clone; {len(notes)} notes, "
          f"{notes_lost} missing; desk check exit {checks}; uncommitted "
          f"{[len(d.splitlines()) for d in dirty]}; shared ticket identical in both: {same}")
    return 1 if failed or lost or notes_lost or any(checks) or any(dirty) or not same else 0


if __name__ == "__main__":
    sys.exit(main())
