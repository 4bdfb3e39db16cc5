/// Turns a graph into a ``Schedule``: fusion decides which values live in memory and which ops
/// share a kernel, then ``MemoryPlan`` assigns the buffers.
///
/// The rules, in order:
/// - A value is *materialized* (written to a buffer by its own kernel) when it is a result, a
///   matmul or convolution output, a reduction, an operand of a matmul or convolution, or has more
///   than one user and is neither *cheap* nor worth recomputing in each of them (an elementwise
///   expression of one full-size buffer and smaller ones: see ``Recomputation``), unless every
///   kernel that reads it reads its inputs anyway (``SharedInputInlining``).
/// - *Cheap* values (constants, iota, and reshape/broadcast/permute/slice/reverse of inputs or
///   materialized values) are recomputed inside every kernel that uses them: they cost index arithmetic only.
/// - Every other value is fused into the kernel of its single user, so a kernel is one loop nest
///   of elementwise and data-movement ops, optionally ending in a reduction.
/// - A matmul or convolution whose only user starts an elementwise chain of its own shape absorbs
///   that chain as an epilogue (bias, activation, residual).
public enum Fusion {
    /// What the backend's contraction kernels can take, which changes what fusion materializes.
    public struct Options: Hashable, Sendable {
        /// Whether a matmul may read an operand that is a view of a buffer (reshapes, a slice and at
        /// most one permute, ``StridedLayout``) through strides, BLAS's leading dimension and transpose
        /// flag, instead of having the view copied into a buffer of its own. Products read only
        /// transposed are then computed transposed (``ProductTransposition``).
        public var contractionsReadStridedOperands: Bool

        /// Whether cheap values read again far from where they are computed (attention probabilities,
        /// activations kept for the backward pass) are computed a second time there
        /// (``Rematerialization``): worth it on a device that keeps short-lived buffers out of memory,
        /// as the CPU's slice groups do; elsewhere it only adds a kernel.
        public var recomputesForDistantUsers: Bool

        /// Kernels a buffer slot stays unused after its last access before ``MemoryPlan`` gives it to
        /// a value of another size (a value of the same size may take it at once). A device that runs
        /// neighbouring kernels together slice by slice (the CPU's slice groups) can only do so when
        /// none of them overwrites a slot another still reads at a different slicing; reusing the most
        /// recently freed slot whatever its last size, as a plan without this distance does, puts
        /// such a slot in nearly every attention backward.
        public var slotReuseDistance: Int

        /// Creates options; by default contractions read plain buffers only, nothing is recomputed,
        /// and a freed slot may be reused by the next kernel.
        public init(contractionsReadStridedOperands: Bool = false, recomputesForDistantUsers: Bool = false, slotReuseDistance: Int = 0) {
            self.contractionsReadStridedOperands = contractionsReadStridedOperands
            self.recomputesForDistantUsers = recomputesForDistantUsers
            self.slotReuseDistance = slotReuseDistance
        }
    }

    /// The schedule of `graph`, which must verify.
    public static func schedule(_ graph: Graph, options: Options = Options()) -> Schedule {
        var graph = StopGradientElimination().run(graph)
        // Transposed operands cost nothing where contractions read views in place.
        if options.contractionsReadStridedOperands { graph = ProductTransposition().run(graph) }
        if options.recomputesForDistantUsers { graph = Rematerialization().run(graph) }
        let analysis = Analysis(graph, options: options)
        var kernels: [(root: Int, kernel: Kernel.Kind, body: Graph, inputs: [Int])] = []
        for index in graph.parameters.count..<graph.valueCount where analysis.isMaterialized[index] {
            kernels.append(analysis.kernel(rootedAt: index))
        }
        var schedule = MemoryPlan.schedule(graph, kernels: kernels.map { ($0.root, $0.kernel, $0.body, $0.inputs) },
                                           reuseDistance: options.slotReuseDistance)
        let relaxed = ExponentialPrecision.relaxedExponentials(in: graph)
        for position in schedule.kernels.indices {
            let names = schedule.kernels[position].body.instructions.map(\.name)
            schedule.kernels[position].relaxedExponentials = relaxed.intersection(names)
        }
        return schedule
    }
}

/// Per-value facts fusion needs: users, which values are cheap, which are materialized, and which
/// contractions merge into the kernel of their epilogue.
struct Analysis {
    let graph: Graph
    var users: [[Int]]
    var isCheap: [Bool]
    var isMaterialized: [Bool]

    init(_ graph: Graph, options: Fusion.Options = Fusion.Options()) {
        self.graph = graph
        let count = graph.valueCount
        let parameterCount = graph.parameters.count
        users = Analysis.users(of: graph)
        isCheap = [Bool](repeating: false, count: count)
        var isMaterialized = [Bool](repeating: false, count: count)
        for index in 0..<parameterCount { isMaterialized[index] = true }
        for (position, instruction) in graph.instructions.enumerated() {
            let index = parameterCount + position
            switch instruction.op {
            case .constant, .iota:
                isCheap[index] = true
            case .reshape, .broadcast, .permute, .slice, .reverse, .stopGradient:
                let operand = instruction.operands[0].index
                isCheap[index] = isCheap[operand] || isMaterialized[operand] || Analysis.isLibraryOrReduction(graph, operand)
            case .matmul, .convolution, .reduce:
                isMaterialized[index] = true
            case .unary, .binary, .compare, .select, .cast, .concat, .pad, .random:
                break
            }
        }
        for result in graph.results where result.index >= parameterCount { isMaterialized[result.index] = true }
        for instruction in graph.instructions {
            if case .matmul = instruction.op {
                for operand in instruction.operands {
                    if options.contractionsReadStridedOperands, let (source, _) = Analysis.stridedSource(graph, operand.index) {
                        isMaterialized[source] = true
                    } else {
                        isMaterialized[operand.index] = true
                    }
                }
            }
            if case .convolution = instruction.op { for operand in instruction.operands { isMaterialized[operand.index] = true } }
        }
        let required = isMaterialized
        // Values with several users: recomputed in each user's kernel when that reads no more than
        // writing and re-reading them would (``Recomputation``), materialized otherwise.
        var recomputation = Recomputation(parameterCount: parameterCount, valueCount: count)
        for (position, instruction) in graph.instructions.enumerated() {
            let index = parameterCount + position
            // A view of a value materialized since the first pass (a matmul operand, a value with
            // several users) is cheap now: recomputing it costs index arithmetic, not a copy.
            if Analysis.isView(instruction.op) {
                let operand = instruction.operands[0].index
                isCheap[index] = isCheap[operand] || isMaterialized[operand] || Analysis.isLibraryOrReduction(graph, operand)
            }
            recomputation.record(instruction, at: index, isMaterialized: isMaterialized)
            if users[index].count > 1, !isCheap[index], !isMaterialized[index],
               !recomputation.isWorthRecomputing(instruction, at: index, users: users[index].count, in: graph) {
                isMaterialized[index] = true
                recomputation.materialize(index)
            }
        }
        self.isMaterialized = SharedInputInlining.inlined(graph, isMaterialized: isMaterialized, required: required)
        // A kernel holds one contraction: when several chains end at the same root (gradients of a
        // value used by several matmuls, summed), only the first contraction becomes its epilogue's.
        var absorbingRoots: Set<Int> = []
        for index in parameterCount..<count where isMaterialized[index] && Analysis.isLibrary(graph, index) {
            if let root = epilogueRoot(of: index), absorbingRoots.insert(root).inserted { self.isMaterialized[index] = false }
        }
    }

    /// Each value's users (the values of the instructions reading it), each once, in order.
    static func users(of graph: Graph) -> [[Int]] {
        let parameterCount = graph.parameters.count
        var users = [[Int]](repeating: [], count: graph.valueCount)
        for (position, instruction) in graph.instructions.enumerated() {
            for operand in instruction.operands where !users[operand.index].contains(parameterCount + position) {
                users[operand.index].append(parameterCount + position)
            }
        }
        return users
    }

    /// Whether `op` only moves or repeats its operand's elements, so a kernel can read it through
    /// index arithmetic from wherever the operand lives.
    static func isView(_ op: Op) -> Bool {
        switch op {
        case .reshape, .broadcast, .permute, .slice, .reverse, .stopGradient: true
        case .unary, .binary, .compare, .select, .cast, .concat, .pad, .reduce, .matmul, .convolution, .iota, .constant, .random: false
        }
    }

    static func isLibrary(_ graph: Graph, _ index: Int) -> Bool {
        switch graph.instruction(defining: Value(index: index))?.op {
        case .matmul?, .convolution?: true
        default: false
        }
    }

    static func isLibraryOrReduction(_ graph: Graph, _ index: Int) -> Bool {
        if isLibrary(graph, index) { return true }
        if case .reduce? = graph.instruction(defining: Value(index: index))?.op { return true }
        return false
    }

    static func isElementwise(_ op: Op) -> Bool {
        switch op {
        case .unary, .binary, .compare, .select, .cast: true
        case .broadcast, .reshape, .stopGradient, .permute, .reverse, .slice, .concat, .pad, .reduce, .matmul, .convolution,
             .iota, .constant, .random: false
        }
    }

    /// The root of the elementwise chain a contraction's single user starts, if the contraction may
    /// absorb it: every link elementwise, of the contraction's shape and element size, with one user until a
    /// materialized root that is not a graph result of the contraction itself.
    func epilogueRoot(of index: Int) -> Int? {
        let type = graph.type(of: Value(index: index))
        let shape = type.shape
        guard users[index].count == 1, !graph.results.contains(Value(index: index)) else { return nil }
        var current = users[index][0]
        while true {
            guard let instruction = graph.instruction(defining: Value(index: current)),
                  Analysis.isElementwise(instruction.op), instruction.type.shape == shape,
                  // The epilogue runs in place over the contraction's result, so every link must store
                  // elements of the same size (a cast to f16 would overwrite results not yet read).
                  instruction.type.dtype.byteCount == type.dtype.byteCount else { return nil }
            if isMaterialized[current] { return current }
            guard users[current].count == 1 else { return nil }
            current = users[current][0]
        }
    }

    /// The kernel that writes materialized value `root`: its body gathers every non-materialized
    /// producer, stopping at materialized values and parameters, which become the kernel's inputs.
    func kernel(rootedAt root: Int) -> (root: Int, kernel: Kernel.Kind, body: Graph, inputs: [Int]) {
        var included: Set<Int> = []
        var inputs: [Int] = []
        var stack = [root]
        while let index = stack.popLast() {
            guard let instruction = graph.instruction(defining: Value(index: index)) else { continue }
            included.insert(index)
            for operand in instruction.operands {
                let operandIndex = operand.index
                if included.contains(operandIndex) || inputs.contains(operandIndex) { continue }
                if operandIndex < graph.parameters.count || (isMaterialized[operandIndex] && operandIndex != root) {
                    inputs.append(operandIndex)
                } else {
                    stack.append(operandIndex)
                }
            }
        }
        inputs.sort()
        let builder = GraphBuilder(name: graph.name(of: Value(index: root)))
        var mapping: [Int: Value] = [:]
        for input in inputs { mapping[input] = builder.parameter(graph.type(of: Value(index: input)), name: graph.name(of: Value(index: input))) }
        var kind = Kernel.Kind.loop
        for index in included.sorted() {
            guard let instruction = graph.instruction(defining: Value(index: index)) else { continue }
            let operands = instruction.operands.map { operand -> Value in
                guard let value = mapping[operand.index] else { preconditionFailure("Fusion: operand of %\(instruction.name) not mapped") }
                return value
            }
            do {
                mapping[index] = try builder.emit(instruction.op, operands, name: instruction.name)
            } catch {
                preconditionFailure("Fusion: re-emitting a verified instruction failed: \(error)")
            }
            switch instruction.op {
            case .matmul, .convolution: kind = .contraction
            case .reduce where index == root && kind != .contraction: kind = .reduction
            default: break
            }
        }
        guard let output = mapping[root] else { preconditionFailure("Fusion: root not emitted") }
        return (root, kind, builder.build(returning: [output]), inputs)
    }
}
