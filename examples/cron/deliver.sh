#!/usr/bin/env bash
# desk: the rules' time triggers, notifications and hooks (desk run), every 5
# minutes (see crontab). Pulls, fires the time rules that came due (SLA
# escalations, progress and survey reminders), delivers what is due, commits
# the tickets whose history recorded a firing or a delivery and pushes, so
# every clone sees what was sent. Run it in ONE clone only (docs/automation.md:
# two clones would both deliver). Prints only failed deliveries, warnings and
# errors (cron mails them); a clean run prints nothing.
#   STORE  the store: a clone of the team's repository (default: the current directory)
#   DESK   the desk binary (default: desk on PATH, else ~/.cargo/bin/desk, else /usr/local/bin/desk)
# A bash script: run it as it is (or with bash), not with sh.
set -uo pipefail
cd "${STORE:-.}" || exit 1
desk="${DESK:-$(command -v desk || ls "$HOME/.cargo/bin/desk" /usr/local/bin/desk 2>/dev/null | head -n 1)}"
if [ -z "$desk" ] || [ ! -x "$desk" ]; then
    echo "deliver: desk not found on PATH ($PATH) or in ~/.cargo/bin; set DESK=/path/to/desk" >&2
    exit 1
fi
log=$(mktemp) || exit 1
synced=$(mktemp) || exit 1
trap 'rm -f "$log" "$synced"' EXIT
# desk sync: commits what this clone has not, pulls (the merge driver settles
# the tickets), checks; silent unless it fails.
"$desk" sync --no-push 2>"$synced" ||
    { echo "deliver: desk sync failed; delivering what this clone has:" >&2; cat "$synced" >&2; }
"$desk" run 2>"$log"
status=$?
# One line per firing, action and delivery. What went as planned is left out;
# failures, warnings (a reminder with no one to send to) and a refused run are
# worth a mail.
grep -v -E '^[^ ]+: (.* delivered \(|time rule .* fired, due since |.* queued by rule |assigned to .* by rule |.* set to .* by rule |note added by rule |ticket .* opened for .* by rule )' "$log" >&2
# The store's time zone, as desk's own times are (cron's is often UTC);
# desk's default when desk.yaml names none.
tz=$(tr -d '\r' < desk.yaml | sed -n 's/^timezone: *["'"'"']*\([^ "'"'"'#]*\).*/\1/p' | head -n 1)
# Commits what the run recorded, pulls again, checks and pushes (again when
# another clone pushed first).
"$desk" sync --message "desk run of $(TZ=${tz:-Asia/Shanghai} date '+%Y-%m-%d %H:%M %Z')" 2>"$synced" ||
    { echo "deliver: desk sync failed; sync from this clone by hand:" >&2; cat "$synced" >&2; }
exit "$status"
