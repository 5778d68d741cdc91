#!/usr/bin/env bash
# The dependency half of the MSRV check (docs/msrv.md): for each crate this
# workspace publishes, the `rust-version` it declares must be at least
#
#   - the highest `rust-version` declared by a package it builds with
#     (normal and build dependencies, transitively, for every target
#     platform), with its default features and with all its features;
#   - what the edition of each of those packages, and its own, needs
#     (a package that declares no `rust-version` needs at least its edition;
#     a workspace member in the graph counts by its edition only, as its
#     `rust-version` is the one being checked and its dependencies are in
#     the graph).
#
# The graph comes from `cargo tree -p <crate> -e normal,build --target all`
# (only that crate's own dependencies and features, not the workspace's
# unified ones), the versions from Cargo.lock, each package's `rust-version`
# and edition from `cargo metadata`. The other half is clippy's
# `incompatible_msrv` lint in .ci/run: std APIs stabilised after the
# declared version. It also checks that README.md, runtime/README.md and
# macros/README.md state the declared version ("Compiler support: rustc X+").
#
#   bash scripts/msrv.sh    # exits 1 when the MSRV is too low, or a README states another
set -euo pipefail
cd "$(dirname "$0")/.."

python3 - <<'EOF'
import json
import re
import subprocess
import sys

# The first release of each edition.
EDITION_NEEDS = {"2015": "1.0", "2018": "1.31", "2021": "1.56", "2024": "1.85"}


def parse(version):
    parts = [int(part) for part in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def show(version):
    return ".".join(str(part) for part in version[:2]) if version[2] == 0 else ".".join(map(str, version))


metadata = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
)
packages = {(p["name"], p["version"]): p for p in metadata["packages"]}
members = [p for p in metadata["packages"] if p["id"] in metadata["workspace_members"]]
# `publish = false` is `[]`; anything else may be published.
published = [p for p in members if p["publish"] != []]


def needs(package):
    """What one package needs, and why."""
    edition = parse(EDITION_NEEDS[package["edition"]])
    declared = package.get("rust_version")
    if declared and parse(declared) >= edition:
        return parse(declared), f"rust-version {declared}"
    return edition, f"edition {package['edition']}"


def graph(name, features):
    """The (name, version) of every package `name` builds with."""
    out = subprocess.run(
        ["cargo", "tree", "-p", name, "-e", "normal,build", "--target", "all",
         "--prefix", "none", "--format", "{p}", *features],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1].startswith("v"):
            found.add((fields[0], fields[1][1:]))
    return found


failed = False
for crate in published:
    declared = crate.get("rust_version")
    if not declared:
        print(f"{crate['name']}: declares no rust-version")
        failed = True
        continue
    for label, features in (("default features", []), ("all features", ["--all-features"])):
        rows = []
        for key in graph(crate["name"], features):
            if key not in packages:
                sys.exit(f"scripts/msrv.sh: {key[0]} {key[1]} is not in cargo metadata")
            package = packages[key]
            version, why = needs(package)
            # A workspace member's rust-version (the crate's own, and
            # route-labels-macros' inside route-labels) is what is being
            # checked: only its edition counts, its dependencies are here.
            if package["id"] in metadata["workspace_members"]:
                why = f"edition {package['edition']}"
                version = parse(EDITION_NEEDS[package["edition"]])
            rows.append((version, f"{package['name']} {package['version']}", why))
        rows.sort(reverse=True)
        highest = rows[0][0]
        setters = [f"{who} ({why})" for version, who, why in rows if version == highest]
        verdict = "ok" if parse(declared) >= highest else "TOO LOW"
        print(
            f"{crate['name']} ({label}, {len(rows)} packages): declares {declared}, "
            f"needs {show(highest)}: {verdict}"
        )
        print(f"    set by {', '.join(setters)}")
        if verdict != "ok":
            failed = True

# The READMEs state the version the crates declare.
declared = {crate.get("rust_version") for crate in published}
for readme in ("README.md", "runtime/README.md", "macros/README.md"):
    with open(readme) as text:
        stated = re.findall(r"Compiler support: rustc ([0-9.]+)\+", text.read())
    if not stated or set(stated) != declared:
        print(f"{readme}: states rustc {stated or 'nothing'}, the crates declare {sorted(declared, key=str)}")
        failed = True

if failed:
    print("scripts/msrv.sh: failed; rust-version is in [workspace.package] of Cargo.toml (docs/msrv.md)")
    sys.exit(1)
EOF
