// A RaisFast plugin in Go. `raisfast plugin build` writes the SDK to
// sdk/raisfast.go and builds this module with GOOS=wasip1 GOARCH=wasm.
package main

import (
	"encoding/json"
	"fmt"

	raisfast "MODULE/sdk"
)

func init() {
	raisfast.HandleFunc = handle
	raisfast.RouteFunc = route
	// The names handle and route answer to: `plugin check` compares them with
	// the manifest.
	raisfast.Handlers = []string{"on_content_created"}
}

// handle runs hooks, events and cron jobs: hook names it, payload is its JSON
// envelope. Return a new body (JSON) for a filter, or nil.
func handle(hook, payload string) (*string, error) {
	if hook == "on_content_created" {
		var event struct {
			ID any `json:"id"`
		}
		if err := json.Unmarshal([]byte(payload), &event); err != nil {
			return nil, &raisfast.Error{Kind: raisfast.Invalid, Message: err.Error()}
		}
		raisfast.Log(raisfast.Info, fmt.Sprintf("new content: %v", event.ID))
	}
	return nil, nil
}

// route serves [[routes]]: this plugin has none yet.
func route(req *raisfast.Request) (*raisfast.Response, error) {
	return nil, &raisfast.Error{Kind: raisfast.NotFound}
}

func main() {}
