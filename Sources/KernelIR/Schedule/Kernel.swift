/// One unit of device work in a ``Schedule``: a small graph run over whole buffers.
///
/// The body's parameters are the buffers the kernel reads, in ``inputs`` order, and its single
/// result is written to ``output``. A backend lowers the body: a library call for a contraction
/// with its epilogue, or one loop nest for a fused elementwise chain that may end in a reduction.
public struct Kernel: Hashable, Sendable {
    /// What a backend must generate for the kernel.
    public enum Kind: String, Hashable, Sendable {
        /// A matmul or convolution (the body's first op on buffers) followed by an elementwise epilogue.
        case contraction
        /// Elementwise and data-movement ops over the output's index space, fused into one loop nest.
        case loop
        /// Like ``loop``, with a reduction as the body's last op.
        case reduction
    }

    /// The kind of code the kernel needs.
    public var kind: Kind
    /// The fused ops: parameters are the inputs, the one result is the output.
    public var body: Graph
    /// The buffers read, one per body parameter.
    public var inputs: [BufferID]
    /// The buffer written.
    public var output: BufferID
    /// The body's `exp` instructions, by name, that a backend may compute within a few ulps rather
    /// than correctly rounded (``ExponentialPrecision``); every other one must be exact.
    public var relaxedExponentials: Set<String>

    /// Creates a kernel.
    public init(kind: Kind, body: Graph, inputs: [BufferID], output: BufferID, relaxedExponentials: Set<String> = []) {
        self.kind = kind
        self.body = body
        self.inputs = inputs
        self.output = output
        self.relaxedExponentials = relaxedExponentials
    }

    /// Floating-point operations: 2 per multiply-add of a contraction, one per element of each other op.
    public var flops: Int {
        body.instructions.reduce(0) { total, instruction in
            total + Kernel.flops(of: instruction, in: body)
        }
    }

    static func flops(of instruction: Instruction, in graph: Graph) -> Int {
        switch instruction.op {
        case .matmul:
            let left = graph.type(of: instruction.operands[0]).shape
            return 2 * instruction.type.elementCount * left[left.rank - 1]
        case .convolution:
            let filter = graph.type(of: instruction.operands[1]).shape
            let taps = filter.dimensions.dropLast().reduce(1, *)
            return 2 * instruction.type.elementCount * taps
        case .reduce:
            return graph.type(of: instruction.operands[0]).elementCount
        case .unary, .binary, .compare, .select:
            return instruction.type.elementCount
        case .cast, .broadcast, .reshape, .stopGradient, .permute, .reverse, .slice, .concat, .pad, .iota, .constant, .random:
            return 0
        }
    }
}

/// A buffer of a ``Schedule``: a function input, or a planned slot of device memory.
public struct BufferID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Inputs are `0..<inputCount`; planned slots follow.
    public let index: Int

    /// Creates an identifier.
    public init(index: Int) { self.index = index }

    public static func < (lhs: BufferID, rhs: BufferID) -> Bool { lhs.index < rhs.index }

    /// `%bN`.
    public var description: String { "%b\(index)" }
}
