/// Every backend this build knows, in the order their devices are listed.
///
/// Adding a backend is one line here plus its folder.
public enum Registry {
    /// The backend families, each asked once for its devices.
    public static var backends: [any Backend] { [CPUBackend(), OpenCLBackend(), SimulatedBackend(), PluginBackend()] }

    /// The devices every backend found, and the warnings of those that could not open some.
    public static func discover() -> (devices: [any Device], warnings: [String]) {
        var devices: [any Device] = []
        var warnings: [String] = []
        for backend in backends {
            let found = backend.discover()
            devices += found.devices
            warnings += found.warnings
        }
        return (devices, warnings)
    }
}
