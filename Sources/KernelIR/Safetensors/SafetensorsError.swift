/// Why a safetensors file could not be read, looked into or written. Each case carries what its message needs.
///
/// Offsets named `at` count bytes from the start of the JSON header (the file's ninth byte); tensor
/// names are the header's keys. `description` is the message users read: what is wrong, where, what to try.
public enum SafetensorsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file ends before the 8-byte little-endian header length that opens every safetensors file.
    case fileTooShort(byteCount: Int)
    /// The header length field is above `limit` bytes, the reference implementation's cap.
    case headerTooLarge(byteCount: UInt64, limit: Int)
    /// The header length field points past the end of the file.
    case headerExceedsFile(headerByteCount: UInt64, availableByteCount: Int)
    /// The header holds a byte sequence that is not UTF-8.
    case headerNotUTF8(at: Int)
    /// The header is not valid JSON, or not a JSON object; the string says what the parser expected and found.
    case invalidJSON(String, at: Int)
    /// `__metadata__` is not an object mapping strings to strings; the string says which part is wrong.
    case invalidMetadata(String)
    /// A tensor's entry is not a JSON object.
    case invalidEntry(tensor: String)
    /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(String, tensor: String)
    /// A tensor's field has the wrong JSON type or value; `expected` says what it must hold.
    case invalidField(String, tensor: String, expected: String)
    /// A tensor's dtype is one this reader does not know.
    case unknownDType(String, tensor: String)
    /// A tensor's element or byte count does not fit in 64 bits.
    case elementCountOverflow(tensor: String, shape: [Int])
    /// A tensor's `data_offsets` span `found` bytes where its dtype and shape need `expected`.
    case byteCountMismatch(tensor: String, dtype: String, shape: [Int], expected: Int, found: Int)
    /// A tensor's `data_offsets` are reversed or reach past the data buffer of `dataByteCount` bytes.
    case offsetsOutOfBounds(tensor: String, begin: Int, end: Int, dataByteCount: Int)
    /// Two tensors claim some of the same bytes of the data buffer.
    case overlappingTensors(String, String)
    /// An `I64` tensor holds a value outside `Int32`'s range, so it cannot be read as `i32`.
    case valueOutOfRange(tensor: String, value: Int64)
    /// A tensor to be written is named `__metadata__`, the key the format reserves for metadata.
    case reservedName(String)
    /// ``SafetensorsFile/tensor(named:)`` found no tensor called `name`.
    case tensorNotFound(String, suggestions: [String], available: [String])
    /// The file could not be opened or read; `reason` is the system's explanation.
    case readFailed(path: String, reason: String)
    /// The file could not be written; `reason` says which step failed and why. Any previous file is intact.
    case writeFailed(path: String, reason: String)

    /// The message users read: what is wrong, where in the file, and what to try.
    public var description: String {
        switch self {
        case let .fileTooShort(byteCount):
            "the file is \(byteCount) bytes long, too short to hold the 8-byte header length a safetensors file "
                + "starts with; it is truncated or not a safetensors file"
        case let .headerTooLarge(byteCount, limit):
            "the header length field says \(byteCount) bytes, more than the \(limit)-byte limit; "
                + "the file is corrupt or not a safetensors file"
        case let .headerExceedsFile(headerByteCount, availableByteCount):
            "the header length field says \(headerByteCount) bytes but only \(availableByteCount) follow it; "
                + "the file is truncated or not a safetensors file"
        case let .headerNotUTF8(at):
            "header byte \(at) is not valid UTF-8; the header must be UTF-8 JSON, so the file is corrupt"
        case let .invalidJSON(reason, at):
            "header byte \(at): \(reason); the header must be a JSON object that maps tensor names to entries"
        case let .invalidMetadata(reason):
            "'__metadata__' \(reason)"
        case let .invalidEntry(tensor):
            "the entry for tensor '\(tensor)' is not a JSON object; each tensor maps to "
                + "{\"dtype\": ..., \"shape\": [...], \"data_offsets\": [begin, end]}"
        case let .missingField(field, tensor):
            "tensor '\(tensor)' has no '\(field)' field; every entry needs 'dtype', 'shape' and 'data_offsets'"
        case let .invalidField(field, tensor, expected):
            "tensor '\(tensor)': '\(field)' must be \(expected)"
        case let .unknownDType(dtype, tensor):
            "tensor '\(tensor)' has dtype '\(dtype)', which acc cannot read; supported dtypes are "
                + "F32, F16, BF16, I32 and BOOL, and F64 and I64 for reading (converted to f32 and i32)"
        case let .elementCountOverflow(tensor, shape):
            "tensor '\(tensor)' has shape \(Shape.spelling(shape)), whose size does not fit in 64 bits; "
                + "the header is corrupt"
        case let .byteCountMismatch(tensor, dtype, shape, expected, found):
            "tensor '\(tensor)' is \(dtype) \(Shape.spelling(shape)), which takes \(expected) bytes, "
                + "but its data_offsets span \(found); the header is corrupt or the shape is wrong"
        case let .offsetsOutOfBounds(tensor, begin, end, dataByteCount):
            "tensor '\(tensor)' has data_offsets [\(begin), \(end)], but they must satisfy "
                + "0 <= begin <= end <= \(dataByteCount), the size of the data buffer; "
                + "the file is truncated or the header is corrupt"
        case let .overlappingTensors(first, second):
            "tensors '\(first)' and '\(second)' share bytes of the data buffer; the header is corrupt"
        case let .valueOutOfRange(tensor, value):
            "tensor '\(tensor)' is I64 and holds \(value), outside the range of i32, the type acc reads I64 as; "
                + "store it as I32 or F32"
        case let .reservedName(name):
            "a tensor cannot be named '\(name)': the format reserves that key for metadata; rename the tensor"
        case let .tensorNotFound(name, suggestions, available):
            "no tensor named '\(name)'" + Self.hint(suggestions: suggestions, available: available)
        case let .readFailed(path, reason):
            "cannot read '\(path)': \(reason)"
        case let .writeFailed(path, reason):
            "cannot write '\(path)': \(reason); any previous file at that path is unchanged"
        }
    }

    /// "did you mean" for near misses, else the names themselves when few, else how many there are.
    private static func hint(suggestions: [String], available: [String]) -> String {
        if !suggestions.isEmpty {
            return "; did you mean " + suggestions.map { "'\($0)'" }.joined(separator: " or ") + "?"
        }
        if available.isEmpty { return "; the file holds no tensors" }
        if available.count <= 8 { return "; the file holds " + available.map { "'\($0)'" }.joined(separator: ", ") }
        return "; the file holds \(available.count) tensors, none with a similar name"
    }
}

extension Shape {
    /// The `.kir` spelling of dimensions that may not form a valid ``Shape``, e.g. `[2, 3]`.
    static func spelling(_ dimensions: [Int]) -> String {
        "[" + dimensions.map(String.init).joined(separator: ", ") + "]"
    }
}
