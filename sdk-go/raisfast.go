// Package raisfast is the RaisFast SDK for Go: canonical-ABI glue for the WIT
// world `raisfast:plugin/plugin@0.1.0`, written by hand (there is no Go
// generator that works without the module proxy), for GOOS=wasip1
// GOARCH=wasm -buildmode=c-shared. `raisfast plugin build` writes it to a Go
// plugin's `sdk/raisfast.go`; the source is `sdk-go/raisfast.go` in the
// RaisFast repository.
//
// Host API covered: log, kv (get, set, delete, list), config (get), ids
// (new-id), db (query, execute), events (emit), vfs (read, write, delete,
// exists). Host calls
// made from `init` functions run while the instance is created and are not
// logged: call the host from handlers.
//
// Memory rule: Go's GC does not move objects, so a Go allocation handed to the
// host only has to stay reachable. Every buffer the host asks for through
// cabi_realloc, and every buffer an export returns, is kept in `pins` until the
// export's cabi_post_* function runs (the host calls it after lifting the result).
package raisfast

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"structs"
	"unsafe"
)

// ---------------------------------------------------------------- memory

// pins keeps host-visible allocations alive, keyed by address.
var pins = map[uint32]any{}

func addr[T any](p *T) uint32 { return uint32(uintptr(unsafe.Pointer(p))) }

// zeroArea is what a 0-byte allocation points to: a real, 8-aligned Go
// address. (A small fake like 1 or 8 would make the GC throw "invalid pointer
// found on stack" if it ever sat in a Go pointer, e.g. an empty string param.)
var zeroArea [1]uint64

// alloc returns 8-aligned zeroed memory of `size` bytes, pinned until releaseAll.
func alloc(size uint32) uint32 {
	if size == 0 {
		return addr(&zeroArea[0])
	}
	buf := make([]uint64, (size+7)/8)
	p := addr(&buf[0])
	pins[p] = buf
	return p
}

// pin keeps a Go string's bytes alive and returns their address.
func pinString(s string) (ptr, n uint32) {
	if len(s) == 0 {
		return addr(&zeroArea[0]), 0
	}
	b := unsafe.StringData(s)
	p := addr(b)
	pins[p] = s
	return p, uint32(len(s))
}

func pinBytes(b []byte) (ptr, n uint32) {
	if len(b) == 0 {
		return addr(&zeroArea[0]), 0
	}
	p := addr(&b[0])
	pins[p] = b
	return p, uint32(len(b))
}

func releaseAll() { clear(pins) }

// cabi_realloc is used by the host to allocate export arguments and import
// results in this module's memory.
//
//go:wasmexport cabi_realloc
func cabiRealloc(oldPtr, oldSize, align, newSize uint32) uint32 {
	_ = align // all canonical-ABI alignments are <= 8
	p := alloc(newSize)
	if oldPtr != 0 && oldSize != 0 {
		copy(unsafe.Slice((*byte)(ptrOf(p)), newSize), unsafe.Slice((*byte)(ptrOf(oldPtr)), min(oldSize, newSize)))
		delete(pins, oldPtr)
	}
	return p
}

func ptrOf(p uint32) unsafe.Pointer { return unsafe.Pointer(uintptr(p)) }

// loadString copies a (ptr, len) string out of linear memory.
func loadString(p, n uint32) string {
	if n == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(ptrOf(p)), n))
}

// ---------------------------------------------------------------- types

// ErrorKind is the case of the WIT `error` variant (discriminant order matters).
type ErrorKind uint8

const (
	Denied   ErrorKind = 0
	Invalid  ErrorKind = 1
	NotFound ErrorKind = 2 // no payload
	Limit    ErrorKind = 3
	Failed   ErrorKind = 4
)

// Error is the WIT `error` variant.
type Error struct {
	Kind    ErrorKind
	Message string
}

func (e *Error) Error() string {
	names := [...]string{"denied", "invalid", "not-found", "limit", "failed"}
	if int(e.Kind) < len(names) {
		return names[e.Kind] + ": " + e.Message
	}
	return "error: " + e.Message
}

// Level is the WIT `log.level` enum.
type Level uint32

const (
	Trace Level = iota
	Debug
	Info
	Warn
	ErrorLevel
)

// Header is the WIT `header` record.
type Header struct{ Name, Value string }

// Principal is the WIT `principal` record.
type Principal struct{ UserID, Username, Role string }

// Request is the WIT `route-request` record.
type Request struct {
	Handler, Method, Path string
	Params, Query         [][2]string
	Headers               []Header
	Body                  []byte
	Caller                *Principal
}

// Response is the WIT `route-response` record.
type Response struct {
	Status  uint16
	Headers []Header
	Body    []byte
}

// In-memory layouts (canonical ABI, align 4). Go's wasm layout of these
// structs matches: uint8 align 1, uint16 align 2, uint32 align 4.
type strABI struct {
	_   structs.HostLayout
	Ptr uint32
	Len uint32
}

type pairABI struct { // tuple<string,string> and record header: 16 bytes
	_    structs.HostLayout
	A, B strABI
}

// result<option<string>, error> and result<_, error> and result<bool-ish, error>: 16 bytes
type resultStrABI struct {
	_   structs.HostLayout
	Tag uint8 // 0 ok, 1 err
	_   [3]uint8
	Sub uint8 // option tag (0 none, 1 some) or error tag
	_   [3]uint8
	Str strABI // option payload or error message
}

// record route-request: 84 bytes.
type routeRequestABI struct {
	_         structs.HostLayout
	Handler   strABI // 0
	Method    strABI // 8
	Path      strABI // 16
	Params    strABI // 24 list<tuple<string,string>> (ptr, len)
	Query     strABI // 32
	Headers   strABI // 40 list<header>
	Body      strABI // 48 list<u8>
	CallerTag uint8  // 56 option tag
	_         [3]uint8
	UserID    strABI // 60
	Username  strABI // 68
	Role      strABI // 76
}

// result<route-response, error>: 24 bytes.
type routeResultABI struct {
	_       structs.HostLayout
	Tag     uint8 // 0
	_       [3]uint8
	Payload [20]byte // 4: route-response {status u16 @0, headers @4, body @12} or error {tag @0, string @4}
}

func init() {
	if unsafe.Sizeof(routeRequestABI{}) != 84 || unsafe.Sizeof(routeResultABI{}) != 24 ||
		unsafe.Sizeof(resultStrABI{}) != 16 || unsafe.Sizeof(pairABI{}) != 16 {
		panic("raisfast: canonical ABI layout mismatch")
	}
	// Go may start a collection in any allocation, and a collection reads the
	// clock: a call to the host. While the host passes arguments or results
	// it calls cabi_realloc, and a component may not call the host then (the
	// instance traps: "cannot leave component instance"). So collections are
	// off, but while the plugin's own code runs (see gcOn, hostCall).
	debug.SetGCPercent(-1)
	runtime.MemProfileRate = 0
}

// gcPercent is the GOGC in force while the plugin's code runs.
const gcPercent = 100

// inExport is true while an export runs the plugin's code.
var inExport bool

// gcOn turns collections on for the plugin's code; the returned function
// turns them off again before control goes back to the host.
func gcOn() func() {
	inExport = true
	debug.SetGCPercent(gcPercent)
	return func() {
		debug.SetGCPercent(-1)
		inExport = false
	}
}

// hostCall runs one import with collections off: the host may call
// cabi_realloc to hand back its result.
func hostCall(f func()) {
	if inExport {
		debug.SetGCPercent(-1)
		defer debug.SetGCPercent(gcPercent)
	}
	f()
}

// ---------------------------------------------------------------- imports

//go:wasmimport raisfast:plugin/log@0.1.0 log
func logImport(level uint32, msg string, fieldsPtr *pairABI, fieldsLen uint32)

//go:wasmimport raisfast:plugin/kv@0.1.0 get
func kvGetImport(key string, ret *resultStrABI)

//go:wasmimport raisfast:plugin/kv@0.1.0 set
func kvSetImport(key string, value string, ttlTag uint32, ttl uint32, ret *resultStrABI)

// Log writes one log line with optional fields.
func Log(level Level, msg string, fields ...[2]string) {
	var fp *pairABI
	var keep []string
	if len(fields) > 0 {
		arr := make([]pairABI, len(fields))
		for i, f := range fields {
			arr[i].A = strABI{Ptr: strAddr(f[0]), Len: uint32(len(f[0]))}
			arr[i].B = strABI{Ptr: strAddr(f[1]), Len: uint32(len(f[1]))}
			keep = append(keep, f[0], f[1])
		}
		fp = &arr[0]
	}
	hostCall(func() { logImport(uint32(level), msg, fp, uint32(len(fields))) })
	runtime.KeepAlive(keep) // the host read the field strings through raw addresses
	runtime.KeepAlive(fp)
}

func strAddr(s string) uint32 {
	if len(s) == 0 {
		return addr(&zeroArea[0])
	}
	return addr(unsafe.StringData(s))
}

func errorFrom(r *resultStrABI) *Error {
	return errorAt(r.Sub, r.Str.Ptr, r.Str.Len)
}

// errorAt lifts an `error` variant: its case and, but for not-found, its message.
func errorAt(kind uint8, ptr, n uint32) *Error {
	e := &Error{Kind: ErrorKind(kind)}
	if e.Kind != NotFound {
		e.Message = loadString(ptr, n)
		delete(pins, ptr) // the host allocated it through cabi_realloc
	}
	return e
}

// result<json, error>: 16 bytes; ok: the string at 4; err: the error's case
// at 4, its message at 8.
type resultJSONABI struct {
	_   structs.HostLayout
	Tag uint8
	_   [3]uint8
	W   [3]uint32
}

// result<exec-result, error>: 24 bytes, align 8; ok: rows-affected (u64) at
// 8, last-insert-id (s64) at 16; err: the error's case at 8, its message at
// 12 (pointer) and 16 (length).
type resultExecABI struct {
	_    structs.HostLayout
	Tag  uint8
	_    [7]uint8
	Rows uint64
	Last int64
}

//go:wasmimport raisfast:plugin/db@0.1.0 query
func dbQueryImport(sql string, params string, ret *resultJSONABI)

//go:wasmimport raisfast:plugin/db@0.1.0 execute
func dbExecuteImport(sql string, params string, ret *resultExecABI)

//go:wasmimport raisfast:plugin/events@0.1.0 emit
func emitImport(name string, payload string, ret *resultStrABI)

//go:wasmimport raisfast:plugin/kv@0.1.0 delete
func kvDeleteImport(key string, ret *resultStrABI)

//go:wasmimport raisfast:plugin/kv@0.1.0 list
func kvListImport(prefix string, ret *resultJSONABI)

//go:wasmimport raisfast:plugin/vfs@0.1.0 read
func vfsReadImport(path string, ret *resultJSONABI)

//go:wasmimport raisfast:plugin/vfs@0.1.0 write
func vfsWriteImport(path string, dataPtr, dataLen uint32, ret *resultStrABI)

//go:wasmimport raisfast:plugin/vfs@0.1.0 delete
func vfsDeleteImport(path string, ret *resultStrABI)

//go:wasmimport raisfast:plugin/vfs@0.1.0 exists
func vfsExistsImport(path string, ret *resultStrABI)

// KvDelete removes key; existed tells whether it was there.
func KvDelete(key string) (existed bool, err error) {
	var r resultStrABI
	hostCall(func() { kvDeleteImport(key, &r) })
	if r.Tag != 0 {
		return false, errorFrom(&r)
	}
	return r.Sub == 1, nil
}

// KvList returns the keys that start with prefix ("" for all), sorted.
func KvList(prefix string) ([]string, error) {
	var r resultJSONABI
	hostCall(func() { kvListImport(prefix, &r) })
	if r.Tag != 0 {
		return nil, errorAt(uint8(r.W[0]), r.W[1], r.W[2])
	}
	keys := make([]string, 0, r.W[1])
	for _, k := range unsafe.Slice((*strABI)(ptrOf(r.W[0])), r.W[1]) {
		keys = append(keys, loadString(k.Ptr, k.Len))
		delete(pins, k.Ptr)
	}
	delete(pins, r.W[0])
	return keys, nil
}

// VfsRead returns the contents of the plugin's file at path.
func VfsRead(path string) ([]byte, error) {
	var r resultJSONABI
	hostCall(func() { vfsReadImport(path, &r) })
	if r.Tag != 0 {
		return nil, errorAt(uint8(r.W[0]), r.W[1], r.W[2])
	}
	data := []byte(loadString(r.W[0], r.W[1]))
	delete(pins, r.W[0])
	return data, nil
}

// VfsWrite writes data to the plugin's file at path (directories are created).
func VfsWrite(path string, data []byte) error {
	var r resultStrABI
	ptr, n := pinBytes(data)
	hostCall(func() { vfsWriteImport(path, ptr, n, &r) })
	runtime.KeepAlive(data)
	if r.Tag != 0 {
		return errorFrom(&r)
	}
	return nil
}

// VfsDelete removes the plugin's file (or empty directory) at path.
func VfsDelete(path string) error {
	var r resultStrABI
	hostCall(func() { vfsDeleteImport(path, &r) })
	if r.Tag != 0 {
		return errorFrom(&r)
	}
	return nil
}

// VfsExists tells whether the plugin has a file or directory at path.
func VfsExists(path string) (bool, error) {
	var r resultStrABI
	hostCall(func() { vfsExistsImport(path, &r) })
	if r.Tag != 0 {
		return false, errorFrom(&r)
	}
	return r.Sub == 1, nil
}

// DbQuery runs a read statement; params is a JSON array (`?`) or object
// (`:name`), "" for none. It returns the rows as a JSON array of objects.
func DbQuery(sql, params string) (rows string, err error) {
	if params == "" {
		params = "[]"
	}
	var r resultJSONABI
	hostCall(func() { dbQueryImport(sql, params, &r) })
	if r.Tag != 0 {
		return "", errorAt(uint8(r.W[0]), r.W[1], r.W[2])
	}
	rows = loadString(r.W[0], r.W[1])
	delete(pins, r.W[0])
	return rows, nil
}

// DbExecute runs a statement that changes data (params as for DbQuery).
func DbExecute(sql, params string) (rowsAffected uint64, lastInsertID int64, err error) {
	if params == "" {
		params = "[]"
	}
	var r resultExecABI
	hostCall(func() { dbExecuteImport(sql, params, &r) })
	if r.Tag != 0 {
		return 0, 0, errorAt(uint8(r.Rows), uint32(r.Rows>>32), uint32(r.Last))
	}
	return r.Rows, r.Last, nil
}

// Emit emits the custom event name with a JSON payload to the plugins
// subscribed to it, after this call succeeds.
func Emit(name, payload string) error {
	var r resultStrABI
	hostCall(func() { emitImport(name, payload, &r) })
	if r.Tag != 0 {
		return errorFrom(&r)
	}
	return nil
}

//go:wasmimport raisfast:plugin/config@0.1.0 get
func configGetImport(key string, ret *resultStrABI)

//go:wasmimport raisfast:plugin/ids@0.1.0 new-id
func newIDImport(ret *strABI)

// KvGet returns the JSON stored under key; found is false if absent.
func KvGet(key string) (value string, found bool, err error) {
	var r resultStrABI
	hostCall(func() { kvGetImport(key, &r) })
	return liftOptionJSON(&r)
}

// ConfigGet returns the plugin's config value (JSON) under key: `[config]`
// of the manifest, overridden by the server's settings; found is false if absent.
func ConfigGet(key string) (value string, found bool, err error) {
	var r resultStrABI
	hostCall(func() { configGetImport(key, &r) })
	return liftOptionJSON(&r)
}

// NewID returns a new UUID v7 (time-ordered).
func NewID() string {
	var r strABI
	hostCall(func() { newIDImport(&r) })
	v := loadString(r.Ptr, r.Len)
	delete(pins, r.Ptr)
	return v
}

// liftOptionJSON reads a result<option<json>, error> the host wrote.
func liftOptionJSON(r *resultStrABI) (value string, found bool, err error) {
	if r.Tag != 0 {
		return "", false, errorFrom(r)
	}
	if r.Sub == 0 {
		return "", false, nil
	}
	v := loadString(r.Str.Ptr, r.Str.Len)
	delete(pins, r.Str.Ptr)
	return v, true, nil
}

// KvSet stores the JSON value under key; ttlSeconds 0 means no expiry.
func KvSet(key, value string, ttlSeconds uint32) error {
	var r resultStrABI
	tag := uint32(0)
	if ttlSeconds > 0 {
		tag = 1
	}
	hostCall(func() { kvSetImport(key, value, tag, ttlSeconds, &r) })
	if r.Tag != 0 {
		return errorFrom(&r)
	}
	return nil
}

// ---------------------------------------------------------------- exports

// Handlers lists the names HandleFunc and RouteFunc answer to (hooks, events,
// cron jobs, routes). When set, `raisfast plugin check` fails on a manifest
// that names a handler missing from it, and the host subscribes the plugin to
// these only; empty, the host trusts the manifest.
var Handlers []string

// handlersHook is the reserved hook through which the host asks for Handlers.
const handlersHook = "raisfast:handlers"

// HandleFunc and RouteFunc are set by the plugin (in an init function).
var (
	HandleFunc func(hook, payload string) (result *string, err error)
	RouteFunc  func(req *Request) (*Response, error)
)

func asError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return &Error{Kind: Failed, Message: err.Error()}
}

func storeError(sub *uint8, s *strABI, err error) {
	e := asError(err)
	*sub = uint8(e.Kind)
	if e.Kind != NotFound {
		s.Ptr, s.Len = pinString(e.Message)
	}
}

// The ret area is a pinned Go allocation; the host reads it, then calls the
// matching cabi_post_* which releases everything pinned during the call.

//go:wasmexport raisfast:plugin/guest@0.1.0#handle
func exportHandle(hook, payload string) uint32 {
	p := alloc(uint32(unsafe.Sizeof(resultStrABI{})))
	r := (*resultStrABI)(ptrOf(p))
	var out *string
	var err error
	if hook == handlersHook && len(Handlers) > 0 {
		names, _ := json.Marshal(Handlers)
		text := string(names)
		out = &text
	} else if HandleFunc != nil {
		done := gcOn()
		out, err = callHandle(hook, payload)
		done()
	}
	if err != nil {
		r.Tag = 1
		storeError(&r.Sub, &r.Str, err)
		return p
	}
	if out != nil {
		r.Sub = 1
		r.Str.Ptr, r.Str.Len = pinString(*out)
	}
	return p
}

func callHandle(hook, payload string) (out *string, err error) {
	defer func() {
		if x := recover(); x != nil {
			err = &Error{Kind: Failed, Message: "panic: " + panicString(x)}
		}
	}()
	return HandleFunc(hook, payload)
}

func panicString(x any) string {
	switch v := x.(type) {
	case string:
		return v
	case error:
		return v.Error()
	}
	return "non-string panic value"
}

//go:wasmexport cabi_post_raisfast:plugin/guest@0.1.0#handle
func postHandle(ret uint32) { releaseAll() }

func loadPairs(l strABI) [][2]string {
	if l.Len == 0 {
		return nil
	}
	src := unsafe.Slice((*pairABI)(ptrOf(l.Ptr)), l.Len)
	out := make([][2]string, l.Len)
	for i, p := range src {
		out[i] = [2]string{loadString(p.A.Ptr, p.A.Len), loadString(p.B.Ptr, p.B.Len)}
	}
	return out
}

//go:wasmexport raisfast:plugin/guest@0.1.0#route
func exportRoute(reqPtr uint32) uint32 {
	// 21 flat params > MAX_FLAT_PARAMS (16): the host passes one pointer to the record.
	in := (*routeRequestABI)(ptrOf(reqPtr))
	req := &Request{
		Handler: loadString(in.Handler.Ptr, in.Handler.Len),
		Method:  loadString(in.Method.Ptr, in.Method.Len),
		Path:    loadString(in.Path.Ptr, in.Path.Len),
		Params:  loadPairs(in.Params),
		Query:   loadPairs(in.Query),
	}
	for _, h := range loadPairs(in.Headers) {
		req.Headers = append(req.Headers, Header{h[0], h[1]})
	}
	if in.Body.Len > 0 {
		req.Body = append([]byte(nil), unsafe.Slice((*byte)(ptrOf(in.Body.Ptr)), in.Body.Len)...)
	}
	if in.CallerTag == 1 {
		req.Caller = &Principal{
			UserID:   loadString(in.UserID.Ptr, in.UserID.Len),
			Username: loadString(in.Username.Ptr, in.Username.Len),
			Role:     loadString(in.Role.Ptr, in.Role.Len),
		}
	}

	p := alloc(uint32(unsafe.Sizeof(routeResultABI{})))
	r := (*routeResultABI)(ptrOf(p))
	var resp *Response
	err := error(&Error{Kind: NotFound})
	if RouteFunc != nil {
		done := gcOn()
		resp, err = callRoute(req)
		done()
	}
	if err == nil && resp == nil {
		err = &Error{Kind: Failed, Message: "route returned no response"}
	}
	if err != nil {
		r.Tag = 1
		e := (*struct {
			_   structs.HostLayout
			Tag uint8
			_   [3]uint8
			Str strABI
		})(unsafe.Pointer(&r.Payload))
		storeError(&e.Tag, &e.Str, err)
		return p
	}
	o := (*struct {
		_       structs.HostLayout
		Status  uint16
		_       [2]uint8
		Headers strABI
		Body    strABI
	})(unsafe.Pointer(&r.Payload))
	o.Status = resp.Status
	if n := len(resp.Headers); n > 0 {
		hp := alloc(uint32(n) * 16)
		hs := unsafe.Slice((*pairABI)(ptrOf(hp)), n)
		for i, h := range resp.Headers {
			hs[i].A.Ptr, hs[i].A.Len = pinString(h.Name)
			hs[i].B.Ptr, hs[i].B.Len = pinString(h.Value)
		}
		o.Headers = strABI{Ptr: hp, Len: uint32(n)}
	} else {
		o.Headers = strABI{Ptr: addr(&zeroArea[0]), Len: 0}
	}
	o.Body.Ptr, o.Body.Len = pinBytes(resp.Body)
	return p
}

func callRoute(req *Request) (resp *Response, err error) {
	defer func() {
		if x := recover(); x != nil {
			err = &Error{Kind: Failed, Message: "panic: " + panicString(x)}
		}
	}()
	return RouteFunc(req)
}

//go:wasmexport cabi_post_raisfast:plugin/guest@0.1.0#route
func postRoute(ret uint32) { releaseAll() }
