import Foundation

/// The simulated family: one device per profile, `sim:<id>`, from the profiles shipped with acc
/// and those in the directory `ACC_SIM_PROFILES` names (``ProfileCatalog``).
///
/// Devices hold their HBM ledger, so discovery from the process environment opens them once per
/// process and every call returns the same devices.
public struct SimulatedBackend: Backend {
    private let environment: [String: String]?

    /// The backend over the process environment's profiles, opened once per process.
    public init() { environment = nil }

    /// A backend over `environment`'s profiles; each ``discover()`` opens new devices (for tests
    /// and tools that load profiles from elsewhere).
    public init(environment: [String: String]) { self.environment = environment }

    /// `sim`.
    public var name: String { "sim" }

    /// The simulated devices, and a warning for every profile that was skipped (with its file and field).
    public func discover() -> (devices: [any Device], warnings: [String]) {
        guard let environment else { return (SimulatedBackend.opened.devices, SimulatedBackend.opened.warnings) }
        let opened = SimulatedBackend.open(environment)
        return (opened.devices, opened.warnings)
    }

    private static let opened = open(ProcessInfo.processInfo.environment)

    private static func open(_ environment: [String: String]) -> (devices: [SimulatedDevice], warnings: [String]) {
        let (profiles, warnings) = ProfileCatalog.all(environment: environment)
        return (profiles.map(SimulatedDevice.init(profile:)), warnings)
    }
}
