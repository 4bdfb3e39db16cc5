extension Dialect {
    /// The transcendental functions of f32 values: `acc_exp_f32`, `acc_exp_relaxed_f32`, `acc_log_f32`,
    /// `acc_tanh_f32`, `acc_sigmoid_f32`, `acc_rsqrt_f32`, `acc_sin_f32`, `acc_cos_f32` and `acc_pow_f32`.
    ///
    /// In C, exp and log are computed in `double` from polynomials with errors far below a float's
    /// half ulp and rounded once, so they agree with the interpreter (which rounds glibc's double
    /// result) in all but the rarest ties: an exp feeding a large sine argument (a timestep
    /// embedding) needs that. Where no such need survives (``ExponentialPrecision``, a softmax's
    /// exponentials) `acc_exp_relaxed_f32` computes exp in float within two ulps, about three times
    /// faster. tanh and sigmoid, which saturate and feed no such amplifier, are
    /// computed in float from the same reduction, within four ulps, so an MLP's gelu runs at
    /// memory speed rather than at the speed of double division. All are plain arithmetic, so a
    /// loop using them vectorizes, and they give the same bits in a vector lane as in a scalar remainder loop:
    /// a result never depends on how the output range was split between threads (glibc's vector
    /// math library, libmvec, does not have that property). rsqrt, sin, cos and pow round glibc's
    /// double results, exactly as the interpreter does; sin, cos and pow do not vectorize.
    ///
    /// In OpenCL they are the built-in functions (a few ulps), since `double` is optional there.
    var mathHelpers: String {
        let inline = helperQualifier
        guard self == .c else {
            return """
            \(inline)float acc_exp_f32(float x) { return exp(x); }
            \(inline)float acc_exp_relaxed_f32(float x) { return exp(x); }
            \(inline)float acc_log_f32(float x) { return log(x); }
            \(inline)float acc_tanh_f32(float x) { return tanh(x); }
            \(inline)float acc_sigmoid_f32(float x) { return 1.0f / (1.0f + exp(-x)); }
            \(inline)float acc_rsqrt_f32(float x) { return rsqrt(x); }
            \(inline)float acc_sin_f32(float x) { return sin(x); }
            \(inline)float acc_cos_f32(float x) { return cos(x); }
            \(inline)float acc_pow_f32(float x, float y) { return pow(x, y); }

            """
        }
        return """
        /* a * b + c, fused where the CPU has FMA: exactly specified either way, so a loop gives the same bits
           vectorized or not. */
        \(inline)double acc_madd(double a, double b, double c) {
        #if defined(__FMA__)
            return fma(a, b, c);
        #else
            return a * b + c;
        #endif
        }

        /* e^r - 1 for |r| <= ln2/2 by its Taylor polynomial of degree 10 (error below 3e-13 of e^r, far below a
           float's half ulp, so only results within that distance of a rounding tie can round wrongly). */
        \(inline)double acc_expm1_reduced(double r) {
            double p = 1.0 / 3628800.0;
            p = acc_madd(p, r, 1.0 / 362880.0);
            p = acc_madd(p, r, 1.0 / 40320.0);
            p = acc_madd(p, r, 1.0 / 5040.0);
            p = acc_madd(p, r, 1.0 / 720.0);
            p = acc_madd(p, r, 1.0 / 120.0);
            p = acc_madd(p, r, 1.0 / 24.0);
            p = acc_madd(p, r, 1.0 / 6.0);
            p = acc_madd(p, r, 0.5);
            p = acc_madd(p, r, 1.0);
            return p * r;
        }

        /* For x in [-708, 709]: x = k ln2 + r with |r| <= ln2/2 (k rounded by adding 1.5 * 2^52; ln2 split so
           k * ln2_hi is exact) and 2^k written into the exponent field; then e^x = 2^k + 2^k (e^r - 1). */
        \(inline)double acc_exp_wide(double x) {
            const double shifted = x * 1.4426950408889634 + 0x1.8p52;
            const double k = shifted - 0x1.8p52;
            const double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
            const double scale = acc_double((acc_bits64(shifted) + 1023u) << 52);
            return acc_madd(scale, acc_expm1_reduced(r), scale);
        }

        /* Beyond [-104, 89] a float's e^x is 0 or infinity; NaN stays NaN through the arithmetic. The clamp is
           integer selects on the bits and the widening is unconditional, so the loop holds no floating-point
           operation that GCC would have to move under a branch, which it may not do with trapping math (with
           float compares there, exp loops stayed scalar). */
        \(inline)float acc_exp_clamp_f32(float x) {
            const uint32_t bits = acc_bits(x), magnitude = bits & 0x7FFFFFFFu, sign = bits & 0x80000000u;
            const uint32_t limit = sign ? 0x42D00000u /* 104 */ : 0x42B20000u /* 89 */;
            return acc_float((magnitude > limit) & (magnitude <= 0x7F800000u) ? (sign | limit) : bits);
        }

        \(inline)float acc_exp_f32(float x) { return (float)acc_exp_wide((double)acc_exp_clamp_f32(x)); }

        /* log x = e ln2 + 2 atanh(s), x = m 2^e with m in [sqrt(1/2), sqrt(2)), s = (m - 1) / (m + 1),
           atanh by its odd series to s^23 (|s| <= 0.172: error below 1e-18). */
        \(inline)float acc_log_f32(float x) {
            const double d = x;
            const uint64_t bits = acc_bits64(d);
            const double e0 = acc_double(0x4330000000000000u | (bits >> 52)) - (0x1p52 + 1023.0);
            const double m0 = acc_double((bits & 0x000FFFFFFFFFFFFFu) | 0x3FF0000000000000u);
            const int high = m0 > 1.4142135623730951;
            const double m = high ? m0 * 0.5 : m0;
            const double e = high ? e0 + 1.0 : e0;
            const double s = (m - 1.0) / (m + 1.0);
            const double z = s * s;
            double p = 1.0 / 23.0;
            p = acc_madd(p, z, 1.0 / 21.0);
            p = acc_madd(p, z, 1.0 / 19.0);
            p = acc_madd(p, z, 1.0 / 17.0);
            p = acc_madd(p, z, 1.0 / 15.0);
            p = acc_madd(p, z, 1.0 / 13.0);
            p = acc_madd(p, z, 1.0 / 11.0);
            p = acc_madd(p, z, 1.0 / 9.0);
            p = acc_madd(p, z, 1.0 / 7.0);
            p = acc_madd(p, z, 1.0 / 5.0);
            p = acc_madd(p, z, 1.0 / 3.0);
            p = acc_madd(p, z, 1.0);
            const float y = (float)(e * 6.93147180369123816490e-01 + (e * 1.90821492927058770002e-10 + 2.0 * s * p));
            const int positive = x > 0.0f, infinite = x == INFINITY, zero = x == 0.0f, nan = x != x;
            return positive ? (infinite ? x : y) : (zero ? -INFINITY : (nan ? x : NAN));
        }

        /* a * b + c in float, fused where the CPU has FMA (the same bits vectorized or not). */
        \(inline)float acc_maddf(float a, float b, float c) {
        #if defined(__FMA__)
            return fmaf(a, b, c);
        #else
            return a * b + c;
        #endif
        }

        /* e^r - 1 for |r| <= ln2/2 in float, r times the Taylor polynomial to degree 7 (truncation error below
           2e-8 relative, a third of a float ulp). */
        \(inline)float acc_expm1_reduced_f32(float r) {
            float p = 1.0f / 40320.0f;
            p = acc_maddf(p, r, 1.0f / 5040.0f);
            p = acc_maddf(p, r, 1.0f / 720.0f);
            p = acc_maddf(p, r, 1.0f / 120.0f);
            p = acc_maddf(p, r, 1.0f / 24.0f);
            p = acc_maddf(p, r, 1.0f / 6.0f);
            p = acc_maddf(p, r, 0.5f);
            p = acc_maddf(p, r, 1.0f);
            return p * r;
        }

        /* x = k ln2 + r in float for |x| <= 104: k rounded by adding 1.5 * 2^23, ln2 split so k ln2_hi is exact. */
        \(inline)float acc_exp_reduce_f32(float x, float *k) {
            const float shifted = acc_maddf(x, 1.44269504f, 12582912.0f);
            *k = shifted - 12582912.0f;
            return acc_maddf(*k, -1.42860677e-06f, acc_maddf(*k, -0.693145752f, x));
        }

        /* e^x in float for x in [-104, 89], within two ulps: 2^k (1 + (e^r - 1)) with 2^k applied as two
           normal powers of two, so results down to the subnormals keep their bits. */
        \(inline)float acc_exp_fast_f32(float x) {
            float k;
            const float m = acc_expm1_reduced_f32(acc_exp_reduce_f32(x, &k));
            const int whole = (int)k, lower = whole / 2;
            const float first = acc_float((uint32_t)(lower + 127) << 23), second = acc_float((uint32_t)(whole - lower + 127) << 23);
            return acc_maddf(first, m, first) * second;
        }

        /* e^x within two ulps for every float, where exactness is not needed (``ExponentialPrecision``). */
        \(inline)float acc_exp_relaxed_f32(float x) { return acc_exp_fast_f32(acc_exp_clamp_f32(x)); }

        /* tanh |x| = m / (m + 2) with m = e^2|x| - 1 = (2^k - 1) + 2^k (e^r - 1), which loses no bits near 0;
           |x| capped at 9, where tanh already rounds to 1. Float arithmetic throughout (within four ulps of the
           correctly rounded result), so the gelu of a transformer's MLP runs at memory speed. */
        \(inline)float acc_tanh_f32(float x) {
            const float a = fabsf(x) < 9.0f ? fabsf(x) : 9.0f;
            float k;
            const float r = acc_exp_reduce_f32(2.0f * a, &k);
            const float scale = acc_float((uint32_t)((int)k + 127) << 23);
            const float m = acc_maddf(scale, acc_expm1_reduced_f32(r), scale - 1.0f);
            const float y = copysignf(m / (m + 2.0f), x);
            return x != x ? x : y;
        }

        /* 1 / (1 + e^-x) from t = e^-|x| in (0, 1]: 1 / (1 + t) for x >= 0, t / (1 + t) below, so tiny results
           keep their relative precision. Float arithmetic, within three ulps. */
        \(inline)float acc_sigmoid_f32(float x) {
            const float a = fabsf(x) < 104.0f ? fabsf(x) : 104.0f;
            const float t = acc_exp_fast_f32(-a);
            const float y = (x >= 0.0f ? 1.0f : t) / (1.0f + t);
            return x != x ? x : y;
        }

        \(inline)float acc_rsqrt_f32(float x) { return (float)(1.0 / sqrt((double)x)); }
        \(inline)float acc_sin_f32(float x) { return (float)sin((double)x); }
        \(inline)float acc_cos_f32(float x) { return (float)cos((double)x); }
        \(inline)float acc_pow_f32(float x, float y) { return (float)pow((double)x, (double)y); }

        """
    }
}
