/*
 * The example plugin's private declarations: a host-memory device that reads "acc-schedule 1"
 * programs (acc_plugin.h, PROGRAMS) and runs them op by op in double, rounding every result to
 * its dtype exactly as the reference interpreter does. It stands in for a third party's plugin:
 * it uses nothing of acc but acc_plugin.h.
 */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "acc_plugin.h"

/* The most dimensions a tensor may have here; more is ACC_ERROR_UNIMPLEMENTED. */
#define EXAMPLE_MAX_RANK 16

/* ---- Errors (example_plugin.c) ---------------------------------------------------------- */

/* A new error with a printf-style message. */
AccError *example_error(AccErrorCode code, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* ---- Programs (program.c) --------------------------------------------------------------- */

typedef enum Opcode {
  OP_NEG, OP_ABS, OP_EXP, OP_LOG, OP_SQRT, OP_RSQRT, OP_TANH, OP_SIGMOID, OP_SIN, OP_COS, OP_RECIP,
  OP_FLOOR, OP_SIGN,
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_POW,
  OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
  OP_SELECT, OP_CAST, OP_BROADCAST, OP_RESHAPE, OP_PERMUTE, OP_REVERSE, OP_SLICE, OP_CONCAT, OP_PAD,
  OP_REDUCE_SUM, OP_REDUCE_MAX, OP_REDUCE_MIN, OP_MATMUL, OP_CONV, OP_IOTA, OP_CONSTANT,
  OP_RANDOM_UNIFORM, OP_RANDOM_NORMAL,
  OP_COUNT
} Opcode;

typedef struct Type {
  AccDType dtype;
  int rank;
  int64_t dims[EXAMPLE_MAX_RANK];
  int64_t count; /* elements */
} Type;

/* One op of a kernel. Attribute lists are stored one after another in `ints`, each `list_length`
 * long (slice: start, limit, stride; conv: stride, padding_low, padding_high, dilation). */
typedef struct Op {
  Opcode opcode;
  Type type;
  int operand_count;
  int *operands;
  int list_length;
  int64_t *ints;
  int64_t scalar;   /* concat and iota: the axis; reduce: keep_dims; conv: groups; random: the seed */
  int is_splat;     /* constant: one value for every element */
  size_t value_count;
  double *values;   /* pad: the value; constant: the literal(s) */
} Op;

typedef struct Kernel {
  char name[64];
  int output;       /* buffer */
  int input_count;
  int *inputs;      /* buffers, one per param */
  int op_count;
  Op *ops;
  Type *types;      /* every value's type: params, then ops */
  int result;       /* value */
} Kernel;

typedef struct Program {
  char name[64];
  int input_count;
  int slot_count;
  int buffer_count;      /* inputs + slots */
  Type *inputs;
  int64_t *buffer_bytes; /* capacity of every buffer */
  int kernel_count;
  Kernel *kernels;
  int output_count;
  int *output_buffers;
  Type *output_types;
} Program;

/* Reads and checks a program; on failure returns NULL and sets *error (ACC_ERROR_INVALID_PROGRAM
 * naming the line, or ACC_ERROR_UNIMPLEMENTED). */
Program *program_parse(const char *text, size_t size, AccError **error);
void program_destroy(Program *program);

/* ---- Running (evaluate.c) --------------------------------------------------------------- */

/* Runs `program` over its buffers: `buffers[b]` for every buffer b (inputs, then slots), and
 * copies each output to `outputs[j]`. Returns NULL or an error. */
AccError *program_run(const Program *program, void *const *buffers, void *const *outputs);

/* ---- Numerics (numerics.c) -------------------------------------------------------------- */

size_t dtype_size(AccDType dtype);
/* A computed result stored in `dtype`: floats rounded to nearest even, i32 wrapped, bool 0 or 1. */
double store_value(AccDType dtype, double value);
/* `cast`: like store_value, but i32 truncates toward zero and saturates, NaN becoming 0. */
double convert_value(AccDType dtype, double value);
/* Element `index` of a buffer holding `dtype`, widened to double. */
double load_element(AccDType dtype, const void *bytes, int64_t index);
/* Writes `value`, already stored in `dtype`, as element `index`. */
void store_element(AccDType dtype, void *bytes, int64_t index, double value);
/* Philox-4x32-10 uniform in [0, 1) and standard normal values for element `index`. */
double philox_uniform(int64_t seed, int64_t index);
double philox_normal(int64_t seed, int64_t index);

#endif /* EXAMPLE_H */
