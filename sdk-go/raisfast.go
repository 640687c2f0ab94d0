// Package raisfast is the RaisFast SDK for Go: a thin, idiomatic layer over
// the bindings that wit-bindgen-go generates for the WIT world
// `raisfast:plugin/plugin@0.1.0` (in sdk/wit/). Host calls return Go values
// and an error (*Error); handlers are plain functions set in an init.
//
// `raisfast plugin build` writes this file to a Go plugin's sdk/raisfast.go
// (imported as `<module>/sdk`), generates sdk/wit/, copies the bindings'
// runtime package (go.bytecodealliance.org/pkg) to sdk/go-pkg/, and builds
// with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared and GOPROXY=off. The
// source is sdk-go/raisfast.go in the RaisFast repository.
//
// Host calls made from init functions run while the instance is created and
// are not logged: call the host from handlers.
package raisfast

import (
	"encoding/json"
	"strconv"

	guest "PLUGIN_MODULE/sdk/wit/exports/export_raisfast_plugin_guest"
	_ "PLUGIN_MODULE/sdk/wit/exports/wit_exports"
	"PLUGIN_MODULE/sdk/wit/imports/raisfast_plugin_config"
	"PLUGIN_MODULE/sdk/wit/imports/raisfast_plugin_db"
	"PLUGIN_MODULE/sdk/wit/imports/raisfast_plugin_events"
	"PLUGIN_MODULE/sdk/wit/imports/raisfast_plugin_http"
	"PLUGIN_MODULE/sdk/wit/imports/raisfast_plugin_ids"
	"PLUGIN_MODULE/sdk/wit/imports/raisfast_plugin_kv"
	"PLUGIN_MODULE/sdk/wit/imports/raisfast_plugin_log"
	"PLUGIN_MODULE/sdk/wit/imports/raisfast_plugin_vfs"
	types "PLUGIN_MODULE/sdk/wit/imports/raisfast_plugin_types"

	wit "go.bytecodealliance.org/pkg/wit/types"
)

// ---------------------------------------------------------------- errors

// ErrorKind is the case of the WIT `error` variant.
type ErrorKind uint8

// The cases of ErrorKind, in the WIT's order.
const (
	Denied   ErrorKind = ErrorKind(types.Error_Denied)
	Invalid  ErrorKind = ErrorKind(types.Error_Invalid)
	NotFound ErrorKind = ErrorKind(types.Error_NotFound)
	Limit    ErrorKind = ErrorKind(types.Error_Limit)
	Failed   ErrorKind = ErrorKind(types.Error_Failed)
)

var kindNames = [...]string{"denied", "invalid", "not-found", "limit", "failed"}

// String is the kind's WIT name (`not-found`, ...).
func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "error(" + strconv.Itoa(int(k)) + ")"
}

// Error is a failed host call, or what a handler returns to fail its call.
type Error struct {
	Kind    ErrorKind
	Message string
}

// Error formats the kind and the message.
func (e *Error) Error() string { return e.Kind.String() + ": " + e.Message }

// fromWIT turns the generated error variant into *Error.
func fromWIT(e types.Error) *Error {
	switch e.Tag() {
	case types.Error_Denied:
		return &Error{Denied, e.Denied()}
	case types.Error_Invalid:
		return &Error{Invalid, e.Invalid()}
	case types.Error_NotFound:
		return &Error{Kind: NotFound}
	case types.Error_Limit:
		return &Error{Limit, e.Limit()}
	default:
		return &Error{Failed, e.Failed()}
	}
}

// toWIT turns any error a handler returns into the WIT variant (Failed
// unless it is an *Error).
func toWIT(err error) types.Error {
	e, ok := err.(*Error)
	if !ok {
		return types.MakeErrorFailed(err.Error())
	}
	switch e.Kind {
	case Denied:
		return types.MakeErrorDenied(e.Message)
	case Invalid:
		return types.MakeErrorInvalid(e.Message)
	case NotFound:
		return types.MakeErrorNotFound()
	case Limit:
		return types.MakeErrorLimit(e.Message)
	default:
		return types.MakeErrorFailed(e.Message)
	}
}

// unwrap returns a result's value, or its error as *Error.
func unwrap[T any](r wit.Result[T, types.Error]) (T, error) {
	if r.IsErr() {
		var zero T
		return zero, fromWIT(r.Err())
	}
	return r.Ok(), nil
}

// errOf returns a unit result's error, or nil.
func errOf(r wit.Result[wit.Unit, types.Error]) error {
	_, err := unwrap(r)
	return err
}

// optional splits an option into value and presence.
func optional(o wit.Option[string], err error) (string, bool, error) {
	if err != nil || o.IsNone() {
		return "", false, err
	}
	return o.Some(), true, nil
}

// ---------------------------------------------------------------- log, ids, config

// Level is the severity of a log line.
type Level = raisfast_plugin_log.Level

// The log levels.
const (
	Trace      Level = raisfast_plugin_log.Level_Trace
	Debug      Level = raisfast_plugin_log.Level_Debug
	Info       Level = raisfast_plugin_log.Level_Info
	Warn       Level = raisfast_plugin_log.Level_Warn
	ErrorLevel Level = raisfast_plugin_log.Level_Error
)

// Log writes a line to the plugin's log, with optional key-value fields.
func Log(level Level, msg string, fields ...[2]string) {
	pairs := make([]wit.Tuple2[string, string], len(fields))
	for i, f := range fields {
		pairs[i] = wit.Tuple2[string, string]{F0: f[0], F1: f[1]}
	}
	raisfast_plugin_log.Log(level, msg, pairs)
}

// NewID returns a new UUIDv7.
func NewID() string { return raisfast_plugin_ids.NewId() }

// ConfigGet returns a config value (JSON text) of the plugin's manifest or
// the operator's override.
func ConfigGet(key string) (value string, found bool, err error) {
	return optional(unwrap(raisfast_plugin_config.Get(key)))
}

// ConfigAll returns the plugin's whole config as a JSON object.
func ConfigAll() string { return raisfast_plugin_config.All() }

// ---------------------------------------------------------------- kv

// KvGet returns a value (JSON text) of the plugin's key-value store.
func KvGet(key string) (value string, found bool, err error) {
	return optional(unwrap(raisfast_plugin_kv.Get(key)))
}

// KvSet stores a value (JSON text); ttlSeconds 0 keeps it until deleted.
func KvSet(key, value string, ttlSeconds uint32) error {
	ttl := wit.None[uint32]()
	if ttlSeconds > 0 {
		ttl = wit.Some(ttlSeconds)
	}
	return errOf(raisfast_plugin_kv.Set(key, value, ttl))
}

// KvDelete removes a key; reports whether it existed.
func KvDelete(key string) (existed bool, err error) {
	return unwrap(raisfast_plugin_kv.Delete(key))
}

// KvList returns the keys starting with prefix.
func KvList(prefix string) ([]string, error) { return unwrap(raisfast_plugin_kv.List(prefix)) }

// ---------------------------------------------------------------- db

// DbQuery runs a SELECT; params is a JSON array (or "" for none). Rows come
// back as a JSON array of objects.
func DbQuery(sql, params string) (rows string, err error) {
	return unwrap(raisfast_plugin_db.Query(sql, params))
}

// DbExecute runs a statement that changes data; params as for DbQuery.
func DbExecute(sql, params string) (rowsAffected uint64, lastInsertID int64, err error) {
	r, err := unwrap(raisfast_plugin_db.Execute(sql, params))
	return r.RowsAffected, r.LastInsertId, err
}

// DbBegin starts a transaction; the host rolls back one left open at the
// end of the call.
func DbBegin() error { return errOf(raisfast_plugin_db.Begin()) }

// DbCommit commits the open transaction.
func DbCommit() error { return errOf(raisfast_plugin_db.Commit()) }

// DbRollback rolls the open transaction back.
func DbRollback() error { return errOf(raisfast_plugin_db.Rollback()) }

// DbTransaction runs f in a transaction: committed if f returns nil, rolled
// back if it returns an error or panics.
func DbTransaction(f func() error) (err error) {
	if err := DbBegin(); err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			_ = DbRollback()
		}
	}()
	if err := f(); err != nil {
		return err
	}
	committed = true
	return DbCommit()
}

// ---------------------------------------------------------------- events

// Emit publishes a custom event with a JSON payload.
func Emit(name, payload string) error { return errOf(raisfast_plugin_events.Emit(name, payload)) }

// ---------------------------------------------------------------- vfs

// VfsEntry is a file or directory of the plugin's VFS.
type VfsEntry = raisfast_plugin_vfs.Entry

// VfsRead returns a file's bytes.
func VfsRead(path string) ([]byte, error) { return unwrap(raisfast_plugin_vfs.Read(path)) }

// VfsWrite creates or replaces a file (directories are made as needed).
func VfsWrite(path string, data []byte) error {
	return errOf(raisfast_plugin_vfs.Write(path, data))
}

// VfsDelete removes a file or an empty directory.
func VfsDelete(path string) error { return errOf(raisfast_plugin_vfs.Delete(path)) }

// VfsExists reports whether a file or directory exists.
func VfsExists(path string) (bool, error) { return unwrap(raisfast_plugin_vfs.Exists(path)) }

// VfsList returns a directory's entries.
func VfsList(path string) ([]VfsEntry, error) { return unwrap(raisfast_plugin_vfs.List(path)) }

// VfsStat describes one file or directory.
func VfsStat(path string) (VfsEntry, error) { return unwrap(raisfast_plugin_vfs.Stat(path)) }

// ---------------------------------------------------------------- http

// Header is an HTTP header.
type Header = types.Header

// HTTPRequest is an outbound request: Method defaults to GET, TimeoutMs 0
// leaves the operator's limit, a nil Body sends none.
type HTTPRequest struct {
	Method    string
	URL       string
	Headers   []Header
	Body      []byte
	TimeoutMs uint32
}

// HTTPResponse is the answer to Fetch; a 4xx or 5xx is a response, not an error.
type HTTPResponse struct {
	Status  uint16
	Headers []Header
	Body    []byte
}

// Fetch sends an outbound request through the host (its allow-list and
// address guard apply).
func Fetch(req HTTPRequest) (*HTTPResponse, error) {
	method := req.Method
	if method == "" {
		method = "GET"
	}
	in := raisfast_plugin_http.Request{
		Method:    method,
		Url:       req.URL,
		Headers:   req.Headers,
		Body:      wit.None[[]byte](),
		TimeoutMs: wit.None[uint32](),
	}
	if req.Body != nil {
		in.Body = wit.Some(req.Body)
	}
	if req.TimeoutMs > 0 {
		in.TimeoutMs = wit.Some(req.TimeoutMs)
	}
	r, err := unwrap(raisfast_plugin_http.Fetch(in))
	if err != nil {
		return nil, err
	}
	return &HTTPResponse{Status: r.Status, Headers: r.Headers, Body: r.Body}, nil
}

// ---------------------------------------------------------------- handlers

// Principal is the authenticated caller of a route.
type Principal struct{ UserID, Username, Role string }

// Request is a request to one of the plugin's `[[routes]]`.
type Request struct {
	Handler, Method, Path string
	Params, Query         [][2]string
	Headers               []Header
	Body                  []byte
	Caller                *Principal
}

// Response is what a route handler answers.
type Response struct {
	Status  uint16
	Headers []Header
	Body    []byte
}

// Handlers lists the names HandleFunc and RouteFunc answer to (hooks, events,
// cron jobs, routes). When set, `raisfast plugin check` fails on a manifest
// that names a handler missing from it, and the host subscribes the plugin to
// these only; empty, the host trusts the manifest.
var Handlers []string

// HandleFunc and RouteFunc are set by the plugin (in an init function).
// HandleFunc returns a filter's new body (JSON), or nil to leave it.
var (
	HandleFunc func(hook, payload string) (result *string, err error)
	RouteFunc  func(req *Request) (*Response, error)
)

// handlersHook is the reserved hook through which the host asks for Handlers.
const handlersHook = "raisfast:handlers"

func init() {
	guest.OnHandle = handle
	guest.OnRoute = route
}

// recovered turns a panic into a Failed error.
func recovered(err *error) {
	if x := recover(); x != nil {
		*err = &Error{Kind: Failed, Message: "panic: " + panicString(x)}
	}
}

func panicString(x any) string {
	switch v := x.(type) {
	case string:
		return v
	case error:
		return v.Error()
	case interface{ String() string }:
		return v.String()
	}
	return "non-string panic value"
}

func handle(hook, payload string) wit.Result[wit.Option[string], types.Error] {
	if hook == handlersHook && len(Handlers) > 0 {
		names, _ := json.Marshal(Handlers)
		return wit.Ok[wit.Option[string], types.Error](wit.Some(string(names)))
	}
	if HandleFunc == nil {
		return wit.Ok[wit.Option[string], types.Error](wit.None[string]())
	}
	out, err := func() (out *string, err error) {
		defer recovered(&err)
		return HandleFunc(hook, payload)
	}()
	switch {
	case err != nil:
		return wit.Err[wit.Option[string]](toWIT(err))
	case out == nil:
		return wit.Ok[wit.Option[string], types.Error](wit.None[string]())
	default:
		return wit.Ok[wit.Option[string], types.Error](wit.Some(*out))
	}
}

func pairs(ts []wit.Tuple2[string, string]) [][2]string {
	out := make([][2]string, len(ts))
	for i, t := range ts {
		out[i] = [2]string{t.F0, t.F1}
	}
	return out
}

func route(in types.RouteRequest) wit.Result[types.RouteResponse, types.Error] {
	if RouteFunc == nil {
		return wit.Err[types.RouteResponse](types.MakeErrorNotFound())
	}
	req := &Request{
		Handler: in.Handler, Method: in.Method, Path: in.Path,
		Params: pairs(in.Params), Query: pairs(in.Query),
		Headers: in.Headers, Body: in.Body,
	}
	if in.Caller.IsSome() {
		c := in.Caller.Some()
		req.Caller = &Principal{UserID: c.UserId, Username: c.Username, Role: c.Role}
	}
	resp, err := func() (resp *Response, err error) {
		defer recovered(&err)
		return RouteFunc(req)
	}()
	if err == nil && resp == nil {
		err = &Error{Kind: Failed, Message: "route returned no response"}
	}
	if err != nil {
		return wit.Err[types.RouteResponse](toWIT(err))
	}
	return wit.Ok[types.RouteResponse, types.Error](types.RouteResponse{
		Status: resp.Status, Headers: resp.Headers, Body: resp.Body,
	})
}
