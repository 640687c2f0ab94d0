// Hello Go: the smallest useful RaisFast plugin written in Go.
//
//   - on_content_created (an action hook) logs the new item, counts it in KV,
//     records its id in the plugin's table and emits hello.created;
//   - GET /hello greets with the configured greeting, both counters and the
//     number of rows in the table.
//
// `raisfast plugin build` writes the SDK to sdk/raisfast.go (package raisfast)
// and builds this module with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared.
package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	raisfast "hello-go/sdk"
)

// Handlers are registered in init; host calls belong in the handlers.
func init() {
	raisfast.HandleFunc = handle
	raisfast.RouteFunc = route
	// The names handle and route answer to: `plugin check` compares them with
	// the manifest.
	raisfast.Handlers = []string{"on_content_created", "hello"}
}

// counter reads a counter stored in KV as a JSON number; 0 when absent.
func counter(key string) (int, error) {
	v, found, err := raisfast.KvGet(key)
	if err != nil || !found {
		return 0, err
	}
	n, _ := strconv.Atoi(v)
	return n, nil
}

func handle(hook, payload string) (*string, error) {
	if hook != "on_content_created" {
		return nil, nil
	}
	raisfast.Log(raisfast.Info, fmt.Sprintf("new content (%d bytes of JSON)", len(payload)))
	n, err := counter("created")
	if err != nil {
		return nil, err
	}
	if err := raisfast.KvSet("created", strconv.Itoa(n+1), 0); err != nil {
		return nil, err
	}
	// The item's id, into the table of migrations/001_seen.sql.
	var event struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(payload), &event); err != nil {
		return nil, &raisfast.Error{Kind: raisfast.Invalid, Message: err.Error()}
	}
	params, _ := json.Marshal([]string{event.ID})
	if _, _, err := raisfast.DbExecute("INSERT OR IGNORE INTO hello_go_seen (id) VALUES (?)", string(params)); err != nil {
		return nil, err
	}
	// An action's return is ignored; a filter's nil leaves the body unchanged.
	return nil, raisfast.Emit("hello.created", string(params))
}

// seen counts the rows of the plugin's table.
func seen() (int, error) {
	rows, err := raisfast.DbQuery("SELECT COUNT(*) AS n FROM hello_go_seen", "")
	if err != nil {
		return 0, err
	}
	var parsed []struct {
		N int `json:"n"`
	}
	if err := json.Unmarshal([]byte(rows), &parsed); err != nil || len(parsed) != 1 {
		return 0, &raisfast.Error{Kind: raisfast.Failed, Message: "unexpected rows: " + rows}
	}
	return parsed[0].N, nil
}

func route(req *raisfast.Request) (*raisfast.Response, error) {
	if req.Handler != "hello" {
		return nil, &raisfast.Error{Kind: raisfast.NotFound}
	}
	greeting := "Hello"
	if v, found, err := raisfast.ConfigGet("greeting"); err != nil {
		return nil, err
	} else if found {
		_ = json.Unmarshal([]byte(v), &greeting)
	}
	who := "world"
	for _, q := range req.Query {
		if q[0] == "name" {
			who = q[1]
		}
	}
	visits, err := counter("visits")
	if err != nil {
		return nil, err
	}
	if err := raisfast.KvSet("visits", strconv.Itoa(visits+1), 0); err != nil {
		return nil, err
	}
	created, err := counter("created")
	if err != nil {
		return nil, err
	}
	rows, err := seen()
	if err != nil {
		return nil, err
	}
	// The plugin's own files and KV keys.
	previous := ""
	if found, err := raisfast.VfsExists("visits/last.txt"); err != nil {
		return nil, err
	} else if found {
		data, err := raisfast.VfsRead("visits/last.txt")
		if err != nil {
			return nil, err
		}
		previous = string(data)
	}
	if err := raisfast.VfsWrite("visits/last.txt", []byte(who)); err != nil {
		return nil, err
	}
	keys, err := raisfast.KvList("")
	if err != nil {
		return nil, err
	}
	if _, err := raisfast.KvDelete("never-set"); err != nil {
		return nil, err
	}
	if err := raisfast.VfsWrite("tmp/scratch", []byte("x")); err != nil {
		return nil, err
	}
	if err := raisfast.VfsDelete("tmp/scratch"); err != nil {
		return nil, err
	}
	scratchLeft, err := raisfast.VfsExists("tmp/scratch")
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]any{
		"message":          fmt.Sprintf("%s, %s!", greeting, who),
		"visits":           visits + 1,
		"contents_created": created,
		"seen":             rows,
		"previous_visitor": previous,
		"kv_keys":          keys,
		"scratch_left":     scratchLeft,
		"request_id":       raisfast.NewID(),
	})
	return &raisfast.Response{
		Status:  200,
		Headers: []raisfast.Header{{Name: "content-type", Value: "application/json"}},
		Body:    body,
	}, nil
}

// main is not run with -buildmode=c-shared; the host calls the exports.
func main() {}
