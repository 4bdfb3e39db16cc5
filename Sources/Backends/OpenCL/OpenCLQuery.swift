import COpenCL

/// Reads OpenCL `clGet*Info` values: every query is called twice for strings (size, then bytes)
/// and once for scalars, and a failed query gives `nil`, never a trap.
enum OpenCLQuery {
    /// A `clGet*Info` call: (size asked, destination, size returned) → status.
    typealias Call = (Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int

    /// A string value, without its terminating NUL and surrounding spaces.
    static func string(_ call: Call) -> String? {
        var size = 0
        guard call(0, nil, &size) == CL_SUCCESS, size > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: size)
        let status = bytes.withUnsafeMutableBytes { call(size, $0.baseAddress, nil) }
        guard status == CL_SUCCESS else { return nil }
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        return String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }

    /// A fixed-size value such as `cl_uint`, `cl_ulong` or `size_t`.
    static func scalar<Value: FixedWidthInteger>(_ type: Value.Type, _ call: Call) -> Value? {
        var value: Value = 0
        let status = withUnsafeMutableBytes(of: &value) { call(MemoryLayout<Value>.size, $0.baseAddress, nil) }
        return status == CL_SUCCESS ? value : nil
    }

    /// A platform's string `parameter`.
    static func platformString(_ platform: cl_platform_id, _ parameter: Int32) -> String? {
        string { clGetPlatformInfo(platform, cl_platform_info(parameter), $0, $1, $2) }
    }

    /// A device's string `parameter`.
    static func deviceString(_ device: cl_device_id, _ parameter: Int32) -> String? {
        string { clGetDeviceInfo(device, cl_device_info(parameter), $0, $1, $2) }
    }

    /// A device's scalar `parameter`.
    static func device<Value: FixedWidthInteger>(_ device: cl_device_id, _ parameter: Int32, as type: Value.Type) -> Value? {
        scalar(type) { clGetDeviceInfo(device, cl_device_info(parameter), $0, $1, $2) }
    }

    /// `CL_PLATFORM_NOT_FOUND_KHR` (cl_khr_icd, in `cl_ext.h`): what the ICD loader's
    /// clGetPlatformIDs returns when no vendor file names a working driver.
    static let platformNotFound: cl_int = -1001

    /// The name of an OpenCL status code, e.g. `CL_OUT_OF_RESOURCES (-5)`.
    static func statusName(_ status: cl_int) -> String {
        let names: [cl_int: String] = [
            CL_SUCCESS: "CL_SUCCESS", CL_DEVICE_NOT_FOUND: "CL_DEVICE_NOT_FOUND", CL_DEVICE_NOT_AVAILABLE: "CL_DEVICE_NOT_AVAILABLE",
            CL_COMPILER_NOT_AVAILABLE: "CL_COMPILER_NOT_AVAILABLE", CL_MEM_OBJECT_ALLOCATION_FAILURE: "CL_MEM_OBJECT_ALLOCATION_FAILURE",
            CL_OUT_OF_RESOURCES: "CL_OUT_OF_RESOURCES", CL_OUT_OF_HOST_MEMORY: "CL_OUT_OF_HOST_MEMORY",
            CL_BUILD_PROGRAM_FAILURE: "CL_BUILD_PROGRAM_FAILURE", CL_INVALID_VALUE: "CL_INVALID_VALUE",
            CL_INVALID_DEVICE: "CL_INVALID_DEVICE", CL_INVALID_PLATFORM: "CL_INVALID_PLATFORM", CL_INVALID_CONTEXT: "CL_INVALID_CONTEXT",
            CL_INVALID_COMMAND_QUEUE: "CL_INVALID_COMMAND_QUEUE", CL_INVALID_MEM_OBJECT: "CL_INVALID_MEM_OBJECT",
            CL_INVALID_BINARY: "CL_INVALID_BINARY", CL_INVALID_BUILD_OPTIONS: "CL_INVALID_BUILD_OPTIONS",
            CL_INVALID_PROGRAM: "CL_INVALID_PROGRAM", CL_INVALID_PROGRAM_EXECUTABLE: "CL_INVALID_PROGRAM_EXECUTABLE",
            CL_INVALID_KERNEL_NAME: "CL_INVALID_KERNEL_NAME", CL_INVALID_KERNEL_ARGS: "CL_INVALID_KERNEL_ARGS",
            CL_INVALID_WORK_GROUP_SIZE: "CL_INVALID_WORK_GROUP_SIZE", CL_INVALID_WORK_ITEM_SIZE: "CL_INVALID_WORK_ITEM_SIZE",
            CL_INVALID_GLOBAL_WORK_SIZE: "CL_INVALID_GLOBAL_WORK_SIZE", CL_INVALID_BUFFER_SIZE: "CL_INVALID_BUFFER_SIZE",
            CL_INVALID_EVENT: "CL_INVALID_EVENT", CL_INVALID_OPERATION: "CL_INVALID_OPERATION",
            CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
            platformNotFound: "CL_PLATFORM_NOT_FOUND_KHR",
        ]
        return "\(names[status] ?? "OpenCL error") (\(status))"
    }
}
