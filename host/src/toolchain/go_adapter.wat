;; Minimal wasi_snapshot_preview1 adapter for Go (GOOS=wasip1) components.
;;
;; The stock wasi_snapshot_preview1.reactor.wasm keeps state and a 64 KiB
;; shadow stack that it allocates either through the main module's
;; cabi_realloc (a Go export, which cannot run while Go's `_initialize` is
;; itself calling WASI) or through memory.grow (which Go's sbrk does not know
;; about: Go's heap later overwrites those pages). This adapter allocates
;; nothing: no stack, no state, no realloc. Its only scratch memory is 16
;; bytes at address 4096, inside the 8 KiB that the Go linker reserves below
;; its data (wasmMinDataAddr = 12288) for GOOS=js's wasm_exec.js and never
;; uses on wasip1.
;;
;; Go's collector reads the monotonic clock, and a collection may start in
;; an allocation made by `cabi_realloc` while the host hands the module
;; arguments or results, when a component may not call the host. The
;; bindings' runtime (go.bytecodealliance.org/pkg/wit/runtime) pauses the
;; clock around those allocations with `adapter_monotonic_clock_set_paused`;
;; while paused, the clocks answer the last time they read, with no host call.
;;
;; What it provides: clocks, random, sleeping (poll_oneoff on one clock),
;; proc_exit, empty args/environ, stdout/stderr writes that are accepted and
;; dropped (the host gives plugins no stdio), no files (no preopens, EBADF).
(module
  (import "env" "memory" (memory 0))
  (import "wasi:random/random@0.2.0" "get-random-u64" (func $rand64 (result i64)))
  (import "wasi:clocks/monotonic-clock@0.2.0" "now" (func $mono_now (result i64)))
  (import "wasi:clocks/monotonic-clock@0.2.0" "subscribe-instant" (func $sub_instant (param i64) (result i32)))
  (import "wasi:clocks/monotonic-clock@0.2.0" "subscribe-duration" (func $sub_duration (param i64) (result i32)))
  (import "wasi:clocks/wall-clock@0.2.0" "now" (func $wall_now (param i32)))
  (import "wasi:io/poll@0.2.0" "[method]pollable.block" (func $block (param i32)))
  (import "wasi:io/poll@0.2.0" "[resource-drop]pollable" (func $drop_pollable (param i32)))
  (import "wasi:cli/exit@0.2.0" "exit" (func $exit (param i32)))

  (global $paused (mut i32) (i32.const 0))
  (global $last_mono (mut i64) (i64.const 0))
  (global $last_wall (mut i64) (i64.const 0))

  (func (export "adapter_monotonic_clock_set_paused") (param $paused i32)
    (global.set $paused (local.get $paused)))

  ;; errno
  ;; 0 SUCCESS, 8 BADF, 28 INVAL, 70 SPIPE

  (func $walltime (result i64)
    (call $wall_now (i32.const 4096))          ;; datetime {seconds u64 @0, nanoseconds u32 @8}
    (i64.add
      (i64.mul (i64.load (i32.const 4096)) (i64.const 1000000000))
      (i64.extend_i32_u (i32.load (i32.const 4104)))))

  (func (export "clock_time_get") (param $id i32) (param $precision i64) (param $out i32) (result i32)
    (if (i32.eqz (local.get $id))
      (then
        (if (i32.eqz (global.get $paused)) (then (global.set $last_wall (call $walltime))))
        (i64.store (local.get $out) (global.get $last_wall))
        (return (i32.const 0))))
    (if (i32.eq (local.get $id) (i32.const 1))
      (then
        (if (i32.eqz (global.get $paused)) (then (global.set $last_mono (call $mono_now))))
        (i64.store (local.get $out) (global.get $last_mono))
        (return (i32.const 0))))
    (i32.const 28))

  (func (export "random_get") (param $buf i32) (param $len i32) (result i32)
    (local $i i32) (local $r i64)
    (block $done
      (loop $words
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $len)))
        (i64.store (i32.add (local.get $buf) (local.get $i)) (call $rand64))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $words)))
    (if (i32.lt_u (local.get $i) (local.get $len))
      (then
        (local.set $r (call $rand64))
        (loop $bytes
          (i64.store8 (i32.add (local.get $buf) (local.get $i)) (local.get $r))
          (local.set $r (i64.shr_u (local.get $r) (i64.const 8)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $bytes (i32.lt_u (local.get $i) (local.get $len))))))
    (i32.const 0))

  (func (export "args_sizes_get") (param $argc i32) (param $size i32) (result i32)
    (i32.store (local.get $argc) (i32.const 0))
    (i32.store (local.get $size) (i32.const 0))
    (i32.const 0))
  (func (export "args_get") (param i32 i32) (result i32) (i32.const 0))
  (func (export "environ_sizes_get") (param $n i32) (param $size i32) (result i32)
    (i32.store (local.get $n) (i32.const 0))
    (i32.store (local.get $size) (i32.const 0))
    (i32.const 0))
  (func (export "environ_get") (param i32 i32) (result i32) (i32.const 0))

  (func (export "sched_yield") (result i32) (i32.const 0))

  (func (export "proc_exit") (param $code i32)
    (call $exit (i32.ne (local.get $code) (i32.const 0)))   ;; result<_, _>: 0 ok, 1 err
    unreachable)

  ;; stdout/stderr: accept and drop (the host's WASI context has no stdio).
  (func (export "fd_write") (param $fd i32) (param $iovs i32) (param $n i32) (param $written i32) (result i32)
    (local $i i32) (local $sum i32)
    (if (i32.gt_u (i32.sub (local.get $fd) (i32.const 1)) (i32.const 1))
      (then (return (i32.const 8))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i32.add (local.get $sum)
          (i32.load offset=4 (i32.add (local.get $iovs) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.store (local.get $written) (local.get $sum))
    (i32.const 0))

  ;; stdin: always at end of file.
  (func (export "fd_read") (param $fd i32) (param i32 i32) (param $nread i32) (result i32)
    (if (local.get $fd) (then (return (i32.const 8))))
    (i32.store (local.get $nread) (i32.const 0))
    (i32.const 0))

  ;; fds 0-2 are character devices; nothing else exists.
  (func (export "fd_fdstat_get") (param $fd i32) (param $buf i32) (result i32)
    (if (i32.ge_u (local.get $fd) (i32.const 3)) (then (return (i32.const 8))))
    (i64.store (local.get $buf) (i64.const 2))        ;; filetype CHARACTER_DEVICE @0, flags @2 = 0
    (i64.store offset=8 (local.get $buf) (i64.const -1)) ;; rights_base
    (i64.store offset=16 (local.get $buf) (i64.const 0)) ;; rights_inheriting
    (i32.const 0))
  (func (export "fd_close") (param $fd i32) (result i32)
    (select (i32.const 0) (i32.const 8) (i32.lt_u (local.get $fd) (i32.const 3))))
  (func (export "fd_seek") (param $fd i32) (param i64 i32 i32) (result i32)
    (select (i32.const 70) (i32.const 8) (i32.lt_u (local.get $fd) (i32.const 3))))
  (func (export "fd_prestat_get") (param i32 i32) (result i32) (i32.const 8))
  (func (export "fd_prestat_dir_name") (param i32 i32 i32) (result i32) (i32.const 8))
  (func (export "fd_fdstat_set_flags") (param i32 i32) (result i32) (i32.const 8))
  (func (export "fd_fdstat_set_rights") (param i32 i64 i64) (result i32) (i32.const 8))
  (func (export "fd_filestat_get") (param i32 i32) (result i32) (i32.const 8))
  (func (export "fd_filestat_set_size") (param i32 i64) (result i32) (i32.const 8))
  (func (export "fd_pread") (param i32 i32 i32 i64 i32) (result i32) (i32.const 8))
  (func (export "fd_pwrite") (param i32 i32 i32 i64 i32) (result i32) (i32.const 8))
  (func (export "fd_readdir") (param i32 i32 i32 i64 i32) (result i32) (i32.const 8))
  (func (export "fd_sync") (param i32) (result i32) (i32.const 8))
  (func (export "path_create_directory") (param i32 i32 i32) (result i32) (i32.const 8))
  (func (export "path_filestat_get") (param i32 i32 i32 i32 i32) (result i32) (i32.const 8))
  (func (export "path_filestat_set_times") (param i32 i32 i32 i32 i64 i64 i32) (result i32) (i32.const 8))
  (func (export "path_link") (param i32 i32 i32 i32 i32 i32 i32) (result i32) (i32.const 8))
  (func (export "path_open") (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32) (i32.const 8))
  (func (export "path_readlink") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const 8))
  (func (export "path_remove_directory") (param i32 i32 i32) (result i32) (i32.const 8))
  (func (export "path_rename") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const 8))
  (func (export "path_symlink") (param i32 i32 i32 i32 i32) (result i32) (i32.const 8))
  (func (export "path_unlink_file") (param i32 i32 i32) (result i32) (i32.const 8))
  (func (export "sock_accept") (param i32 i32 i32) (result i32) (i32.const 8))
  (func (export "sock_shutdown") (param i32 i32) (result i32) (i32.const 8))

  ;; Sleeping: waits on the first clock subscription (Go's usleep and its
  ;; timer-driven netpoll use exactly one) and reports it as the one event.
  ;; subscription: userdata u64 @0, tag u8 @8 (0 = clock), clock id u32 @16,
  ;; timeout u64 @24, precision u64 @32, flags u16 @40 (1 = absolute); size 48.
  ;; event: userdata u64 @0, error u16 @8, type u8 @10, fd_readwrite @16; size 32.
  (func (export "poll_oneoff") (param $in i32) (param $out i32) (param $nsubs i32) (param $nevents i32) (result i32)
    (local $i i32) (local $p i32) (local $t i64) (local $now i64) (local $h i32)
    (local.set $p (i32.const -1))
    (block $found
      (loop $each
        (br_if $found (i32.ge_u (local.get $i) (local.get $nsubs)))
        (if (i32.eqz (i32.load8_u offset=8 (i32.add (local.get $in) (i32.mul (local.get $i) (i32.const 48)))))
          (then
            (local.set $p (i32.add (local.get $in) (i32.mul (local.get $i) (i32.const 48))))
            (br $found)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (if (i32.eq (local.get $p) (i32.const -1)) (then (return (i32.const 28))))
    (local.set $t (i64.load offset=24 (local.get $p)))
    (if (i32.and (i32.load16_u offset=40 (local.get $p)) (i32.const 1))
      (then
        (if (i32.eq (i32.load offset=16 (local.get $p)) (i32.const 1))
          (then (local.set $h (call $sub_instant (local.get $t))))
          (else
            (local.set $now (call $walltime))
            (local.set $h (call $sub_duration
              (select (i64.sub (local.get $t) (local.get $now)) (i64.const 0)
                      (i64.gt_u (local.get $t) (local.get $now))))))))
      (else (local.set $h (call $sub_duration (local.get $t)))))
    (call $block (local.get $h))
    (call $drop_pollable (local.get $h))
    (i64.store (local.get $out) (i64.load (local.get $p)))   ;; userdata
    (i64.store offset=8 (local.get $out) (i64.const 0))      ;; error = 0, type = clock
    (i64.store offset=16 (local.get $out) (i64.const 0))
    (i64.store offset=24 (local.get $out) (i64.const 0))
    (i32.store (local.get $nevents) (i32.const 1))
    (i32.const 0))
)
