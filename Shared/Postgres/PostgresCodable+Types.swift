public import Foundation

// The types Tongban stores: integers, text, bool, float8, numeric, timestamptz, date, uuid, bytea.
// jsonb is `PostgresJSONB`, a calendar date `PostgresDate`. Arrays are not supported yet; bytea is
// `Data` (not `[UInt8]`) so that `[Element]` stays free for them.

extension PostgresCell {
    /// Any integer column, widened; the caller narrows it exactly.
    func integer() throws(PostgresError) -> Int64 {
        let bytes = try requireBytes(for: Int64.self)
        switch (dataType, bytes.count) {
        case (.int2, 2): return Int64(bytes.bigEndian(Int16.self))
        case (.int4, 4): return Int64(bytes.bigEndian(Int32.self))
        case (.int8, 8): return bytes.bigEndian(Int64.self)
        default: throw mismatch(Int64.self)
        }
    }

    func exactInteger<Integer: FixedWidthInteger>(_ type: Integer.Type) throws(PostgresError) -> Integer {
        guard let value = Integer(exactly: try integer()) else {
            throw decodingError("the value does not fit in \(Integer.self)")
        }
        return value
    }
}

extension Int: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .int8 }
    public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(Int64(self)) }
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int { try cell.exactInteger(Int.self) }
}

extension Int64: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .int8 }
    public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int64 { try cell.integer() }
}

extension Int32: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .int4 }
    public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int32 { try cell.exactInteger(Int32.self) }
}

extension Int16: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .int2 }
    public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int16 { try cell.exactInteger(Int16.self) }
}

extension Bool: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .bool }
    public func encode(into buffer: inout [UInt8]) { buffer.append(self ? 1 : 0) }
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Bool {
        let bytes = try cell.requireBytes(for: Bool.self)
        guard cell.dataType == .bool, bytes.count == 1 else { throw cell.mismatch(Bool.self) }
        return bytes[0] != 0
    }
}

extension Double: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .float8 }
    public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(bitPattern) }
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Double {
        let bytes = try cell.requireBytes(for: Double.self)
        switch (cell.dataType, bytes.count) {
        case (.float8, 8): return Double(bitPattern: bytes.bigEndian(UInt64.self))
        case (.float4, 4): return Double(Float(bitPattern: bytes.bigEndian(UInt32.self)))
        default: throw cell.mismatch(Double.self)
        }
    }
}

extension String: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .text }
    public func encode(into buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> String {
        let bytes = try cell.requireBytes(for: String.self)
        switch cell.dataType {
        case .text, .varchar, .bpchar, .name, .char, .unknown: return String(decoding: bytes, as: UTF8.self)
        default: throw cell.mismatch(String.self)
        }
    }
}

extension Data: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .bytea }
    public func encode(into buffer: inout [UInt8]) { buffer.append(contentsOf: self) }
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Data {
        let bytes = try cell.requireBytes(for: Data.self)
        guard cell.dataType == .bytea else { throw cell.mismatch(Data.self) }
        return Data(bytes)
    }
}

extension UUID: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .uuid }
    public func encode(into buffer: inout [UInt8]) { withUnsafeBytes(of: uuid) { buffer.append(contentsOf: $0) } }
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> UUID {
        let bytes = try cell.requireBytes(for: UUID.self)
        guard cell.dataType == .uuid, bytes.count == 16 else { throw cell.mismatch(UUID.self) }
        return UUID(uuid: bytes.loadUnaligned(as: uuid_t.self))
    }
}

/// numeric goes out as text, its exact decimal form, and comes back in the binary form: base-10000
/// digits, a weight and a display scale. Decimal holds 38 significant digits; more are rounded.
extension Decimal: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .numeric }
    public static var postgresFormat: PostgresFormat { .text }
    public func encode(into buffer: inout [UInt8]) { buffer.append(contentsOf: description.utf8) }

    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Decimal {
        if cell.dataType != .numeric { return Decimal(try cell.integer()) }
        let bytes = try cell.requireBytes(for: Decimal.self)
        guard bytes.count >= 8 else { throw cell.mismatch(Decimal.self) }
        let digitCount = Int(bytes.bigEndian(Int16.self, at: 0))
        let weight = Int(bytes.bigEndian(Int16.self, at: 2))
        let sign = bytes.bigEndian(UInt16.self, at: 4)
        let scale = Int(bytes.bigEndian(Int16.self, at: 6))
        guard digitCount >= 0, bytes.count == 8 + 2 * digitCount else { throw cell.mismatch(Decimal.self) }
        switch sign {
        case 0x0000, 0x4000: break
        case 0xC000: return .nan
        default: throw cell.decodingError("infinite numeric values have no Decimal form")
        }
        func digit(_ index: Int) -> Int {
            (0..<digitCount).contains(index) ? Int(bytes.bigEndian(Int16.self, at: 8 + 2 * index)) : 0
        }
        func fourDigits(_ value: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: 4 - text.count) + text
        }
        var text = sign == 0x4000 ? "-" : ""
        if weight < 0 {
            text += "0"
        } else {
            text += String(digit(0))
            for index in stride(from: 1, through: weight, by: 1) { text += fourDigits(digit(index)) }
        }
        if scale > 0 {
            var fraction = ""
            var index = weight + 1
            while fraction.count < scale {
                fraction += fourDigits(digit(index))
                index += 1
            }
            text += "." + fraction.prefix(scale)
        }
        guard let value = Decimal(string: text) else { throw cell.mismatch(Decimal.self) }
        return value
    }
}

/// Seconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC), and from there to Foundation's (2001-01-01).
private let postgresEpochToReferenceDate: Int64 = 31_622_400
private let microsecondsPerSecond: Int64 = 1_000_000

/// timestamptz, in microseconds since 2000-01-01 UTC. A `date` or `timestamp` column decodes too,
/// read as UTC.
extension Date: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .timestamptz }

    public func encode(into buffer: inout [UInt8]) {
        let microseconds = Int64((timeIntervalSinceReferenceDate * 1_000_000).rounded())
        buffer.appendBigEndian(microseconds + postgresEpochToReferenceDate * microsecondsPerSecond)
    }

    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Date {
        let bytes = try cell.requireBytes(for: Date.self)
        switch (cell.dataType, bytes.count) {
        case (.timestamptz, 8), (.timestamp, 8):
            let microseconds = bytes.bigEndian(Int64.self)
            guard microseconds != .max, microseconds != .min else {
                throw cell.decodingError("infinite timestamps have no Date form")
            }
            let (seconds, remainder) = microseconds.quotientAndRemainder(dividingBy: microsecondsPerSecond)
            return Date(
                timeIntervalSinceReferenceDate: Double(seconds - postgresEpochToReferenceDate)
                    + Double(remainder) / Double(microsecondsPerSecond)
            )
        case (.date, 4):
            return try PostgresDate.decode(from: cell).midnightUTC
        default:
            throw cell.mismatch(Date.self)
        }
    }
}

/// jsonb holding any Codable value: `\(try PostgresJSONB(form))` binds it, `PostgresJSONB<Form>.self`
/// decodes it (from json too). Dates inside are ISO 8601 with fractional seconds, so they survive
/// the round trip and read well in SQL.
public struct PostgresJSONB<Value: Codable & Sendable>: PostgresCodable, Sendable {
    public var value: Value
    private let json: Data

    public init(_ value: Value) throws(PostgresError) {
        self.value = value
        do {
            json = try PostgresJSONCoding.makeEncoder().encode(value)
        } catch {
            throw PostgresError(.invalidArgument, message: "\(Value.self) could not be encoded as JSON: \(error)")
        }
    }

    public static var postgresDataType: PostgresDataType { .jsonb }

    public func encode(into buffer: inout [UInt8]) {
        buffer.append(1)  // jsonb's binary format version
        buffer.append(contentsOf: json)
    }

    public static func decode(from cell: PostgresCell) throws(PostgresError) -> PostgresJSONB<Value> {
        let json = try cell.json(for: Value.self)
        do {
            return try PostgresJSONB(json: json)
        } catch {
            throw cell.decodingError("the JSON does not decode as \(Value.self): \(error)")
        }
    }

    init(json: Data) throws {
        value = try PostgresJSONCoding.makeDecoder().decode(Value.self, from: json)
        self.json = json
    }
}

extension PostgresJSONB: Equatable where Value: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.value == rhs.value }
}

extension PostgresCell {
    /// The JSON text of a json or jsonb column (jsonb's binary form is a version byte, then the text).
    func json<Value>(for type: Value.Type) throws(PostgresError) -> Data {
        let bytes = try requireBytes(for: Value.self)
        switch dataType {
        case .jsonb where bytes.first == 1: return Data(bytes.dropFirst())
        case .json: return Data(bytes)
        default: throw mismatch(Value.self)
        }
    }
}

/// The JSON form of values in json/jsonb columns, shared by `PostgresJSONB` and record decoding.
enum PostgresJSONCoding {
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return encoder
    }

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            return try Date(text, strategy: Date.ISO8601FormatStyle())
        }
        return decoder
    }
}
