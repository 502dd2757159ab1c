#!/usr/bin/env python3
"""SILO NDJSON -> compact per-genome mutation NDJSON (zstd), the DuckDB input of reference_engines.py.

Fallback for when the Rust generator's own mutation writer is not available: it compares every
aligned sequence with its reference (pyarrow compute, ~0.5 ms per genome, so ~50 s per 100k).
One JSON object per line, in input order:

  {"accession": "SYN0000001", "country": "USA", "date": "2021-03-04" | null, "pangoLineage": "B.1.1.7" | null,
   "nucleotideMutations": ["C241T", "C21765-", ...], "aminoAcidMutations": ["S:D614G", "ORF1a:S3675-", ...],
   "nucleotideUnknown": [[0, 55], [29800, 29903]], "aminoAcidUnknown": [["S", 100, 120], ...]}

Mutations: the symbol differs from the reference and is A/C/G/T/- (nucleotides) or a definite amino
acid, `*` or `-` (amino acids); positions 1-based. Unknown: maximal runs of N (nucleotides) or X
(amino acids), 0-based half-open. Any other symbol (IUPAC codes, B/Z/J) is neither; the synthetic
data has none. Genes in the order of the input record.

  $VENV/bin/python bench/silo_to_mutations.py --input silo-100k.ndjson.zst --output mut-100k.ndjson.zst
"""
import argparse
import json
import os
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_engines import DEFAULT_DATASET, genes_of, iter_lines, references  # noqa: E402

NUC_MUT = set("ACGT-")
AA_NOT_MUT = set("XBZJ")


def as_array(b):
    return pa.Array.from_buffers(pa.uint8(), len(b), [None, pa.py_buffer(b)])


def diff_positions(seq, ref_arr):
    b = seq.encode()
    if len(b) != len(ref_arr):
        raise ValueError(f"length {len(b)} != reference {len(ref_arr)}")
    return pc.indices_nonzero(pc.not_equal(as_array(b), ref_arr)).to_pylist()


def unknown_runs(seq, symbol):
    """0-based half-open runs of `symbol` in seq."""
    out, i, n = [], seq.find(symbol), len(seq)
    while i != -1:
        j = i
        while j < n and seq[j] == symbol:
            j += 1
        out.append([i, j])
        i = seq.find(symbol, j)
    return out


def convert(record, nuc_ref, nuc_arr, aa_refs, aa_arrs):
    main = record.get("main") or {}
    seq = main.get("sequence")
    nuc_muts, nuc_unk = [], []
    if seq is not None:
        for i in diff_positions(seq, nuc_arr):
            c = seq[i]
            if c in NUC_MUT:
                nuc_muts.append(f"{nuc_ref[i]}{i + 1}{c}")
        nuc_unk = unknown_runs(seq, "N")
    aa_muts, aa_unk = [], []
    for g in aa_refs:
        pep = (record.get(g) or {}).get("sequence")
        if pep is None:
            continue
        ref = aa_refs[g]
        for i in diff_positions(pep, aa_arrs[g]):
            c = pep[i]
            if c not in AA_NOT_MUT:
                aa_muts.append(f"{g}:{ref[i]}{i + 1}{c}")
        aa_unk += [[g, s, e] for s, e in unknown_runs(pep, "X")]
    return {"accession": record["accession"], "country": record.get("country"), "date": record.get("date"),
            "pangoLineage": record.get("pangoLineage"), "nucleotideMutations": nuc_muts,
            "aminoAcidMutations": aa_muts, "nucleotideUnknown": nuc_unk, "aminoAcidUnknown": aa_unk}


def _chain(first, rest):
    yield first
    yield from rest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True, help="SILO NDJSON (.zst or plain) or - for stdin")
    ap.add_argument("--output", required=True, help="output .ndjson.zst (or - for plain stdout)")
    ap.add_argument("--dataset", default=DEFAULT_DATASET)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    lines = iter_lines(args.input, args.limit)
    first = next(lines)
    genes = genes_of(json.loads(first))
    nuc_ref, aa_refs = references(args.dataset, genes)
    nuc_arr = as_array(nuc_ref.encode())
    aa_arrs = {g: as_array(s.encode()) for g, s in aa_refs.items()}
    if args.output == "-":
        out, closer = sys.stdout.buffer, None
    else:
        import zstandard
        fh = open(args.output, "wb")
        out = zstandard.ZstdCompressor(level=3).stream_writer(fh)
        closer = fh
    t0, n = time.perf_counter(), 0
    for l in _chain(first, lines):
        out.write(json.dumps(convert(json.loads(l), nuc_ref, nuc_arr, aa_refs, aa_arrs),
                             separators=(",", ":")).encode() + b"\n")
        n += 1
        if n % 100000 == 0:
            print(f"{n} genomes, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    if closer:
        out.close()
        closer.close()
    print(f"{n} genomes -> {args.output} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
