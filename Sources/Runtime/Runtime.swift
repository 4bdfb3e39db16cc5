import Backends
import KernelIR
import Synchronization

/// The entry point training code links: the devices of every backend, found once, by id.
///
/// ```swift
/// let device = try Runtime.device("cpu:0")
/// let step = try device.compile(graph)
/// let outputs = try step(inputs)
/// ```
public enum Runtime {
    /// The acc release this library belongs to.
    public static let version = "0.1.0"

    private static let discovered = Registry.discover()

    /// Every device of every backend, in registry order.
    public static var devices: [any Device] { discovered.devices }

    /// What discovery reported about devices it could not open.
    public static var discoveryWarnings: [String] { discovered.warnings }

    /// The device with `id`, e.g. `cpu:0`.
    /// - Throws: ``RuntimeError/backend(_:)`` wrapping ``BackendError/unknownDevice(_:known:)``, which lists the known ids.
    public static func device(_ id: String) throws(RuntimeError) -> any Device {
        guard let device = devices.first(where: { $0.id.rawValue == id }) else {
            throw .backend(.unknownDevice(DeviceID(id), known: devices.map(\.id)))
        }
        return device
    }

    /// The device training code gets when it names none: the first CPU.
    public static var defaultDevice: any Device {
        get throws(RuntimeError) {
            guard let first = devices.first else { throw .backend(.unknownDevice("cpu:0", known: [])) }
            return first
        }
    }

    /// What the linked system libraries report about themselves.
    public static var systemLibraries: SystemLibraries { SystemLibraries.probe() }
}
