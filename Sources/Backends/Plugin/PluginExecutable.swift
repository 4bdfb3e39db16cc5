import CAccPlugin
import KernelIR

/// A schedule a plugin compiled (`AccExecutable`), destroyed through the plugin in `deinit`.
///
/// Every run holds a reference until its event is ready, so the plugin never sees an
/// executable destroyed while it runs.
final class PluginExecutable: Executable, @unchecked Sendable {
    // Safe because: every property is immutable after init, and acc_plugin.h requires the
    // plugin's entries to be callable from any thread at once.

    /// The device it was compiled for.
    let device: DeviceID
    /// The schedule it runs.
    let schedule: Schedule
    /// The plugin's handle.
    let handle: OpaquePointer
    private let library: PluginLibrary

    init(device: DeviceID, schedule: Schedule, handle: OpaquePointer, library: PluginLibrary) {
        self.device = device
        self.schedule = schedule
        self.handle = handle
        self.library = library
    }

    deinit {
        let handle = handle
        // A failure to destroy leaves nothing to do but drop the message.
        _ = try? library.call { (arguments: inout AccExecutableDestroyArgs) in arguments.executable = handle }
    }
}
