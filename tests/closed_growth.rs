//! A `ClosedFamily` over a label set with a field whose number of values is
//! known only at run time, and grows while the program runs (as the mounts
//! of an actix-web app become known once it is built): series keep their
//! index and their count, and the family takes the new values.

use std::fmt::{self, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use route_labels::{ClosedFamily, ClosedLabelSet, ClosedLabelValue, HttpMethod};

/// Defines `$name`, a label value whose number of values is known only at
/// run time: `$prefix0`, `$prefix1`, ... below a count that only grows,
/// which the test raises with `$name::grow_to`. A type per test, so that
/// tests running at once have counts of their own.
macro_rules! run_time_value {
    ($name:ident, $prefix:literal) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        struct $name(usize);

        impl $name {
            fn count() -> &'static AtomicUsize {
                static COUNT: AtomicUsize = AtomicUsize::new(0);
                &COUNT
            }

            /// Raises the number of values to `count`, if it is below.
            fn grow_to(count: usize) {
                Self::count().fetch_max(count, Ordering::SeqCst);
            }
        }

        impl EncodeLabelValue for $name {
            fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), fmt::Error> {
                write!(encoder, "{}{}", $prefix, self.0)
            }
        }

        impl ClosedLabelValue for $name {
            const CARDINALITY: Option<usize> = None;

            fn cardinality() -> usize {
                Self::count().load(Ordering::SeqCst)
            }

            fn index(&self) -> usize {
                self.0
            }

            fn from_index(index: usize) -> Option<Self> {
                (index < Self::cardinality()).then_some(Self(index))
            }
        }
    };
}

fn openmetrics(registry: &Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    text
}

run_time_value!(Tenant, "t");

/// The run-time field between two static ones.
#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet, ClosedLabelSet)]
struct Requests {
    ok: bool,
    tenant: Tenant,
    method: HttpMethod,
}

#[test]
fn series_keep_their_index_and_count_as_the_cardinality_grows() {
    assert_eq!(Requests::CARDINALITY, None);
    // Made before any tenant is known, as a family is before the app is built.
    let family = ClosedFamily::<Requests, Counter>::default();
    let mut registry = Registry::default();
    registry.register("requests", "Requests", family.clone());
    assert_eq!(family.max_series(), 0);

    Tenant::grow_to(2);
    assert_eq!(family.max_series(), 2 * 2 * 10);
    let early = [
        Requests {
            ok: true,
            tenant: Tenant(1),
            method: HttpMethod::Post,
        },
        Requests {
            ok: false,
            tenant: Tenant(0),
            method: HttpMethod::Get,
        },
    ];
    let indexes: Vec<usize> = early.iter().map(Requests::index).collect();
    // The run-time field varies slowest (tenant 1: 20), the others below it
    // as declared (ok: 10, then the method).
    assert_eq!(indexes, [20 + 10 + HttpMethod::Post.index(), 0]);
    for labels in &early {
        family.get_or_create(labels).inc();
    }

    Tenant::grow_to(5);
    assert_eq!(family.max_series(), 5 * 2 * 10);
    let late = Requests {
        ok: false,
        tenant: Tenant(4),
        method: HttpMethod::Delete,
    };
    family.get_or_create(&late).inc_by(3);

    for (labels, &index) in early.iter().zip(&indexes) {
        assert_eq!(labels.index(), index);
        assert_eq!(Requests::from_index(index).as_ref(), Some(labels));
        assert_eq!(family.get(labels).map(Counter::get), Some(1), "{labels:?}");
    }
    assert_eq!(
        openmetrics(&registry),
        concat!(
            "# HELP requests Requests.\n",
            "# TYPE requests counter\n",
            "requests_total{ok=\"false\",tenant=\"t0\",method=\"GET\"} 1\n",
            "requests_total{ok=\"true\",tenant=\"t1\",method=\"POST\"} 1\n",
            "requests_total{ok=\"false\",tenant=\"t4\",method=\"DELETE\"} 3\n",
            "# EOF\n",
        ),
        "every series, in index order"
    );
    assert_eq!(
        format!("{family:?}"),
        format!(
            "ClosedFamily {{ label_set: \"{}\", series: 3, max_series: 100, .. }}",
            std::any::type_name::<Requests>()
        )
    );
}

run_time_value!(Shard, "s");

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet, ClosedLabelSet)]
struct Placement {
    shard: Shard,
    primary: bool,
}

/// The run-time field inside a flattened label set, declared after a static
/// field.
#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet, ClosedLabelSet)]
struct Writes {
    ok: bool,
    #[prometheus(flatten)]
    placement: Placement,
}

fn writes(ok: bool, shard: usize, primary: bool) -> Writes {
    Writes {
        ok,
        placement: Placement {
            shard: Shard(shard),
            primary,
        },
    }
}

#[test]
fn a_flattened_label_set_with_a_run_time_field_grows_too() {
    assert_eq!(Placement::CARDINALITY, None);
    assert_eq!(Writes::CARDINALITY, None);
    Shard::grow_to(1);
    let family = ClosedFamily::<Writes, Counter>::default();
    let mut registry = Registry::default();
    registry.register("writes", "Writes", family.clone());
    assert_eq!(family.max_series(), 2 * 2);

    let early = writes(true, 0, false);
    family.get_or_create(&early).inc();
    assert_eq!(early.index(), 1);

    Shard::grow_to(3);
    assert_eq!(family.max_series(), 3 * 2 * 2);
    let late = writes(false, 2, true);
    assert_eq!(
        late.index(),
        (2 * 2 + 1) * 2,
        "the flattened set varies slowest"
    );
    family.get_or_create(&late).inc_by(2);

    assert_eq!(early.index(), 1);
    assert_eq!(Writes::from_index(1), Some(early.clone()));
    assert_eq!(Writes::from_index(10), Some(late));
    assert_eq!(Writes::from_index(12), None);
    assert_eq!(family.get(&early).map(Counter::get), Some(1));
    assert_eq!(
        openmetrics(&registry),
        concat!(
            "# HELP writes Writes.\n",
            "# TYPE writes counter\n",
            "writes_total{ok=\"true\",shard=\"s0\",primary=\"false\"} 1\n",
            "writes_total{ok=\"false\",shard=\"s2\",primary=\"true\"} 2\n",
            "# EOF\n",
        )
    );
}

run_time_value!(Region, "r");

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet, ClosedLabelSet)]
struct ByRegion {
    region: Region,
    ok: bool,
}

/// The message of the panic of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("a panic");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(String::new, |message| (*message).to_owned()),
    }
}

#[test]
fn a_label_set_beyond_the_cardinality_panics_until_the_cardinality_takes_it() {
    Region::grow_to(2);
    let family = ClosedFamily::<ByRegion, Counter>::default();
    let mut registry = Registry::default();
    registry.register("lookups", "Lookups", family.clone());
    let beyond = ByRegion {
        region: Region(2),
        ok: true,
    };
    let message = "`ClosedLabelSet::index` returned 5, beyond the cardinality 4 of its label set";
    assert_eq!(
        panic_message(|| {
            family.get_or_create(&beyond);
        }),
        message
    );
    assert_eq!(
        panic_message(|| {
            let _ = family.get(&beyond);
        }),
        message
    );
    assert!(
        family
            .get(&ByRegion {
                region: Region(1),
                ok: true
            })
            .is_none()
    );
    assert_eq!(openmetrics(&registry), "# EOF\n", "nothing was created");

    Region::grow_to(3);
    family.get_or_create(&beyond).inc();
    assert_eq!(family.max_series(), 6);
    assert_eq!(
        openmetrics(&registry),
        concat!(
            "# HELP lookups Lookups.\n",
            "# TYPE lookups counter\n",
            "lookups_total{region=\"r2\",ok=\"true\"} 1\n",
            "# EOF\n",
        )
    );
}

run_time_value!(Client, "c");

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet, ClosedLabelSet)]
struct Calls {
    client: Client,
}

#[test]
fn threads_growing_the_cardinality_while_counting_lose_no_series() {
    const THREADS: usize = 4;
    const CLIENTS: usize = 300;
    const CALLS: u64 = 50;
    let family = ClosedFamily::<Calls, Counter>::default();
    let mut registry = Registry::default();
    registry.register("calls", "Calls", family.clone());
    thread::scope(|scope| {
        for first in 0..THREADS {
            let family = &family;
            scope.spawn(move || {
                for id in (first..CLIENTS).step_by(THREADS) {
                    Client::grow_to(id + 1);
                    for _ in 0..CALLS {
                        family.get_or_create(&Calls { client: Client(id) }).inc();
                    }
                }
            });
        }
    });

    assert_eq!(family.max_series(), CLIENTS);
    let mut expected = String::from("# HELP calls Calls.\n# TYPE calls counter\n");
    for id in 0..CLIENTS {
        writeln!(expected, "calls_total{{client=\"c{id}\"}} {CALLS}").unwrap();
    }
    expected.push_str("# EOF\n");
    assert_eq!(openmetrics(&registry), expected);
}
