extension Dialect {
    /// The OpenCL math helpers for devices with `cl_khr_fp64`, replacing ``mathHelpers``: each f32
    /// transcendental is the device's double-precision built-in (a few double ulps) rounded once to
    /// float, so results agree with the interpreter's (glibc's double result, rounded) in all but
    /// the rarest ties, as the C dialect's do. The float built-ins of ``mathHelpers`` are off by a
    /// few float ulps, which an argument like `t * exp(...)` fed to `sin` amplifies past the f32 tolerance.
    var openCLDoubleMathHelpers: String {
        let fn = helperQualifier
        return """
        #pragma OPENCL EXTENSION cl_khr_fp64 : enable
        \(fn)float acc_exp_f32(float x) { return (float)exp((double)x); }
        \(fn)float acc_log_f32(float x) { return (float)log((double)x); }
        \(fn)float acc_tanh_f32(float x) { return (float)tanh((double)x); }
        \(fn)float acc_sigmoid_f32(float x) { return (float)(1.0 / (1.0 + exp(-(double)x))); }
        \(fn)float acc_rsqrt_f32(float x) { return (float)(1.0 / sqrt((double)x)); }
        \(fn)float acc_sin_f32(float x) { return (float)sin((double)x); }
        \(fn)float acc_cos_f32(float x) { return (float)cos((double)x); }
        \(fn)float acc_pow_f32(float x, float y) { return (float)pow((double)x, (double)y); }

        """
    }
}
