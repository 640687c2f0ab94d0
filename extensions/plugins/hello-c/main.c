// Hello C: the smallest useful RaisFast plugin written in C.
//
// - `on_content_created` (an action hook) logs the new item and counts it in KV;
// - `GET /hello` greets with the configured greeting and both counters.
//
// `raisfast plugin build` writes `sdk/plugin.h` (the host API and the two
// functions a plugin defines, from wit-bindgen's C generator) and compiles
// this file with clang-22 for wasm32-wasip1.
//
// Ownership follows wit-bindgen: arguments passed to the exported functions
// belong to them (free them); strings put in `ret` or `err` are freed by the
// host's post-return call (allocate them with malloc / plugin_string_dup);
// what a host call returns belongs to the caller.

#include "plugin.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void log_info(const char *message) {
    plugin_string_t msg;
    plugin_string_set(&msg, message);
    plugin_list_tuple2_string_string_t no_fields = {NULL, 0};
    raisfast_plugin_log_log(RAISFAST_PLUGIN_LOG_LEVEL_INFO, &msg, &no_fields);
}

// Reads a counter (JSON number) from KV; 0 when absent. Errors go to `err`.
static bool kv_counter(const char *key, unsigned long long *out, raisfast_plugin_types_error_t *err) {
    plugin_string_t k;
    plugin_string_set(&k, key);
    raisfast_plugin_kv_option_json_t value;
    if (!raisfast_plugin_kv_get(&k, &value, err)) return false;
    *out = 0;
    if (value.is_some) {
        char buf[32] = {0};
        memcpy(buf, value.val.ptr, value.val.len < sizeof buf - 1 ? value.val.len : sizeof buf - 1);
        *out = strtoull(buf, NULL, 10);
        plugin_string_free(&value.val);
    }
    return true;
}

static bool kv_set_counter(const char *key, unsigned long long n, raisfast_plugin_types_error_t *err) {
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", n);
    plugin_string_t k, v;
    plugin_string_set(&k, key);
    plugin_string_set(&v, buf);
    return raisfast_plugin_kv_set(&k, &v, NULL, err);
}

bool exports_raisfast_plugin_guest_handle(plugin_string_t *hook,
                                          plugin_string_t *payload,
                                          exports_raisfast_plugin_guest_option_json_t *ret,
                                          raisfast_plugin_types_error_t *err) {
    bool ok = true;
    ret->is_some = false; // an action's return is ignored; a filter's none = unchanged
    if (hook->len == strlen("raisfast:handlers") &&
        memcmp(hook->ptr, "raisfast:handlers", hook->len) == 0) {
        // The names this plugin answers to: `plugin check` compares them with the manifest.
        ret->is_some = true;
        plugin_string_dup(&ret->val, "[\"on_content_created\", \"hello\"]");
    } else if (hook->len == strlen("on_content_created") &&
        memcmp(hook->ptr, "on_content_created", hook->len) == 0) {
        char line[96];
        snprintf(line, sizeof line, "new content (%zu bytes of JSON)", payload->len);
        log_info(line);
        unsigned long long created = 0;
        ok = kv_counter("created", &created, err) && kv_set_counter("created", created + 1, err);
    }
    plugin_string_free(hook);
    plugin_string_free(payload);
    return ok;
}

// The value of query parameter `name`, or `fallback`, copied into `out`.
static void query_value(const raisfast_plugin_types_route_request_t *req, const char *name,
                        const char *fallback, char *out, size_t cap) {
    snprintf(out, cap, "%s", fallback);
    for (size_t i = 0; i < req->query.len; i++) {
        const plugin_tuple2_string_string_t *q = &req->query.ptr[i];
        if (q->f0.len == strlen(name) && memcmp(q->f0.ptr, name, q->f0.len) == 0) {
            snprintf(out, cap, "%.*s", (int)q->f1.len, (const char *)q->f1.ptr);
        }
    }
}

// The greeting from config (a JSON string, quotes removed), or "Hello".
static bool greeting(char *out, size_t cap, raisfast_plugin_types_error_t *err) {
    plugin_string_t key;
    plugin_string_set(&key, "greeting");
    raisfast_plugin_config_option_json_t value;
    if (!raisfast_plugin_config_get(&key, &value, err)) return false;
    snprintf(out, cap, "Hello");
    if (value.is_some) {
        if (value.val.len >= 2 && value.val.ptr[0] == '"') {
            snprintf(out, cap, "%.*s", (int)value.val.len - 2, (const char *)value.val.ptr + 1);
        }
        plugin_string_free(&value.val);
    }
    return true;
}

bool exports_raisfast_plugin_guest_route(raisfast_plugin_types_route_request_t *req,
                                         raisfast_plugin_types_route_response_t *ret,
                                         raisfast_plugin_types_error_t *err) {
    bool ok = false;
    if (req->handler.len == 5 && memcmp(req->handler.ptr, "hello", 5) == 0) {
        char hello[64], who[64];
        unsigned long long visits = 0, created = 0;
        query_value(req, "name", "world", who, sizeof who);
        ok = greeting(hello, sizeof hello, err) && kv_counter("visits", &visits, err) &&
             kv_set_counter("visits", visits + 1, err) && kv_counter("created", &created, err);
        if (ok) {
            // Names and greetings with quotes or backslashes are out of this example's scope.
            char body[256];
            int n = snprintf(body, sizeof body,
                             "{\"message\":\"%s, %s!\",\"visits\":%llu,\"contents_created\":%llu}",
                             hello, who, visits + 1, created);
            ret->status = 200;
            ret->headers.len = 1;
            ret->headers.ptr = malloc(sizeof(raisfast_plugin_types_header_t));
            plugin_string_dup(&ret->headers.ptr[0].name, "content-type");
            plugin_string_dup(&ret->headers.ptr[0].value, "application/json");
            ret->body.len = (size_t)n;
            ret->body.ptr = malloc((size_t)n);
            memcpy(ret->body.ptr, body, (size_t)n);
        }
    } else {
        err->tag = RAISFAST_PLUGIN_TYPES_ERROR_NOT_FOUND;
    }
    raisfast_plugin_types_route_request_free(req);
    return ok;
}
