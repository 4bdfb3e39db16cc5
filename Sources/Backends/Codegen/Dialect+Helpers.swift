extension Dialect {
    /// The helper functions every translation unit carries, written once for both dialects.
    ///
    /// The f16 and bf16 conversions are branch-free bit manipulation (so loops using them vectorize)
    /// and round to nearest even with subnormals, overflow to infinity and quiet NaNs, exactly as
    /// ``FloatFormat/rounded(_:flushingSubnormals:)`` does; they rely on IEEE float arithmetic in the
    /// default rounding mode, so the code must not be compiled with `-ffast-math`.
    var helpers: String {
        let uint16 = unsignedType(bits: 16), uint32 = unsignedType(bits: 32), uint64 = unsignedType(bits: 64)
        let inline = helperQualifier, fabs = floatFunction("fabs")
        let wide = wideType, twoToMinus24 = "0x1.0p-24" + wideLiteralSuffix
        var text = """
        \(inline)long acc_clamp(long x, long lower, long upper) { return x < lower ? lower : (x > upper ? upper : x); }

        /* f16 bits to float, exactly (normal, subnormal, inf and NaN). */
        \(inline)float acc_f16_to_f32(\(uint16) h) {
            const \(uint32) w = (\(uint32))h << 16;
            const \(uint32) sign = w & 0x80000000u;
            const \(uint32) twice = w + w;
            const float normal = \(float(fromBits: "(twice >> 4) + (0xE0u << 23)")) * 0x1.0p-112f;
            const float subnormal = \(float(fromBits: "(twice >> 17) | (126u << 23)")) - 0.5f;
            return \(float(fromBits: "sign | (twice < (1u << 27) ? \(bits(of: "subnormal")) : \(bits(of: "normal")))"));
        }

        /* float to f16 bits, round to nearest even: adding the magnitude to a power of two whose ulp is
           the f16 quantum at x's exponent rounds it in the FPU; 2^112 * 2^-110 overflows to infinity
           exactly the values at or above 2^16. */
        \(inline)\(uint16) acc_f32_to_f16(float x) {
            const \(uint32) w = \(bits(of: "x"));
            const \(uint32) sign = (w >> 16) & 0x8000u;
            const \(uint32) twice = w + w;
            \(uint32) bias = twice & 0xFF000000u;
            bias = bias < 0x71000000u ? 0x71000000u : bias;
            const float base = \(float(fromBits: "(bias >> 1) + 0x07800000u")) + (\(fabs)(x) * 0x1.0p+112f) * 0x1.0p-110f;
            const \(uint32) b = \(bits(of: "base"));
            const \(uint32) magnitude = ((b >> 13) & 0x7C00u) + (b & 0x0FFFu);
            return (\(uint16))(sign | (twice > 0xFF000000u ? 0x7E00u : magnitude));
        }

        \(inline)float acc_bf16_to_f32(\(uint16) h) { return \(float(fromBits: "(\(uint32))h << 16")); }

        /* float to bf16 bits, round to nearest even on the upper half; NaN stays a quiet NaN. */
        \(inline)\(uint16) acc_f32_to_bf16(float x) {
            const \(uint32) w = \(bits(of: "x"));
            const \(uint32) rounded = w + 0x7FFFu + ((w >> 16) & 1u);
            return (\(uint16))(((w & 0x7FFFFFFFu) > 0x7F800000u ? (w | 0x00400000u) : rounded) >> 16);
        }

        /* float rounded to the nearest f16 value, in float: adding c = 2^(e + 13), whose ulp is the f16 quantum
           at x's exponent e (at least 2^-24, the subnormal quantum), rounds |x| in the FPU; the subtraction is exact. */
        \(inline)float acc_round_f16(float x) {
            const \(uint32) w = \(bits(of: "x"));
            const \(uint32) magnitude = w & 0x7FFFFFFFu;
            \(uint32) exponent = magnitude & 0x7F800000u;
            exponent = exponent < (113u << 23) ? (113u << 23) : exponent;
            const float c = \(float(fromBits: "exponent + (13u << 23)"));
            const float r = (\(float(fromBits: "magnitude")) + c) - c;
            const \(uint32) rounded = magnitude >= 0x477FF000u ? 0x7F800000u : \(bits(of: "r"));
            return \(float(fromBits: "magnitude > 0x7F800000u ? w : (rounded | (w & 0x80000000u))"));
        }
        \(inline)float acc_round_bf16(float x) { return acc_bf16_to_f32(acc_f32_to_bf16(x)); }

        /* The helpers compute every comparison and conversion unconditionally and then select, so the
           compiler can turn them into vector blends without assuming floating-point operations never trap. */
        \(inline)int acc_div_i32(int a, int b) {
            const int special = (b == 0) | (b == -1);
            const int quotient = a / (special ? 1 : b);
            return b == 0 ? 0 : (b == -1 ? (int)(0u - (\(uint32))a) : quotient);
        }
        /* Truncate toward zero, saturate, NaN to 0. */
        \(inline)int acc_f32_to_i32(float x) {
            const int high = x >= 2147483648.0f, low = x <= -2147483648.0f, nan = x != x;
            const int truncated = (int)((high | low | nan) ? 0.0f : x);
            return high ? 2147483647 : (low ? (-2147483647 - 1) : truncated);
        }
        /* max and min propagate NaN; on ties max returns b and min returns a, as Swift's max and min do. */
        \(inline)float acc_max_f32(float a, float b) {
            const int nan = (a != a) | (b != b), second = b >= a;
            return nan ? NAN : (second ? b : a);
        }
        \(inline)float acc_min_f32(float a, float b) {
            const int nan = (a != a) | (b != b), second = b < a;
            return nan ? NAN : (second ? b : a);
        }
        \(inline)float acc_sign_f32(float x) {
            const int nan = x != x, positive = x > 0.0f, negative = x < 0.0f;
            return nan ? x : (positive ? 1.0f : (negative ? -1.0f : 0.0f));
        }

        /* Philox-4x32-10 (Salmon et al.): words 0 and 1 of the block for counter (index, 0, 0). */
        \(inline)\(uint64) acc_philox(\(uint64) index, \(uint32) k0, \(uint32) k1) {
            \(uint32) c0 = (\(uint32))index, c1 = (\(uint32))(index >> 32), c2 = 0u, c3 = 0u;
            for (int round = 0; round < 10; ++round) {
                const \(uint64) p0 = (\(uint64))0xD2511F53u * c0;
                const \(uint64) p1 = (\(uint64))0xCD9E8D57u * c2;
                const \(uint32) hi0 = (\(uint32))(p0 >> 32), lo0 = (\(uint32))p0;
                const \(uint32) hi1 = (\(uint32))(p1 >> 32), lo1 = (\(uint32))p1;
                c0 = hi1 ^ c1 ^ k0; c1 = lo1; c2 = hi0 ^ c3 ^ k1; c3 = lo0;
                k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
            }
            return (\(uint64))c0 | ((\(uint64))c1 << 32);
        }
        \(inline)float acc_uniform(\(uint64) index, \(uint32) k0, \(uint32) k1) {
            return (float)((\(uint32))acc_philox(index, k0, k1) >> 8) * 0x1.0p-24f;
        }
        /* Box-Muller of two 24-bit uniforms, the first in (0, 1] so the logarithm is finite. */
        \(inline)\(wide) acc_normal(\(uint64) index, \(uint32) k0, \(uint32) k1) {
            const \(uint64) words = acc_philox(index, k0, k1);
            const \(wide) u1 = ((\(wide))((\(uint32))words >> 8) + 1) * \(twoToMinus24);
            const \(wide) u2 = (\(wide))((\(uint32))(words >> 32) >> 8) * \(twoToMinus24);
            return \(wideFunction("sqrt"))(-2 * \(wideFunction("log"))(u1)) * \(wideFunction("cos"))(2 * 3.141592653589793\(wideLiteralSuffix) * u2);
        }

        """
        if supportsDouble {
            text += """
            /* double to float, rounding to odd: then rounding that float to f16 or bf16 (at least two bits
               narrower) gives the correctly rounded result, with no double-rounding error. */
            \(inline)float acc_f32_odd(double d) {
                const float f = (float)d;
                \(uint32) w = \(bits(of: "f"));
                const int inexact = ((double)f != d) & (f == f) & (\(fabs)(f) != INFINITY);
                const int away = fabs((double)f) > fabs(d);
                w -= (inexact & away) ? 1u : 0u;
                w |= inexact ? 1u : 0u;
                return \(float(fromBits: "w"));
            }
            \(inline)float acc_f32_from_wide(double d) { return (float)d; }
            \(inline)float acc_round_f16_wide(double d) { return acc_round_f16(acc_f32_odd(d)); }
            \(inline)float acc_round_bf16_wide(double d) { return acc_round_bf16(acc_f32_odd(d)); }
            \(inline)float acc_bf16_from_long(long x) {
                const float near = acc_round_bf16((float)x), far = acc_round_bf16_wide((double)x);
                return (x < 16777216L && x > -16777216L) ? near : far;
            }

            """
        } else {
            text += """
            \(inline)float acc_f32_from_wide(float d) { return d; }
            \(inline)float acc_round_f16_wide(float d) { return acc_round_f16(d); }
            \(inline)float acc_round_bf16_wide(float d) { return acc_round_bf16(d); }
            \(inline)float acc_bf16_from_long(long x) { return acc_round_bf16((float)x); }

            """
        }
        return text
    }
}
