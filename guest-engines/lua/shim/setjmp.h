/* setjmp/longjmp for wasm32 guests built with LLVM's wasm exception-handling
 * lowering (-mllvm -wasm-enable-sjlj). Debian's wasi-libc (2022) predates it, so
 * RaisFast supplies this header and the runtime in setjmp_rt.c. */
#ifndef _SETJMP_H
#define _SETJMP_H

#ifdef __cplusplus
extern "C" {
#endif

/* Room for the runtime's record (see setjmp_rt.c): 64 bytes, 8-aligned. */
typedef struct { unsigned long long __storage[8]; } jmp_buf[1];

int setjmp(jmp_buf env) __attribute__((returns_twice));
_Noreturn void longjmp(jmp_buf env, int value);

#define _setjmp setjmp
#define _longjmp longjmp

#ifdef __cplusplus
}
#endif

#endif
