extension Dialect {
    /// The OpenCL math helpers for devices with `cl_khr_fp64`, replacing ``mathHelpers``: the C
    /// dialect's own double-precision definitions (polynomials with errors far below a float's
    /// half ulp, rounded once), with the C-only spellings swapped for OpenCL's, so the two dialects
    /// share one definition and agree with the interpreter in all but the rarest ties.
    ///
    /// The float built-ins of ``mathHelpers`` are off by a few float ulps, which an argument like
    /// `t * exp(...)` fed to `sin` amplifies past the f32 tolerance; the double built-ins
    /// (`tanh((double)x)`) are accurate but run scalar in some drivers (ten times slower on PoCL),
    /// while the polynomials are plain arithmetic that vectorizes across work items.
    var openCLDoubleMathHelpers: String {
        let spellings = [
            ("uint64_t", "ulong"), ("uint32_t", "uint"), ("acc_bits64(", "as_ulong("), ("acc_double(", "as_double("),
            ("acc_bits(", "as_uint("), ("acc_float(", "as_float("), ("fmaf(", "fma("), ("fabsf(", "fabs("),
            ("copysignf(", "copysign("),
        ]
        var text = Dialect.c.mathHelpers
        for (c, openCL) in spellings { text = text.replacingOccurrences(of: c, with: openCL) }
        return "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" + text
    }
}
