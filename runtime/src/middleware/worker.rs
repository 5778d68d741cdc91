//! [`Worker`]: what the [`HttpMetrics`](crate::HttpMetrics) middleware of
//! one worker holds, and each of its requests with it.

use std::sync::Arc;

use crate::cells::active::ActiveShard;
use crate::middleware::shared::Shared;

/// The state every worker shares, and the worker's own shard of
/// `http_server_active_requests`. Behind an `Rc`: a request holds its
/// worker without touching the `Arc`'s count, which every worker would
/// contend on.
#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) shared: Arc<Shared>,
    pub(crate) active: ActiveShard,
}

impl Worker {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        let active = shared.active.shard();
        Self { shared, active }
    }
}
