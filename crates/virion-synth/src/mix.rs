//! The benchmark's query mix: the worked requests of LAPIS-COMPAT and their neighbours, run by
//! `virion bench query` and, over a network of nodes, by the federation tests.

/// The committed query mix: the worked requests of LAPIS-COMPAT and their neighbours.
/// (name, endpoint, parameters as a GET query string would give them). Numbers 1–23 match
/// bench/reference_engines.py.
pub const MIX: &[(&str, &str, &str)] = &[
    ("total count", "aggregated", ""),
    ("count per country", "aggregated", "fields=country"),
    (
        "BA.2.86* per country and week",
        "aggregated",
        "fields=country,date.isoWeek&pangoLineage=BA.2.86*&dateFrom=2023-06-01",
    ),
    (
        "S:L455S in JN.1* per week",
        "aggregated",
        "fields=date.isoWeek&pangoLineage=JN.1*&aminoAcidMutations=S:L455S",
    ),
    ("JN.1* per week", "aggregated", "fields=date.isoWeek&pangoLineage=JN.1*"),
    (
        "mutations ≥5% in Switzerland since June 2022",
        "nucleotideMutations",
        "country=Switzerland&dateFrom=2022-06-01&minProportion=0.05",
    ),
    ("aa mutations ≥5% in JN.1*", "aminoAcidMutations", "pangoLineage=JN.1*&minProportion=0.05"),
    (
        "variant definition (advanced)",
        "aggregated",
        "advancedQuery=[2-of: S:L455S, S:F456L, S:R346T] & !S:484K & country='United Kingdom'",
    ),
    ("100 details", "details", "fields=accession,date&limit=100"),
    ("all nucleotide mutations ≥5%", "nucleotideMutations", "minProportion=0.05"),
    ("count per lineage", "aggregated", "fields=pangoLineage"),
    ("USA in a date range", "aggregated", "country=USA&dateFrom=2021-01-01&dateTo=2021-06-30"),
    ("two nucleotide mutations", "aggregated", "nucleotideMutations=C241T,A23403G"),
    ("N501Y & E484K per country", "aggregated", "fields=country&aminoAcidMutations=S:N501Y,S:E484K"),
    ("boolean mutation query", "aggregated", "advancedQuery=(S:N501Y | S:E484K) & !S:D614G"),
    ("B.1.617.2* per country", "aggregated", "fields=country&pangoLineage=B.1.617.2*"),
    ("XBB* per month", "aggregated", "fields=date.month&pangoLineage=XBB*"),
    ("country regex", "aggregated", "country.regex=^(Sw|Ge)"),
    ("missing dates", "aggregated", "date.isNull=true"),
    ("any mutation at 23403", "aggregated", "nucleotideMutations=23403"),
    ("ORF1a deletion", "aggregated", "aminoAcidMutations=ORF1a:3675-"),
    ("MAYBE ambiguity", "aggregated", "advancedQuery=MAYBE(S:484K)"),
    (
        "date range per week, two countries",
        "aggregated",
        "fields=date.isoWeek&country=Germany,France&dateFrom=2022-01-01&dateTo=2022-12-31",
    ),
    // The LAPIS-COMPAT matrix: S:L455S and S:F456L within JN.1*, four weeks of January 2024.
    ("aa mutations over time (matrix)", "aminoAcidMutationsOverTime", "pangoLineage=JN.1*"),
    ("random sample of 100", "details", "orderBy=random(42)&limit=100&fields=accession,date"),
];

/// The mutations of the mix's time series (`aminoAcidMutationsOverTime`): LAPIS-COMPAT's
/// matrix, S:L455S and S:F456L within JN.1*.
pub const MATRIX_MUTATIONS: [&str; 2] = ["S:L455S", "S:F456L"];

/// The date ranges of the mix's time series: four weeks of January 2024.
pub const MATRIX_WEEKS: [(&str, &str); 4] = [
    ("2024-01-01", "2024-01-07"),
    ("2024-01-08", "2024-01-14"),
    ("2024-01-15", "2024-01-21"),
    ("2024-01-22", "2024-01-28"),
];

/// Decodes a mix entry like a query string; an `advancedQuery` (which contains `&` and `,`)
/// comes last and takes the rest of the text.
pub fn decode(query: &str) -> Vec<(String, Vec<Option<String>>)> {
    let (plain, advanced) = match query.find("advancedQuery=") {
        Some(at) => (&query[..at], Some(&query[at + "advancedQuery=".len()..])),
        None => (query, None),
    };
    let mut pairs: Vec<(String, Vec<Option<String>>)> = plain
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.split(',').map(|v| Some(v.to_owned())).collect())
        })
        .collect();
    if let Some(a) = advanced {
        pairs.push(("advancedQuery".to_owned(), vec![Some(a.to_owned())]));
    }
    pairs
}
