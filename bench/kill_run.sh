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
if [ -z "${DESK:-}" ]; then
    cargo build --quiet
    DESK=target/debug/desk
fi
# The Python of the test SMTP server: DESK_TEST_PYTHON, else the one
# scripts/test installs aiosmtpd into, else python3 if it has aiosmtpd.
python=${DESK_TEST_PYTHON:-target/test-env/python/bin/python3}
if ! "$python" -c 'import aiosmtpd.smtp' 2>/dev/null; then
    python=python3
    python3 -c 'import aiosmtpd.smtp' 2>/dev/null || {
        echo "kill_run: the test SMTP server needs Python's aiosmtpd; run scripts/test once (it installs it under target/test-env) or set DESK_TEST_PYTHON" >&2
        exit 1
    }
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
    "$python" bench/kill_run.py "$before" target/kill_run/before --label before "${args[@]}"
fi
exec "$python" bench/kill_run.py "$DESK" target/kill_run/this --label "this desk" "${args[@]}"
