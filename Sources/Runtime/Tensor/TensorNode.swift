import Backends
import KernelIR
import Synchronization

/// One vertex of the lazy graph that tensors record: device data, a placeholder of a function being
/// traced, or an op applied to other nodes.
///
/// A class because nodes are shared: `let y = x * x` makes two references to `x`'s node, and graph
/// capture visits each node once by identity. An operation node keeps its history after it is
/// evaluated, so gradients can still flow through it; the evaluated array is cached beside it.
final class TensorNode: Sendable {
    /// Where a node's value comes from.
    enum Source: Sendable {
        /// Values already on the device.
        case data(DeviceArray)
        /// Argument `index` of the function traced under `trace`; it has no value until called.
        case placeholder(trace: Int, index: Int)
        /// `op` applied to the operand nodes.
        case operation(Op, [TensorNode])
    }

    let source: Source
    let type: TensorType
    let device: any Device
    private let cache = Mutex<DeviceArray?>(nil)

    init(_ source: Source, type: TensorType, device: any Device) {
        self.source = source
        self.type = type
        self.device = device
    }

    /// The node's values on its device, if it is data or has been evaluated.
    var array: DeviceArray? {
        if case let .data(array) = source { return array }
        return cache.withLock { $0 }
    }

    /// Records the result of evaluating an operation node.
    func store(_ array: DeviceArray) {
        precondition(array.type == type, "TensorNode.store: an evaluated array always has its node's type")
        cache.withLock { $0 = array }
    }

    /// The operands of an operation node; none otherwise.
    var operands: [TensorNode] {
        if case let .operation(_, operands) = source { return operands }
        return []
    }

    /// Whether the node is a placeholder of any trace.
    var isPlaceholder: Bool {
        if case .placeholder = source { return true }
        return false
    }

    /// Identifiers for new traces, so placeholders of nested traces never collide.
    static let traceCounter = Atomic<Int>(0)
}
