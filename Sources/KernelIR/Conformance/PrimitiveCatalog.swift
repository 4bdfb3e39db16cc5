/// One example of a primitive: a small graph using it, and a domain its random inputs are drawn from.
///
/// The catalog is the table every conformance suite iterates: the text round trip, backends
/// against the interpreter, `acctl check`, and gradient checks.
public struct PrimitiveCase: Hashable, Sendable, CustomStringConvertible {
    /// Where random inputs are drawn from, so that every op is exercised where it is defined.
    public enum Domain: Hashable, Sendable {
        /// Uniform on `[-2, 2)`.
        case signed
        /// Uniform on `[0.25, 2.25)`: for log, sqrt, rsqrt, recip, pow bases.
        case positive
    }

    /// A readable name such as `add f16` or `conv 2-d groups 2`.
    public var name: String
    /// The graph: parameters, one or a few instructions, results.
    public var graph: Graph
    /// Where floating inputs are drawn from.
    public var domain: Domain

    public var description: String { name }

    /// Creates a case; any graph with inputs drawn from `domain` can use the catalog's input generator.
    public init(name: String, graph: Graph, domain: Domain) {
        self.name = name
        self.graph = graph
        self.domain = domain
    }

    /// Seeded inputs for ``graph``: floats from ``domain`` rounded to their dtype, `i32` in `-5...5`, random `bool`s.
    public func inputs(seed: Int = 0) -> [TensorValue] {
        graph.parameters.enumerated().map { position, parameter in
            let generator = Philox(seed: seed &* 7919 &+ position)
            let scalars = (0..<parameter.type.elementCount).map { index -> Double in
                let uniform = generator.uniform(at: index)
                switch parameter.type.dtype {
                case .bool: return uniform < 0.5 ? 0 : 1
                case .i32: return (uniform * 11).rounded(.down) - 5
                case .f32, .f16, .bf16: return domain == .signed ? uniform * 4 - 2 : uniform * 2 + 0.25
                }
            }
            return TensorValue(converting: scalars, to: parameter.type)
        }
    }
}

/// The table of primitive examples: every `Op` case, every unary and binary function and comparison,
/// in each dtype the op accepts.
public enum PrimitiveCatalog {
    /// Every case, in a stable order.
    public static let cases: [PrimitiveCase] = {
        var cases: [PrimitiveCase] = []
        func add(_ name: String, domain: PrimitiveCase.Domain = .signed, _ build: (GraphBuilder) throws(KIRError) -> [Value]) {
            let builder = GraphBuilder(name: name.replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_"))
            do {
                let results = try build(builder)
                cases.append(PrimitiveCase(name: name, graph: builder.build(returning: results), domain: domain))
            } catch {
                preconditionFailure("PrimitiveCatalog case \(name) is ill-typed: \(error)")
            }
        }
        let floats: [DType] = [.f32, .f16, .bf16]
        let positiveOnly: Set<UnaryFunction> = [.log, .sqrt, .rsqrt, .recip]
        for function in UnaryFunction.allCases {
            let dtypes = function == .neg || function == .abs || function == .sign ? floats + [.i32] : floats
            for dtype in dtypes {
                add("\(function.rawValue) \(dtype)", domain: positiveOnly.contains(function) ? .positive : .signed) { b throws(KIRError) in
                    [try b.unary(function, b.parameter(TensorType(dtype, [3, 5]), name: "x"))]
                }
            }
        }
        for function in BinaryFunction.allCases {
            for dtype in function == .pow ? floats : floats + [.i32] {
                add("\(function.rawValue) \(dtype)", domain: function == .pow || function == .div ? .positive : .signed) { b throws(KIRError) in
                    let x = b.parameter(TensorType(dtype, [4, 3]), name: "x"), y = b.parameter(TensorType(dtype, [4, 3]), name: "y")
                    return [try b.binary(function, x, y)]
                }
            }
        }
        for comparison in Comparison.allCases {
            for dtype in [DType.f32, .i32] {
                add("\(comparison.rawValue) \(dtype)") { b throws(KIRError) in
                    let x = b.parameter(TensorType(dtype, [6]), name: "x")
                    return [try b.compare(x, comparison, b.neg(x))]
                }
            }
        }
        add("select f32") { b throws(KIRError) in
            let c = b.parameter(TensorType(.bool, [2, 3]), name: "c")
            let x = b.parameter(TensorType(.f32, [2, 3]), name: "x"), y = b.parameter(TensorType(.f32, [2, 3]), name: "y")
            return [try b.select(c, x, y)]
        }
        for (source, target) in [(DType.f32, DType.f16), (.f32, .bf16), (.f16, .f32), (.f32, .i32), (.i32, .f32), (.f32, .bool), (.bool, .f32)] {
            add("cast \(source) to \(target)") { b throws(KIRError) in
                [try b.cast(b.parameter(TensorType(source, [7]), name: "x"), to: target)]
            }
        }
        add("broadcast f32") { b throws(KIRError) in [try b.broadcast(b.parameter(TensorType(.f32, [3, 1]), name: "x"), to: [2, 3, 4])] }
        add("reshape f32") { b throws(KIRError) in [try b.reshape(b.parameter(TensorType(.f32, [2, 6]), name: "x"), to: [3, 2, 2])] }
        add("permute f32") { b throws(KIRError) in [try b.permute(b.parameter(TensorType(.f32, [2, 3, 4]), name: "x"), [2, 0, 1])] }
        add("reverse f32") { b throws(KIRError) in [try b.reverse(b.parameter(TensorType(.f32, [2, 3, 4]), name: "x"), axes: [0, 2])] }
        add("slice f32 strided") { b throws(KIRError) in
            [try b.slice(b.parameter(TensorType(.f32, [5, 6]), name: "x"), start: [1, 0], limit: [5, 5], stride: [2, 3])]
        }
        add("concat f32") { b throws(KIRError) in
            let x = b.parameter(TensorType(.f32, [2, 3]), name: "x"), y = b.parameter(TensorType(.f32, [2, 1]), name: "y")
            return [try b.concat([x, y, x], axis: 1)]
        }
        add("pad f32") { b throws(KIRError) in [try b.pad(b.parameter(TensorType(.f32, [2, 3]), name: "x"), low: [1, 0], high: [0, 2], value: 0.5)] }
        for kind in ReduceKind.allCases {
            for dtype in [DType.f32, .bf16, .i32] {
                add("reduce_\(kind.rawValue) \(dtype)") { b throws(KIRError) in
                    let x = b.parameter(TensorType(dtype, [3, 4, 5]), name: "x")
                    return [try b.reduce(kind, x, over: [0, 2]), try b.reduce(kind, x, over: [1], keepingDimensions: true)]
                }
            }
        }
        for dtype in [DType.f32, .f16, .bf16] {
            add("matmul \(dtype) batched") { b throws(KIRError) in
                let x = b.parameter(TensorType(dtype, [2, 1, 3, 4]), name: "a"), y = b.parameter(TensorType(dtype, [3, 4, 5]), name: "b")
                return [try b.matmul(x, y)]
            }
        }
        add("matmul i32") { b throws(KIRError) in
            [try b.matmul(b.parameter(TensorType(.i32, [2, 3]), name: "a"), b.parameter(TensorType(.i32, [3, 2]), name: "b"))]
        }
        add("conv 1-d strided padded") { b throws(KIRError) in
            let x = b.parameter(TensorType(.f32, [2, 9, 3]), name: "x"), w = b.parameter(TensorType(.f32, [3, 3, 4]), name: "w")
            return [try b.convolution(x, w, Convolution(stride: [2], paddingLow: [1], paddingHigh: [2], dilation: [1]))]
        }
        add("conv 2-d dilated groups 2") { b throws(KIRError) in
            let x = b.parameter(TensorType(.f32, [1, 6, 7, 4]), name: "x"), w = b.parameter(TensorType(.f32, [2, 3, 2, 6]), name: "w")
            return [try b.convolution(x, w, Convolution(stride: [1, 2], paddingLow: [0, 1], paddingHigh: [1, 0], dilation: [2, 1], groups: 2))]
        }
        add("conv 3-d") { b throws(KIRError) in
            let x = b.parameter(TensorType(.f32, [1, 3, 4, 4, 2]), name: "x"), w = b.parameter(TensorType(.f32, [3, 3, 3, 2, 3]), name: "w")
            return [try b.convolution(x, w, Convolution(stride: [1, 1, 1], paddingLow: [1, 1, 1], paddingHigh: [1, 1, 1], dilation: [1, 1, 1]))]
        }
        add("iota i32 and f32") { b throws(KIRError) in [try b.iota(TensorType(.i32, [3, 4]), axis: 1), try b.iota(TensorType(.f32, [2, 3]), axis: 0)] }
        add("constant splat and elements") { b throws(KIRError) in
            [try b.constant(0.1, TensorType(.bf16, [2, 2])), try b.constant([1, -2, 3], TensorType(.i32, [3])),
             try b.constant([1, 0], TensorType(.bool, [2])), try b.constant([0.5, -.infinity], TensorType(.f32, [2]))]
        }
        for distribution in Distribution.allCases {
            add("random_\(distribution.rawValue)") { b throws(KIRError) in [try b.random(distribution, TensorType(.f32, [4, 8]), seed: 42)] }
        }
        return cases
    }()
}
