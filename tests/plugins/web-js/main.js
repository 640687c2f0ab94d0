// Every web platform API of the JS engine, each checked in the real engine:
// `check` returns one entry per API, `true` when it behaved as specified or
// a description of what went wrong.

const checks = {};
const check = (name, f) => { checks[name] = f; };
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b) || `${JSON.stringify(a)} !== ${JSON.stringify(b)}`;

check('console', () => {
  console.log('log %s has %d items', 'cart', 3, { a: 1 });
  console.info('info line');
  console.warn('warn line');
  console.error(new Error('error line'));
  console.debug('debug line');
  return typeof console.table === 'function' && typeof console.time === 'function';
});
check('URL', () => {
  const u = new URL('../b/c?x=1#h', 'https://user:pw@Example.COM:8443/a/z');
  u.searchParams.append('y', 'two words');
  u.port = '443';
  return eq([u.href, u.origin, u.hostname, u.pathname, u.hash, URL.canParse('nope'), new URL('http://x/%7e').pathname],
    ['https://user:pw@example.com/b/c?x=1&y=two+words#h', 'https://example.com', 'example.com', '/b/c', '#h', false, '/%7e']);
});
check('URL errors', () => {
  try { new URL('not a url'); return 'no error'; } catch (e) { return eq([e instanceof TypeError, e.message], [true, 'Invalid URL: not a url']); }
});
check('URLSearchParams', () => {
  const p = new URLSearchParams('?a=1&b=%C3%A9+x&a=2');
  p.sort();
  p.set('c', '&=');
  return eq([p.getAll('a'), p.get('b'), p.has('a', '2'), p.size, p.toString(), [...new URLSearchParams({ k: 'v' })]],
    [['1', '2'], 'é x', true, 4, 'a=1&a=2&b=%C3%A9+x&c=%26%3D', [['k', 'v']]]);
});
check('TextEncoder', () => {
  const e = new TextEncoder();
  const into = new Uint8Array(4);
  return eq([[...e.encode('é€😀')], e.encodeInto('a€b', into), [...into], [...e.encode('\uD800')]],
    [[195, 169, 226, 130, 172, 240, 159, 152, 128], { read: 2, written: 4 }, [97, 226, 130, 172], [239, 191, 189]]);
});
check('TextDecoder', () => {
  const d = new TextDecoder();
  const streamed = d.decode(new Uint8Array([0xe2, 0x82]), { stream: true }) + d.decode(new Uint8Array([0xac]));
  let fatal;
  try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])); fatal = 'no error'; } catch (e) { fatal = e instanceof TypeError; }
  return eq([new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 104, 105])), streamed, fatal, new TextDecoder().decode(new Uint8Array([0xff]))],
    ['hi', '€', true, '\uFFFD']);
});
check('atob/btoa', () => eq([btoa('hello'), atob('aGVsbG8=')], ['aGVsbG8=', 'hello']));
check('crypto.getRandomValues', () => {
  const a = crypto.getRandomValues(new Uint32Array(8));
  let tooBig;
  try { crypto.getRandomValues(new Uint8Array(70000)); tooBig = 'no error'; } catch (e) { tooBig = e.name; }
  return eq([a.some((x) => x !== 0), tooBig], [true, 'QuotaExceededError']);
});
check('crypto.randomUUID', () => {
  const a = crypto.randomUUID();
  return eq([/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(a), a !== crypto.randomUUID()], [true, true]);
});
check('structuredClone', () => {
  const o = { d: new Date(0), m: new Map([[1, { s: new Set(['x']) }]]), b: new Uint8Array([1, 2]), r: /a/g };
  o.self = o;
  const c = structuredClone(o);
  let fn;
  try { structuredClone({ f() {} }); fn = 'no error'; } catch (e) { fn = e.name; }
  return eq([c !== o, c.self === c, c.d.getTime(), c.m.get(1).s.has('x'), [...c.b], String(c.r), fn],
    [true, true, 0, true, [1, 2], '/a/g', 'DataCloneError']);
});
check('Event/EventTarget', () => {
  const t = new EventTarget();
  const seen = [];
  t.addEventListener('ping', (e) => seen.push(['a', e.type, e.target === t]));
  t.addEventListener('ping', { handleEvent: (e) => { seen.push(['b', e.detail]); e.preventDefault(); } }, { once: true });
  const r1 = t.dispatchEvent(new CustomEvent('ping', { cancelable: true, detail: 7 }));
  const r2 = t.dispatchEvent(new Event('ping', { cancelable: true }));
  return eq([seen, r1, r2], [[['a', 'ping', true], ['b', 7], ['a', 'ping', true]], false, true]);
});
check('AbortController', () => {
  const c = new AbortController();
  let heard = 0;
  c.signal.addEventListener('abort', () => heard++);
  c.abort();
  c.abort();
  let thrown;
  try { c.signal.throwIfAborted(); } catch (e) { thrown = e.name; }
  return eq([c.signal.aborted, c.signal.reason.name, heard, thrown, AbortSignal.abort('why').reason], [true, 'AbortError', 1, 'AbortError', 'why']);
});
check('DOMException', () => {
  const e = new DOMException('m', 'NotFoundError');
  return eq([e.name, e.message, e.code, e instanceof Error], ['NotFoundError', 'm', 8, true]);
});
check('Headers/Request/Response', () => {
  const h = new Headers({ 'Content-Type': 'text/plain' });
  h.append('X-A', '1');
  h.append('x-a', '2');
  const req = new Request('https://example.com/p', { method: 'post', body: 'hi', headers: h });
  const res = Response.json({ ok: 1 }, { status: 201 });
  return eq([h.get('x-a'), [...h.keys()], req.method, req.headers.get('content-type'), res.status, res.ok, res.headers.get('content-type')],
    ['1, 2', ['content-type', 'x-a'], 'POST', 'text/plain', 201, true, 'application/json']);
});

export async function check_all() {
  const out = {};
  for (const [name, f] of Object.entries(checks)) {
    try {
      out[name] = await f();
    } catch (e) {
      out[name] = `threw ${e && e.name}: ${e && e.message}`;
    }
  }
  // Asynchronous ones: digests, timers, microtasks, Response bodies.
  const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
  const data = new TextEncoder().encode('abc');
  out['crypto.subtle.digest'] = eq(
    [hex(await crypto.subtle.digest('SHA-1', data)).slice(0, 8), hex(await crypto.subtle.digest('SHA-256', data)).slice(0, 8),
      hex(await crypto.subtle.digest({ name: 'SHA-384' }, data)).slice(0, 8), hex(await crypto.subtle.digest('sha-512', data)).slice(0, 8),
      await crypto.subtle.digest('MD5', data).catch((e) => e.name)],
    ['a9993e36', 'ba7816bf', 'cb00753f', 'ddaf35a1', 'NotSupportedError']);
  const order = [];
  queueMicrotask(() => order.push('micro'));
  const t0 = performance.now();
  await new Promise((resolve) => {
    setTimeout(() => order.push('t20'), 20);
    const cancelled = setTimeout(() => order.push('cancelled'), 5);
    clearTimeout(cancelled);
    setTimeout((x) => order.push(x), 0, 't0');
    let n = 0;
    const iv = setInterval(() => { order.push('iv'); if (++n === 2) clearInterval(iv); }, 1);
    setTimeout(resolve, 40);
    setTimeout(() => order.push('never'), 3600000); // still pending when the call ends: never runs
  });
  // A delay past 32 bits runs at once, as in browsers and Node.
  await new Promise((resolve) => setTimeout(resolve, 2 ** 40));
  out.timers = eq([order, performance.now() - t0 >= 39], [['micro', 't0', 'iv', 'iv', 't20'], true]);
  out['AbortSignal.timeout'] = await new Promise((resolve) => {
    const s = AbortSignal.timeout(5);
    s.onabort = () => resolve(s.reason.name === 'TimeoutError' || s.reason.name);
  });
  const r = new Response('{"a":[1]}', { headers: { 'x-y': 'z' } });
  out['Response body'] = eq([await r.clone().json(), await r.text(), await r.text().catch((e) => e.name)], [{ a: [1] }, '{"a":[1]}', 'TypeError']);
  return out;
}

export async function fetch_text(input) {
  const { url } = JSON.parse(input).body;
  const r = await fetch(url, { method: 'POST', body: 'ping', headers: { 'x-test': '1' } });
  return { status: r.status, ok: r.ok, body: await r.text(), length: r.headers.get('content-length') };
}

export async function fetch_error(input) {
  const { url } = JSON.parse(input).body;
  try {
    await fetch(url);
    return 'fetched';
  } catch (e) {
    return { name: e.name, message: e.message, kind: e.cause && e.cause.kind };
  }
}

export function never_settles() {
  return new Promise(() => {});
}
