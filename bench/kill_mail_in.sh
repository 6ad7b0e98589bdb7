#!/usr/bin/env bash
# Kill trials of `desk mail-in --maildir` (bench/kill_mail_in.py): runs
# killed at random moments, then finished by a second run; counts messages
# lost, doubled or left behind (each must be 0) and those the second run
# found filed already (killed between the ticket's write and the move).
#   bench/kill_mail_in.sh                       100 kills of this tree's desk
#   DESK=target/release/desk bench/kill_mail_in.sh
# Other options go to kill_mail_in.py (--kills N, --mails N, --seed N, --verbose).
# Work files go to target/kill_mail_in/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DESK:-}" ]; then
    cargo build --quiet
    DESK=target/debug/desk
fi
exec python3 bench/kill_mail_in.py "$DESK" target/kill_mail_in "$@"
