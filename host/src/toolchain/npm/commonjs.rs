//! CommonJS files as ES modules: a module registering the file's factory,
//! and the facade ES modules import (default and named exports).

use super::scan::Requests;
use super::{CJS_RUNTIME, Format};
use std::collections::{BTreeMap, BTreeSet};

/// The JavaScript identifiers among `names` that a module may export.
fn exportable(names: &BTreeSet<String>) -> Vec<&str> {
    const RESERVED: &[&str] = &[
        "default",
        "__esModule",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "let",
        "new",
        "null",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
    ];
    names
        .iter()
        .map(String::as_str)
        .filter(|n| {
            let mut c = n.chars();
            c.next()
                .is_some_and(|f| f == '_' || f == '$' || f.is_ascii_alphabetic())
                && c.all(|x| x == '_' || x == '$' || x.is_ascii_alphanumeric())
                && !RESERVED.contains(n)
        })
        .collect()
}

/// A CommonJS file as a module that registers its factory: its required
/// files are imported first (CommonJS ones register their factories, ES
/// modules and JSON are handed to the factory as values).
pub(super) fn commonjs_module(
    file: &str,
    code: &str,
    deps: &BTreeMap<String, String>,
    requests: &Requests,
    formats: &BTreeMap<String, Format>,
) -> String {
    let mut out = format!("import {{ define }} from \"/{CJS_RUNTIME}\";\n");
    let mut factories = BTreeMap::new();
    let mut values = Vec::new();
    for (i, spec) in requests.requires.iter().enumerate() {
        let Some(target) = deps.get(spec) else {
            continue;
        };
        match formats.get(target) {
            Some(Format::CommonJs) => {
                out.push_str(&format!("import {};\n", json(spec)));
                factories.insert(spec.as_str(), target.as_str());
            }
            Some(Format::Json) => {
                out.push_str(&format!("import __rf_{i} from {};\n", json(spec)));
                values.push(format!("{}: __rf_{i}", json(spec)));
            }
            _ => {
                out.push_str(&format!("import * as __rf_{i} from {};\n", json(spec)));
                values.push(format!("{}: __rf_{i}", json(spec)));
            }
        }
    }
    out.push_str(&format!(
        "define({}, {}, {{ {} }}, function (exports, require, module, __filename, __dirname, global) {{\n{code}\n}});\n",
        json(file),
        serde_json::to_string(&factories).expect("strings"),
        values.join(", "),
    ));
    out
}

/// The ES facade of CommonJS `file`: default and named exports.
pub(super) fn facade(file: &str, requests: &Requests) -> String {
    let mut out = format!(
        "import \"/{file}\";\nimport {{ load }} from \"/{CJS_RUNTIME}\";\n\
         const m = load({});\n\
         export default m && m.__esModule && \"default\" in m ? m.default : m;\n",
        json(file)
    );
    for name in exportable(&requests.exports) {
        out.push_str(&format!("export const {name} = m[{}];\n", json(name)));
    }
    out
}

fn json(s: &str) -> String {
    serde_json::to_string(s).expect("a string")
}
