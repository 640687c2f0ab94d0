// URL and URLSearchParams (WHATWG URL Standard). Parsing and the setters are
// the `url` crate's implementation of the standard, called natively; the
// application/x-www-form-urlencoded parser and serializer are here.

const FORM_SAFE = /[A-Za-z0-9*\-._]/;
const hex = (b) => '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();

function formEncode(s) {
  let out = '';
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += b === 0x20 ? '+' : b < 0x80 && FORM_SAFE.test(c) ? c : hex(b);
  }
  return out;
}

function percentDecode(s) {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  const hexval = (c) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x25 && i + 2 < bytes.length && hexval(bytes[i + 1]) >= 0 && hexval(bytes[i + 2]) >= 0) {
      out[n++] = hexval(bytes[i + 1]) * 16 + hexval(bytes[i + 2]);
      i += 2;
    } else {
      out[n++] = b;
    }
  }
  return new TextDecoder().decode(out.subarray(0, n));
}

function formParse(s) {
  const list = [];
  for (const part of s.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    list.push([percentDecode(name.replaceAll('+', ' ')), percentDecode(value.replaceAll('+', ' '))]);
  }
  return list;
}

let paramsAttach;
const parseUrl = (url, base) => (base === undefined ? N.urlParse(String(url)) : N.urlParse(String(url), String(base)));

class URLSearchParams {
  #list = [];
  #url = null;
  constructor(init = '') {
    if (init instanceof URLSearchParams) {
      this.#list = init.#list.map(([k, v]) => [k, v]);
    } else if (init !== null && typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const p = [...pair];
        if (p.length !== 2) throw new TypeError('URLSearchParams: each pair must have exactly two items');
        this.#list.push([String(p[0]), String(p[1])]);
      }
    } else if (init !== null && typeof init === 'object') {
      for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
    } else {
      const s = String(init);
      this.#list = formParse(s.startsWith('?') ? s.slice(1) : s);
    }
  }
  static {
    paramsAttach = (params, url, search) => { params.#url = url; params.#list = formParse(search.replace(/^\?/, '')); };
  }
  #changed() {
    if (this.#url) this.#url.search = this.toString();
  }
  get size() { return this.#list.length; }
  append(name, value) { this.#list.push([String(name), String(value)]); this.#changed(); }
  delete(name, value) {
    name = String(name);
    this.#list = this.#list.filter(([k, v]) => k !== name || (value !== undefined && v !== String(value)));
    this.#changed();
  }
  get(name) { const e = this.#list.find(([k]) => k === String(name)); return e ? e[1] : null; }
  getAll(name) { return this.#list.filter(([k]) => k === String(name)).map(([, v]) => v); }
  has(name, value) { return this.#list.some(([k, v]) => k === String(name) && (value === undefined || v === String(value))); }
  set(name, value) {
    name = String(name);
    value = String(value);
    let found = false;
    this.#list = this.#list.filter((e) => {
      if (e[0] !== name) return true;
      if (found) return false;
      found = true;
      e[1] = value;
      return true;
    });
    if (!found) this.#list.push([name, value]);
    this.#changed();
  }
  sort() {
    // Stable, by code units.
    this.#list = this.#list.map((e, i) => [e, i]).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(([e]) => e);
    this.#changed();
  }
  forEach(fn, thisArg) { for (const [k, v] of this.#list) fn.call(thisArg, v, k, this); }
  *entries() { for (const [k, v] of this.#list) yield [k, v]; }
  *keys() { for (const [k] of this.#list) yield k; }
  *values() { for (const [, v] of this.#list) yield v; }
  [Symbol.iterator]() { return this.entries(); }
  toString() { return this.#list.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join('&'); }
  get [Symbol.toStringTag]() { return 'URLSearchParams'; }
}

class URL {
  #rec;
  #params = null;
  constructor(url, base) {
    const rec = parseUrl(url, base);
    if (rec === null) throw new TypeError(`Invalid URL: ${url}`);
    this.#rec = rec;
  }
  static canParse(url, base) { return parseUrl(url, base) !== null; }
  static parse(url, base) { try { return new URL(url, base); } catch { return null; } }
  #set(part, value) {
    this.#rec = N.urlSet(this.#rec.href, part, String(value));
    if (part === 'search' && this.#params) paramsAttach(this.#params, this, this.#rec.search);
  }
  get href() { return this.#rec.href; }
  set href(v) {
    const rec = parseUrl(v);
    if (rec === null) throw new TypeError(`Invalid URL: ${v}`);
    this.#rec = rec;
    if (this.#params) paramsAttach(this.#params, this, rec.search);
  }
  get origin() { return this.#rec.origin; }
  get protocol() { return this.#rec.protocol; }
  set protocol(v) { this.#set('protocol', v); }
  get username() { return this.#rec.username; }
  set username(v) { this.#set('username', v); }
  get password() { return this.#rec.password; }
  set password(v) { this.#set('password', v); }
  get host() { return this.#rec.host; }
  set host(v) { this.#set('host', v); }
  get hostname() { return this.#rec.hostname; }
  set hostname(v) { this.#set('hostname', v); }
  get port() { return this.#rec.port; }
  set port(v) { this.#set('port', v); }
  get pathname() { return this.#rec.pathname; }
  set pathname(v) { this.#set('pathname', v); }
  get search() { return this.#rec.search; }
  set search(v) { this.#set('search', v); }
  get hash() { return this.#rec.hash; }
  set hash(v) { this.#set('hash', v); }
  get searchParams() {
    if (!this.#params) {
      this.#params = new URLSearchParams();
      paramsAttach(this.#params, this, this.#rec.search);
    }
    return this.#params;
  }
  toString() { return this.#rec.href; }
  toJSON() { return this.#rec.href; }
  get [Symbol.toStringTag]() { return 'URL'; }
}

for (const [name, value] of [['URL', URL], ['URLSearchParams', URLSearchParams]]) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
}
