/* The runtime LLVM's wasm setjmp/longjmp lowering calls into.
 *
 * With -mllvm -wasm-enable-sjlj, clang rewrites `setjmp(env)` into a call to
 * __wasm_setjmp(env, label, frame_id), rewrites calls that may longjmp into
 * try/catch blocks that catch the `__c_longjmp` exception tag and ask
 * __wasm_setjmp_test(env, frame_id) which setjmp label (if any of this frame)
 * the jump targets, and turns `longjmp(env, v)` into __wasm_longjmp(env, v),
 * which throws `__c_longjmp` with a pointer to {env, value}.
 */
#include <stddef.h>
#include <stdint.h>

struct record {
    void *frame_id;     /* which function invocation called setjmp */
    uint32_t label;     /* which setjmp call site inside it */
    struct payload {
        void *env;
        int value;
    } payload;          /* what longjmp throws */
};

_Static_assert(sizeof(struct record) <= 64, "jmp_buf is 64 bytes");

/* The exception tag: one i32 parameter (the payload pointer). */
__asm__(".globl __c_longjmp\n"
        ".tagtype __c_longjmp i32\n"
        "__c_longjmp:\n");

void __wasm_setjmp(void *env, uint32_t label, void *frame_id) {
    struct record *r = env;
    if (label == 0 || frame_id == NULL) {
        __builtin_trap();
    }
    r->frame_id = frame_id;
    r->label = label;
}

uint32_t __wasm_setjmp_test(void *env, void *frame_id) {
    struct record *r = env;
    if (r->label == 0 || frame_id == NULL) {
        __builtin_trap();
    }
    return r->frame_id == frame_id ? r->label : 0;
}

void __wasm_longjmp(void *env, int value) {
    struct record *r = env;
    r->payload.env = env;
    r->payload.value = value == 0 ? 1 : value;
    __builtin_wasm_throw(1, &r->payload);
}
