//! The README's promises about itself: its example is the quickstart's app,
//! and its test command is what CI runs.

use std::fs;

/// The lines of `text` that decide which routes an app serves: route
/// attributes, scopes and services, `configure` calls.
fn routing_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| {
            [
                "#[get(",
                "#[post(",
                "#[put(",
                "#[delete(",
                "web::scope(",
                ".service(",
                "cfg.",
            ]
            .iter()
            .any(|marker| line.contains(marker))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_example_serves_the_quickstart_routes() {
    let readme = fs::read_to_string("README.md").unwrap();
    let start = readme
        .find("```rust,no_run,standalone_crate")
        .expect("the example");
    let example = &readme[start..];
    let example = &example[..example[3..].find("```").unwrap()];
    let quickstart = fs::read_to_string("examples/quickstart.rs").unwrap();
    let readme_routes = routing_lines(example);
    assert!(readme_routes.len() >= 8, "{readme_routes:?}");
    assert_eq!(readme_routes, routing_lines(&quickstart));
}

#[test]
fn ci_runs_the_readme_test_command() {
    let readme = fs::read_to_string("README.md").unwrap();
    let command = readme
        .lines()
        .find(|line| line.starts_with("bash scripts/test.sh"))
        .expect("the README gives the test command");
    assert!(command.contains("every test"), "{command}");
    let ci = fs::read_to_string(".ci/run").unwrap();
    assert!(ci.lines().any(|line| line == "bash scripts/test.sh"));
}
