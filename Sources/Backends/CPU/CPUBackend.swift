import CBLAS
import KernelIR

/// The CPU family: one device per NUMA node (`cpu:0`, `cpu:1`, ...), or one for the whole machine
/// where NUMA is unavailable.
///
/// Devices own threads and memory, so discovery opens them once per process and every call
/// returns the same devices.
public struct CPUBackend: Backend {
    /// Creates the backend.
    public init() {}

    /// `cpu`.
    public var name: String { "cpu" }

    /// The CPU devices, and warnings about anything odd on the way (no NUMA, no clock, a node
    /// without CPUs). Never fails: there is always at least one device.
    public func discover() -> (devices: [any Device], warnings: [String]) {
        (CPUBackend.opened.devices, CPUBackend.opened.warnings)
    }

    private static let opened: (devices: [CPUDevice], warnings: [String]) = {
        let (nodes, topologyWarnings) = CPUTopology.nodes()
        let (host, hostWarnings) = CPUHostInfo.read()
        var warnings = topologyWarnings + hostWarnings
        let devices = nodes.map { node in
            let compiler = CPUKernelCompiler(device: node.id)
            if let warning = compiler.warning, !warnings.contains(warning) { warnings.append(warning) }
            return CPUDevice(node: node, info: info(for: node, host: host), makeLoopKernels: { kernels throws(BackendError) in
                try compiler.compile(kernels)
            })
        }
        return (devices, warnings)
    }()

    /// What a device on `node` reports: cores, memory, an estimated peak, SIMD features and caches.
    static func info(for node: CPUNode, host: CPUHostInfo) -> DeviceInfo {
        var details: [String: String] = [
            "cpus": node.cpus.map(String.init).joined(separator: ","),
            "simd": host.simdFeatures.joined(separator: " "),
            "openblas": openblas_get_config().map { String(cString: $0) } ?? "unknown",
            "numa": node.node.map { "node \($0)" } ?? "unavailable: one device covers all cores",
        ]
        for cache in host.caches { details["cache \(cache.name)"] = "\(cache.byteCount / 1024) KiB" }
        if let clock = host.clockMHz { details["clock"] = "\(Int(clock.rounded())) MHz" }
        if let formula = host.peakFormula(cores: node.cpus.count) { details["peak f32"] = formula }
        return DeviceInfo(id: node.id.rawValue, backend: "cpu", name: host.model, computeUnits: node.cpus.count,
                          memoryBytes: node.memoryBytes, freeMemoryBytes: node.freeMemoryBytes,
                          peakGFLOPS: host.peakGFLOPS(cores: node.cpus.count), dtypes: [.f32, .f16, .bf16, .i32, .bool],
                          numaNode: node.node, details: details)
    }
}
