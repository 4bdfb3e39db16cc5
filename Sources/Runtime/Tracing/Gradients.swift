import KernelIR

/// The gradients of a scalar `loss` with respect to each of `tensors`, recorded as IR by the autodiff
/// transform (``KernelIR/Gradient/valueAndGrad(of:wrt:)``): lazy tensors like any other.
///
/// `loss` must depend on the tensors through recorded operations; anything can be differentiated with respect
/// to, including intermediate results (the gradient then stops there). Works the same inside a traced function
/// (``CompiledTensorFunction``) and eagerly.
///
/// ```swift
/// let loss = try (x.matmul(w) - y).square().mean()
/// let gradients = try grad(loss, wrt: [w])      // [dloss/dw], same type as w
/// ```
/// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when `loss` is not a floating-point scalar,
///   ``RuntimeError/program(_:)`` when a tensor is not floating point.
public func grad(_ loss: Tensor, wrt tensors: [Tensor]) throws(RuntimeError) -> [Tensor] {
    try valueAndGrad(loss, wrt: tensors).gradients
}

/// `loss` (recomputed alongside) and its gradients with respect to each of `tensors`; see ``grad(_:wrt:)``.
/// - Throws: as ``grad(_:wrt:)`` does.
public func valueAndGrad(_ loss: Tensor, wrt tensors: [Tensor]) throws(RuntimeError) -> (value: Tensor, gradients: [Tensor]) {
    guard loss.rank == 0, loss.dtype.isFloatingPoint else {
        throw .invalidArgument(operation: "grad", reason: "the loss must be a floating-point scalar, got \(loss.type); "
            + "reduce it first, e.g. with sum() or mean()")
    }
    if let other = tensors.first(where: { $0.device.id != loss.device.id }) {
        throw .deviceMismatch(operation: "grad", devices: [loss.device.id, other.device.id])
    }
    var unique: [TensorNode] = []
    var position: [ObjectIdentifier: Int] = [:]
    for tensor in tensors where position[ObjectIdentifier(tensor.node)] == nil {
        position[ObjectIdentifier(tensor.node)] = unique.count
        unique.append(tensor.node)
    }
    let capture = try GraphCapture([loss.node], leading: unique, name: "grad", stopsAtEvaluated: false)
    guard case .result = capture.outputs[0] else {
        // The loss is one of the tensors or a boundary itself: d(loss)/d(loss) = 1, zero for the rest.
        let gradients = tensors.map { Tensor.constant($0.node === loss.node ? 1 : 0, $0.type, on: loss.device) }
        return (loss, gradients)
    }
    let names = capture.graph.parameters.prefix(unique.count).map(\.name)
    let transformed: Graph
    do throws(KIRError) { transformed = try Gradient.valueAndGrad(of: capture.graph, wrt: Array(names)) } catch {
        throw .program(error)
    }
    let nodes = GraphCapture.inline(transformed, arguments: unique + capture.externals, on: loss.device)
    let gradients = tensors.map { tensor in
        Tensor(node: nodes[1 + (position[ObjectIdentifier(tensor.node)] ?? 0)])
    }
    return (Tensor(node: nodes[0]), gradients)
}

/// A function returning the gradients of `function`'s scalar result with respect to each of its arguments.
///
/// ```swift
/// let df = grad { (x: [Tensor]) throws(RuntimeError) in try (x[0] * x[0]).sum() }
/// let slope = try df([x])[0]                  // 2x
/// ```
public func grad(_ function: @escaping ([Tensor]) throws(RuntimeError) -> Tensor) -> ([Tensor]) throws(RuntimeError) -> [Tensor] {
    { (arguments: [Tensor]) throws(RuntimeError) -> [Tensor] in try grad(function(arguments), wrt: arguments) }
}

/// A function returning `function`'s scalar result and its gradients with respect to each argument.
public func valueAndGrad(_ function: @escaping ([Tensor]) throws(RuntimeError) -> Tensor)
    -> ([Tensor]) throws(RuntimeError) -> (value: Tensor, gradients: [Tensor]) {
    { (arguments: [Tensor]) throws(RuntimeError) -> (value: Tensor, gradients: [Tensor]) in
        try valueAndGrad(function(arguments), wrt: arguments)
    }
}
