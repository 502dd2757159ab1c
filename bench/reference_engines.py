#!/usr/bin/env python3
"""Reference engines for Virion's query-mix benchmark: SILO (PyPI `rhydb` 0.16.0) and DuckDB.

Runs the 23 queries of `virion bench query` (the MIX in crates/virion/src/bench_query.rs) on

* SILO, in process through its Python bindings, loaded from SILO NDJSON streamed from a file
  (.zst or plain) or from stdin (`--input -`, zstd auto-detected), with SILO's native lineage
  index (see rhydb_initialize_shim.cpp) and SILO's native grouping;
* DuckDB, over the compact per-genome mutation file (`--mutations FILE`, zstd NDJSON, one object
  per genome: accession, country, date, pangoLineage, nucleotideMutations, aminoAcidMutations,
  nucleotideUnknown, aminoAcidUnknown), read with DuckDB's read_json into Parquet. Without
  --mutations the file is derived from --input with bench/silo_to_mutations.py first (slow).

Each engine runs in its own forked child, so its peak RSS (ru_maxrss) is its own. Prints a
markdown table and one JSON line per engine and query (prefix `BENCH_JSON `). See bench/README.md.

  $VENV/bin/python bench/reference_engines.py --input $BENCH_DATA/silo-100k.ndjson.zst \
      --mutations $BENCH_DATA/mut-100k.ndjson.zst --runs 20 --engines silo,duckdb
"""
import argparse
import ctypes
import datetime as dt
import hashlib
import io
import json
import math
import multiprocessing as mp
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATASET = os.path.join(HERE, "..", "..", "shared", "data", "nextclade", "sars-cov-2")
DEFAULT_ALIASES = os.path.join(HERE, "..", "..", "shared", "data", "pango", "alias_key.json")
TABLE = "sequences"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# multiprocessing points a child's stdin at /dev/null, so main() keeps a duplicate of fd 0 here
STDIN_FD = 0

# --------------------------------------------------------------------------- input


def open_stream(path):
    """Binary stream of NDJSON from a file (.zst or plain) or '-' (stdin); zstd is detected by its
    magic number, and decompressed with the `zstandard` module (all frames)."""
    raw = open(STDIN_FD if path == "-" else path, "rb", buffering=1 << 20, closefd=path != "-")
    if raw.peek(4)[:4] == ZSTD_MAGIC:
        import zstandard
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_size=1 << 20, read_across_frames=True)
        return io.BufferedReader(reader, buffer_size=1 << 22)
    return raw


def iter_lines(path, limit=None):
    """Yields the non-empty NDJSON lines (bytes, with their newline) of `path`."""
    n = 0
    with open_stream(path) as f:
        for line in f:
            if len(line) < 3:
                continue
            yield line if line.endswith(b"\n") else line + b"\n"
            n += 1
            if limit and n >= limit:
                return


def read_fasta(path):
    with open(path) as f:
        return "".join(l.strip() for l in f if not l.startswith(">")).upper()


def read_cds(path):
    """CDS name -> (start, end), 1-based inclusive, in file order."""
    out = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            c = line.rstrip("\n").split("\t")
            if len(c) >= 9 and c[2] in ("gene", "CDS"):
                attrs = dict(kv.split("=", 1) for kv in c[8].split(";") if "=" in kv)
                name = attrs.get("gene_name") or attrs.get("Name") or attrs.get("gene")
                out.setdefault(name, (int(c[3]), int(c[4])))
    return out


_B = "TCAG"
_AA = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODON = {a + b + c: _AA[16 * i + 4 * j + k]
         for i, a in enumerate(_B) for j, b in enumerate(_B) for k, c in enumerate(_B)}


def references(dataset, genes=None):
    """Nucleotide reference and CDS peptides (reference.fasta translated over the gff ranges, stop
    codon included as `*`), for `genes` (default: every CDS of the gff, in gff order)."""
    nuc = read_fasta(os.path.join(dataset, "reference.fasta"))
    cds = read_cds(os.path.join(dataset, "genome_annotation.gff3"))
    out = {}
    for g in genes or cds:
        s, e = cds[g]
        dna = nuc[s - 1:e]
        out[g] = "".join(CODON.get(dna[i:i + 3], "X") for i in range(0, len(dna) - 2, 3))
    return nuc, out


def genes_of(record):
    return [k for k, v in record.items() if k != "main" and isinstance(v, dict)]


# --------------------------------------------------------------------------- Pango lineages


class Pango:
    """Pango names from alias_key.json: unaliasing, canonical (compressed) names, parents."""

    def __init__(self, path):
        with open(path) as f:
            self.alias = json.load(f)
        self.exp = {k: v for k, v in self.alias.items() if isinstance(v, str) and v}

    def unalias(self, name):
        head, *rest = name.split(".")
        v = self.exp.get(head)
        return ".".join([v] + rest) if v else name

    def compress(self, full):
        best = None
        for k, v in self.exp.items():
            if full.startswith(v + ".") and (best is None or len(v) > len(best[1])):
                best = (k, v)
        return best[0] + full[len(best[1]):] if best else full

    def canon(self, name):
        return self.compress(self.unalias(name))

    def parents(self, name):
        """Direct parents of a canonical name: the unaliased prefix, or a recombinant's listed
        parents (alias_key's `BA.2*` read as BA.2), canonicalised and de-duplicated."""
        full = self.unalias(name)
        if "." in full:
            return [self.compress(full.rsplit(".", 1)[0])]
        v = self.alias.get(full)
        out = []
        if isinstance(v, list):
            for p in v:
                p = self.canon(p.rstrip("*"))
                if p not in out:
                    out.append(p)
        return out

    def definitions(self, names):
        """SILO lineage definitions {label: {parents, aliases}} for `names` and all their ancestors.
        Labels are canonical names; a lineage's fully unaliased name (e.g. B.1.617.2.1 for AY.1)
        and any non-canonical input name become its aliases."""
        parents, aliases, todo = {}, {}, []
        for n in names:
            if not n:
                continue
            c = self.canon(n)
            todo.append(c)
            if c != n:
                aliases.setdefault(n, c)
        while todo:
            lin = todo.pop()
            if lin in parents:
                continue
            parents[lin] = self.parents(lin)
            todo.extend(parents[lin])
        for lin in parents:
            full = self.unalias(lin)
            if full != lin:
                aliases.setdefault(full, lin)
        out = {lin: {"parents": ps, "aliases": []} for lin, ps in sorted(parents.items())}
        for a, lin in sorted(aliases.items()):
            if a not in out:
                out[lin]["aliases"].append(a)
        return out


def lineage_universe(dataset, alias_path):
    """Every lineage value the synthetic generator can emit, without reading the data (which may
    be a stream): Pango names of lineage_notes.txt (beside alias_key.json; withdrawn `*` names
    too) plus every `Nextclade_pango` and `clade_membership` value of the dataset's tree.json
    (virion-synth takes the lineage from `Nextclade_pango`, falling back to the clade)."""
    names = set()
    notes = os.path.join(os.path.dirname(alias_path), "lineage_notes.txt")
    if os.path.exists(notes):
        with open(notes) as f:
            next(f, None)
            for line in f:
                n = line.split("\t", 1)[0].strip().lstrip("*")
                if n:
                    names.add(n)
    tree = os.path.join(dataset, "tree.json")
    if os.path.exists(tree):
        with open(tree) as f:
            stack = [json.load(f)["tree"]]
        while stack:
            node = stack.pop()
            for key in ("Nextclade_pango", "clade_membership"):
                v = node.get("node_attrs", {}).get(key)
                v = v.get("value") if isinstance(v, dict) else v
                if isinstance(v, str) and v:
                    names.add(v)
            stack.extend(node.get("children", []))
    return names


# --------------------------------------------------------------------------- query mix (same order and names as MIX)

C_CH = "Switzerland"
MIX = [
    (1, "total count"), (2, "count per country"), (3, "BA.2.86* per country and week"),
    (4, "S:L455S in JN.1* per week"), (5, "JN.1* per week"),
    (6, "mutations ≥5% in Switzerland since June 2022"), (7, "aa mutations ≥5% in JN.1*"),
    (8, "variant definition (advanced)"), (9, "100 details"), (10, "all nucleotide mutations ≥5%"),
    (11, "count per lineage"), (12, "USA in a date range"), (13, "two nucleotide mutations"),
    (14, "N501Y & E484K per country"), (15, "boolean mutation query"), (16, "B.1.617.2* per country"),
    (17, "XBB* per month"), (18, "country regex"), (19, "missing dates"), (20, "any mutation at 23403"),
    (21, "ORF1a deletion"), (22, "MAYBE ambiguity"), (23, "date range per week, two countries"),
]
MUTATION_QUERIES = {6, 7, 10}


def iso_week(d):
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def fold(rows, key_fields, src, fn):
    """Sums the counts of grouped rows by (key_fields..., fn(row[src])) into column `src`."""
    acc = {}
    for r in rows:
        v = r[src]
        k = tuple(r[f] for f in key_fields) + (None if v is None else fn(v),)
        acc[k] = acc.get(k, 0) + r["count"]
    return [dict(zip(key_fields + [src], k), count=c) for k, c in acc.items()]


def day_to_week(s):
    return iso_week(dt.date(int(s[:4]), int(s[5:7]), int(s[8:10])))


def day_to_month(s):
    return s[:7]


# ---- SILO / rhydb


SHIM_SRC = os.path.join(HERE, "rhydb_initialize_shim.cpp")


def build_shim():
    """Compiles rhydb_initialize_shim.cpp (once per source version) into ~/.cache/virion-bench."""
    with open(SHIM_SRC, "rb") as f:
        digest = hashlib.sha1(f.read()).hexdigest()[:12]
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "virion-bench")
    os.makedirs(cache, exist_ok=True)
    lib = os.path.join(cache, f"rhydb_initialize_shim-{digest}.so")
    if not os.path.exists(lib):
        tmp = lib + f".{os.getpid()}.tmp"
        subprocess.run(["g++", "-std=c++20", "-O1", "-shared", "-fPIC", "-o", tmp, SHIM_SRC, "-ldl"], check=True)
        os.replace(tmp, lib)
    return lib


DATE_RE = re.compile(rb'"date":\s*(null|"(\d{4})-(\d\d)-(\d\d)")')


class Silo:
    """SILO (rhydb 0.16.0). Schema: accession, country (indexed), date (date), pangoLineage
    (indexed + lineage index), dateKey/isoWeek/yearMonth (indexed strings, injected per record
    from `date` while loading, for native grouping), main + one aminoAcidSequence per CDS."""
    name = "silo"

    def __init__(self, args, first_record):
        import rhydb
        import rhydb.database
        from rhydb import Database
        self.args = args
        self.version = rhydb.__version__
        self.genes = genes_of(first_record)
        nuc_ref, aa_refs = references(args.dataset, self.genes)
        for g in self.genes:
            n = len(first_record[g]["sequence"])
            if n != len(aa_refs[g]):
                raise SystemExit(f"reference peptide {g}: length {len(aa_refs[g])} != data {n}")
        self.pango = Pango(args.alias_key)
        self.db = db = Database()
        self.lineage_mode = args.silo_lineage
        self.dates = "native" if args.silo_dates == "native" else "day"
        self.info = {}
        t0 = time.perf_counter()
        cfg = tempfile.mkdtemp(prefix="virion-silo-cfg-")
        if args.silo_lineage_names:
            with open(args.silo_lineage_names) as f:
                names = {l.strip() for l in f if l.strip()}
        else:
            names = lineage_universe(args.dataset, args.alias_key)
        defs = self.pango.definitions(names | {"BA.2.86", "JN.1", "XBB", "B.1.617.2"})
        with open(os.path.join(cfg, "lineage_definitions.yaml"), "w") as f:
            json.dump(defs, f)  # JSON is YAML
        self.info["lineages_defined"] = len(defs)
        meta = [("accession", "string", False), ("country", "string", True), ("date", "date", False),
                ("pangoLineage", "string", True), ("dateKey", "string", True), ("isoWeek", "string", True),
                ("yearMonth", "string", True)]
        if self.lineage_mode == "index":
            with open(os.path.join(cfg, "reference_genomes.json"), "w") as f:
                json.dump({"nucleotideSequences": [{"name": "main", "sequence": nuc_ref}],
                           "genes": [{"name": g, "sequence": s} for g, s in aa_refs.items()]}, f)
            lines = ["schema:", "  instanceName: virion-bench", "  primaryKey: accession", "  metadata:"]
            for name, typ, idx in meta:
                lines += [f"    - name: {name}", f"      type: {typ}"]
                if idx:
                    lines.append("      generateIndex: true")
                if name == "pangoLineage":
                    lines.append("      generateLineageIndex: lineage_definitions")
            with open(os.path.join(cfg, "database_config.yaml"), "w") as f:
                f.write("\n".join(lines) + "\n")
            with open(os.path.join(cfg, "initialize.yaml"), "w") as f:
                f.write(f"inputDirectory: {cfg}/\nlineageDefinitionFilenames: [lineage_definitions.yaml]\n"
                        "databaseConfig: database_config.yaml\nreferenceGenomeFilename: reference_genomes.json\n"
                        "withoutUnalignedSequences: true\n")
            shim = ctypes.CDLL(build_shim())
            pointer = ctypes.c_void_p.from_address(id(db) + object.__basicsize__).value  # PyDatabase.c_database
            msg = ctypes.create_string_buffer(4096)
            rc = shim.rhydb_initialize_table(rhydb.database.__file__.encode(), ctypes.c_void_p(pointer), TABLE.encode(),
                                             os.path.join(cfg, "initialize.yaml").encode(), msg, len(msg))
            if rc != 0:
                raise RuntimeError(f"rhydb initialize shim failed ({rc}): {msg.value.decode()}")
        else:  # plain rhydb API: createTable + the lineage relation/alias tables SILO's initializer would build
            db.append_data_from_string("reference_genomes", json.dumps(
                {"name": "main", "type": "nucleotide", "sequence": nuc_ref}) + "\n")
            for g, s in aa_refs.items():
                db.append_data_from_string("reference_genomes", json.dumps(
                    {"name": g, "type": "amino_acid", "sequence": s}) + "\n")
            cols = [f"{n} := {t}(generateIndex := true)" if i else f"{n} := {t}" for n, t, i in meta]
            cols += ["main := nucleotideSequence(reference := main)"]
            cols += [f"{g} := aminoAcidSequence(reference := {g})" for g in aa_refs]
            db.query(f"createTable({TABLE}, {{{', '.join(cols)}}}, primaryKey := accession)")
            db.query("createTable(pango_lineage, {id := string, lineage := string, parent := string, "
                     "is_recombinant_edge := boolean, recombinant_clade_ancestor := string}, primaryKey := id)")
            db.query("createTable(pango_lineage_aliases, {alias := string, lineage := string}, primaryKey := alias)")
            rel, als = [], []
            for lin, d in defs.items():
                rec = len(d["parents"]) > 1
                for p in d["parents"] or [None]:
                    rel.append({"id": str(len(rel)), "lineage": lin, "parent": p, "is_recombinant_edge": rec,
                                "recombinant_clade_ancestor": None})
                als += [{"alias": a, "lineage": lin} for a in d["aliases"]]
            db.append_data_from_string("pango_lineage", "\n".join(map(json.dumps, rel)) + "\n")
            db.append_data_from_string("pango_lineage_aliases", "\n".join(map(json.dumps, als)) + "\n")
        self.info["schema_s"] = time.perf_counter() - t0

    def load(self, lines):
        """Appends the NDJSON records, each prefixed with its dateKey/isoWeek/yearMonth (derived
        from its `date`). Default (--silo-load fifo): one append_data_from_file() call reading a
        named pipe that a forked writer process fills, because every append_data_from_string()
        call costs time proportional to the rows already in the table (see README)."""
        t0 = time.perf_counter()
        if self.args.silo_load == "chunks":
            n = self._load_chunks(lines)
        else:
            n = self._load_fifo(lines)
        self.info["append_s"] = time.perf_counter() - t0
        return n

    @staticmethod
    def _records(lines):
        """Yields (prefix, rest) byte pieces: `{"dateKey":…,"isoWeek":…,"yearMonth":…,` and the
        record without its opening brace."""
        cache = {b"null": b'{"dateKey":null,"isoWeek":null,"yearMonth":null,'}
        for line in lines:
            m = DATE_RE.search(line, 0, 512) or DATE_RE.search(line)
            if m is None:
                raise ValueError(f"record without a date field: {line[:120]!r}")
            key = m.group(1)
            prefix = cache.get(key)
            if prefix is None:
                y, mo, d = int(m.group(2)), int(m.group(3)), int(m.group(4))
                day = f"{y:04d}-{mo:02d}-{d:02d}"
                prefix = (f'{{"dateKey":"{day}","isoWeek":"{iso_week(dt.date(y, mo, d))}",'
                          f'"yearMonth":"{day[:7]}",').encode()
                cache[key] = prefix
            yield prefix, memoryview(line)[1:]

    def _load_fifo(self, lines):
        fifo = os.path.join(tempfile.mkdtemp(prefix="virion-silo-fifo-"), "records.ndjson")
        os.mkfifo(fifo)
        ctx = mp.get_context("fork")
        counter = ctx.Value("q", -1)
        progress = self.args.progress

        def feed():  # runs in a forked child; `lines` continues from where the parent left it
            n = 0
            with open(fifo, "wb", buffering=8 << 20) as out:
                for prefix, rest in self._records(lines):
                    out.write(prefix)
                    out.write(rest)
                    n += 1
                    if progress and n % 100000 == 0:
                        print(f"[silo] fed {n} records", file=sys.stderr, flush=True)
            counter.value = n
        writer = ctx.Process(target=feed)
        writer.start()
        try:
            self.db.append_data_from_file(TABLE, fifo)
        except BaseException:
            writer.kill()
            raise
        finally:
            writer.join()
            os.unlink(fifo)
        if writer.exitcode != 0 or counter.value < 0:
            raise RuntimeError(f"NDJSON writer process failed (exit code {writer.exitcode})")
        return counter.value

    def _load_chunks(self, lines):
        db, limit = self.db, self.args.silo_chunk_mib << 20
        batch, size, n = [], 0, 0
        for prefix, rest in self._records(lines):
            batch += (prefix, rest)
            size += len(rest)
            n += 1
            if size >= limit:
                db.append_data_from_string(TABLE, b"".join(batch).decode())
                batch, size = [], 0
                if self.args.progress:
                    print(f"[silo] {n} records, RSS {rss_mib():.0f} MiB", file=sys.stderr, flush=True)
        if batch:
            db.append_data_from_string(TABLE, b"".join(batch).decode())
        return n

    def q(self, s):
        return self.db.query(s).to_pylist()

    def lin(self, value):
        if self.lineage_mode == "index":
            return f"lineage(pangoLineage, '{value}', includeSublineages:=true)"
        return (f"lineageFromTables(column:=pangoLineage, value:='{value}', lineages:=pango_lineage, "
                f"aliases:=pango_lineage_aliases, includeSublineages:=true)")

    @staticmethod
    def aa(g, p, s):
        return f"aminoAcidEquals(position:={p}, symbol:='{s}', sequenceName:='{g}')"

    @staticmethod
    def nt(p, s):
        return f"nucleotideEquals(position:={p}, symbol:='{s}', sequenceName:='main')"

    def count(self, pred=None, by=()):
        f = f".filter({pred})" if pred else ""
        return self.q(f"{TABLE}{f}.group(by:={{{', '.join(by)}}}, aggs:={{count:=count()}})")

    def weekly(self, pred, by=()):
        """Counts per ISO week: native group by the week column (--silo-dates native), or native
        group by day (dateKey) folded to weeks in Python (--silo-dates day, the default)."""
        if self.dates == "native":
            return self.count(pred, list(by) + ["isoWeek"])
        return fold(self.count(pred, list(by) + ["dateKey"]), list(by), "dateKey", day_to_week)

    def monthly(self, pred):
        if self.dates == "native":
            return self.count(pred, ["yearMonth"])
        return fold(self.count(pred, ["dateKey"]), [], "dateKey", day_to_month)

    def run(self, qid):
        T, aa, nt = TABLE, self.aa, self.nt
        if qid == 1:
            return self.count()
        if qid == 2:
            return self.count(by=["country"])
        if qid == 3:
            return self.weekly(f"{self.lin('BA.2.86')} && date >= '2023-06-01'::date", ["country"])
        if qid == 4:
            return self.weekly(f"{self.lin('JN.1')} && {aa('S', 455, 'S')}")
        if qid == 5:
            return self.weekly(self.lin("JN.1"))
        if qid == 6:
            return self.q(f"{T}.filter(country = '{C_CH}' && date >= '2022-06-01'::date)"
                          f".mutations(minProportion:=0.05)")
        if qid == 7:
            return self.q(f"{T}.filter({self.lin('JN.1')}).aminoAcidMutations(minProportion:=0.05)")
        if qid == 8:
            return self.count(f"nOf(2, {{{aa('S', 455, 'S')}, {aa('S', 456, 'L')}, {aa('S', 346, 'T')}}}) && "
                              f"!{aa('S', 484, 'K')} && country = 'United Kingdom'")
        if qid == 9:
            return self.q(f"{T}.project({{accession, date}}).limit(100)")
        if qid == 10:
            return self.q(f"{T}.mutations(minProportion:=0.05)")
        if qid == 11:
            return self.count(by=["pangoLineage"])
        if qid == 12:
            return self.count("country = 'USA' && date.between('2021-01-01'::date, '2021-06-30'::date)")
        if qid == 13:
            return self.count(f"{nt(241, 'T')} && {nt(23403, 'G')}")
        if qid == 14:
            return self.count(f"{aa('S', 501, 'Y')} && {aa('S', 484, 'K')}", ["country"])
        if qid == 15:
            return self.count(f"({aa('S', 501, 'Y')} || {aa('S', 484, 'K')}) && !{aa('S', 614, 'G')}")
        if qid == 16:
            return self.count(self.lin("B.1.617.2"), ["country"])
        if qid == 17:
            return self.monthly(self.lin("XBB"))
        if qid == 18:
            return self.count("country.like('^(Sw|Ge)')")
        if qid == 19:
            return self.count("isNull(date)")
        if qid == 20:
            return self.count("hasMutation(position:=23403, sequenceName:='main')")
        if qid == 21:
            return self.count(aa("ORF1a", 3675, "-"))
        if qid == 22:
            return self.count(f"maybe({aa('S', 484, 'K')})")
        if qid == 23:
            return self.weekly("country.in({'Germany', 'France'}) && "
                               "date.between('2022-01-01'::date, '2022-12-31'::date)")
        raise NotImplementedError(qid)


# ---- DuckDB over the compact mutation file


MUT_COLUMNS = ("{accession: 'VARCHAR', country: 'VARCHAR', date: 'DATE', pangoLineage: 'VARCHAR', "
               "nucleotideMutations: 'VARCHAR[]', aminoAcidMutations: 'VARCHAR[]', "
               "nucleotideUnknown: 'INTEGER[][]', aminoAcidUnknown: 'JSON[]'}")


class Duck:
    """DuckDB: the mutation file -> Parquet (DuckDB's read_json + COPY) -> in-memory table `t`.
    Coverage as LAPIS/SILO: proportion = count / (genomes in the selection - genomes with N/X
    at the position); nucleotideUnknown/aminoAcidUnknown are 0-based half-open runs."""
    name = "duckdb"

    def __init__(self, args, mutations_path):
        import duckdb
        self.args = args
        self.version = duckdb.__version__
        self.nuc_ref, self.aa_refs = references(args.dataset)
        self.pango = Pango(args.alias_key)
        self.info = {}
        self.con = con = duckdb.connect()
        if args.duckdb_threads:
            con.execute(f"SET threads = {args.duckdb_threads}")
        parquet = args.parquet or os.path.join(tempfile.mkdtemp(prefix="virion-duck-"), "genomes.parquet")
        t0 = time.perf_counter()
        comp = "zstd" if open_stream_is_zstd(mutations_path) else "none"
        con.execute(f"""COPY (
            SELECT accession, country, date, pangoLineage, nucleotideMutations, aminoAcidMutations,
                   list_transform(nucleotideUnknown, lambda x: {{'s': x[1], 'e': x[2]}}) AS nucUnknown,
                   list_transform(aminoAcidUnknown,
                                  lambda x: {{'g': x->>0, 's': (x->>1)::INTEGER, 'e': (x->>2)::INTEGER}}) AS aaUnknown
            FROM read_json('{mutations_path}', format = 'newline_delimited', compression = '{comp}',
                           columns = {MUT_COLUMNS})
        ) TO '{parquet}' (FORMAT parquet, COMPRESSION zstd)""")
        self.info["to_parquet_s"] = time.perf_counter() - t0
        self.info["parquet_mib"] = os.path.getsize(parquet) / 2 ** 20
        t0 = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{parquet}')")
        lins = [r[0] for r in con.execute("SELECT DISTINCT pangoLineage FROM t WHERE pangoLineage IS NOT NULL").fetchall()]
        defs = self.pango.definitions(lins)
        con.execute("CREATE TABLE pango_edges (lineage VARCHAR, parent VARCHAR)")
        edges = [(lin, d["parents"][0]) for lin, d in defs.items() if len(d["parents"]) == 1]
        # data names that are not canonical hang below their canonical name
        edges += [(a, lin) for lin, d in defs.items() for a in d["aliases"]]
        con.executemany("INSERT INTO pango_edges VALUES (?, ?)", edges)
        self.info["table_s"] = time.perf_counter() - t0

    def q(self, sql):
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def lin(self, value):
        """Sublineages over non-recombinant edges (SILO's default recombinantFollowingMode=doNotFollow)."""
        v = self.pango.canon(value)
        return (f"pangoLineage IN (WITH RECURSIVE d(l) AS (SELECT '{v}' UNION SELECT e.lineage FROM pango_edges e "
                f"JOIN d ON e.parent = d.l) SELECT l FROM d)")

    def aa(self, g, p, s):
        return f"list_contains(aminoAcidMutations, '{g}:{self.aa_refs[g][p - 1]}{p}{s}')"

    def nt(self, p, s):
        return f"list_contains(nucleotideMutations, '{self.nuc_ref[p - 1]}{p}{s}')"

    def count(self, pred=None, by=()):
        w = f" WHERE {pred}" if pred else ""
        sel = ", ".join(by)
        g = " GROUP BY ALL" if by else ""
        return self.q(f"SELECT {sel + ', ' if sel else ''}count(*) AS count FROM t{w}{g}")

    def nuc_props(self, pred):
        w = f"WHERE {pred}" if pred else ""
        return self.q(f"""
            WITH f AS (SELECT nucleotideMutations, nucUnknown FROM t {w}),
            n AS (SELECT count(*) AS n FROM f),
            m AS (SELECT mut, count(*) AS c FROM (SELECT unnest(nucleotideMutations) AS mut FROM f) GROUP BY mut),
            mp AS (SELECT mut, c, CAST(regexp_extract(mut, '([0-9]+)', 1) AS INTEGER) AS pos FROM m),
            runs AS (SELECT unnest(nucUnknown) AS r FROM f),
            ev AS (SELECT p, sum(d) AS d FROM (SELECT r.s + 1 AS p, 1 AS d FROM runs
                                               UNION ALL SELECT r.e + 1 AS p, -1 AS d FROM runs) GROUP BY p),
            depth AS (SELECT p, sum(d) OVER (ORDER BY p) AS depth FROM ev)
            SELECT mut, c AS count, n.n - coalesce(depth.depth, 0) AS coverage,
                   c / (n.n - coalesce(depth.depth, 0)) AS proportion
            FROM mp ASOF LEFT JOIN depth ON mp.pos >= depth.p, n
            WHERE c / (n.n - coalesce(depth.depth, 0)) >= 0.05""")

    def aa_props(self, pred):
        w = f"WHERE {pred}" if pred else ""
        return self.q(f"""
            WITH f AS (SELECT aminoAcidMutations, aaUnknown FROM t {w}),
            n AS (SELECT count(*) AS n FROM f),
            m AS (SELECT mut, count(*) AS c FROM (SELECT unnest(aminoAcidMutations) AS mut FROM f) GROUP BY mut),
            mp AS (SELECT mut, c, split_part(mut, ':', 1) AS g,
                          CAST(regexp_extract(mut, ':[A-Z*-]([0-9]+)', 1) AS INTEGER) AS pos FROM m),
            runs AS (SELECT unnest(aaUnknown) AS r FROM f),
            ev AS (SELECT g, p, sum(d) AS d FROM (SELECT r.g AS g, r.s + 1 AS p, 1 AS d FROM runs
                                                  UNION ALL SELECT r.g AS g, r.e + 1 AS p, -1 AS d FROM runs)
                   GROUP BY g, p),
            depth AS (SELECT g, p, sum(d) OVER (PARTITION BY g ORDER BY p) AS depth FROM ev)
            SELECT mut, c AS count, n.n - coalesce(depth.depth, 0) AS coverage,
                   c / (n.n - coalesce(depth.depth, 0)) AS proportion
            FROM mp ASOF LEFT JOIN depth ON mp.g = depth.g AND mp.pos >= depth.p, n
            WHERE c / (n.n - coalesce(depth.depth, 0)) >= 0.05""")

    def run(self, qid):
        aa, nt = self.aa, self.nt
        wk = "strftime(date, '%G-W%V') AS isoWeek"
        if qid == 1:
            return self.count()
        if qid == 2:
            return self.count(by=["country"])
        if qid == 3:
            return self.count(f"{self.lin('BA.2.86')} AND date >= DATE '2023-06-01'", ["country", wk])
        if qid == 4:
            return self.count(f"{self.lin('JN.1')} AND {aa('S', 455, 'S')}", [wk])
        if qid == 5:
            return self.count(self.lin("JN.1"), [wk])
        if qid == 6:
            return self.nuc_props(f"country = '{C_CH}' AND date >= DATE '2022-06-01'")
        if qid == 7:
            return self.aa_props(self.lin("JN.1"))
        if qid == 8:
            return self.count(f"({aa('S', 455, 'S')}::INT + {aa('S', 456, 'L')}::INT + {aa('S', 346, 'T')}::INT) >= 2 "
                              f"AND NOT {aa('S', 484, 'K')} AND country = 'United Kingdom'")
        if qid == 9:
            return self.q("SELECT accession, date FROM t LIMIT 100")
        if qid == 10:
            return self.nuc_props(None)
        if qid == 11:
            return self.count(by=["pangoLineage"])
        if qid == 12:
            return self.count("country = 'USA' AND date BETWEEN DATE '2021-01-01' AND DATE '2021-06-30'")
        if qid == 13:
            return self.count(f"{nt(241, 'T')} AND {nt(23403, 'G')}")
        if qid == 14:
            return self.count(f"{aa('S', 501, 'Y')} AND {aa('S', 484, 'K')}", ["country"])
        if qid == 15:
            return self.count(f"({aa('S', 501, 'Y')} OR {aa('S', 484, 'K')}) AND NOT {aa('S', 614, 'G')}")
        if qid == 16:
            return self.count(self.lin("B.1.617.2"), ["country"])
        if qid == 17:
            return self.count(self.lin("XBB"), ["strftime(date, '%Y-%m') AS yearMonth"])
        if qid == 18:
            return self.count("regexp_matches(country, '^(Sw|Ge)')")
        if qid == 19:
            return self.count("date IS NULL")
        if qid == 20:
            return self.count("len(list_filter(nucleotideMutations, lambda x: x LIKE '_23403_')) > 0")
        if qid == 21:
            return self.count(aa("ORF1a", 3675, "-"))
        if qid == 22:
            return self.count(f"({aa('S', 484, 'K')} OR len(list_filter(aaUnknown, "
                              f"lambda x: x.g = 'S' AND x.s < 484 AND x.e >= 484)) > 0)")
        if qid == 23:
            return self.count("country IN ('Germany', 'France') AND date BETWEEN DATE '2022-01-01' AND DATE '2022-12-31'",
                              [wk])
        raise NotImplementedError(qid)


def open_stream_is_zstd(path):
    with open(path, "rb") as f:
        return f.read(4) == ZSTD_MAGIC


# --------------------------------------------------------------------------- results


# A null key, as `virion bench query` writes it: no value can be this text, so a null and an
# empty string never compare equal by accident.
NULL = "\u0000null"


def normalise(qid, rows):
    """Engine-independent form of a result, for cross-checking: sorted (key..., count) tuples for
    grouped counts, (sequence, position, to, count, coverage) for mutation proportions."""
    if qid in MUTATION_QUERIES:
        out = []
        for r in rows:
            if "mutationTo" in r:
                out.append((r["sequenceName"], int(r["position"]), r["mutationTo"], int(r["count"]), int(r["coverage"])))
            else:
                m = r["mut"]
                g, body = m.split(":", 1) if ":" in m else ("main", m)
                out.append((g, int(body[1:-1]), body[-1], int(r["count"]), int(r["coverage"])))
        return sorted(out)
    if qid == 9:
        return None  # an unordered `limit 100`: any 100 rows are a right answer
    out = []
    for r in rows:
        key = tuple(NULL if v is None else str(v) for k, v in sorted(r.items()) if k != "count")
        out.append(key + (int(r["count"]),))
    return sorted(out)


def summary(qid, rows):
    s = {"rows": len(rows)}
    if rows and "count" in rows[0]:
        if len(rows) == 1 and len(rows[0]) == 1:
            s["count"] = int(rows[0]["count"])
        elif qid not in MUTATION_QUERIES:
            s["sum"] = sum(int(r["count"]) for r in rows)
    if qid in MUTATION_QUERIES:
        s["sum"] = sum(int(r["count"]) for r in rows)
    norm = normalise(qid, rows)
    if norm is not None:
        s["digest"] = hashlib.sha1(json.dumps(norm).encode()).hexdigest()[:12]
    return s, norm


def pct(sorted_ms, p):
    """Same rank as `virion bench query`: times[round((n - 1) * p)] (half away from zero)."""
    return sorted_ms[int(math.floor((len(sorted_ms) - 1) * p + 0.5))]


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- harness


DATE_QUERIES = (3, 4, 5, 17, 23)


def time_query(kind, eng, qid, runs, label=""):
    """One warm-up, then `runs` timed runs; returns (summary with p50/p95/p99, normalised result)."""
    try:
        out = eng.run(qid)
        ts = []
        for _ in range(runs):
            t = time.perf_counter()
            out = eng.run(qid)
            ts.append((time.perf_counter() - t) * 1000)
        ts.sort()
        s, norm = summary(qid, out)
        r = dict(s, p50=pct(ts, 0.50), p95=pct(ts, 0.95), p99=pct(ts, 0.99), runs=len(ts))
        print(f"[{kind}] q{qid}{label}: {len(out)} rows, p50 {r['p50']:.2f} ms", file=sys.stderr, flush=True)
        return r, norm
    except Exception as e:  # noqa: BLE001 - report, never fake
        r = {"error": f"{type(e).__name__}: {str(e).strip().splitlines()[0][:200]}"}
        print(f"[{kind}] q{qid}{label}: n/a {r['error']}", file=sys.stderr, flush=True)
        return r, None


def engine_main(kind, args, conn):
    os.dup2(2, 1)  # SILO's spdlog writes to stdout; keep stdout for the report (the parent prints it)
    try:
        t0 = time.perf_counter()
        c0, k0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        if kind == "silo":
            lines = iter_lines(args.input, args.limit)
            first = next(lines)
            eng = Silo(args, json.loads(first))

            def chained():
                yield first
                yield from lines
                for k in range(1, args.repeat):  # scale-up copies with distinct primary keys
                    tag = b'"accession":"R%d-' % k
                    for line in iter_lines(args.input, args.limit):
                        yield line.replace(b'"accession":"', tag, 1)
            n = eng.load(chained())
            eng.info["records"] = n
        else:
            mut = args.mutations
            if not mut:
                if args.input == "-":
                    raise SystemExit("duckdb needs --mutations FILE when the SILO NDJSON comes from stdin")
                mut = os.path.join(tempfile.mkdtemp(prefix="virion-mut-"), "mutations.ndjson.zst")
                t = time.perf_counter()
                subprocess.run([sys.executable, os.path.join(HERE, "silo_to_mutations.py"), "--input", args.input,
                                "--output", mut, "--dataset", args.dataset]
                               + (["--limit", str(args.limit)] if args.limit else []), check=True)
                print(f"[duckdb] derived {mut} in {time.perf_counter() - t:.1f} s (not counted in load)",
                      file=sys.stderr, flush=True)
            eng = Duck(args, mut)
        info = dict(eng.info, load_s=time.perf_counter() - t0, version=eng.version)
        c1, k1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        info["load_cpu_s"] = c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime
        info["load_children_cpu_s"] = k1.ru_utime + k1.ru_stime - k0.ru_utime - k0.ru_stime
        info["rows"] = eng.run(1)[0]["count"]
        info["load_rss_mib"] = rss_mib()
        print(f"[{kind}] {info['rows']} genomes loaded in {info['load_s']:.1f} s, RSS {info['load_rss_mib']:.0f} MiB",
              file=sys.stderr, flush=True)
        res, norms = {}, {}
        for qid, name in MIX:
            if args.queries and qid not in args.queries:
                continue
            res[qid], norms[qid] = time_query(kind, eng, qid, args.runs)
        if kind == "silo" and args.silo_dates == "both":
            eng.dates = "native"  # the week/month queries again, on the precomputed bucket columns
            for qid in DATE_QUERIES:
                if not args.queries or qid in args.queries:
                    res[f"{qid}n"], norms[f"{qid}n"] = time_query(kind, eng, qid, args.runs, " (native buckets)")
        info["rss_mib"] = rss_mib()
        if args.dump_results:
            os.makedirs(args.dump_results, exist_ok=True)
            with open(os.path.join(args.dump_results, f"{kind}.json"), "w") as f:
                json.dump({str(k): v for k, v in norms.items()}, f)
        conn.send({"info": info, "res": res})
    except BaseException:  # noqa: BLE001
        import traceback
        conn.send({"error": traceback.format_exc()})
    finally:
        conn.close()


def fmt_ms(x):
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", help="SILO NDJSON (.zst or plain), or - for stdin (SILO only)")
    ap.add_argument("--mutations", help="compact per-genome mutation NDJSON (.zst or plain) for DuckDB")
    ap.add_argument("--runs", type=int, default=20, help="timed runs per query after one warm-up")
    ap.add_argument("--engines", default="silo,duckdb")
    ap.add_argument("--queries", default="", help="comma-separated query numbers (default: all 23)")
    ap.add_argument("--dataset", default=DEFAULT_DATASET, help="Nextclade dataset (reference, gff, tree.json)")
    ap.add_argument("--alias-key", default=DEFAULT_ALIASES, help="Pango alias_key.json (lineage_notes.txt beside it)")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N records")
    ap.add_argument("--repeat", type=int, default=1,
                    help="SILO only: load the input N times (copies get accession R<k>-...), a scale-up "
                         "without generating N times the genomes; results are then N x the single-copy counts")
    ap.add_argument("--parquet", default=None, help="where DuckDB's Parquet goes (default: a temp dir)")
    ap.add_argument("--silo-lineage", choices=["index", "tables"], default="index",
                    help="index: SILO's lineage index via rhydb_initialize_shim.cpp (default); "
                         "tables: rhydb's public API only, lineageFromTables() over relation tables")
    ap.add_argument("--silo-dates", choices=["both", "day", "native"], default="both",
                    help="week/month grouping: day = native group by day (dateKey), folded to weeks/months "
                         "in Python; native = native group by precomputed isoWeek/yearMonth columns; both "
                         "(default) = day in the main table, native timed as well and reported apart")
    ap.add_argument("--silo-load", choices=["fifo", "chunks"], default="fifo",
                    help="fifo: one append_data_from_file() on a named pipe fed by a forked writer (default); "
                         "chunks: append_data_from_string() per --silo-chunk-mib (quadratic, see README)")
    ap.add_argument("--silo-lineage-names", default=None,
                    help="file with the lineage names the data can hold, one a line (default: lineage_notes.txt "
                         "+ tree.json values; every data value must be covered, or SILO rejects the record)")
    ap.add_argument("--silo-chunk-mib", type=int, default=64, help="NDJSON bytes per append_data_from_string (chunks)")
    ap.add_argument("--duckdb-threads", type=int, default=0, help="DuckDB threads (default: DuckDB's own)")
    ap.add_argument("--dump-results", default=None, help="write each engine's normalised results to DIR/<engine>.json")
    ap.add_argument("--json-out", default=None, help="also append the JSON lines to this file")
    ap.add_argument("--progress", action="store_true", help="print SILO load progress")
    args = ap.parse_args()
    args.queries = {int(x) for x in args.queries.split(",") if x.strip()}
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for e in engines:
        if e not in ("silo", "duckdb"):
            raise SystemExit(f"unknown engine {e}")
    if "silo" in engines and not args.input:
        raise SystemExit("silo needs --input")
    if args.repeat > 1 and (args.input == "-" or engines != ["silo"]):
        raise SystemExit("--repeat needs --engines silo and a file --input")
    if "duckdb" in engines and not (args.mutations or args.input):
        raise SystemExit("duckdb needs --mutations (or --input to derive it)")
    if args.input == "-":
        global STDIN_FD
        STDIN_FD = os.dup(0)
    ctx = mp.get_context("fork")
    results = {}
    for kind in engines:
        a, b = ctx.Pipe(duplex=False)
        p = ctx.Process(target=engine_main, args=(kind, args, b))
        p.start()
        b.close()
        try:
            results[kind] = a.recv()
        except EOFError:
            results[kind] = {"error": f"child exited with code {p.exitcode}"}
        p.join()
    report(args, engines, results)


def report(args, engines, results):
    src = args.input if "silo" in engines else args.mutations
    print(f"\n# Reference engines: {src}" + (f" (first {args.limit} records)" if args.limit else "")
          + (f" loaded {args.repeat} times" if args.repeat > 1 else "")
          + f", {args.runs} runs after 1 warm-up, {os.cpu_count()} CPUs\n")
    ok = []
    for kind in engines:
        r = results[kind]
        if "error" in r:
            print(f"- **{kind}**: FAILED\n```\n{r['error']}\n```")
            continue
        ok.append(kind)
        i = r["info"]
        if kind == "silo":
            extra = (f"rhydb {i['version']}, lineage {args.silo_lineage}, week/month grouping {args.silo_dates}; "
                     f"{i['lineages_defined']} lineages defined; load via {args.silo_load}, appends {i['append_s']:.1f} s of the load; "
                     f"load CPU {i['load_cpu_s']:.1f} s in the engine process + {i['load_children_cpu_s']:.1f} s in its children")
        else:
            extra = (f"duckdb {i['version']}; mutation file -> Parquet {i['to_parquet_s']:.1f} s "
                     f"({i['parquet_mib']:.1f} MiB), Parquet -> table {i['table_s']:.1f} s")
        print(f"- **{kind}**: {i['rows']} genomes; load {i['load_s']:.1f} s, RSS after load "
              f"{i['load_rss_mib']:.0f} MiB, peak RSS {i['rss_mib']:.0f} MiB ({extra})")
    print()
    print("| # | query | " + " | ".join(f"{k} rows | {k} p50 | {k} p95 | {k} p99" for k in ok)
          + (" | ratio p50 | " if len(ok) == 2 else " | ") + "check | notes |")
    print("|" + "---|" * (4 + 4 * len(ok) + (1 if len(ok) == 2 else 0)))
    lines = []
    for qid, name in MIX:
        if args.queries and qid not in args.queries:
            continue
        cells, notes, digests = [], [], set()
        for k in ok:
            x = results[k]["res"][qid]
            if "error" in x:
                cells += ["n/a"] * 4
                notes.append(f"{k}: {x['error']}")
            else:
                cells += [str(x["rows"]), fmt_ms(x["p50"]), fmt_ms(x["p95"]), fmt_ms(x["p99"])]
                fp = [f"count={x['count']}"] if "count" in x else []
                fp += [f"sum={x['sum']}"] if "sum" in x else []
                if fp:
                    notes.append(f"{k} {' '.join(fp)}")
                digests.add(x.get("digest"))
            line = dict(query=qid, name=name, engine=k, **{kk: v for kk, v in x.items()})
            if k in ok and "info" in results[k]:
                line["genomes"] = results[k]["info"]["rows"]
            lines.append(line)
        ratio = ""
        if len(ok) == 2:
            xa, xb = (results[k]["res"][qid] for k in ok)
            if "p50" in xa and "p50" in xb and xb["p50"] > 0:
                ratio = f"{xa['p50'] / xb['p50']:.2f}"
        if any("error" in results[k]["res"][qid] for k in ok):
            check = ""
        elif len(ok) < 2 or None in digests:
            check = "—"
        else:
            check = "same" if len(digests) == 1 else "**DIFFER**"
        print(f"| {qid} | {name} | " + " | ".join(cells) + (f" | {ratio}" if len(ok) == 2 else "")
              + f" | {check} | {'; '.join(notes)} |")
    print(f"\nTimes in ms (p50/p95/p99 as `virion bench query`: sorted[round((n-1)p)]). "
          + ("ratio = " + f"{ok[0]} p50 / {ok[1]} p50. " if len(ok) == 2 else "")
          + "check compares a digest of each engine's normalised result (grouped counts, or "
          "mutation/count/coverage); query 9 is an unordered limit and has none.")
    if "silo" in ok and args.silo_dates == "both":
        print("\nSILO week/month queries grouped natively by the precomputed isoWeek/yearMonth columns "
              "(instead of by day + fold):\n")
        print("| # | query | silo rows | silo p50 | silo p95 | silo p99 | same result as by day |")
        print("|---|---|---|---|---|---|---|")
        res = results["silo"]["res"]
        for qid, name in MIX:
            x = res.get(f"{qid}n")
            if x is None:
                continue
            if "error" in x:
                print(f"| {qid} | {name} | n/a | | | | {x['error']} |")
            else:
                same = "yes" if x.get("digest") == res.get(qid, {}).get("digest") else "**no**"
                print(f"| {qid} | {name} | {x['rows']} | {fmt_ms(x['p50'])} | {fmt_ms(x['p95'])} | {fmt_ms(x['p99'])} | {same} |")
                lines.append(dict(query=qid, name=name, engine="silo", variant="native-buckets",
                                  genomes=results["silo"]["info"]["rows"], **x))
    print()
    out = open(args.json_out, "a") if args.json_out else None
    for k in ok:
        info = dict(results[k]["info"], engine=k, kind="load")
        s = json.dumps(info, sort_keys=True)
        print("BENCH_JSON " + s)
        if out:
            out.write(s + "\n")
    for line in lines:
        s = json.dumps(line, sort_keys=True)
        print("BENCH_JSON " + s)
        if out:
            out.write(s + "\n")
    if out:
        out.close()


if __name__ == "__main__":
    main()
