import Foundation
import KernelIR

/// Matrix products computed by register-tiled loops in generated C instead of OpenBLAS, for the
/// products where the library's fixed costs weigh most: attention's, whose shared dimension or
/// width is one head, called once per head.
///
/// OpenBLAS packs both operands into buffers before it multiplies and, asked for `C = A B`, first
/// zeroes `C` and then adds the product to it: for a `[256, 32] x [32, 256]` product those passes
/// cost as much as the arithmetic. The tiled loops read both operands where they lie (only a right
/// operand stored transposed is copied, 32 columns at a time, to the stack) and write each tile of
/// twelve rows by 32 columns once, from 24 of the 32 vector registers. On one core with the operands
/// in cache they run attention's products at 96-110 GFLOP/s and vdit-s's per-sample linear layers at
/// 107-111, against 100-104 for `sgemm` (the FMA limit is about 115); in vdit-s's training step,
/// attention's products in these loops (then in tiles of eight rows) made the step 2.6-3.0% faster,
/// while the linear layers, whose operands arrive from L3 there, stay faster in OpenBLAS.
///
/// The source is data (``source``), compiled once per process by the device's C compiler into the
/// kernel cache; without a compiler every product runs in OpenBLAS.
final class TiledGEMM: Sendable {
    private let library: CompiledLibrary

    private init(library: CompiledLibrary) { self.library = library }

    /// The loops, compiled on first use; `nil` when no C compiler works (OpenBLAS is used instead).
    static let shared: TiledGEMM? = {
        let compiler = CPUKernelCompiler(device: "cpu", quiet: true)
        guard let library = try? compiler.library(source: source, symbols: [symbol], label: "tiled sgemm") else { return nil }
        return TiledGEMM(library: library)
    }()

    /// Which products use the tiled loops: `ACC_GEMM=tiled` for every f32 product, `ACC_GEMM=blas`
    /// for none; by default those with a shared dimension or a width of at most 32.
    static let policy = ProcessInfo.processInfo.environment["ACC_GEMM"] ?? "auto"

    /// Whether a product of `rows x depth` by `depth x columns` runs faster in the tiled loops.
    static func prefers(rows: Int, columns: Int, depth: Int) -> Bool {
        switch policy {
        case "tiled": true
        case "blas": false
        default: min(depth, columns) <= 32
        }
    }

    /// The deepest product whose right operand may be stored transposed (a 32-column panel on the stack).
    static let maximumPackedDepth = 512

    /// `output = left x right` for matrices stored with the given row and column strides (in elements;
    /// the right operand's column stride 1, or its depth at most ``maximumPackedDepth``).
    func multiply(rows: Int, columns: Int, depth: Int, left: UnsafePointer<Float>, strides leftStrides: (row: Int, column: Int),
                  right: UnsafePointer<Float>, strides rightStrides: (row: Int, column: Int),
                  output: UnsafeMutablePointer<Float>, outputStride: Int) {
        guard rows > 0, columns > 0 else { return }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 8) { parameters in
            guard let block = parameters.baseAddress else { return }
            block.initialize(to: rows)
            (block + 1).initialize(to: columns)
            (block + 2).initialize(to: depth)
            (block + 3).initialize(to: leftStrides.row)
            (block + 4).initialize(to: leftStrides.column)
            (block + 5).initialize(to: rightStrides.row)
            (block + 6).initialize(to: rightStrides.column)
            (block + 7).initialize(to: outputStride)
            withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer.self, capacity: 4) { buffers in
                guard let base = buffers.baseAddress else { return }
                base.initialize(to: UnsafeMutableRawPointer(block))
                (base + 1).initialize(to: UnsafeMutableRawPointer(mutating: left))
                (base + 2).initialize(to: UnsafeMutableRawPointer(mutating: right))
                (base + 3).initialize(to: UnsafeMutableRawPointer(output))
                library.run(0, base, range: 0..<1)
            }
        }
    }

    private static let symbol = "acc_tiled_sgemm"

    /// The C source: `acc_tiled_sgemm(buffers, begin, end)`, `buffers` pointing at the eight sizes and
    /// strides, the left operand, the right operand and the output.
    static let source = #"""
    #include <string.h>
    #if defined(__AVX512F__)
    #include <immintrin.h>
    #endif

    /* 16 floats in one vector register where the CPU has 512-bit registers (two or four elsewhere). */
    typedef float acc_v16 __attribute__((vector_size(64)));

    static inline acc_v16 acc_load16(const float *p) { acc_v16 v; memcpy(&v, p, sizeof v); return v; }
    static inline void acc_store16(float *p, acc_v16 v) { memcpy(p, &v, sizeof v); }
    static inline acc_v16 acc_splat16(float x) { return (acc_v16){0} + x; }
    static inline acc_v16 acc_fma16(acc_v16 a, acc_v16 b, acc_v16 c) {
    #if defined(__AVX512F__)
        return (acc_v16)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
    #else
        return a * b + c;
    #endif
    }

    /* C[rows x 16*W] = A[rows x depth] B[depth x 16*W] for rows <= 12 known at compile time through R. */
    #define ACC_TILE(R, W) \
    static inline void acc_tile_##R##x##W(long depth, const float *a, long ars, long acs, const float *b, long brs, float *c, long ldc) { \
        acc_v16 sum[R][W]; \
        for (int r = 0; r < R; ++r) for (int w = 0; w < W; ++w) sum[r][w] = (acc_v16){0}; \
        for (long k = 0; k < depth; ++k) { \
            acc_v16 row[W]; \
            for (int w = 0; w < W; ++w) row[w] = acc_load16(b + k * brs + 16 * w); \
            for (int r = 0; r < R; ++r) { \
                const acc_v16 x = acc_splat16(a[r * ars + k * acs]); \
                for (int w = 0; w < W; ++w) sum[r][w] = acc_fma16(x, row[w], sum[r][w]); \
            } \
        } \
        for (int r = 0; r < R; ++r) for (int w = 0; w < W; ++w) acc_store16(c + r * ldc + 16 * w, sum[r][w]); \
    }
    ACC_TILE(12, 2)
    ACC_TILE(4, 2)
    ACC_TILE(1, 2)
    ACC_TILE(8, 1)
    ACC_TILE(1, 1)

    /* Columns [0, width) of C, width < 16: plain dot products. */
    static void acc_narrow_columns(long rows, long width, long depth, const float *a, long ars, long acs,
                                   const float *b, long brs, float *c, long ldc) {
        for (long i = 0; i < rows; ++i)
            for (long j = 0; j < width; ++j) {
                float sum = 0.0f;
                for (long k = 0; k < depth; ++k) sum += a[i * ars + k * acs] * b[k * brs + j];
                c[i * ldc + j] = sum;
            }
    }

    /* C = A B with B's rows contiguous: panels of 32 columns in tiles of 12, then 4 rows, then single rows; then a panel
       of 16 columns in tiles of 8 rows and single rows. */
    static void acc_multiply(long rows, long columns, long depth, const float *a, long ars, long acs,
                             const float *b, long brs, float *c, long ldc) {
        long j = 0;
        for (; j + 32 <= columns; j += 32) {
            long i = 0;
            for (; i + 12 <= rows; i += 12) acc_tile_12x2(depth, a + i * ars, ars, acs, b + j, brs, c + i * ldc + j, ldc);
            for (; i + 4 <= rows; i += 4) acc_tile_4x2(depth, a + i * ars, ars, acs, b + j, brs, c + i * ldc + j, ldc);
            for (; i < rows; ++i) acc_tile_1x2(depth, a + i * ars, ars, acs, b + j, brs, c + i * ldc + j, ldc);
        }
        if (j + 16 <= columns) {
            long i = 0;
            for (; i + 8 <= rows; i += 8) acc_tile_8x1(depth, a + i * ars, ars, acs, b + j, brs, c + i * ldc + j, ldc);
            for (; i < rows; ++i) acc_tile_1x1(depth, a + i * ars, ars, acs, b + j, brs, c + i * ldc + j, ldc);
            j += 16;
        }
        if (j < columns) acc_narrow_columns(rows, columns - j, depth, a, ars, acs, b + j, brs, c + j, ldc);
    }

    /* buffers: [0] 8 longs (rows, columns, depth, A's row and column strides, B's row and column strides, C's row
       stride), [1] A, [2] B, [3] C. A B with B's columns strided is multiplied in panels of 32 columns copied to the
       stack (depth at most 512). */
    void acc_tiled_sgemm(void *const *buffers, long begin, long end) {
        (void)begin; (void)end;
        const long *p = (const long *)buffers[0];
        const long rows = p[0], columns = p[1], depth = p[2], ars = p[3], acs = p[4], brs = p[5], bcs = p[6], ldc = p[7];
        const float *a = (const float *)buffers[1], *b = (const float *)buffers[2];
        float *c = (float *)buffers[3];
        if (bcs == 1) { acc_multiply(rows, columns, depth, a, ars, acs, b, brs, c, ldc); return; }
        float panel[32 * 512];
        for (long j = 0; j < columns; j += 32) {
            const long width = columns - j < 32 ? columns - j : 32;
            for (long k = 0; k < depth; ++k)
                for (long w = 0; w < width; ++w) panel[k * 32 + w] = b[k * brs + (j + w) * bcs];
            acc_multiply(rows, width, depth, a, ars, acs, panel, 32, c + j, ldc);
        }
    }
    """#
}
