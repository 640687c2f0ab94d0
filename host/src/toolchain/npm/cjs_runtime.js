// The CommonJS runtime of a JS plugin's npm packages (host/src/toolchain/npm.rs):
// each CommonJS file registers its factory; the first `require` of it runs it,
// as Node does (a cycle sees the partly filled `module.exports`).
const factories = new Map();
const modules = new Map();

if (typeof globalThis.process === 'undefined') {
  // What packages read to pick a build: a production runtime, not Node.
  globalThis.process = { env: { NODE_ENV: 'production' }, argv: [], versions: {}, platform: 'raisfast', browser: true, nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)) };
}

export function define(id, factories_, values, factory) {
  factories.set(id, { factories: factories_, values, factory });
}

export function load(id) {
  const done = modules.get(id);
  if (done) return done.exports;
  const f = factories.get(id);
  if (!f) throw new Error(`module ${id} is not loaded`);
  const module = { exports: {}, id, loaded: false };
  modules.set(id, module);
  const dir = id.includes('/') ? id.slice(0, id.lastIndexOf('/')) : '';
  const require = (spec) => {
    if (Object.prototype.hasOwnProperty.call(f.values, spec)) return f.values[spec];
    const target = f.factories[spec];
    if (target !== undefined) return load(target);
    const name = String(spec).replace(/^node:/, '');
    throw new Error(`Cannot find module '${spec}' from ${id}${/^[a-z_]+$/.test(name) ? ' (Node built-in modules are not available to plugins)' : ''}`);
  };
  f.factory.call(module.exports, module.exports, require, module, '/' + id, '/' + dir, globalThis);
  module.loaded = true;
  return module.exports;
}
