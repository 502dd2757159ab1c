#!/usr/bin/env bash
# Server time of portal pages: median and p95 of N requests each (curl time_total on loopback).
# Usage: bench/portal_pages.sh [BASE_URL] [N]  (see docs/BENCHMARKS.md for the data it expects)
BASE=${1:-http://127.0.0.1:18080}; N=${2:-50}
for path in "/sc2" "/sc2/search" "/sc2/search?pangoLineage=JN.1*" \
  "/sc2/search?country=Switzerland&dateFrom=2022-06-01" "/sc2/search?aminoAcidMutations=S:L455S" \
  "/sc2/search?page=200&orderBy=date&order=descending" "/seq/none"; do
  curl -s -o /dev/null "$BASE$path"
  for i in $(seq 1 "$N"); do curl -s -o /dev/null -w "%{time_total}\n" "$BASE$path"; done | sort -n |
    awk -v p="$path" '{a[NR]=$1} END {printf "| %s | %.1f | %.1f |\n", p, a[int((NR+1)/2)]*1000, a[int(NR*0.95)]*1000}'
done
