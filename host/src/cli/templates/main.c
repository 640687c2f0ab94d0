// A RaisFast plugin in C. `raisfast plugin build` writes sdk/plugin.h (the
// host API and the two functions below, from wit-bindgen's C generator) and
// compiles this directory's *.c files with clang-22 for wasm32-wasip1.
//
// Ownership: arguments of the exported functions belong to them (free them);
// strings put in `ret` or `err` are freed after the host has read them
// (allocate them with malloc or plugin_string_dup).

#include "plugin.h"
#include <stdio.h>
#include <string.h>

static void log_info(const char *message) {
    plugin_string_t msg;
    plugin_string_set(&msg, message);
    plugin_list_tuple2_string_string_t no_fields = {NULL, 0};
    raisfast_plugin_log_log(RAISFAST_PLUGIN_LOG_LEVEL_INFO, &msg, &no_fields);
}

// Hooks, events, cron jobs: `hook` names it, `payload` is its JSON envelope.
bool exports_raisfast_plugin_guest_handle(plugin_string_t *hook, plugin_string_t *payload,
                                          exports_raisfast_plugin_guest_option_json_t *ret,
                                          raisfast_plugin_types_error_t *err) {
    (void)err;
    ret->is_some = false; // no new body
    if (hook->len == strlen("raisfast:handlers") &&
        memcmp(hook->ptr, "raisfast:handlers", hook->len) == 0) {
        // The names this plugin answers to: `plugin check` compares them with the manifest.
        ret->is_some = true;
        plugin_string_dup(&ret->val, "[\"on_content_created\"]");
    } else if (hook->len == strlen("on_content_created") &&
        memcmp(hook->ptr, "on_content_created", hook->len) == 0) {
        char line[80];
        snprintf(line, sizeof line, "new content (%zu bytes of JSON)", payload->len);
        log_info(line);
    }
    plugin_string_free(hook);
    plugin_string_free(payload);
    return true;
}

// Routes of [[routes]]: this plugin has none yet.
bool exports_raisfast_plugin_guest_route(raisfast_plugin_types_route_request_t *req,
                                         raisfast_plugin_types_route_response_t *ret,
                                         raisfast_plugin_types_error_t *err) {
    (void)ret;
    raisfast_plugin_types_route_request_free(req);
    err->tag = RAISFAST_PLUGIN_TYPES_ERROR_NOT_FOUND;
    return false;
}
