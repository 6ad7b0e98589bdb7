#!/usr/bin/env bash
# desk: the quarterly call-back list (seed 002: dormant customers are called
# back every quarter). Prints the customers with no open ticket and no
# contact for customers.dormant_after (desk.yaml; 6 months by default),
# oldest first, with their owners; cron mails the list. Prints nothing when
# no customer is dormant. Run on the 1st of each quarter (see crontab).
# Customers with an open call-back ticket (the dormant-callback rule of
# docs/automation.md opens one as a customer goes quiet) are not dormant, so
# the list holds those nobody is calling yet.
# A bash script: run it as it is (or with bash), not with sh.
#   STORE  the store: a clone of the team's repository (default: the current directory)
#   DESK   the desk binary (default: desk on PATH, else ~/.cargo/bin/desk, else /usr/local/bin/desk)
set -uo pipefail
cd "${STORE:-.}" || exit 1
desk="${DESK:-$(command -v desk || ls "$HOME/.cargo/bin/desk" /usr/local/bin/desk 2>/dev/null | head -n 1)}"
if [ -z "$desk" ] || [ ! -x "$desk" ]; then
    echo "dormant-customers: desk not found on PATH ($PATH) or in ~/.cargo/bin; set DESK=/path/to/desk" >&2
    exit 1
fi
git pull --quiet || echo "dormant-customers: git pull failed; listing this clone's customers" >&2
ids=$("$desk" customer list --dormant --format ids) || exit $?
[ -z "$ids" ] && exit 0
echo "Customers to call back (待激活): no open ticket and no contact for customers.dormant_after."
echo "Record each call with: desk customer edit ID --set last_contact='YYYY-MM-DD HH:MM'"
echo
# A table, not the CSV: names are masked and text is shown with control
# characters escaped, as on a terminal.
"$desk" customer list --dormant --format table
