/// A statement and its parameters. Written as a string literal, every interpolated value becomes a
/// bound parameter (`$1`, `$2` …) and never part of the SQL text:
///
///     try await client.query("SELECT name FROM cases WHERE number = \(number) AND region = \(region)")
///
/// The escape hatches say what they do: `\(identifier: schema)` quotes a name for the SQL text
/// (schemas, roles, tables, which cannot be parameters), and `\(unescaped: sql)` splices text as is.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    public var sql: String
    public var bindings: PostgresBindings

    /// A statement from text that is trusted to be SQL. Values belong in `bindings`, never in `sql`.
    public init(unsafeSQL sql: String, bindings: PostgresBindings = PostgresBindings()) {
        self.sql = sql
        self.bindings = bindings
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, bindings: stringInterpolation.bindings)
    }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var sql = ""
        var bindings = PostgresBindings()

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + 3 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            bindings.append(value)
            sql += "$\(bindings.count)"
        }

        /// nil binds SQL NULL, typed as `Value`'s PostgreSQL type.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            if let value { bindings.append(value) } else { bindings.appendNull(Value.self) }
            sql += "$\(bindings.count)"
        }

        /// A schema, table, column or role name, double-quoted as PostgreSQL requires.
        public mutating func appendInterpolation(identifier: String) {
            sql += PostgresQuery.quoteIdentifier(identifier)
        }

        /// SQL text spliced as is. Never pass a value through this.
        public mutating func appendInterpolation(unescaped sql: String) {
            self.sql += sql
        }
    }

    /// `name` as a quoted identifier: `"intake"`, `"odd""name"`.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + String(name.flatMap { $0 == "\"" ? "\"\"" : String($0) }) + "\""
    }
}

extension PostgresQuery: CustomStringConvertible {
    /// The SQL and the number of parameters; the values are left out, they may be personal data.
    public var description: String {
        "\(sql) [\(bindings.count) parameter\(bindings.count == 1 ? "" : "s")]"
    }
}

/// The parameter values of a query, encoded once, laid out for `PQexecParams`.
public struct PostgresBindings: Sendable {
    var types: [UInt32] = []
    var formats: [Int32] = []
    /// Each value's length in `bytes`, or -1 for NULL.
    var lengths: [Int32] = []
    var offsets: [Int] = []
    var bytes: [UInt8] = []

    public init() {}

    public var count: Int { types.count }

    public mutating func append<Value: PostgresEncodable>(_ value: Value) {
        let start = bytes.count
        value.encode(into: &bytes)
        let length = Int32(bytes.count - start)
        // libpq reads text-format values as C strings, whatever the length says.
        if Value.postgresFormat == .text { bytes.append(0) }
        appendSlot(Value.self, offset: start, length: length)
    }

    public mutating func appendNull<Value: PostgresEncodable>(_ type: Value.Type) {
        appendSlot(Value.self, offset: bytes.count, length: -1)
    }

    private mutating func appendSlot<Value: PostgresEncodable>(_ type: Value.Type, offset: Int, length: Int32) {
        types.append(Value.postgresDataType.oid)
        formats.append(Value.postgresFormat.rawValue)
        offsets.append(offset)
        lengths.append(length)
    }
}
