import COpenCL

/// A built OpenCL program: a class because it owns the `cl_program`, released in `deinit`.
final class OpenCLProgram: @unchecked Sendable {
    // Safe because: the handle is immutable, and OpenCL calls on a built program are thread-safe.
    let program: cl_program
    /// Whether the build started from a cached binary rather than from source.
    let isCacheHit: Bool

    init(program: cl_program, isCacheHit: Bool) {
        self.program = program
        self.isCacheHit = isCacheHit
    }

    deinit { clReleaseProgram(program) }

    /// The kernel object of `function`.
    /// - Returns: the kernel, or the status `clCreateKernel` failed with.
    func kernel(named function: String) -> Result<OpenCLKernel, OpenCLStatus> {
        var status: cl_int = CL_SUCCESS
        guard let kernel = clCreateKernel(program, function, &status), status == CL_SUCCESS else { return .failure(OpenCLStatus(status)) }
        return .success(OpenCLKernel(kernel: kernel, name: function))
    }
}

/// A kernel object of a built program.
final class OpenCLKernel: @unchecked Sendable {
    // Safe because: `clSetKernelArg` is the one OpenCL call that is not thread-safe, and every
    // setting of arguments and the enqueue that follows happen under the device's launch lock.
    let kernel: cl_kernel
    /// The function's name.
    let name: String

    init(kernel: cl_kernel, name: String) {
        self.kernel = kernel
        self.name = name
    }

    deinit { clReleaseKernel(kernel) }

    /// The largest work-group the built kernel can run on `device` (`CL_KERNEL_WORK_GROUP_SIZE`).
    func maximumWorkGroupSize(on device: cl_device_id) -> Int? {
        OpenCLQuery.scalar(Int.self) { clGetKernelWorkGroupInfo(kernel, device, cl_kernel_work_group_info(CL_KERNEL_WORK_GROUP_SIZE), $0, $1, $2) }
    }
}

/// A failed OpenCL call's status, as an `Error` for `Result`.
struct OpenCLStatus: Error, Hashable, Sendable, CustomStringConvertible {
    var code: cl_int
    init(_ code: cl_int) { self.code = code }
    var description: String { OpenCLQuery.statusName(code) }
}
