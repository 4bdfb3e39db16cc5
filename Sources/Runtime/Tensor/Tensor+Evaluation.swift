import Backends
import KernelIR

extension Tensor {
    /// Computes every tensor in `tensors` that has no value yet, with one compiled graph per device.
    ///
    /// Evaluating together shares the work of common subexpressions (a loss and its gradients), and a
    /// graph seen before (the same operations at the same shapes) is a compile-cache hit.
    /// - Throws: ``RuntimeError/readDuringTracing(_:)`` for a tensor that depends on a placeholder of a
    ///   function being traced, ``RuntimeError/program(_:)`` or ``RuntimeError/backend(_:)`` when
    ///   compiling or running fails.
    public static func evaluate(_ tensors: [Tensor]) throws(RuntimeError) {
        var groups: [DeviceID: [TensorNode]] = [:]
        var order: [DeviceID] = []
        for tensor in tensors where tensor.node.array == nil {
            if case .placeholder = tensor.node.source { throw .readDuringTracing(tensor.type) }
            let id = tensor.device.id
            if groups[id] == nil { order.append(id) }
            groups[id, default: []].append(tensor.node)
        }
        for id in order {
            guard let nodes = groups[id], let device = nodes.first?.device else { continue }
            let capture = try GraphCapture(nodes, name: "evaluate", stopsAtEvaluated: true)
            var inputs: [DeviceArray] = []
            for external in capture.externals {
                guard let array = external.array else { throw .readDuringTracing(external.type) }
                inputs.append(array)
            }
            let outputs = capture.graph.results.isEmpty ? [] : try device.compile(capture.graph).run(inputs)
            for (node, source) in zip(nodes, capture.outputs) {
                switch source {
                case let .result(index): node.store(outputs[index])
                case let .parameter(index): node.store(inputs[index])
                }
            }
        }
    }

    /// The tensor with its value computed on its device; the same tensor, now cheap to read.
    /// - Throws: as ``evaluate(_:)`` does.
    @discardableResult
    public func evaluate() throws(RuntimeError) -> Tensor {
        try Tensor.evaluate([self])
        return self
    }

    /// The tensor's values as a device array, computing them first if needed.
    /// - Throws: as ``evaluate(_:)`` does.
    public var deviceArray: DeviceArray {
        get throws(RuntimeError) {
            try evaluate()
            guard let array = node.array else { preconditionFailure("Tensor.deviceArray: evaluation stores every value") }
            return array
        }
    }

    /// The tensor's values copied to the host (one device-to-host transfer).
    /// - Throws: as ``evaluate(_:)`` does, or ``RuntimeError/backend(_:)`` when the copy fails.
    public var array: TensorValue {
        get throws(RuntimeError) { try deviceArray.toHost() }
    }

    /// The elements in row-major order, widened to `Double` (one device-to-host transfer).
    /// - Throws: as ``array`` does.
    public var scalars: [Double] {
        get throws(RuntimeError) { try array.scalars }
    }

    /// The elements in row-major order as `Float`s (one device-to-host transfer).
    /// - Throws: as ``array`` does.
    public var floats: [Float] {
        get throws(RuntimeError) { try array.scalars.map(Float.init) }
    }

    /// The value of a one-element tensor, such as a loss.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when the tensor holds more than one
    ///   element, or what ``array`` throws.
    public var item: Double {
        get throws(RuntimeError) {
            guard elementCount == 1 else {
                throw .invalidArgument(operation: "item", reason: "\(type) holds \(elementCount) elements, not 1; read scalars instead")
            }
            return try scalars[0]
        }
    }

    /// The tensor's value with its history dropped: a leaf holding the evaluated array.
    ///
    /// Gradients do not flow through a detached tensor, and a long eager loop (`x = f(x)` read every step)
    /// that detaches keeps no chain of earlier steps alive.
    /// - Throws: as ``evaluate(_:)`` does.
    public func detached() throws(RuntimeError) -> Tensor { Tensor(try deviceArray) }
}
