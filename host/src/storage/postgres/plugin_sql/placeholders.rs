//! The portable placeholders of plugins' SQL (`?`, `:name`, `@name`,
//! `$name`) rewritten as PostgreSQL's `$n`.

use crate::storage::SqlError;

/// A statement with its placeholders numbered, and the names of the named ones.
#[derive(Debug, PartialEq, Eq)]
pub struct Rewritten {
    /// The SQL with `$1`, `$2`...
    pub sql: String,
    /// For named placeholders, the name of each number (in order); empty when
    /// the statement uses `?`.
    pub names: Vec<String>,
}

/// Rewrites `?` and `:name` / `@name` / `$name` placeholders to `$n`, leaving
/// strings, quoted identifiers, comments, dollar-quoted bodies and `::` casts
/// alone. Mixing the two kinds is refused.
pub fn rewrite(sql: &str) -> Result<Rewritten, SqlError> {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let (mut names, mut positional) = (Vec::<String>::new(), 0usize);
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = b[i];
        let rest = &sql[i..];
        let skip_to = |end: Option<usize>, from: usize| end.map_or(b.len(), |e| from + e);
        let next = match c {
            b'\'' | b'"' => {
                // Quotes end at the next unpaired quote ('' and "" are escapes).
                let mut j = i + 1;
                while j < b.len() {
                    if b[j] == c {
                        if j + 1 < b.len() && b[j + 1] == c {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                (j + 1).min(b.len())
            }
            b'-' if rest.starts_with("--") => skip_to(rest.find('\n'), i),
            b'/' if rest.starts_with("/*") => skip_to(rest.find("*/").map(|e| e + 2), i),
            b':' if rest.starts_with("::") => i + 2,
            b'$' if i + 1 < b.len() && (b[i + 1] == b'$' || ident(b[i + 1])) => {
                let tag_end = rest[1..].find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'));
                match tag_end.map(|e| e + 1) {
                    // `$tag$ ... $tag$`: a dollar-quoted body.
                    Some(e) if b.get(i + e) == Some(&b'$') && !b[i + 1].is_ascii_digit() => {
                        let tag = &rest[..=e];
                        skip_to(rest[e + 1..].find(tag).map(|f| f + e + 1 + tag.len()), i)
                    }
                    _ if b[i + 1].is_ascii_digit() => {
                        return Err(SqlError::Invalid(
                            "database: write parameters as `?` or `:name`, not `$1`".into(),
                        ));
                    }
                    _ => i, // a named parameter, below
                }
            }
            _ => i,
        };
        if next != i {
            out.push_str(&sql[i..next]);
            i = next;
            continue;
        }
        let named = matches!(c, b':' | b'@' | b'$')
            && i + 1 < b.len()
            && (b[i + 1].is_ascii_alphabetic() || b[i + 1] == b'_')
            && (c != b':' || i == 0 || b[i - 1] != b':');
        if c == b'?' {
            positional += 1;
            out.push_str(&format!("${positional}"));
            i += 1;
        } else if named {
            let end = b[i + 1..]
                .iter()
                .position(|&x| !ident(x))
                .map_or(b.len(), |p| i + 1 + p);
            let name = &sql[i + 1..end];
            let n = match names.iter().position(|x| x == name) {
                Some(p) => p + 1,
                None => {
                    names.push(name.to_string());
                    names.len()
                }
            };
            out.push_str(&format!("${n}"));
            i = end;
        } else {
            let ch = rest.chars().next().expect("not at the end");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    if positional > 0 && !names.is_empty() {
        return Err(SqlError::Invalid(
            "database: use either `?` or named parameters in one statement, not both".into(),
        ));
    }
    Ok(Rewritten { sql: out, names })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(sql: &str) -> (String, Vec<String>) {
        let r = rewrite(sql).unwrap();
        (r.sql, r.names)
    }

    #[test]
    fn placeholders_become_numbers_outside_strings_comments_and_casts() {
        assert_eq!(
            rw("SELECT ?, '?', \"?\", x::int FROM t WHERE a = ? -- ?\n AND b = ?"),
            (
                "SELECT $1, '?', \"?\", x::int FROM t WHERE a = $2 -- ?\n AND b = $3".into(),
                vec![]
            )
        );
        assert_eq!(
            rw("UPDATE t SET a = :a, b = @b WHERE id = :a AND s = $$:no$$"),
            (
                "UPDATE t SET a = $1, b = $2 WHERE id = $1 AND s = $$:no$$".into(),
                vec!["a".into(), "b".into()]
            )
        );
        assert_eq!(rw("SELECT 'it''s ?', ?").0, "SELECT 'it''s ?', $1");
        assert!(rewrite("SELECT ?, :a").is_err());
        assert!(rewrite("SELECT $1").is_err());
    }
}
