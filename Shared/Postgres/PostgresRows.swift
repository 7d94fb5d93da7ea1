/// The rows a statement returned, all received: libpq reads a whole result before handing it over,
/// so iterating never waits on the network. Decode them into tuples by position,
///
///     for (number, accepted) in try rows.decode((String, Bool).self) { … }
///
/// or into `Decodable` records by column name (`decodeRecords(CaseRow.self, keys: .convertFromSnakeCase)`).
/// (A separate name, because Int, String and the like are Decodable too: one `decode` for both
/// would leave the compiler to pick between a column and a record.)
public struct PostgresRows: Sendable, RandomAccessCollection {
    let result: LibpqResult
    private let columnIndex: [String: Int]

    init(result: LibpqResult) {
        self.result = result
        var index: [String: Int] = [:]
        for column in 0..<result.columnCount where index[result.columnName(column)] == nil {
            index[result.columnName(column)] = column
        }
        columnIndex = index
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { result.rowCount }

    public subscript(position: Int) -> PostgresRow {
        PostgresRow(rows: self, index: position)
    }

    public var columnNames: [String] { (0..<result.columnCount).map(result.columnName) }

    /// What the command tag reports: rows inserted, updated, deleted, or selected.
    public var affectedRowCount: Int { result.affectedRowCount }

    /// Every row as a tuple of its columns, in order: `decode((UUID, String, Date?).self)`.
    public func decode<each Column: PostgresDecodable>(_ columns: (repeat each Column).Type) throws(PostgresError) -> [(repeat each Column)] {
        var decoded: [(repeat each Column)] = []
        decoded.reserveCapacity(count)
        for row in self { decoded.append(try row.decode((repeat each Column).self)) }
        return decoded
    }

    /// Every row's single column: `decode(Int.self)`. (The tuple form covers this in principle, but
    /// the compiler infers a one-element pack poorly in expressions such as `== [1]`.)
    public func decode<Column: PostgresDecodable>(_ column: Column.Type) throws(PostgresError) -> [Column] {
        var decoded: [Column] = []
        decoded.reserveCapacity(count)
        for row in self { decoded.append(try row.decode(Column.self)) }
        return decoded
    }

    /// Every row as a `Decodable` record, its properties read from the columns of the same name.
    public func decodeRecords<Record: Decodable>(_ record: Record.Type, keys: PostgresColumnKeys = .useDefaultKeys) throws(PostgresError) -> [Record] {
        var decoded: [Record] = []
        decoded.reserveCapacity(count)
        for row in self { decoded.append(try row.decodeRecord(Record.self, keys: keys)) }
        return decoded
    }

    func column(named name: String) -> Int? {
        columnIndex[name]
    }
}

/// How a record's property names map to column names.
public enum PostgresColumnKeys: Sendable {
    /// A property reads the column of exactly its name (or its CodingKey's).
    case useDefaultKeys
    /// `caseNumber` reads `case_number`.
    case convertFromSnakeCase
}

public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let index: Int

    public var columnCount: Int { rows.result.columnCount }

    /// The cell in column `column` (0-based).
    public func cell(_ column: Int) -> PostgresCell {
        rows.result.cell(row: index, column: column)
    }

    /// The cell of the column named `name`, if there is one.
    public func cell(named name: String) -> PostgresCell? {
        rows.column(named: name).map(cell)
    }

    /// The row as a tuple of its columns, in order; the tuple must name every column.
    public func decode<each Column: PostgresDecodable>(_ columns: (repeat each Column).Type) throws(PostgresError) -> (repeat each Column) {
        var expected = 0
        for _ in repeat (each Column).self { expected += 1 }
        try checkColumnCount(expected)
        var column = 0
        func next<Value: PostgresDecodable>(_ type: Value.Type) throws(PostgresError) -> Value {
            defer { column += 1 }
            return try Value.decode(from: cell(column))
        }
        return (repeat try next((each Column).self))
    }

    /// The row's single column.
    public func decode<Column: PostgresDecodable>(_ column: Column.Type) throws(PostgresError) -> Column {
        try checkColumnCount(1)
        return try Column.decode(from: cell(0))
    }

    private func checkColumnCount(_ expected: Int) throws(PostgresError) {
        guard expected == columnCount else {
            throw PostgresError(.decodingFailed, message: "decoding \(expected) columns from a row of \(columnCount)")
        }
    }

    /// The row as a `Decodable` record, its properties read from the columns of the same name.
    /// Properties of a non-PostgreSQL Codable type are read from json or jsonb columns.
    public func decodeRecord<Record: Decodable>(_ record: Record.Type, keys: PostgresColumnKeys = .useDefaultKeys) throws(PostgresError) -> Record {
        do {
            return try Record(from: PostgresRowDecoder(row: self, keys: keys))
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(.decodingFailed, message: "\(Record.self): \(error)")
        }
    }
}
