//! The mount table: every place a registered route is mounted at, by id.
//!
//! A *mount* is a registered route (a [`RouteInfo`]) at the full template
//! actix-web routes it under, scope prefixes included. actix-web builds one
//! stamp per mount per worker; on its first request the stamp resolves the
//! full template with `match_pattern()` and interns it here, which gives the
//! mount a small integer id shared by every worker. Mounts that resolve to
//! one template (two handlers of `/orders`, one per method) share a *template id*:
//! the id of the template, which is what a [`Route`](crate::Route) holds.
//!
//! Both tables only grow, and only on a stamp's first request: a lock there,
//! never per request. Templates are read without a lock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::cells::chunked::Chunked;
use crate::routing::inventory::{RouteInfo, index_of, routes};

/// A registered route at the full template it was mounted under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mount {
    pub(crate) route: &'static RouteInfo,
    /// The id of the full template, see [`template_of`].
    pub(crate) template: u32,
}

#[derive(Default)]
struct Table {
    mounts: Vec<Mount>,
    /// By inventory position: the most stamps one thread built for the
    /// route. actix-web builds the app once per worker thread, so this is
    /// the number of places the route is mounted at, known as soon as the
    /// app is built. A thread that builds several apps (tests) only makes
    /// it larger, which keeps it an upper bound.
    most_built: Vec<usize>,
    /// By inventory position: the mounts resolved so far.
    resolved: Vec<usize>,
}

impl Table {
    fn raise(counts: &mut Vec<usize>, index: usize, value: usize) {
        if counts.len() <= index {
            counts.resize(index + 1, 0);
        }
        counts[index] = counts[index].max(value);
    }

    /// How many times the route at inventory `position` is mounted, as far
    /// as this process has seen: the most stamps one thread built for it,
    /// or the mounts its requests resolved.
    fn mounted(&self, position: usize) -> usize {
        let built = self.most_built.get(position).copied().unwrap_or(0);
        let resolved = self.resolved.get(position).copied().unwrap_or(0);
        built.max(resolved)
    }

    /// Keeps [`MOUNT_BOUND`] equal to the sum of [`Table::mounted`].
    fn publish_bound(&self) {
        let bound = (0..self.most_built.len().max(self.resolved.len()))
            .map(|position| self.mounted(position))
            .sum();
        MOUNT_BOUND.store(bound, Ordering::Release);
    }
}

fn table() -> MutexGuard<'static, Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    // The table is only ever appended to, each change in one step, so a
    // panic elsewhere cannot leave it half-written: a poisoned lock still
    // guards a consistent table.
    TABLE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Templates by template id, read without a lock.
fn templates() -> &'static Chunked<&'static str> {
    static TEMPLATES: OnceLock<Chunked<&'static str>> = OnceLock::new();
    TEMPLATES.get_or_init(Chunked::default)
}

/// Template ids by mount id, read without a lock.
fn mount_templates() -> &'static Chunked<u32> {
    static MOUNT_TEMPLATES: OnceLock<Chunked<u32>> = OnceLock::new();
    MOUNT_TEMPLATES.get_or_init(Chunked::default)
}

/// The template id of mount `id`, which [`intern`] returned; without a lock.
pub(crate) fn template_id_of(mount: u32) -> u32 {
    mount_templates()
        .get(mount)
        .copied()
        .expect("a mount id comes from `intern`")
}

/// The template id of `template`, if a mount has resolved to it.
pub(crate) fn template_id(template: &str) -> Option<u32> {
    (0..templates_interned())
        .map(|template_id| template_id as u32)
        .find(|&template_id| template_of(template_id) == template)
}

/// The number of template ids handed out so far.
static TEMPLATES_INTERNED: AtomicUsize = AtomicUsize::new(0);

/// The most mounts the program can have: see [`mount_bound`].
static MOUNT_BOUND: AtomicUsize = AtomicUsize::new(0);

/// The id of `route` mounted under `template`, interned on first use. The
/// same handler mounted under two scopes gets two ids; every worker's stamp of
/// one mount gets the same id.
pub(crate) fn intern(route: &'static RouteInfo, template: &str) -> u32 {
    let mut table = table();
    if let Some(id) = table
        .mounts
        .iter()
        .position(|m| std::ptr::eq(m.route, route) && template_of(m.template) == template)
    {
        return id as u32;
    }
    // Labels are handed out only here, under the table's lock.
    let template_id = template_id(template).unwrap_or_else(|| {
        // Leaked once per distinct template: the set is fixed by the
        // program's routing code, not by requests.
        let leaked: &'static str = Box::leak(template.into());
        let template_id = u32::try_from(templates_interned()).expect("fewer than 2^32 templates");
        templates().get_or_init(template_id, || leaked);
        TEMPLATES_INTERNED.store(templates_interned() + 1, Ordering::Release);
        template_id
    });
    table.mounts.push(Mount {
        route,
        template: template_id,
    });
    let mount = u32::try_from(table.mounts.len() - 1).expect("fewer than 2^32 mounts");
    mount_templates().get_or_init(mount, || template_id);
    let position = index_of(route);
    let resolved = table
        .mounts
        .iter()
        .filter(|m| std::ptr::eq(m.route, route))
        .count();
    Table::raise(&mut table.resolved, position, resolved);
    table.publish_bound();
    mount
}

/// The mount with id `id`, which [`intern`] returned.
pub(crate) fn mount(id: u32) -> Mount {
    table().mounts[id as usize]
}

/// A copy of the mount table, for a scrape.
pub(crate) fn all_mounts() -> Vec<Mount> {
    table().mounts.clone()
}

/// The full template of `template_id`.
pub(crate) fn template_of(template_id: u32) -> &'static str {
    templates()
        .get(template_id)
        .copied()
        .expect("a template_id comes from `intern`")
}

/// The number of distinct full templates resolved so far.
pub(crate) fn templates_interned() -> usize {
    TEMPLATES_INTERNED.load(Ordering::Acquire)
}

/// The template ids of the resolved mounts of `route`, without repeats.
pub(crate) fn template_ids_of(route: &'static RouteInfo) -> Vec<u32> {
    let mut template_ids: Vec<u32> = table()
        .mounts
        .iter()
        .filter(|m| std::ptr::eq(m.route, route))
        .map(|m| m.template)
        .collect();
    template_ids.sort_unstable();
    template_ids.dedup();
    template_ids
}

thread_local! {
    /// Stamps built on this thread, by inventory position.
    static BUILT: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Counts a stamp of `route` built on this thread (once per mount per
/// worker, when actix-web builds the app).
pub(crate) fn note_built(route: &'static RouteInfo) {
    let position = index_of(route);
    let built = BUILT.with(|built| {
        let mut built = built.borrow_mut();
        if built.len() <= position {
            built.resize(position + 1, 0);
        }
        built[position] += 1;
        built[position]
    });
    let mut table = table();
    Table::raise(&mut table.most_built, position, built);
    table.publish_bound();
}

/// How many times `route` is mounted, as far as this process has seen: see
/// [`Table::mounted`].
pub(crate) fn times_mounted(route: &'static RouteInfo) -> usize {
    table().mounted(index_of(route))
}

/// The most mounts the program can have, summed over [`routes()`]: exact
/// once the app is built (on every worker), before any request. An atomic
/// load.
pub(crate) fn mount_bound() -> usize {
    MOUNT_BOUND.load(Ordering::Acquire)
}

/// Registered routes that no request has resolved a mount of yet.
pub(crate) fn unresolved_routes() -> Vec<&'static RouteInfo> {
    let table = table();
    routes()
        .filter(|route| table.resolved.get(index_of(route)).copied().unwrap_or(0) == 0)
        .collect()
}
