#[route_labels::register]
struct Handler;

fn main() {}
