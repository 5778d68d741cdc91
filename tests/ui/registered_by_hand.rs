// `Registered` is sealed: only `#[route_labels::register]` implements it, so
// a type cannot claim an inventory entry it does not have.
use route_labels::{Registered, RouteInfo};

struct Forged;

static FORGED: RouteInfo = route_labels::__private::route_info(None, &[], "forged", "x.rs", 1);

impl Registered for Forged {
    const ROUTE: &'static RouteInfo = &FORGED;
}

fn main() {}
