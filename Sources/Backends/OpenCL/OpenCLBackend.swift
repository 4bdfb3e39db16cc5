import COpenCL
import Foundation
import KernelIR

/// The OpenCL family: every device of every platform the ICD loader finds (`opencl:0`,
/// `opencl:1`, ... in platform order), whatever its vendor.
///
/// The loader reads the vendor files in `/etc/OpenCL/vendors` (or the directory `OCL_ICD_VENDORS`
/// names). Discovery never fails: no platform means no devices, and a platform or device that
/// cannot be queried or opened is skipped with a warning, so a broken driver hides nothing else.
/// `ACC_OPENCL_DISABLE=1` turns the family off. Devices own contexts and queues, so they are
/// opened once per process.
public struct OpenCLBackend: Backend {
    /// Creates the backend.
    public init() {}

    /// `opencl`.
    public var name: String { "opencl" }

    /// The OpenCL devices, and warnings about platforms and devices that could not be opened.
    public func discover() -> (devices: [any Device], warnings: [String]) {
        (OpenCLBackend.opened.devices, OpenCLBackend.opened.warnings)
    }

    private static let opened: (devices: [OpenCLDevice], warnings: [String]) = {
        if ProcessInfo.processInfo.environment["ACC_OPENCL_DISABLE"] == "1" { return ([], []) }
        return discover(platforms: platformIDs(), devicesOf: deviceIDs(of:))
    }()

    /// Opens the devices of `platforms`; `devicesOf` lists a platform's devices or says why it cannot.
    /// Device ids count the devices opened, so they stay dense when one is skipped.
    static func discover(platforms: Result<[cl_platform_id], OpenCLDiscoveryProblem>,
                         devicesOf: (cl_platform_id) -> Result<[cl_device_id], OpenCLDiscoveryProblem>) -> (devices: [OpenCLDevice], warnings: [String]) {
        var devices: [OpenCLDevice] = []
        var warnings: [String] = []
        let platformList: [cl_platform_id]
        switch platforms {
        case let .success(list): platformList = list
        case let .failure(problem):
            warnings.append("OpenCL: \(problem.reason)")
            return (devices, warnings)
        }
        for (position, platform) in platformList.enumerated() {
            let platformName = OpenCLQuery.platformString(platform, CL_PLATFORM_NAME) ?? "platform #\(position)"
            switch devicesOf(platform) {
            case let .failure(problem):
                warnings.append("OpenCL platform '\(platformName)' skipped: \(problem.reason)")
            case let .success(handles):
                for handle in handles {
                    let id = DeviceID("opencl:\(devices.count)")
                    switch OpenCLDevice.open(handle, platform: platform, id: id) {
                    case let .success(device): devices.append(device)
                    case let .failure(problem):
                        warnings.append("OpenCL device of platform '\(platformName)' skipped: \(problem.reason)")
                    }
                }
            }
        }
        return (devices, warnings)
    }

    /// The platforms the ICD loader finds; none (not an error) when no vendor file names a working driver.
    static func platformIDs() -> Result<[cl_platform_id], OpenCLDiscoveryProblem> {
        var count: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &count)
        if status == OpenCLQuery.platformNotFound || (status == CL_SUCCESS && count == 0) { return .success([]) }
        guard status == CL_SUCCESS else {
            return .failure(OpenCLDiscoveryProblem(reason: "the ICD loader's clGetPlatformIDs failed with \(OpenCLQuery.statusName(status))"))
        }
        var platforms = [cl_platform_id?](repeating: nil, count: Int(count))
        let listed = clGetPlatformIDs(count, &platforms, nil)
        guard listed == CL_SUCCESS else {
            return .failure(OpenCLDiscoveryProblem(reason: "clGetPlatformIDs failed with \(OpenCLQuery.statusName(listed))"))
        }
        return .success(platforms.compactMap { $0 })
    }

    /// Every device of `platform`; none when it has none.
    static func deviceIDs(of platform: cl_platform_id) -> Result<[cl_device_id], OpenCLDiscoveryProblem> {
        var count: cl_uint = 0
        let status = clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &count)
        if status == CL_DEVICE_NOT_FOUND || (status == CL_SUCCESS && count == 0) { return .success([]) }
        guard status == CL_SUCCESS else {
            return .failure(OpenCLDiscoveryProblem(reason: "clGetDeviceIDs failed with \(OpenCLQuery.statusName(status))"))
        }
        var devices = [cl_device_id?](repeating: nil, count: Int(count))
        let listed = clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), count, &devices, nil)
        guard listed == CL_SUCCESS else {
            return .failure(OpenCLDiscoveryProblem(reason: "clGetDeviceIDs failed with \(OpenCLQuery.statusName(listed))"))
        }
        return .success(devices.compactMap { $0 })
    }
}

/// Why a platform or device was skipped during discovery, as a warning line.
struct OpenCLDiscoveryProblem: Error, Hashable, Sendable {
    var reason: String
}
