import Backends
import KernelIR

/// The entry point training code links: the version and the system libraries this build found.
///
/// Device lookup (`Runtime.device("cpu:0")`) arrives with the CPU backend.
public enum Runtime {
    /// The acc release this library belongs to.
    public static let version = "0.1.0"

    /// What the linked system libraries report about themselves.
    public static var systemLibraries: SystemLibraries { SystemLibraries.probe() }
}
