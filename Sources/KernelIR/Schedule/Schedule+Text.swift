extension Schedule {
    /// The schedule as text: a summary line, then each kernel with its buffers, bytes, FLOPs and fused body.
    public var text: String {
        var lines = ["schedule @\(name): \(kernels.count) kernels, \(bytesMoved) bytes moved, \(flops) flops, "
                     + "peak \(peakBytes) bytes in \(slotByteCounts.count) buffers (unplanned \(MemoryPlan.unplannedBytes(of: self)) bytes)"]
        for (index, type) in inputTypes.enumerated() { lines.append("  \(BufferID(index: index)) = input \(type)") }
        for (slot, bytes) in slotByteCounts.enumerated() {
            lines.append("  \(BufferID(index: inputTypes.count + slot)) = buffer \(bytes) bytes")
        }
        for (index, kernel) in kernels.enumerated() {
            let inputs = kernel.inputs.map(\.description).joined(separator: ", ")
            lines.append("kernel #\(index) \(kernel.kind.rawValue) \(kernel.output) <- (\(inputs)): "
                         + "\(bytesRead(by: kernel)) bytes read, \(bytesWritten(by: kernel)) written, \(kernel.flops) flops")
            for line in kernel.body.text.split(separator: "\n") { lines.append("  " + line) }
        }
        lines.append("return " + outputs.map(\.buffer.description).joined(separator: ", "))
        return lines.joined(separator: "\n") + "\n"
    }
}
