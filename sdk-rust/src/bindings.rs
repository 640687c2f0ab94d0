//! The guest side of the WIT contract (`wit/0.1.0`, world `plugin`), generated
//! by `wit-bindgen`. Most plugins use the typed wrappers in the other modules;
//! these are the raw calls.

wit_bindgen::generate!({
    world: "plugin",
    path: "../wit/0.1.0",
    pub_export_macro: true,
    export_macro_name: "__export_guest",
    default_bindings_module: "raisfast_sdk::bindings",
    runtime_path: "raisfast_sdk::__wit_bindgen::rt",
});
