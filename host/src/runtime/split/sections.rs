//! A component's top-level sections, as the split reads them: nested
//! modules and components are one section each, kept with their byte range
//! so that they can be copied as they are.

use super::SplitError;
use std::ops::Range;
use wasm_encoder::ComponentSectionId;
use wasmparser::{Parser, Payload};

/// One top-level section of a component: its id and byte range.
pub(super) struct Section<'a> {
    pub(super) payload: Payload<'a>,
    pub(super) raw: Option<(u8, Range<usize>)>,
}

/// The top-level sections of a component (nested modules are one section).
pub(super) fn sections(bytes: &[u8]) -> Result<Vec<Section<'_>>, SplitError> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload?;
        if depth > 0 {
            match &payload {
                Payload::End(_) => depth -= 1,
                Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
                // Nested components are copied as they are: none may name
                // an outer core module, whose index may move.
                Payload::ComponentAliasSection(r) => {
                    for alias in r.clone() {
                        if let wasmparser::ComponentAlias::Outer {
                            kind: wasmparser::ComponentOuterAliasKind::CoreModule,
                            ..
                        } = alias?
                        {
                            return Err(SplitError::Unsupported("an outer alias of a module"));
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        let raw = match &payload {
            Payload::ModuleSection { .. } => {
                depth += 1;
                None
            }
            Payload::ComponentSection {
                unchecked_range, ..
            } => {
                depth += 1;
                Some((
                    ComponentSectionId::Component as u8,
                    to_usize(unchecked_range),
                ))
            }
            p => p
                .as_section()
                .map(|(id, r)| (id, r.start as usize..r.end as usize)),
        };
        out.push(Section { payload, raw });
    }
    Ok(out)
}

/// Whether a component section names a core module (an export or an
/// instantiation argument), whose index the split may move.
pub(super) fn refers_to_modules(payload: &Payload<'_>) -> Result<bool, SplitError> {
    let module = wasmparser::ComponentExternalKind::Module;
    Ok(match payload {
        Payload::ComponentExportSection(r) => {
            let mut any = false;
            for e in r.clone() {
                any |= e?.kind == module;
            }
            any
        }
        Payload::ComponentInstanceSection(r) => {
            let mut any = false;
            for i in r.clone() {
                any |= match i? {
                    wasmparser::ComponentInstance::Instantiate { args, .. } => {
                        args.iter().any(|a| a.kind == module)
                    }
                    wasmparser::ComponentInstance::FromExports(e) => {
                        e.iter().any(|e| e.kind == module)
                    }
                };
            }
            any
        }
        _ => false,
    })
}

/// A byte range as indexes.
pub(super) fn to_usize(r: &Range<u64>) -> Range<usize> {
    r.start as usize..r.end as usize
}

/// The byte ranges of the component's own core modules, in index order.
pub(super) fn module_ranges<'a>(
    secs: &'a [Section<'_>],
) -> impl Iterator<Item = Range<usize>> + 'a {
    secs.iter().filter_map(|s| match &s.payload {
        Payload::ModuleSection {
            unchecked_range, ..
        } => Some(to_usize(unchecked_range)),
        _ => None,
    })
}
