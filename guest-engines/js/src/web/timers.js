// setTimeout, setInterval, their clears (and queueMicrotask, which QuickJS-ng
// has). Timers run inside the call: when the handler's promise waits on one,
// the engine runs every job, then sleeps until the next timer is due, bounded
// by the call's deadline (the host wakes a sleeping call at its deadline and
// stops it). Timers still pending when the handler's result is settled never
// run: the instance ends with the call. Timers set by top-level code at load
// are dropped before the snapshot.

const pending = new Map();
let lastId = 0;

function schedule(fn, delay, args, repeat) {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be a function');
  let ms = Number(delay);
  if (!(ms > 0)) ms = 0;
  // As browsers and Node: a delay that does not fit 32 bits runs at once.
  if (ms > 2147483647) ms = 1;
  const id = ++lastId;
  pending.set(id, { fn, args, ms, due: performance.now() + ms, repeat, seq: id });
  return id;
}

const clear = (id) => { pending.delete(Number(id)); };
const setTimeout = (fn, delay, ...args) => schedule(fn, delay, args, false);
const setInterval = (fn, delay, ...args) => schedule(fn, delay, args, true);

// Intervals and re-armed timers run after those already due at the same time.
let sequence = 1 << 30;

const timerHooks = {
  runTimers() {
    let next = null;
    let nextId = 0;
    for (const [id, t] of pending) {
      if (next === null || t.due < next.due || (t.due === next.due && t.seq < next.seq)) { next = t; nextId = id; }
    }
    if (next === null) return -1;
    const wait = next.due - performance.now();
    if (wait > 0) return wait;
    if (next.repeat) {
      next.due = performance.now() + Math.max(next.ms, 1);
      next.seq = ++sequence;
    } else {
      pending.delete(nextId);
    }
    try {
      next.fn(...next.args);
    } catch (e) {
      reportError(e);
    }
    return 0;
  },
  clearTimers() { pending.clear(); },
};

for (const [name, value] of [['setTimeout', setTimeout], ['setInterval', setInterval], ['clearTimeout', clear], ['clearInterval', clear]]) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
}
