//! Plugin route paths: `/contacts/:id/notes` patterns and matching request
//! paths against them.

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

impl RoutePattern {
    /// Parses a pattern: starts with `/`, segments of `A-Z a-z 0-9 - _ . ~`,
    /// or `:name` parameters (unique names, identifiers).
    pub fn parse(path: &str) -> Result<RoutePattern, String> {
        if !path.starts_with('/') {
            return Err(format!("route path `{path}` must start with `/`"));
        }
        if path.len() > MAX_PATH {
            return Err(format!("route path is longer than {MAX_PATH} bytes"));
        }
        let mut segments = Vec::new();
        let mut names = Vec::new();
        for seg in path[1..].split('/') {
            if seg.is_empty() {
                if path == "/" {
                    break;
                }
                return Err(format!("route path `{path}` has an empty segment"));
            }
            if let Some(name) = seg.strip_prefix(':') {
                let ident = !name.is_empty()
                    && !name.as_bytes()[0].is_ascii_digit()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !ident {
                    return Err(format!(
                        "route parameter `{seg}` must be `:` and an identifier"
                    ));
                }
                if names.contains(&name) {
                    return Err(format!("route parameter `:{name}` appears twice"));
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
                return Err(format!(
                    "route segment `{seg}` may hold only letters, digits, `-`, `_`, `.`, `~`"
                ));
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

    #[test]
    fn refuses_bad_patterns() {
        for bad in ["x", "/a//b", "/:", "/:1a", "/:a/:a", "/a b", "/..", "/%2e"] {
            assert!(RoutePattern::parse(bad).is_err(), "{bad}");
        }
    }
}
