/* Reading "acc-schedule 1" text (acc_plugin.h, PROGRAMS) into a Program, checking every op's
 * types and every buffer's size so that running it can never touch memory out of bounds. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"

/* ---- Tokens ----------------------------------------------------------------------------- */

typedef struct Reader {
  const char *cursor, *end;
  int line;
  AccError *error; /* the first failure */
} Reader;

static int fail_with(Reader *reader, AccErrorCode code, const char *format, ...) __attribute__((format(printf, 3, 4)));
static int fail_with(Reader *reader, AccErrorCode code, const char *format, ...) {
  if (reader->error) return 0;
  char message[512];
  va_list arguments;
  va_start(arguments, format);
  vsnprintf(message, sizeof message, format, arguments);
  va_end(arguments);
  reader->error = example_error(code, "line %d: %s", reader->line, message);
  return 0;
}
#define fail(reader, ...) fail_with(reader, ACC_ERROR_INVALID_PROGRAM, __VA_ARGS__)

static void skip_spaces(Reader *reader) {
  while (reader->cursor < reader->end && *reader->cursor == ' ') reader->cursor++;
}

static int word(Reader *reader, char *out, size_t size, const char *what) {
  skip_spaces(reader);
  const char *start = reader->cursor;
  while (reader->cursor < reader->end && *reader->cursor != ' ' && *reader->cursor != '\n') reader->cursor++;
  size_t length = (size_t)(reader->cursor - start);
  if (length == 0) return fail(reader, "expected %s, found the end of the line", what);
  if (length >= size) return fail(reader, "%s '%.*s' is too long", what, (int)length, start);
  memcpy(out, start, length);
  out[length] = 0;
  return 1;
}

static int integer(Reader *reader, int64_t *out, int64_t minimum, int64_t maximum, const char *what) {
  char token[64];
  if (!word(reader, token, sizeof token, what)) return 0;
  char *end;
  errno = 0;
  long long value = strtoll(token, &end, 10);
  if (*end || errno) return fail(reader, "%s: '%s' is not an integer", what, token);
  if (value < minimum || value > maximum)
    return fail(reader, "%s: %lld is outside %lld...%lld", what, value, (long long)minimum, (long long)maximum);
  *out = value;
  return 1;
}

static int small(Reader *reader, int *out, int64_t minimum, int64_t maximum, const char *what) {
  int64_t value;
  if (!integer(reader, &value, minimum, maximum, what)) return 0;
  *out = (int)value;
  return 1;
}

static int number(Reader *reader, double *out, const char *what) {
  char token[64];
  if (!word(reader, token, sizeof token, what)) return 0;
  char *end;
  *out = strtod(token, &end); /* correctly rounded: the shortest decimal reads back exactly */
  if (*end) return fail(reader, "%s: '%s' is not a number", what, token);
  return 1;
}

static int keyword(Reader *reader, const char *expected) {
  char found[32];
  if (!word(reader, found, sizeof found, expected)) return 0;
  if (strcmp(found, expected) != 0) return fail(reader, "expected '%s', found '%s'", expected, found);
  return 1;
}

static int end_line(Reader *reader) {
  skip_spaces(reader);
  if (reader->cursor == reader->end) return 1;
  if (*reader->cursor != '\n') return fail(reader, "unexpected text at the end of the line");
  reader->cursor++;
  reader->line++;
  return 1;
}

static const char *const dtype_names[] = {"f32", "f16", "bf16", "i32", "bool"};

static int type(Reader *reader, Type *out) {
  char name[16];
  if (!word(reader, name, sizeof name, "a dtype")) return 0;
  int found = -1;
  for (int i = 0; i < 5; ++i) if (strcmp(name, dtype_names[i]) == 0) found = i;
  if (found < 0) return fail(reader, "unknown dtype '%s'", name);
  out->dtype = (AccDType)found;
  int64_t rank;
  if (!integer(reader, &rank, 0, INT32_MAX, "a rank")) return 0;
  if (rank > EXAMPLE_MAX_RANK)
    return fail_with(reader, ACC_ERROR_UNIMPLEMENTED, "rank %lld: the example plugin supports at most %d dimensions",
                     (long long)rank, EXAMPLE_MAX_RANK);
  out->rank = (int)rank;
  out->count = 1;
  for (int axis = 0; axis < out->rank; ++axis) {
    if (!integer(reader, &out->dims[axis], 0, INT64_MAX, "a dimension")) return 0;
    if (out->dims[axis] != 0 && out->count > (INT64_MAX / 8) / out->dims[axis]) return fail(reader, "the tensor is too large");
    out->count *= out->dims[axis];
  }
  return 1;
}

static int64_t type_bytes(const Type *t) { return t->count * (int64_t)dtype_size(t->dtype); }

/* ---- Ops -------------------------------------------------------------------------------- */

static const char *const opcode_names[OP_COUNT] = {
  "neg", "abs", "exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "sin", "cos", "recip", "floor", "sign",
  "add", "sub", "mul", "div", "max", "min", "pow",
  "eq", "ne", "lt", "le", "gt", "ge",
  "select", "cast", "broadcast", "reshape", "permute", "reverse", "slice", "concat", "pad",
  "reduce_sum", "reduce_max", "reduce_min", "matmul", "conv", "iota", "constant",
  "random_uniform", "random_normal",
};

/* Reads `count` lists of `op->list_length` integers each into op->ints. */
static int lists(Reader *reader, Op *op, int count, int64_t minimum) {
  if (!small(reader, &op->list_length, 0, EXAMPLE_MAX_RANK, "a list length")) return 0;
  op->ints = calloc((size_t)(op->list_length * count) + 1, sizeof *op->ints);
  if (!op->ints) return fail_with(reader, ACC_ERROR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < op->list_length * count; ++i)
    if (!integer(reader, &op->ints[i], minimum, INT32_MAX, "a list element")) return 0;
  return 1;
}

static int attributes(Reader *reader, Op *op) {
  switch (op->opcode) {
    case OP_PERMUTE: case OP_REVERSE: return lists(reader, op, 1, 0);
    case OP_SLICE: return lists(reader, op, 3, 0);
    case OP_CONCAT: case OP_IOTA: return integer(reader, &op->scalar, 0, EXAMPLE_MAX_RANK - 1, "an axis");
    case OP_PAD:
      op->value_count = 1;
      op->values = calloc(1, sizeof *op->values);
      if (!op->values) return fail_with(reader, ACC_ERROR_OUT_OF_MEMORY, "out of memory");
      return lists(reader, op, 2, 0) && number(reader, &op->values[0], "a padding value");
    case OP_REDUCE_SUM: case OP_REDUCE_MAX: case OP_REDUCE_MIN:
      return lists(reader, op, 1, 0) && integer(reader, &op->scalar, 0, 1, "keep_dims");
    case OP_CONV: return lists(reader, op, 4, 0) && integer(reader, &op->scalar, 1, INT32_MAX, "groups");
    case OP_RANDOM_UNIFORM: case OP_RANDOM_NORMAL: return integer(reader, &op->scalar, 0, INT64_MAX, "a seed");
    case OP_CONSTANT: {
      char form[16];
      if (!word(reader, form, sizeof form, "'splat' or 'elements'")) return 0;
      op->is_splat = strcmp(form, "splat") == 0;
      if (op->is_splat) {
        op->value_count = 1;
      } else if (strcmp(form, "elements") == 0) {
        int64_t count;
        if (!integer(reader, &count, 0, (int64_t)1 << 40, "an element count")) return 0;
        if (count != op->type.count) return fail(reader, "the constant lists %lld elements for %lld", (long long)count, (long long)op->type.count);
        op->value_count = (size_t)count;
      } else {
        return fail(reader, "expected 'splat' or 'elements', found '%s'", form);
      }
      op->values = calloc(op->value_count + 1, sizeof *op->values);
      if (!op->values) return fail_with(reader, ACC_ERROR_OUT_OF_MEMORY, "out of memory");
      for (size_t i = 0; i < op->value_count; ++i) if (!number(reader, &op->values[i], "a literal")) return 0;
      return 1;
    }
    default: return 1;
  }
}

static int same_dims(const Type *a, const Type *b) {
  if (a->rank != b->rank) return 0;
  for (int axis = 0; axis < a->rank; ++axis) if (a->dims[axis] != b->dims[axis]) return 0;
  return 1;
}

static int same_type(const Type *a, const Type *b) { return a->dtype == b->dtype && same_dims(a, b); }

/* Whether `values` (of `count`) are distinct axes below `rank`. */
static int valid_axes(const int64_t *values, int count, int rank) {
  for (int i = 0; i < count; ++i) {
    if (values[i] >= rank) return 0;
    for (int j = 0; j < i; ++j) if (values[j] == values[i]) return 0;
  }
  return 1;
}

static int arity(const Op *op, int expected) { return op->operand_count == expected; }

/* The shape rule of every op (Sources/KernelIR/Rules/ShapeRules.swift): 1 if `op` is well typed. */
static int well_typed(const Op *op, const Type *types) {
  const Type *t = &op->type, *x = op->operand_count > 0 ? &types[op->operands[0]] : NULL;
  const int64_t *ints = op->ints;
  int n = op->list_length;
  switch (op->opcode) {
    case OP_NEG: case OP_ABS: case OP_EXP: case OP_LOG: case OP_SQRT: case OP_RSQRT: case OP_TANH:
    case OP_SIGMOID: case OP_SIN: case OP_COS: case OP_RECIP: case OP_FLOOR: case OP_SIGN:
      return arity(op, 1) && same_type(x, t) && t->dtype != ACC_DTYPE_BOOL;
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MAX: case OP_MIN: case OP_POW:
      return arity(op, 2) && same_type(x, t) && same_type(&types[op->operands[1]], t) && t->dtype != ACC_DTYPE_BOOL;
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
      return arity(op, 2) && same_type(x, &types[op->operands[1]]) && same_dims(x, t) && t->dtype == ACC_DTYPE_BOOL;
    case OP_SELECT:
      return arity(op, 3) && x->dtype == ACC_DTYPE_BOOL && same_dims(x, t) && same_type(&types[op->operands[1]], t)
             && same_type(&types[op->operands[2]], t);
    case OP_CAST: return arity(op, 1) && same_dims(x, t);
    case OP_BROADCAST: {
      if (!arity(op, 1) || x->dtype != t->dtype || x->rank > t->rank) return 0;
      int offset = t->rank - x->rank;
      for (int axis = 0; axis < x->rank; ++axis)
        if (x->dims[axis] != 1 && x->dims[axis] != t->dims[axis + offset]) return 0;
      return 1;
    }
    case OP_RESHAPE: return arity(op, 1) && x->dtype == t->dtype && x->count == t->count;
    case OP_PERMUTE: {
      if (!arity(op, 1) || x->dtype != t->dtype || n != x->rank || t->rank != n || !valid_axes(ints, n, n)) return 0;
      for (int axis = 0; axis < n; ++axis) if (t->dims[axis] != x->dims[ints[axis]]) return 0;
      return 1;
    }
    case OP_REVERSE: return arity(op, 1) && same_type(x, t) && valid_axes(ints, n, x->rank);
    case OP_SLICE: {
      if (!arity(op, 1) || x->dtype != t->dtype || n != x->rank || t->rank != n) return 0;
      for (int axis = 0; axis < n; ++axis) {
        int64_t start = ints[axis], limit = ints[n + axis], stride = ints[2 * n + axis];
        if (stride < 1 || start > limit || limit > x->dims[axis]) return 0;
        if (t->dims[axis] != (limit == start ? 0 : (limit - start - 1) / stride + 1)) return 0;
      }
      return 1;
    }
    case OP_CONCAT: {
      if (op->operand_count < 1 || op->scalar >= x->rank || t->rank != x->rank || x->dtype != t->dtype) return 0;
      int axis = (int)op->scalar;
      int64_t total = 0;
      for (int i = 0; i < op->operand_count; ++i) {
        const Type *part = &types[op->operands[i]];
        if (part->dtype != t->dtype || part->rank != t->rank) return 0;
        for (int a = 0; a < t->rank; ++a) if (a != axis && part->dims[a] != t->dims[a]) return 0;
        total += part->dims[axis];
      }
      return total == t->dims[axis];
    }
    case OP_PAD: {
      if (!arity(op, 1) || x->dtype != t->dtype || n != x->rank || t->rank != n) return 0;
      for (int axis = 0; axis < n; ++axis) if (t->dims[axis] != ints[axis] + x->dims[axis] + ints[n + axis]) return 0;
      return 1;
    }
    case OP_REDUCE_SUM: case OP_REDUCE_MAX: case OP_REDUCE_MIN: {
      if (!arity(op, 1) || x->dtype != t->dtype || x->dtype == ACC_DTYPE_BOOL || !valid_axes(ints, n, x->rank)) return 0;
      int kept = 0;
      for (int axis = 0; axis < x->rank; ++axis) {
        int reduced = 0;
        for (int i = 0; i < n; ++i) if (ints[i] == axis) reduced = 1;
        if (reduced && !op->scalar) continue;
        if (kept >= t->rank || t->dims[kept] != (reduced ? 1 : x->dims[axis])) return 0;
        kept++;
      }
      return kept == t->rank;
    }
    case OP_MATMUL: {
      if (!arity(op, 2)) return 0;
      const Type *y = &types[op->operands[1]];
      if (x->dtype != t->dtype || y->dtype != t->dtype || t->dtype == ACC_DTYPE_BOOL || x->rank < 2 || y->rank < 2) return 0;
      int batch = (x->rank > y->rank ? x->rank : y->rank) - 2;
      if (t->rank != batch + 2 || x->dims[x->rank - 1] != y->dims[y->rank - 2]) return 0;
      if (t->dims[batch] != x->dims[x->rank - 2] || t->dims[batch + 1] != y->dims[y->rank - 1]) return 0;
      for (int axis = 0; axis < batch; ++axis) {
        int xa = axis - (batch - (x->rank - 2)), ya = axis - (batch - (y->rank - 2));
        int64_t a = xa >= 0 ? x->dims[xa] : 1, b = ya >= 0 ? y->dims[ya] : 1;
        if (a != b && a != 1 && b != 1) return 0;
        if (t->dims[axis] != (a == 1 ? b : a)) return 0;
      }
      return 1;
    }
    case OP_CONV: {
      if (!arity(op, 2)) return 0;
      const Type *w = &types[op->operands[1]];
      int spatial = x->rank - 2;
      if (spatial < 1 || spatial > 3 || w->rank != x->rank || t->rank != x->rank || n != spatial) return 0;
      if (x->dtype == ACC_DTYPE_BOOL || x->dtype == ACC_DTYPE_I32 || w->dtype != x->dtype || t->dtype != x->dtype) return 0;
      int64_t groups = op->scalar, channels = x->dims[x->rank - 1], outputs = w->dims[w->rank - 1];
      if (channels % groups || outputs % groups || w->dims[w->rank - 2] != channels / groups) return 0;
      if (t->dims[0] != x->dims[0] || t->dims[t->rank - 1] != outputs) return 0;
      for (int axis = 0; axis < spatial; ++axis) {
        int64_t stride = ints[axis], low = ints[n + axis], high = ints[2 * n + axis], dilation = ints[3 * n + axis];
        int64_t kernel = w->dims[axis], padded = x->dims[axis + 1] + low + high;
        if (stride < 1 || dilation < 1 || kernel < 1) return 0;
        int64_t span = dilation * (kernel - 1) + 1;
        if (padded < span || t->dims[axis + 1] != (padded - span) / stride + 1) return 0;
      }
      return 1;
    }
    case OP_IOTA: return arity(op, 0) && op->scalar < t->rank && t->dtype != ACC_DTYPE_BOOL;
    case OP_CONSTANT: return arity(op, 0);
    case OP_RANDOM_UNIFORM: case OP_RANDOM_NORMAL:
      return arity(op, 0) && t->dtype != ACC_DTYPE_I32 && t->dtype != ACC_DTYPE_BOOL;
    case OP_COUNT: return 0;
  }
  return 0;
}

static int parse_op(Reader *reader, Op *op, Type *types, int value) {
  int64_t stated;
  char name[32];
  if (!keyword(reader, "op") || !integer(reader, &stated, value, value, "the value number")) return 0;
  if (!word(reader, name, sizeof name, "an opcode")) return 0;
  int opcode = -1;
  for (int i = 0; i < OP_COUNT; ++i) if (strcmp(name, opcode_names[i]) == 0) opcode = i;
  if (opcode < 0) return fail_with(reader, ACC_ERROR_UNIMPLEMENTED, "the example plugin has no op '%s'", name);
  op->opcode = (Opcode)opcode;
  if (!type(reader, &op->type) || !small(reader, &op->operand_count, 0, 1 << 16, "an operand count")) return 0;
  op->operands = calloc((size_t)op->operand_count + 1, sizeof *op->operands);
  if (!op->operands) return fail_with(reader, ACC_ERROR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < op->operand_count; ++i)
    if (!small(reader, &op->operands[i], 0, value - 1, "an operand (an earlier value)")) return 0;
  if (!attributes(reader, op)) return 0;
  if (!well_typed(op, types)) return fail(reader, "op %d (%s) is ill-typed: its operands, attributes and type do not agree", value, name);
  types[value] = op->type;
  return end_line(reader);
}

/* ---- Programs --------------------------------------------------------------------------- */

static int parse_kernel(Reader *reader, Program *program, Kernel *kernel) {
  char kind[16];
  int buffers = program->buffer_count;
  if (!keyword(reader, "kernel") || !word(reader, kernel->name, sizeof kernel->name, "a kernel name")) return 0;
  if (!word(reader, kind, sizeof kind, "a kernel kind")) return 0;
  if (strcmp(kind, "loop") && strcmp(kind, "reduction") && strcmp(kind, "contraction"))
    return fail(reader, "unknown kernel kind '%s'", kind);
  if (!small(reader, &kernel->output, program->input_count, buffers - 1, "the output buffer (a slot)")) return 0;
  if (!small(reader, &kernel->input_count, 0, 1 << 16, "an input count")) return 0;
  kernel->inputs = calloc((size_t)kernel->input_count + 1, sizeof *kernel->inputs);
  if (!kernel->inputs) return fail_with(reader, ACC_ERROR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < kernel->input_count; ++i)
    if (!small(reader, &kernel->inputs[i], 0, buffers - 1, "an input buffer")) return 0;
  if (!small(reader, &kernel->op_count, 0, 1 << 20, "an op count") || !end_line(reader)) return 0;
  int values = kernel->input_count + kernel->op_count;
  kernel->types = calloc((size_t)values + 1, sizeof *kernel->types);
  kernel->ops = calloc((size_t)kernel->op_count + 1, sizeof *kernel->ops);
  if (!kernel->types || !kernel->ops) return fail_with(reader, ACC_ERROR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < kernel->input_count; ++i) {
    int64_t stated;
    if (!keyword(reader, "param") || !integer(reader, &stated, i, i, "the value number")) return 0;
    if (!type(reader, &kernel->types[i])) return 0;
    if (type_bytes(&kernel->types[i]) > program->buffer_bytes[kernel->inputs[i]])
      return fail(reader, "param %d needs %lld bytes, but buffer %d holds %lld", i, (long long)type_bytes(&kernel->types[i]),
                  kernel->inputs[i], (long long)program->buffer_bytes[kernel->inputs[i]]);
    if (!end_line(reader)) return 0;
  }
  for (int j = 0; j < kernel->op_count; ++j)
    if (!parse_op(reader, &kernel->ops[j], kernel->types, kernel->input_count + j)) return 0;
  if (!keyword(reader, "result") || !small(reader, &kernel->result, 0, values - 1, "the result value")) return 0;
  if (type_bytes(&kernel->types[kernel->result]) > program->buffer_bytes[kernel->output])
    return fail(reader, "kernel '%s' writes %lld bytes to buffer %d, which holds %lld", kernel->name,
                (long long)type_bytes(&kernel->types[kernel->result]), kernel->output, (long long)program->buffer_bytes[kernel->output]);
  return end_line(reader);
}

static int parse_program(Reader *reader, Program *program) {
  int64_t version;
  if (!keyword(reader, "acc-schedule") || !integer(reader, &version, 0, INT64_MAX, "the format version")) return 0;
  if (version != 1) return fail_with(reader, ACC_ERROR_UNIMPLEMENTED, "acc-schedule %lld: this plugin reads version 1", (long long)version);
  if (!end_line(reader) || !keyword(reader, "schedule") || !word(reader, program->name, sizeof program->name, "a name")) return 0;
  if (!small(reader, &program->input_count, 0, 1 << 16, "an input count") || !small(reader, &program->slot_count, 0, 1 << 16, "a slot count")
      || !small(reader, &program->kernel_count, 0, 1 << 20, "a kernel count") || !small(reader, &program->output_count, 0, 1 << 16, "an output count")
      || !end_line(reader)) return 0;
  program->buffer_count = program->input_count + program->slot_count;
  program->inputs = calloc((size_t)program->input_count + 1, sizeof *program->inputs);
  program->buffer_bytes = calloc((size_t)program->buffer_count + 1, sizeof *program->buffer_bytes);
  program->kernels = calloc((size_t)program->kernel_count + 1, sizeof *program->kernels);
  program->output_buffers = calloc((size_t)program->output_count + 1, sizeof *program->output_buffers);
  program->output_types = calloc((size_t)program->output_count + 1, sizeof *program->output_types);
  if (!program->inputs || !program->buffer_bytes || !program->kernels || !program->output_buffers || !program->output_types)
    return fail_with(reader, ACC_ERROR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < program->input_count; ++i) {
    int64_t buffer;
    if (!keyword(reader, "input") || !integer(reader, &buffer, i, i, "the input's buffer")) return 0;
    if (!type(reader, &program->inputs[i]) || !end_line(reader)) return 0;
    program->buffer_bytes[i] = type_bytes(&program->inputs[i]);
  }
  for (int s = 0; s < program->slot_count; ++s) {
    int64_t buffer, bytes;
    int index = program->input_count + s;
    if (!keyword(reader, "slot") || !integer(reader, &buffer, index, index, "the slot's buffer")) return 0;
    if (!integer(reader, &bytes, 0, INT64_MAX / 2, "a byte count") || !end_line(reader)) return 0;
    program->buffer_bytes[index] = bytes;
  }
  for (int k = 0; k < program->kernel_count; ++k)
    if (!parse_kernel(reader, program, &program->kernels[k])) return 0;
  for (int j = 0; j < program->output_count; ++j) {
    if (!keyword(reader, "output") || !small(reader, &program->output_buffers[j], 0, program->buffer_count - 1, "an output buffer")) return 0;
    if (!type(reader, &program->output_types[j])) return 0;
    if (type_bytes(&program->output_types[j]) > program->buffer_bytes[program->output_buffers[j]])
      return fail(reader, "output %d is larger than its buffer %d", j, program->output_buffers[j]);
    if (!end_line(reader)) return 0;
  }
  if (!keyword(reader, "end") || !end_line(reader)) return 0;
  while (reader->cursor < reader->end && (*reader->cursor == '\n' || *reader->cursor == ' ')) reader->cursor++;
  if (reader->cursor != reader->end) return fail(reader, "text after 'end'");
  return 1;
}

Program *program_parse(const char *text, size_t size, AccError **error) {
  Reader reader = {text, text + size, 1, NULL};
  Program *program = calloc(1, sizeof *program);
  if (!program) {
    *error = example_error(ACC_ERROR_OUT_OF_MEMORY, "out of memory reading a program");
    return NULL;
  }
  if (!parse_program(&reader, program)) {
    *error = reader.error ? reader.error : example_error(ACC_ERROR_INVALID_PROGRAM, "line %d: malformed", reader.line);
    program_destroy(program);
    return NULL;
  }
  return program;
}

void program_destroy(Program *program) {
  if (!program) return;
  for (int k = 0; k < program->kernel_count && program->kernels; ++k) {
    Kernel *kernel = &program->kernels[k];
    for (int j = 0; j < kernel->op_count && kernel->ops; ++j) {
      free(kernel->ops[j].operands);
      free(kernel->ops[j].ints);
      free(kernel->ops[j].values);
    }
    free(kernel->ops);
    free(kernel->types);
    free(kernel->inputs);
  }
  free(program->kernels);
  free(program->inputs);
  free(program->buffer_bytes);
  free(program->output_buffers);
  free(program->output_types);
  free(program);
}
