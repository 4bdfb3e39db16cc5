import ArgumentParser
import Runtime

/// `acctl version`: the release and the system libraries this build links.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the acc version and linked libraries.")

    func run() throws {
        let libraries = Runtime.systemLibraries
        print("acc \(Runtime.version)")
        print("openblas: \(libraries.openBLASConfiguration) (\(libraries.openBLASThreads) threads)")
        print("numa: \(libraries.isNUMAAvailable ? "\(libraries.numaNodeCount) node(s)" : "unavailable")")
        print("opencl: \(libraries.openCLPlatformCount) platform(s)")
    }
}
