#!/usr/bin/env bash
# desk: last month's report into reports/YYYY-MM/ of the store, committed and
# pushed; prints the summary, which cron mails to MAILTO. Run at 06:00 on the
# 1st (see crontab). Running it again in the same month rewrites the same
# folder and commits only what changed. The summary is printed before the
# commit, so it is delivered even when committing or pushing fails. With
# `report.mail_to` in desk.yaml (and `mail:`), desk also mails the HTML report
# to those addresses itself, once per month and recipient (its records in
# mail/reported/ are committed with the report).
#   STORE  the store: a clone of the team's repository (default: the current directory)
#   DESK   the desk binary (default: desk on PATH, else ~/.cargo/bin/desk, else /usr/local/bin/desk)
# A bash script: run it as it is (or with bash), not with sh.
set -uo pipefail
cd "${STORE:-.}" || exit 1
desk="${DESK:-$(command -v desk || ls "$HOME/.cargo/bin/desk" /usr/local/bin/desk 2>/dev/null | head -n 1)}"
if [ -z "$desk" ] || [ ! -x "$desk" ]; then
    echo "monthly-report: desk not found on PATH ($PATH) or in ~/.cargo/bin; set DESK=/path/to/desk" >&2
    exit 1
fi
git pull --quiet || echo "monthly-report: git pull failed; the report covers this clone's files" >&2
# desk's "wrote FILE" lines would be mailed too; they are shown only on failure.
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
mail=()
if grep -Eq '^[[:space:]]+mail_to:' desk.yaml; then mail=(--mail); fi
out=$("$desk" report --month last --out reports/ --bom "${mail[@]}" 2>"$log") || { cat "$log" >&2; exit 1; }
cat "$out/summary.txt"
paths=("$out")
[ -d mail/reported ] && paths+=(mail/reported)
if git add -- "${paths[@]}" && ! git diff --cached --quiet -- "${paths[@]}"; then
    git commit --quiet -m "Monthly service report ${out#reports/}" -- "${paths[@]}" ||
        { echo "monthly-report: could not commit $out; the files are in place" >&2; exit 0; }
fi
git push --quiet || echo "monthly-report: git push failed; push from this clone by hand" >&2
exit 0
