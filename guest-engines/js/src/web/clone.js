// structuredClone (HTML's structured serialization, in one step): primitives,
// wrappers of primitives, Date, RegExp, ArrayBuffer, typed arrays, DataView,
// Map, Set, arrays, plain objects and errors, with shared and circular
// references kept. Functions, symbols, promises, weak collections and other
// platform objects throw a DataCloneError, as in browsers and Node.

const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

function cloneError(what) {
  return new DOMException(`${what} could not be cloned.`, 'DataCloneError');
}

function structuredClone(value, options = undefined) {
  if (arguments.length === 0) throw new TypeError("structuredClone: the 'value' argument is required");
  if (options?.transfer?.length) throw new DOMException('structuredClone: transfer is not supported', 'DataCloneError');
  const memory = new Map();
  const walk = (v) => {
    if (typeof v === 'function') throw cloneError(v.name ? `function ${v.name}` : 'a function');
    if (typeof v === 'symbol') throw cloneError(v.toString());
    if (v === null || typeof v !== 'object') return v;
    if (memory.has(v)) return memory.get(v);
    const tag = Object.prototype.toString.call(v).slice(8, -1);
    let out;
    switch (tag) {
      case 'Boolean': case 'Number': case 'String': case 'BigInt':
        out = Object(v.valueOf());
        memory.set(v, out);
        return out;
      case 'Date': out = new Date(v.getTime()); memory.set(v, out); return out;
      case 'RegExp': out = new RegExp(v.source, v.flags); memory.set(v, out); return out;
      case 'ArrayBuffer': out = v.slice(0); memory.set(v, out); return out;
      case 'DataView': out = new DataView(walk(v.buffer), v.byteOffset, v.byteLength); memory.set(v, out); return out;
      case 'Map':
        out = new Map();
        memory.set(v, out);
        for (const [k, x] of v) out.set(walk(k), walk(x));
        return out;
      case 'Set':
        out = new Set();
        memory.set(v, out);
        for (const x of v) out.add(walk(x));
        return out;
      case 'Array':
        out = new Array(v.length);
        memory.set(v, out);
        for (const k of Object.keys(v)) out[k] = walk(v[k]);
        return out;
      case 'Error': {
        const Ctor = ERRORS[v.name] ?? Error;
        out = Object.create(Ctor.prototype);
        memory.set(v, out);
        const props = { message: v.message, stack: v.stack };
        if ('cause' in v) props.cause = walk(v.cause);
        for (const [k, x] of Object.entries(props)) {
          if (x !== undefined) Object.defineProperty(out, k, { value: x, writable: true, configurable: true });
        }
        return out;
      }
      case 'Object':
        if (v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet || v instanceof WeakRef) throw cloneError(tag);
        out = {};
        memory.set(v, out);
        for (const k of Object.keys(v)) out[k] = walk(v[k]);
        return out;
      default:
        if (ArrayBuffer.isView(v)) {
          out = new v.constructor(walk(v.buffer), v.byteOffset, v.length);
          memory.set(v, out);
          return out;
        }
        throw cloneError(tag === 'Object' ? 'This object' : `${tag} object`);
    }
  };
  return walk(value);
}

Object.defineProperty(globalThis, 'structuredClone', { value: structuredClone, writable: true, configurable: true });
