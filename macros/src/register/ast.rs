//! The model of a registered handler: its function and the actix-web route
//! attributes `#[register]` found on it, each keeping its syn node so that
//! errors point at the user's code.

use syn::{Expr, Ident, ItemFn, LitStr, Path};

/// A handler with its route attributes.
pub struct Handler {
    pub item: ItemFn,
    pub routes: Vec<RouteAttr>,
}

/// One actix-web route attribute: `#[get("/p")]`, `#[route("/p", method = ..)]`,
/// or one `#[get("/p")]` under `#[routes]`.
pub struct RouteAttr {
    pub path: LitStr,
    /// The methods it accepts, as actix-web spells them: `GET`, or a custom
    /// uppercase token.
    pub methods: Vec<String>,
    /// `name = ".."`: the resource's name for `url_for`.
    pub name: Option<LitStr>,
    /// `guard = "path::to::fn"`, each a function of `&GuardContext`.
    pub guards: Vec<Path>,
    /// `wrap = "expr"`, each a middleware around the handler.
    pub wraps: Vec<Expr>,
}

/// What an attribute on the handler is to actix-web.
pub enum AttrKind {
    /// `#[get]`, `#[post]`, ...: the method is the attribute's name.
    Method(&'static str),
    /// `#[route(..)]`: methods come from `method = ".."`.
    Route,
    /// `#[routes]`: the route attributes follow it.
    Routes,
}

/// actix-web's single-method route attributes and their methods.
pub const METHOD_ATTRS: [(&str, &str); 10] = [
    ("get", "GET"),
    ("post", "POST"),
    ("put", "PUT"),
    ("delete", "DELETE"),
    ("patch", "PATCH"),
    ("head", "HEAD"),
    ("options", "OPTIONS"),
    ("trace", "TRACE"),
    ("connect", "CONNECT"),
    ("query", "QUERY"),
];

impl Handler {
    /// The handler's name, which actix-web turns into a unit struct.
    pub fn ident(&self) -> &Ident {
        &self.item.sig.ident
    }
}
