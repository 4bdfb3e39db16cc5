import KernelIR

/// The two C-family languages one renderer writes; each member is one difference between them.
///
/// ``CFamilyRenderer`` lowers a kernel once, to statements in the common subset of C99 and
/// OpenCL C, and asks the dialect only for what differs: qualifiers, type names, how a float's
/// bits are read, math function names, and how the parallel element index is bound (a loop over
/// `[begin, end)` on the CPU, a work-item id on a GPU).
public enum Dialect: String, Hashable, Sendable, CaseIterable {
    /// C11 for the system C compiler, loaded with `dlopen` by the CPU backend.
    case c
    /// OpenCL C 1.2, built by an OpenCL driver.
    case openCL

    /// Written before a kernel function's return type.
    var kernelQualifier: String { self == .c ? "" : "__kernel " }

    /// The address space of a buffer pointer.
    var globalQualifier: String { self == .c ? "" : "__global " }

    /// Written before a file-scope table of constants.
    var constantTableQualifier: String { self == .c ? "static const " : "__constant " }

    /// Written before a helper function.
    var helperQualifier: String { "static inline " }

    /// Whether the dialect loops over elements itself, so the renderer may choose loop shapes and
    /// ask for SIMD (`#pragma omp simd`); a GPU dialect gives each element its own work item.
    var ownsElementLoop: Bool { self == .c }

    /// Whether `double` is available, for reduction accumulators and the normal distribution.
    /// OpenCL 1.2 makes `double` optional (`cl_khr_fp64`), so the OpenCL dialect computes those in `float`.
    var supportsDouble: Bool { self == .c }

    /// The type of the unsigned integers of `bits` bits (8, 16, 32 or 64).
    func unsignedType(bits: Int) -> String {
        switch (self, bits) {
        case (.c, _): "uint\(bits)_t"
        case (.openCL, 8): "uchar"
        case (.openCL, 16): "ushort"
        case (.openCL, 64): "ulong"
        case (.openCL, _): "uint"
        }
    }

    /// The type accumulators and the normal distribution use: `double` where available.
    var wideType: String { supportsDouble ? "double" : "float" }

    /// The suffix that makes a floating literal a ``wideType`` value.
    var wideLiteralSuffix: String { supportsDouble ? "" : "f" }

    /// How elements of `dtype` are stored in a buffer.
    func storageType(_ dtype: DType) -> String {
        switch dtype {
        case .f32: "float"
        case .f16, .bf16: unsignedType(bits: 16)
        case .i32: "int"
        case .bool: unsignedType(bits: 8)
        }
    }

    /// The type values of `dtype` are computed in: `float` for every float dtype (rounded back after
    /// each op for f16 and bf16), `int` for i32 and a byte holding 0 or 1 for bool.
    func computeType(_ dtype: DType) -> String {
        switch dtype {
        case .f32, .f16, .bf16: "float"
        case .i32: "int"
        case .bool: unsignedType(bits: 8)
        }
    }

    /// The single-precision version of the libm function `name` (`exp`, `tanh`, `fabs`, ...).
    func floatFunction(_ name: String) -> String { self == .c ? name + "f" : name }

    /// The ``wideType`` version of the libm function `name`.
    func wideFunction(_ name: String) -> String { name }

    /// The bits of a `float` expression as an unsigned 32-bit integer.
    func bits(of expression: String) -> String { self == .c ? "acc_bits(\(expression))" : "as_uint(\(expression))" }

    /// The `float` whose bits are an unsigned 32-bit expression.
    func float(fromBits expression: String) -> String { self == .c ? "acc_float(\(expression))" : "as_float(\(expression))" }

    /// What a translation unit starts with: headers and bit-cast helpers.
    var preamble: String {
        switch self {
        case .c:
            return """
            #include <math.h>
            #include <stdint.h>
            #include <string.h>

            static inline uint32_t acc_bits(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
            static inline float acc_float(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }
            static inline uint64_t acc_bits64(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
            static inline double acc_double(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }

            #if defined(__SSE2__)
            #include <immintrin.h>
            #endif
            /* 16 floats to 64-byte-aligned memory, bypassing the caches where the CPU can. */
            static inline void acc_stream_16(float *target, const float *lanes) {
            #if defined(__AVX512F__)
                _mm512_stream_ps(target, _mm512_loadu_ps(lanes));
            #elif defined(__AVX__)
                _mm256_stream_ps(target, _mm256_loadu_ps(lanes));
                _mm256_stream_ps(target + 8, _mm256_loadu_ps(lanes + 8));
            #elif defined(__SSE2__)
                for (int k = 0; k < 16; k += 4) _mm_stream_ps(target + k, _mm_loadu_ps(lanes + k));
            #else
                memcpy(target, lanes, 16 * sizeof(float));
            #endif
            }
            /* Orders streaming stores before whatever reads the output next. */
            static inline void acc_stream_fence(void) {
            #if defined(__SSE2__)
                _mm_sfence();
            #endif
            }

            """
        case .openCL:
            return ""
        }
    }

    /// A kernel function's signature; `buffers` are the kernel's inputs, then its output.
    func signature(name: String, buffers: [BufferParameter]) -> String {
        switch self {
        case .c:
            return "\(kernelQualifier)void \(name)(void *const *buffers, long begin, long end)"
        case .openCL:
            let parameters = buffers.map { declaration(of: $0) } + ["const long begin", "const long end"]
            return "\(kernelQualifier)void \(name)(\(parameters.joined(separator: ", ")))"
        }
    }

    /// Statements that bind the buffer pointers a ``signature(name:buffers:)`` did not declare.
    func bufferBindings(_ buffers: [BufferParameter]) -> [String] {
        switch self {
        case .c:
            return buffers.enumerated().map { index, buffer in
                let constness = buffer.isWritten ? "" : "const "
                return "\(declaration(of: buffer)) = (\(constness)\(buffer.storageType) *)buffers[\(index)];"
            }
        case .openCL:
            return []
        }
    }

    private func declaration(of buffer: BufferParameter) -> String {
        let constness = buffer.isWritten ? "" : "const "
        let restriction = buffer.isRestricted ? "restrict " : ""
        return "\(globalQualifier)\(constness)\(buffer.storageType) *\(restriction)\(buffer.name)"
    }

    /// Binds the parallel element index `variable` over `[begin, end)`: the lines that open its
    /// scope (closed by one `}`). On the CPU a loop, vectorized when `isVectorized`; on a GPU the
    /// work-item id with a bounds check.
    func openParallelIndex(_ variable: String, isVectorized: Bool) -> [String] {
        switch self {
        case .c:
            return (isVectorized ? ["#pragma omp simd"] : []) + ["for (long \(variable) = begin; \(variable) < end; ++\(variable)) {"]
        case .openCL:
            return ["const long \(variable) = begin + (long)get_global_id(0);", "if (\(variable) < end) {"]
        }
    }

    /// The pragma asking for a SIMD loop with `clauses` (e.g. `reduction(+:acc)`), where the dialect has one.
    func simdPragma(_ clauses: String = "") -> String? {
        self == .c ? "#pragma omp simd" + (clauses.isEmpty ? "" : " " + clauses) : nil
    }
}

/// A buffer a kernel function takes: a kernel input, or its output.
struct BufferParameter: Hashable, Sendable {
    /// The C name, `in0`, `in1`, ..., `out`.
    var name: String
    /// The element type as stored.
    var storageType: String
    /// Whether the kernel writes it (only the output).
    var isWritten: Bool
    /// Whether the pointer may be declared `restrict`: false when it aliases another buffer
    /// (a contraction epilogue reads the output it writes).
    var isRestricted: Bool
}
