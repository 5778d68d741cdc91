//! [`Shared`]: the cells and names that every worker's middleware and the
//! collector share, and how a request is recorded into them.

use crate::chunked::Chunked;
use crate::http::active::ActiveRequests;
use crate::http::attributes::{Attributes, MAX_METHOD_LABELS};
use crate::http::cells::{Observation, Row, Shape};
use crate::http::claim::Claim;
use crate::http::mounts::{self, Mount};
use crate::inventory::{RouteInfo, is_builtin, registrations};

/// Metric names, with the prefix.
#[derive(Debug)]
pub(crate) struct Names {
    pub(crate) duration: String,
    pub(crate) request_size: String,
    pub(crate) response_size: String,
    pub(crate) active: String,
    pub(crate) route: String,
}

/// What every worker's middleware and the collector share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) names: Names,
    pub(crate) shape: Shape,
    pub(crate) attributes: Attributes,
    /// Registrations whose requests are not counted.
    pub(crate) excluded: Box<[&'static RouteInfo]>,
    /// By [`Attributes::active_index`], per worker.
    pub(crate) active: ActiveRequests,
    /// By method label.
    pub(crate) unmatched: Box<[Row]>,
    /// By method label.
    pub(crate) unregistered: Box<[Row]>,
    /// Cells of each mount that has served a request, by mount id.
    pub(crate) mounts: Chunked<MountCells>,
}

/// The rows of one mount: one per method label its handler accepts.
#[derive(Debug)]
pub(crate) struct MountCells {
    /// Method labels, in label order.
    pub(crate) methods: Vec<u8>,
    rows: Vec<Row>,
    /// By method label index: the method's row in `rows`, or `NO_ROW`.
    row_of: [u8; MAX_METHOD_LABELS],
    /// The registration is excluded: requests through it are not counted.
    excluded: bool,
}

/// A method label the mount has no row for.
const NO_ROW: u8 = u8::MAX;

impl MountCells {
    fn new(mount: Mount, shared: &Shared) -> Self {
        let excluded = shared.is_excluded(mount.route);
        let methods = if excluded {
            Vec::new()
        } else {
            accepted_methods(mount.route, &shared.attributes)
        };
        let rows = methods.iter().map(|_| Row::new(&shared.shape)).collect();
        let mut row_of = [NO_ROW; MAX_METHOD_LABELS];
        for (row, &method) in methods.iter().enumerate() {
            row_of[usize::from(method)] = u8::try_from(row).expect("fewer than 255 method labels");
        }
        Self {
            methods,
            rows,
            row_of,
            excluded,
        }
    }

    #[inline]
    fn row(&self, method: u8) -> Option<&Row> {
        self.rows.get(usize::from(self.row_of[usize::from(method)]))
    }

    pub(crate) fn rows(&self) -> impl Iterator<Item = (u8, &Row)> {
        self.methods.iter().copied().zip(&self.rows)
    }
}

/// The distinct method labels a route accepts, in label order: every one
/// when its methods are not known at compile time.
fn accepted_methods(route: &RouteInfo, attributes: &Attributes) -> Vec<u8> {
    if route.methods().is_empty() {
        return (0..attributes.methods() as u8).collect();
    }
    let mut methods: Vec<u8> = route
        .methods()
        .iter()
        .map(|m| attributes.declared_method(m))
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
    #[inline]
    pub(crate) fn record(&self, target: Target, method: u8, observation: &Observation) {
        let method_index = usize::from(method);
        let row = match target {
            Target::Mount(id) => {
                let cells = match self.mounts.get(id) {
                    Some(cells) => cells,
                    None => self
                        .mounts
                        .get_or_init(id, || MountCells::new(mounts::mount(id), self)),
                };
                if cells.excluded {
                    return;
                }
                // A method the handler does not declare cannot pass actix-web's
                // method guard; if a custom guard lets one through anyway, it is
                // still counted, as `unregistered`.
                cells
                    .row(method)
                    .unwrap_or(&self.unregistered[method_index])
            }
            Target::Unmatched => &self.unmatched[method_index],
            Target::Unregistered => &self.unregistered[method_index],
        };
        row.observe(&self.shape, observation);
    }

    pub(crate) fn is_excluded(&self, route: &'static RouteInfo) -> bool {
        self.excluded.contains(&route)
    }

    pub(crate) fn max_samples(&self) -> u64 {
        let shape = &self.shape;
        let histogram = |buckets: usize| buckets as u64 + 2;
        let per_series = histogram(shape.durations.len())
            + shape
                .sizes
                .as_ref()
                .map_or(0, |sizes| 2 * histogram(sizes.len()));
        let per_row = (shape.variants * shape.series_per_variant()) as u64 * per_series;
        let (route_rows, info_series) = registrations()
            .filter(|route| !self.is_excluded(route))
            .fold((0, 0), |(rows, info), route| {
                // A route of the app counts once before its app is built; the
                // metrics endpoint only where it is mounted.
                let mounted = mounts::times_mounted(route);
                let mounted = if is_builtin(route) {
                    mounted
                } else {
                    mounted.max(1)
                } as u64;
                (
                    rows + mounted * accepted_methods(route, &self.attributes).len() as u64,
                    info + mounted,
                )
            });
        let bucket_rows = 2 * self.attributes.methods() as u64;
        (route_rows + bucket_rows) * per_row + self.active.gauges() as u64 + info_series
    }
}
