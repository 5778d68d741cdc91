fn main() {
    // The method macros take no path: the builder that mounts them has it.
    let _ = route_labels::post!("/like");
}
