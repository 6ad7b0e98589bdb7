//! What the tickets say about each customer (dormancy, counts), gathered
//! in one pass over the ticket summaries.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::model::Activity;
use crate::store::Store;

/// Tallies every ticket's activity per customer while the tickets are
/// scanned, keeping none of them. Fails only as the scan does.
pub fn activity_by_customer(store: &Store) -> Result<(HashMap<String, Activity>, Vec<Error>)> {
    let map: std::sync::Mutex<HashMap<String, Activity>> = Default::default();
    let scan = store.summaries_where(true, |t| {
        let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(t.customer.to_string()).or_default().count(t);
        false
    })?;
    let map = map.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok((map, scan.errors))
}
