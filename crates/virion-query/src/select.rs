//! An index as queries see it, and the rows a request selects.

use virion_index::{Filter, Index, LineageIndex, RoaringBitmap};

use crate::advanced::Context;
use crate::error::QueryError;
use crate::request::LapisRequest;

/// An index and the lineage index of its lineage column, if any.
#[derive(Debug, Clone)]
pub struct QueryIndex {
    /// The index.
    pub index: Index,
    /// The lineage column's index and its lineage index, if the index has a lineage column.
    pub lineage: Option<(usize, LineageIndex)>,
}

impl QueryIndex {
    /// The context for converting queries over this index.
    pub fn context(&self) -> Context<'_> {
        Context { index: &self.index, lineage: self.lineage.as_ref().map(|(c, l)| (*c, l)) }
    }

    /// The filter of a request: its sequence filters (a lineage column through the lineage
    /// index) AND its advancedQuery AND its variantQuery.
    pub fn filter(&self, req: &LapisRequest) -> Result<Filter, QueryError> {
        let cx = self.context();
        let mut parts = vec![crate::filters::filter_of_params(&cx, &req.filters)?];
        if let Some(text) = &req.advanced {
            parts.push(cx.convert(&crate::parse_advanced(text)?, false)?);
        }
        if let Some(text) = &req.variant_query {
            parts.push(cx.convert(&crate::advanced::parse_variant_query(text)?, false)?);
        }
        // One flat AND, so the planner orders every part by cost.
        let mut flat = Vec::new();
        for p in parts {
            match p {
                Filter::And(c) => flat.extend(c),
                other => flat.push(other),
            }
        }
        Ok(Filter::And(flat))
    }

    /// The rows of `visible` a request selects.
    pub fn select(&self, req: &LapisRequest, visible: &RoaringBitmap) -> Result<RoaringBitmap, QueryError> {
        self.select_within(req, visible, &virion_index::Stop::never())
    }

    /// [`QueryIndex::select`], given up with `OverBudget` once `stop` says so.
    pub fn select_within(
        &self,
        req: &LapisRequest,
        visible: &RoaringBitmap,
        stop: &virion_index::Stop,
    ) -> Result<RoaringBitmap, QueryError> {
        let filter = self.filter(req)?;
        Ok(self.index.refine_within(&filter, visible, stop)?)
    }
}
