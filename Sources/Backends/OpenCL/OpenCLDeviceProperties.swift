import COpenCL
import KernelIR

/// What an OpenCL device and its platform report, read once at discovery: the facts `acctl
/// devices` shows, the limits allocation and launches respect, and the keys of the program and
/// tuning caches (device name and driver version).
struct OpenCLDeviceProperties: Hashable, Sendable {
    var name: String
    var vendor: String
    var driverVersion: String
    var deviceVersion: String
    var openCLCVersion: String
    var platformName: String
    var platformVersion: String
    var computeUnits: Int
    var clockMHz: Int
    var globalMemoryBytes: Int
    var localMemoryBytes: Int
    var maximumAllocationBytes: Int
    var maximumWorkGroupSize: Int
    var extensions: Set<String>
    /// `CL_DEVICE_TYPE_CPU`: the device runs work items on host cores (no coalescing to win).
    var isCPU: Bool
    /// Whether `-cl-fp32-correctly-rounded-divide-sqrt` is accepted, making `/` and `sqrt` exact as in C.
    var hasCorrectlyRoundedDivideSqrt: Bool

    /// Half-precision arithmetic (`cl_khr_fp16`). acc stores f16 as 16-bit integers and computes in
    /// float either way, which gives the interpreter's IEEE results on every device.
    var supportsFP16: Bool { extensions.contains("cl_khr_fp16") }
    /// Double precision (`cl_khr_fp64`).
    var supportsFP64: Bool { extensions.contains("cl_khr_fp64") }

    /// Reads `device` of `platform`; `nil` when the device does not answer the basic queries.
    init?(device: cl_device_id, platform: cl_platform_id) {
        guard let name = OpenCLQuery.deviceString(device, CL_DEVICE_NAME),
              let units = OpenCLQuery.device(device, CL_DEVICE_MAX_COMPUTE_UNITS, as: cl_uint.self),
              let global = OpenCLQuery.device(device, CL_DEVICE_GLOBAL_MEM_SIZE, as: cl_ulong.self),
              let maximumAllocation = OpenCLQuery.device(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, as: cl_ulong.self),
              let workGroup = OpenCLQuery.device(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, as: Int.self) else { return nil }
        self.name = name
        vendor = OpenCLQuery.deviceString(device, CL_DEVICE_VENDOR) ?? "unknown"
        driverVersion = OpenCLQuery.deviceString(device, CL_DRIVER_VERSION) ?? "unknown"
        deviceVersion = OpenCLQuery.deviceString(device, CL_DEVICE_VERSION) ?? "unknown"
        openCLCVersion = OpenCLQuery.deviceString(device, CL_DEVICE_OPENCL_C_VERSION) ?? "unknown"
        platformName = OpenCLQuery.platformString(platform, CL_PLATFORM_NAME) ?? "unknown"
        platformVersion = OpenCLQuery.platformString(platform, CL_PLATFORM_VERSION) ?? "unknown"
        computeUnits = Int(units)
        clockMHz = Int(OpenCLQuery.device(device, CL_DEVICE_MAX_CLOCK_FREQUENCY, as: cl_uint.self) ?? 0)
        globalMemoryBytes = Int(clamping: global)
        localMemoryBytes = Int(clamping: OpenCLQuery.device(device, CL_DEVICE_LOCAL_MEM_SIZE, as: cl_ulong.self) ?? 0)
        maximumAllocationBytes = Int(clamping: maximumAllocation)
        maximumWorkGroupSize = workGroup
        extensions = Set((OpenCLQuery.deviceString(device, CL_DEVICE_EXTENSIONS) ?? "").split(separator: " ").map(String.init))
        let type = OpenCLQuery.device(device, CL_DEVICE_TYPE, as: cl_device_type.self) ?? 0
        isCPU = type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0
        let floatConfiguration = OpenCLQuery.device(device, CL_DEVICE_SINGLE_FP_CONFIG, as: cl_device_fp_config.self) ?? 0
        hasCorrectlyRoundedDivideSqrt = floatConfiguration & cl_device_fp_config(CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0
    }

    /// Options for every program build: exact division and square root where the device offers
    /// them (f16 and bf16 results round a float quotient, which must be exact to match the
    /// interpreter), never fast or relaxed math; `extra` (from `ACC_OPENCL_BUILD_OPTIONS`) last.
    func buildOptions(extra: String) -> String {
        var options = ["-cl-std=CL1.2"]
        if hasCorrectlyRoundedDivideSqrt { options.append("-cl-fp32-correctly-rounded-divide-sqrt") }
        if !extra.isEmpty { options.append(extra) }
        return options.joined(separator: " ")
    }

    /// Identifies the compiler that builds programs: a program binary or a tuning result is valid
    /// only for the same device, driver and platform.
    var compilerIdentity: String {
        "device \(name)\nvendor \(vendor)\ndriver \(driverVersion)\nplatform \(platformName) \(platformVersion)\n"
    }

    /// The ``DeviceInfo`` of device `id`.
    func info(id: DeviceID) -> DeviceInfo {
        var details: [String: String] = [
            "vendor": vendor,
            "driver": driverVersion,
            "device version": deviceVersion,
            "OpenCL C": openCLCVersion,
            "platform": "\(platformName) (\(platformVersion))",
            "clock": "\(clockMHz) MHz",
            "local memory": "\(localMemoryBytes / 1024) KiB",
            "max allocation": "\(maximumAllocationBytes) bytes",
            "max work-group size": "\(maximumWorkGroupSize)",
            "fp16": supportsFP16 ? "cl_khr_fp16 (acc computes f16 in float, stores 16 bits)" : "emulated: 16-bit storage, float compute",
            "fp64": supportsFP64 ? "cl_khr_fp64" : "no",
            "type": isCPU ? "CPU" : "GPU or accelerator",
        ]
        if hasCorrectlyRoundedDivideSqrt { details["exact divide/sqrt"] = "yes" }
        return DeviceInfo(id: id.rawValue, backend: "opencl", name: name, computeUnits: computeUnits, memoryBytes: globalMemoryBytes,
                          dtypes: [.f32, .f16, .bf16, .i32, .bool], details: details)
    }
}
