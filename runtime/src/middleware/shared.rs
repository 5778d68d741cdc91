//! [`Shared`]: the cells and names that every worker's middleware and the
//! collector share, and how a request is recorded into them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use actix_web::HttpRequest;
use actix_web::http::StatusCode;

use crate::cells::active::ActiveRequests;
use crate::cells::chunked::Chunked;
use crate::cells::{Observation, Row, Shape};
use crate::middleware::attributes::{Attributes, MAX_METHOD_LABELS};
use crate::routing::app::Built;
use crate::routing::claim::Claim;
use crate::routing::inventory::{RouteInfo, is_builtin, registrations};
use crate::routing::mounts::{self, Mount};

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
    /// Route builders' handlers whose requests are not counted, by type name.
    pub(crate) excluded_handlers: Box<[&'static str]>,
    /// By [`Attributes::active_index`], per worker.
    pub(crate) active: ActiveRequests,
    /// By method label.
    pub(crate) unmatched: Box<[Row]>,
    /// By method label.
    pub(crate) unregistered: Box<[Row]>,
    /// Cells of each mount that has served a request, by mount id.
    pub(crate) mounts: Chunked<MountCells>,
    /// What the app told these metrics about itself when it was built.
    pub(crate) app: Mutex<AppMounts>,
    /// The app's mounts that nothing registered serves, once it was built
    /// (feature `introspection`).
    pub(crate) unregistered_mounts: Mutex<Option<Vec<String>>>,
}

/// The registered places of the app [`HttpMetrics::app`](crate::HttpMetrics::app)
/// wraps, as its builds reported them (the same every build, unless the
/// app's factory builds a different app per worker: then all of them).
#[derive(Debug, Default)]
pub(crate) struct AppMounts {
    /// Whether the app was built through `HttpMetrics::app`.
    built: bool,
    /// The mounts of its `#[register]` handlers, by id, without repeats.
    mounts: Vec<u32>,
    /// The mounts by full template, for requests no mount claimed.
    by_template: HashMap<&'static str, Vec<u32>>,
    /// Its route builders' places, whose full template is learnt at their
    /// first request, with the most of each one build had.
    pending: Vec<(&'static RouteInfo, usize)>,
    /// Each `resource!` built, and whether its own mount only answers what
    /// its routes refuse (every route of it is a route builder, which
    /// claims its own mount, and it has no handler, default service or
    /// middleware of its own): a `405`, for any method, in every build.
    resources: Vec<(&'static RouteInfo, bool)>,
}

impl AppMounts {
    fn add_build(&mut self, places: &[Built]) {
        self.built = true;
        let mut pending: Vec<(&'static RouteInfo, usize)> = Vec::new();
        // Each `resource!` of this build, and whether it only refuses.
        let mut resources: Vec<(&'static RouteInfo, bool)> = Vec::new();
        // The one whose routes are being built (its index in `resources`),
        // and how many of them are route builders so far.
        let mut open: Option<(usize, usize)> = None;
        for place in places {
            if let (Built::Pending(_), Some((_, builders))) = (place, &mut open) {
                *builders += 1;
            }
            match *place {
                Built::RoutesOf(resource) => {
                    open = Some((resources.len(), 0));
                    resources.push((resource, false));
                }
                Built::RoutesEnd(resource, routes) => {
                    if let Some((index, builders)) = open.take() {
                        let (r, only_refuses) = &mut resources[index];
                        *only_refuses = std::ptr::eq(*r, resource) && builders == routes;
                    }
                }
                Built::Mount(id) => {
                    if !self.mounts.contains(&id) {
                        self.mounts.push(id);
                        let template = mounts::template_of(mounts::template_id_of(id));
                        self.by_template.entry(template).or_default().push(id);
                    }
                }
                Built::Pending(route) => *entry(&mut pending, route, 0) += 1,
            }
        }
        for (route, count) in pending {
            let most = entry(&mut self.pending, route, 0);
            *most = (*most).max(count);
        }
        // A resource only refuses while every mount of it in every build does.
        for (resource, only_refuses) in resources {
            *entry(&mut self.resources, resource, true) &= only_refuses;
        }
    }

    /// Whether the route info lists mount `id` (its cells exist once it has
    /// served a request): an app built through `HttpMetrics::app` lists its
    /// own mounts and those its requests resolved (route builders');
    /// otherwise every mount of the process.
    pub(crate) fn lists(&self, id: u32, has_cells: bool) -> bool {
        !self.built || self.mounts.contains(&id) || has_cells
    }

    /// The registrations whose mounts no request has resolved yet, which
    /// `mounted` does not hold: the app's route builders' places, or without
    /// `HttpMetrics::app` the process's.
    pub(crate) fn unresolved(
        &self,
        mounted: impl Fn(&'static RouteInfo) -> bool,
    ) -> Vec<&'static RouteInfo> {
        if self.built {
            self.pending
                .iter()
                .map(|&(route, _)| route)
                .filter(|route| !mounted(route))
                .collect()
        } else {
            mounts::unresolved_routes()
        }
    }

    /// The full templates of the app's `#[register]` mounts.
    #[cfg(feature = "introspection")]
    pub(crate) fn templates(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.mounts
            .iter()
            .map(|&id| mounts::template_of(mounts::template_id_of(id)))
    }

    /// The status slots of each row of a mount of `route`: one for a
    /// `resource!` whose own mount only answers its routes' refusals (a
    /// `405`), the shape's otherwise.
    pub(crate) fn slots_of(&self, route: &'static RouteInfo, shape: &Shape) -> usize {
        let only_refuses = self
            .resources
            .iter()
            .any(|&(r, only)| only && std::ptr::eq(r, route));
        if only_refuses { 1 } else { shape.status_slots }
    }
}

/// The value of `route` in `list`, made `first` if it has none.
fn entry<'a, T>(
    list: &'a mut Vec<(&'static RouteInfo, T)>,
    route: &'static RouteInfo,
    first: T,
) -> &'a mut T {
    let index = list
        .iter()
        .position(|(r, _)| std::ptr::eq(*r, route))
        .unwrap_or_else(|| {
            list.push((route, first));
            list.len() - 1
        });
    &mut list[index].1
}

/// The rows of one mount: one per method label its handler accepts.
#[derive(Debug)]
pub(crate) struct MountCells {
    /// Method labels, in label order.
    pub(crate) method_labels: Vec<u8>,
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
        let slots = shared.app().slots_of(mount.route, &shared.shape);
        let rows = methods
            .iter()
            .map(|_| Row::with_slots(&shared.shape, slots))
            .collect();
        let mut row_of = [NO_ROW; MAX_METHOD_LABELS];
        for (row, &method) in methods.iter().enumerate() {
            row_of[usize::from(method)] = u8::try_from(row).expect("fewer than 255 method labels");
        }
        Self {
            method_labels: methods,
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
        self.method_labels.iter().copied().zip(&self.rows)
    }
}

/// The distinct method labels a route accepts, in label order: every one
/// when its methods are not known at compile time.
fn accepted_methods(route: &RouteInfo, attributes: &Attributes) -> Vec<u8> {
    if route.methods().is_empty() {
        return (0..attributes.method_labels() as u8).collect();
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
    /// Not counted: the request route-labels sends an app it has just
    /// built (feature `introspection`).
    #[cfg_attr(not(feature = "introspection"), allow(dead_code))]
    Uncounted,
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
    /// The app's registered places, as its builds reported them.
    pub(crate) fn app(&self) -> MutexGuard<'_, AppMounts> {
        // Changed in one step under the lock: a poisoned lock still guards a
        // consistent list.
        self.app
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The app, built, has these mounts that nothing registered serves:
    /// kept, and said once.
    #[cfg_attr(not(feature = "introspection"), allow(dead_code))]
    pub(crate) fn unregistered_found(&self, found: Vec<String>) {
        let mut kept = self
            .unregistered_mounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.is_none() && !found.is_empty() {
            log::warn!(
                "route-labels: {} mount(s) of the app are not registered, and their requests \
                 will count as `unregistered`: {}",
                found.len(),
                found.join(", ")
            );
        }
        *kept = Some(found);
    }

    /// An app built through `HttpMetrics::app` reports its registered places.
    pub(crate) fn app_built(&self, places: &[Built]) {
        self.app().add_build(places);
    }

    /// Where a response that no registered mount claimed is counted. Such a
    /// request was answered before it reached a mount (by a middleware of a
    /// scope or of the app, inside `HttpMetrics`), or by a resource that is
    /// not registered, or by a default service. actix-web's resource map
    /// tells which resource its path matches, as routing would find it
    /// without guards: a mount of the app that accepts the method counts it,
    /// with the status the middleware answered. Paid only by such requests:
    /// the lookup walks the resource map and allocates the template.
    pub(crate) fn unclaimed(
        &self,
        req: &HttpRequest,
        method: u8,
        claim: Claim,
        status: StatusCode,
    ) -> Target {
        // A registered route builder's guards refused it, and the default
        // service answered.
        if claim == Claim::Refused && status == StatusCode::NOT_FOUND {
            return Target::Unmatched;
        }
        #[cfg(feature = "introspection")]
        if crate::routing::unregistered::is_ours(req) {
            return Target::Uncounted;
        }
        // A registered service's path: the service answered it, or a
        // middleware before it did.
        let key = std::ptr::from_ref(self) as usize;
        if let Some(mount) = crate::routing::services::owner_of(key, req.path()) {
            return Target::Mount(mount);
        }
        // No resource's pattern matches the path (a scope's prefix is not a
        // resource).
        let Some(template) = req.match_pattern() else {
            return Target::Unmatched;
        };
        let candidates: Vec<u32> = {
            let app = self.app();
            if app.built {
                app.by_template
                    .get(template.as_str())
                    .cloned()
                    .unwrap_or_default()
            } else {
                // Wrapped without `HttpMetrics::app`: every mount built in
                // the process.
                mounts::all_mounts()
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| mounts::template_of(m.template) == template)
                    .map(|(id, _)| u32::try_from(id).expect("mount ids fit in u32"))
                    .collect()
            }
        };
        if candidates.is_empty() {
            // A resource that is not registered.
            return Target::Unregistered;
        }
        let accepting = candidates.into_iter().find(|&id| {
            accepted_methods(mounts::mount(id).route, &self.attributes).contains(&method)
        });
        match accepting {
            Some(id) => Target::Mount(id),
            // The mount's method guard refused it: the default service
            // answered, unless a resource that is not registered took it
            // (routing then consumed the whole path).
            None if status != StatusCode::NOT_FOUND
                && req.match_info().unprocessed().is_empty() =>
            {
                Target::Unregistered
            }
            None => Target::Unmatched,
        }
    }

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
            Target::Uncounted => return,
        };
        row.observe(&self.shape, observation);
    }

    pub(crate) fn is_excluded(&self, route: &'static RouteInfo) -> bool {
        self.excluded.contains(&route)
            || (!self.excluded_handlers.is_empty()
                && self.excluded_handlers.contains(&route.handler()))
    }

    pub(crate) fn max_samples(&self) -> u64 {
        let shape = &self.shape;
        let histogram = |buckets: usize| buckets as u64 + 2;
        let per_series = histogram(shape.durations.len())
            + shape
                .sizes
                .as_ref()
                .map_or(0, |sizes| 2 * histogram(sizes.len()));
        let per_row = |slots: usize| shape.row_series(slots) as u64 * per_series;
        // Each registered place with the number of times it is mounted, and
        // the status slots of its rows.
        let app = self.app();
        let places: Vec<(&'static RouteInfo, u64, usize)> = if app.built {
            // The app's own places, as its build reported them.
            let mounts = app.mounts.iter().map(|&id| (mounts::mount(id).route, 1));
            let pending = app.pending.iter().map(|&(route, n)| (route, n as u64));
            mounts
                .chain(pending)
                .map(|(route, mounted)| (route, mounted, app.slots_of(route, shape)))
                .collect()
        } else {
            registrations()
                .map(|route| {
                    // A route counts once before its app is built; the
                    // metrics endpoint only where it is mounted.
                    let mounted = mounts::times_mounted(route);
                    let mounted = if is_builtin(route) {
                        mounted
                    } else {
                        mounted.max(1)
                    };
                    (route, mounted as u64, shape.status_slots)
                })
                .collect()
        };
        drop(app);
        let (route_series, info_series) = places
            .into_iter()
            .filter(|(route, _, _)| !self.is_excluded(route))
            .fold((0, 0), |(series, info), (route, mounted, slots)| {
                let rows = accepted_methods(route, &self.attributes).len() as u64;
                (series + mounted * rows * per_row(slots), info + mounted)
            });
        let bucket_rows = 2 * self.attributes.method_labels() as u64;
        route_series
            + bucket_rows * per_row(shape.status_slots)
            + self.active.gauges() as u64
            + info_series
    }
}
