import Foundation

/// Decodes one row into a `Decodable` record: each property from the column of its name, through
/// the property type's `PostgresDecodable` conformance, or as JSON from a json/jsonb column when
/// the type has none (a nested form, a list of materials).
struct PostgresRowDecoder: Decoder {
    let row: PostgresRow
    let keys: PostgresColumnKeys
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RowContainer<Key>(row: row, keys: keys))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw PostgresError(.decodingFailed, message: "a row decodes into a keyed record, not a list")
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw PostgresError(.decodingFailed, message: "a row decodes into a keyed record; decode single columns as a tuple")
    }
}

private struct RowContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: PostgresRow
    let keys: PostgresColumnKeys
    var codingPath: [any CodingKey] { [] }

    var allKeys: [Key] {
        row.rows.columnNames.compactMap { name in Key(stringValue: name) }
    }

    func columnName(for key: Key) -> String {
        switch keys {
        case .useDefaultKeys: key.stringValue
        case .convertFromSnakeCase: Self.snakeCased(key.stringValue)
        }
    }

    /// `caseNumber` → `case_number`, `applicantID` → `applicant_id`.
    static func snakeCased(_ name: String) -> String {
        var result = ""
        var previousWasLowercase = false
        for character in name {
            if character.isUppercase {
                if previousWasLowercase { result += "_" }
                result += character.lowercased()
                previousWasLowercase = false
            } else {
                result.append(character)
                previousWasLowercase = character.isLowercase || character.isNumber
            }
        }
        return result
    }

    func cell(for key: Key) throws -> PostgresCell {
        guard let cell = row.cell(named: columnName(for: key)) else {
            throw PostgresError(.decodingFailed, message: "the result has no column \"\(columnName(for: key))\"")
        }
        return cell
    }

    func contains(_ key: Key) -> Bool {
        row.cell(named: columnName(for: key)) != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        try cell(for: key).isNull
    }

    func decode<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value {
        let cell = try cell(for: key)
        if let decodable = Value.self as? any PostgresDecodable.Type {
            return try decodable.decode(from: cell) as! Value
        }
        return try PostgresJSONCoding.makeDecoder().decode(Value.self, from: cell.json(for: Value.self))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw PostgresError(.decodingFailed, message: "nested containers are read from json columns by the property's own type")
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw PostgresError(.decodingFailed, message: "nested containers are read from json columns by the property's own type")
    }

    func superDecoder() throws -> any Decoder {
        throw PostgresError(.decodingFailed, message: "a row has no super decoder")
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        throw PostgresError(.decodingFailed, message: "a row has no super decoder")
    }
}
