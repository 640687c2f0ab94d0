// The conformance scenario in Go (see tests/plugins/conformance-js/main.js),
// and the whole-API probe (the protocol of tests/plugins/probe: a payload
// names host calls, the reply reports each call's value or error).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	raisfast "conformance-go/sdk"
)

func init() {
	raisfast.HandleFunc = handle
	raisfast.RouteFunc = route
}

func main() {}

type object = map[string]any

// decode parses JSON text keeping numbers exact; text that is not JSON
// stays a string.
func decode(text string) any {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return text
	}
	return v
}

func encode(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func kindOf(err error) (kind, message string) {
	var e *raisfast.Error
	if errors.As(err, &e) {
		return e.Kind.String(), e.Message
	}
	return "failed", err.Error()
}

// ---------------------------------------------------------------- scenario

func attempt(name string, f func() (any, error)) []any {
	v, err := f()
	if err != nil {
		kind, _ := kindOf(err)
		return []any{name, "error", kind}
	}
	return []any{name, "ok", v}
}

func scenario(payload string) []any {
	var event struct {
		Body struct {
			Prefix string `json:"prefix"`
		} `json:"body"`
	}
	_ = json.Unmarshal([]byte(payload), &event)
	t := event.Body.Prefix + "items"
	kvGet := func() (any, error) {
		v, found, err := raisfast.KvGet("k")
		if err != nil || !found {
			return nil, err
		}
		return decode(v), nil
	}
	return []any{
		attempt("kv.set", func() (any, error) {
			return nil, raisfast.KvSet("k", `{"a":1,"list":[1,2]}`, 0)
		}),
		attempt("kv.get", kvGet),
		attempt("kv.list", func() (any, error) { return raisfast.KvList("") }),
		attempt("kv.delete", func() (any, error) { return raisfast.KvDelete("k") }),
		attempt("kv.get.missing", kvGet),
		attempt("db.create", func() (any, error) {
			n, id, err := raisfast.DbExecute("CREATE TABLE IF NOT EXISTS "+t+" (name TEXT NOT NULL)", "[]")
			return object{"rowsAffected": n, "lastInsertId": id}, err
		}),
		attempt("db.insert", func() (any, error) {
			n, _, err := raisfast.DbExecute("INSERT INTO "+t+" (name) VALUES (?)", `["lamp"]`)
			return n, err
		}),
		attempt("db.query", func() (any, error) {
			rows, err := raisfast.DbQuery("SELECT name FROM "+t+" WHERE name = :n", `{"n":"lamp"}`)
			return decode(rows), err
		}),
		attempt("db.protected", func() (any, error) {
			rows, err := raisfast.DbQuery("SELECT * FROM users", "[]")
			return decode(rows), err
		}),
		attempt("db.invalid", func() (any, error) {
			rows, err := raisfast.DbQuery("SELEC 1", "[]")
			return decode(rows), err
		}),
		attempt("vfs.write", func() (any, error) {
			return nil, raisfast.VfsWrite("notes/a.txt", []byte("hello"))
		}),
		attempt("vfs.read", func() (any, error) {
			b, err := raisfast.VfsRead("notes/a.txt")
			return string(b), err
		}),
		attempt("vfs.list", func() (any, error) {
			entries, err := raisfast.VfsList("notes")
			names := []string{}
			for _, e := range entries {
				names = append(names, e.Name)
			}
			return names, err
		}),
		attempt("vfs.exists", func() (any, error) { return raisfast.VfsExists("notes/b.txt") }),
		attempt("vfs.escape", func() (any, error) {
			b, err := raisfast.VfsRead("../secret")
			return string(b), err
		}),
		attempt("config.get", func() (any, error) {
			v, _, err := raisfast.ConfigGet("greeting")
			return decode(v), err
		}),
		attempt("config.site", func() (any, error) {
			v, _, err := raisfast.ConfigGet("site.url")
			return decode(v), err
		}),
		attempt("events.emit", func() (any, error) {
			return nil, raisfast.Emit("conf.happened", `{"n":1}`)
		}),
		attempt("ids.len", func() (any, error) { return len(raisfast.NewID()), nil }),
		attempt("http.denied", func() (any, error) {
			r, err := raisfast.Fetch(raisfast.HTTPRequest{URL: "https://not-allowed.example/"})
			if err != nil {
				return nil, err
			}
			return r.Status, nil
		}),
		attempt("log", func() (any, error) {
			raisfast.Log(raisfast.Info, "conformance go")
			return nil, nil
		}),
	}
}

// ---------------------------------------------------------------- probe

func str(op object, key string) string {
	s, _ := op[key].(string)
	return s
}

func num(op object, key string) (uint64, bool) {
	n, ok := op[key].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return uint64(v), err == nil
}

func params(op object) string {
	if p, ok := op["params"]; ok {
		return encode(p)
	}
	return ""
}

func entry(e raisfast.VfsEntry) object {
	return object{"name": e.Name, "is_dir": e.IsDir, "size": e.Size}
}

// probe runs one op and reports {"ok": value} or {"err": {kind, message}}.
func probe(op object) any {
	v, err := run(op)
	if err != nil {
		kind, message := kindOf(err)
		return object{"err": object{"kind": kind, "message": message}}
	}
	return object{"ok": v}
}

func run(op object) (any, error) {
	switch str(op, "op") {
	case "db.query":
		rows, err := raisfast.DbQuery(str(op, "sql"), params(op))
		return decode(rows), err
	case "db.execute":
		n, id, err := raisfast.DbExecute(str(op, "sql"), params(op))
		return object{"rows_affected": n, "last_insert_id": id}, err
	case "db.begin":
		return nil, raisfast.DbBegin()
	case "db.commit":
		return nil, raisfast.DbCommit()
	case "db.rollback":
		return nil, raisfast.DbRollback()
	case "http.fetch":
		req := raisfast.HTTPRequest{Method: str(op, "method"), URL: str(op, "url")}
		if hs, ok := op["headers"].(object); ok {
			for name, value := range hs {
				v, _ := value.(string)
				req.Headers = append(req.Headers, raisfast.Header{Name: name, Value: v})
			}
		}
		if body, ok := op["body"].(string); ok {
			req.Body = []byte(body)
		}
		if t, ok := num(op, "timeout_ms"); ok {
			req.TimeoutMs = uint32(t)
		}
		r, err := raisfast.Fetch(req)
		if err != nil {
			return nil, err
		}
		headers := [][2]string{}
		for _, h := range r.Headers {
			headers = append(headers, [2]string{h.Name, h.Value})
		}
		return object{"status": r.Status, "body": string(r.Body), "headers": headers}, nil
	case "vfs.read":
		b, err := raisfast.VfsRead(str(op, "path"))
		return string(b), err
	case "vfs.write":
		data := []byte(str(op, "data"))
		if n, ok := num(op, "size"); ok {
			data = bytes.Repeat([]byte("x"), int(n))
		}
		return nil, raisfast.VfsWrite(str(op, "path"), data)
	case "vfs.delete":
		return nil, raisfast.VfsDelete(str(op, "path"))
	case "vfs.list":
		entries, err := raisfast.VfsList(str(op, "path"))
		out := []object{}
		for _, e := range entries {
			out = append(out, entry(e))
		}
		return out, err
	case "vfs.stat":
		e, err := raisfast.VfsStat(str(op, "path"))
		out := entry(e)
		out["modified_ms"] = e.ModifiedMs
		return out, err
	case "vfs.exists":
		return raisfast.VfsExists(str(op, "path"))
	case "kv.get":
		v, found, err := raisfast.KvGet(str(op, "key"))
		if !found {
			return nil, err
		}
		return decode(v), err
	case "kv.set":
		value := encode(op["value"])
		if n, ok := num(op, "size"); ok {
			value = encode(strings.Repeat("x", int(n)))
		}
		ttl, _ := num(op, "ttl")
		return nil, raisfast.KvSet(str(op, "key"), value, uint32(ttl))
	case "kv.set_raw":
		return nil, raisfast.KvSet(str(op, "key"), str(op, "value"), 0)
	case "kv.delete":
		return raisfast.KvDelete(str(op, "key"))
	case "kv.list":
		return raisfast.KvList(str(op, "prefix"))
	case "config.get":
		v, _, err := raisfast.ConfigGet(str(op, "key"))
		if v == "" {
			return nil, err
		}
		return decode(v), err
	case "config.all":
		return decode(raisfast.ConfigAll()), nil
	case "events.emit":
		return nil, raisfast.Emit(str(op, "name"), encode(op["payload"]))
	case "log":
		levels := map[string]raisfast.Level{"trace": raisfast.Trace, "debug": raisfast.Debug,
			"warn": raisfast.Warn, "error": raisfast.ErrorLevel}
		level, ok := levels[str(op, "level")]
		if !ok {
			level = raisfast.Info
		}
		message := str(op, "message")
		if n, ok := num(op, "size"); ok {
			message = strings.Repeat("y", int(n))
		}
		raisfast.Log(level, message, [2]string{"probe", "1"})
		return nil, nil
	case "ids.new":
		return raisfast.NewID(), nil
	case "fail":
		return nil, &raisfast.Error{Kind: raisfast.Failed, Message: str(op, "message")}
	}
	return nil, &raisfast.Error{Kind: raisfast.Invalid, Message: "probe: unknown op " + str(op, "op")}
}

func runAll(op object) any {
	if str(op, "op") != "seq" {
		return probe(op)
	}
	ops, _ := op["ops"].([]any)
	out := []any{}
	for _, o := range ops {
		m, _ := o.(object)
		out = append(out, runAll(m))
	}
	return out
}

// ---------------------------------------------------------------- handlers

func handle(hook, payload string) (*string, error) {
	var event struct {
		Body json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal([]byte(payload), &event); err != nil {
		return nil, &raisfast.Error{Kind: raisfast.Invalid, Message: err.Error()}
	}
	reply := func(v any) (*string, error) {
		text := encode(v)
		return &text, nil
	}
	switch hook {
	case "scenario":
		return reply(scenario(payload))
	case "probe":
		op, _ := decode(string(event.Body)).(object)
		return reply(runAll(op))
	case "filter_title":
		var body object
		_ = json.Unmarshal(event.Body, &body)
		title, _ := body["title"].(string)
		body["title"] = strings.ToUpper(title)
		return reply(body)
	case "render":
		var body struct {
			Title string `json:"title"`
		}
		_ = json.Unmarshal(event.Body, &body)
		return reply("<p>" + body.Title + "</p>")
	case "action":
		raisfast.Log(raisfast.Info, "action ran")
		return nil, nil
	case "boom":
		return nil, &raisfast.Error{Kind: raisfast.Failed, Message: "boom"}
	}
	return nil, nil
}

func route(req *raisfast.Request) (*raisfast.Response, error) {
	jsonResponse := func(status uint16, v any) *raisfast.Response {
		return &raisfast.Response{
			Status:  status,
			Headers: []raisfast.Header{{Name: "content-type", Value: "application/json"}},
			Body:    []byte(encode(v)),
		}
	}
	lookup := func(pairs [][2]string, key string) any {
		for _, p := range pairs {
			if p[0] == key {
				return p[1]
			}
		}
		return nil
	}
	switch req.Handler {
	case "echo":
		var body any
		if json.Unmarshal(req.Body, &body) != nil {
			body = nil
		}
		return jsonResponse(200, object{
			"method": req.Method, "id": lookup(req.Params, "id"),
			"q": lookup(req.Query, "q"), "body": body,
		}), nil
	case "refuse":
		return jsonResponse(418, object{"error": object{"status": 418, "message": "no coffee"}}), nil
	}
	return nil, &raisfast.Error{Kind: raisfast.NotFound}
}
