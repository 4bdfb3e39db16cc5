import KernelIR

/// One kernel of a program before it is built: the function that runs it, its buffers, and the
/// work sizes of its launch.
struct OpenCLKernelPlan: Hashable, Sendable {
    /// The `__kernel` function.
    var functionName: String
    /// The schedule kernel's name, for errors.
    var label: String
    /// Schedule buffer indices bound to the function's buffer parameters: inputs, then the output.
    var buffers: [Int]
    /// Output elements, passed as `end` (work items at or beyond it do nothing).
    var elementCount: Int
    var globalSize: [Int]
    var localSize: [Int]
    /// Whether the local size may shrink to what the built kernel allows (loop kernels); GEMM
    /// and tree-reduction kernels need exactly theirs.
    var isLocalSizeFlexible: Bool
}

/// The OpenCL C of one or more schedules as one program (one build: a driver's fixed cost per
/// build dwarfs its cost per kernel), and each schedule's kernel plans.
///
/// Loop kernels come from ``CFamilyRenderer`` in the OpenCL dialect, one work item per output
/// element; reductions with long reduced extents become work-group tree reductions; contractions
/// become ``GEMMKernel``s with their epilogue fused. Identical functions are written once.
/// Transcendentals use double precision where the device has it (``Dialect/openCLDoubleMathHelpers``).
struct OpenCLProgramSource {
    /// The whole source.
    var source: String
    /// Per schedule, its kernels' plans in schedule order (kernels with no output elements have none).
    var plans: [[OpenCLKernelPlan]]

    /// Work items per group of a loop kernel: 128 on GPUs; on CPU devices, whose drivers run a
    /// whole group as one vectorized loop on one core and pay a fixed cost per group, 1024.
    static func loopGroupSize(for properties: OpenCLDeviceProperties) -> Int {
        min(properties.isCPU ? 1024 : 128, properties.maximumWorkGroupSize)
    }
    /// Work items per group of a tree reduction, used when at least this many elements reduce into each output.
    static let treeWidth = 64

    /// Renders `schedules` for a device with `properties`; `tile` picks each contraction's tile.
    /// - Throws: ``BackendError/notImplemented(_:_:)`` for a kernel the renderer cannot lower,
    ///   ``BackendError/invalidProgram(_:_:)`` for a contraction kernel without its operands.
    init(_ schedules: [Schedule], device: DeviceID, properties: OpenCLDeviceProperties,
         tile: (GEMMProblem) -> GEMMTile) throws(BackendError) {
        let renderer = CFamilyRenderer(dialect: .openCL, device: device)
        var nameOfText: [String: String] = [:]
        var definitions: [String] = []
        func define(_ text: String, label: String) -> String {
            if let existing = nameOfText[text] { return existing }
            let name = "acc_k\(definitions.count)_" + CFamilyRenderer.identifier(label)
            nameOfText[text] = name
            definitions.append(text.replacingOccurrences(of: CFamilyRenderer.functionNameToken, with: name))
            return name
        }
        let loopGroup = Self.loopGroupSize(for: properties)
        var plans: [[OpenCLKernelPlan]] = []
        for schedule in schedules {
            var schedulePlans: [OpenCLKernelPlan] = []
            for kernel in schedule.kernels {
                let label = kernel.body.name
                let buffers = kernel.inputs.map(\.index) + [kernel.output.index]
                let count = kernel.body.resultTypes[0].elementCount
                guard count > 0 else { continue }
                switch kernel.kind {
                case .loop, .reduction:
                    if kernel.kind == .reduction, let width = Self.treeWidth(for: kernel, properties: properties) {
                        let name = define(try renderer.workGroupReductionFunction(kernel, width: width), label: label)
                        schedulePlans.append(OpenCLKernelPlan(functionName: name, label: label, buffers: buffers, elementCount: count,
                                                              globalSize: [count * width], localSize: [width], isLocalSizeFlexible: false))
                    } else {
                        let name = define(try renderer.function(for: kernel), label: label)
                        schedulePlans.append(OpenCLKernelPlan(functionName: name, label: label, buffers: buffers, elementCount: count,
                                                              globalSize: [(count + loopGroup - 1) / loopGroup * loopGroup],
                                                              localSize: [loopGroup], isLocalSizeFlexible: true))
                    }
                case .contraction:
                    guard let parts = kernel.contractionParts, parts.operandInputs.count == 2,
                          parts.operandInputs.allSatisfy({ $0 < kernel.inputs.count }),
                          let problem = GEMMProblem(op: parts.op, left: kernel.body.parameters[parts.operandInputs[0]].type,
                                                    right: kernel.body.parameters[parts.operandInputs[1]].type, output: parts.type) else {
                        throw .invalidProgram(device, .malformedGraph(function: schedule.name, reason: "contraction kernel '\(label)' does not read its operands from its inputs"))
                    }
                    let epilogue = try parts.epilogue.map { epilogue throws(BackendError) in
                        try renderer.epilogueElementFunction(epilogue, contractionParameter: kernel.inputs.count, contractionType: parts.type.dtype)
                    }
                    let gemm = GEMMKernel(problem: problem, tile: tile(problem), leftInput: parts.operandInputs[0], rightInput: parts.operandInputs[1],
                                          inputDTypes: kernel.body.parameters.map(\.type.dtype), outputDType: kernel.body.resultTypes[0].dtype,
                                          epilogue: epilogue)
                    let name = define(gemm.source(), label: label)
                    schedulePlans.append(OpenCLKernelPlan(functionName: name, label: label, buffers: buffers, elementCount: count,
                                                          globalSize: gemm.globalSize, localSize: gemm.localSize, isLocalSizeFlexible: false))
                }
            }
            plans.append(schedulePlans)
        }
        let dialect = Dialect.openCL
        source = "/* acc OpenCL kernels for \(properties.name) (\(properties.driverVersion)) */\n"
            + dialect.preamble + dialect.helpers + (properties.supportsFP64 ? dialect.openCLDoubleMathHelpers : dialect.mathHelpers)
            + definitions.joined(separator: "\n")
        self.plans = plans
    }

    /// The tree width for a reduction kernel, or `nil` to run it one work item per output element:
    /// a tree when at least ``treeWidth`` elements reduce into each output and, on CPU devices
    /// (whose cores each run a whole group), only when there are too few outputs to share out.
    static func treeWidth(for kernel: Kernel, properties: OpenCLDeviceProperties) -> Int? {
        guard let output = kernel.body.resultTypes.first, output.elementCount > 0,
              properties.maximumWorkGroupSize >= treeWidth else { return nil }
        let reduced = kernel.body.instructions.last.map { kernel.body.type(of: $0.operands[0]).elementCount / output.elementCount } ?? 0
        guard reduced >= treeWidth else { return nil }
        if properties.isCPU, output.elementCount >= 4 * properties.computeUnits { return nil }
        return treeWidth
    }
}
