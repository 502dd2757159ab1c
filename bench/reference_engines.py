#!/usr/bin/env python3
"""Reference engines for Virion's query-mix benchmark: SILO (PyPI `rhydb` 0.16.0) and DuckDB.

Run (venv with rhydb, duckdb, pyarrow; no numpy needed):
  /work/venv-silo/bin/python bench/reference_engines.py --input /work/bench/q/silo-100k.ndjson.zst \
      --runs 20 --engines silo,duckdb --alias-key /work/shared/data/pango/alias_key.json [--limit 20000]

Each engine runs in its own forked child, so "peak RSS" is per engine (ru_maxrss of that child).
See bench/README.md for the semantics, shortcuts and what cannot be expressed.
"""
import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

NEXTCLADE = "/work/shared/data/nextclade/sars-cov-2"
TABLE = "sequences"
NUC_OK = set("ACGT-")

# --------------------------------------------------------------------------- input


def iter_lines(path, limit=None):
    """Yields decoded NDJSON lines (str) from a .zst (via the zstd CLI) or a plain file."""
    if path.endswith(".zst"):
        proc = subprocess.Popen(["zstd", "-dc", path], stdout=subprocess.PIPE, bufsize=1 << 22)
        f = proc.stdout
    else:
        proc, f = None, open(path, "rb")
    n = 0
    try:
        for line in f:
            if not line.strip():
                continue
            yield line.decode()
            n += 1
            if limit and n >= limit:
                break
    finally:
        f.close()
        if proc:
            proc.kill()
            proc.wait()


def read_fasta(path):
    with open(path) as f:
        return "".join(l.strip() for l in f if not l.startswith(">")).upper()


def read_cds(path):
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


def references(first_record):
    """Nucleotide reference + CDS peptides translated from reference.fasta with the gff coordinates."""
    nuc = read_fasta(os.path.join(NEXTCLADE, "reference.fasta"))
    cds = read_cds(os.path.join(NEXTCLADE, "genome_annotation.gff3"))
    genes = {}
    for g in first_record:
        if g == "main" or not isinstance(first_record[g], dict):
            continue
        s, e = cds[g]
        dna = nuc[s - 1:e]
        genes[g] = "".join(CODON.get(dna[i:i + 3], "X") for i in range(0, len(dna) - 2, 3))
        if len(genes[g]) != len(first_record[g]["sequence"]):
            raise SystemExit(f"reference peptide {g}: length {len(genes[g])} != data {len(first_record[g]['sequence'])}")
    return nuc, genes


# --------------------------------------------------------------------------- Pango DAG from alias_key.json


class Pango:
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
        full = self.unalias(name)
        if "." in full:
            return [self.compress(full.rsplit(".", 1)[0])]
        v = self.alias.get(full)
        if isinstance(v, list):
            out = []
            for p in v:
                p = self.canon(p.rstrip("*"))
                if p not in out:
                    out.append(p)
            return out
        return []

    def edges(self, lineages):
        """Rows (lineage, parent, is_recombinant_edge) covering the data's lineages and their ancestors.
        Data names are canonicalised; a non-canonical data name gets an edge to its canonical form."""
        todo, seen, rows = [], set(), []
        for l in lineages:
            if l is None:
                continue
            c = self.canon(l)
            if c != l:
                rows.append({"lineage": l, "parent": c, "is_recombinant_edge": False})
            todo.append(c)
        while todo:
            lin = todo.pop()
            if lin in seen:
                continue
            seen.add(lin)
            ps = self.parents(lin)
            rec = len(ps) > 1
            if not ps:
                rows.append({"lineage": lin, "parent": None, "is_recombinant_edge": False})
            for p in ps:
                rows.append({"lineage": lin, "parent": p, "is_recombinant_edge": rec})
                todo.append(p)
        return rows


# --------------------------------------------------------------------------- query mix

C_CH = "Switzerland"
MIX = [
    (1, "total count"), (2, "count per country"), (3, "BA.2.86* per country and week"),
    (4, "S:L455S in JN.1* per week"), (5, "JN.1* per week"),
    (6, "nuc mutations >=5% in Switzerland since 2022-06-01"), (7, "aa mutations >=5% in JN.1*"),
    (8, "variant definition (advanced)"), (9, "100 details"), (10, "all nucleotide mutations >=5%"),
    (11, "count per lineage"), (12, "USA in a date range"), (13, "two nucleotide mutations"),
    (14, "N501Y & E484K per country"), (15, "boolean mutation query"), (16, "B.1.617.2* per country"),
    (17, "XBB* per month"), (18, "country regex"), (19, "missing dates"), (20, "any mutation at 23403"),
    (21, "ORF1a deletion"), (22, "MAYBE ambiguity"), (23, "date range per week, two countries"),
]


def iso_week(d):
    if d is None:
        return None
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def fold(rows, key_fields, date_fn):
    """Folds rows (key_fields..., date[, count]) into (key_fields..., date_fn(date)) with summed counts."""
    acc = {}
    for r in rows:
        k = tuple(r[f] for f in key_fields) + (date_fn(r["date"]),)
        acc[k] = acc.get(k, 0) + r.get("count", 1)
    return [dict(zip(key_fields + ["bucket"], k), count=v) for k, v in acc.items()]


def month(d):
    return None if d is None else f"{d.year}-{d.month:02d}"


# ---- SILO / rhydb


class Silo:
    name = "silo"

    def __init__(self, args, nuc_ref, aa_refs, pango):
        from rhydb import Database
        self.db = Database()
        self.pango = pango
        db = self.db
        db.append_data_from_string("reference_genomes", json.dumps(
            {"name": "main", "type": "nucleotide", "sequence": nuc_ref}))
        for g, s in aa_refs.items():
            db.append_data_from_string("reference_genomes", json.dumps(
                {"name": g, "type": "amino_acid", "sequence": s}))
        cols = ["accession := string", "country := string(generateIndex := true)", "date := date",
                "pangoLineage := string(generateIndex := true)", "main := nucleotideSequence(reference := main)"]
        cols += [f"{g} := aminoAcidSequence(reference := {g})" for g in aa_refs]
        db.query(f"createTable({TABLE}, {{{', '.join(cols)}}}, primaryKey := accession)")
        batch, size = [], 0
        for line in iter_lines(args.input, args.limit):
            batch.append(line if line.endswith("\n") else line + "\n")
            size += len(line)
            if size > 64 << 20:
                db.append_data_from_string(TABLE, "".join(batch))
                batch, size = [], 0
        if batch:
            db.append_data_from_string(TABLE, "".join(batch))
        lins = [r["pangoLineage"] for r in db.query(
            f"{TABLE}.group(by:={{pangoLineage}}, aggs:={{count:=count()}})").to_pylist()]
        db.query("createTable(pango_edges, {lineage := string, parent := string, is_recombinant_edge := boolean})")
        db.append_data_from_string("pango_edges", "\n".join(json.dumps(r) for r in pango.edges(lins)) + "\n")

    def q(self, s):
        return self.db.query(s).to_pylist()

    def lin(self, value):
        v = self.pango.canon(value)
        rel = "pango_edges.filter(is_recombinant_edge = false && isNotNull(parent)).map({a := parent, b := lineage}).project({a, b})"
        clo = f"{rel}.transitiveClosure(a, b, includeVertices := true, startingFrom := {{'{v}'}}).project({{to}})"
        return f"(pangoLineage = '{v}' || pangoLineage.in({clo}))"

    @staticmethod
    def aa(g, p, s):
        return f"aminoAcidEquals(position:={p}, symbol:='{s}', sequenceName:='{g}')"

    @staticmethod
    def nt(p, s):
        return f"nucleotideEquals(position:={p}, symbol:='{s}', sequenceName:='main')"

    def count(self, pred=None, by=()):
        f = f".filter({pred})" if pred else ""
        if "date" in by:
            # rhydb 0.16: group(by:={date}) fails ("No function registered with name: hash_count_all"),
            # so SILO filters and projects the rows and Python counts them (inside the timing).
            return self.q(f"{TABLE}{f}.project({{{', '.join(by)}}})")
        return self.q(f"{TABLE}{f}.group(by:={{{', '.join(by)}}}, aggs:={{count:=count()}})")

    def run(self, qid):
        T, aa, nt = TABLE, self.aa, self.nt
        if qid == 1:
            return self.count()
        if qid == 2:
            return self.count(by=["country"])
        if qid == 3:
            return fold(self.count(f"{self.lin('BA.2.86')} && date >= '2023-06-01'::date", ["country", "date"]),
                        ["country"], iso_week)
        if qid == 4:
            return fold(self.count(f"{self.lin('JN.1')} && {aa('S', 455, 'S')}", ["date"]), [], iso_week)
        if qid == 5:
            return fold(self.count(self.lin("JN.1"), ["date"]), [], iso_week)
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
            return fold(self.count(self.lin("XBB"), ["date"]), [], month)
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
            return fold(self.count("country.in({'Germany', 'France'}) && "
                                   "date.between('2022-01-01'::date, '2022-12-31'::date)", ["date"]), [], iso_week)
        raise NotImplementedError


# ---- DuckDB over a Parquet file of derived mutation lists


def diff_positions(seq, ref_arr, n):
    """0-based indices where seq differs from the reference (pyarrow compute, no numpy)."""
    b = seq.encode()
    if len(b) != n:
        raise ValueError(f"length {len(b)} != reference {n}")
    arr = pa.Array.from_buffers(pa.uint8(), n, [None, pa.py_buffer(b)])
    return pc.indices_nonzero(pc.not_equal(arr, ref_arr)).to_pylist()


def runs(positions):
    """Sorted 1-based positions -> (starts, ends) of maximal runs."""
    s, e = [], []
    for p in positions:
        if e and p == e[-1] + 1:
            e[-1] = p
        else:
            s.append(p)
            e.append(p)
    return s, e


def build_parquet(args, nuc_ref, aa_refs, out_path):
    refs = {"main": nuc_ref, **aa_refs}
    ref_arrs = {k: pa.Array.from_buffers(pa.uint8(), len(v), [None, pa.py_buffer(v.encode())]) for k, v in refs.items()}
    cols = {k: [] for k in ["accession", "country", "date", "pangoLineage", "nuc_mutations", "aa_mutations",
                            "nuc_unc_s", "nuc_unc_e", "aa_unc_g", "aa_unc_s", "aa_unc_e"]}
    for line in iter_lines(args.input, args.limit):
        r = json.loads(line)
        cols["accession"].append(r["accession"])
        cols["country"].append(r.get("country"))
        cols["date"].append(dt.date.fromisoformat(r["date"]) if r.get("date") else None)
        cols["pangoLineage"].append(r.get("pangoLineage"))
        seq = r["main"]["sequence"]
        muts, unc = [], []
        for i in diff_positions(seq, ref_arrs["main"], len(nuc_ref)):
            c = seq[i]
            if c in NUC_OK:
                muts.append(f"{nuc_ref[i]}{i + 1}{c}")
            else:
                unc.append(i + 1)   # N or IUPAC ambiguity: not covered (as SILO's coverage)
        s, e = runs(unc)
        cols["nuc_mutations"].append(muts)
        cols["nuc_unc_s"].append(s)
        cols["nuc_unc_e"].append(e)
        amuts, ag, as_, ae = [], [], [], []
        for g, ref in aa_refs.items():
            pep = r[g]["sequence"]
            unc = []
            for i in diff_positions(pep, ref_arrs[g], len(ref)):
                c = pep[i]
                if c == "X":
                    unc.append(i + 1)
                else:
                    amuts.append(f"{g}:{ref[i]}{i + 1}{c}")
            s, e = runs(unc)
            ag += [g] * len(s)
            as_ += s
            ae += e
        cols["aa_mutations"].append(amuts)
        cols["aa_unc_g"].append(ag)
        cols["aa_unc_s"].append(as_)
        cols["aa_unc_e"].append(ae)
    t = pa.table({
        "accession": pa.array(cols["accession"], pa.string()),
        "country": pa.array(cols["country"], pa.string()),
        "date": pa.array(cols["date"], pa.date32()),
        "pangoLineage": pa.array(cols["pangoLineage"], pa.string()),
        "nuc_mutations": pa.array(cols["nuc_mutations"], pa.list_(pa.string())),
        "aa_mutations": pa.array(cols["aa_mutations"], pa.list_(pa.string())),
        "nuc_unc_s": pa.array(cols["nuc_unc_s"], pa.list_(pa.int32())),
        "nuc_unc_e": pa.array(cols["nuc_unc_e"], pa.list_(pa.int32())),
        "aa_unc_g": pa.array(cols["aa_unc_g"], pa.list_(pa.string())),
        "aa_unc_s": pa.array(cols["aa_unc_s"], pa.list_(pa.int32())),
        "aa_unc_e": pa.array(cols["aa_unc_e"], pa.list_(pa.int32())),
    })
    pq.write_table(t, out_path, compression="zstd")
    return t.num_rows


class Duck:
    name = "duckdb"

    def __init__(self, args, nuc_ref, aa_refs, pango):
        import duckdb
        self.aa_refs = aa_refs
        self.nuc_ref = nuc_ref
        self.parquet = args.parquet or os.path.join(tempfile.mkdtemp(prefix="virion-bench-"), "genomes.parquet")
        t0 = time.perf_counter()
        build_parquet(args, nuc_ref, aa_refs, self.parquet)
        self.preprocess_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.con = duckdb.connect()
        self.con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{self.parquet}')")
        lins = [r[0] for r in self.con.execute("SELECT DISTINCT pangoLineage FROM t").fetchall()]
        edges = pango.edges(lins)
        self.con.execute("CREATE TABLE pango_edges (lineage VARCHAR, parent VARCHAR, is_recombinant_edge BOOLEAN)")
        self.con.executemany("INSERT INTO pango_edges VALUES (?, ?, ?)",
                             [(e["lineage"], e["parent"], e["is_recombinant_edge"]) for e in edges])
        self.load_s = time.perf_counter() - t0
        self.pango = pango

    def q(self, sql):
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def lin(self, value):
        v = self.pango.canon(value)
        return (f"pangoLineage IN (WITH RECURSIVE d(l) AS (SELECT '{v}' UNION SELECT e.lineage FROM pango_edges e "
                f"JOIN d ON e.parent = d.l WHERE NOT e.is_recombinant_edge) SELECT l FROM d)")

    def aa(self, g, p, s):
        return f"list_contains(aa_mutations, '{g}:{self.aa_refs[g][p - 1]}{p}{s}')"

    def nt(self, p, s):
        return f"list_contains(nuc_mutations, '{self.nuc_ref[p - 1]}{p}{s}')"

    def count(self, pred=None, by=(), extra=""):
        w = f" WHERE {pred}" if pred else ""
        sel = ", ".join(list(by) + [extra] if extra else list(by))
        g = f" GROUP BY {sel}" if by or extra else ""
        return self.q(f"SELECT {sel + ', ' if sel else ''}count(*) AS count FROM t{w}{g}")

    def nuc_props(self, pred):
        w = f"WHERE {pred}" if pred else ""
        return self.q(f"""
            WITH f AS (SELECT * FROM t {w}),
            n AS (SELECT count(*) AS n FROM f),
            m AS (SELECT mut, count(*) AS c FROM (SELECT unnest(nuc_mutations) AS mut FROM f) GROUP BY mut),
            mp AS (SELECT mut, c, CAST(regexp_extract(mut, '([0-9]+)', 1) AS INTEGER) AS pos FROM m),
            ev AS (SELECT p, sum(d) AS d FROM (
                     SELECT unnest(nuc_unc_s) AS p, 1 AS d FROM f
                     UNION ALL SELECT unnest(nuc_unc_e) + 1 AS p, -1 AS d FROM f) GROUP BY p),
            depth AS (SELECT p, sum(d) OVER (ORDER BY p) AS depth FROM ev)
            SELECT mut, c AS count, n.n - coalesce(depth.depth, 0) AS coverage,
                   c / (n.n - coalesce(depth.depth, 0)) AS proportion
            FROM mp ASOF LEFT JOIN depth ON mp.pos >= depth.p, n
            WHERE c / (n.n - coalesce(depth.depth, 0)) >= 0.05""")

    def aa_props(self, pred):
        w = f"WHERE {pred}" if pred else ""
        return self.q(f"""
            WITH f AS (SELECT * FROM t {w}),
            n AS (SELECT count(*) AS n FROM f),
            m AS (SELECT mut, count(*) AS c FROM (SELECT unnest(aa_mutations) AS mut FROM f) GROUP BY mut),
            mp AS (SELECT mut, c, split_part(mut, ':', 1) AS g,
                          CAST(regexp_extract(mut, ':[A-Z*-]([0-9]+)', 1) AS INTEGER) AS pos FROM m),
            ev AS (SELECT g, p, sum(d) AS d FROM (
                     SELECT unnest(aa_unc_g) AS g, unnest(aa_unc_s) AS p, 1 AS d FROM f
                     UNION ALL SELECT unnest(aa_unc_g) AS g, unnest(aa_unc_e) + 1 AS p, -1 AS d FROM f) GROUP BY g, p),
            depth AS (SELECT g, p, sum(d) OVER (PARTITION BY g ORDER BY p) AS depth FROM ev)
            SELECT mut, c AS count, n.n - coalesce(depth.depth, 0) AS coverage,
                   c / (n.n - coalesce(depth.depth, 0)) AS proportion
            FROM mp ASOF LEFT JOIN depth ON mp.g = depth.g AND mp.pos >= depth.p, n
            WHERE c / (n.n - coalesce(depth.depth, 0)) >= 0.05""")

    def run(self, qid):
        aa, nt = self.aa, self.nt
        wk = "strftime(date, '%G-W%V')"
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
            return self.count(self.lin("XBB"), ["strftime(date, '%Y-%m')"])
        if qid == 18:
            return self.count("regexp_matches(country, '^(Sw|Ge)')")
        if qid == 19:
            return self.count("date IS NULL")
        if qid == 20:
            return self.count("len(list_filter(nuc_mutations, lambda x: x LIKE '_23403_')) > 0")
        if qid == 21:
            return self.count(aa("ORF1a", 3675, "-"))
        if qid == 22:
            return self.count(f"({aa('S', 484, 'K')} OR len(list_filter(list_zip(aa_unc_g, aa_unc_s, aa_unc_e), "
                              f"lambda x: x[1] = 'S' AND x[2] <= 484 AND x[3] >= 484)) > 0)")
        if qid == 23:
            return self.count("country IN ('Germany', 'France') AND date BETWEEN DATE '2022-01-01' AND DATE '2022-12-31'",
                              [wk])
        raise NotImplementedError


# --------------------------------------------------------------------------- harness


def pct(xs, p):
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(-(-p * len(xs) // 100)) - 1))  # nearest rank
    return xs[k]


def summary(rows):
    """Short result fingerprint: the count for single-count results, else the row count."""
    if len(rows) == 1 and list(rows[0]) == ["count"]:
        return f"count={rows[0]['count']}"
    if rows and "count" in rows[0] and "mutationTo" not in rows[0] and "mut" not in rows[0]:
        return f"sum={sum(r['count'] for r in rows)}"
    return ""


def engine_main(kind, args, conn):
    try:
        with open(args.alias_key) as f:
            pass
        first = json.loads(next(iter_lines(args.input, 1)))
        nuc_ref, aa_refs = references(first)
        pango = Pango(args.alias_key)
        t0 = time.perf_counter()
        eng = (Silo if kind == "silo" else Duck)(args, nuc_ref, aa_refs, pango)
        load = time.perf_counter() - t0
        info = {"load_s": load}
        print(f"[{kind}] loaded in {load:.1f} s", file=sys.stderr, flush=True)
        if kind == "duckdb":
            info["preprocess_s"] = eng.preprocess_s
            info["duck_load_s"] = eng.load_s
            info["parquet_bytes"] = os.path.getsize(eng.parquet)
        nrows = eng.run(1)[0]["count"]
        info["rows"] = nrows
        res = {}
        for qid, _ in MIX:
            try:
                out = eng.run(qid)  # warm-up
                ts = []
                for _ in range(args.runs):
                    t = time.perf_counter()
                    out = eng.run(qid)
                    ts.append((time.perf_counter() - t) * 1000)
                res[qid] = {"rows": len(out), "p50": pct(ts, 50), "p95": pct(ts, 95), "p99": pct(ts, 99),
                            "fp": summary(out)}
                print(f"[{kind}] q{qid}: {len(out)} rows, p50 {res[qid]['p50']:.2f} ms", file=sys.stderr, flush=True)
            except Exception as e:  # noqa: BLE001 - report, never fake
                res[qid] = {"na": f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"}
                print(f"[{kind}] q{qid}: n/a {res[qid]['na']}", file=sys.stderr, flush=True)
        info["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn.send({"info": info, "res": res})
    except Exception as e:  # noqa: BLE001
        import traceback
        conn.send({"error": traceback.format_exc()})
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--engines", default="silo,duckdb")
    ap.add_argument("--alias-key", default="/work/shared/data/pango/alias_key.json")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N records")
    ap.add_argument("--parquet", default=None, help="where to write the DuckDB Parquet file (default: a temp dir)")
    args = ap.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    ctx = mp.get_context("fork")
    results = {}
    for kind in engines:
        if kind not in ("silo", "duckdb"):
            raise SystemExit(f"unknown engine {kind}")
        a, b = ctx.Pipe(duplex=False)
        p = ctx.Process(target=engine_main, args=(kind, args, b))
        p.start()
        b.close()
        try:
            results[kind] = a.recv()
        except EOFError:
            results[kind] = {"error": f"child exited with code {p.exitcode}"}
        p.join()
        sys.stdout.flush()
    print(f"\n# Reference engines: {args.input}" + (f" (first {args.limit} records)" if args.limit else "")
          + f", {args.runs} runs after 1 warm-up\n")
    for kind in engines:
        r = results[kind]
        if "error" in r:
            print(f"- **{kind}**: FAILED\n```\n{r['error']}\n```")
            continue
        i = r["info"]
        extra = ""
        if kind == "duckdb":
            extra = (f" (NDJSON -> Parquet mutation calling {i['preprocess_s']:.1f} s, Parquet "
                     f"{i['parquet_bytes'] / 2**20:.1f} MiB; Parquet -> DuckDB table + lineage edges {i['duck_load_s']:.1f} s)")
        print(f"- **{kind}**: {i['rows']} genomes; load {i['load_s']:.1f} s{extra}; peak RSS {i['rss_mib']:.0f} MiB")
    ok = [k for k in engines if "error" not in results[k]]
    print()
    head = "| # | query | " + " | ".join(f"{k} rows | {k} p50 | {k} p95 | {k} p99" for k in ok) + " | notes |"
    print(head)
    print("|" + "---|" * (3 + 4 * len(ok)))
    for qid, name in MIX:
        cells, notes = [], []
        for k in ok:
            x = results[k]["res"][qid]
            if "na" in x:
                cells += ["n/a"] * 4
                notes.append(f"{k}: {x['na']}")
            else:
                cells += [str(x["rows"]), f"{x['p50']:.2f}", f"{x['p95']:.2f}", f"{x['p99']:.2f}"]
                if x["fp"]:
                    notes.append(f"{k} {x['fp']}")
        print(f"| {qid} | {name} | " + " | ".join(cells) + f" | {'; '.join(notes)} |")
    print("\nTimes in ms. Silo iso-week/month queries (3,4,5,17,23) group by date in SILO and fold to ISO week "
          "(YYYY-Www) / year-month in Python: rhydb 0.16 isoWeek() is broken and group(by:={date}) fails "
          "(hash_count_all), so SILO filters + projects the rows and Python counts them; all inside the timing.")


if __name__ == "__main__":
    main()
