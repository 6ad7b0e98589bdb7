#!/usr/bin/env bash
# Kill trials of `desk run` against a real SMTP server (bench/kill_run.py):
# how many killed runs make the next run send a mail twice, per 100 kills.
#   bench/kill_run.sh                          100 kills of this tree's desk
#   bench/kill_run.sh --desk-before OLD/desk   the same with an older desk first
#   bench/kill_run.sh --parsing-server         a server that reads each message
#                                              before it answers (slower)
#   DESK=target/release/desk bench/kill_run.sh a desk built elsewhere
# Other options go to kill_run.py (--kills N, --mails N, --seed N, --verbose).
# Work files go to target/kill_run/.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "kill_run: needs python3" >&2; exit 1; }
if [ -z "${DESK:-}" ]; then
    cargo build --quiet
    DESK=target/debug/desk
fi
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    python3 -m pip install --quiet --user aiosmtpd==1.4.6 \
        || python3 -m pip install --quiet --user --break-system-packages aiosmtpd==1.4.6
fi
before=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --desk-before) before="$2"; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
if [ -n "$before" ]; then
    python3 bench/kill_run.py "$before" target/kill_run/before --label before "${args[@]}"
fi
exec python3 bench/kill_run.py "$DESK" target/kill_run/this --label "this desk" "${args[@]}"
