//! The flood demo, run small: a naive middleware's series grow with the
//! traffic, route-labels' do not.

use route_labels_suite::flood::{self, Options, Server};

const REQUESTS: u64 = 2_000;

#[test]
fn naive_series_grow_with_requests_and_route_labels_series_stay_flat() {
    let mut seen = Vec::new();
    let options = Options {
        requests: REQUESTS,
        ..Options::default()
    };
    let report = flood::run(&options, |server, checkpoint| {
        seen.push((server, *checkpoint))
    })
    .unwrap();

    // Both servers got the same traffic and answered it alike.
    assert_eq!(report.naive.statuses, report.route_labels.statuses);
    assert_eq!(report.naive.statuses.values().sum::<u64>(), REQUESTS);
    let scrapes = flood::PARTS as usize + 1;
    assert_eq!(seen.len(), 2 * scrapes);
    assert!(
        seen[..scrapes]
            .iter()
            .all(|(server, _)| *server == Server::RouteLabels)
    );
    assert_eq!(
        seen[scrapes..].iter().map(|(_, c)| *c).collect::<Vec<_>>(),
        report.naive.checkpoints
    );

    // Naive: every checkpoint adds series, and there end up more series than
    // requests (most requests carry a unique path, query or method, and each
    // makes a histogram of 17 sample lines).
    let naive: Vec<u64> = report.naive.checkpoints.iter().map(|c| c.series).collect();
    assert!(
        naive.windows(2).all(|w| w[0] < w[1]),
        "naive series: {naive:?}"
    );
    assert!(
        report.naive.last().series > REQUESTS,
        "naive series: {naive:?}"
    );

    // route-labels: once the first part has shown every kind of request, the
    // series set no longer changes, and it stays within its advertised bound.
    let bounded: Vec<u64> = report
        .route_labels
        .checkpoints
        .iter()
        .map(|c| c.series)
        .collect();
    assert!(
        bounded[1..].iter().all(|&s| s == bounded[1]),
        "route-labels series: {bounded:?}"
    );
    assert!(
        report.route_labels.last().series <= report.max_samples,
        "{bounded:?} > {}",
        report.max_samples
    );
    assert!(
        report.route_labels.last().series * 10 < report.naive.last().series,
        "route-labels {bounded:?} vs naive {naive:?}"
    );
}
