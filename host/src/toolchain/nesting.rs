//! A guard for the parsers the host runs on plugin sources (oxc, for
//! TypeScript and npm packages). Parsers recurse once per level of nesting,
//! and a stack overflow aborts the whole server: a file of a million `(` is
//! enough. So before a file is parsed, a linear scan (no recursion)
//! estimates how deeply its syntax nests, and a file over [`MAX_NESTING`] is
//! refused with its line; what passes is parsed on a thread with a stack of
//! [`PARSER_STACK`] bytes, far more than that depth needs (measured: 20,000
//! levels of brackets need less than 64 MiB in a debug build).
//!
//! The estimate is an upper bound of the syntax tree's depth along any path:
//! open brackets (`(`, `[`, `{`, `${`) plus, on each open level, the
//! operators and nesting keywords met since that level's last `,` or `;`
//! (each may add a level: `a + a + ...`, `- - a`, `a ? b : c ? ...`,
//! `x => y => ...`, `if (a) if (b) ...`). Strings, templates, comments and
//! regular expressions are skipped.

/// Deepest estimated nesting a file may have.
pub const MAX_NESTING: usize = 5_000;
/// Stack of the thread the parsers run on.
pub const PARSER_STACK: usize = 256 * 1024 * 1024;

const KEYWORDS: &[&str] = &[
    "if",
    "else",
    "for",
    "while",
    "do",
    "with",
    "new",
    "await",
    "yield",
    "typeof",
    "void",
    "delete",
    "throw",
    "return",
    "case",
    "in",
    "of",
    "instanceof",
    "keyof",
    "extends",
];

/// Skips template text from `i` (after a backtick or a `}` closing a
/// `${`): returns where it stopped and whether a `${` opened there.
fn template_text(b: &[u8], mut i: usize, line: &mut u32) -> (usize, bool) {
    loop {
        match b.get(i) {
            None => return (i, false),
            Some(b'\\') => i += 2,
            Some(b'`') => return (i + 1, false),
            Some(b'$') if b.get(i + 1) == Some(&b'{') => return (i + 2, true),
            Some(x) => {
                *line += (*x == b'\n') as u32;
                i += 1;
            }
        }
    }
}

/// The line (1-based) where `code`'s estimated nesting first exceeds `max`.
pub fn too_deep(code: &str, max: usize) -> Option<u32> {
    let b = code.as_bytes();
    let mut levels: Vec<usize> = vec![0]; // operators per open level
    let mut templates: Vec<usize> = Vec::new(); // levels where a `${` opened
    let mut depth_sum = 0usize; // sum of `levels`
    let mut line = 1u32;
    let mut i = 0;
    // Whether a `/` here starts a regular expression (after an operator).
    let mut regex_ok = true;
    let over = |levels: &Vec<usize>, sum: usize| levels.len() - 1 + sum > max;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
                // A statement may end here (no `;` needed): when a value has
                // just ended and the next line starts a new one, not an
                // operator continuing the expression.
                if !regex_ok {
                    let next = b[i..].iter().find(|x| !x.is_ascii_whitespace());
                    if next.is_some_and(|x| {
                        x.is_ascii_alphanumeric()
                            || matches!(x, b'_' | b'$' | b'\'' | b'"' | b'`' | b'@' | b'#' | b'}')
                    }) {
                        let top = levels.last_mut().expect("the top level");
                        depth_sum -= *top;
                        *top = 0;
                    }
                }
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    line += (b[i] == b'\n') as u32;
                    i += 1;
                }
                i += 2;
            }
            b'/' if regex_ok => {
                // A regular expression: to the `/` outside a class.
                i += 1;
                let mut class = false;
                while i < b.len() && b[i] != b'\n' {
                    match b[i] {
                        b'\\' => i += 1,
                        b'[' => class = true,
                        b']' => class = false,
                        b'/' if !class => break,
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
                regex_ok = false;
            }
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() && b[i] != c && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                regex_ok = false;
            }
            b'`' => {
                let (next, opened) = template_text(b, i + 1, &mut line);
                i = next;
                if opened && open_template(&mut levels, &mut templates, depth_sum, max) {
                    return Some(line);
                }
                regex_ok = !opened;
            }
            b'(' | b'[' | b'{' => {
                levels.push(0);
                if over(&levels, depth_sum) {
                    return Some(line);
                }
                i += 1;
                regex_ok = true;
            }
            b')' | b']' | b'}' => {
                let closes_template = c == b'}' && templates.last() == Some(&levels.len());
                if levels.len() > 1 {
                    depth_sum -= levels.pop().unwrap_or(0);
                }
                // A call or index may follow: `f(1)(2)...`, `a[0][0]...` nest.
                *levels.last_mut().expect("the top level") += 1;
                depth_sum += 1;
                if over(&levels, depth_sum) {
                    return Some(line);
                }
                i += 1;
                regex_ok = false;
                if closes_template {
                    // Back in the template's text.
                    templates.pop();
                    let (next, opened) = template_text(b, i, &mut line);
                    i = next;
                    if opened {
                        if open_template(&mut levels, &mut templates, depth_sum, max) {
                            return Some(line);
                        }
                        regex_ok = true;
                    }
                }
            }
            b',' | b';' => {
                let top = levels.last_mut().expect("the top level");
                depth_sum -= *top;
                *top = 0;
                i += 1;
                regex_ok = true;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &b[start..i];
                if KEYWORDS.iter().any(|k| k.as_bytes() == word) {
                    *levels.last_mut().expect("the top level") += 1;
                    depth_sum += 1;
                    if over(&levels, depth_sum) {
                        return Some(line);
                    }
                    regex_ok = true;
                } else {
                    regex_ok = false;
                }
            }
            _ => {
                // An operator or other punctuation: it may add a level.
                *levels.last_mut().expect("the top level") += 1;
                depth_sum += 1;
                if over(&levels, depth_sum) {
                    return Some(line);
                }
                i += 1;
                regex_ok = true;
            }
        }
    }
    None
}

/// Runs `f` (the parsers) on a thread with a stack of [`PARSER_STACK`].
pub fn on_parser_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("raisfast-parse".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(s, f)
            .expect("a parser thread")
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// Opens the level of a template's `${`; whether nesting is now over `max`.
fn open_template(
    levels: &mut Vec<usize>,
    templates: &mut Vec<usize>,
    depth_sum: usize,
    max: usize,
) -> bool {
    levels.push(0);
    templates.push(levels.len());
    levels.len() - 1 + depth_sum > max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_code_passes_and_towers_are_refused_with_their_line() {
        let ordinary = "const a = [1, 2, { b: `x${1 + 2}y` }];\nif (a) { f(/[(]/.test('(')); }\n";
        assert_eq!(too_deep(&ordinary.repeat(10_000), MAX_NESTING), None);
        let parens = format!(
            "let x;\nx = {}1{};\n",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        assert_eq!(too_deep(&parens, MAX_NESTING), Some(2));
        let chain = format!("x = 1{};\n", " + 1".repeat(10_000));
        assert_eq!(too_deep(&chain, MAX_NESTING), Some(1));
        let arrows = format!("f = {}0;\n", "a => ".repeat(10_000));
        assert!(too_deep(&arrows, MAX_NESTING).is_some());
        let ifs = format!("{}x();\n", "if (a) ".repeat(10_000));
        assert!(too_deep(&ifs, MAX_NESTING).is_some());
        let calls = format!("f{};\n", "(1)".repeat(10_000));
        assert!(too_deep(&calls, MAX_NESTING).is_some());
        let lines = format!("x = 1{}\n", "\n+ 1".repeat(10_000));
        assert!(too_deep(&lines, MAX_NESTING).is_some());
        // Code without semicolons is not one long statement.
        let no_semicolons = "const a = f(1) + g(2)\nlet b = a * 2\n".repeat(10_000);
        assert_eq!(too_deep(&no_semicolons, MAX_NESTING), None);
        let templates = format!("x = {}1{};\n", "`${".repeat(6_000), "}`".repeat(6_000));
        assert!(too_deep(&templates, MAX_NESTING).is_some());
        // Any bytes at all: no panic on a cut character.
        assert_eq!(
            too_deep("'\\é' /\\é/ é\u{301}x `\\é${é}`", MAX_NESTING),
            None
        );
    }
}
