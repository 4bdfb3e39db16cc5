/*
 * The example acc plugin: one device, `plugin:example:0`, whose memory is host memory and which
 * runs "acc-schedule 1" programs on a worker thread, in submission order, reporting completion
 * through events. It is written against acc_plugin.h alone, as a third party would write one.
 *
 * scripts/build-plugins.sh builds it from every .c file here with the system C compiler:
 *   cc -std=gnu11 -O2 -fPIC -shared -fvisibility=hidden -ffp-contract=off -pthread
 *      -I Sources/CAccPlugin/include <the .c files> -lm -o libacc_example.so
 *
 * Variants for the loader's tests, chosen with -D:
 *   EXAMPLE_ABI_MAJOR=n       report ABI major n (the runtime must refuse any but its own)
 *   EXAMPLE_ABI_MINOR=0       a 1.0 table: shorter, whose 1.1 entries trap if ever called
 *   EXAMPLE_ABI_MINOR=2       a table from a future 1.2, with an entry appended that traps if called
 *   EXAMPLE_ENTRY_POINT=name  export the table under another name (no acc_plugin_get_api)
 *   EXAMPLE_OMIT_COMPILE      leave executable_compile out of the table
 *   EXAMPLE_FAIL_INIT         fail plugin_initialize
 *   EXAMPLE_SYNCHRONOUS       run programs inside executable_execute and return no event
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"

#ifndef EXAMPLE_ABI_MAJOR
#define EXAMPLE_ABI_MAJOR ACC_PLUGIN_ABI_MAJOR
#endif
#ifndef EXAMPLE_ABI_MINOR
#define EXAMPLE_ABI_MINOR ACC_PLUGIN_ABI_MINOR
#endif
#ifndef EXAMPLE_ENTRY_POINT
#define EXAMPLE_ENTRY_POINT acc_plugin_get_api
#endif
/* Entries some variants leave out of the table. */
#define VARIANT_ENTRY __attribute__((unused))

/* ---- Errors ----------------------------------------------------------------------------- */

struct AccError {
  int32_t code;
  size_t size;
  char message[];
};

AccError *example_error(AccErrorCode code, const char *format, ...) {
  va_list arguments;
  va_start(arguments, format);
  int length = vsnprintf(NULL, 0, format, arguments);
  va_end(arguments);
  if (length < 0) length = 0;
  AccError *error = malloc(sizeof *error + (size_t)length + 1);
  if (!error) return NULL; /* the runtime reads NULL as success; nothing better is possible here */
  error->code = code;
  error->size = (size_t)length;
  va_start(arguments, format);
  vsnprintf(error->message, (size_t)length + 1, format, arguments);
  va_end(arguments);
  return error;
}

static void error_destroy(AccError *error) { free(error); }

static void error_describe(AccErrorDescribeArgs *args) {
  args->code = args->error->code;
  args->message = args->error->message;
  args->message_size = args->error->size;
}

/* ---- The device ------------------------------------------------------------------------- */

typedef struct Job Job;

struct AccDevice {
  pthread_mutex_t lock; /* guards every field below */
  pthread_cond_t work;
  int64_t capacity;
  int64_t bytes_in_use;
  Job *head, *tail;
  int has_worker;
};

static AccDevice the_device = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, (int64_t)1 << 30, 0, NULL, NULL, 0};
static AccDevice *const devices[1] = {&the_device};

static AccError *plugin_initialize(AccPluginInitializeArgs *args) {
#ifdef EXAMPLE_FAIL_INIT
  (void)args;
  return example_error(ACC_ERROR_INTERNAL, "the example plugin was built with -DEXAMPLE_FAIL_INIT and refuses to start");
#else
  args->platform_name = "example";
  args->platform_version = "example 1.0 (host memory, double-precision reference kernels)";
  return NULL;
#endif
}

static AccError *device_list(AccDeviceListArgs *args) {
  args->devices = devices;
  args->device_count = 1;
  return NULL;
}

static AccError *check_device(const AccDevice *device) {
  return device == &the_device ? NULL : example_error(ACC_ERROR_INVALID_ARGUMENT, "not a device of the example plugin");
}

static AccError *device_describe(AccDeviceDescribeArgs *args) {
  AccError *error = check_device(args->device);
  if (error) return error;
  args->name = "example host device";
  args->vendor = "acc example plugin";
  args->compute_units = 1;
  args->memory_bytes = the_device.capacity;
  args->dtypes = (1u << ACC_DTYPE_F32) | (1u << ACC_DTYPE_F16) | (1u << ACC_DTYPE_BF16) | (1u << ACC_DTYPE_I32) | (1u << ACC_DTYPE_BOOL);
  args->peak_gflops = 0;
  args->peak_bandwidth_gbps = 0;
  return NULL;
}

VARIANT_ENTRY static AccError *device_memory_stats(AccDeviceMemoryStatsArgs *args) {
  AccError *error = check_device(args->device);
  if (error) return error;
  pthread_mutex_lock(&the_device.lock);
  args->bytes_in_use = the_device.bytes_in_use;
  args->bytes_free = the_device.capacity - the_device.bytes_in_use;
  pthread_mutex_unlock(&the_device.lock);
  return NULL;
}

/* ---- Buffers ---------------------------------------------------------------------------- */

struct AccBuffer {
  AccDevice *device;
  size_t byte_count;
  unsigned char *data;
};

static AccError *buffer_allocate(AccBufferAllocateArgs *args) {
  AccError *error = check_device(args->device);
  if (error) return error;
  pthread_mutex_lock(&the_device.lock);
  int64_t available = the_device.capacity - the_device.bytes_in_use;
  int fits = args->byte_count <= (size_t)available;
  if (fits) the_device.bytes_in_use += (int64_t)args->byte_count;
  pthread_mutex_unlock(&the_device.lock);
  if (!fits)
    return example_error(ACC_ERROR_OUT_OF_MEMORY, "cannot allocate %zu bytes: %lld of %lld bytes are free", args->byte_count,
                         (long long)available, (long long)the_device.capacity);
  AccBuffer *buffer = malloc(sizeof *buffer);
  unsigned char *data = malloc(args->byte_count ? args->byte_count : 1);
  if (!buffer || !data) {
    free(buffer);
    free(data);
    pthread_mutex_lock(&the_device.lock);
    the_device.bytes_in_use -= (int64_t)args->byte_count;
    pthread_mutex_unlock(&the_device.lock);
    return example_error(ACC_ERROR_OUT_OF_MEMORY, "the host refused %zu bytes", args->byte_count);
  }
  *buffer = (AccBuffer){&the_device, args->byte_count, data};
  args->buffer = buffer;
  return NULL;
}

static AccError *buffer_destroy(AccBufferDestroyArgs *args) {
  AccBuffer *buffer = args->buffer;
  if (!buffer) return NULL;
  pthread_mutex_lock(&the_device.lock);
  the_device.bytes_in_use -= (int64_t)buffer->byte_count;
  pthread_mutex_unlock(&the_device.lock);
  free(buffer->data);
  free(buffer);
  return NULL;
}

static AccError *buffer_copy_from_host(AccBufferCopyFromHostArgs *args) {
  if (!args->buffer || args->byte_count != args->buffer->byte_count)
    return example_error(ACC_ERROR_INVALID_ARGUMENT, "copying %zu host bytes into a buffer of %zu", args->byte_count,
                         args->buffer ? args->buffer->byte_count : 0);
  if (args->byte_count) memcpy(args->buffer->data, args->data, args->byte_count);
  return NULL;
}

static AccError *buffer_copy_to_host(AccBufferCopyToHostArgs *args) {
  if (!args->buffer || args->byte_count != args->buffer->byte_count)
    return example_error(ACC_ERROR_INVALID_ARGUMENT, "copying a buffer of %zu bytes into %zu host bytes",
                         args->buffer ? args->buffer->byte_count : 0, args->byte_count);
  if (args->byte_count) memcpy(args->data, args->buffer->data, args->byte_count);
  return NULL;
}

/* ---- Executables ------------------------------------------------------------------------ */

struct AccExecutable {
  AccDevice *device;
  Program *program;
};

VARIANT_ENTRY static AccError *executable_compile(AccExecutableCompileArgs *args) {
  AccError *error = check_device(args->device);
  if (error) return error;
  Program *program = program_parse(args->program, args->program_size, &error);
  if (!program) return error;
  AccExecutable *executable = malloc(sizeof *executable);
  if (!executable) {
    error = example_error(ACC_ERROR_OUT_OF_MEMORY, "out of host memory compiling '%s'", program->name);
    program_destroy(program);
    return error;
  }
  *executable = (AccExecutable){args->device, program};
  args->executable = executable;
  return NULL;
}

static AccError *executable_destroy(AccExecutableDestroyArgs *args) {
  if (!args->executable) return NULL;
  program_destroy(args->executable->program);
  free(args->executable);
  return NULL;
}

/* Runs a program over the caller's buffers with fresh scratch memory for its slots. */
static AccError *run(const AccExecutable *executable, AccBuffer *const *inputs, AccBuffer *const *outputs) {
  const Program *program = executable->program;
  void **buffers = calloc((size_t)program->buffer_count + 1, sizeof *buffers);
  void **targets = calloc((size_t)program->output_count + 1, sizeof *targets);
  AccError *error = NULL;
  if (!buffers || !targets) error = example_error(ACC_ERROR_OUT_OF_MEMORY, "out of host memory running '%s'", program->name);
  for (int i = 0; i < program->input_count && !error; ++i) buffers[i] = inputs[i]->data;
  for (int s = program->input_count; s < program->buffer_count && !error; ++s) {
    buffers[s] = malloc(program->buffer_bytes[s] ? (size_t)program->buffer_bytes[s] : 1);
    if (!buffers[s]) error = example_error(ACC_ERROR_OUT_OF_MEMORY, "out of host memory for buffer %d of '%s'", s, program->name);
  }
  for (int j = 0; j < program->output_count && !error; ++j) targets[j] = outputs[j]->data;
  if (!error) error = program_run(program, buffers, targets);
  for (int s = program->input_count; buffers && s < program->buffer_count; ++s) free(buffers[s]);
  free(buffers);
  free(targets);
  return error;
}

/* ---- Events ----------------------------------------------------------------------------- */

struct AccEvent {
  pthread_mutex_t lock; /* guards every field below */
  pthread_cond_t changed;
  int ready;
  AccError *error;
  AccEventCallback callback;
  void *user_data;
};

static AccError *copy_error(const AccError *error) {
  return error ? example_error((AccErrorCode)error->code, "%s", error->message) : NULL;
}

/* Marks `event` ready with `error` (which it takes) and calls its callback, after which it
 * touches the event no more: the callback may destroy it. */
VARIANT_ENTRY static void event_complete(AccEvent *event, AccError *error) {
  pthread_mutex_lock(&event->lock);
  event->ready = 1;
  event->error = error;
  AccEventCallback callback = event->callback;
  void *user_data = event->user_data;
  AccError *reported = callback ? copy_error(error) : NULL;
  pthread_cond_broadcast(&event->changed);
  pthread_mutex_unlock(&event->lock);
  if (callback) callback(reported, user_data);
}

static AccError *event_await(AccEventAwaitArgs *args) {
  AccEvent *event = args->event;
  pthread_mutex_lock(&event->lock);
  while (!event->ready) pthread_cond_wait(&event->changed, &event->lock);
  AccError *error = copy_error(event->error);
  pthread_mutex_unlock(&event->lock);
  return error;
}

VARIANT_ENTRY static AccError *event_on_ready(AccEventOnReadyArgs *args) {
  AccEvent *event = args->event;
  pthread_mutex_lock(&event->lock);
  if (event->callback) {
    pthread_mutex_unlock(&event->lock);
    return example_error(ACC_ERROR_INVALID_ARGUMENT, "the event already has a callback");
  }
  if (!event->ready) {
    event->callback = args->callback;
    event->user_data = args->user_data;
    pthread_mutex_unlock(&event->lock);
    return NULL;
  }
  AccError *error = copy_error(event->error);
  pthread_mutex_unlock(&event->lock);
  args->callback(error, args->user_data);
  return NULL;
}

static AccError *event_destroy(AccEventDestroyArgs *args) {
  AccEvent *event = args->event;
  if (!event) return NULL;
  pthread_mutex_destroy(&event->lock);
  pthread_cond_destroy(&event->changed);
  free(event->error);
  free(event);
  return NULL;
}

/* ---- Execution: a queue per device and one worker thread -------------------------------- */

struct Job {
  Job *next;
  AccExecutable *executable;
  AccBuffer **buffers; /* inputs, then outputs */
  size_t input_count;
  AccEvent *event;
};

#ifndef EXAMPLE_SYNCHRONOUS
static void *worker(void *unused) {
  (void)unused;
  for (;;) {
    pthread_mutex_lock(&the_device.lock);
    while (!the_device.head) pthread_cond_wait(&the_device.work, &the_device.lock);
    Job *job = the_device.head;
    the_device.head = job->next;
    if (!the_device.head) the_device.tail = NULL;
    pthread_mutex_unlock(&the_device.lock);
    AccError *error = run(job->executable, job->buffers, job->buffers + job->input_count);
    AccEvent *event = job->event;
    free(job->buffers);
    free(job);
    event_complete(event, error);
  }
  return NULL;
}
#endif

static AccError *check_buffers(const Program *program, AccBuffer *const *buffers, size_t count, int are_outputs) {
  size_t expected = (size_t)(are_outputs ? program->output_count : program->input_count);
  if (count != expected || (count && !buffers))
    return example_error(ACC_ERROR_INVALID_ARGUMENT, "'%s' takes %zu %s buffers, got %zu", program->name, expected,
                         are_outputs ? "output" : "input", count);
  for (size_t i = 0; i < count; ++i) {
    const Type *t = are_outputs ? &program->output_types[i] : &program->inputs[i];
    size_t bytes = (size_t)t->count * dtype_size(t->dtype);
    if (!buffers[i] || buffers[i]->device != &the_device || buffers[i]->byte_count != bytes)
      return example_error(ACC_ERROR_INVALID_ARGUMENT, "%s %zu of '%s' must be a buffer of this device holding %zu bytes",
                           are_outputs ? "output" : "input", i, program->name, bytes);
  }
  return NULL;
}

static AccError *executable_execute(AccExecutableExecuteArgs *args) {
  AccExecutable *executable = args->executable;
  if (!executable) return example_error(ACC_ERROR_INVALID_ARGUMENT, "no executable");
  AccError *error = check_buffers(executable->program, args->inputs, args->input_count, 0);
  if (!error) error = check_buffers(executable->program, args->outputs, args->output_count, 1);
  if (error) return error;
  args->event = NULL;
#ifdef EXAMPLE_SYNCHRONOUS
  return run(executable, args->inputs, args->outputs);
#else
  Job *job = calloc(1, sizeof *job);
  AccBuffer **buffers = calloc(args->input_count + args->output_count + 1, sizeof *buffers);
  AccEvent *event = calloc(1, sizeof *event);
  if (!job || !buffers || !event) {
    free(job);
    free(buffers);
    free(event);
    return example_error(ACC_ERROR_OUT_OF_MEMORY, "out of host memory queueing '%s'", executable->program->name);
  }
  pthread_mutex_init(&event->lock, NULL);
  pthread_cond_init(&event->changed, NULL);
  if (args->input_count) memcpy(buffers, args->inputs, args->input_count * sizeof *buffers);
  if (args->output_count) memcpy(buffers + args->input_count, args->outputs, args->output_count * sizeof *buffers);
  *job = (Job){NULL, executable, buffers, args->input_count, event};
  pthread_mutex_lock(&the_device.lock);
  if (!the_device.has_worker) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, worker, NULL) != 0) {
      pthread_mutex_unlock(&the_device.lock);
      AccEventDestroyArgs destroy = {ACC_EVENT_DESTROY_ARGS_STRUCT_SIZE, event};
      event_destroy(&destroy);
      free(buffers);
      free(job);
      return example_error(ACC_ERROR_INTERNAL, "could not start the worker thread");
    }
    pthread_detach(thread);
    the_device.has_worker = 1;
  }
  if (the_device.tail) the_device.tail->next = job;
  else the_device.head = job;
  the_device.tail = job;
  pthread_cond_signal(&the_device.work);
  pthread_mutex_unlock(&the_device.lock);
  args->event = event;
  return NULL;
#endif
}

/* ---- The table -------------------------------------------------------------------------- */

#if EXAMPLE_ABI_MINOR == 0
/* A 1.0 plugin's table ends before these; the runtime must never call past `struct_size`. */
static AccError *trap_on_ready(AccEventOnReadyArgs *args) {
  (void)args;
  fputs("example plugin (ABI 1.0): event_on_ready called past the table's struct_size\n", stderr);
  abort();
}
static AccError *trap_memory_stats(AccDeviceMemoryStatsArgs *args) {
  (void)args;
  fputs("example plugin (ABI 1.0): device_memory_stats called past the table's struct_size\n", stderr);
  abort();
}
#endif

#if EXAMPLE_ABI_MINOR >= 2
/* An entry a future minor might append, which no 1.1 runtime knows or calls. */
static AccError *trap_future_entry(void *args) {
  (void)args;
  fputs("example plugin (ABI 1.2): an entry past the runtime's table was called\n", stderr);
  abort();
}
#endif

/* The table, followed in a future-minor build by what that minor appended. */
static const struct ExampleTable {
  AccPluginApi api;
#if EXAMPLE_ABI_MINOR >= 2
  AccError *(*appended_in_1_2)(void *args);
#endif
} table = {
#if EXAMPLE_ABI_MINOR >= 2
  .appended_in_1_2 = trap_future_entry,
#endif
  .api = {
#if EXAMPLE_ABI_MINOR == 0
    .struct_size = ACC_PLUGIN_API_STRUCT_SIZE_1_0,
#elif EXAMPLE_ABI_MINOR == 1
    .struct_size = ACC_PLUGIN_API_STRUCT_SIZE,
#else
    .struct_size = ACC_STRUCT_SIZE(struct ExampleTable, appended_in_1_2),
#endif
    .abi_major = EXAMPLE_ABI_MAJOR,
    .abi_minor = EXAMPLE_ABI_MINOR,
    .error_destroy = error_destroy,
    .error_describe = error_describe,
    .plugin_initialize = plugin_initialize,
    .device_list = device_list,
    .device_describe = device_describe,
    .buffer_allocate = buffer_allocate,
    .buffer_destroy = buffer_destroy,
    .buffer_copy_from_host = buffer_copy_from_host,
    .buffer_copy_to_host = buffer_copy_to_host,
#ifndef EXAMPLE_OMIT_COMPILE
    .executable_compile = executable_compile,
#endif
    .executable_destroy = executable_destroy,
    .executable_execute = executable_execute,
    .event_await = event_await,
    .event_destroy = event_destroy,
#if EXAMPLE_ABI_MINOR == 0
    .event_on_ready = trap_on_ready,
    .device_memory_stats = trap_memory_stats,
#else
    .event_on_ready = event_on_ready,
    .device_memory_stats = device_memory_stats,
#endif
  },
};

__attribute__((visibility("default"))) const AccPluginApi *EXAMPLE_ENTRY_POINT(void) { return &table.api; }
