//! A binary with no registered handler still counts every request, and is
//! told why, once: usually its handlers live in a crate it never names.

use std::sync::Mutex;

use prometheus_client::registry::Registry;
use route_labels::HttpMetrics;

struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().unwrap().push(record.args().to_string());
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

#[test]
fn an_empty_inventory_warns_once_and_still_builds() {
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    assert_eq!(route_labels::routes().len(), 0);

    let first = HttpMetrics::new(&mut Registry::default());
    let second = HttpMetrics::new(&mut Registry::default());
    assert!(first.is_ok() && second.is_ok());

    let warnings = CAPTURE.0.lock().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("use my_handlers as _;"),
        "{}",
        warnings[0]
    );
}
