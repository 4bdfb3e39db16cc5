/*
 * acc_plugin.h: the C ABI between the acc runtime and a device plugin.
 *
 * A plugin is a shared object that exports one symbol, `acc_plugin_get_api`, returning a table
 * of functions (AccPluginApi). The runtime loads every plugin named by ACC_PLUGIN_PATH (a
 * colon-separated list of `.so` files and of directories whose `.so` files are loaded), and each
 * device a plugin lists appears as `plugin:NAME:N`, NAME being the plugin's platform name and N
 * the device's position in its list. The design is PJRT's (xla/pjrt/c/pjrt_c_api.h), smaller.
 *
 * VERSIONS. ACC_PLUGIN_ABI_MAJOR is bumped when a field of any struct here is removed, retyped or
 * moved; ACC_PLUGIN_ABI_MINOR when a field is appended to a struct (the function table included).
 * The runtime refuses a plugin of another major. Between minors, both sides learn what the other
 * knows from `struct_size`, the first field of every struct: the writer of a struct sets it to
 * the struct's size up to its last field as it was compiled (its ..._STRUCT_SIZE macro, or
 * sizeof), and the reader touches a field only if `struct_size` reaches past it (ACC_STRUCT_HAS).
 * So a 1.0 plugin, whose table ends before the 1.1 entries, works with a 1.1 runtime, which never
 * calls the entries it lacks; a plugin of a later minor works too, the runtime reading no further
 * than its own table; and a plugin reading an argument struct written by an older runtime must
 * check ACC_STRUCT_HAS before reading a field appended after 1.0.
 *   1.0  the first version.
 *   1.1  appended event_on_ready (completion callbacks, so no runtime thread waits on a run) and
 *        device_memory_stats (free device memory, shown by `acctl devices`).
 *
 * CALLING CONVENTIONS. Every entry but error_destroy and error_describe takes one argument struct,
 * whose `struct_size` the caller sets, and returns NULL on success or an AccError the caller owns
 * and frees with error_destroy. Fields marked "out" are written by the plugin; the runtime zeroes
 * them first, so an out field a plugin does not know stays 0. Only C types cross the boundary.
 * Every entry may be called from any thread, concurrently, except that an object is never used
 * while (or after) it is being destroyed. Strings a plugin returns are UTF-8, NUL-terminated and
 * valid for as long as the plugin stays loaded. A plugin stays loaded for the life of the process.
 *
 * LIFETIMES. The runtime keeps an execution's executable and buffers alive, and does not destroy
 * them, until the execution's event is ready. It destroys an event only once it is ready and no
 * thread waits on it; an event_on_ready callback may destroy its event.
 *
 * ORDER. Executions on one device run in the order they were submitted. Copies are synchronous
 * and not ordered with executions in flight: the runtime waits for an execution's event before
 * it reads the execution's outputs or overwrites its inputs.
 *
 * PROGRAMS. executable_compile receives a schedule (DESIGN.md level 2: kernels over planned
 * buffers) as "acc-schedule 1" text, made to be read with strtol and strtod:
 *
 *   acc-schedule 1
 *   schedule <name> <input count> <slot count> <kernel count> <output count>
 *   input <buffer> <dtype> <rank> <dim>...        one per input; buffers 0 ..< input count
 *   slot <buffer> <byte count>                    one per slot; buffers follow the inputs
 *   kernel <name> <kind> <output buffer> <input count> <buffer>... <op count>
 *   param <value> <dtype> <rank> <dim>...         one per kernel input; values 0, 1, ...
 *   op <value> <opcode> <dtype> <rank> <dim>... <operand count> <value>... <attributes>
 *   result <value>                                the value the kernel writes to its output buffer
 *   output <buffer> <dtype> <rank> <dim>...       one per result of the function, in order
 *   end
 *
 * Tokens are separated by one space and lines end with '\n'. Every `kernel` line is followed by
 * its `param` lines, its `op` lines and one `result` line; values count up from 0 across a
 * kernel's params and then its ops, and an op's operands are earlier values of the same kernel.
 * A kernel reads any buffers and writes one slot, never an input. Names are [A-Za-z0-9_.]+, at
 * most 60 characters. A dtype is f32, f16, bf16, i32 or bool; a kind is loop, reduction or
 * contraction (a hint: a plugin may run every kernel the same way). Integers are decimal and fit
 * in int64_t; floating literals are the shortest decimal that reads back to the same double, or
 * inf, -inf, nan. A result is written to its buffer in the byte layout below; a buffer may be
 * larger than the value written to it (slots are reused by values of several types).
 *
 * Opcodes are the `.kir` mnemonics (README.md, "The .kir format"), with the same meaning as the
 * reference interpreter (Sources/KernelIR/Interpreter): every op computes in double and rounds its
 * result once to its dtype (round to nearest even; i32 wraps and divides toward zero, x / 0 = 0;
 * float -> i32 casts truncate and saturate, NaN becoming 0; max and min propagate NaN). Attributes follow the operands; each list
 * is preceded by its length n, and lists of one op share it:
 *
 *   neg abs exp log sqrt rsqrt tanh sigmoid sin cos recip floor sign    (none)
 *   add sub mul div max min pow  eq ne lt le gt ge  select  matmul      (none)
 *   cast broadcast reshape               (none: the target dtype and shape are the op's type)
 *   permute                              <n> <permutation>...
 *   reverse                              <n> <axis>...
 *   slice                                <n> <start>... <limit>... <stride>...
 *   concat  iota                         <axis>
 *   pad                                  <n> <low>... <high>... <value>
 *   reduce_sum reduce_max reduce_min     <n> <axis>... <keep_dims: 0 or 1>
 *   conv                                 <n> <stride>... <padding_low>... <padding_high>... <dilation>... <groups>
 *   constant                             splat <value>  |  elements <count> <value>...
 *   random_uniform random_normal         <seed>   (Philox-4x32-10, as Sources/KernelIR/Interpreter/Philox.swift)
 *
 * For example, softmax over the last axis of an f32[2, 3] (README.md's `.kir` example), whose
 * kernels m and s reuse slot 1 once m's value has been read:
 *
 *   acc-schedule 1
 *   schedule softmax 1 3 4 1
 *   input 0 f32 2 2 3
 *   slot 1 8
 *   slot 2 24
 *   slot 3 24
 *   kernel m reduction 1 1 0 1
 *   param 0 f32 2 2 3
 *   op 1 reduce_max f32 2 2 1 1 0 1 1 1
 *   result 1
 *   kernel e loop 2 2 0 1 3
 *   param 0 f32 2 2 3
 *   param 1 f32 2 2 1
 *   op 2 broadcast f32 2 2 3 1 1
 *   op 3 sub f32 2 2 3 2 0 2
 *   op 4 exp f32 2 2 3 1 3
 *   result 4
 *   kernel s reduction 1 1 2 1
 *   param 0 f32 2 2 3
 *   op 1 reduce_sum f32 2 2 1 1 0 1 1 1
 *   result 1
 *   kernel y loop 3 2 2 1 2
 *   param 0 f32 2 2 3
 *   param 1 f32 2 2 1
 *   op 2 broadcast f32 2 2 3 1 1
 *   op 3 div f32 2 2 3 2 0 2
 *   result 3
 *   output 3 f32 2 2 3
 *   end
 *
 * where `op 1 reduce_max f32 2 2 1 1 0 1 1 1` reads: value 1 is reduce_max, of type f32 with rank
 * 2 and dimensions 2 1, of 1 operand, value 0, over a list of 1 axis, 1, keeping dimensions (1).
 *
 * BYTES. A buffer holds a tensor row-major and little-endian: f32 and i32 in 4 bytes, f16 and
 * bf16 as their 16-bit patterns, bool as one byte 0 or 1.
 */
#ifndef ACC_PLUGIN_H
#define ACC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACC_PLUGIN_ABI_MAJOR 1 /* bumped when a field is removed, retyped or moved */
#define ACC_PLUGIN_ABI_MINOR 1 /* bumped when a field is appended */

/* The symbol every plugin exports. */
#define ACC_PLUGIN_GET_API_SYMBOL "acc_plugin_get_api"

/* The size of `type` up to and including `field`: a struct's size as of the version that
 * appended its last field, without trailing padding. */
#define ACC_STRUCT_SIZE(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
/* Whether the struct at `pointer`, of `type`, was written by a side that knows `field`. */
#define ACC_STRUCT_HAS(pointer, type, field) ((pointer)->struct_size >= ACC_STRUCT_SIZE(type, field))

/* Opaque objects, created and destroyed by the plugin. */
typedef struct AccError AccError;
typedef struct AccDevice AccDevice;
typedef struct AccBuffer AccBuffer;
typedef struct AccExecutable AccExecutable;
typedef struct AccEvent AccEvent;

/* What went wrong, for the runtime to choose its error. */
typedef enum AccErrorCode {
  ACC_ERROR_INVALID_ARGUMENT = 1, /* a wrong size, count or handle */
  ACC_ERROR_OUT_OF_MEMORY = 2,    /* the device has too little free memory */
  ACC_ERROR_INVALID_PROGRAM = 3,  /* executable_compile: the program is malformed or ill-typed */
  ACC_ERROR_UNIMPLEMENTED = 4,    /* an op, dtype or feature the plugin does not support */
  ACC_ERROR_DEVICE_LOST = 5,      /* the device stopped working */
  ACC_ERROR_INTERNAL = 6          /* anything else */
} AccErrorCode;

/* The element types; a device's `dtypes` has bit (1u << dtype) set for each it computes in. */
typedef enum AccDType {
  ACC_DTYPE_F32 = 0,
  ACC_DTYPE_F16 = 1,
  ACC_DTYPE_BF16 = 2,
  ACC_DTYPE_I32 = 3,
  ACC_DTYPE_BOOL = 4
} AccDType;

/* ---- Errors ---------------------------------------------------------------------------- */

typedef struct AccErrorDescribeArgs {
  size_t struct_size;
  const AccError *error;
  int32_t code;          /* out: an AccErrorCode */
  const char *message;   /* out: what is wrong and what to try; valid until the error is destroyed */
  size_t message_size;   /* out: bytes, without the terminating NUL */
} AccErrorDescribeArgs;
#define ACC_ERROR_DESCRIBE_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccErrorDescribeArgs, message_size)

/* ---- The plugin and its devices -------------------------------------------------------- */

/* Called once per load, before any other entry but error_destroy and error_describe; an error
 * makes the runtime skip the plugin with a warning that quotes the message. */
typedef struct AccPluginInitializeArgs {
  size_t struct_size;
  const char *platform_name;    /* out: [a-z0-9_]+, the NAME of the device ids plugin:NAME:N */
  const char *platform_version; /* out: free text, e.g. "example 1.0" */
} AccPluginInitializeArgs;
#define ACC_PLUGIN_INITIALIZE_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccPluginInitializeArgs, platform_version)

typedef struct AccDeviceListArgs {
  size_t struct_size;
  AccDevice *const *devices; /* out: valid for as long as the plugin stays loaded */
  size_t device_count;       /* out */
} AccDeviceListArgs;
#define ACC_DEVICE_LIST_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccDeviceListArgs, device_count)

typedef struct AccDeviceDescribeArgs {
  size_t struct_size;
  AccDevice *device;
  const char *name;           /* out: the hardware's name */
  const char *vendor;         /* out */
  int64_t compute_units;      /* out: cores, compute units or matrix units */
  int64_t memory_bytes;       /* out: memory buffers can be allocated from */
  uint32_t dtypes;            /* out: bit (1u << AccDType) per dtype the device computes in */
  double peak_gflops;         /* out: peak f32 GFLOP/s, 0 when unknown */
  double peak_bandwidth_gbps; /* out: peak memory bandwidth in GB/s, 0 when unknown */
} AccDeviceDescribeArgs;
#define ACC_DEVICE_DESCRIBE_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccDeviceDescribeArgs, peak_bandwidth_gbps)

/* 1.1 */
typedef struct AccDeviceMemoryStatsArgs {
  size_t struct_size;
  AccDevice *device;
  int64_t bytes_in_use; /* out: bytes held by live buffers */
  int64_t bytes_free;   /* out: bytes that can still be allocated */
} AccDeviceMemoryStatsArgs;
#define ACC_DEVICE_MEMORY_STATS_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccDeviceMemoryStatsArgs, bytes_free)

/* ---- Buffers --------------------------------------------------------------------------- */

typedef struct AccBufferAllocateArgs {
  size_t struct_size;
  AccDevice *device;
  size_t byte_count;
  AccBuffer *buffer; /* out: uninitialised memory */
} AccBufferAllocateArgs;
#define ACC_BUFFER_ALLOCATE_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccBufferAllocateArgs, buffer)

typedef struct AccBufferDestroyArgs {
  size_t struct_size;
  AccBuffer *buffer;
} AccBufferDestroyArgs;
#define ACC_BUFFER_DESTROY_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccBufferDestroyArgs, buffer)

/* Copies exactly the buffer's size; another `byte_count` is ACC_ERROR_INVALID_ARGUMENT. */
typedef struct AccBufferCopyFromHostArgs {
  size_t struct_size;
  AccBuffer *buffer;
  const void *data;
  size_t byte_count;
} AccBufferCopyFromHostArgs;
#define ACC_BUFFER_COPY_FROM_HOST_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccBufferCopyFromHostArgs, byte_count)

typedef struct AccBufferCopyToHostArgs {
  size_t struct_size;
  AccBuffer *buffer;
  void *data;
  size_t byte_count;
} AccBufferCopyToHostArgs;
#define ACC_BUFFER_COPY_TO_HOST_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccBufferCopyToHostArgs, byte_count)

/* ---- Executables ----------------------------------------------------------------------- */

/* Compiles "acc-schedule 1" text (PROGRAMS above); a program the plugin cannot read is
 * ACC_ERROR_INVALID_PROGRAM with the line at fault, one it cannot run ACC_ERROR_UNIMPLEMENTED. */
typedef struct AccExecutableCompileArgs {
  size_t struct_size;
  AccDevice *device;
  const char *program;       /* not NUL-terminated */
  size_t program_size;       /* bytes */
  AccExecutable *executable; /* out */
} AccExecutableCompileArgs;
#define ACC_EXECUTABLE_COMPILE_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccExecutableCompileArgs, executable)

typedef struct AccExecutableDestroyArgs {
  size_t struct_size;
  AccExecutable *executable;
} AccExecutableDestroyArgs;
#define ACC_EXECUTABLE_DESTROY_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccExecutableDestroyArgs, executable)

/* Runs the program once: input i is buffer i of the schedule, and output j receives its j-th
 * `output`. The runtime passes buffers of exactly the types' sizes, all of the executable's
 * device; one buffer may be both an input and an output. A plugin that runs the program before
 * returning sets no event and returns the run's error here; otherwise an error returned here
 * means nothing ran, and one found while running is reported by the event. */
typedef struct AccExecutableExecuteArgs {
  size_t struct_size;
  AccExecutable *executable;
  AccBuffer *const *inputs;
  size_t input_count;
  AccBuffer *const *outputs;
  size_t output_count;
  AccEvent *event; /* out: completes when the outputs are written; NULL if they already are */
} AccExecutableExecuteArgs;
#define ACC_EXECUTABLE_EXECUTE_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccExecutableExecuteArgs, event)

/* ---- Events ---------------------------------------------------------------------------- */

/* Blocks until the event is ready; returns the run's error (a new AccError per call) or NULL. */
typedef struct AccEventAwaitArgs {
  size_t struct_size;
  AccEvent *event;
} AccEventAwaitArgs;
#define ACC_EVENT_AWAIT_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccEventAwaitArgs, event)

typedef struct AccEventDestroyArgs {
  size_t struct_size;
  AccEvent *event;
} AccEventDestroyArgs;
#define ACC_EVENT_DESTROY_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccEventDestroyArgs, event)

/* 1.1: called once, on any thread (at once if the event is already ready), with the run's error
 * (owned by the callback) or NULL. */
typedef void (*AccEventCallback)(AccError *error, void *user_data);

typedef struct AccEventOnReadyArgs {
  size_t struct_size;
  AccEvent *event;
  AccEventCallback callback;
  void *user_data;
} AccEventOnReadyArgs;
#define ACC_EVENT_ON_READY_ARGS_STRUCT_SIZE ACC_STRUCT_SIZE(AccEventOnReadyArgs, user_data)

/* ---- The table ------------------------------------------------------------------------- */

typedef struct AccPluginApi {
  size_t struct_size;   /* ACC_PLUGIN_API_STRUCT_SIZE as the plugin was compiled: which entries exist */
  uint32_t abi_major;   /* ACC_PLUGIN_ABI_MAJOR as the plugin was compiled */
  uint32_t abi_minor;   /* ACC_PLUGIN_ABI_MINOR as the plugin was compiled */

  /* 1.0 */
  void (*error_destroy)(AccError *error);
  void (*error_describe)(AccErrorDescribeArgs *args);
  AccError *(*plugin_initialize)(AccPluginInitializeArgs *args);
  AccError *(*device_list)(AccDeviceListArgs *args);
  AccError *(*device_describe)(AccDeviceDescribeArgs *args);
  AccError *(*buffer_allocate)(AccBufferAllocateArgs *args);
  AccError *(*buffer_destroy)(AccBufferDestroyArgs *args);
  AccError *(*buffer_copy_from_host)(AccBufferCopyFromHostArgs *args);
  AccError *(*buffer_copy_to_host)(AccBufferCopyToHostArgs *args);
  AccError *(*executable_compile)(AccExecutableCompileArgs *args);
  AccError *(*executable_destroy)(AccExecutableDestroyArgs *args);
  AccError *(*executable_execute)(AccExecutableExecuteArgs *args);
  AccError *(*event_await)(AccEventAwaitArgs *args);
  AccError *(*event_destroy)(AccEventDestroyArgs *args);

  /* 1.1 */
  AccError *(*event_on_ready)(AccEventOnReadyArgs *args);
  AccError *(*device_memory_stats)(AccDeviceMemoryStatsArgs *args);
} AccPluginApi;
#define ACC_PLUGIN_API_STRUCT_SIZE ACC_STRUCT_SIZE(AccPluginApi, device_memory_stats)
/* The table's size at 1.0, for plugins built against it. */
#define ACC_PLUGIN_API_STRUCT_SIZE_1_0 ACC_STRUCT_SIZE(AccPluginApi, event_destroy)

/* The one symbol a plugin exports: its table, static and valid for as long as it is loaded. */
const AccPluginApi *acc_plugin_get_api(void);

#ifdef __cplusplus
}
#endif

#endif /* ACC_PLUGIN_H */
