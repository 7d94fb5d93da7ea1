public import Foundation

/// A value that can be an element of a bound array: its type has an array type in PostgreSQL.
public protocol PostgresArrayElement: PostgresEncodable {
    /// The OID of the element type's array type (`pg_type.typarray`).
    static var postgresArrayDataType: PostgresDataType { get }
}

extension PostgresDataType {
    public static let boolArray = PostgresDataType(oid: 1000)
    public static let int2Array = PostgresDataType(oid: 1005)
    public static let int4Array = PostgresDataType(oid: 1007)
    public static let textArray = PostgresDataType(oid: 1009)
    public static let int8Array = PostgresDataType(oid: 1016)
    public static let uuidArray = PostgresDataType(oid: 2951)
}

extension String: PostgresArrayElement { public static var postgresArrayDataType: PostgresDataType { .textArray } }
extension Int: PostgresArrayElement { public static var postgresArrayDataType: PostgresDataType { .int8Array } }
extension Int64: PostgresArrayElement { public static var postgresArrayDataType: PostgresDataType { .int8Array } }
extension Int32: PostgresArrayElement { public static var postgresArrayDataType: PostgresDataType { .int4Array } }
extension Int16: PostgresArrayElement { public static var postgresArrayDataType: PostgresDataType { .int2Array } }
extension Bool: PostgresArrayElement { public static var postgresArrayDataType: PostgresDataType { .boolArray } }
extension UUID: PostgresArrayElement { public static var postgresArrayDataType: PostgresDataType { .uuidArray } }

/// An array binds as one parameter (`WHERE id = ANY(\(ids))`), in PostgreSQL's binary array
/// format: one statement for a set of rows instead of a statement per row, and no literal text
/// to quote. Elements go in binary, so the element type must be binary too (not numeric).
extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresDataType: PostgresDataType { Element.postgresArrayDataType }

    public func encode(into buffer: inout [UInt8]) {
        precondition(Element.postgresFormat == .binary, "\(Element.self) travels as text and cannot be an element of a binary array")
        // Dimensions (0 for an empty array), has-nulls flag, element type; then per dimension its
        // length and lower bound; then each element as length and bytes.
        buffer.appendBigEndian(Int32(isEmpty ? 0 : 1))
        buffer.appendBigEndian(Int32(0))
        buffer.appendBigEndian(Int32(bitPattern: Element.postgresDataType.oid))
        guard !isEmpty else { return }
        buffer.appendBigEndian(Int32(count))
        buffer.appendBigEndian(Int32(1))
        var element: [UInt8] = []
        for value in self {
            element.removeAll(keepingCapacity: true)
            value.encode(into: &element)
            buffer.appendBigEndian(Int32(element.count))
            buffer.append(contentsOf: element)
        }
    }
}
