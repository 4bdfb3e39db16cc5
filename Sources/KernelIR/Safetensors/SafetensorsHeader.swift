/// The parsed and checked JSON header of a safetensors file: where each tensor lies and what it holds.
///
/// Checking follows the reference implementation, except that gaps between tensors and unused bytes at
/// the end of the data buffer are accepted: they are harmless, while overlaps and out-of-range offsets are not.
struct SafetensorsHeader {
    /// One tensor's header entry.
    struct Entry {
        var name: String
        var dtype: SafetensorsDType
        var shape: Shape
        /// The tensor's bytes, as offsets into the data buffer.
        var offsets: Range<Int>
    }

    /// The key under which the format keeps string metadata instead of a tensor.
    static let metadataKey = "__metadata__"
    /// The largest header the reference implementation accepts, 100 MB; a larger length field means a corrupt file.
    static let maximumByteCount = 100_000_000

    /// The tensors in header order.
    var entries: [Entry] = []
    /// The `__metadata__` object, empty when absent.
    var metadata: [String: String] = [:]

    /// Parses `json`, the header's bytes, and checks each entry against a data buffer of `dataByteCount` bytes.
    /// - Throws: ``SafetensorsError`` naming the first fault: bad UTF-8 or JSON, a malformed entry or
    ///   metadata, an unknown dtype, a size that overflows or disagrees with the offsets, offsets outside
    ///   the data buffer, or two tensors that overlap.
    init(parsing json: [UInt8], dataByteCount: Int) throws(SafetensorsError) {
        if let offset = Self.firstInvalidUTF8Offset(in: json) { throw .headerNotUTF8(at: offset) }
        let document = try JSONValue(parsing: json)
        guard case let .object(members) = document else {
            let start = json.firstIndex { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } ?? 0
            throw .invalidJSON("expected an object, found \(document.kindDescription)", at: start)
        }
        for (key, value) in members {
            if key == Self.metadataKey {
                metadata = try Self.metadata(from: value)
            } else {
                entries.append(try Self.entry(named: key, from: value, dataByteCount: dataByteCount))
            }
        }
        try Self.checkNoOverlap(entries)
    }

    /// The offset of the first byte that does not begin or continue a valid UTF-8 sequence, or `nil`.
    static func firstInvalidUTF8Offset(in bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case let .valid(scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    static func metadata(from value: JSONValue) throws(SafetensorsError) -> [String: String] {
        guard case let .object(members) = value else {
            throw .invalidMetadata("is \(value.kindDescription), but it must be a JSON object mapping strings to strings")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case let .string(text) = value else {
                throw .invalidMetadata(
                    "maps '\(key)' to \(value.kindDescription), but metadata values must be strings; quote the value")
            }
            metadata[key] = text
        }
        return metadata
    }

    /// The entry for tensor `name`, checked against a data buffer of `dataByteCount` bytes.
    static func entry(named name: String, from value: JSONValue, dataByteCount: Int) throws(SafetensorsError) -> Entry {
        guard case let .object(members) = value else { throw .invalidEntry(tensor: name) }
        func field(_ field: String) throws(SafetensorsError) -> JSONValue {
            guard let member = members.first(where: { $0.key == field }) else { throw .missingField(field, tensor: name) }
            return member.value
        }
        func integers(_ value: JSONValue) -> [Int]? {
            guard case let .array(elements) = value else { return nil }
            let integers = elements.compactMap(\.nonNegativeInteger)
            return integers.count == elements.count ? integers : nil
        }

        guard case let .string(spelling) = try field("dtype") else {
            throw .invalidField("dtype", tensor: name, expected: "a string such as \"F32\"")
        }
        guard let dtype = SafetensorsDType(rawValue: spelling) else { throw .unknownDType(spelling, tensor: name) }
        guard let dimensions = integers(try field("shape")) else {
            throw .invalidField("shape", tensor: name, expected: "an array of non-negative integers, such as [2, 3]")
        }
        guard let offsets = integers(try field("data_offsets")), offsets.count == 2 else {
            throw .invalidField("data_offsets", tensor: name,
                                expected: "an array of two non-negative integers [begin, end], such as [0, 24]")
        }
        guard let shape = Shape(checking: dimensions),
              case let (expected, overflow) = shape.elementCount.multipliedReportingOverflow(by: dtype.byteCount),
              !overflow else {
            throw .elementCountOverflow(tensor: name, shape: dimensions)
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end, end <= dataByteCount else {
            throw .offsetsOutOfBounds(tensor: name, begin: begin, end: end, dataByteCount: dataByteCount)
        }
        guard end - begin == expected else {
            throw .byteCountMismatch(tensor: name, dtype: spelling, shape: dimensions, expected: expected, found: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, offsets: begin..<end)
    }

    static func checkNoOverlap(_ entries: [Entry]) throws(SafetensorsError) {
        // Empty tensors occupy no bytes and so overlap nothing, wherever their offsets point.
        let occupied = entries.filter { !$0.offsets.isEmpty }.sorted {
            ($0.offsets.lowerBound, $0.offsets.upperBound, $0.name) < ($1.offsets.lowerBound, $1.offsets.upperBound, $1.name)
        }
        var furthest: Entry?
        for entry in occupied {
            if let previous = furthest, entry.offsets.lowerBound < previous.offsets.upperBound {
                throw .overlappingTensors(previous.name, entry.name)
            }
            if entry.offsets.upperBound > furthest?.offsets.upperBound ?? 0 { furthest = entry }
        }
    }
}
