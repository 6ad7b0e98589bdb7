#!/usr/bin/env bash
# desk's scale benchmark: builds desk, installs PyYAML if needed, generates
# demo stores and writes the results into docs/performance.md.
#   bench/run.sh                         10,000 and 100,000 tickets, 5 runs each
#   bench/run.sh --sizes 10000,100000,1000000 --runs 3
#   bench/run.sh --sizes '' --customer-sizes 100000 [--desk-before OLD_DESK]
#                                        customer writes and list only
#   bench/run.sh --sizes '' --run-sizes 100000
#                                        desk run (the scheduler) only
#   bench/run.sh --sizes '' --as-of-sizes 100000
#                                        report --as-of HEAD (git) only
#   bench/run.sh --sizes '' --git-sizes 100000,1000000 --runs 3
#                                        git status, commit and merge, before and
#                                        after desk git-setup's settings, only
#   bench/run.sh --sizes '' --mail-sizes 100000 --runs 3
#                                        desk mail-in --maildir of 1,000 messages only
# Stores are kept in target/bench/ between runs (delete it to regenerate).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "bench: needs cargo (https://rustup.rs)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench: needs python3" >&2; exit 1; }
cargo build --release --quiet
if ! python3 -c 'import yaml' 2>/dev/null; then
    python3 -m pip install --quiet --user pyyaml || python3 -m pip install --quiet --break-system-packages --user pyyaml
fi
exec python3 bench/bench.py target/release/desk target/bench --markdown docs/performance.md "$@"
