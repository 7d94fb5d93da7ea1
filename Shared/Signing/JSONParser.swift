/// Why a text is not a JSON document that can be signed or verified.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    /// The byte offset where reading stopped.
    public var offset: Int
    public var problem: String

    public var description: String { "invalid JSON at byte \(offset): \(problem)" }
}

// A parser of our own, not Foundation's JSONSerialization or JSONDecoder: a signature is over
// exact bytes, so duplicate member names must be refused (they read one way here and another
// elsewhere), members must keep the order they came in, and strings must keep their Unicode
// scalars as sent; the libraries drop duplicates silently, reorder members and normalise.
extension JSONValue {
    /// Reads one JSON document (RFC 8259) under I-JSON's constraints that RFC 8785 relies on:
    /// UTF-8, no duplicate member names, no lone surrogates, numbers that fit a double.
    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        var parser = JSONParser(bytes: bytes)
        self = try parser.document()
    }

    public init(parsing text: String) throws(JSONParseError) {
        try self.init(parsing: Array(text.utf8))
    }
}

/// A recursive-descent reader over UTF-8 bytes.
struct JSONParser {
    let bytes: [UInt8]
    var position = 0
    var depth = 0
    /// Deeper nesting than any credential needs is refused rather than risk the stack.
    static let maximumDepth = 128

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func document() throws(JSONParseError) -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { throw failure("a byte order mark is not allowed") }
        let value = try value()
        skipWhitespace()
        guard position == bytes.count else { throw failure("unexpected text after the document") }
        return value
    }

    func failure(_ problem: String) -> JSONParseError {
        JSONParseError(offset: position, problem: problem)
    }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func value() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard position < bytes.count else { throw failure("unexpected end of the document") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object(try object())
        case UInt8(ascii: "["): return .array(try array())
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected character")
        }
    }

    mutating func literal(_ word: String) throws(JSONParseError) {
        let expected = Array(word.utf8)
        guard bytes[position...].starts(with: expected) else { throw failure("unexpected character") }
        position += expected.count
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > Self.maximumDepth { throw failure("nested deeper than \(Self.maximumDepth) levels") }
    }

    mutating func object() throws(JSONParseError) -> JSONObject {
        try enter()
        defer { depth -= 1 }
        position += 1
        var object = JSONObject()
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return object
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let start = position
            let name = try string()
            if object[name] != nil {
                position = start
                throw failure("duplicate member name \"\(name)\"")
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            position += 1
            object[name] = try value()
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of the document") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return object }
            throw failure("expected ',' or '}'")
        }
    }

    mutating func array() throws(JSONParseError) -> [JSONValue] {
        try enter()
        defer { depth -= 1 }
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return elements
        }
        while true {
            elements.append(try value())
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of the document") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return elements }
            throw failure("expected ',' or ']'")
        }
    }

    mutating func string() throws(JSONParseError) -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flush(_ end: Int) throws(JSONParseError) {
            guard runStart < end else { return }
            guard let run = String(validating: bytes[runStart..<end], as: UTF8.self) else {
                throw JSONParseError(offset: runStart, problem: "not valid UTF-8")
            }
            scalars.append(contentsOf: run.unicodeScalars)
        }
        while true {
            guard position < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                try flush(position)
                position += 1
                return String(scalars)
            }
            if byte < 0x20 { throw failure("a control character must be escaped") }
            if byte != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            try flush(position)
            position += 1
            guard position < bytes.count else { throw failure("unterminated string") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                let unit = try hexUnit()
                if (0xD800...0xDBFF).contains(unit) {
                    guard bytes[position...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                        throw failure("a lone surrogate is not allowed")
                    }
                    position += 2
                    let low = try hexUnit()
                    guard (0xDC00...0xDFFF).contains(low) else { throw failure("a lone surrogate is not allowed") }
                    scalars.append(Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!)
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw failure("a lone surrogate is not allowed")
                } else {
                    scalars.append(Unicode.Scalar(unit)!)
                }
            default:
                position -= 1
                throw failure("unknown escape")
            }
            runStart = position
        }
    }

    mutating func hexUnit() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure("incomplete \\u escape") }
        var unit: UInt32 = 0
        for byte in bytes[position..<position + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("bad hex digit in \\u escape")
            }
            unit = unit << 4 | UInt32(digit)
        }
        position += 4
        return unit
    }

    mutating func number() throws(JSONParseError) -> Double {
        let start = position
        func digits() -> Int {
            let from = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            return position - from
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        let integerDigits = digits()
        guard integerDigits > 0 else { throw failure("a number needs digits") }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") {
            position = integerStart
            throw failure("a number must not have leading zeros")
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw failure("a fraction needs digits") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw failure("an exponent needs digits") }
        }
        // Swift's Double(String) rounds correctly (to nearest, ties to even), as RFC 8785 requires.
        guard let value = Double(String(decoding: bytes[start..<position], as: UTF8.self)), value.isFinite else {
            position = start
            throw failure("the number does not fit a double")
        }
        return value
    }
}
