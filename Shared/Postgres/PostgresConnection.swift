/// A connection lent by `PostgresClient` for the length of a closure. Its statements run one after
/// another on the same server session; keep it only inside that closure.
public struct PostgresConnection: Sendable {
    let connection: LibpqConnection

    init(_ connection: LibpqConnection) {
        self.connection = connection
    }

    /// Runs one statement; interpolated values are bound parameters.
    public func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws(PostgresError) -> PostgresRows {
        do {
            return try await connection.execute(query)
        } catch {
            throw error.raised(at: file, line)
        }
    }

    /// Runs SQL text that may hold several statements, such as a migration file. It takes no
    /// parameters, so it must never be built from values.
    public func runScript(unsafeSQL sql: String, file: String = #fileID, line: Int = #line) async throws(PostgresError) {
        do {
            try await connection.executeScript(sql)
        } catch {
            throw error.raised(at: file, line)
        }
    }

    /// Runs `body` in a transaction on this connection: committed when it returns, rolled back when
    /// it throws. If `body` caught a statement's error and returned anyway, the transaction is
    /// rolled back and `.inFailedTransaction` thrown, since PostgreSQL would not commit it.
    public func withTransaction<Result>(
        isolationLevel: PostgresIsolationLevel = .readCommitted,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        guard connection.isIdle else {
            throw PostgresError(.invalidArgument, message: "a transaction is already open on this connection; transactions do not nest")
        }
        _ = try await query(PostgresQuery(unsafeSQL: isolationLevel.beginStatement))
        let result: Result
        do {
            result = try await body(self)
        } catch {
            await rollBack()
            throw error
        }
        if connection.isInFailedTransaction {
            await rollBack()
            throw PostgresError(
                .inFailedTransaction,
                message: "a statement in the transaction failed and its error was caught; the transaction was rolled back",
                sqlState: "25P02"
            )
        }
        _ = try await query("COMMIT")
        return result
    }

    /// Best effort: if the connection broke, the server has rolled back already, and the pool drops it.
    private func rollBack() async {
        if !connection.isBroken {
            _ = try? await connection.execute("ROLLBACK")
        }
    }
}

public enum PostgresIsolationLevel: Sendable {
    case readCommitted
    case repeatableRead
    case serializable

    var beginStatement: String {
        switch self {
        case .readCommitted: "BEGIN ISOLATION LEVEL READ COMMITTED"
        case .repeatableRead: "BEGIN ISOLATION LEVEL REPEATABLE READ"
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        }
    }
}

extension PostgresError {
    /// The error as seen from the caller's line rather than from inside the library.
    func raised(at file: String, _ line: Int) -> PostgresError {
        var error = self
        error.file = file
        error.line = line
        return error
    }
}
