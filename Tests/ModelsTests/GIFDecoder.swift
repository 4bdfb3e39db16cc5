/// A minimal GIF reader for tests: walks the block structure and LZW-decodes each frame, written from the
/// GIF89a spec independently of the encoder so a round trip checks both the container and the codes.
struct GIFDecoder {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    var version = ""
    var width = 0
    var height = 0
    var palette: [UInt8] = []
    var loops = false
    var frames: [[UInt8]] = []

    init(_ bytes: [UInt8]) throws {
        var position = 0
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard position + count <= bytes.count else { throw Failure(description: "truncated at byte \(position)") }
            defer { position += count }
            return bytes[position..<(position + count)]
        }
        func u16() throws -> Int { let pair = try take(2); return Int(pair[pair.startIndex]) | Int(pair[pair.startIndex + 1]) << 8 }
        func subBlocks() throws -> [UInt8] {
            var data: [UInt8] = []
            while true {
                let length = Int(try take(1).first ?? 0)
                if length == 0 { return data }
                data += try take(length)
            }
        }
        version = String(decoding: try take(6), as: UTF8.self)
        width = try u16()
        height = try u16()
        let packed = try take(3).first ?? 0
        if packed & 0x80 != 0 { palette = Array(try take(3 << (Int(packed & 7) + 1))) }
        while true {
            switch try take(1).first {
            case 0x21:
                let label = try take(1).first
                let data = try subBlocks()
                if label == 0xFF, data.starts(with: Array("NETSCAPE2.0".utf8)) { loops = true }
            case 0x2C:
                _ = try take(8)
                let flags = try take(1).first ?? 0
                guard flags & 0x80 == 0 else { throw Failure(description: "local colour tables are not expected") }
                let minimumCodeSize = Int(try take(1).first ?? 0)
                frames.append(try Self.decompress(subBlocks(), minimumCodeSize: minimumCodeSize))
            case 0x3B:
                return
            default:
                throw Failure(description: "unknown block at byte \(position - 1)")
            }
        }
    }

    static func decompress(_ data: [UInt8], minimumCodeSize: Int) throws -> [UInt8] {
        let clear = 1 << minimumCodeSize, end = clear + 1
        var codeSize = minimumCodeSize + 1
        var table: [[UInt8]] = []
        func reset() {
            table = (0..<clear).map { [UInt8($0)] } + [[], []]
            codeSize = minimumCodeSize + 1
        }
        reset()
        var output: [UInt8] = []
        var previous: [UInt8]?
        var bitPosition = 0
        while bitPosition + codeSize <= data.count * 8 {
            var code = 0
            for bit in 0..<codeSize where data[(bitPosition + bit) / 8] >> ((bitPosition + bit) % 8) & 1 == 1 { code |= 1 << bit }
            bitPosition += codeSize
            if code == clear { reset(); previous = nil; continue }
            if code == end { return output }
            guard let prior = previous else {
                guard code < clear else { throw Failure(description: "first code \(code) is not a literal") }
                output += table[code]
                previous = table[code]
                continue
            }
            let entry: [UInt8]
            if code < table.count { entry = table[code] } else if code == table.count { entry = prior + [prior[0]] } else {
                throw Failure(description: "code \(code) beyond the table (\(table.count))")
            }
            output += entry
            if table.count < 4096 { table.append(prior + [entry[0]]) }
            if table.count == 1 << codeSize, codeSize < 12 { codeSize += 1 }
            previous = entry
        }
        throw Failure(description: "no end code")
    }
}
