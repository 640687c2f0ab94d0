//! Manifest errors: each names the file, the line and column, the field, and
//! when a key or value is misspelt, the nearest valid one.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem found in a `manifest.toml`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ManifestError {
    /// The manifest file.
    pub file: PathBuf,
    /// 1-based line of the offending text (0 when the problem has no place, e.g. a missing file).
    pub line: usize,
    /// 1-based column of the offending text.
    pub column: usize,
    /// Dotted path of the field, e.g. `plugin.id` or `hooks.on_content_created.priority`.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, e.g. `did you mean `priority`?`.
    pub help: Option<String>,
}

impl ManifestError {
    /// An error at byte `span` of `source`.
    pub fn at(
        file: &Path,
        source: &str,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = span.map(|s| line_column(source, s.start)).unwrap_or((0, 0));
        ManifestError {
            file: file.to_path_buf(),
            line,
            column,
            field: field.into(),
            message: message.into(),
            help: None,
        }
    }

    /// Adds a hint on how to fix the problem.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.message)?;
        } else {
            write!(f, ": `{}`: {}", self.field, self.message)?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem found in one manifest (at least one).
#[derive(Debug, Clone, thiserror::Error)]
pub struct ManifestErrors(pub Vec<ManifestError>);

impl fmt::Display for ManifestErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl From<ManifestError> for ManifestErrors {
    fn from(e: ManifestError) -> Self {
        ManifestErrors(vec![e])
    }
}

/// 1-based line and column (in characters) of byte `offset` in `source`.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_l = word.to_ascii_lowercase().replace('-', "_");
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&word_l, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The name of the table (`[a.b]` or `[[a]]`) that encloses byte `offset`, if any.
pub fn enclosing_table(source: &str, offset: usize) -> Option<String> {
    let before = &source[..floor_char_boundary(source, offset.min(source.len()))];
    before.lines().rev().find_map(|line| {
        let t = line.trim();
        if t.starts_with('[') {
            let name = t.trim_start_matches('[');
            let end = name.find(']')?;
            Some(name[..end].trim().to_string())
        } else {
            None
        }
    })
}

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" (and the same for
/// variants) into the unknown word and the valid ones.
pub fn parse_unknown(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let end = rest.find('`')?;
    let word = rest[..end].to_string();
    let expected = rest[end + 1..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((word, expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        let src = "a = 1\nbb = 2\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 6), (2, 1));
        assert_eq!(line_column(src, 9), (2, 4));
    }

    #[test]
    fn nearest_finds_typos_only() {
        let keys = ["priority", "on_error", "content_types"];
        assert_eq!(nearest("priorty", keys), Some("priority"));
        assert_eq!(nearest("on-error", keys), Some("on_error"));
        assert_eq!(nearest("zzz", keys), None);
    }

    #[test]
    fn parses_serde_unknown_messages() {
        let (w, e) =
            parse_unknown("unknown field `priorty`, expected one of `priority`, `on_error`")
                .unwrap();
        assert_eq!(w, "priorty");
        assert_eq!(e, ["priority", "on_error"]);
        let (w, e) = parse_unknown("unknown variant `jss`, expected `js`").unwrap();
        assert_eq!((w.as_str(), e), ("jss", vec!["js".to_string()]));
    }

    #[test]
    fn finds_enclosing_table() {
        let src = "[plugin]\nid = 1\n[[routes]]\npath = 2\n";
        assert_eq!(enclosing_table(src, 10).as_deref(), Some("plugin"));
        assert_eq!(enclosing_table(src, 30).as_deref(), Some("routes"));
    }
}
