public import Foundation

/// A JSON document as signatures see it: I-JSON (RFC 7493) values, numbers as IEEE 754 doubles
/// (exactly what RFC 8785 canonicalises), strings kept scalar for scalar, and object members in
/// the order they came, with unique names.
///
/// Swift's `String ==` treats canonically equivalent strings as equal ("Å" and "A\u{030A}"), which
/// a signature must not: names and strings here compare by Unicode scalars.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON object: members in document order, no two with the same name.
public struct JSONObject: Sendable, Sequence {
    public private(set) var members: [(name: String, value: JSONValue)]

    public init() {
        members = []
    }

    /// `members` must have unique names (by Unicode scalars); a later duplicate replaces the earlier value.
    public init(_ members: [(String, JSONValue)]) {
        self.members = []
        for (name, value) in members { self[name] = value }
    }

    public var count: Int { members.count }
    public var names: [String] { members.map(\.name) }

    public subscript(name: String) -> JSONValue? {
        get { members.first { sameScalars($0.name, name) }?.value }
        set {
            let index = members.firstIndex { sameScalars($0.name, name) }
            switch (index, newValue) {
            case (let index?, let value?): members[index].value = value
            case (let index?, nil): members.remove(at: index)
            case (nil, let value?): members.append((name, value))
            case (nil, nil): break
            }
        }
    }

    /// The value at a path of member names, e.g. `["credentialSubject", "licenceNumber"]`.
    public subscript(first: String, second: String, rest: String...) -> JSONValue? {
        var current = self[first]?.objectValue?[second]
        for name in rest { current = current?.objectValue?[name] }
        return current
    }

    /// A copy without the member `name`.
    public func removing(_ name: String) -> JSONObject {
        var copy = self
        copy[name] = nil
        return copy
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: JSONValue)]> {
        members.makeIterator()
    }
}

func sameScalars(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.elementsEqual(b.unicodeScalars)
}

extension JSONValue: Equatable {
    /// Structural equality: strings and names by Unicode scalars, object members in any order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): sameScalars(a, b)
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a == b
        default: false
        }
    }
}

extension JSONObject: Equatable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.count == rhs.count && lhs.members.allSatisfy { rhs[$0.name] == $0.value }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}

extension JSONValue {
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { value } else { nil }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    public var numberValue: Double? {
        if case .number(let value) = self { value } else { nil }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The value at `path` of object member names, e.g. `["credentialSubject", "licenceNumber"]`.
    public subscript(path: String...) -> JSONValue? {
        var current: JSONValue? = self
        for name in path { current = current?.objectValue?[name] }
        return current
    }
}

extension JSONValue {
    /// The JSON that `JSONEncoder` writes for `value` (dates as RFC 3339), read back as a value.
    public init<Value: Encodable>(encoding value: Value) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(JSONValue.formatDateTime(date))
        }
        self = try JSONValue(parsing: Array(try encoder.encode(value)))
    }

    /// Decodes the value into `Value` with `JSONDecoder` (dates as RFC 3339).
    public func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = JSONValue.parseDateTime(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an RFC 3339 date-time"))
            }
            return date
        }
        return try decoder.decode(type, from: Data(canonicalBytes))
    }

    /// RFC 3339 in UTC to the second, as credentials carry it: `2026-11-23T08:00:00Z`.
    public static func formatDateTime(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: false, timeZone: .gmt).format(date)
    }

    /// An RFC 3339 date-time, with or without fractional seconds.
    public static func parseDateTime(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: false).parse(text))
            ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
    }
}
