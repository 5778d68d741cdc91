//! The README's promises about itself: a page, not a book; its example is the
//! quickstart's app; its commands are what CI and the demo run; the pages it
//! sends readers to are doc-tested, and no link among them is broken.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

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
fn the_readme_is_a_page_not_a_book() {
    let readme = fs::read_to_string("README.md").unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 200, "README.md has {lines} lines, more than 200");
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

#[test]
fn the_readme_demo_command_names_the_flood_example() {
    let readme = fs::read_to_string("README.md").unwrap();
    assert!(
        readme
            .lines()
            .any(|line| line.starts_with("cargo run --release --example flood ")),
        "the README gives the demo command"
    );
    assert!(Path::new("examples/flood.rs").is_file());
}

/// The markdown pages of the repository a reader meets: the README and
/// docs/*.md.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![PathBuf::from("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir("docs")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The lines of `text` outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut in_fence = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            lines.push(line);
        }
    }
    lines
}

/// The anchors GitHub gives the headings of a markdown page: lowercase, the
/// punctuation dropped, spaces turned into hyphens, a repeat numbered.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    let lines = prose_lines(text);
    for (i, line) in lines.iter().enumerate() {
        let heading = if let Some(rest) = line.trim_start_matches('#').strip_prefix(' ') {
            line.starts_with('#').then_some(rest)
        } else if i > 0 && !line.is_empty() && line.chars().all(|c| c == '=') {
            Some(lines[i - 1])
        } else {
            None
        };
        let Some(heading) = heading else { continue };
        let slug: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut anchor = slug.clone();
        let mut n = 0;
        while !anchors.insert(anchor.clone()) {
            n += 1;
            anchor = format!("{slug}-{n}");
        }
    }
    anchors
}

/// The targets of the inline links and images of `text`, outside code.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose_lines(text) {
        // Inline code is not a link: drop every `...` span first.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join("");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let end = rest.find(')').expect("a link's closing parenthesis");
            targets.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    targets
}

#[test]
fn links_between_the_readme_and_docs_resolve() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).unwrap();
        for target in link_targets(&text) {
            if target.starts_with("https://") || target.starts_with("http://") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(path)
            };
            if !file.exists() {
                broken.push(format!("{}: {target}: no such file", page.display()));
                continue;
            }
            if let Some(anchor) = anchor {
                let anchors = anchors(&fs::read_to_string(&file).unwrap());
                if !anchors.contains(anchor) {
                    broken.push(format!(
                        "{}: {target}: no heading with that anchor in {}",
                        page.display(),
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_docs_page_with_rust_examples_is_doc_tested() {
    let lib = fs::read_to_string("src/lib.rs").unwrap();
    let mut missing = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).unwrap();
        if !text.lines().any(|line| line.starts_with("```rust")) {
            continue;
        }
        let include = format!("include_str!(\"../{}\")", page.display());
        if !lib.contains(&include) {
            missing.push(page.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "Rust examples not run as doc tests (add them to src/lib.rs): {missing:?}"
    );
}

#[test]
fn the_anchors_follow_github() {
    let page = "# Title\n\n## The bound: `max_samples()`\n\n## 5. Memory under flood\n\n\
                ```sh\n# not a heading\n```\n\n## Instructions after \"one app, one truth\" (issue 17)\n\n## Title\n";
    let anchors = anchors(page);
    let expected = [
        "title",
        "the-bound-max_samples",
        "5-memory-under-flood",
        "instructions-after-one-app-one-truth-issue-17",
        "title-1",
    ];
    assert_eq!(anchors, expected.iter().map(|s| (*s).to_owned()).collect());
}
