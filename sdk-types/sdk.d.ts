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

// The web platform APIs of the JS engine (docs/script-plugins.md): WinterTC's
// Minimum Common Web API where it applies to a sandboxed, per-call runtime.
// No DOM: there is no `window` or `document`.
type BufferSource = ArrayBuffer | ArrayBufferView;

interface Console {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  debug(...data: unknown[]): void;
  trace(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  dir(item?: unknown): void;
  table(data?: unknown): void;
  assert(condition?: boolean, ...data: unknown[]): void;
  count(label?: string): void;
  countReset(label?: string): void;
  time(label?: string): void;
  timeLog(label?: string, ...data: unknown[]): void;
  timeEnd(label?: string): void;
  group(...data: unknown[]): void;
  groupCollapsed(...data: unknown[]): void;
  groupEnd(): void;
}
/** Each call is one line of the plugin's log at the method's level (`log`/`info`: info). */
declare var console: Console;
declare function reportError(e: unknown): void;

declare class URL {
  constructor(url: string | URL, base?: string | URL);
  static canParse(url: string | URL, base?: string | URL): boolean;
  static parse(url: string | URL, base?: string | URL): URL | null;
  href: string;
  readonly origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  readonly searchParams: URLSearchParams;
  hash: string;
  toString(): string;
  toJSON(): string;
}
declare class URLSearchParams {
  constructor(init?: string | [string, string][] | Record<string, string> | URLSearchParams);
  readonly size: number;
  append(name: string, value: string): void;
  delete(name: string, value?: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string, value?: string): boolean;
  set(name: string, value: string): void;
  sort(): void;
  forEach(callback: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
  toString(): string;
}

declare class TextEncoder {
  readonly encoding: 'utf-8';
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}
/** UTF-8 only: another label throws a RangeError. */
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: 'utf-8';
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: BufferSource, options?: { stream?: boolean }): string;
}
declare function atob(data: string): string;
declare function btoa(data: string): string;

interface SubtleCrypto {
  digest(algorithm: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' | { name: string }, data: BufferSource): Promise<ArrayBuffer>;
}
interface Crypto {
  getRandomValues<T extends Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array>(array: T): T;
  randomUUID(): `${string}-${string}-${string}-${string}-${string}`;
  readonly subtle: SubtleCrypto;
}
/** Random bytes from the host, fresh in every instance. */
declare var crypto: Crypto;

declare function structuredClone<T>(value: T, options?: { transfer?: never[] }): T;

/** Timers run inside the call and never past its deadline; those still pending when the handler's result is settled never run. */
declare function setTimeout<A extends unknown[]>(callback: (...args: A) => void, delay?: number, ...args: A): number;
declare function setInterval<A extends unknown[]>(callback: (...args: A) => void, delay?: number, ...args: A): number;
declare function clearTimeout(id?: number): void;
declare function clearInterval(id?: number): void;
declare function queueMicrotask(callback: () => void): void;
declare var performance: { now(): number; readonly timeOrigin: number };

declare class DOMException extends Error {
  constructor(message?: string, name?: string);
  readonly code: number;
}

interface EventInit { bubbles?: boolean; cancelable?: boolean; composed?: boolean }
declare class Event {
  constructor(type: string, init?: EventInit);
  readonly type: string;
  readonly target: EventTarget | null;
  readonly currentTarget: EventTarget | null;
  readonly bubbles: boolean;
  readonly cancelable: boolean;
  readonly composed: boolean;
  readonly defaultPrevented: boolean;
  readonly eventPhase: number;
  readonly timeStamp: number;
  readonly isTrusted: boolean;
  preventDefault(): void;
  stopPropagation(): void;
  stopImmediatePropagation(): void;
  composedPath(): EventTarget[];
}
declare class CustomEvent<T = unknown> extends Event {
  constructor(type: string, init?: EventInit & { detail?: T });
  readonly detail: T;
}
type EventListenerOrObject = ((event: Event) => void) | { handleEvent(event: Event): void };
declare class EventTarget {
  addEventListener(type: string, listener: EventListenerOrObject | null, options?: boolean | { capture?: boolean; once?: boolean; signal?: AbortSignal }): void;
  removeEventListener(type: string, listener: EventListenerOrObject | null, options?: boolean | { capture?: boolean }): void;
  dispatchEvent(event: Event): boolean;
}
declare class AbortSignal extends EventTarget {
  private constructor();
  readonly aborted: boolean;
  readonly reason: unknown;
  onabort: ((event: Event) => void) | null;
  throwIfAborted(): void;
  static abort(reason?: unknown): AbortSignal;
  static timeout(milliseconds: number): AbortSignal;
  static any(signals: AbortSignal[]): AbortSignal;
}
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

type HeadersInit = [string, string][] | Record<string, string> | Headers;
declare class Headers {
  constructor(init?: HeadersInit);
  append(name: string, value: string): void;
  delete(name: string): void;
  get(name: string): string | null;
  getSetCookie(): string[];
  has(name: string): boolean;
  set(name: string, value: string): void;
  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}
/** Whole bodies only: no ReadableStream, Blob or FormData. */
type BodyInit = string | ArrayBuffer | ArrayBufferView | URLSearchParams;
interface Body {
  readonly body: null;
  readonly bodyUsed: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
}
interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
  signal?: AbortSignal | null;
  redirect?: 'follow';
}
declare class Request {
  constructor(input: string | URL | Request, init?: RequestInit);
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly signal: AbortSignal;
  readonly redirect: string;
  clone(): Request;
}
interface Request extends Body {}
interface ResponseInit { status?: number; statusText?: string; headers?: HeadersInit }
declare class Response {
  constructor(body?: BodyInit | null, init?: ResponseInit);
  static json(data: unknown, init?: ResponseInit): Response;
  static error(): Response;
  static redirect(url: string | URL, status?: number): Response;
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: Headers;
  readonly url: string;
  readonly type: string;
  readonly redirected: boolean;
  clone(): Response;
}
interface Response extends Body {}
/** Over the host's HTTP capability: the manifest's `http` allow-list and the address guard apply. */
declare function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
