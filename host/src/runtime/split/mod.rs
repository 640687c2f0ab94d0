//! A script engine split in two: its code, compiled once and shared by every
//! plugin of that runtime, and a plugin's state, a small data-only module.
//!
//! A snapshot of a script plugin (see [`super::snapshot`]) is the engine
//! component with its linear memory and mutable globals pre-initialised:
//! every function body is the engine's own. Compiled as a whole, each plugin
//! would carry its own copy of the engine's machine code (about 1 MiB per
//! plugin, mapped and run separately, so a hundred plugins no longer share
//! the CPU caches either). Instead:
//!
//! - the **engine part** is the engine component whose main core module
//!   *imports* its memory and mutable globals from a core module the
//!   component itself imports (named [`STATE_IMPORT`]); it is compiled once
//!   per runtime and machine;
//! - a plugin's **state** is that core module: one memory whose data segments
//!   are the snapshot's memory image (copy-on-write, as before) and the
//!   snapshot's global values, exported under the names the engine part
//!   imports. It has no functions, so compiling it costs almost nothing.
//!
//! Linking a plugin is then "the shared engine part, given this plugin's
//! state module" ([`wasmtime::component::LinkerInstance::module`]). The
//! engine's own active data segments become empty passive ones (their
//! contents live in the state), so instantiating the engine part never
//! writes over a plugin's memory.

mod module;
mod sections;

use module::STATE_MODULE;
use sections::{Section, module_ranges, refers_to_modules, sections, to_usize};
use wasm_encoder::reencode::{Reencode, ReencodeComponent, RoundtripReencoder};
use wasm_encoder::{ComponentSectionId, ComponentTypeRef, ModuleArg, RawSection};
use wasmparser::Payload;

/// The component-level import through which the engine part receives a
/// plugin's state module.
pub const STATE_IMPORT: &str = "raisfast-plugin-state";

/// Why an engine component could not be split.
#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    /// The component or one of its modules does not parse.
    #[error("reading the engine component: {0}")]
    Parse(#[from] wasmparser::BinaryReaderError),
    /// Re-encoding a section failed.
    #[error("re-encoding the engine component: {0}")]
    Encode(String),
    /// The component has a shape this split does not handle.
    #[error("the engine component cannot be split: {0}")]
    Unsupported(&'static str),
}

impl<E: std::fmt::Display> From<wasm_encoder::reencode::Error<E>> for SplitError {
    fn from(e: wasm_encoder::reencode::Error<E>) -> SplitError {
        SplitError::Encode(e.to_string())
    }
}

/// An engine component split into its shared part and its initial state.
pub struct Split {
    /// The engine part: a component importing [`STATE_IMPORT`].
    pub engine: Vec<u8>,
    /// The engine's own initial state, for the instance that loads a plugin.
    pub initial_state: Vec<u8>,
    /// Index of the main core module among the component's modules.
    pub main_module: usize,
}

/// Where the state is inserted: before the main module's instantiation.
struct Insertion {
    /// Section and item of the main module's instantiation.
    at: (usize, usize),
    /// Core instances before it: the state's instance takes this index.
    instance: u32,
    /// Core modules before it: the imported state module takes this index.
    module: u32,
    /// Core types before it: the state module's type takes this index.
    ty: u32,
}

fn find_insertion(secs: &[Section<'_>], main: u32) -> Result<Insertion, SplitError> {
    let (mut instances, mut modules, mut types) = (0u32, 0u32, 0u32);
    let mut found: Option<Insertion> = None;
    for (i, s) in secs.iter().enumerate() {
        match &s.payload {
            Payload::ModuleSection { .. } => modules += 1,
            Payload::CoreTypeSection(r) if found.is_some() && r.count() > 0 => {
                return Err(SplitError::Unsupported(
                    "core types after the main instance",
                ));
            }
            Payload::CoreTypeSection(r) => types += r.count(),
            Payload::ComponentImportSection(r) => {
                for import in r.clone() {
                    if let wasmparser::ComponentTypeRef::Module(_) = import?.ty {
                        modules += 1;
                    }
                }
            }
            Payload::InstanceSection(r) => {
                for (j, item) in r.clone().into_iter().enumerate() {
                    if let wasmparser::Instance::Instantiate { module_index, .. } = item?
                        && module_index == main
                    {
                        if found.is_some() {
                            return Err(SplitError::Unsupported(
                                "a main module instantiated twice",
                            ));
                        }
                        found = Some(Insertion {
                            at: (i, j),
                            instance: instances,
                            module: modules,
                            ty: types,
                        });
                    }
                    instances += 1;
                }
            }
            _ => {}
        }
    }
    found.ok_or(SplitError::Unsupported(
        "the main module is never instantiated",
    ))
}

/// Core module and core instance indices at or after the insertion, moved
/// up by one.
struct Remap {
    modules_from: u32,
    instances_from: u32,
}

impl Reencode for Remap {
    type Error = std::convert::Infallible;
}

impl ReencodeComponent for Remap {
    fn module_index(&mut self, i: u32) -> u32 {
        if i >= self.modules_from { i + 1 } else { i }
    }

    fn instance_index(&mut self, i: u32) -> u32 {
        if i >= self.instances_from { i + 1 } else { i }
    }
}

/// Splits an engine component (as wizer instrumented it, or not) into the
/// engine part and its initial state.
pub fn split(component: &[u8]) -> Result<Split, SplitError> {
    let secs = sections(component)?;
    let mut main = None;
    for (m, range) in module_ranges(&secs).enumerate() {
        if let Some(state) = module::module_state(&component[range])? {
            if main.is_some() {
                return Err(SplitError::Unsupported("several modules define a memory"));
            }
            main = Some((m, state));
        }
    }
    let (main, state) = main.ok_or(SplitError::Unsupported("no module defines a memory"))?;
    if state.has_start {
        return Err(SplitError::Unsupported(
            "a main module with a start function",
        ));
    }
    if state.imported_memories > 0 {
        return Err(SplitError::Unsupported("a main module importing a memory"));
    }
    let ins = find_insertion(&secs, main as u32)?;
    let mut remap = Remap {
        modules_from: ins.module,
        instances_from: ins.instance,
    };
    let mut out = wasm_encoder::Component::new();
    let mut module_index = 0;
    for (i, s) in secs.iter().enumerate() {
        match &s.payload {
            Payload::Version { .. } | Payload::End(_) => {}
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                let bytes = &component[to_usize(unchecked_range)];
                let data = if module_index == main {
                    module::import_state(bytes, &state)?
                } else {
                    bytes.to_vec()
                };
                module_index += 1;
                out.section(&RawSection {
                    id: ComponentSectionId::CoreModule as u8,
                    data: &data,
                });
            }
            Payload::InstanceSection(r) => {
                let mut section = wasm_encoder::InstanceSection::new();
                for (j, item) in r.clone().into_iter().enumerate() {
                    let is_main = (i, j) == ins.at;
                    if is_main {
                        if !section.is_empty() {
                            out.section(&section);
                            section = wasm_encoder::InstanceSection::new();
                        }
                        insert_state(&mut out, &state, &ins)?;
                    }
                    match item? {
                        wasmparser::Instance::Instantiate { module_index, args } => {
                            let mut new_args: Vec<(String, ModuleArg)> = args
                                .iter()
                                .map(|a| {
                                    let index = remap.instance_index(a.index);
                                    (a.name.to_string(), ModuleArg::Instance(index))
                                })
                                .collect();
                            if is_main {
                                new_args.push((
                                    STATE_MODULE.to_string(),
                                    ModuleArg::Instance(ins.instance),
                                ));
                            }
                            section.instantiate(remap.module_index(module_index), new_args);
                        }
                        wasmparser::Instance::FromExports(exports) => {
                            let items = exports
                                .iter()
                                .map(|e| {
                                    let kind = RoundtripReencoder.export_kind(e.kind)?;
                                    Ok((e.name, kind, e.index))
                                })
                                .collect::<Result<Vec<_>, SplitError>>()?;
                            section.export_items(items);
                        }
                    }
                }
                if !section.is_empty() {
                    out.section(&section);
                }
            }
            Payload::ComponentAliasSection(r) => {
                let mut section = wasm_encoder::ComponentAliasSection::new();
                wasm_encoder::reencode::component_utils::parse_component_alias_section(
                    &mut remap,
                    &mut section,
                    r.clone(),
                )?;
                out.section(&section);
            }
            // Names core instances and modules by index: left out.
            Payload::CustomSection(c) if c.name() == "component-name" => {}
            Payload::ComponentInstanceSection(_) | Payload::ComponentExportSection(_)
                if refers_to_modules(&s.payload)? =>
            {
                return Err(SplitError::Unsupported("a component item naming a module"));
            }
            _ => {
                let (id, range) = s
                    .raw
                    .clone()
                    .ok_or(SplitError::Unsupported("an unknown section"))?;
                out.section(&RawSection {
                    id,
                    data: &component[range],
                });
            }
        }
    }
    Ok(Split {
        engine: out.finish(),
        initial_state: module::state_module(&state)?,
        main_module: main,
    })
}

/// Adds the state module's type, its import and its instance.
fn insert_state(
    out: &mut wasm_encoder::Component,
    state: &module::State,
    ins: &Insertion,
) -> Result<(), SplitError> {
    let mut types = wasm_encoder::CoreTypeSection::new();
    types.ty().module(&module::state_type(state)?);
    out.section(&types);
    let mut imports = wasm_encoder::ComponentImportSection::new();
    imports.import(STATE_IMPORT, ComponentTypeRef::Module(ins.ty));
    out.section(&imports);
    let mut instance = wasm_encoder::InstanceSection::new();
    instance.instantiate(ins.module, Vec::<(&str, ModuleArg)>::new());
    out.section(&instance);
    Ok(())
}

/// A plugin's state module, read from its snapshot (the whole component
/// wizer wrote): the main module's memory image and global values.
pub fn state_of(snapshot: &[u8], main_module: usize) -> Result<Vec<u8>, SplitError> {
    let secs = sections(snapshot)?;
    let range = module_ranges(&secs)
        .nth(main_module)
        .ok_or(SplitError::Unsupported(
            "the snapshot lacks the main module",
        ))?;
    let state = module::module_state(&snapshot[range])?.ok_or(SplitError::Unsupported(
        "the snapshot's main module has no memory",
    ))?;
    module::state_module(&state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_it_cannot_split_are_refused_by_name() {
        let refused = |wat: &str| match split(&wat::parse_str(wat).unwrap()) {
            Err(SplitError::Unsupported(why)) => why,
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("split"),
        };
        assert_eq!(
            refused("(component (core module $m (func)) (core instance (instantiate $m)))"),
            "no module defines a memory"
        );
        assert_eq!(
            refused("(component (core module $m (memory 1)))"),
            "the main module is never instantiated"
        );
        assert_eq!(
            refused(
                "(component (core module $m (memory 1)) (core instance (instantiate $m)) (core instance (instantiate $m)))"
            ),
            "a main module instantiated twice"
        );
    }
}
