// Hostile plugin in JavaScript: each export attacks one limit or boundary.
// The adversarial suite (tests/all/attacks.rs) runs them and asserts the outcome.
import { dbQuery, dbExecute, dbBegin, httpFetch, vfsRead, vfsWrite, kvGet, kvSet, logInfo, emit } from 'sdk';

const body = (input) => JSON.parse(input).body;
function kind(f) {
  try { f(); return 'ok'; } catch (e) { return e.kind ?? 'error'; }
}

export function spin() { while (true) {} }
export function spin_host() { while (true) { try { kvGet('x'); } catch (e) {} } }
export function bomb() { const a = []; while (true) a.push(new Array(1 << 16).fill(1)); }
export function double() { let s = 'x'; while (true) s = s + s; }
export function huge_array() { return new Array(50_000_000).fill(7).length; }
export function huge_return() { return 'y'.repeat(20 * 1024 * 1024); }
export function huge_log() { logInfo('z'.repeat(1024 * 1024)); }
export function many_logs() { for (let i = 0; i < 5000; i++) logInfo('line ' + i); }
export function huge_kv() { return kind(() => kvSet('big', 'k'.repeat(2 * 1024 * 1024))); }
export function deep() { function f(n) { return f(n + 1) + 1; } return f(0); }
export function sql(input) { return kind(() => dbQuery(body(input).sql, [])); }
export function exec(input) { return kind(() => dbExecute(body(input).sql, [])); }
export function open_txn(input) { dbBegin(); dbExecute(body(input).sql, []); }
export function http(input) { return kind(() => httpFetch({ url: body(input).url, timeoutMs: body(input).timeout ?? 250 })); }
export function read_file(input) { return kind(() => vfsRead(body(input).path)); }
export function write_file(input) { return kind(() => vfsWrite(body(input).path, 'x'.repeat(body(input).size ?? 1))); }
export function emit_flood() {
  let sent = 0;
  try { for (let i = 0; i < 1000; i++) { emit('flood.event', { i }); sent++; } } catch (e) { return [sent, e.kind]; }
  return [sent, 'ok'];
}
export function emit_named(input) { return kind(() => emit(body(input).name, {})); }
export function emit_big() {
  let sent = 0;
  const big = 'x'.repeat(900 * 1024);
  try { for (let i = 0; i < 100; i++) { emit('big.event', big); sent++; } } catch (e) { return [sent, e.kind]; }
  return [sent, 'ok'];
}
export function kv_fill() {
  const v = 'v'.repeat(512 * 1024);
  for (let i = 0; i < 100; i++) { const k = kind(() => kvSet('fill' + i, v)); if (k !== 'ok') return k; }
  return 'ok';
}
export function many_files() {
  for (let i = 0; i < 1000; i++) { const k = kind(() => vfsWrite('d' + (i % 10) + '/f' + i, '')); if (k !== 'ok') return k; }
  return 'ok';
}
export function table_fill() {
  // Portable SQL, and text that does not compress (PostgreSQL compresses values).
  dbExecute('CREATE TABLE IF NOT EXISTS js_big (b TEXT)', []);
  let seed = 2463534242;
  const noise = () => { let t = ''; while (t.length < 100000) { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; t += seed.toString(36); } return t; };
  for (let i = 0; i < 200; i++) { const k = kind(() => dbExecute('INSERT INTO js_big VALUES (?)', [noise()])); if (k !== 'ok') return k; }
  return 'ok';
}
export function wrong_type() { return 'not a content item'; }
export function always_throws() { throw new Error('always'); }
export function ping() { return 'pong'; }
// Waits on a timer an hour away, and re-arms an interval that never stops.
export function timer_forever() { setInterval(() => {}, 0); return new Promise((resolve) => setTimeout(resolve, 3600000)); }
