/// A PostgreSQL type, by its OID (`pg_type.oid`).
public struct PostgresDataType: Sendable, Hashable, CustomStringConvertible {
    public var oid: UInt32

    public init(oid: UInt32) {
        self.oid = oid
    }

    public static let bool = PostgresDataType(oid: 16)
    public static let bytea = PostgresDataType(oid: 17)
    public static let char = PostgresDataType(oid: 18)
    public static let name = PostgresDataType(oid: 19)
    public static let int8 = PostgresDataType(oid: 20)
    public static let int2 = PostgresDataType(oid: 21)
    public static let int4 = PostgresDataType(oid: 23)
    public static let text = PostgresDataType(oid: 25)
    public static let json = PostgresDataType(oid: 114)
    public static let float4 = PostgresDataType(oid: 700)
    public static let float8 = PostgresDataType(oid: 701)
    public static let unknown = PostgresDataType(oid: 705)
    public static let bpchar = PostgresDataType(oid: 1042)
    public static let varchar = PostgresDataType(oid: 1043)
    public static let date = PostgresDataType(oid: 1082)
    public static let timestamp = PostgresDataType(oid: 1114)
    public static let timestamptz = PostgresDataType(oid: 1184)
    public static let numeric = PostgresDataType(oid: 1700)
    public static let uuid = PostgresDataType(oid: 2950)
    public static let jsonb = PostgresDataType(oid: 3802)

    public var description: String { "oid \(oid)" }
}

/// How a value travels on the wire. Results always come back in binary: it does not depend on the
/// session's DateStyle, TimeZone or extra_float_digits, and bytea needs no hex decoding.
/// Parameters are binary too, except where the text form is the exact one (numeric).
public enum PostgresFormat: Int32, Sendable {
    case text = 0
    case binary = 1
}

/// A Swift value that can be bound as a query parameter. The parameter is sent with the type's
/// OID, so the server checks it against the column and never parses it as SQL.
public protocol PostgresEncodable: Sendable {
    static var postgresDataType: PostgresDataType { get }
    static var postgresFormat: PostgresFormat { get }
    /// Appends the value's bytes in `postgresFormat`.
    func encode(into buffer: inout [UInt8])
}

extension PostgresEncodable {
    public static var postgresFormat: PostgresFormat { .binary }
}

/// A Swift value that can be read from a result column (in binary format).
public protocol PostgresDecodable {
    static func decode(from cell: PostgresCell) throws(PostgresError) -> Self
}

public typealias PostgresCodable = PostgresEncodable & PostgresDecodable

/// One column of one row, handed to `PostgresDecodable.decode(from:)`.
public struct PostgresCell {
    public let dataType: PostgresDataType
    /// The column's bytes in binary format; nil for NULL. Valid while the cell exists (it keeps
    /// its result alive); copy them to keep them longer.
    public let bytes: UnsafeRawBufferPointer?
    let result: LibpqResult
    let column: Int

    public var columnName: String { result.columnName(column) }
    public var isNull: Bool { bytes == nil }

    /// The bytes of a non-NULL value, or the error for a NULL read into a non-optional type.
    public func requireBytes<Value>(for type: Value.Type) throws(PostgresError) -> UnsafeRawBufferPointer {
        guard let bytes else {
            throw decodingError("NULL cannot be decoded as non-optional \(Value.self)")
        }
        return bytes
    }

    /// The error for a column whose type or content does not fit `type`. Names the column and the
    /// types, never the value.
    public func mismatch<Value>(_ type: Value.Type) -> PostgresError {
        decodingError("a column of type \(dataType) cannot be decoded as \(Value.self)")
    }

    func decodingError(_ reason: String) -> PostgresError {
        var error = PostgresError(.decodingFailed, message: "column \"\(columnName)\" (#\(column)): \(reason)")
        error.columnName = columnName
        return error
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Wrapped? {
        cell.isNull ? nil : try Wrapped.decode(from: cell)
    }
}

/// Enums and other wrappers travel as their raw value: `extension CaseState: PostgresCodable {}`.
extension PostgresEncodable where Self: RawRepresentable, RawValue: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { RawValue.postgresDataType }
    public static var postgresFormat: PostgresFormat { RawValue.postgresFormat }
    public func encode(into buffer: inout [UInt8]) { rawValue.encode(into: &buffer) }
}

extension PostgresDecodable where Self: RawRepresentable, RawValue: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Self {
        guard let value = Self(rawValue: try RawValue.decode(from: cell)) else {
            throw cell.decodingError("the stored value is not a case of \(Self.self)")
        }
        return value
    }
}

extension [UInt8] {
    mutating func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    func bigEndian<Integer: FixedWidthInteger>(_ type: Integer.Type, at offset: Int = 0) -> Integer {
        Integer(bigEndian: loadUnaligned(fromByteOffset: offset, as: Integer.self))
    }
}
