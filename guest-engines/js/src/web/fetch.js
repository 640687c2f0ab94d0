// Headers, Request, Response and fetch (WHATWG Fetch), over the host's HTTP
// capability: the manifest's `http` allow-list and the address guard apply,
// redirects are followed by the host, and the call's deadline bounds the
// request. A fetch runs while it is called (the promise it returns is already
// settled), so fetches in `Promise.all` run one after the other. Bodies are
// whole values (no ReadableStream): string, ArrayBuffer, typed array,
// DataView or URLSearchParams.

const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

class Headers {
  #map = new Map(); // lowercase name -> values
  constructor(init = undefined) {
    if (init instanceof Headers) for (const [k, v] of init) this.append(k, v);
    else if (init != null && typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const p = [...pair];
        if (p.length !== 2) throw new TypeError('Headers: each header must be a [name, value] pair');
        this.append(p[0], p[1]);
      }
    } else if (init != null && typeof init === 'object') for (const k of Object.keys(init)) this.append(k, init[k]);
  }
  static #name(name) {
    const n = String(name);
    if (!TOKEN.test(n)) throw new TypeError(`Headers: invalid header name "${n}"`);
    return n.toLowerCase();
  }
  static #value(value) {
    const v = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
    if (/[\0\r\n]/.test(v)) throw new TypeError('Headers: invalid header value');
    return v;
  }
  append(name, value) {
    const n = Headers.#name(name);
    const list = this.#map.get(n) ?? [];
    list.push(Headers.#value(value));
    this.#map.set(n, list);
  }
  set(name, value) { this.#map.set(Headers.#name(name), [Headers.#value(value)]); }
  delete(name) { this.#map.delete(Headers.#name(name)); }
  get(name) { const l = this.#map.get(Headers.#name(name)); return l ? l.join(', ') : null; }
  getSetCookie() { return [...(this.#map.get('set-cookie') ?? [])]; }
  has(name) { return this.#map.has(Headers.#name(name)); }
  *entries() {
    for (const n of [...this.#map.keys()].sort()) {
      if (n === 'set-cookie') for (const v of this.#map.get(n)) yield [n, v];
      else yield [n, this.#map.get(n).join(', ')];
    }
  }
  *keys() { for (const [k] of this.entries()) yield k; }
  *values() { for (const [, v] of this.entries()) yield v; }
  forEach(fn, thisArg) { for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this); }
  [Symbol.iterator]() { return this.entries(); }
  get [Symbol.toStringTag]() { return 'Headers'; }
}

/** A body init as bytes and its implied content type. */
function extractBody(body) {
  if (body == null) return [null, null];
  if (typeof body === 'string') return [new TextEncoder().encode(body), 'text/plain;charset=UTF-8'];
  if (body instanceof URLSearchParams) return [new TextEncoder().encode(body.toString()), 'application/x-www-form-urlencoded;charset=UTF-8'];
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return [bufferBytes(body, 'body').slice(), null];
  if (typeof body === 'object' && typeof body.getReader === 'function') throw new TypeError('body: streams are not supported; pass a string or bytes');
  return [new TextEncoder().encode(String(body)), 'text/plain;charset=UTF-8'];
}

let bodyBytes, responseFrom;

class Body {
  #bytes;
  #used = false;
  constructor(bytes) { this.#bytes = bytes; }
  static { bodyBytes = (b) => b.#bytes; }
  get body() { return null; }
  get bodyUsed() { return this.#used; }
  #take() {
    if (this.#used) return Promise.reject(new TypeError('Body is unusable: the body has already been read'));
    this.#used = true;
    return Promise.resolve(this.#bytes ?? new Uint8Array(0));
  }
  arrayBuffer() { return this.#take().then((b) => b.slice().buffer); }
  bytes() { return this.#take().then((b) => b.slice()); }
  text() { return this.#take().then((b) => new TextDecoder().decode(b)); }
  json() { return this.text().then((t) => JSON.parse(t)); }
  formData() { return Promise.reject(new TypeError('formData() is not supported')); }
  blob() { return Promise.reject(new TypeError('blob() is not supported: use arrayBuffer() or bytes()')); }
}

class Request extends Body {
  #method;
  #url;
  #headers;
  #signal;
  #redirect;
  constructor(input, init = {}) {
    const from = input instanceof Request ? input : null;
    const [bytes, type] = init.body !== undefined ? extractBody(init.body) : [from ? bodyBytes(from) : null, null];
    super(bytes);
    const url = new URL(from ? from.url : String(input));
    if (url.username || url.password) throw new TypeError(`Request: ${url.href} has credentials; send them in a header`);
    this.#url = url.href;
    const method = String(init.method ?? from?.method ?? 'GET');
    this.#method = METHODS.includes(method.toUpperCase()) ? method.toUpperCase() : method;
    if (!TOKEN.test(this.#method)) throw new TypeError(`Request: invalid method ${method}`);
    if ((this.#method === 'GET' || this.#method === 'HEAD') && bytes !== null) throw new TypeError('Request with GET/HEAD method cannot have body.');
    this.#headers = new Headers(init.headers ?? from?.headers);
    if (type && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
    this.#signal = init.signal ?? from?.signal ?? new AbortController().signal;
    this.#redirect = init.redirect ?? from?.redirect ?? 'follow';
  }
  get method() { return this.#method; }
  get url() { return this.#url; }
  get headers() { return this.#headers; }
  get signal() { return this.#signal; }
  get redirect() { return this.#redirect; }
  clone() { return new Request(this); }
  get [Symbol.toStringTag]() { return 'Request'; }
}

class Response extends Body {
  #status;
  #statusText;
  #headers;
  #url = '';
  #type = 'default';
  constructor(body = null, init = {}) {
    const [bytes, type] = extractBody(body);
    super(bytes);
    const status = init.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`Response: status ${status} is outside 200 to 599`);
    this.#status = status;
    this.#statusText = String(init.statusText ?? '');
    this.#headers = new Headers(init.headers);
    if (type && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
  }
  static json(data, init = {}) {
    const r = new Response(JSON.stringify(data), init);
    r.headers.set('content-type', 'application/json');
    return r;
  }
  static error() {
    const r = new Response(null, { status: 200 });
    r.#status = 0;
    r.#type = 'error';
    return r;
  }
  static redirect(url, status = 302) {
    if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Response.redirect: ${status} is not a redirect status`);
    return new Response(null, { status, headers: { location: new URL(url).href } });
  }
  static {
    responseFrom = (raw, url) => {
      const bytes = new Uint8Array(raw.body);
      const r = new Response(bytes.length ? bytes : null, { headers: raw.headers });
      r.#status = raw.status;
      r.#url = url;
      r.#type = 'basic';
      return r;
    };
  }
  get status() { return this.#status; }
  get statusText() { return this.#statusText; }
  get ok() { return this.#status >= 200 && this.#status <= 299; }
  get headers() { return this.#headers; }
  get url() { return this.#url; }
  get type() { return this.#type; }
  get redirected() { return false; }
  clone() {
    if (this.bodyUsed) throw new TypeError('Response.clone: the body has already been read');
    const r = new Response(bodyBytes(this), { status: this.#status === 0 ? 200 : this.#status, statusText: this.#statusText, headers: this.#headers });
    r.#status = this.#status;
    r.#url = this.#url;
    r.#type = this.#type;
    return r;
  }
  get [Symbol.toStringTag]() { return 'Response'; }
}

function fetch(input, init = undefined) {
  try {
    const request = new Request(input, init);
    request.signal.throwIfAborted();
    let raw;
    try {
      const body = bodyBytes(request);
      const headers = [...request.headers];
      raw = body ? N.fetch(request.method, request.url, headers, body) : N.fetch(request.method, request.url, headers);
    } catch (e) {
      throw new TypeError(`fetch ${request.url}: ${e.message}`, { cause: e });
    }
    request.signal.throwIfAborted();
    return Promise.resolve(responseFrom(raw, request.url));
  } catch (e) {
    return Promise.reject(e);
  }
}

for (const [name, value] of [['Headers', Headers], ['Request', Request], ['Response', Response], ['fetch', fetch]]) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
}
