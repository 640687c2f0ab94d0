//! The core-module half of the split: a module's state (memory, mutable
//! globals, active data), the data-only module made of it, and the engine's
//! main module rewritten to import that state.

use super::SplitError;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{ConstExpr, EntityType};
use wasmparser::{Parser, Payload};

/// The core import module name under which the engine's main module finds
/// the state's memory and globals.
pub const STATE_MODULE: &str = "raisfast:state";

/// The memory, mutable globals and active data of a core module.
pub struct State {
    pub memory: wasmparser::MemoryType,
    pub globals: Vec<(wasmparser::GlobalType, ConstExpr)>,
    pub data: Vec<(ConstExpr, Vec<u8>)>,
    /// Global index (in the module) of each global, old to new, once its
    /// mutable globals are imported.
    pub global_map: Vec<u32>,
    pub imported_memories: u32,
    pub has_start: bool,
}

fn const_value(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr, SplitError> {
    let mut ops = expr.get_operators_reader();
    let value = match ops.read()? {
        wasmparser::Operator::I32Const { value } => ConstExpr::i32_const(value),
        wasmparser::Operator::I64Const { value } => ConstExpr::i64_const(value),
        wasmparser::Operator::F32Const { value } => {
            ConstExpr::f32_const(wasm_encoder::Ieee32::new(value.bits()))
        }
        wasmparser::Operator::F64Const { value } => {
            ConstExpr::f64_const(wasm_encoder::Ieee64::new(value.bits()))
        }
        _ => return Err(SplitError::Unsupported("a non-constant initializer")),
    };
    Ok(value)
}

/// Reads a core module's state (`None` when it defines no memory).
pub fn module_state(module: &[u8]) -> Result<Option<State>, SplitError> {
    let mut memory = None;
    let mut imported_globals = 0u32;
    let mut imported_memories = 0u32;
    let mut defined = Vec::new();
    let mut data = Vec::new();
    let mut has_start = false;
    for payload in Parser::new(0).parse_all(module) {
        match payload? {
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    match import?.ty {
                        wasmparser::TypeRef::Global(_) => imported_globals += 1,
                        wasmparser::TypeRef::Memory(_) => imported_memories += 1,
                        _ => {}
                    }
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    if memory.replace(m?).is_some() {
                        return Err(SplitError::Unsupported("a module with several memories"));
                    }
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    let g = g?;
                    defined.push((g.ty, const_value(&g.init_expr).ok()));
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    let d = d?;
                    if let wasmparser::DataKind::Active {
                        offset_expr,
                        memory_index,
                    } = d.kind
                    {
                        if memory_index != imported_memories {
                            return Err(SplitError::Unsupported("data for an imported memory"));
                        }
                        data.push((const_value(&offset_expr)?, d.data.to_vec()));
                    }
                }
            }
            Payload::StartSection { .. } => has_start = true,
            _ => {}
        }
    }
    let Some(memory) = memory else {
        return Ok(None);
    };
    let mutable = defined.iter().filter(|(ty, _)| ty.mutable).count() as u32;
    let mut global_map: Vec<u32> = (0..imported_globals).collect();
    let (mut next_mut, mut next_const) = (imported_globals, imported_globals + mutable);
    let mut globals = Vec::new();
    for (ty, init) in defined {
        if ty.mutable {
            let init = init.ok_or(SplitError::Unsupported("a mutable global set by code"))?;
            globals.push((ty, init));
            global_map.push(next_mut);
            next_mut += 1;
        } else {
            global_map.push(next_const);
            next_const += 1;
        }
    }
    Ok(Some(State {
        memory,
        globals,
        data,
        global_map,
        imported_memories,
        has_start,
    }))
}

fn memory_type(m: wasmparser::MemoryType) -> wasm_encoder::MemoryType {
    wasm_encoder::MemoryType {
        minimum: m.initial,
        maximum: m.maximum,
        memory64: m.memory64,
        shared: m.shared,
        page_size_log2: m.page_size_log2,
    }
}

fn global_type(g: wasmparser::GlobalType) -> Result<wasm_encoder::GlobalType, SplitError> {
    Ok(wasm_encoder::GlobalType {
        val_type: RoundtripReencoder.val_type(g.content_type)?,
        mutable: g.mutable,
        shared: g.shared,
    })
}

fn global_name(i: usize) -> String {
    format!("global{i}")
}

/// The state module: the memory (with `state`'s data) and mutable globals.
pub fn state_module(state: &State) -> Result<Vec<u8>, SplitError> {
    let mut memories = wasm_encoder::MemorySection::new();
    memories.memory(memory_type(state.memory));
    let mut globals = wasm_encoder::GlobalSection::new();
    let mut exports = wasm_encoder::ExportSection::new();
    exports.export("memory", wasm_encoder::ExportKind::Memory, 0);
    for (i, (ty, init)) in state.globals.iter().enumerate() {
        globals.global(global_type(*ty)?, init);
        exports.export(&global_name(i), wasm_encoder::ExportKind::Global, i as u32);
    }
    let mut data = wasm_encoder::DataSection::new();
    for (offset, bytes) in &state.data {
        data.active(0, offset, bytes.iter().copied());
    }
    let mut module = wasm_encoder::Module::new();
    module
        .section(&memories)
        .section(&globals)
        .section(&exports)
        .section(&data);
    Ok(module.finish())
}

/// The core module type of [`state_module`], as the engine part imports it.
pub fn state_type(state: &State) -> Result<wasm_encoder::ModuleType, SplitError> {
    let mut ty = wasm_encoder::ModuleType::new();
    ty.export("memory", EntityType::Memory(memory_type(state.memory)));
    for (i, (g, _)) in state.globals.iter().enumerate() {
        ty.export(&global_name(i), EntityType::Global(global_type(*g)?));
    }
    Ok(ty)
}

/// The engine's main module with its memory and mutable globals imported
/// from [`STATE_MODULE`] (global indices renumbered where needed), and its
/// active data segments made empty passive ones.
pub fn import_state(module: &[u8], state: &State) -> Result<Vec<u8>, SplitError> {
    let mut imports = vec![(
        "memory".to_string(),
        EntityType::Memory(memory_type(state.memory)),
    )];
    for (i, (g, _)) in state.globals.iter().enumerate() {
        imports.push((global_name(i), EntityType::Global(global_type(*g)?)));
    }
    let identity = state
        .global_map
        .iter()
        .enumerate()
        .all(|(i, &g)| i as u32 == g);
    let mut rewrite = ImportState {
        global_map: &state.global_map,
        identity,
        imports,
        imported: false,
    };
    let mut out = wasm_encoder::Module::new();
    rewrite.parse_core_module(&mut out, Parser::new(0), module)?;
    if !rewrite.imported {
        return Err(SplitError::Unsupported("a main module without imports"));
    }
    Ok(out.finish())
}

struct ImportState<'a> {
    global_map: &'a [u32],
    identity: bool,
    imports: Vec<(String, EntityType)>,
    imported: bool,
}

type ReencodeResult = Result<(), wasm_encoder::reencode::Error<std::convert::Infallible>>;

impl Reencode for ImportState<'_> {
    type Error = std::convert::Infallible;

    fn global_index(
        &mut self,
        global: u32,
    ) -> Result<u32, wasm_encoder::reencode::Error<Self::Error>> {
        Ok(self
            .global_map
            .get(global as usize)
            .copied()
            .unwrap_or(global))
    }

    fn parse_import_section(
        &mut self,
        imports: &mut wasm_encoder::ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> ReencodeResult {
        wasm_encoder::reencode::utils::parse_import_section(self, imports, section)?;
        for (name, ty) in &self.imports {
            imports.import(STATE_MODULE, name, *ty);
        }
        self.imported = true;
        Ok(())
    }

    fn parse_memory_section(
        &mut self,
        _memories: &mut wasm_encoder::MemorySection,
        _section: wasmparser::MemorySectionReader<'_>,
    ) -> ReencodeResult {
        // The one defined memory is now the state's.
        Ok(())
    }

    fn parse_global_section(
        &mut self,
        globals: &mut wasm_encoder::GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> ReencodeResult {
        for global in section {
            let global = global?;
            if !global.ty.mutable {
                self.parse_global(globals, global)?;
            }
        }
        Ok(())
    }

    fn parse_data(
        &mut self,
        data: &mut wasm_encoder::DataSection,
        datum: wasmparser::Data<'_>,
    ) -> ReencodeResult {
        match datum.kind {
            // Applied already: its bytes are in the state's memory image.
            wasmparser::DataKind::Active { .. } => data.passive([]),
            wasmparser::DataKind::Passive => data.passive(datum.data.iter().copied()),
        };
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> ReencodeResult {
        // Unchanged global indices: the bodies are copied as they are.
        if !self.identity {
            return wasm_encoder::reencode::utils::parse_code_section(self, code, section);
        }
        for body in section {
            code.raw(body?.as_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A main module whose mutable global sits between two immutable ones,
    /// so that importing it renumbers the others in code.
    const MAIN: &str = r#"(module
        (import "env" "f" (func))
        (memory 1)
        (global $k i32 (i32.const 7))
        (global $sp (mut i32) (i32.const 1024))
        (global $k2 i32 (i32.const 9))
        (data (i32.const 16) "engine")
        (func (export "read") (result i32)
            global.get $k
            global.get $sp
            i32.add
            global.get $k2
            i32.add
            i32.const 16
            i32.load8_u
            i32.add)
        (func (export "bump")
            global.get $sp
            i32.const 1
            i32.add
            global.set $sp))"#;

    #[test]
    fn the_main_module_runs_on_the_state_it_is_given() {
        let wasm = wat::parse_str(MAIN).unwrap();
        let state = module_state(&wasm).unwrap().unwrap();
        assert_eq!(state.global_map, vec![1, 0, 2]);
        let main = import_state(&wasm, &state).unwrap();
        // A plugin's state: the same shape, its own values.
        let mut plugin = module_state(&wasm).unwrap().unwrap();
        plugin.globals[0].1 = ConstExpr::i32_const(2000);
        plugin.data = vec![(ConstExpr::i32_const(16), b"Z".to_vec())];
        let state_wasm = state_module(&plugin).unwrap();

        let engine = wasmtime::Engine::default();
        let mut store = wasmtime::Store::new(&engine, ());
        let mut linker = wasmtime::Linker::new(&engine);
        linker.func_wrap("env", "f", || {}).unwrap();
        let state_module = wasmtime::Module::new(&engine, &state_wasm).unwrap();
        let state_instance = linker.instantiate(&mut store, &state_module).unwrap();
        linker
            .instance(&mut store, STATE_MODULE, state_instance)
            .unwrap();
        let main_module = wasmtime::Module::new(&engine, &main).unwrap();
        let instance = linker.instantiate(&mut store, &main_module).unwrap();
        let read = instance
            .get_typed_func::<(), i32>(&mut store, "read")
            .unwrap();
        // The engine's own data ("engine") no longer overwrites the state's.
        let expected = 7 + 2000 + 9 + i32::from(b'Z');
        assert_eq!(read.call(&mut store, ()).unwrap(), expected);
        instance
            .get_typed_func::<(), ()>(&mut store, "bump")
            .unwrap()
            .call(&mut store, ())
            .unwrap();
        assert_eq!(read.call(&mut store, ()).unwrap(), expected + 1);
    }

    #[test]
    fn a_global_set_by_code_is_refused() {
        let wasm = wat::parse_str(
            r#"(module (import "env" "g" (global i32)) (memory 1)
                (global (mut i32) (global.get 0)))"#,
        )
        .unwrap();
        assert!(matches!(
            module_state(&wasm),
            Err(SplitError::Unsupported(m)) if m.contains("global")
        ));
    }
}
