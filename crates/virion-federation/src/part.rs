//! One node's part of a federated answer, under what it shares with the asker. A part is what
//! the merge needs to be exact: every group's count (not a page of them), every mutation at or
//! over `minProportion` here with its count and coverage (the candidates: see
//! [`part_request`]), then the count and coverage of candidates other nodes found; every
//! insertion; detail rows
//! up to the asker's `offset + limit` in the asked order. At `aggregates`, groups counting
//! fewer genomes than the share's minimum cell are withheld and counted, and no detail row
//! leaves the node.

use virion_index::ColumnType;
use virion_query::execute::{Budget, Endpoint, Part, select_parts};
use virion_query::{Cell, LapisRequest, OrderBy, QueryError, Table};

use crate::peers::{Level, Share};
use crate::wire::{PartBody, Question, SeriesItems, SeriesPart};

/// What a node shares with itself (its own part of a federated answer).
pub const OWN: Share = Share { level: Level::Records, min_cell: 1 };

/// The request a node runs for its part of `endpoint`'s answer to `req`.
pub fn part_request(endpoint: Endpoint, req: &LapisRequest) -> LapisRequest {
    let mut part = LapisRequest {
        filters: req.filters.clone(),
        advanced: req.advanced.clone(),
        ..LapisRequest::default()
    };
    part.variant_query = req.variant_query.clone();
    match endpoint {
        Endpoint::Aggregated => part.fields = req.fields.clone(),
        Endpoint::Details => {
            part.fields = req.fields.clone();
            // Random orders are drawn over the merged rows; a node returns its rows to be drawn from.
            if matches!(req.order_by, OrderBy::Fields(_)) {
                part.order_by = req.order_by.clone();
                part.limit = req.limit.map(|l| l.saturating_add(req.offset));
            }
        }
        // Every mutation at or over the threshold here, with every column: one over it
        // overall is over it on some node (the merged proportion is a mean of the nodes'
        // proportions weighted by coverage, never above the largest), so these are all the
        // candidates; a second round asks each node for the candidates it did not report.
        Endpoint::NucleotideMutations | Endpoint::AminoAcidMutations => {
            part.min_proportion =
                Some(req.min_proportion.unwrap_or(virion_query::execute::DEFAULT_MIN_PROPORTION));
        }
        Endpoint::NucleotideInsertions | Endpoint::AminoAcidInsertions => {}
    }
    part
}

/// Withholds the rows of `table` whose count column is below `min_cell` (a count of 0 says
/// nothing about anyone and stays); returns how many were withheld.
fn withhold(table: &mut Table, min_cell: u64) -> u64 {
    let Some(at) = table.columns.iter().position(|c| c == "count") else { return 0 };
    let before = table.rows.len();
    table.rows.retain(|r| match r[at] {
        Cell::Int(n) => n == 0 || n as u64 >= min_cell,
        _ => true,
    });
    (before - table.rows.len()) as u64
}

/// Whether grouping by `field` would list genomes one by one: the collection's primary key and
/// its unindexed text columns (accessions, strain names, submitters' ids: SILO schemas index
/// the categorical fields a count is grouped by and leave identifiers unindexed).
fn identifying(parts: &[Part<'_>], field: &str, primary_key: &str) -> bool {
    field.eq_ignore_ascii_case(primary_key)
        || parts.iter().any(|p| {
            p.index.index.columns.iter().any(|c| {
                c.name.eq_ignore_ascii_case(field) && c.kind == ColumnType::String { indexed: false }
            })
        })
}

/// This node's part of the answer to `question`, over its `parts`, as it shares it.
/// `primary_key` names the collection's identifying column: at `aggregates`, a count grouped
/// by it or by another identifier is withheld whatever its size, since it would name genomes.
pub fn answer(
    parts: &[Part<'_>],
    question: &Question,
    share: Share,
    primary_key: &str,
    budget: &Budget,
) -> Result<PartBody, QueryError> {
    if share.level == Level::None {
        return Ok(PartBody::Withheld);
    }
    let aggregates_only = share.level == Level::Aggregates;
    match question {
        Question::Table { endpoint: Endpoint::Details, .. } if aggregates_only => Ok(PartBody::Withheld),
        Question::Table { endpoint: Endpoint::Aggregated, request }
            if aggregates_only && request.fields.iter().any(|f| identifying(parts, f, primary_key)) =>
        {
            Ok(PartBody::Withheld)
        }
        Question::Table { endpoint, request } => {
            let mut table = virion_query::execute::table(parts, *endpoint, request, budget)?;
            let withheld = if aggregates_only { withhold(&mut table, share.min_cell) } else { 0 };
            Ok(PartBody::Table { table, withheld })
        }
        Question::Mutations { amino_acid, request, mutations } => {
            let selected = select_parts(parts, request, budget)?;
            let asked: Vec<virion_query::MutationSite<'_>> = mutations
                .iter()
                .map(|(_, site, to)| {
                    ((!site.sequence.is_empty()).then_some(site.sequence.as_str()), site.position, *to as u8)
                })
                .collect();
            let mut sums = vec![(0u64, 0u64); asked.len()];
            for (part, rows) in parts.iter().zip(&selected) {
                budget.check()?;
                for (sum, (c, v)) in sums.iter_mut().zip(virion_query::counts_at(
                    &part.index.index,
                    rows,
                    *amino_acid,
                    &asked,
                )?) {
                    sum.0 += c;
                    sum.1 += v;
                }
            }
            let min = if aggregates_only { share.min_cell } else { 1 };
            let shown = |n: u64| n == 0 || n >= min;
            Ok(PartBody::Counts(
                sums.into_iter().map(|(c, v)| (shown(c) && shown(v)).then_some((c, v))).collect(),
            ))
        }
        Question::Series { request, date_field, ranges, items } => {
            let ranges = parse_ranges(ranges)?;
            let series = match items {
                SeriesItems::Mutations { amino_acid, mutations } => {
                    virion_query::execute::mutations_over_time(
                        parts,
                        request,
                        mutations,
                        date_field,
                        &ranges,
                        *amino_acid,
                        budget,
                    )?
                }
                SeriesItems::Queries(queries) => virion_query::execute::queries_over_time(
                    parts, request, queries, date_field, &ranges, budget,
                )?,
            };
            let min = if aggregates_only { share.min_cell } else { 1 };
            // A cell is withheld if either of its counts is small: the coverage is a count of
            // genomes too.
            let shown = |n: u64| n == 0 || n >= min;
            Ok(PartBody::Series(SeriesPart {
                labels: series.labels,
                cells: series
                    .cells
                    .into_iter()
                    .map(|row| {
                        row.into_iter().map(|(c, v)| (shown(c) && shown(v)).then_some((c, v))).collect()
                    })
                    .collect(),
                totals: series.totals.into_iter().map(|n| shown(n).then_some(n)).collect(),
            }))
        }
        // Sequences may live outside the index (a hub's store): the server reads them for an
        // asker sharing records; to anyone else this node shows none.
        Question::Sequences { .. } if aggregates_only => Ok(PartBody::Withheld),
        Question::About | Question::Sequences { .. } => Err(QueryError::BadValue {
            parameter: "question".into(),
            value: format!("{question:?}").chars().take(40).collect(),
            reason: "answered by the server from the collection, not from its rows".into(),
        }),
    }
}

/// Date ranges as sent (`YYYY-MM-DD`, either bound open).
fn parse_ranges(
    ranges: &[(Option<String>, Option<String>)],
) -> Result<Vec<virion_query::execute::DateRange>, QueryError> {
    let day = |t: &Option<String>| -> Result<Option<chrono::NaiveDate>, QueryError> {
        t.as_deref()
            .map(|t| {
                chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| QueryError::BadValue {
                    parameter: "dateRanges".into(),
                    value: t.to_owned(),
                    reason: "not a date YYYY-MM-DD".into(),
                })
            })
            .transpose()
    };
    ranges.iter().map(|(from, to)| Ok((day(from)?, day(to)?))).collect()
}
