//! Plugin route paths: `/contacts/:id/notes` patterns, and a plugin's routes
//! compiled once into a router ([`RouteTable`], matchit's radix tree, as axum
//! uses): a static segment wins over a parameter whatever the manifest order
//! (`/items/new` is not taken by `/items/:id`), and routes the router cannot
//! tell apart are refused when the manifest is checked.

use std::fmt::Debug;

/// One segment of a route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// A parsed route path such as `/contacts/:id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    segments: Vec<Segment>,
}

/// Longest accepted route path, in bytes.
const MAX_PATH: usize = 512;

/// Why a route path is not a valid pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// It does not start with `/`.
    #[error("route path `{0}` must start with `/`")]
    NoLeadingSlash(String),
    /// It is longer than 512 bytes.
    #[error("route path is longer than {MAX_PATH} bytes")]
    TooLong,
    /// It has `//` or ends with `/`.
    #[error("route path `{0}` has an empty segment")]
    EmptySegment(String),
    /// A `:` segment is not followed by an identifier.
    #[error("route parameter `{0}` must be `:` and an identifier")]
    BadParam(String),
    /// A parameter name is used twice.
    #[error("route parameter `:{0}` appears twice")]
    DuplicateParam(String),
    /// A literal segment holds other characters.
    #[error("route segment `{0}` may hold only letters, digits, `-`, `_`, `.`, `~`")]
    BadSegment(String),
}

/// A route of a table that cannot be compiled: its index and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct RouteConflict {
    /// The index of the route refused, in declaration order.
    pub index: usize,
    /// Why: a bad path, or the two routes a request could match alike.
    pub reason: String,
}

impl RoutePattern {
    /// Parses a pattern: starts with `/`, segments of `A-Z a-z 0-9 - _ . ~`,
    /// or `:name` parameters (unique names, identifiers).
    pub fn parse(path: &str) -> Result<RoutePattern, RouteError> {
        if !path.starts_with('/') {
            return Err(RouteError::NoLeadingSlash(path.to_string()));
        }
        if path.len() > MAX_PATH {
            return Err(RouteError::TooLong);
        }
        let mut segments = Vec::new();
        let mut names = Vec::new();
        for seg in path[1..].split('/') {
            if seg.is_empty() {
                if path == "/" {
                    break;
                }
                return Err(RouteError::EmptySegment(path.to_string()));
            }
            if let Some(name) = seg.strip_prefix(':') {
                let ident = !name.is_empty()
                    && !name.as_bytes()[0].is_ascii_digit()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !ident {
                    return Err(RouteError::BadParam(seg.to_string()));
                }
                if names.contains(&name) {
                    return Err(RouteError::DuplicateParam(name.to_string()));
                }
                names.push(name);
                segments.push(Segment::Param(name.to_string()));
            } else if seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
                && seg != "."
                && seg != ".."
            {
                segments.push(Segment::Literal(seg.to_string()));
            } else {
                return Err(RouteError::BadSegment(seg.to_string()));
            }
        }
        Ok(RoutePattern { segments })
    }

    /// The pattern with parameter names erased: two routes with the same shape
    /// and method would be ambiguous.
    pub fn shape(&self) -> String {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => format!("/{l}"),
                Segment::Param(_) => "/:".to_string(),
            })
            .collect()
    }

    /// Matches a request path (already percent-decoded per segment by the
    /// caller or not at all); returns the parameters in order.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let trimmed = path.strip_prefix('/')?;
        let parts: Vec<&str> = if trimmed.is_empty() {
            Vec::new()
        } else {
            trimmed.split('/').collect()
        };
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (seg, part) in self.segments.iter().zip(parts) {
            match seg {
                Segment::Literal(l) if l == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(_) if part.is_empty() => return None,
                Segment::Param(name) => params.push((name.clone(), part.to_string())),
            }
        }
        Some(params)
    }
}

impl RoutePattern {
    /// The pattern in matchit's syntax (`/contacts/{id}`).
    fn router_path(&self) -> String {
        if self.segments.is_empty() {
            return "/".into();
        }
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => format!("/{l}"),
                Segment::Param(p) => format!("/{{{p}}}"),
            })
            .collect()
    }
}

/// What a request path and method find among a plugin's routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The route at this index of `[[routes]]`, with its parameters in order.
    Found {
        /// Index in the manifest's `[[routes]]`.
        index: usize,
        /// `:param` values, in the pattern's order.
        params: Vec<(String, String)>,
    },
    /// The path exists, with other methods.
    MethodNotAllowed,
    /// No route has this path.
    NotFound,
}

/// A plugin's routes, one router per method (`M`: the manifest's method
/// type; this module depends on no other).
pub struct RouteTable<M> {
    methods: Vec<(M, matchit::Router<usize>)>,
}

impl<M> Default for RouteTable<M> {
    fn default() -> Self {
        RouteTable {
            methods: Vec::new(),
        }
    }
}

impl<M: Copy + Eq + Debug> RouteTable<M> {
    /// Compiles `routes` (method and path, in manifest order); an error gives
    /// the index of the route refused and names the two routes the router
    /// cannot tell apart (or a bad path).
    pub fn build<'a>(
        routes: impl IntoIterator<Item = (M, &'a str)>,
    ) -> Result<RouteTable<M>, RouteConflict> {
        let mut table = RouteTable::default();
        let mut paths: Vec<(M, String, String)> = Vec::new();
        for (index, (method, path)) in routes.into_iter().enumerate() {
            let pattern = RoutePattern::parse(path).map_err(|e| RouteConflict {
                index,
                reason: e.to_string(),
            })?;
            let router_path = pattern.router_path();
            let router = match table.methods.iter_mut().find(|(m, _)| *m == method) {
                Some((_, r)) => r,
                None => {
                    table.methods.push((method, matchit::Router::new()));
                    &mut table.methods.last_mut().expect("just pushed").1
                }
            };
            if let Err(e) = router.insert(router_path.clone(), index) {
                let other = paths
                    .iter()
                    .filter(|(m, _, _)| *m == method)
                    .find(|(_, rp, _)| e.to_string().contains(rp.as_str()))
                    .map(|(_, _, p)| p.clone());
                return Err(RouteConflict {
                    index,
                    reason: match other {
                        Some(o) => format!(
                            "route {:?} {path} conflicts with route {:?} {o}: a request could match either (a parameter must have the same name at the same place in every route)",
                            method, method
                        ),
                        None => format!(
                            "route {:?} {path} conflicts with another route: {e}",
                            method
                        ),
                    },
                });
            }
            paths.push((method, router_path, path.to_string()));
        }
        Ok(table)
    }

    /// The route for `method` and `path` (a request path below the mount point).
    pub fn lookup(&self, method: Option<M>, path: &str) -> Lookup {
        for (m, router) in &self.methods {
            if Some(*m) != method {
                continue;
            }
            if let Ok(found) = router.at(path) {
                let params = found
                    .params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                return Lookup::Found {
                    index: *found.value,
                    params,
                };
            }
        }
        if self.methods.iter().any(|(_, r)| r.at(path).is_ok()) {
            Lookup::MethodNotAllowed
        } else {
            Lookup::NotFound
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches() {
        let p = RoutePattern::parse("/contacts/:id/notes").unwrap();
        assert_eq!(
            p.matches("/contacts/42/notes"),
            Some(vec![("id".into(), "42".into())])
        );
        assert_eq!(p.matches("/contacts//notes"), None);
        assert_eq!(p.matches("/contacts/42"), None);
        assert_eq!(p.shape(), "/contacts/:/notes");
        assert_eq!(RoutePattern::parse("/").unwrap().matches("/"), Some(vec![]));
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum M {
        Get,
        Post,
        Delete,
    }

    #[test]
    fn a_static_segment_wins_over_a_parameter_whatever_the_order() {
        let t = RouteTable::build([
            (M::Get, "/items/:id"),
            (M::Get, "/items/new"),
            (M::Post, "/items"),
        ])
        .unwrap();
        assert_eq!(
            t.lookup(Some(M::Get), "/items/new"),
            Lookup::Found {
                index: 1,
                params: vec![]
            }
        );
        assert_eq!(
            t.lookup(Some(M::Get), "/items/7"),
            Lookup::Found {
                index: 0,
                params: vec![("id".into(), "7".into())]
            }
        );
        assert_eq!(
            t.lookup(Some(M::Delete), "/items/7"),
            Lookup::MethodNotAllowed
        );
        assert_eq!(t.lookup(Some(M::Get), "/other"), Lookup::NotFound);
        assert_eq!(t.lookup(Some(M::Get), "/items//"), Lookup::NotFound);
    }

    #[test]
    fn routes_the_router_cannot_tell_apart_are_refused_naming_both() {
        let e = RouteTable::build([(M::Get, "/a/:x"), (M::Get, "/a/:y")])
            .err()
            .unwrap();
        assert_eq!(e.index, 1);
        assert!(
            e.reason.contains("/a/:y") && e.reason.contains("/a/:x"),
            "{e}"
        );
        // Different shapes are told apart.
        let t = RouteTable::build([(M::Get, "/a/:x"), (M::Get, "/a/:y/b")]).unwrap();
        assert_eq!(
            t.lookup(Some(M::Get), "/a/1/b"),
            Lookup::Found {
                index: 1,
                params: vec![("y".into(), "1".into())]
            }
        );
    }

    #[test]
    fn refuses_bad_patterns() {
        for bad in ["x", "/a//b", "/:", "/:1a", "/:a/:a", "/a b", "/..", "/%2e"] {
            assert!(RoutePattern::parse(bad).is_err(), "{bad}");
        }
    }
}
