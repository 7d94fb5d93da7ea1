import Plumbing

/// Every error the Postgres library throws.
///
/// `description` (what `"\(error)"` and most log lines print) names only the kind of error and
/// its SQLSTATE: server messages and details can quote the data of a row (`Key (id)=(42) already
/// exists`), so they are kept in the typed fields and in `debugDescription`
/// (`String(reflecting: error)`), for a person debugging, never for routine logs.
public struct PostgresError: Error, Sendable {
    /// What went wrong, by SQLSTATE for the server's errors, and on the client's side otherwise.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        public var description: String { name }

        // Class 23: integrity constraint violations.
        public static let uniqueViolation = Code("uniqueViolation")
        public static let foreignKeyViolation = Code("foreignKeyViolation")
        public static let checkViolation = Code("checkViolation")
        public static let notNullViolation = Code("notNullViolation")
        public static let exclusionViolation = Code("exclusionViolation")
        /// Any other class 23 error.
        public static let integrityConstraintViolation = Code("integrityConstraintViolation")
        // Class 40: the transaction was rolled back and may succeed if run again.
        public static let serializationFailure = Code("serializationFailure")
        public static let deadlockDetected = Code("deadlockDetected")
        // Class 42 and 3F: the statement names something it may not use or that does not exist.
        public static let insufficientPrivilege = Code("insufficientPrivilege")
        public static let undefinedTable = Code("undefinedTable")
        public static let undefinedColumn = Code("undefinedColumn")
        public static let undefinedSchema = Code("undefinedSchema")
        public static let syntaxError = Code("syntaxError")
        /// Class 22: a value the statement cannot use (bad format, out of range, division by zero).
        public static let dataException = Code("dataException")
        /// 25P02: a statement failed earlier in the transaction, which can now only roll back.
        public static let inFailedTransaction = Code("inFailedTransaction")
        /// 57014: a statement timeout or a cancel request ended the statement.
        public static let queryCanceled = Code("queryCanceled")
        /// Any other error the server reported; `sqlState` tells which.
        public static let server = Code("server")

        /// A connection could not be opened (server down, wrong password, no such database).
        public static let connectionFailed = Code("connectionFailed")
        /// The connection broke while in use (server restarted, network failure). The statement may
        /// or may not have run on the server, so it is never retried automatically.
        public static let connectionLost = Code("connectionLost")
        /// Every connection of the pool stayed busy for the whole acquire timeout.
        public static let poolTimeout = Code("poolTimeout")
        /// The task was cancelled while it waited for a connection.
        public static let cancelled = Code("cancelled")
        /// The client was closed.
        public static let poolClosed = Code("poolClosed")
        /// A column could not be decoded into the requested Swift type.
        public static let decodingFailed = Code("decodingFailed")
        /// A value could not be encoded as a parameter, or a query or URL is malformed.
        public static let invalidArgument = Code("invalidArgument")

        /// The code for a server SQLSTATE: exact codes first, then the class.
        init(sqlState: String) {
            switch sqlState {
            case "23505": self = .uniqueViolation
            case "23503": self = .foreignKeyViolation
            case "23514": self = .checkViolation
            case "23502": self = .notNullViolation
            case "23P01": self = .exclusionViolation
            case "40001": self = .serializationFailure
            case "40P01": self = .deadlockDetected
            case "42501": self = .insufficientPrivilege
            case "42P01": self = .undefinedTable
            case "42703": self = .undefinedColumn
            case "3F000": self = .undefinedSchema
            case "42601": self = .syntaxError
            case "57014": self = .queryCanceled
            case "25P02": self = .inFailedTransaction
            // The server is shutting down or restarting: it ends the session.
            case "57P01", "57P02", "57P03": self = .connectionLost
            default:
                switch sqlState.prefix(2) {
                case "23": self = .integrityConstraintViolation
                case "22": self = .dataException
                case "08": self = .connectionLost
                default: self = .server
                }
            }
        }
    }

    public var code: Code
    /// The server's five-character SQLSTATE, when the server reported the error.
    public var sqlState: String?
    /// The server's primary message, or the client's own explanation. May quote data.
    public var message: String?
    /// The server's detail line. Often quotes data: never log it routinely.
    public var detail: String?
    public var hint: String?
    public var schemaName: String?
    public var tableName: String?
    public var columnName: String?
    public var constraintName: String?
    /// The statement's SQL text (values are bound separately, so it holds none).
    public var query: String?
    public var file: String
    public var line: Int

    init(
        _ code: Code,
        message: String? = nil,
        sqlState: String? = nil,
        query: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.query = query
        self.file = file
        self.line = line
    }

    /// A collision with another transaction (40001, 40P01): the server rolled this one back, and
    /// running it again at once may succeed.
    public var isConflict: Bool {
        code == .serializationFailure || code == .deadlockDetected
    }

    /// A failure that goes away by itself — a conflict, the server away or restarting, every pooled
    /// connection busy, a statement cancelled — so the same work succeeds later; any other error
    /// will fail again the same way.
    public var isTransient: Bool {
        isConflict || [.connectionFailed, .connectionLost, .poolTimeout, .queryCanceled].contains(code)
    }
}

extension PostgresError: CustomStringConvertible {
    public var description: String {
        let state = sqlState.map { " (SQLSTATE \($0))" } ?? ""
        return "PostgresError.\(code)\(state); details in String(reflecting:)"
    }
}

extension PostgresError: CustomDebugStringConvertible {
    public var debugDescription: String {
        var parts = ["code: \(code)"]
        let fields: [(String, String?)] = [
            ("sqlState", sqlState), ("message", message), ("detail", detail), ("hint", hint),
            ("schema", schemaName), ("table", tableName), ("column", columnName),
            ("constraint", constraintName), ("query", query),
        ]
        for case let (name, value?) in fields {
            parts.append("\(name): \(String(reflecting: value))")
        }
        parts.append("at: \(file):\(line)")
        return "PostgresError(\(parts.joined(separator: ", ")))"
    }
}

extension BlockingThread {
    /// Runs a libpq call on the connection's thread; once the connection is closing, fails with ``PostgresError/Code-swift.struct/connectionLost``.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws(PostgresError) -> Result) async throws(PostgresError) -> Result {
        try await run(body, orFailWith: PostgresError(.connectionLost, message: "the connection is closing"))
    }
}
