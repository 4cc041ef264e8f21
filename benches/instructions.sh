#!/usr/bin/env bash
# Instructions per round trip of each contender, counted by callgrind (every
# thread of the process), as the difference between a run of FEW and a run
# of MANY calls divided by MANY - FEW. Prints a Markdown table.
#
# Usage: bash benches/instructions.sh [runtime ...]   (default: all setups)
set -euo pipefail
cd "$(dirname "$0")/.."
FEW="${FEW:-200}"
MANY="${MANY:-1200}"
exe=$(cargo bench -p crochet-benches --all-features --bench instructions --no-run 2>&1 |
    sed -n 's/.*Executable .*(\(.*\))$/\1/p')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
total() {
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$exe" "$1" "$2" "$3" \
        >/dev/null 2>&1
    callgrind_annotate "$out/cg" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,
}
echo "| runtime | contender | instructions / round trip |"
echo "|---|---|---:|"
"$exe" | while read -r runtime contender; do
    if [ $# -gt 0 ] && [[ ! " $* " == *" $runtime "* ]]; then
        continue
    fi
    few=$(total "$runtime" "$contender" "$FEW")
    many=$(total "$runtime" "$contender" "$MANY")
    echo "| $runtime | $contender | $(( (many - few) / (MANY - FEW) )) |"
done
