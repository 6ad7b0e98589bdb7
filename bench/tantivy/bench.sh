#!/usr/bin/env bash
# Measures desk-tantivy against desk's own search index on one store; see
# README.md. Needs hyperfine and python3. Everything it writes goes to
# target/ beside this script, and to the store copy $COPY.
#
#   STORE=… DESK=… bash bench.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
STORE=${STORE:-/work/wt/html/target/bench/store-100000}
DESK=${DESK:-/work/wt/tantivy2/target/release/desk}
COPY=${COPY:-/tmp/tantivy-cmp-store}
RUNS=${RUNS:-5}
BIN=$HERE/target/release/desk-tantivy
INDEX=$HERE/target/index
OUT=$HERE/target/results

# Queries that match tickets of the generated store, a broad one last. The
# quotes of the fourth are desk's phrase syntax (the three words in that
# order); desk-tantivy's tokenizer drops them, so Tantivy ORs the three words.
QUERIES=("无法开机" "打印机 offline" "快递延误" '"invoice charged twice"' "customer workaround")

rm -rf "$OUT"
mkdir -p "$OUT"
LOAD=$OUT/load.txt

load() { echo "$1: $(uptime)" | tee -a "$LOAD"; }

# hyperfine NAME [hyperfine options] COMMAND: RUNS runs, median kept in
# $OUT/NAME.json, the load averages before and after in $LOAD.
bench() {
    local name=$1
    shift
    load "$name before"
    hyperfine --style basic --runs "$RUNS" --export-json "$OUT/$name.json" "$@"
    load "$name after"
}

(cd "$HERE" && cargo build --release)
ls -l "$BIN" | tee "$OUT/binary.txt"

# desk writes its cache into the store: it gets a fresh copy, without the
# index files of earlier desks (search.bin, search.dict) the store may hold.
rm -rf "$COPY"
cp -a "$STORE" "$COPY"
rm -f "$COPY/.desk/cache/search.bin" "$COPY/.desk/cache/search.dict"

# (d) Reading every ticket file, warm.
bench cat --warmup 2 \
    "find '$STORE/tickets' -name '*.yaml' -print0 | xargs -0 cat > /dev/null"

# For reference too: a stat of every ticket file, which desk's search did
# to find changed tickets before it ranked while its index was one file
# (search.bin); it now stats each month folder and each open ticket.
bench stat --warmup 2 \
    "find '$STORE/tickets' -name '*.yaml' -newer '$STORE/desk.yaml' > /dev/null"

# (a) Tantivy: the index built from nothing (the program deletes it first).
bench tantivy-build --warmup 1 -N "$BIN build $STORE $INDEX"
# (b) Its size.
du -sb "$INDEX" | tee "$OUT/tantivy-size.txt"
ls "$INDEX" | grep -c '\.idx$' | sed 's/^/segments: /' | tee -a "$OUT/tantivy-size.txt"

# desk: its search index built from nothing, by a search.
cd "$COPY"
bench desk-build --warmup 1 --prepare "rm -rf .desk/cache/search" \
    "$DESK search 无法开机 --format ids --limit 10"
du -sb .desk/cache/search | tee "$OUT/desk-size.txt"
find .desk/cache/search -type f | wc -l | sed 's/^/files: /' | tee -a "$OUT/desk-size.txt"

# What a warm desk search checks before it ranks: its stat calls, and the
# ticket files among them: each ticket not closed, by its name in its open
# folder (a month folder's closed tickets are checked by a stat of the
# folder), then the tickets shown, by their full path.
if command -v strace > /dev/null; then
    strace -f -e trace=stat,lstat,fstat,newfstatat,statx -o "$OUT/desk-strace.txt" \
        "$DESK" search 无法开机 --format ids --limit 10 > /dev/null
    {
        echo "stat calls: $(grep -cE '^[0-9]+ +(stat|lstat|fstat|newfstatat|statx)\(' "$OUT/desk-strace.txt")"
        echo "ticket files checked: $(grep -oE '"[A-Z]+[0-9]+\.yaml"' "$OUT/desk-strace.txt" | sort -u | wc -l)"
        echo "ticket files shown: $(grep -oE '"/[^"]*/[A-Z]+[0-9]+\.yaml"' "$OUT/desk-strace.txt" | sort -u | wc -l)"
    } | tee "$OUT/desk-stats.txt"
fi

# (c) Warm searches, each tool, each query (two warm-up runs each). The
# query is one argument of each command (hyperfine -N splits the command as
# a shell would; no query holds a single quote).
i=0
for q in "${QUERIES[@]}"; do
    i=$((i + 1))
    bench "tantivy-search-$i" --warmup 2 -N "$BIN search $INDEX '$q'"
    bench "desk-search-$i" --warmup 2 -N "$DESK search '$q' --format ids --limit 10"
    printf '%s\n' "$q" > "$OUT/query-$i.txt"
    # The top 10 of each, and every hit with its score for the rankings.
    "$BIN" search "$INDEX" "$q" 2>/dev/null | cut -f1 > "$OUT/tantivy-top-$i.txt"
    "$DESK" search "$q" --format ids --limit 10 2>/dev/null > "$OUT/desk-top-$i.txt" || true
    "$BIN" search "$INDEX" --limit 100000 "$q" 2>/dev/null > "$OUT/tantivy-all-$i.txt"
    "$DESK" search "$q" --format json --limit 1000 > "$OUT/desk-all-$i.json" \
        2> "$OUT/desk-matched-$i.txt" || true
done
cd "$HERE"

python3 "$HERE/summary.py" "$OUT" | tee "$OUT/summary.md"
