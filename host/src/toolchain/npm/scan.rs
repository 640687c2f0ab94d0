//! What a module asks for: its `import`s, `require`s and the names it
//! assigns to `exports`, from its syntax tree (oxc).

use super::{Format, PackageError};
use oxc_allocator::Allocator;
use oxc_ast::ast::{Argument, AssignmentExpression, CallExpression, Expression, ImportExpression};
use oxc_ast_visit::{Visit, walk};
use oxc_parser::Parser;
use oxc_span::SourceType;
use std::collections::BTreeSet;

/// What a module asks for, found in its syntax tree.
#[derive(Default)]
pub(super) struct Requests {
    /// Static and dynamic `import` specifiers.
    pub imports: BTreeSet<String>,
    /// `require('...')` specifiers.
    pub requires: BTreeSet<String>,
    /// Names assigned to `exports` (CommonJS named exports).
    pub exports: BTreeSet<String>,
}

impl<'a> Visit<'a> for Requests {
    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if it.is_require_call()
            && let Some(Argument::StringLiteral(s)) = it.arguments.first()
        {
            self.requires.insert(s.value.to_string());
        }
        // Object.defineProperty(exports, 'name', ...)
        if let Some(m) = it.callee.as_member_expression()
            && m.static_property_name() == Some("defineProperty")
            && matches!(m.object(), Expression::Identifier(o) if o.name == "Object")
            && matches!(it.arguments.first(), Some(Argument::Identifier(e)) if e.name == "exports")
            && let Some(Argument::StringLiteral(name)) = it.arguments.get(1)
        {
            self.exports.insert(name.value.to_string());
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        if let Expression::StringLiteral(s) = &it.source {
            self.imports.insert(s.value.to_string());
        }
        walk::walk_import_expression(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        if let Some(m) = it.left.as_member_expression() {
            let is_exports = |e: &Expression| match e {
                Expression::Identifier(i) => i.name == "exports",
                e => e.as_member_expression().is_some_and(|m| {
                    m.static_property_name() == Some("exports")
                        && matches!(m.object(), Expression::Identifier(i) if i.name == "module")
                }),
            };
            let target_is_module_exports = m.static_property_name() == Some("exports")
                && matches!(m.object(), Expression::Identifier(i) if i.name == "module");
            if target_is_module_exports {
                // module.exports = { a, b: ..., 'c': ... }
                if let Expression::ObjectExpression(o) = &it.right {
                    for p in &o.properties {
                        if let oxc_ast::ast::ObjectPropertyKind::ObjectProperty(p) = p
                            && let Some(name) = p.key.static_name()
                        {
                            self.exports.insert(name.to_string());
                        }
                    }
                }
            } else if is_exports(m.object())
                && let Some(name) = m.static_property_name()
            {
                self.exports.insert(name.to_string());
            }
        }
        walk::walk_assignment_expression(self, it);
    }
}

/// Parses `code` and returns its format (ESM or CommonJS) and requests.
pub(super) fn scan(
    file: &str,
    code: &str,
    forced: Option<Format>,
) -> Result<(Format, Requests), PackageError> {
    let unreadable = |message: String| PackageError::Unreadable {
        file: file.to_string(),
        message,
    };
    use crate::toolchain::nesting::{MAX_NESTING, too_deep};
    if let Some(line) = too_deep(code, MAX_NESTING) {
        return Err(unreadable(format!(
            "line {line}: nested more than {MAX_NESTING} levels deep; the host does not parse it"
        )));
    }
    let allocator = Allocator::default();
    let is_ts = crate::toolchain::typescript::is_typescript(file);
    let source_type = if is_ts {
        SourceType::ts()
    } else {
        SourceType::mjs()
    };
    let mut parsed = Parser::new(&allocator, code, source_type).parse();
    if parsed.diagnostics.has_errors() && forced != Some(Format::Esm) {
        // Not a module: CommonJS may use what modules forbid (`with`, octal).
        parsed = Parser::new(&allocator, code, SourceType::cjs()).parse();
    }
    if let Some(d) = parsed.diagnostics.errors().next() {
        return Err(unreadable(format!("cannot be parsed: {}", d.message)));
    }
    let mut requests = Requests::default();
    for (specifier, _) in &parsed.module_record.requested_modules {
        requests.imports.insert(specifier.to_string());
    }
    requests.visit_program(&parsed.program);
    let format = forced.unwrap_or(if parsed.module_record.has_module_syntax {
        Format::Esm
    } else {
        Format::CommonJs
    });
    Ok((format, requests))
}
