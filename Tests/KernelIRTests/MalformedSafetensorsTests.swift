import Testing
@testable import KernelIR

/// A malformed safetensors file and the error reading it must raise.
struct MalformedSafetensors: CustomTestStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    var error: SafetensorsError
    var testDescription: String { name }

    init(_ name: String, bytes: [UInt8], _ error: SafetensorsError) {
        self.name = name
        self.bytes = bytes
        self.error = error
    }

    init(_ name: String, header: String, data: [UInt8] = [], _ error: SafetensorsError) {
        self.init(name, bytes: safetensorsBytes(header: header, data: data), error)
    }

    /// A file whose header is `{"w": {entry}}` followed by `dataByteCount` zero bytes.
    init(_ name: String, entry: String, dataByteCount: Int = 0, _ error: SafetensorsError) {
        self.init(name, header: #"{"w":{\#(entry)}}"#, data: [UInt8](repeating: 0, count: dataByteCount), error)
    }

    static func length(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
    static func json(_ reason: String, _ offset: Int) -> SafetensorsError { .invalidJSON(reason, at: offset) }
    static let shapeExpected = "an array of non-negative integers, such as [2, 3]"
    static let offsetsExpected = "an array of two non-negative integers [begin, end], such as [0, 24]"

    static let cases: [MalformedSafetensors] = [
        // The length prefix.
        MalformedSafetensors("empty file", bytes: [], .fileTooShort(byteCount: 0)),
        MalformedSafetensors("seven bytes", bytes: [2, 0, 0, 0, 0, 0, 0], .fileTooShort(byteCount: 7)),
        MalformedSafetensors("header length just over 100 MB", bytes: length(100_000_001) + Array("{}".utf8),
                             .headerTooLarge(byteCount: 100_000_001, limit: 100_000_000)),
        MalformedSafetensors("header length of all ones", bytes: [UInt8](repeating: 0xFF, count: 16),
                             .headerTooLarge(byteCount: UInt64.max, limit: 100_000_000)),
        MalformedSafetensors("header longer than the file", bytes: length(64) + Array("{}".utf8),
                             .headerExceedsFile(headerByteCount: 64, availableByteCount: 2)),
        // Text and JSON syntax.
        MalformedSafetensors("header not UTF-8", bytes: length(10) + Array(#"{"caf"#.utf8) + [0xC3] + Array(#"":1}"#.utf8),
                             .headerNotUTF8(at: 5)),
        MalformedSafetensors("overlong UTF-8 encoding", bytes: length(7) + Array(#"{""#.utf8) + [0xC0, 0xAF] + Array(#"":1}"#.utf8),
                             .headerNotUTF8(at: 2)),
        MalformedSafetensors("empty header", header: "", json("expected a value, found end of the header", 0)),
        MalformedSafetensors("header of spaces", header: "        ", json("expected a value, found end of the header", 8)),
        MalformedSafetensors("not JSON", header: "hello", json("expected a value, found character 'h'", 0)),
        MalformedSafetensors("header truncated after a key", header: #"{"a":"#, json("expected a value, found end of the header", 5)),
        MalformedSafetensors("array at the top level", header: "[]", json("expected an object, found an array", 0)),
        MalformedSafetensors("number at the top level", header: " 12", json("expected an object, found the number 12", 1)),
        MalformedSafetensors("text after the object", header: "{} x", json("unexpected character 'x' after the end of the JSON value", 3)),
        MalformedSafetensors("NUL byte after the object", bytes: length(3) + [0x7B, 0x7D, 0x00],
                             json("unexpected byte 0x00 after the end of the JSON value", 2)),
        MalformedSafetensors("missing comma", header: #"{"a":{} "b":{}}"#, json(#"expected ',' or '}' in an object, found character '"'"#, 8)),
        MalformedSafetensors("missing colon", header: #"{"a" {}}"#, json("expected ':' after a key, found character '{'", 5)),
        MalformedSafetensors("unquoted key", header: "{a:1}", json("expected a quoted key, found character 'a'", 1)),
        MalformedSafetensors("trailing comma", header: #"{"a":{},}"#, json("expected a quoted key, found character '}'", 8)),
        MalformedSafetensors("unclosed array", header: #"{"a":[1,2"#, json("expected ',' or ']' in an array, found end of the header", 9)),
        MalformedSafetensors("misspelled literal", header: #"{"a":tru}"#, json("expected 'true', found character '}'", 8)),
        MalformedSafetensors("duplicate tensor name", header: #"{"a":{},"a":{}}"#, json(#"duplicate key "a""#, 8)),
        MalformedSafetensors("unclosed string", header: #"{"abc"#, json("a string is not closed before the end of the header", 5)),
        MalformedSafetensors("raw newline in a name", header: "{\"a\nb\":{}}", json("control character 0x0A in a string; escape it", 3)),
        MalformedSafetensors("invalid escape", header: #"{"a\qb":{}}"#, json(#"invalid escape: '\' followed by character 'q'"#, 4)),
        MalformedSafetensors("lone high surrogate", header: #"{"\ud800x":{}}"#, json(#"unpaired surrogate in a \u escape"#, 2)),
        MalformedSafetensors("lone low surrogate", header: #"{"\udc00":{}}"#, json(#"unpaired surrogate in a \u escape"#, 2)),
        MalformedSafetensors("bad hex digit", header: #"{"\u12G4":{}}"#, json(#"expected four hex digits after '\u', found character 'G'"#, 6)),
        MalformedSafetensors("number with a leading zero", header: #"{"a":{"shape":[01]}}"#, json("a number cannot have a leading zero", 15)),
        MalformedSafetensors("number without digits", header: #"{"a":-}"#, json("expected a digit, found character '}'", 6)),
        MalformedSafetensors("arrays nested 70 deep", header: #"{"a":"# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}",
                             json("nesting deeper than 64 levels", 68)),
        // Entries.
        MalformedSafetensors("entry not an object", header: #"{"w":[1,2]}"#, .invalidEntry(tensor: "w")),
        MalformedSafetensors("missing dtype", entry: #""shape":[1],"data_offsets":[0,4]"#, dataByteCount: 4, .missingField("dtype", tensor: "w")),
        MalformedSafetensors("missing shape", entry: #""dtype":"F32","data_offsets":[0,4]"#, dataByteCount: 4, .missingField("shape", tensor: "w")),
        MalformedSafetensors("missing data_offsets", entry: #""dtype":"F32","shape":[1]"#, .missingField("data_offsets", tensor: "w")),
        MalformedSafetensors("dtype not a string", entry: #""dtype":32,"shape":[1],"data_offsets":[0,4]"#, dataByteCount: 4,
                             .invalidField("dtype", tensor: "w", expected: #"a string such as "F32""#)),
        MalformedSafetensors("unsupported dtype U8", entry: #""dtype":"U8","shape":[1],"data_offsets":[0,1]"#, dataByteCount: 1,
                             .unknownDType("U8", tensor: "w")),
        MalformedSafetensors("lowercase dtype", entry: #""dtype":"f32","shape":[1],"data_offsets":[0,4]"#, dataByteCount: 4,
                             .unknownDType("f32", tensor: "w")),
        MalformedSafetensors("negative dimension", entry: #""dtype":"F32","shape":[-1,2],"data_offsets":[0,0]"#,
                             .invalidField("shape", tensor: "w", expected: shapeExpected)),
        MalformedSafetensors("fractional dimension", entry: #""dtype":"F32","shape":[2.5],"data_offsets":[0,0]"#,
                             .invalidField("shape", tensor: "w", expected: shapeExpected)),
        MalformedSafetensors("dimension in exponent form", entry: #""dtype":"F32","shape":[1e1],"data_offsets":[0,40]"#, dataByteCount: 40,
                             .invalidField("shape", tensor: "w", expected: shapeExpected)),
        MalformedSafetensors("shape as a string", entry: #""dtype":"F32","shape":"2x3","data_offsets":[0,24]"#, dataByteCount: 24,
                             .invalidField("shape", tensor: "w", expected: shapeExpected)),
        MalformedSafetensors("dimension beyond 64 bits", entry: #""dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,0]"#,
                             .invalidField("shape", tensor: "w", expected: shapeExpected)),
        MalformedSafetensors("three data offsets", entry: #""dtype":"F32","shape":[1],"data_offsets":[0,4,8]"#, dataByteCount: 8,
                             .invalidField("data_offsets", tensor: "w", expected: offsetsExpected)),
        MalformedSafetensors("data offsets as strings", entry: #""dtype":"F32","shape":[1],"data_offsets":["0","4"]"#, dataByteCount: 4,
                             .invalidField("data_offsets", tensor: "w", expected: offsetsExpected)),
        // Sizes and offsets.
        MalformedSafetensors("element count overflows", entry: #""dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]"#,
                             .elementCountOverflow(tensor: "w", shape: [4_294_967_296, 4_294_967_296])),
        MalformedSafetensors("byte count overflows", entry: #""dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]"#,
                             .elementCountOverflow(tensor: "w", shape: [4_611_686_018_427_387_904])),
        MalformedSafetensors("offsets shorter than the shape", entry: #""dtype":"F32","shape":[2,3],"data_offsets":[0,20]"#, dataByteCount: 24,
                             .byteCountMismatch(tensor: "w", dtype: "F32", shape: [2, 3], expected: 24, found: 20)),
        MalformedSafetensors("offsets longer than the shape", entry: #""dtype":"BF16","shape":[2],"data_offsets":[0,8]"#, dataByteCount: 8,
                             .byteCountMismatch(tensor: "w", dtype: "BF16", shape: [2], expected: 4, found: 8)),
        MalformedSafetensors("offsets past the data", entry: #""dtype":"F32","shape":[2],"data_offsets":[0,8]"#, dataByteCount: 4,
                             .offsetsOutOfBounds(tensor: "w", begin: 0, end: 8, dataByteCount: 4)),
        MalformedSafetensors("reversed offsets", entry: #""dtype":"F32","shape":[2],"data_offsets":[8,0]"#, dataByteCount: 8,
                             .offsetsOutOfBounds(tensor: "w", begin: 8, end: 0, dataByteCount: 8)),
        MalformedSafetensors("data buffer cut short",
                             header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
                             data: [UInt8](repeating: 0, count: 12), .offsetsOutOfBounds(tensor: "b", begin: 8, end: 16, dataByteCount: 12)),
        MalformedSafetensors("overlapping tensors",
                             header: #"{"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                             data: [UInt8](repeating: 0, count: 12), .overlappingTensors("a", "b")),
        MalformedSafetensors("tensor inside another",
                             header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"c":{"dtype":"I32","shape":[],"data_offsets":[16,20]},"#
                                 + #""b":{"dtype":"F16","shape":[2],"data_offsets":[4,8]}}"#,
                             data: [UInt8](repeating: 0, count: 20), .overlappingTensors("a", "b")),
        MalformedSafetensors("two tensors at the same offsets",
                             header: #"{"y":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                             data: [0, 0, 0, 0], .overlappingTensors("x", "y")),
        // Metadata and values.
        MalformedSafetensors("metadata not an object", header: #"{"__metadata__":"v1"}"#,
                             .invalidMetadata("is a string, but it must be a JSON object mapping strings to strings")),
        MalformedSafetensors("metadata value a number", header: #"{"__metadata__":{"seed":0}}"#,
                             .invalidMetadata("maps 'seed' to the number 0, but metadata values must be strings; quote the value")),
        MalformedSafetensors("metadata value null", header: #"{"__metadata__":{"a":"x","b":null}}"#,
                             .invalidMetadata("maps 'b' to null, but metadata values must be strings; quote the value")),
        MalformedSafetensors("I64 value beyond i32", header: #"{"w":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#,
                             data: length(0) + length(1 << 40), .valueOutOfRange(tensor: "w", value: 1 << 40)),
    ]
}

@Suite struct MalformedSafetensorsTests {
    @Test(arguments: MalformedSafetensors.cases)
    func malformedFileIsRejected(_ example: MalformedSafetensors) {
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile(bytes: example.bytes) }
        #expect(error == example.error)
    }

    @Test func malformedTableIsLargeEnough() {
        #expect(MalformedSafetensors.cases.count >= 50)
        #expect(Set(MalformedSafetensors.cases.map(\.name)).count == MalformedSafetensors.cases.count)
    }

    /// The exact text users read for a representative error of each kind.
    @Test(arguments: [
        ("seven bytes", "the file is 7 bytes long, too short to hold the 8-byte header length a safetensors file starts with; "
            + "it is truncated or not a safetensors file"),
        ("header length of all ones", "the header length field says 18446744073709551615 bytes, more than the "
            + "100000000-byte limit; the file is corrupt or not a safetensors file"),
        ("header longer than the file", "the header length field says 64 bytes but only 2 follow it; "
            + "the file is truncated or not a safetensors file"),
        ("header not UTF-8", "header byte 5 is not valid UTF-8; the header must be UTF-8 JSON, so the file is corrupt"),
        ("missing comma", #"header byte 8: expected ',' or '}' in an object, found character '"'; "#
            + "the header must be a JSON object that maps tensor names to entries"),
        ("entry not an object", #"the entry for tensor 'w' is not a JSON object; each tensor maps to "#
            + #"{"dtype": ..., "shape": [...], "data_offsets": [begin, end]}"#),
        ("missing dtype", "tensor 'w' has no 'dtype' field; every entry needs 'dtype', 'shape' and 'data_offsets'"),
        ("negative dimension", "tensor 'w': 'shape' must be an array of non-negative integers, such as [2, 3]"),
        ("unsupported dtype U8", "tensor 'w' has dtype 'U8', which acc cannot read; supported dtypes are F32, F16, BF16, "
            + "I32 and BOOL, and F64 and I64 for reading (converted to f32 and i32)"),
        ("element count overflows", "tensor 'w' has shape [4294967296, 4294967296], whose size does not fit in 64 bits; "
            + "the header is corrupt"),
        ("offsets shorter than the shape", "tensor 'w' is F32 [2, 3], which takes 24 bytes, but its data_offsets span 20; "
            + "the header is corrupt or the shape is wrong"),
        ("data buffer cut short", "tensor 'b' has data_offsets [8, 16], but they must satisfy 0 <= begin <= end <= 12, "
            + "the size of the data buffer; the file is truncated or the header is corrupt"),
        ("overlapping tensors", "tensors 'a' and 'b' share bytes of the data buffer; the header is corrupt"),
        ("metadata value a number", "'__metadata__' maps 'seed' to the number 0, but metadata values must be strings; "
            + "quote the value"),
        ("I64 value beyond i32", "tensor 'w' is I64 and holds 1099511627776, outside the range of i32, the type acc reads "
            + "I64 as; store it as I32 or F32"),
    ])
    func malformedFileMessageReadsWell(name: String, message: String) throws {
        let example = try #require(MalformedSafetensors.cases.first { $0.name == name })
        #expect(example.error.description == message)
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile(bytes: example.bytes) }
        #expect(error?.description == message)
    }
}
