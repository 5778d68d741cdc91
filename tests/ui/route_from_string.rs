use route_labels::Route;

fn main() {
    let path = String::from("/users/7");
    let _: Route = path.into();
}
