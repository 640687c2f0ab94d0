// The conformance scenario in JavaScript. The same scenario is written in Lua,
// Rhai and Rust; the tests require the four to report exactly the same.
import {
  dbExecute, dbQuery, kvSet, kvGet, kvList, kvDelete, vfsWrite, vfsRead, vfsList, vfsExists,
  configGet, emit, newId, logInfo, httpGet, ok, fail, extractJson,
} from 'sdk';
import { label } from './lib/label.js';

function attempt(name, f) {
  try {
    return [name, 'ok', f()];
  } catch (e) {
    return [name, 'error', e.kind];
  }
}

export function scenario(input) {
  const prefix = extractJson(input, 'body.prefix');
  const t = prefix + 'items';
  return [
    attempt('kv.set', () => kvSet('k', { a: 1, list: [1, 2] })),
    attempt('kv.get', () => kvGet('k')),
    attempt('kv.list', () => kvList('')),
    attempt('kv.delete', () => kvDelete('k')),
    attempt('kv.get.missing', () => kvGet('k')),
    attempt('db.create', () => dbExecute(`CREATE TABLE IF NOT EXISTS ${t} (name TEXT NOT NULL)`, [])),
    attempt('db.insert', () => dbExecute(`INSERT INTO ${t} (name) VALUES (?)`, ['lamp']).rowsAffected),
    attempt('db.query', () => dbQuery(`SELECT name FROM ${t} WHERE name = :n`, { n: 'lamp' })),
    attempt('db.protected', () => dbQuery('SELECT * FROM users', [])),
    attempt('db.invalid', () => dbQuery('SELEC 1', [])),
    attempt('vfs.write', () => vfsWrite('notes/a.txt', 'hello')),
    attempt('vfs.read', () => vfsRead('notes/a.txt')),
    attempt('vfs.list', () => vfsList('notes').map((e) => e.name)),
    attempt('vfs.exists', () => vfsExists('notes/b.txt')),
    attempt('vfs.escape', () => vfsRead('../secret')),
    attempt('config.get', () => configGet('greeting')),
    attempt('config.site', () => configGet('site.url')),
    attempt('events.emit', () => emit('conf.happened', { n: 1 })),
    attempt('ids.len', () => newId().length),
    attempt('http.denied', () => httpGet('https://not-allowed.example/')),
    attempt('log', () => logInfo('conformance', label)),
  ];
}

export function filter_title(input) {
  const body = JSON.parse(input).body;
  body.title = body.title.toUpperCase();
  return body;
}

export function render(input) {
  return '<p>' + JSON.parse(input).body.title + '</p>';
}

export function action(input) {
  logInfo('action ran');
}

export function boom(input) {
  throw new Error('boom');
}

export function echo(req) {
  return ok({ method: req.method, id: req.params.id, q: req.query.q ?? null, body: req.json });
}

export function refuse(req) {
  return fail(418, 'no coffee');
}
