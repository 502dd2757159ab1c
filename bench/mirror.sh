#!/usr/bin/env bash
# A mirror's first copy and its follow-up: a home node holding N processed, released SARS-CoV-2
# genomes (copies of the shared example genomes with random substitutions, from `virion bench
# make-submission`), then a second node mirroring it. Prints the home node's released-stream
# size, the mirror's sync and index times (from its structured log) and the wall time until the
# mirror answers with all N genomes; then one more release at home and the time until the mirror
# follows it.
#
# Usage: bench/mirror.sh VIRION_BIN SHARED_DATA_DIR N WORK_DIR
#   e.g. bench/mirror.sh target/release/virion ../shared/data 5000 /tmp/virion-mirror-bench
# WORK_DIR is emptied first. Ports 18181 and 18182 must be free; needs curl, python3 and zstd.
set -euo pipefail
BIN=$(realpath "$1"); SHARED=$(realpath "$2"); N=$3; WORK=$4
rm -rf "$WORK"; mkdir -p "$WORK"
DATASET="sars-cov-2=$SHARED/nextclade/sars-cov-2"
EXAMPLE="$SHARED/sequences/ncov-open-example"
HOME_URL=http://127.0.0.1:18181; MIRROR_URL=http://127.0.0.1:18182
count() { curl -s "$1/sample/aggregated" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["data"][0]["count"] if "data" in d else 0)' 2>/dev/null || echo 0; }
now() { date +%s.%N; }
cleanup() { kill $(jobs -p) 2>/dev/null || true; }
trap cleanup EXIT

"$BIN" bench make-submission --sequences "$EXAMPLE/example_sequences.fasta.gz" \
  --metadata "$EXAMPLE/example_metadata.tsv" --genomes "$N" --out-dir "$WORK/sub" >/dev/null 2>&1
H="$WORK/h"
echo "a long bench password" | "$BIN" admin create-user --data-dir "$H" --name bench
"$BIN" admin create-group --data-dir "$H" --name lab --owner bench
TOKEN=$("$BIN" admin create-token --data-dir "$H" --user bench)
"$BIN" serve --data-dir "$H" --bind 127.0.0.1:18181 --dataset "$DATASET" \
  --pango-aliases "$SHARED/pango/alias_key.json" >/dev/null 2>"$WORK/h.log" &
sleep 2
"$BIN" submit --server "$HOME_URL" --token "$TOKEN" --organism sars-cov-2 --group lab \
  --metadata "$WORK/sub/metadata.tsv.zst" --sequences "$WORK/sub/sequences.fasta.zst" >/dev/null 2>&1
echo "submitted $N genomes; processing and approving at the home node"
until [ "$(count "$HOME_URL/sars-cov-2")" -ge "$N" ]; do
  "$BIN" approve --server "$HOME_URL" --token "$TOKEN" --group lab --all >/dev/null 2>&1 || true
  sleep 5
done
BYTES=$(curl -s "$HOME_URL/api/sars-cov-2/released?compression=zstd" | wc -c)
RAW=$(curl -s "$HOME_URL/api/sars-cov-2/released" | wc -c)
echo "home: $N released; its released stream is $RAW bytes ($BYTES with zstd)"

M="$WORK/m"
KEY=$("$BIN" admin node init --data-dir "$H" --name h --url "$HOME_URL" 2>/dev/null)
"$BIN" admin node init --data-dir "$M" --name m --url "$MIRROR_URL" >/dev/null 2>&1
"$BIN" admin peer add --data-dir "$M" --name h --url "$HOME_URL" --key "$KEY" 2>/dev/null
"$BIN" admin mirror add --data-dir "$M" --peer h --organism sars-cov-2 2>/dev/null
START=$(now)
"$BIN" serve --data-dir "$M" --bind 127.0.0.1:18182 --dataset "$DATASET" --workers 0 \
  --pango-aliases "$SHARED/pango/alias_key.json" --mirror-every-ms 500 >/dev/null 2>"$WORK/m.log" &
until [ "$(count "$MIRROR_URL/sars-cov-2-h")" -ge "$N" ]; do sleep 0.2; done
FIRST=$(python3 -c "print(f'{$(now) - $START:.1f}')")
echo "mirror: first copy served after $FIRST s (process start included); its copy is $(stat -c %s "$M/mirror/sars-cov-2-h/released.ndjson.zst") bytes"
grep -E '"mirror synced"|mirror synced|mirror indexed' "$WORK/m.log" | head -2

# One more genome released at home: how long until the mirror serves it.
"$BIN" bench make-submission --sequences "$EXAMPLE/example_sequences.fasta.gz" \
  --metadata "$EXAMPLE/example_metadata.tsv" --genomes 1 --seed 99 --out-dir "$WORK/one" >/dev/null 2>&1
# Its submission id must be new: copy0 is taken by the first batch.
zstd -dcq "$WORK/one/metadata.tsv.zst" | sed 's|/copy0|/extra0|' >"$WORK/one/metadata.tsv"
zstd -dcq "$WORK/one/sequences.fasta.zst" | sed 's|/copy0|/extra0|' >"$WORK/one/sequences.fasta"
"$BIN" submit --server "$HOME_URL" --token "$TOKEN" --organism sars-cov-2 --group lab \
  --metadata "$WORK/one/metadata.tsv" --sequences "$WORK/one/sequences.fasta" >/dev/null 2>&1
until [ "$(count "$HOME_URL/sars-cov-2")" -ge "$((N + 1))" ]; do
  "$BIN" approve --server "$HOME_URL" --token "$TOKEN" --group lab --all >/dev/null 2>&1 || true
  sleep 0.5
done
START=$(now)
until [ "$(count "$MIRROR_URL/sars-cov-2-h")" -ge "$((N + 1))" ]; do sleep 0.1; done
echo "mirror: one new release served $(python3 -c "print(f'{$(now) - $START:.1f}')") s after the home node's index had it (sync every 0.5 s)"
grep -E 'appended=[1-9]|mirror indexed' "$WORK/m.log" | tail -2
