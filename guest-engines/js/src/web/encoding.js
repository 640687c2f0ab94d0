// TextEncoder and TextDecoder (UTF-8, as WinterTC requires), over native
// UTF-8. `atob` and `btoa` come with QuickJS-ng.

const UTF8_LABELS = ['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8'];

/** The bytes of a BufferSource, as a Uint8Array over the same memory. */
function bufferBytes(input, what) {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError(`${what}: expected an ArrayBuffer or an ArrayBufferView`);
}

const wellFormed = (s) => (typeof s.toWellFormed === 'function' ? s.toWellFormed() : s);

class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(input = '') {
    return new Uint8Array(N.utf8Encode(wellFormed(String(input))));
  }
  encodeInto(source, destination) {
    if (!(destination instanceof Uint8Array)) throw new TypeError('encodeInto: the destination must be a Uint8Array');
    const s = String(source);
    let read = 0;
    let written = 0;
    for (const ch of s) {
      let cp = ch.codePointAt(0);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      const len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (written + len > destination.length) break;
      if (len === 1) destination[written] = cp;
      else if (len === 2) { destination[written] = 0xc0 | (cp >> 6); destination[written + 1] = 0x80 | (cp & 63); }
      else if (len === 3) { destination[written] = 0xe0 | (cp >> 12); destination[written + 1] = 0x80 | ((cp >> 6) & 63); destination[written + 2] = 0x80 | (cp & 63); }
      else { destination[written] = 0xf0 | (cp >> 18); destination[written + 1] = 0x80 | ((cp >> 12) & 63); destination[written + 2] = 0x80 | ((cp >> 6) & 63); destination[written + 3] = 0x80 | (cp & 63); }
      written += len;
      read += ch.length;
    }
    return { read, written };
  }
  get [Symbol.toStringTag]() { return 'TextEncoder'; }
}

/** How many bytes at the end of `b` start a sequence that is not complete yet. */
function incompleteTail(b) {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const x = b[b.length - back];
    if ((x & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = x >= 0xf0 ? 4 : x >= 0xe0 ? 3 : x >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

class TextDecoder {
  #fatal;
  #ignoreBOM;
  #pending = new Uint8Array(0);
  #started = false;
  constructor(label = 'utf-8', options = {}) {
    const l = String(label).trim().toLowerCase();
    if (!UTF8_LABELS.includes(l)) throw new RangeError(`TextDecoder: the encoding "${label}" is not supported (UTF-8 only)`);
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
  }
  get encoding() { return 'utf-8'; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }
  decode(input, options = {}) {
    const stream = Boolean(options?.stream);
    let bytes = input === undefined ? new Uint8Array(0) : bufferBytes(input, 'TextDecoder.decode');
    if (this.#pending.length) {
      const joined = new Uint8Array(this.#pending.length + bytes.length);
      joined.set(this.#pending);
      joined.set(bytes, this.#pending.length);
      bytes = joined;
    }
    const keep = stream ? incompleteTail(bytes) : 0;
    this.#pending = keep ? bytes.slice(bytes.length - keep) : new Uint8Array(0);
    const body = keep ? bytes.subarray(0, bytes.length - keep) : bytes;
    let text = N.utf8Decode(body.slice(), this.#fatal);
    if (!this.#started && !this.#ignoreBOM && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.#started = stream && (this.#started || body.length > 0);
    return text;
  }
  get [Symbol.toStringTag]() { return 'TextDecoder'; }
}

for (const [name, value] of [['TextEncoder', TextEncoder], ['TextDecoder', TextDecoder]]) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
}
