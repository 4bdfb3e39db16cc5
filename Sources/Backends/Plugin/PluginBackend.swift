import Foundation

/// The plugin family: the devices of every plugin `ACC_PLUGIN_PATH` names (`plugin:NAME:N`).
///
/// Plugins own threads and memory and stay loaded for the life of the process, so discovery
/// loads them once and every call returns the same devices. Without `ACC_PLUGIN_PATH` there are
/// no plugin devices and no warnings.
public struct PluginBackend: Backend {
    /// Creates the backend.
    public init() {}

    /// `plugin`.
    public var name: String { "plugin" }

    /// The plugins' devices, and a warning for every plugin or device that was skipped.
    public func discover() -> (devices: [any Device], warnings: [String]) {
        (PluginBackend.opened.devices, PluginBackend.opened.warnings)
    }

    private static let opened = PluginLoader(searchPath: ProcessInfo.processInfo.environment["ACC_PLUGIN_PATH"] ?? "").load()
}
