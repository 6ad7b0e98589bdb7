#!/bin/sh
# Non-test code lines of src/ per top-level module, and the store's share.
# Left out: `#[cfg(test)]` items (a `mod tests { ... }` block, up to its
# closing `}` at the start of a line) and files only compiled for tests
# (a module declared `#[cfg(test)] mod NAME;`). Usage: bench/layers.sh
cd "$(dirname "$0")/.." || exit 1
awk '
FNR == 1 { file = FILENAME; test_item = 0; after_mark = 0 }
{
    if (test_item) { if ($0 ~ /^}/ || (one_line && $0 ~ /;[[:space:]]*$/)) test_item = 0; next }
    if ($0 ~ /^[[:space:]]*#\[cfg\(test\)\][[:space:]]*$/) { after_mark = 1; next }
    if (after_mark) {
        after_mark = 0
        if ($0 ~ /^[[:space:]]*(pub(\([a-z]+\))? )?mod [a-z_0-9]+;/) {
            name = $0; sub(/^[[:space:]]*(pub(\([a-z]+\))? )?mod /, "", name); sub(/;.*/, "", name)
            dir = file; sub(/[^\/]*$/, "", dir)
            base = file; sub(/.*\//, "", base); sub(/\.rs$/, "", base)
            if (base != "mod" && base != "lib" && base != "main") dir = dir base "/"
            skip[dir name ".rs"] = 1; skipdir[dir name "/"] = 1
            next
        }
        if ($0 ~ /^mod [a-z_0-9]+ \{/) { test_item = 1; one_line = 0; next }
        if ($0 ~ /^[[:space:]]/) { next }   # an indented one-line test item
        if ($0 ~ /\{[[:space:]]*$/ && $0 !~ /;/) { test_item = 1; one_line = 0; next }
        next
    }
    lines[file]++
}
END {
    for (f in lines) {
        drop = (f in skip)
        for (d in skipdir) if (index(f, d) == 1) drop = 1
        if (drop) continue
        m = f; sub(/^src\//, "", m); sub(/\/.*/, "", m); sub(/\.rs$/, "", m)
        per[m] += lines[f]; total += lines[f]
    }
    for (m in per) printf "%7d  %5.1f%%  %s\n", per[m], 100 * per[m] / total, m | "sort -rn"
    close("sort -rn")
    printf "%7d  100.0%%  non-test lines of src/\n", total
}' $(find src -name '*.rs' | sort)
