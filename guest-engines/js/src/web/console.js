// console: each call is one line of the plugin's log, at the method's level.
// Arguments are formatted as Node does (`%s %d %i %f %j %o %O %c %%` in a
// first string argument; other values inspected).

const sdkCall = globalThis.__raisfast_call;

function inspect(value, depth = 0, seen = new Set()) {
  switch (typeof value) {
    case 'string': return depth === 0 ? value : JSON.stringify(value);
    case 'number': return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint': return `${value}n`;
    case 'undefined': return 'undefined';
    case 'symbol': return value.toString();
    case 'function': return `[Function: ${value.name || '(anonymous)'}]`;
    case 'boolean': return String(value);
  }
  if (value === null) return 'null';
  if (seen.has(value)) return '[Circular]';
  if (value instanceof Error) return value.stack ? `${value.name}: ${value.message}\n${value.stack}`.trimEnd() : `${value.name}: ${value.message}`;
  if (value instanceof Date) return isNaN(value) ? 'Invalid Date' : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (depth > 2) return Array.isArray(value) ? '[Array]' : '[Object]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return `[ ${value.map((v) => inspect(v, depth + 1, seen)).join(', ')} ]`;
    if (value instanceof Map) return `Map(${value.size}) { ${[...value].map(([k, v]) => `${inspect(k, depth + 1, seen)} => ${inspect(v, depth + 1, seen)}`).join(', ')} }`;
    if (value instanceof Set) return `Set(${value.size}) { ${[...value].map((v) => inspect(v, depth + 1, seen)).join(', ')} }`;
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.length}) [ ${Array.from(value).join(', ')} ]`;
    const keys = Object.keys(value);
    const name = value.constructor && value.constructor !== Object ? `${value.constructor.name} ` : '';
    if (keys.length === 0) return `${name}{}`;
    const key = (k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
    return `${name}{ ${keys.map((k) => `${key(k)}: ${inspect(value[k], depth + 1, seen)}`).join(', ')} }`;
  } finally {
    seen.delete(value);
  }
}

function format(args) {
  if (args.length === 0) return '';
  let rest = args;
  let out = '';
  if (typeof args[0] === 'string' && args.length > 1) {
    let i = 1;
    out = args[0].replace(/%[sdifjoOc%]/g, (m) => {
      if (m === '%%') return '%';
      if (i >= args.length) return m;
      const a = args[i++];
      switch (m) {
        case '%s': return typeof a === 'string' ? a : inspect(a, 1);
        case '%d': case '%i': return typeof a === 'bigint' ? `${a}n` : String(m === '%i' ? Math.trunc(Number(a)) : Number(a));
        case '%f': return String(Number(a));
        case '%j': try { return JSON.stringify(a); } catch { return '[Circular]'; }
        case '%c': return '';
        default: return inspect(a, 1);
      }
    });
    rest = args.slice(i);
  } else {
    out = inspect(args[0]);
    rest = args.slice(1);
  }
  for (const a of rest) out += ' ' + inspect(a);
  return out;
}

const counts = new Map();
const timers = new Map();
let groupIndent = '';
const line = (level, args) => sdkCall(level, [groupIndent + format(args)]);

const console = {
  log: (...a) => line('logInfo', a),
  info: (...a) => line('logInfo', a),
  debug: (...a) => line('logDebug', a),
  trace: (...a) => line('logDebug', a),
  warn: (...a) => line('logWarn', a),
  error: (...a) => line('logError', a),
  dir: (v) => line('logInfo', [inspect(v)]),
  assert: (cond, ...a) => { if (!cond) line('logError', ['Assertion failed' + (a.length ? ':' : ''), ...a]); },
  count: (label = 'default') => { const n = (counts.get(label) ?? 0) + 1; counts.set(label, n); line('logInfo', [`${label}: ${n}`]); },
  countReset: (label = 'default') => { counts.delete(label); },
  time: (label = 'default') => { timers.set(label, performance.now()); },
  timeLog: (label = 'default', ...a) => { const t = timers.get(label); if (t !== undefined) line('logInfo', [`${label}: ${(performance.now() - t).toFixed(3)}ms`, ...a]); },
  timeEnd: (label = 'default') => { console.timeLog(label); timers.delete(label); },
  group: (...a) => { if (a.length) console.log(...a); groupIndent += '  '; },
  groupCollapsed: (...a) => console.group(...a),
  groupEnd: () => { groupIndent = groupIndent.slice(2); },
  table: (data) => line('logInfo', [inspect(data)]),
};
Object.defineProperty(globalThis, 'console', { value: console, writable: true, configurable: true });

function reportError(e) {
  console.error(e);
}
Object.defineProperty(globalThis, 'reportError', { value: reportError, writable: true, configurable: true });
