/// A JSON value as a safetensors header holds it; objects keep their members in file order.
///
/// Numbers keep their literal text, so that offsets beyond 2^53 are read exactly, not through `Double`.
enum JSONValue: Sendable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// The value as an `Int` when it is a non-negative integer literal (no sign, fraction or exponent)
    /// that fits; `nil` otherwise.
    var nonNegativeInteger: Int? {
        guard case let .number(text) = self, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }

    /// What the value is, for messages: "a string", "the number 2.5".
    var kindDescription: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case let .number(text): "the number \(text)"
        case let .bool(value): "\(value)"
        case .null: "null"
        }
    }
}

extension JSONValue {
    /// Parses one JSON document from `bytes`, which must already be valid UTF-8 (RFC 8259).
    ///
    /// Objects with a repeated key are rejected rather than resolved, since a reader that kept the first
    /// and one that kept the last would see different tensors.
    /// - Throws: ``SafetensorsError/invalidJSON(_:at:)`` with the byte offset of the fault.
    init(parsing bytes: [UInt8]) throws(SafetensorsError) {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        self = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position < bytes.count {
            throw parser.failure("unexpected \(parser.describeCurrent()) after the end of the JSON value")
        }
    }

    /// `text` as a JSON string literal, escaped as serde_json (the reference writer) escapes it.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// A recursive-descent JSON parser over UTF-8 bytes, limited in depth so hostile input cannot exhaust the stack.
private struct JSONParser {
    let bytes: [UInt8]
    var position = 0
    static let maximumDepth = 64

    init(bytes: [UInt8]) { self.bytes = bytes }

    func failure(_ reason: String, at offset: Int? = nil) -> SafetensorsError {
        .invalidJSON(reason, at: offset ?? position)
    }

    func describeCurrent() -> String {
        guard position < bytes.count else { return "end of the header" }
        let byte = bytes[position]
        return (0x21...0x7E).contains(byte) ? "character '\(Character(Unicode.Scalar(byte)))'" : "byte \(Self.hex(byte))"
    }

    /// A byte as two hex digits, e.g. `0x0A`.
    static func hex(_ byte: UInt8) -> String {
        "0x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(SafetensorsError) {
        guard position < bytes.count, bytes[position] == byte else {
            throw failure("expected \(what), found \(describeCurrent())")
        }
        position += 1
    }

    mutating func parseValue(depth: Int) throws(SafetensorsError) -> JSONValue {
        guard position < bytes.count else { throw failure("expected a value, found end of the header") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "t"): try parseWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseWord("null"); return .null
        default: throw failure("expected a value, found \(describeCurrent())")
        }
    }

    mutating func parseObject(depth: Int) throws(SafetensorsError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        var seen: Set<String> = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let keyOffset = position
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw failure("expected a quoted key, found \(describeCurrent())")
            }
            let key = try parseString()
            guard seen.insert(key).inserted else { throw failure("duplicate key \(JSONValue.quoted(key))", at: keyOffset) }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after a key")
            skipWhitespace()
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            try expect(UInt8(ascii: ","), "',' or '}' in an object")
        }
    }

    mutating func parseArray(depth: Int) throws(SafetensorsError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            try expect(UInt8(ascii: ","), "',' or ']' in an array")
        }
    }

    mutating func parseWord(_ word: String) throws(SafetensorsError) {
        for byte in word.utf8 {
            guard position < bytes.count, bytes[position] == byte else {
                throw failure("expected '\(word)', found \(describeCurrent())")
            }
            position += 1
        }
    }

    mutating func parseNumber() throws(SafetensorsError) -> JSONValue {
        let start = position
        func isDigit(_ offset: Int) -> Bool {
            offset < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset])
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard isDigit(position) else { throw failure("expected a digit, found \(describeCurrent())") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if isDigit(position) { throw failure("a number cannot have a leading zero", at: start) }
        } else {
            while isDigit(position) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard isDigit(position) else { throw failure("expected a digit after '.', found \(describeCurrent())") }
            while isDigit(position) { position += 1 }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard isDigit(position) else { throw failure("expected an exponent digit, found \(describeCurrent())") }
            while isDigit(position) { position += 1 }
        }
        return .number(String(decoding: bytes[start..<position], as: UTF8.self))
    }

    mutating func parseString() throws(SafetensorsError) -> String {
        position += 1  // the opening quote
        var utf8: [UInt8] = []
        while true {
            guard position < bytes.count else { throw failure("a string is not closed before the end of the header") }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                // The header was validated as UTF-8 and is only split at ASCII bytes, so this decodes losslessly.
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                try parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw failure("control character \(Self.hex(byte)) in a string; escape it")
            default:
                utf8.append(byte)
                position += 1
            }
        }
    }

    mutating func parseEscape(into utf8: inout [UInt8]) throws(SafetensorsError) {
        guard position < bytes.count else { throw failure("a string is not closed before the end of the header") }
        let replacement: UInt8? = switch bytes[position] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes[position]
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
        if let replacement {
            utf8.append(replacement)
            position += 1
            return
        }
        guard bytes[position] == UInt8(ascii: "u") else {
            throw failure("invalid escape: '\\' followed by \(describeCurrent())")
        }
        let start = position - 1
        position += 1
        var value = try parseHexQuad()
        if (0xD800...0xDBFF).contains(value) {
            // A high surrogate must be followed by an escaped low surrogate (RFC 8259 section 7).
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                  bytes[position + 1] == UInt8(ascii: "u") else {
                throw failure("unpaired surrogate in a \\u escape", at: start)
            }
            position += 2
            let low = try parseHexQuad()
            guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate in a \\u escape", at: start) }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(value) else { throw failure("unpaired surrogate in a \\u escape", at: start) }
        utf8.append(contentsOf: Array(String(scalar).utf8))
    }

    mutating func parseHexQuad() throws(SafetensorsError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < bytes.count, let digit = Character(Unicode.Scalar(bytes[position])).hexDigitValue else {
                throw failure("expected four hex digits after '\\u', found \(describeCurrent())")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
