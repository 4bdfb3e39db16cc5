/* Numerics: rounding to each dtype, the byte layout of buffers, and Philox random numbers, each
 * written to give the reference interpreter's bits (Sources/KernelIR/Types/FloatFormat.swift,
 * Interpreter/Interpreter.swift, Interpreter/Philox.swift). Built with -ffp-contract=off so that
 * no a * b + c becomes one fused operation. */
#include <math.h>
#include <string.h>

#include "example.h"

size_t dtype_size(AccDType dtype) {
  switch (dtype) {
    case ACC_DTYPE_F32: case ACC_DTYPE_I32: return 4;
    case ACC_DTYPE_F16: case ACC_DTYPE_BF16: return 2;
    case ACC_DTYPE_BOOL: return 1;
  }
  return 0;
}

/* `value` rounded to nearest even in a binary format with `mantissa_bits` fraction and
 * `exponent_bits` exponent bits, with gradual underflow and overflow to infinity. */
static double round_to_format(double value, int mantissa_bits, int exponent_bits) {
  if (!isfinite(value) || value == 0) return value;
  int maximum_exponent = (1 << (exponent_bits - 1)) - 1;
  int minimum_exponent = 1 - maximum_exponent;
  int exponent = ilogb(fabs(value));
  int quantum = (exponent > minimum_exponent ? exponent : minimum_exponent) - mantissa_bits;
  double result = ldexp(nearbyint(ldexp(value, -quantum)), quantum); /* nearbyint: ties to even */
  double greatest = ldexp(2 - ldexp(1, -mantissa_bits), maximum_exponent);
  if (fabs(result) > greatest) return value < 0 ? -INFINITY : INFINITY;
  return result;
}

/* Two's-complement wrap of an integral double to 32 bits; NaN becomes 0, infinities saturate. */
static double wrap_to_int32(double value) {
  if (!isfinite(value)) return convert_value(ACC_DTYPE_I32, value);
  double truncated = trunc(value);
  int64_t wide;
  if (truncated >= 9223372036854775808.0) wide = INT64_MAX;
  else if (truncated < -9223372036854775808.0) wide = INT64_MIN;
  else wide = (int64_t)truncated;
  return (double)(int32_t)(uint32_t)(uint64_t)wide;
}

double store_value(AccDType dtype, double value) {
  switch (dtype) {
    case ACC_DTYPE_F32: return (double)(float)value;
    case ACC_DTYPE_F16: return round_to_format(value, 10, 5);
    case ACC_DTYPE_BF16: return round_to_format(value, 7, 8);
    case ACC_DTYPE_I32: return wrap_to_int32(value);
    case ACC_DTYPE_BOOL: return value != 0 ? 1 : 0; /* NaN is nonzero */
  }
  return value;
}

double convert_value(AccDType dtype, double value) {
  if (dtype != ACC_DTYPE_I32) return store_value(dtype, value);
  if (isnan(value)) return 0;
  if (isinf(value)) return value < 0 ? (double)INT32_MIN : (double)INT32_MAX;
  double truncated = trunc(value) + 0.0; /* + 0 turns -0 into +0: integers have one zero */
  if (truncated >= (double)INT32_MAX) return (double)INT32_MAX;
  if (truncated <= (double)INT32_MIN) return (double)INT32_MIN;
  return truncated;
}

static double f16_to_double(uint16_t bits) {
  int exponent = (bits >> 10) & 0x1F;
  int fraction = bits & 0x3FF;
  double magnitude;
  if (exponent == 0x1F) magnitude = fraction ? NAN : INFINITY;
  else if (exponent == 0) magnitude = ldexp(fraction, -24);
  else magnitude = ldexp(fraction + 1024, exponent - 25);
  return (bits & 0x8000) ? -magnitude : magnitude;
}

/* The bits of `value`, which is exactly representable in f16. */
static uint16_t double_to_f16(double value) {
  uint16_t sign = signbit(value) ? 0x8000 : 0;
  if (isnan(value)) return 0x7E00;
  double magnitude = fabs(value);
  if (isinf(magnitude)) return sign | 0x7C00;
  if (magnitude == 0) return sign;
  int exponent = ilogb(magnitude);
  if (exponent < -14) return sign | (uint16_t)ldexp(magnitude, 24);
  return sign | (uint16_t)((exponent + 15) << 10) | (uint16_t)((ldexp(magnitude, -exponent) - 1) * 1024);
}

double load_element(AccDType dtype, const void *bytes, int64_t index) {
  const unsigned char *base = (const unsigned char *)bytes;
  switch (dtype) {
    case ACC_DTYPE_F32: { float x; memcpy(&x, base + 4 * index, 4); return x; }
    case ACC_DTYPE_I32: { int32_t x; memcpy(&x, base + 4 * index, 4); return x; }
    case ACC_DTYPE_F16: { uint16_t x; memcpy(&x, base + 2 * index, 2); return f16_to_double(x); }
    case ACC_DTYPE_BF16: {
      uint16_t x; memcpy(&x, base + 2 * index, 2);
      uint32_t wide = (uint32_t)x << 16; float f; memcpy(&f, &wide, 4);
      return f;
    }
    case ACC_DTYPE_BOOL: return base[index] ? 1 : 0;
  }
  return 0;
}

void store_element(AccDType dtype, void *bytes, int64_t index, double value) {
  unsigned char *base = (unsigned char *)bytes;
  switch (dtype) {
    case ACC_DTYPE_F32: { float x = (float)value; memcpy(base + 4 * index, &x, 4); break; }
    case ACC_DTYPE_I32: { int32_t x = (int32_t)value; memcpy(base + 4 * index, &x, 4); break; }
    case ACC_DTYPE_F16: { uint16_t x = double_to_f16(value); memcpy(base + 2 * index, &x, 2); break; }
    case ACC_DTYPE_BF16: {
      float f = (float)value; uint32_t wide; memcpy(&wide, &f, 4); /* exact: value is a bf16 */
      uint16_t x = isnan(value) ? 0x7FC0 : (uint16_t)(wide >> 16);
      memcpy(base + 2 * index, &x, 2);
      break;
    }
    case ACC_DTYPE_BOOL: base[index] = value != 0; break;
  }
}

/* Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"). */
static void philox_block(int64_t seed, int64_t index, uint32_t out[4]) {
  uint64_t key = (uint64_t)seed, counter = (uint64_t)index;
  uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
  uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
  for (int round = 0; round < 10; ++round) {
    uint64_t product0 = (uint64_t)0xD2511F53u * c0;
    uint64_t product1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t hi0 = (uint32_t)(product0 >> 32), lo0 = (uint32_t)product0;
    uint32_t hi1 = (uint32_t)(product1 >> 32), lo1 = (uint32_t)product1;
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

double philox_uniform(int64_t seed, int64_t index) {
  uint32_t words[4];
  philox_block(seed, index, words);
  return (double)(words[0] >> 8) * 0x1p-24;
}

double philox_normal(int64_t seed, int64_t index) {
  uint32_t words[4];
  philox_block(seed, index, words);
  double u1 = ((double)(words[0] >> 8) + 1) * 0x1p-24; /* in (0, 1], so the logarithm is finite */
  double u2 = (double)(words[1] >> 8) * 0x1p-24;
  return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}
