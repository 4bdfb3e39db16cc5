import COpenCL
import Foundation

extension OpenCLDevice {
    /// `source` built for this device: from the cached binary when a valid one exists, else from
    /// source, storing the new binary for next time.
    /// - Throws: ``BackendError/compilationFailed(_:kernel:log:source:)`` with the driver's build
    ///   log and where the source was saved; `label` names the kernels.
    func buildProgram(source: String, label: String) throws(BackendError) -> OpenCLProgram {
        let identity = properties.compilerIdentity
        let entry = cache.entry(source: source, options: buildOptions, identity: identity)
        if let binary = cache.binary(of: entry, source: source, identity: identity),
           let program = programFromBinary(binary) {
            return OpenCLProgram(program: program, isCacheHit: true)
        }
        // Saved before the build, so a failure can point at it; a cache that cannot be written
        // costs the next run a rebuild, nothing more.
        var sourcePath = entry.source.path
        if let problem = cache.prepare() {
            sourcePath = "(not saved: \(problem))"
        } else {
            cache.invalidate(entry)
            do { try cache.writeSource(source, to: entry) } catch { sourcePath = "(not saved: \(error.localizedDescription))" }
        }
        var status: cl_int = CL_SUCCESS
        let created: cl_program? = source.withCString { text in
            var strings: [UnsafePointer<CChar>?] = [text]
            return clCreateProgramWithSource(context, 1, &strings, nil, &status)
        }
        guard let program = created, status == CL_SUCCESS else {
            throw .compilationFailed(id, kernel: label, log: "clCreateProgramWithSource failed with \(OpenCLQuery.statusName(status))", source: sourcePath)
        }
        var devices: [cl_device_id?] = [handle]
        let built = clBuildProgram(program, 1, &devices, buildOptions, nil, nil)
        guard built == CL_SUCCESS else {
            let log = buildLog(of: program) ?? ""
            clReleaseProgram(program)
            throw .compilationFailed(id, kernel: label, log: "clBuildProgram failed with \(OpenCLQuery.statusName(built)) (options: \(buildOptions))\n\(log)", source: sourcePath)
        }
        if let binary = binary(of: program) { try? cache.store(binary, in: entry, identity: identity) }
        return OpenCLProgram(program: program, isCacheHit: false)
    }

    /// A program built from a cached binary, or `nil` when the driver refuses it (stale or corrupt).
    private func programFromBinary(_ binary: [UInt8]) -> cl_program? {
        var status: cl_int = CL_SUCCESS
        var binaryStatus: cl_int = CL_SUCCESS
        var devices: [cl_device_id?] = [handle]
        var lengths = [binary.count]
        let created: cl_program? = binary.withUnsafeBufferPointer { bytes in
            var pointers: [UnsafePointer<UInt8>?] = [bytes.baseAddress]
            return clCreateProgramWithBinary(context, 1, &devices, &lengths, &pointers, &binaryStatus, &status)
        }
        guard let program = created else { return nil }
        guard status == CL_SUCCESS, binaryStatus == CL_SUCCESS,
              clBuildProgram(program, 1, &devices, buildOptions, nil, nil) == CL_SUCCESS else {
            clReleaseProgram(program)
            return nil
        }
        return program
    }

    private func buildLog(of program: cl_program) -> String? {
        OpenCLQuery.string { clGetProgramBuildInfo(program, handle, cl_program_build_info(CL_PROGRAM_BUILD_LOG), $0, $1, $2) }
    }

    /// The device binary of a built program, or `nil` when the driver offers none.
    private func binary(of program: cl_program) -> [UInt8]? {
        guard let size = OpenCLQuery.scalar(Int.self, { clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARY_SIZES), $0, $1, $2) }),
              size > 0 else { return nil }
        var binary = [UInt8](repeating: 0, count: size)
        let status = binary.withUnsafeMutableBufferPointer { bytes in
            var pointers: [UnsafeMutablePointer<UInt8>?] = [bytes.baseAddress]
            return pointers.withUnsafeMutableBytes { table in
                clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARIES), table.count, table.baseAddress, nil)
            }
        }
        return status == CL_SUCCESS ? binary : nil
    }
}
