import CBLAS
import CNUMA
import COpenCL

/// What the three system libraries the backends link (OpenBLAS, libnuma, the OpenCL ICD loader)
/// report at run time: proof that they are linked, and facts `acctl version` shows.
public struct SystemLibraries: Sendable, Hashable {
    /// OpenBLAS's build configuration string, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64`.
    public var openBLASConfiguration: String
    /// The number of threads OpenBLAS will use.
    public var openBLASThreads: Int
    /// Whether the kernel supports NUMA (libnuma's `numa_available`).
    public var isNUMAAvailable: Bool
    /// The number of configured NUMA nodes (1 where NUMA is unavailable).
    public var numaNodeCount: Int
    /// The number of OpenCL platforms the ICD loader finds (0 when none is installed).
    public var openCLPlatformCount: Int

    /// Asks each library; never fails, since a missing OpenCL platform is a normal configuration.
    public static func probe() -> SystemLibraries {
        let configuration = openblas_get_config().map { String(cString: $0) } ?? "unknown"
        let numa = numa_available() >= 0
        var platforms: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &platforms)
        return SystemLibraries(openBLASConfiguration: configuration,
                               openBLASThreads: Int(openblas_get_num_threads()),
                               isNUMAAvailable: numa,
                               numaNodeCount: numa ? Int(numa_num_configured_nodes()) : 1,
                               openCLPlatformCount: status == CL_SUCCESS ? Int(platforms) : 0)
    }
}
