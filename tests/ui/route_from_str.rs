use route_labels::Route;

fn main() {
    let _: Route = Route::from("/users/{id}");
}
