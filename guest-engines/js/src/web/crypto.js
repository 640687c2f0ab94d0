// crypto.getRandomValues, crypto.randomUUID and crypto.subtle.digest. The
// bytes come from the host at call time (WASI random), never from the
// snapshot, so every instance draws its own.

const DIGESTS = { 'SHA-1': 'SHA-1', 'SHA-256': 'SHA-256', 'SHA-384': 'SHA-384', 'SHA-512': 'SHA-512' };
const INTEGER_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array'];

function getRandomValues(array) {
  if (!ArrayBuffer.isView(array) || !INTEGER_ARRAYS.includes(Object.prototype.toString.call(array).slice(8, -1))) {
    throw new DOMException('getRandomValues: the argument must be an integer typed array', 'TypeMismatchError');
  }
  if (array.byteLength > 65536) {
    throw new DOMException(`getRandomValues: ${array.byteLength} bytes requested; at most 65536`, 'QuotaExceededError');
  }
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(new Uint8Array(N.randomBytes(array.byteLength)));
  return array;
}

function randomUUID() {
  const b = new Uint8Array(N.randomBytes(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const subtle = {
  digest(algorithm, data) {
    try {
      const name = typeof algorithm === 'string' ? algorithm : algorithm?.name;
      const alg = DIGESTS[String(name).toUpperCase()];
      if (!alg) throw new DOMException(`digest: ${name} is not supported (SHA-1, SHA-256, SHA-384, SHA-512)`, 'NotSupportedError');
      const bytes = bufferBytes(data, 'digest').slice();
      return Promise.resolve(N.digest(alg, bytes));
    } catch (e) {
      return Promise.reject(e);
    }
  },
  get [Symbol.toStringTag]() { return 'SubtleCrypto'; },
};

const crypto = { getRandomValues, randomUUID, subtle, get [Symbol.toStringTag]() { return 'Crypto'; } };
Object.defineProperty(globalThis, 'crypto', { value: crypto, writable: true, configurable: true });
