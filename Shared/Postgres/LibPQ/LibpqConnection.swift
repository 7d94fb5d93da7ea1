import CLibPQ
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Plumbing

/// A `PGconn` and the thread that drives it. The PGconn is touched only on that thread (libpq
/// connections are not thread-safe); tasks await the thread's jobs. What the pool needs to know
/// between jobs (broken? in a transaction?) is copied into atomics at the end of each job.
final class LibpqConnection: Sendable {
    let id: Int
    private let handle: Handle
    private let thread: BlockingThread
    /// The connection's socket, for the idle check, which must not touch the PGconn.
    private let socket: Int32
    private let broken = Atomic<Bool>(false)
    private let transactionStatus = Atomic<UInt32>(PQTRANS_IDLE.rawValue)

    /// A PGconn pointer, carried to and from the connection's thread.
    private struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private init(id: Int, handle: Handle, thread: BlockingThread, socket: Int32) {
        self.id = id
        self.handle = handle
        self.thread = thread
        self.socket = socket
    }

    deinit {
        let handle = handle
        thread.submit { PQfinish(handle.pointer) }
        thread.stop()
    }

    /// Opens a connection with libpq's keyword/value parameters; `dbname` may be a URI or a
    /// conninfo string, and wins over the keywords before it.
    static func connect(id: Int, parameters: [(keyword: String, value: String)]) async throws(PostgresError) -> LibpqConnection {
        let thread = BlockingThread(name: "postgres-\(id)")
        let opened: (Handle, Int32)
        do {
            opened = try await thread.run { () throws(PostgresError) -> (Handle, Int32) in
                let keywords = parameters.map { strdup($0.keyword) } + [nil]
                let values = parameters.map { strdup($0.value) } + [nil]
                defer {
                    keywords.forEach { free($0) }
                    values.forEach { free($0) }
                }
                let pointer = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordPointers in
                    values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                        PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, 1)
                    }
                }
                guard let pointer else { throw PostgresError(.connectionFailed, message: "libpq could not allocate a connection") }
                guard PQstatus(pointer) == CONNECTION_OK else {
                    let message = String(cString: PQerrorMessage(pointer))
                    PQfinish(pointer)
                    throw PostgresError(.connectionFailed, message: message)
                }
                // libpq prints NOTICEs ("relation already exists, skipping") to stderr by default,
                // which would break the services' JSON log lines.
                PQsetNoticeProcessor(pointer, { _, _ in }, nil)
                return (Handle(pointer: pointer), PQsocket(pointer))
            }
        } catch {
            thread.stop()
            throw error
        }
        return LibpqConnection(id: id, handle: opened.0, thread: thread, socket: opened.1)
    }

    /// The connection broke (server gone, network error); it must not be used again.
    var isBroken: Bool { broken.load(ordering: .acquiring) }

    /// Outside any transaction: safe to hand to the next user.
    var isIdle: Bool { transactionStatus.load(ordering: .acquiring) == PQTRANS_IDLE.rawValue }

    /// Inside a transaction that an error aborted: only ROLLBACK will work.
    var isInFailedTransaction: Bool { transactionStatus.load(ordering: .acquiring) == PQTRANS_INERROR.rawValue }

    /// True when the server has sent something, or closed the socket, while nobody was using the
    /// connection. An idle session receives nothing in normal operation, so this means the server
    /// ended it (a restart sends FATAL 57P01 and closes). Checked before a pooled connection is
    /// handed out, so that no statement is ever sent on a connection already known to be dead.
    /// poll with a zero timeout never blocks.
    var hasHeardFromServerWhileIdle: Bool {
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) != 0
    }

    /// Runs one statement with bound parameters (extended protocol); results in binary format.
    func execute(_ query: PostgresQuery) async throws(PostgresError) -> PostgresRows {
        guard !query.sql.utf8.contains(0) else {
            throw PostgresError(.invalidArgument, message: "the SQL text contains a NUL character", query: query.sql)
        }
        return try await thread.run { [self] () throws(PostgresError) in
            let bindings = query.bindings
            let result = bindings.bytes.withUnsafeBytes { bytes in
                // Any non-nil pointer will do for zero-length values; libpq reads none of it.
                let base = bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
                let values: [UnsafePointer<CChar>?] = (0..<bindings.count).map { index in
                    bindings.lengths[index] < 0 ? nil : (base + bindings.offsets[index]).assumingMemoryBound(to: CChar.self)
                }
                return PQexecParams(
                    handle.pointer, query.sql, Int32(bindings.count), bindings.types, values,
                    bindings.lengths, bindings.formats, PostgresFormat.binary.rawValue
                )
            }
            return try rows(from: result, query: query.sql)
        }
    }

    /// Runs SQL text that may hold several statements and no parameters (simple protocol).
    func executeScript(_ sql: String) async throws(PostgresError) {
        guard !sql.utf8.contains(0) else {
            throw PostgresError(.invalidArgument, message: "the SQL text contains a NUL character")
        }
        _ = try await thread.run { [self] () throws(PostgresError) in
            try rows(from: PQexec(handle.pointer, sql), query: sql)
        }
    }

    /// A SCRAM-SHA-256 verifier for `password`, computed here so the password never reaches the
    /// server or its logs. It holds only characters that need no escaping in a literal.
    func scramVerifier(password: String, role: String) async throws(PostgresError) -> String {
        try await thread.run { [self] () throws(PostgresError) in
            guard let verifier = PQencryptPasswordConn(handle.pointer, password, role, "scram-sha-256") else {
                throw PostgresError(.invalidArgument, message: String(cString: PQerrorMessage(handle.pointer)))
            }
            defer { PQfreemem(verifier) }
            return String(cString: verifier)
        }
    }

    /// On the connection's thread: records the connection's state for the pool, and turns a
    /// result into rows or an error.
    private func rows(from result: OpaquePointer?, query: String) throws(PostgresError) -> PostgresRows {
        let connectionOK = PQstatus(handle.pointer) == CONNECTION_OK
        broken.store(!connectionOK, ordering: .releasing)
        transactionStatus.store(PQtransactionStatus(handle.pointer).rawValue, ordering: .releasing)
        guard let result else {
            throw PostgresError(connectionOK ? .server : .connectionLost, message: String(cString: PQerrorMessage(handle.pointer)), query: query)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresRows(result: LibpqResult(result))
        default:
            let error = Self.error(from: result, query: query, connectionOK: connectionOK)
            PQclear(result)
            throw error
        }
    }

    private static func error(from result: OpaquePointer, query: String, connectionOK: Bool) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let sqlState = field("C")
        var code = sqlState.map(PostgresError.Code.init(sqlState:)) ?? .server
        if !connectionOK { code = .connectionLost }
        var error = PostgresError(code, message: field("M") ?? String(cString: PQresultErrorMessage(result)), sqlState: sqlState, query: query)
        error.detail = field("D")
        error.hint = field("H")
        error.schemaName = field("s")
        error.tableName = field("t")
        error.columnName = field("c")
        error.constraintName = field("n")
        return error
    }
}
