//! TypeScript for JS plugins: a `.ts` (or `.mts`) file becomes JavaScript at
//! load, in-process, with oxc (parser, semantic analysis, transformer,
//! code generator). Types are stripped and the TypeScript features that have
//! a runtime meaning are transformed as `tsc` does: enums, parameter
//! properties, namespaces. Nothing is down-levelled: the engine runs modern
//! JavaScript. No type checking happens here (that is the editor's and
//! `tsc`'s job); a syntax error is reported with the `.ts` file, line and
//! column.
//!
//! The generated code's lines are not the source's: each file keeps a
//! [`LineMap`] (from the source map oxc writes) so that an error thrown at
//! `main.ts:12:5` of the generated code is reported at the `.ts` line.

use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions};
use oxc_parser::Parser;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;
use oxc_transformer::{TransformOptions, Transformer};
use std::path::Path;

/// Whether `path` names a TypeScript source the JS runtime loads.
pub fn is_typescript(path: &str) -> bool {
    (path.ends_with(".ts") || path.ends_with(".mts")) && !path.ends_with(".d.ts")
}

/// A TypeScript file that could not be made JavaScript.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct TypeScriptError {
    /// The file, relative to the plugin directory.
    pub file: String,
    /// 1-based line of the error.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// Where each piece of generated code came from: `(generated line, column,
/// source line, column)`, 0-based, in generated order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineMap(Vec<(u32, u32, u32, u32)>);

impl LineMap {
    /// The source position (1-based line and column) of a generated one.
    pub fn original(&self, line: u32, column: u32) -> Option<(u32, u32)> {
        let at = (line.checked_sub(1)?, column.saturating_sub(1));
        let i = self.0.partition_point(|&(l, c, _, _)| (l, c) <= at);
        let &(_, _, sl, sc) = self.0.get(i.checked_sub(1)?)?;
        Some((sl + 1, sc + 1))
    }
}

/// The line maps of a plugin's TypeScript files, by path.
#[derive(Debug, Clone, Default)]
pub struct SourceMaps(std::collections::HashMap<String, LineMap>);

impl SourceMaps {
    /// Records the map of `file`.
    pub fn insert(&mut self, file: String, lines: LineMap) {
        self.0.insert(file, lines);
    }

    /// Whether there is no TypeScript file.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `text` (an error message, a stack line) with every `file.ts:L:C` of
    /// generated code replaced by the TypeScript position.
    pub fn rewrite(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (file, map) in &self.0 {
            let needle = format!("{file}:");
            let mut result = String::with_capacity(out.len());
            let mut rest = out.as_str();
            while let Some(i) = rest.find(&needle) {
                let after = &rest[i + needle.len()..];
                let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
                let l = digits(after);
                let c = after[l..].strip_prefix(':').map_or(0, digits);
                let mapped = (l > 0 && c > 0)
                    .then(|| {
                        let line = after[..l].parse().ok()?;
                        let col = after[l + 1..l + 1 + c].parse().ok()?;
                        map.original(line, col)
                    })
                    .flatten();
                result.push_str(&rest[..i + needle.len()]);
                match mapped {
                    Some((sl, sc)) => {
                        result.push_str(&format!("{sl}:{sc}"));
                        rest = &after[l + 1 + c..];
                    }
                    None => rest = after,
                }
            }
            result.push_str(rest);
            out = result;
        }
        out
    }
}

/// A TypeScript file made JavaScript.
#[derive(Debug, Clone)]
pub struct Stripped {
    /// The JavaScript.
    pub code: String,
    /// Its positions back in the TypeScript.
    pub lines: LineMap,
}

/// 1-based line and column of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    (line, column)
}

/// Makes `source` (the TypeScript of `file`) JavaScript.
pub fn strip(file: &str, source: &str) -> Result<Stripped, TypeScriptError> {
    let error = |offset: Option<usize>, message: String| {
        let (line, column) = offset.map_or((1, 1), |o| position(source, o));
        TypeScriptError {
            file: file.to_string(),
            line,
            column,
            message,
        }
    };
    let first = |diagnostics: Vec<oxc_diagnostics::OxcDiagnostic>| {
        diagnostics.into_iter().next().map(|d| {
            let offset = d.labels.first().map(|l| l.offset() as usize);
            error(offset, d.message.to_string())
        })
    };
    if let Some(line) = super::nesting::too_deep(source, super::nesting::MAX_NESTING) {
        return Err(TypeScriptError {
            file: file.to_string(),
            line,
            column: 1,
            message: format!(
                "nested more than {} levels deep; the host does not parse it",
                super::nesting::MAX_NESTING
            ),
        });
    }
    let allocator = Allocator::default();
    let path = Path::new(file);
    let source_type = SourceType::ts().with_module(true);
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if let Some(e) = first(parsed.diagnostics.into_vec()) {
        return Err(e);
    }
    let mut program = parsed.program;
    let scoping = SemanticBuilder::new()
        .with_enum_eval(true)
        .build(&program)
        .semantic
        .into_scoping();
    let options = TransformOptions::from_target("esnext").map_err(|e| error(None, e))?;
    let transformed =
        Transformer::new(&allocator, path, &options).build_with_scoping(scoping, &mut program);
    if let Some(e) = first(transformed.diagnostics.into_vec()) {
        return Err(e);
    }
    let generated = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(path.to_path_buf()),
            ..CodegenOptions::default()
        })
        .build(&program);
    let lines = generated
        .map
        .map(|m| {
            LineMap(
                m.get_tokens()
                    .map(|t| {
                        (
                            t.get_dst_line(),
                            t.get_dst_col(),
                            t.get_src_line(),
                            t.get_src_col(),
                        )
                    })
                    .collect(),
            )
        })
        .unwrap_or_default();
    Ok(Stripped {
        code: generated.code,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_go_enums_and_parameter_properties_stay() {
        let s = strip(
            "main.ts",
            "enum Color { Red, Green = 'g' }\n\
             interface Box<T> { value: T }\n\
             class Point { constructor(public x: number, private y = 2) {} }\n\
             export const c: Box<Color> = { value: Color.Red } satisfies Box<Color>;\n\
             export const p = new Point(1);\n",
        )
        .unwrap();
        assert!(
            !s.code.contains("interface") && !s.code.contains(": number"),
            "{}",
            s.code
        );
        assert!(
            s.code.contains("Color[\"Red\"] = 0") || s.code.contains("Color[Color[\"Red\"] = 0]"),
            "{}",
            s.code
        );
        assert!(s.code.contains("this.x = x"), "{}", s.code);
    }

    #[test]
    fn a_tower_of_parentheses_is_refused_not_parsed() {
        let src = format!(
            "const a = 1;\nexport const x = {}1{};\n",
            "(".repeat(1_000_000),
            ")".repeat(1_000_000)
        );
        let e = strip("deep.ts", &src).unwrap_err();
        assert_eq!(
            (e.line, e.message.contains("nested more than")),
            (2, true),
            "{e}"
        );
    }

    #[test]
    fn a_syntax_error_names_the_file_line_and_column() {
        let e = strip("lib/a.ts", "const a = 1;\nlet b: = 2;\n").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("lib/a.ts", 2), "{e}");
    }

    #[test]
    fn error_positions_in_messages_are_rewritten() {
        let src = "type T = number;\n\n\nexport function f(): T {\n  throw new Error('x');\n}\n";
        let s = strip("lib/m.ts", src).unwrap();
        let gen_line = s.code.lines().position(|l| l.contains("throw")).unwrap() + 1;
        let mut maps = SourceMaps::default();
        maps.insert("lib/m.ts".into(), s.lines);
        let text = maps.rewrite(&format!(
            "Error: x (at f (lib/m.ts:{gen_line}:9)); other.ts:1:1"
        ));
        assert!(
            text.starts_with("Error: x (at f (lib/m.ts:5:") && text.ends_with(")); other.ts:1:1"),
            "{text}"
        );
    }

    #[test]
    fn generated_lines_map_back_to_the_source() {
        let src = "interface A {\n  a: number;\n}\n\ntype B = string;\n\nexport function f(x: A): B {\n  throw new Error('at line 8');\n}\n";
        let s = strip("main.ts", src).unwrap();
        let gen_line = s.code.lines().position(|l| l.contains("throw")).unwrap() as u32 + 1;
        assert_eq!(
            s.lines.original(gen_line, 3).map(|p| p.0),
            Some(8),
            "{}",
            s.code
        );
    }
}
