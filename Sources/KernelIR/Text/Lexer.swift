/// A lexical token of `.kir` text.
struct Token: Equatable {
    enum Kind: Equatable {
        /// `%name`, the name without the `%`.
        case valueName(String)
        /// `@name`, the name without the `@`.
        case functionName(String)
        /// A bare identifier: keywords, op mnemonics, dtypes, attribute names.
        case word(String)
        /// An integer literal, as written.
        case integer(String)
        /// A decimal literal with a fraction or exponent, as written.
        case float(String)
        /// Punctuation: `( ) [ ] { } , : = - ->`.
        case symbol(String)
        case end
    }

    var kind: Kind
    var location: SourceLocation

    /// How a diagnostic names the token.
    var spelling: String {
        switch kind {
        case let .valueName(name): "'%\(name)'"
        case let .functionName(name): "'@\(name)'"
        case let .word(word): "'\(word)'"
        case let .integer(text), let .float(text): "'\(text)'"
        case let .symbol(symbol): "'\(symbol)'"
        case .end: "the end of the file"
        }
    }
}

/// Splits `.kir` text into tokens in one linear pass; `//` comments are kept aside by line
/// so that the comment block above a function can become its documentation.
struct Lexer {
    private(set) var tokens: [Token] = []
    private(set) var comments: [Int: String] = [:]

    /// Decodes `bytes` as UTF-8, reporting the line and column of the first invalid sequence.
    static func decode(_ bytes: [UInt8]) throws(KIRError) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var line = 1, column = 1
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar):
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput:
                return String(decoding: bytes, as: UTF8.self)
            case .error:
                throw .invalidUTF8(at: SourceLocation(line: line, column: column))
            }
        }
    }

    init(_ text: String) throws(KIRError) {
        let scalars = Array(text.unicodeScalars)
        var index = 0, line = 1, lineStart = 0
        func location(_ at: Int) -> SourceLocation { SourceLocation(line: line, column: at - lineStart + 1) }
        func isIdentifier(_ scalar: Unicode.Scalar) -> Bool {
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == ".")
        }
        func isDigit(_ at: Int) -> Bool { at < scalars.count && ("0"..."9").contains(scalars[at]) }

        while index < scalars.count {
            let scalar = scalars[index]
            let start = index
            switch scalar {
            case "\n":
                index += 1
                line += 1
                lineStart = index
            case " ", "\t", "\r":
                index += 1
            case "/" where index + 1 < scalars.count && scalars[index + 1] == "/":
                while index < scalars.count, scalars[index] != "\n" { index += 1 }
                var comment = String(String.UnicodeScalarView(scalars[(start + 2)..<index]))
                if comment.hasPrefix(" ") { comment.removeFirst() }
                comments[line] = comment
            case "%", "@":
                index += 1
                while index < scalars.count, isIdentifier(scalars[index]) { index += 1 }
                let name = String(String.UnicodeScalarView(scalars[(start + 1)..<index]))
                guard !name.isEmpty else {
                    throw .unexpectedToken(expected: "a name after '\(scalar)'", found: index < scalars.count ? "'\(scalars[index])'" : "the end of the file", at: location(start))
                }
                tokens.append(Token(kind: scalar == "%" ? .valueName(name) : .functionName(name), location: location(start)))
            case "-" where index + 1 < scalars.count && scalars[index + 1] == ">":
                index += 2
                tokens.append(Token(kind: .symbol("->"), location: location(start)))
            case "-" where !isDigit(index + 1):
                index += 1
                tokens.append(Token(kind: .symbol("-"), location: location(start)))
            case "(", ")", "[", "]", "{", "}", ",", ":", "=":
                index += 1
                tokens.append(Token(kind: .symbol(String(scalar)), location: location(start)))
            case "-", "0"..."9":
                index += 1
                while isDigit(index) { index += 1 }
                var isFloat = false
                if index < scalars.count, scalars[index] == ".", isDigit(index + 1) {
                    isFloat = true
                    index += 1
                    while isDigit(index) { index += 1 }
                }
                if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
                    var exponent = index + 1
                    if exponent < scalars.count, scalars[exponent] == "+" || scalars[exponent] == "-" { exponent += 1 }
                    if isDigit(exponent) {
                        isFloat = true
                        index = exponent
                        while isDigit(index) { index += 1 }
                    }
                }
                let text = String(String.UnicodeScalarView(scalars[start..<index]))
                tokens.append(Token(kind: isFloat ? .float(text) : .integer(text), location: location(start)))
            default:
                guard isIdentifier(scalar) else {
                    let shown = scalar.isASCII && scalar.value >= 0x20 && scalar.value < 0x7F ? "'\(scalar)'" : "U+\(String(scalar.value, radix: 16, uppercase: true))"
                    throw .unexpectedCharacter(shown, at: location(start))
                }
                while index < scalars.count, isIdentifier(scalars[index]) { index += 1 }
                tokens.append(Token(kind: .word(String(String.UnicodeScalarView(scalars[start..<index]))), location: location(start)))
            }
        }
        tokens.append(Token(kind: .end, location: location(index)))
    }
}
