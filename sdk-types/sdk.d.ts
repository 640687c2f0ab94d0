// Type declarations of the RaisFast JavaScript SDK: `import { ... } from 'sdk'`.
// `raisfast plugin new --runtime js` puts this file (and a jsconfig.json) in the
// plugin directory, so editors complete and type-check SDK calls and payloads.
// Every function calls the host API through the WIT contract; a refused or
// failed call throws a `HostError` (see docs/host-api.md).

declare module 'sdk' {
  /** A JSON value. */
  export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

  /** What every failed host call throws. `message` starts with the kind. */
  export interface HostError extends Error {
    /** `denied` (a permission is missing; the message names it), `invalid`, `not-found`, `limit` or `failed`. */
    kind: 'denied' | 'invalid' | 'not-found' | 'limit' | 'failed';
  }

  /** A user, as hooks show it. */
  export interface User {
    id: string;
    username: string;
    role: 'admin' | 'user';
    email?: string | null;
    created_at?: number;
  }

  /** A content item (body of the `on_content_*` hooks and `render_content`). */
  export interface Content {
    id: string;
    type: string;
    title: string;
    slug: string;
    /** Markdown. */
    body: string;
    status: 'draft' | 'published';
    data: { [key: string]: Json };
    author_id: string | null;
    created_at: number;
    updated_at: number;
    published_at: number | null;
  }

  /** A comment (body of the `on_comment_*` hooks). */
  export interface Comment {
    id: string;
    content_id: string;
    author_id: string | null;
    body: string;
    created_at: number;
  }

  /** The envelope every hook handler receives, as JSON text: `JSON.parse(input) as Envelope<Content>`. */
  export interface Envelope<T = Json> {
    hook: string;
    id: string | number | null;
    content_type: string | null;
    body: T;
    user?: User;
    /** The plugin that emitted a custom event. */
    emitter?: string;
  }

  /** The request a route handler receives. */
  export interface RouteRequest {
    handler: string;
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    /** The path below the plugin's mount point. */
    path: string;
    /** Values of the route's `:param` segments. */
    params: { [name: string]: string };
    query: { [name: string]: string };
    /** Lowercase names; never `authorization`, `cookie` or `proxy-authorization`. */
    headers: { [name: string]: string };
    /** The body as text. */
    body: string;
    /** The body parsed as JSON, or null. */
    json: Json;
    /** The signed-in caller, if any. */
    caller: { id: string; username: string; role: 'admin' | 'user' } | null;
  }

  /** A route response built by `ok` or `fail`. */
  export interface RouteResponse {
    __raisfast_response: { status: number; body: Json };
  }

  /** `?` placeholders take an array, `:name` placeholders an object. */
  export type SqlParams = Json[] | { [name: string]: Json };

  /** Runs one statement and returns its rows. Needs `[permissions] database`. */
  export function dbQuery<Row = { [column: string]: Json }>(sql: string, params?: SqlParams): Row[];
  /** Runs one statement that changes data (or your own tables' schema). */
  export function dbExecute(sql: string, params?: SqlParams): { rowsAffected: number; lastInsertId: number };
  /** Starts a transaction; it ends with `dbCommit`, `dbRollback` or the end of the call (rolled back). */
  export function dbBegin(): null;
  export function dbCommit(): null;
  export function dbRollback(): null;

  export interface HttpResponse {
    status: number;
    headers: { [name: string]: string };
    body: string;
  }
  /** Any method to an allowed URL (`[permissions] http`). A 4xx/5xx is a response, not an error. */
  export function httpFetch(request: {
    url: string;
    method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
    headers?: { [name: string]: string };
    body?: string | Json;
    timeoutMs?: number;
  }): HttpResponse;
  export function httpGet(url: string, headers?: { [name: string]: string }): HttpResponse;
  /** A non-string body is sent as JSON. */
  export function httpPost(url: string, body: string | Json, headers?: { [name: string]: string }): HttpResponse;

  export interface FileEntry {
    name: string;
    isDir: boolean;
    size: number;
    modifiedMs: number;
  }
  /** Files in the plugin's own directory (`[permissions] filesystem`). */
  export function vfsRead(path: string): string;
  export function vfsWrite(path: string, data: string | Json): null;
  export function vfsDelete(path: string): null;
  export function vfsList(path?: string): FileEntry[];
  export function vfsStat(path: string): FileEntry;
  export function vfsExists(path: string): boolean;

  /** The plugin's private key-value store. */
  export function kvGet<T = Json>(key: string): T | null;
  export function kvSet(key: string, value: Json, ttlSeconds?: number): null;
  export function kvDelete(key: string): boolean;
  export function kvList(prefix?: string): string[];

  /** A value of the plugin's `[config]` (dotted keys walk into tables), or a granted `site.*` setting. */
  export function configGet<T = Json>(key: string): T | null;
  export function configAll(): { [key: string]: Json };

  /** Emits a custom event to the plugins subscribed to `name`, after this call. */
  export function emit(name: string, payload?: Json): null;

  /** Log lines, tagged with the plugin and the hook; arguments are joined with spaces. */
  export function log(level: 'trace' | 'debug' | 'info' | 'warn' | 'error', ...message: unknown[]): null;
  export function logDebug(...message: unknown[]): null;
  export function logInfo(...message: unknown[]): null;
  export function logWarn(...message: unknown[]): null;
  export function logError(...message: unknown[]): null;

  /** A new UUIDv7. */
  export function newId(): string;

  /** A JSON response (200 unless `status` is given). */
  export function ok(data: Json, status?: number): RouteResponse;
  /** An error response: `{"error": {"status", "message"}}`. */
  export function fail(status: number, message: string): RouteResponse;
  /** The value at a dotted path (`"body.items.0.id"`) of JSON text or a value; null if absent. */
  export function extractJson<T = Json>(input: string | Json, path: string): T | null;
}
