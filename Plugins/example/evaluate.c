/* Running a Program: every kernel op by op, each op computed in double over whole tensors and
 * rounded once to its dtype, in the same order of operations as the reference interpreter
 * (Sources/KernelIR/Interpreter), so results agree with it to the last bit wherever the C
 * library's exp, log, sin, cos, tanh and pow agree with the ones Swift's Foundation calls. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"

static void strides_of(const Type *t, int64_t *strides) {
  int64_t running = 1;
  for (int axis = t->rank - 1; axis >= 0; --axis) {
    strides[axis] = running;
    running *= t->dims[axis];
  }
}

/* The multi-index of row-major `offset`. */
static void unravel(int64_t offset, const Type *t, const int64_t *strides, int64_t *index) {
  for (int axis = 0; axis < t->rank; ++axis) {
    index[axis] = strides[axis] ? offset / strides[axis] : 0;
    if (strides[axis]) offset %= strides[axis];
  }
}

static double unary(Opcode opcode, double x) {
  switch (opcode) {
    case OP_NEG: return -x;
    case OP_ABS: return fabs(x);
    case OP_SIGN: return isnan(x) ? x : (x > 0 ? 1 : (x < 0 ? -1 : 0));
    case OP_EXP: return exp(x);
    case OP_LOG: return log(x);
    case OP_SQRT: return sqrt(x);
    case OP_RSQRT: return 1 / sqrt(x);
    case OP_TANH: return tanh(x);
    case OP_SIGMOID: return 1 / (1 + exp(-x));
    case OP_SIN: return sin(x);
    case OP_COS: return cos(x);
    case OP_RECIP: return 1 / x;
    case OP_FLOOR: return floor(x);
    default: return NAN;
  }
}

/* max and min propagate NaN, and between equal values pick as Swift.max and Swift.min do. */
static double binary(Opcode opcode, double a, double b, AccDType dtype) {
  switch (opcode) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL:
      if (dtype != ACC_DTYPE_I32) return a * b;
      return (double)(int32_t)(uint32_t)((uint64_t)(int64_t)a * (uint64_t)(int64_t)b);
    case OP_DIV:
      if (dtype != ACC_DTYPE_I32) return a / b;
      return b == 0 ? 0 : (double)(int32_t)(uint32_t)(uint64_t)((int64_t)a / (int64_t)b);
    case OP_MAX: return isnan(a) || isnan(b) ? NAN : (b >= a ? b : a);
    case OP_MIN: return isnan(a) || isnan(b) ? NAN : (b < a ? b : a);
    case OP_POW: return pow(a, b);
    case OP_EQ: return a == b;
    case OP_NE: return a != b;
    case OP_LT: return a < b;
    case OP_LE: return a <= b;
    case OP_GT: return a > b;
    case OP_GE: return a >= b;
    default: return NAN;
  }
}

static void broadcast(const double *x, const Type *xt, double *out, const Type *t) {
  int64_t strides[EXAMPLE_MAX_RANK], source_strides[EXAMPLE_MAX_RANK], index[EXAMPLE_MAX_RANK];
  strides_of(t, strides);
  strides_of(xt, source_strides);
  int offset_rank = t->rank - xt->rank;
  for (int64_t e = 0; e < t->count; ++e) {
    unravel(e, t, strides, index);
    int64_t source = 0;
    for (int axis = 0; axis < xt->rank; ++axis)
      if (xt->dims[axis] != 1) source += index[axis + offset_rank] * source_strides[axis];
    out[e] = x[source];
  }
}

static void permute(const Op *op, const double *x, const Type *xt, double *out) {
  int64_t strides[EXAMPLE_MAX_RANK], source_strides[EXAMPLE_MAX_RANK], index[EXAMPLE_MAX_RANK];
  strides_of(&op->type, strides);
  strides_of(xt, source_strides);
  for (int64_t e = 0; e < op->type.count; ++e) {
    unravel(e, &op->type, strides, index);
    int64_t source = 0;
    for (int axis = 0; axis < op->type.rank; ++axis) source += index[axis] * source_strides[op->ints[axis]];
    out[e] = x[source];
  }
}

static void reverse(const Op *op, const double *x, double *out) {
  int64_t strides[EXAMPLE_MAX_RANK], index[EXAMPLE_MAX_RANK];
  strides_of(&op->type, strides);
  for (int64_t e = 0; e < op->type.count; ++e) {
    unravel(e, &op->type, strides, index);
    for (int i = 0; i < op->list_length; ++i) index[op->ints[i]] = op->type.dims[op->ints[i]] - 1 - index[op->ints[i]];
    int64_t source = 0;
    for (int axis = 0; axis < op->type.rank; ++axis) source += index[axis] * strides[axis];
    out[e] = x[source];
  }
}

static void slice(const Op *op, const double *x, const Type *xt, double *out) {
  int64_t strides[EXAMPLE_MAX_RANK], source_strides[EXAMPLE_MAX_RANK], index[EXAMPLE_MAX_RANK];
  int n = op->list_length;
  strides_of(&op->type, strides);
  strides_of(xt, source_strides);
  for (int64_t e = 0; e < op->type.count; ++e) {
    unravel(e, &op->type, strides, index);
    int64_t source = 0;
    for (int axis = 0; axis < n; ++axis) source += (op->ints[axis] + index[axis] * op->ints[2 * n + axis]) * source_strides[axis];
    out[e] = x[source];
  }
}

static void concat(const Op *op, double *const *values, const Type *types, double *out) {
  int64_t strides[EXAMPLE_MAX_RANK], part_strides[EXAMPLE_MAX_RANK], index[EXAMPLE_MAX_RANK];
  int axis = (int)op->scalar;
  strides_of(&op->type, strides);
  for (int64_t e = 0; e < op->type.count; ++e) {
    unravel(e, &op->type, strides, index);
    int part = 0;
    while (index[axis] >= types[op->operands[part]].dims[axis]) index[axis] -= types[op->operands[part++]].dims[axis];
    const Type *pt = &types[op->operands[part]];
    strides_of(pt, part_strides);
    int64_t source = 0;
    for (int a = 0; a < pt->rank; ++a) source += index[a] * part_strides[a];
    out[e] = values[op->operands[part]][source];
  }
}

static void pad(const Op *op, const double *x, const Type *xt, double *out) {
  int64_t strides[EXAMPLE_MAX_RANK], source_strides[EXAMPLE_MAX_RANK], index[EXAMPLE_MAX_RANK];
  strides_of(&op->type, strides);
  strides_of(xt, source_strides);
  for (int64_t e = 0; e < op->type.count; ++e) {
    unravel(e, &op->type, strides, index);
    int64_t source = 0;
    int inside = 1;
    for (int axis = 0; axis < op->type.rank && inside; ++axis) {
      int64_t position = index[axis] - op->ints[axis];
      if (position < 0 || position >= xt->dims[axis]) inside = 0;
      else source += position * source_strides[axis];
    }
    out[e] = inside ? x[source] : op->values[0];
  }
}

/* Accumulates in row-major order of the operand; empty reductions give the identity. */
static void reduce(const Op *op, const double *x, const Type *xt, double *out) {
  int64_t strides[EXAMPLE_MAX_RANK], index[EXAMPLE_MAX_RANK], kept_strides[EXAMPLE_MAX_RANK];
  int kept_axes[EXAMPLE_MAX_RANK], kept = 0;
  for (int axis = 0; axis < xt->rank; ++axis) {
    int reduced = 0;
    for (int i = 0; i < op->list_length; ++i) if (op->ints[i] == axis) reduced = 1;
    if (!reduced) kept_axes[kept++] = axis;
  }
  int64_t running = 1;
  for (int position = kept - 1; position >= 0; --position) {
    kept_strides[position] = running;
    running *= xt->dims[kept_axes[position]];
  }
  int integer = xt->dtype == ACC_DTYPE_I32;
  double identity = op->opcode == OP_REDUCE_SUM ? 0
                    : op->opcode == OP_REDUCE_MAX ? (integer ? (double)INT32_MIN : -INFINITY)
                                                  : (integer ? (double)INT32_MAX : INFINITY);
  for (int64_t e = 0; e < op->type.count; ++e) out[e] = identity;
  strides_of(xt, strides);
  for (int64_t e = 0; e < xt->count; ++e) {
    unravel(e, xt, strides, index);
    int64_t target = 0;
    for (int position = 0; position < kept; ++position) target += index[kept_axes[position]] * kept_strides[position];
    double element = x[e], current = out[target];
    switch (op->opcode) {
      case OP_REDUCE_SUM: out[target] = current + element; break;
      case OP_REDUCE_MAX: out[target] = isnan(current) || isnan(element) ? NAN : (element >= current ? element : current); break;
      default: out[target] = isnan(current) || isnan(element) ? NAN : (element < current ? element : current); break;
    }
  }
}

/* The offset of a batch index into a matmul operand whose batch dimensions broadcast. */
static int64_t batch_offset(const Type *operand, const int64_t *batch_index, int batch_rank) {
  int64_t strides[EXAMPLE_MAX_RANK];
  strides_of(operand, strides);
  int operand_batch = operand->rank - 2, skipped = batch_rank - operand_batch;
  int64_t offset = 0;
  for (int axis = 0; axis < operand_batch; ++axis)
    if (operand->dims[axis] != 1) offset += batch_index[axis + skipped] * strides[axis];
  return offset;
}

static void matmul(const Op *op, const double *a, const Type *at, const double *b, const Type *bt, double *out) {
  const Type *t = &op->type;
  int rank = t->rank, batch_rank = rank - 2;
  int64_t m = t->dims[rank - 2], n = t->dims[rank - 1], k = at->dims[at->rank - 1];
  Type batch_type = {.dtype = t->dtype, .rank = batch_rank, .count = 1};
  for (int axis = 0; axis < batch_rank; ++axis) {
    batch_type.dims[axis] = t->dims[axis];
    batch_type.count *= t->dims[axis];
  }
  int64_t batch_strides[EXAMPLE_MAX_RANK], batch_index[EXAMPLE_MAX_RANK];
  strides_of(&batch_type, batch_strides);
  for (int64_t batch = 0; batch < batch_type.count; ++batch) {
    unravel(batch, &batch_type, batch_strides, batch_index);
    int64_t a_base = batch_offset(at, batch_index, batch_rank), b_base = batch_offset(bt, batch_index, batch_rank);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p) sum += a[a_base + i * k + p] * b[b_base + p * n + j];
        out[batch * m * n + i * n + j] = sum;
      }
  }
}

/* Direct channels-last convolution: input [n, spatial..., c], filter [kernel..., c/g, o]. */
static void convolution(const Op *op, const double *x, const Type *xt, const double *w, const Type *wt, double *out) {
  const Type *t = &op->type;
  int spatial = xt->rank - 2, n = op->list_length;
  int64_t channels = xt->dims[xt->rank - 1], outputs = t->dims[t->rank - 1], groups = op->scalar;
  int64_t group_channels = channels / groups, group_outputs = outputs / groups;
  Type kernel_type = {.dtype = t->dtype, .rank = spatial, .count = 1};
  for (int axis = 0; axis < spatial; ++axis) {
    kernel_type.dims[axis] = wt->dims[axis];
    kernel_type.count *= wt->dims[axis];
  }
  int64_t kernel_strides[EXAMPLE_MAX_RANK], input_strides[EXAMPLE_MAX_RANK], filter_strides[EXAMPLE_MAX_RANK], strides[EXAMPLE_MAX_RANK];
  int64_t index[EXAMPLE_MAX_RANK], kernel_index[EXAMPLE_MAX_RANK];
  strides_of(&kernel_type, kernel_strides);
  strides_of(xt, input_strides);
  strides_of(wt, filter_strides);
  strides_of(t, strides);
  for (int64_t e = 0; e < t->count; ++e) {
    unravel(e, t, strides, index);
    int64_t batch = index[0], output = index[t->rank - 1], group = output / group_outputs;
    double sum = 0;
    for (int64_t tap = 0; tap < kernel_type.count; ++tap) {
      unravel(tap, &kernel_type, kernel_strides, kernel_index);
      int64_t input_offset = batch * input_strides[0], filter_offset = output;
      int inside = 1;
      for (int axis = 0; axis < spatial && inside; ++axis) {
        int64_t position = index[axis + 1] * op->ints[axis] + kernel_index[axis] * op->ints[3 * n + axis] - op->ints[n + axis];
        if (position < 0 || position >= xt->dims[axis + 1]) inside = 0;
        input_offset += position * input_strides[axis + 1];
        filter_offset += kernel_index[axis] * filter_strides[axis];
      }
      if (!inside) continue;
      for (int64_t channel = 0; channel < group_channels; ++channel)
        sum += x[input_offset + group * group_channels + channel] * w[filter_offset + channel * filter_strides[spatial]];
    }
    out[e] = sum;
  }
}

/* Computes `op` into `out` (op->type.count elements), then rounds each element to the dtype. */
static void evaluate(const Op *op, double *const *values, const Type *types, double *out) {
  const Type *t = &op->type;
  const double *x = op->operand_count > 0 ? values[op->operands[0]] : NULL;
  const Type *xt = op->operand_count > 0 ? &types[op->operands[0]] : NULL;
  switch (op->opcode) {
    case OP_NEG: case OP_ABS: case OP_EXP: case OP_LOG: case OP_SQRT: case OP_RSQRT: case OP_TANH:
    case OP_SIGMOID: case OP_SIN: case OP_COS: case OP_RECIP: case OP_FLOOR: case OP_SIGN:
      for (int64_t e = 0; e < t->count; ++e) out[e] = unary(op->opcode, x[e]);
      break;
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MAX: case OP_MIN: case OP_POW:
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
      const double *y = values[op->operands[1]];
      for (int64_t e = 0; e < t->count; ++e) out[e] = binary(op->opcode, x[e], y[e], t->dtype);
      break;
    }
    case OP_SELECT: {
      const double *on_true = values[op->operands[1]], *on_false = values[op->operands[2]];
      for (int64_t e = 0; e < t->count; ++e) out[e] = x[e] != 0 ? on_true[e] : on_false[e];
      break;
    }
    case OP_CAST:
      for (int64_t e = 0; e < t->count; ++e) out[e] = convert_value(t->dtype, x[e]);
      return;
    case OP_RESHAPE: memcpy(out, x, (size_t)t->count * sizeof *out); break;
    case OP_BROADCAST: broadcast(x, xt, out, t); break;
    case OP_PERMUTE: permute(op, x, xt, out); break;
    case OP_REVERSE: reverse(op, x, out); break;
    case OP_SLICE: slice(op, x, xt, out); break;
    case OP_CONCAT: concat(op, values, types, out); break;
    case OP_PAD: pad(op, x, xt, out); break;
    case OP_REDUCE_SUM: case OP_REDUCE_MAX: case OP_REDUCE_MIN: reduce(op, x, xt, out); break;
    case OP_MATMUL: matmul(op, x, xt, values[op->operands[1]], &types[op->operands[1]], out); break;
    case OP_CONV: convolution(op, x, xt, values[op->operands[1]], &types[op->operands[1]], out); break;
    case OP_IOTA: {
      int64_t strides[EXAMPLE_MAX_RANK];
      int axis = (int)op->scalar;
      strides_of(t, strides);
      for (int64_t e = 0; e < t->count; ++e) out[e] = (double)((e / strides[axis]) % t->dims[axis]);
      break;
    }
    case OP_CONSTANT:
      for (int64_t e = 0; e < t->count; ++e) out[e] = op->values[op->is_splat ? 0 : e];
      break;
    case OP_RANDOM_UNIFORM: case OP_RANDOM_NORMAL:
      for (int64_t e = 0; e < t->count; ++e)
        out[e] = op->opcode == OP_RANDOM_UNIFORM ? philox_uniform(op->scalar, e) : philox_normal(op->scalar, e);
      break;
    case OP_COUNT: break;
  }
  for (int64_t e = 0; e < t->count; ++e) out[e] = store_value(t->dtype, out[e]);
}

static AccError *run_kernel(const Kernel *kernel, void *const *buffers) {
  int value_count = kernel->input_count + kernel->op_count;
  double **values = calloc((size_t)value_count + 1, sizeof *values);
  AccError *error = NULL;
  if (!values) return example_error(ACC_ERROR_OUT_OF_MEMORY, "kernel '%s': out of host memory", kernel->name);
  for (int v = 0; v < value_count && !error; ++v) {
    const Type *t = &kernel->types[v];
    values[v] = malloc((size_t)t->count * sizeof(double) + sizeof(double));
    if (!values[v]) {
      error = example_error(ACC_ERROR_OUT_OF_MEMORY, "kernel '%s': out of host memory for %lld elements", kernel->name, (long long)t->count);
    } else if (v < kernel->input_count) {
      for (int64_t e = 0; e < t->count; ++e) values[v][e] = load_element(t->dtype, buffers[kernel->inputs[v]], e);
    } else {
      evaluate(&kernel->ops[v - kernel->input_count], values, kernel->types, values[v]);
    }
  }
  if (!error) {
    const Type *t = &kernel->types[kernel->result];
    for (int64_t e = 0; e < t->count; ++e) store_element(t->dtype, buffers[kernel->output], e, values[kernel->result][e]);
  }
  for (int v = 0; v < value_count; ++v) free(values[v]);
  free(values);
  return error;
}

AccError *program_run(const Program *program, void *const *buffers, void *const *outputs) {
  for (int k = 0; k < program->kernel_count; ++k) {
    AccError *error = run_kernel(&program->kernels[k], buffers);
    if (error) return error;
  }
  for (int j = 0; j < program->output_count; ++j) {
    const Type *t = &program->output_types[j];
    memmove(outputs[j], buffers[program->output_buffers[j]], (size_t)t->count * dtype_size(t->dtype));
  }
  return NULL;
}
