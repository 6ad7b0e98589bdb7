#!/usr/bin/env bash
# Two desk builds print the same thing: every reading command on a copy of
# examples/demo, in CSV and JSON, stdout, stderr and exit code compared byte
# for byte. For changes that must keep behaviour (a refactoring).
#   bench/same_output.sh OLD_DESK NEW_DESK [DEMO_STORE (examples/demo)]
# Give the demo store of the old build's commit (git archive REV
# examples/demo) when desk.yaml's spelling changed in between.
# Prints one line per command that differs and exits 1 if any does.
set -euo pipefail
[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: bench/same_output.sh OLD_DESK NEW_DESK [DEMO_STORE]" >&2; exit 2; }
old=$(realpath "$1")
new=$(realpath "$2")
demo=$(realpath "${3:-$(dirname "$0")/../examples/demo}")
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DESK_NOW=2026-11-23T18:00:00+08:00 DESK_ACTOR=compare NO_COLOR=1
unset DESK_DIR

# Each build reads its own copy, so neither sees the other's cache.
for side in old new; do cp -a "$demo" "$work/$side"; done
tickets=$(cd "$demo" && find tickets -name '*.yaml' | sort | sed -n '1p;7p;40p' | xargs -n1 basename | sed 's/\.yaml$//')
customers=$(cd "$demo" && find customers -name '*.yaml' | sort | sed -n '1p;5p' | xargs -n1 basename | sed 's/\.yaml$//')

commands=()
for format in csv json; do
    for section in types handling satisfaction sla agents customers backlog; do
        commands+=("report --month 2026-10 --section $section --format $format")
        commands+=("report --quarter 2026Q3 --section $section --format $format")
    done
    commands+=("report --month 2026-10 --by channel --section types --format $format")
    commands+=("list --format $format" "list --all --format $format" "sla --format $format")
    commands+=("customer list --format $format" "survey --due --format $format" "outbox --format $format")
done
for id in $tickets; do commands+=("show $id --format json" "show $id"); done
for id in $customers; do commands+=("customer show $id --format json" "customer show $id"); done
# `run --dry-run` exits 1: the demo store has no `mail:` to deliver with.
commands+=("customer export" "check" "run --dry-run" "report --month 2026-10")

differ=0
for command in "${commands[@]}"; do
    for side in old new; do
        bin=${!side}
        # shellcheck disable=SC2086 # the command is words on purpose
        (cd "$work/$side" && "$bin" $command >"$work/$side.out" 2>"$work/$side.err"; echo $? >"$work/$side.code") || true
    done
    code=$(cat "$work/old.code")
    # A command that fails compares its error; say so, as a failing command
    # proves less than one that prints rows.
    [ "$code" = 0 ] || echo "note: exit $code: desk $command" >&2
    for part in out err code; do
        if ! cmp -s "$work/old.$part" "$work/new.$part"; then
            echo "differs ($part): desk $command"
            differ=1
        fi
    done
done
echo "${#commands[@]} commands compared" >&2
exit $differ
