#!/usr/bin/env bash
# desk: hourly SLA check. Prints the breached tickets only when their set has
# changed since the last run (kept in .git/desk/sla-breached, where no commit
# or pull writes), so cron mails each change once instead of the same breaches
# every hour. Run hourly (see crontab).
# A bash script: run it as it is (or with bash), not with sh.
#   STORE  the store: a clone of the team's repository (default: the current directory)
#   DESK   the desk binary (default: desk on PATH, else ~/.cargo/bin/desk, else /usr/local/bin/desk)
set -uo pipefail
cd "${STORE:-.}" || exit 1
desk="${DESK:-$(command -v desk || ls "$HOME/.cargo/bin/desk" /usr/local/bin/desk 2>/dev/null | head -n 1)}"
if [ -z "$desk" ] || [ ! -x "$desk" ]; then
    echo "sla-breaches: desk not found on PATH ($PATH) or in ~/.cargo/bin; set DESK=/path/to/desk" >&2
    exit 1
fi
git pull --quiet || echo "sla-breaches: git pull failed; checking this clone's files" >&2
state=$(git rev-parse --git-path desk/sla-breached) || exit 1
mkdir -p "$(dirname "$state")"
csv=$("$desk" sla --breached --exit-code --format csv)
status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    exit "$status"
fi
now=$(printf '%s\n' "$csv" | tail -n +2 | cut -d, -f1 | sort)
before=$(cat "$state" 2>/dev/null || true)
[ "$now" = "$before" ] && exit 0
printf '%s\n' "$now" > "$state.tmp" && mv "$state.tmp" "$state"
if [ -z "$now" ]; then
    echo "No ticket is in breach of its SLA any more."
else
    echo "Tickets in breach of their SLA (the set changed since the last check):"
    # A table, not the CSV: text from tickets is shown with control
    # characters escaped, as on a terminal.
    "$desk" sla --breached --format table
fi
