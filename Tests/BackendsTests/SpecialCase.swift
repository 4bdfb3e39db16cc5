import KernelIR
import Testing

/// A graph with chosen inputs for what the primitive catalog does not reach: NaN, infinity,
/// overflow and rounding ties, i32 extremes, empty reductions, and shapes large enough to run the
/// vectorized loops, row loops and long reductions.
struct SpecialCase: CustomTestStringConvertible, Sendable {
    var name: String
    var graph: Graph
    var inputs: [TensorValue]
    /// Whether the compiled result must equal the interpreter's bit for bit.
    var isExact: Bool

    var testDescription: String { name }

    private static func make(_ name: String, exact: Bool = false, positive: Bool = false,
                             inputs given: [[Double]]? = nil,
                             _ build: (GraphBuilder) throws(KIRError) -> [Value]) -> SpecialCase {
        let builder = GraphBuilder(name: name.replacingOccurrences(of: " ", with: "_"))
        do {
            let graph = builder.build(returning: try build(builder))
            let inputs = given.map { scalars in
                zip(graph.parameters, scalars).map { TensorValue(converting: $1, to: $0.type) }
            } ?? LoopKernelHarness.inputs(for: graph, seed: 11, positive: positive)
            return SpecialCase(name: name, graph: graph, inputs: inputs, isExact: exact)
        } catch {
            preconditionFailure("SpecialCase \(name) is ill-typed: \(error)")
        }
    }

    static let all: [SpecialCase] = {
        let nan = Double.nan, inf = Double.infinity
        let rows = (0..<37).map { Double($0 % 11) - 5.5 }
        var withNaN = rows
        withNaN[20] = nan
        var lastNaN = [Double](repeating: inf, count: 37)
        lastNaN[36] = nan
        let intMin = Double(Int32.min), intMax = Double(Int32.max)
        return [
            make("reduce max and min with NaN and infinite rows", exact: true,
                 inputs: [rows + withNaN + [Double](repeating: -inf, count: 37) + lastNaN]) { b throws(KIRError) in
                let x = b.parameter(TensorType(.f32, [4, 37]), name: "x")
                return [try b.reduce(.max, x, over: [1]), try b.reduce(.min, x, over: [1], keepingDimensions: true)]
            },
            make("max and min propagate NaN", exact: true,
                 inputs: [[1, nan, 3, -0.0, nan, inf, -inf, 2], [nan, 2, 3, 0, nan, nan, 1, -2]]) { b throws(KIRError) in
                let x = b.parameter(TensorType(.f32, [8]), name: "x"), y = b.parameter(TensorType(.f32, [8]), name: "y")
                return [try b.max(x, y), try b.min(x, y)]
            },
            make("f32 to f16 rounding edges", exact: true,
                 inputs: [[1e-8, 65519, 65520, -65536, 0x1p-24, 0x1p-25, 0x1.8p-25, nan, -inf, 1 + 0x1p-11, 1 + 0x1.8p-10, -0.0]]) { b throws(KIRError) in
                let x = b.parameter(TensorType(.f32, [12]), name: "x")
                return [try b.cast(x, to: .f16), try b.cast(x, to: .bf16)]
            },
            make("f32 to bf16 rounding edges", exact: true,
                 inputs: [[1 + 0x1p-8, 1 + 0x1.8p-7, 3.39e38, -3.4e38, 1e-39, 0x1p-133, nan, inf, 0x1.01p-126, -1 - 0x1p-8]]) { b throws(KIRError) in
                [try b.cast(b.parameter(TensorType(.f32, [10]), name: "x"), to: .bf16)]
            },
            make("f16 arithmetic overflows and underflows", exact: true,
                 inputs: [[60000, 0x1p-14, 300, -0.5, 1000, 0x1p-24], [2, 0x1p-3, 300, 0x1p-24, -70, 0.5]]) { b throws(KIRError) in
                let x = b.parameter(TensorType(.f16, [6]), name: "x"), y = b.parameter(TensorType(.f16, [6]), name: "y")
                return [try b.mul(x, y), try b.add(x, y), try b.div(x, y), try b.sub(y, x)]
            },
            make("bf16 arithmetic overflows and underflows", exact: true,
                 inputs: [[3e38, 1e-38, 300, -0.5, 1000, 1], [2, 1e-3, 3.1, 1e-40, -70, 0x1p-9]]) { b throws(KIRError) in
                let x = b.parameter(TensorType(.bf16, [6]), name: "x"), y = b.parameter(TensorType(.bf16, [6]), name: "y")
                return [try b.mul(x, y), try b.add(x, y), try b.div(x, y)]
            },
            make("i32 wraps and divides by zero", exact: true,
                 inputs: [[intMin, intMax, 7, -7, 5, 0, intMin], [-1, 1, 0, 2, -3, 0, intMin]]) { b throws(KIRError) in
                let x = b.parameter(TensorType(.i32, [7]), name: "x"), y = b.parameter(TensorType(.i32, [7]), name: "y")
                return [try b.div(x, y), try b.mul(x, x), try b.add(x, x), try b.neg(x), try b.unary(.abs, x), try b.sub(y, x),
                        try b.reduce(.sum, x, over: [0])]
            },
            make("f32 to i32 saturates and zeroes NaN", exact: true,
                 inputs: [[3e9, -3e9, nan, -2.7, 2.7, inf, -0.0, 2147483520]]) { b throws(KIRError) in
                let x = b.parameter(TensorType(.f32, [8]), name: "x")
                return [try b.cast(x, to: .i32), try b.cast(x, to: .bool), try b.cast(try b.cast(x, to: .i32), to: .bf16)]
            },
            make("f16 tanh of an affine map with broadcast bias") { b throws(KIRError) in
                let x = b.parameter(TensorType(.f16, [3, 1000]), name: "x")
                let w = b.parameter(TensorType(.f16, [3, 1000]), name: "w")
                let bias = b.parameter(TensorType(.f16, [1000]), name: "bias")
                return [try b.tanh(try b.add(try b.mul(x, w), try b.broadcast(bias, to: [3, 1000])))]
            },
            make("softmax bf16 over long rows") { b throws(KIRError) in
                let x = b.parameter(TensorType(.bf16, [5, 300]), name: "x")
                let m = try b.broadcast(try b.reduce(.max, x, over: [1], keepingDimensions: true), to: [5, 300])
                let e = try b.exp(try b.sub(x, m))
                let s = try b.broadcast(try b.reduce(.sum, e, over: [1], keepingDimensions: true), to: [5, 300])
                return [try b.div(e, s)]
            },
            make("reductions over leading and split axes") { b throws(KIRError) in
                let x = b.parameter(TensorType(.f32, [300, 7]), name: "x")
                let y = b.parameter(TensorType(.f32, [20, 3, 50]), name: "y")
                let h = b.parameter(TensorType(.f16, [4, 1000]), name: "h")
                return [try b.reduce(.sum, x, over: [0]), try b.reduce(.sum, try b.exp(y), over: [0, 2]),
                        try b.reduce(.max, y, over: [0, 2], keepingDimensions: true), try b.reduce(.sum, h, over: [1]),
                        try b.reduce(.sum, try b.mul(y, y), over: [])]
            },
            make("column reductions keep the innermost axis") { b throws(KIRError) in
                let x = b.parameter(TensorType(.f32, [300, 40]), name: "x")
                let y = b.parameter(TensorType(.bf16, [6, 50, 33]), name: "y")
                let z = b.parameter(TensorType(.i32, [20, 10]), name: "z")
                let empty = b.parameter(TensorType(.f32, [0, 10]), name: "empty")
                return [try b.reduce(.sum, try b.mul(x, x), over: [0]), try b.reduce(.max, try b.exp(y), over: [0, 1]),
                        try b.reduce(.sum, y, over: [1], keepingDimensions: true), try b.reduce(.min, z, over: [0]),
                        try b.reduce(.min, try b.permute(x, [1, 0]), over: [1]), try b.reduce(.max, empty, over: [0]),
                        try b.reduce(.sum, try b.broadcast(z, to: [3, 20, 10]), over: [0, 1])]
            },
            make("permute and reverse of a large tensor", exact: true) { b throws(KIRError) in
                let x = b.parameter(TensorType(.f32, [5, 6, 70]), name: "x")
                let one = try b.constant(1, TensorType(.f32, [6, 70, 5]))
                return [try b.add(try b.reverse(try b.permute(x, [1, 2, 0]), axes: [1]), one)]
            },
            make("transposes run in tiles", exact: true) { b throws(KIRError) in
                let x = b.parameter(TensorType(.f16, [70, 90]), name: "x")
                let y = b.parameter(TensorType(.f32, [3, 40, 33]), name: "y")
                return [try b.neg(try b.permute(x, [1, 0])), try b.add(try b.permute(y, [0, 2, 1]), try b.constant(1, TensorType(.f32, [3, 33, 40])))]
            },
            make("pad and concat of a large tensor", exact: true) { b throws(KIRError) in
                let x = b.parameter(TensorType(.f32, [30, 40]), name: "x")
                let padded = try b.pad(x, low: [2, 3], high: [1, 5], value: -1)
                let joined = try b.concat([padded, try b.neg(padded), padded], axis: 1)
                return [try b.mul(joined, try b.iota(TensorType(.f32, [33, 144]), axis: 1))]
            },
            make("iota past f16 and bf16 integer range", exact: true) { b throws(KIRError) in
                [try b.iota(TensorType(.f16, [4100]), axis: 0), try b.iota(TensorType(.bf16, [300, 7]), axis: 0),
                 try b.iota(TensorType(.i32, [3, 5]), axis: 1)]
            },
            make("random in every float dtype", exact: true) { b throws(KIRError) in
                [try b.random(.normal, TensorType(.f16, [1000]), seed: 7), try b.random(.normal, TensorType(.bf16, [10, 30]), seed: 1 << 40),
                 try b.random(.uniform, TensorType(.bf16, [500]), seed: 3), try b.random(.normal, TensorType(.f32, [2, 500]), seed: 0)]
            },
            make("empty reductions give the identity", exact: true, inputs: [[], [], []]) { b throws(KIRError) in
                let x = b.parameter(TensorType(.f32, [3, 0]), name: "x")
                let y = b.parameter(TensorType(.f32, [0, 4]), name: "y")
                let z = b.parameter(TensorType(.i32, [2, 0]), name: "z")
                return [try b.reduce(.sum, x, over: [1]), try b.reduce(.max, y, over: [0]), try b.reduce(.min, z, over: [1]),
                        try b.reduce(.max, z, over: [1])]
            },
            make("padding an empty tensor", exact: true, inputs: [[]]) { b throws(KIRError) in
                [try b.pad(b.parameter(TensorType(.f32, [0, 3]), name: "x"), low: [1, 0], high: [1, 0], value: 2.5)]
            },
            make("element constants in f16 arithmetic", exact: true) { b throws(KIRError) in
                let x = b.parameter(TensorType(.f16, [4, 3]), name: "x")
                let table = try b.constant([0.1, -2, 3.5, 1e-5, 65504, -0.0], TensorType(.f16, [2, 3]))
                let tiled = try b.reshape(try b.broadcast(table, to: [2, 2, 3]), to: [4, 3])
                return [try b.mul(x, tiled), try b.add(tiled, try b.constant(0.3, TensorType(.f16, [4, 3])))]
            },
            make("f32 transcendentals on many elements", positive: true) { b throws(KIRError) in
                let x = b.parameter(TensorType(.f32, [10000]), name: "x")
                let y = b.parameter(TensorType(.f32, [10000]), name: "y")
                return [try b.exp(x), try b.log(x), try b.unary(.sin, x), try b.unary(.cos, x), try b.binary(.pow, x, y),
                        try b.sigmoid(x), try b.rsqrt(x), try b.tanh(x), try b.sqrt(x)]
            },
        ]
    }()
}
