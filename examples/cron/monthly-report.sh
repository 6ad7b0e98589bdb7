#!/usr/bin/env bash
# Writes last month's report into reports/YYYY-MM/ of the store and commits it.
# Run from cron on the 1st of each month (see crontab). Needs `desk` on PATH.
#   STORE   the store's directory (a git work tree); default: the current directory
set -euo pipefail
store="${STORE:-$PWD}"
cd "$store"
month=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)
out="reports/$month"
desk report --month last --out "$out" --bom
git add "$out"
git commit --quiet -m "Monthly service report $month" -- "$out"
cat "$out/summary.txt"
