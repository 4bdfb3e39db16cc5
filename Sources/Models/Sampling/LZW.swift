/// GIF's variable-length-code LZW compression (GIF89a spec, appendix F) for 8-bit palette indices.
enum LZW {
    /// Bits per pixel value: 8, so codes start at 9 bits.
    static let minimumCodeSize = 8
    static let clearCode = 1 << minimumCodeSize
    static let endCode = clearCode + 1
    static let maximumCode = 4095

    /// The code stream for `pixels`, packed least-significant bit first as GIF requires.
    static func encode(_ pixels: [UInt8]) -> [UInt8] {
        var writer = BitWriter()
        var codeSize = minimumCodeSize + 1
        var nextCode = endCode + 1
        // Strings seen so far: (prefix code << 8 | next byte) -> code.
        var table: [Int: Int] = [:]
        table.reserveCapacity(maximumCode)
        writer.write(clearCode, bits: codeSize)
        guard var prefix = pixels.first.map(Int.init) else {
            writer.write(endCode, bits: codeSize)
            return writer.finished
        }
        for pixel in pixels.dropFirst() {
            let key = prefix << 8 | Int(pixel)
            if let code = table[key] {
                prefix = code
                continue
            }
            writer.write(prefix, bits: codeSize)
            // The decoder learns each string one code later than we do, so widen once it must.
            if nextCode >= 1 << codeSize, codeSize < 12 { codeSize += 1 }
            if nextCode < maximumCode {
                table[key] = nextCode
                nextCode += 1
            } else {
                writer.write(clearCode, bits: codeSize)
                table.removeAll(keepingCapacity: true)
                codeSize = minimumCodeSize + 1
                nextCode = endCode + 1
            }
            prefix = Int(pixel)
        }
        writer.write(prefix, bits: codeSize)
        if nextCode >= 1 << codeSize, codeSize < 12 { codeSize += 1 }
        writer.write(endCode, bits: codeSize)
        return writer.finished
    }

    /// Packs codes of varying width into bytes, low bits first.
    struct BitWriter {
        var bytes: [UInt8] = []
        var accumulator = 0
        var count = 0

        mutating func write(_ code: Int, bits: Int) {
            accumulator |= code << count
            count += bits
            while count >= 8 {
                bytes.append(UInt8(accumulator & 0xFF))
                accumulator >>= 8
                count -= 8
            }
        }

        /// The bytes with the final partial byte flushed.
        var finished: [UInt8] { count > 0 ? bytes + [UInt8(accumulator & 0xFF)] : bytes }
    }
}
