//! One caller's view of one collection: the released rows the public sees, plus, for a hub
//! member, the group's unreleased overlay. Questions run on blocking threads, a bounded number
//! at a time, each with a deadline, so that one heavy query cannot stall the others.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use virion_index::CancelOnDrop;
use virion_query::execute::{Budget, Endpoint, Part};
use virion_query::{LapisRequest, QueryError, Table};
use virion_store::{Store, UserId};

use crate::collections::{Collection, Collections};
use crate::error::CollectionError;
use crate::members::{self, Overlay};
use crate::slots::Cost;

/// Most rows a details page may ask for and still count as cheap.
const CHEAP_PAGE: usize = 1_000;
/// Most passes over all rows (as the index estimates a filter's cost) a cheap question makes.
const CHEAP_PASSES: u64 = 4;

/// A collection as one caller sees it.
#[derive(Debug, Clone)]
pub struct View {
    name: String,
    slot: Arc<RwLock<Collection>>,
    overlay: Option<Arc<Overlay>>,
    collections: Collections,
    data_version: i64,
}

impl Collections {
    /// The view of `organism` (`None`: the default organism) for `viewer` (`None`: the public).
    /// A viewer who is a member of a group with unreleased versions also sees those.
    pub async fn view(
        &self,
        store: &Store,
        organism: Option<&str>,
        viewer: Option<UserId>,
    ) -> Result<View, CollectionError> {
        let name = organism
            .or_else(|| self.default_organism())
            .ok_or_else(|| CollectionError::NoDefault { served: self.names() })?
            .to_owned();
        let Some(slot) = self.get(&name) else {
            return Err(if self.is_hub_organism(&name) {
                CollectionError::Building { name }
            } else {
                CollectionError::Unknown { name, served: self.names() }
            });
        };
        let data_version = slot.read().expect("index lock").data_version;
        let overlay = match viewer {
            Some(user) => members::overlay(self, store, &name, user).await.map_err(|e| {
                tracing::error!(error = %e, "member view failed");
                CollectionError::MemberView(e)
            })?,
            None => None,
        };
        Ok(View { name, slot, overlay, collections: self.clone(), data_version })
    }
}

impl View {
    /// The collection's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Unix seconds when the released data of this view went live (LAPIS's `dataVersion`).
    pub fn data_version(&self) -> i64 {
        self.data_version
    }

    /// The collection behind the view (its schema, info and released rows), locked for reading.
    pub fn collection(&self) -> std::sync::RwLockReadGuard<'_, Collection> {
        self.slot.read().expect("index lock")
    }

    /// The caller's overlay of unreleased data, if any (its rows are part 1 of [`View::run`]).
    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlay.as_deref()
    }

    /// Runs `f` over the caller's parts (the released rows, minus those the overlay supersedes,
    /// plus the overlay) on a blocking thread, with a heavy query slot and a deadline.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&[Part<'_>], &Collection, &Budget) -> Result<T, QueryError> + Send + 'static,
    ) -> Result<T, CollectionError> {
        self.run_as(Cost::Heavy, f).await
    }

    /// [`View::run`] in a slot of `cost`'s class. The work stops at the deadline, and also
    /// once this future is dropped (its client went away): the budget's stop is cancelled.
    pub async fn run_as<T: Send + 'static>(
        &self,
        cost: Cost,
        f: impl FnOnce(&[Part<'_>], &Collection, &Budget) -> Result<T, QueryError> + Send + 'static,
    ) -> Result<T, CollectionError> {
        let permit = self.collections.query_slots().acquire(cost).await;
        let (slot, overlay) = (self.slot.clone(), self.overlay.clone());
        let (_cancel_when_dropped, stop) =
            CancelOnDrop::new(Some(Instant::now() + self.collections.query_timeout()));
        let budget = Budget { stop, ..Budget::default() };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let ix = slot.read().expect("index lock");
            match &overlay {
                None => f(&[Part { index: &ix.query, visible: &ix.visible }], &ix, &budget),
                Some(o) => {
                    let visible = o.hide_superseded(&ix);
                    let parts = [
                        Part { index: &ix.query, visible: &visible },
                        Part { index: &o.query, visible: &o.visible },
                    ];
                    f(&parts, &ix, &budget)
                }
            }
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "query task failed");
            CollectionError::Failed(e.to_string())
        })?
        .map_err(CollectionError::from)
    }

    /// The expected cost of asking `request` of `endpoint` (`None`: another kind of work):
    /// cheap when the filter's estimated cost is a few passes over the rows and the endpoint
    /// is a count or a short page of details; heavy otherwise. A request that does not parse
    /// is cheap: it is refused at once.
    pub fn cost_of(&self, endpoint: Option<Endpoint>, request: &LapisRequest) -> Cost {
        let short_page = request.limit.is_some_and(|l| l <= CHEAP_PAGE);
        match endpoint {
            Some(Endpoint::Aggregated) => {}
            Some(Endpoint::Details) if short_page => {}
            _ => return Cost::Heavy,
        }
        let ix = self.collection();
        let rows = u64::from(ix.query.index.rows()).max(1);
        match ix.query.filter(request) {
            Ok(filter) if ix.query.index.estimated_cost(&filter) > CHEAP_PASSES * rows => Cost::Heavy,
            _ => Cost::Cheap,
        }
    }

    /// The answer of a table endpoint (aggregated counts, details, mutations, insertions).
    pub async fn table(&self, endpoint: Endpoint, request: LapisRequest) -> Result<Table, CollectionError> {
        let cost = self.cost_of(Some(endpoint), &request);
        self.run_as(cost, move |parts, _, budget| {
            virion_query::execute::table(parts, endpoint, &request, budget)
        })
        .await
    }

    /// How many rows `request`'s filters select.
    pub async fn count(&self, request: LapisRequest) -> Result<u64, CollectionError> {
        let cost = self.cost_of(Some(Endpoint::Aggregated), &request);
        self.run_as(cost, move |parts, _, budget| count(parts, &request, budget)).await
    }
}

/// How many rows of `parts` a request's filters select.
pub fn count(parts: &[Part<'_>], request: &LapisRequest, budget: &Budget) -> Result<u64, QueryError> {
    let selected = virion_query::execute::select_parts(parts, request, budget)?;
    Ok(selected.iter().map(virion_index::RoaringBitmap::len).sum())
}
