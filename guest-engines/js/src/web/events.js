// Event, CustomEvent, EventTarget, AbortController and AbortSignal, as the
// DOM standard defines them for targets without a tree (no capture or bubble
// phases: a target's own listeners run, in the order they were added).

const abortError = () => new DOMException('This operation was aborted', 'AbortError');
// What EventTarget and AbortController need of their peers' private state.
let eventEnter, eventLeave, eventImmediate, signalAbort;

class Event {
  #type;
  #bubbles;
  #cancelable;
  #composed;
  #defaultPrevented = false;
  #stop = false;
  #target = null;
  #current = null;
  #phase = 0;
  #immediate = false;
  #timeStamp = performance.now();
  constructor(type, init = {}) {
    if (arguments.length === 0) throw new TypeError("Event: the 'type' argument is required");
    this.#type = String(type);
    this.#bubbles = Boolean(init?.bubbles);
    this.#cancelable = Boolean(init?.cancelable);
    this.#composed = Boolean(init?.composed);
  }
  get type() { return this.#type; }
  get bubbles() { return this.#bubbles; }
  get cancelable() { return this.#cancelable; }
  get composed() { return this.#composed; }
  get defaultPrevented() { return this.#defaultPrevented; }
  get target() { return this.#target; }
  get srcElement() { return this.#target; }
  get currentTarget() { return this.#current; }
  get eventPhase() { return this.#phase; }
  get timeStamp() { return this.#timeStamp; }
  get isTrusted() { return false; }
  get returnValue() { return !this.#defaultPrevented; }
  get cancelBubble() { return this.#stop; }
  set cancelBubble(v) { if (v) this.#stop = true; }
  composedPath() { return this.#current ? [this.#current] : []; }
  preventDefault() { if (this.#cancelable) this.#defaultPrevented = true; }
  stopPropagation() { this.#stop = true; }
  stopImmediatePropagation() { this.#stop = true; this.#immediate = true; }
  static {
    eventEnter = (e, target) => { e.#target = target; e.#current = target; e.#phase = 2; };
    eventLeave = (e) => { e.#current = null; e.#phase = 0; };
    eventImmediate = (e) => e.#immediate;
  }
  get [Symbol.toStringTag]() { return 'Event'; }
}
Event.NONE = 0;
Event.CAPTURING_PHASE = 1;
Event.AT_TARGET = 2;
Event.BUBBLING_PHASE = 3;

class CustomEvent extends Event {
  #detail;
  constructor(type, init = {}) {
    super(type, init);
    this.#detail = init?.detail ?? null;
  }
  get detail() { return this.#detail; }
  get [Symbol.toStringTag]() { return 'CustomEvent'; }
}

class EventTarget {
  #listeners = new Map();
  addEventListener(type, listener, options = {}) {
    if (listener == null) return;
    const opts = typeof options === 'boolean' ? { capture: options } : options ?? {};
    if (opts.signal?.aborted) return;
    const list = this.#listeners.get(type) ?? [];
    const capture = Boolean(opts.capture);
    if (list.some((l) => l.listener === listener && l.capture === capture)) return;
    const entry = { listener, capture, once: Boolean(opts.once), removed: false };
    list.push(entry);
    this.#listeners.set(type, list);
    opts.signal?.addEventListener('abort', () => this.removeEventListener(type, listener, { capture }));
  }
  removeEventListener(type, listener, options = {}) {
    const capture = Boolean(typeof options === 'boolean' ? options : options?.capture);
    const list = this.#listeners.get(type);
    if (!list) return;
    const i = list.findIndex((l) => l.listener === listener && l.capture === capture);
    if (i >= 0) { list[i].removed = true; list.splice(i, 1); }
  }
  dispatchEvent(event) {
    if (!(event instanceof Event)) throw new TypeError('dispatchEvent: the argument must be an Event');
    eventEnter(event, this);
    for (const entry of [...(this.#listeners.get(event.type) ?? [])]) {
      if (entry.removed) continue;
      if (entry.once) this.removeEventListener(event.type, entry.listener, { capture: entry.capture });
      try {
        if (typeof entry.listener === 'function') entry.listener.call(this, event);
        else if (typeof entry.listener?.handleEvent === 'function') entry.listener.handleEvent(event);
      } catch (e) {
        reportError(e);
      }
      if (eventImmediate(event)) break;
    }
    eventLeave(event);
    return !event.defaultPrevented;
  }
  get [Symbol.toStringTag]() { return 'EventTarget'; }
}

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  #onabort = null;
  constructor(key) {
    if (key !== abortKey) throw new TypeError('Illegal constructor: use AbortController or AbortSignal.abort()');
    super();
  }
  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }
  get onabort() { return this.#onabort; }
  set onabort(fn) {
    if (this.#onabort) this.removeEventListener('abort', this.#onabort);
    this.#onabort = typeof fn === 'function' ? fn : null;
    if (this.#onabort) this.addEventListener('abort', this.#onabort);
  }
  throwIfAborted() { if (this.#aborted) throw this.#reason; }
  static {
    signalAbort = (signal, reason) => {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason = reason === undefined ? abortError() : reason;
      signal.dispatchEvent(new Event('abort'));
    };
  }
  static abort(reason) {
    const s = new AbortSignal(abortKey);
    signalAbort(s, reason);
    return s;
  }
  static timeout(ms) {
    const s = new AbortSignal(abortKey);
    setTimeout(() => signalAbort(s, new DOMException('The operation timed out', 'TimeoutError')), Number(ms));
    return s;
  }
  static any(signals) {
    const s = new AbortSignal(abortKey);
    for (const x of signals) {
      if (x.aborted) { signalAbort(s, x.reason); return s; }
    }
    for (const x of signals) x.addEventListener('abort', () => signalAbort(s, x.reason), { once: true });
    return s;
  }
  get [Symbol.toStringTag]() { return 'AbortSignal'; }
}
const abortKey = Symbol('AbortSignal');

class AbortController {
  #signal = new AbortSignal(abortKey);
  get signal() { return this.#signal; }
  abort(reason) { signalAbort(this.#signal, reason); }
  get [Symbol.toStringTag]() { return 'AbortController'; }
}

for (const [name, value] of [['Event', Event], ['CustomEvent', CustomEvent], ['EventTarget', EventTarget], ['AbortSignal', AbortSignal], ['AbortController', AbortController]]) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
}
