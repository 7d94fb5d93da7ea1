import CLibPQ

/// A `PGresult`, freed when the last reference goes. libpq never changes a result after creating
/// it, so reading it from any thread is safe (libpq's own documentation says so).
final class LibpqResult: @unchecked Sendable {
    private let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        PQclear(pointer)
    }

    var rowCount: Int { Int(PQntuples(pointer)) }
    var columnCount: Int { Int(PQnfields(pointer)) }

    func columnName(_ column: Int) -> String {
        String(cString: PQfname(pointer, Int32(column)))
    }

    /// Rows inserted, updated or deleted, or returned by SELECT (from the command tag).
    var affectedRowCount: Int {
        Int(String(cString: PQcmdTuples(pointer))) ?? 0
    }

    /// The cell at `row`, `column`; its bytes live as long as this result.
    func cell(row: Int, column: Int) -> PostgresCell {
        let type = PostgresDataType(oid: PQftype(pointer, Int32(column)))
        var bytes: UnsafeRawBufferPointer?
        if PQgetisnull(pointer, Int32(row), Int32(column)) == 0 {
            bytes = UnsafeRawBufferPointer(
                start: PQgetvalue(pointer, Int32(row), Int32(column)),
                count: Int(PQgetlength(pointer, Int32(row), Int32(column)))
            )
        }
        return PostgresCell(dataType: type, bytes: bytes, result: self, column: column)
    }
}
