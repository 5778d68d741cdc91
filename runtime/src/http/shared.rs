//! [`Shared`]: the cells and names that every worker's middleware and the
//! collector share, and how a request is recorded into them.

use std::sync::atomic::AtomicI64;

use crate::chunked::Chunked;
use crate::http::cells::{Bounds, Row};
use crate::http::claim::Claim;
use crate::http::mounts::{self, Mount};
use crate::inventory::{RouteInfo, routes};
use crate::labels::HttpMethod;

/// Metric names, with the prefix.
#[derive(Debug)]
pub(crate) struct Names {
    pub(crate) duration: String,
    pub(crate) active: String,
    pub(crate) route: String,
}

/// What every worker's middleware and the collector share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) names: Names,
    pub(crate) bounds: Bounds,
    pub(crate) status_slots: usize,
    pub(crate) active: [AtomicI64; HttpMethod::ALL.len()],
    pub(crate) unmatched: [Row; HttpMethod::ALL.len()],
    pub(crate) unregistered: [Row; HttpMethod::ALL.len()],
    /// Cells of each mount that has served a request, by mount id.
    pub(crate) mounts: Chunked<MountCells>,
}

/// The rows of one mount: one per method label its handler accepts.
#[derive(Debug)]
pub(crate) struct MountCells {
    pub(crate) methods: Vec<HttpMethod>,
    rows: Vec<Row>,
    /// By method label index: the method's row in `rows`, or `NO_ROW`.
    row_of: [u8; HttpMethod::ALL.len()],
}

/// A method label the mount has no row for.
const NO_ROW: u8 = u8::MAX;

impl MountCells {
    fn new(mount: Mount, bounds: &Bounds, status_slots: usize) -> Self {
        let methods = accepted_methods(mount.route);
        let rows = methods
            .iter()
            .map(|_| Row::new(bounds, status_slots))
            .collect();
        let mut row_of = [NO_ROW; HttpMethod::ALL.len()];
        for (row, method) in methods.iter().enumerate() {
            row_of[method.index()] = u8::try_from(row).expect("ten method labels");
        }
        Self {
            methods,
            rows,
            row_of,
        }
    }

    #[inline]
    fn row(&self, method: HttpMethod) -> Option<&Row> {
        self.rows.get(usize::from(self.row_of[method.index()]))
    }

    pub(crate) fn rows(&self) -> impl Iterator<Item = (HttpMethod, &Row)> {
        self.methods.iter().copied().zip(&self.rows)
    }
}

/// The distinct method labels a route accepts, in label order: every one
/// when its methods are not known at compile time.
fn accepted_methods(route: &RouteInfo) -> Vec<HttpMethod> {
    if route.methods().is_empty() {
        return HttpMethod::ALL.to_vec();
    }
    let mut methods: Vec<HttpMethod> = route
        .methods()
        .iter()
        .map(|m| HttpMethod::from_bytes(m.as_bytes()))
        .collect();
    methods.sort_unstable();
    methods.dedup();
    methods
}

/// Where a request is counted.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    Mount(u32),
    Unmatched,
    Unregistered,
}

impl Target {
    /// Where a request that ended before its response head is counted: the
    /// mount a stamp claimed it for, or `unmatched`.
    pub(crate) fn of_claim(claim: Claim) -> Self {
        match claim {
            Claim::Mount(id) => Self::Mount(id),
            Claim::Unwatched | Claim::None | Claim::Refused => Self::Unmatched,
        }
    }
}

impl Shared {
    pub(crate) fn record(&self, target: Target, method: HttpMethod, code: u16, nanos: u64) {
        let row = match target {
            Target::Mount(id) => {
                let cells = match self.mounts.get(id) {
                    Some(cells) => cells,
                    None => self.mounts.get_or_init(id, || {
                        MountCells::new(mounts::mount(id), &self.bounds, self.status_slots)
                    }),
                };
                // A method the handler does not declare cannot pass actix-web's
                // method guard; if a custom guard lets one through anyway, it is
                // still counted, as `unregistered`.
                cells
                    .row(method)
                    .unwrap_or(&self.unregistered[method.index()])
            }
            Target::Unmatched => &self.unmatched[method.index()],
            Target::Unregistered => &self.unregistered[method.index()],
        };
        row.observe(&self.bounds, code, nanos);
    }

    pub(crate) fn max_samples(&self) -> u64 {
        let per_series = self.bounds.len() as u64 + 2;
        let per_row = (self.status_slots as u64 + 1) * per_series;
        let (route_rows, info_series) = routes().fold((0, 0), |(rows, info), route| {
            let mounted = mounts::times_mounted(route).max(1) as u64;
            (
                rows + mounted * accepted_methods(route).len() as u64,
                info + mounted,
            )
        });
        let bucket_rows = 2 * HttpMethod::ALL.len() as u64;
        (route_rows + bucket_rows) * per_row + HttpMethod::ALL.len() as u64 + info_series
    }
}
