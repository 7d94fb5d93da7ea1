/// What a task gets from the pool: a connection that was idle, or the right to open a new one
/// (a slot freed under the limit).
enum PoolLease: Sendable {
    case connection(LibpqConnection)
    case newConnection
}

typealias LeaseContinuation = CheckedContinuation<Result<PoolLease, PostgresError>, Never>

/// The pool's bookkeeping, kept behind the client's lock. Its methods only change state and
/// return what the caller must do (resume a waiter, close connections) after the lock is released.
struct ConnectionPoolState {
    let maximumConnections: Int
    private var idle: [LibpqConnection] = []
    /// Idle, leased and being opened.
    private(set) var openCount = 0
    private var isClosed = false
    private var waiters: [Int: Waiter] = [:]
    /// Unresolved waiters, first come first served.
    private var waitOrder: [Int] = []
    private var lastWaiterID = 0

    /// A waiter is registered before its task suspends; a lease or a timeout can arrive in between.
    private enum Waiter {
        case registered
        case waiting(LeaseContinuation)
        case resolved(Result<PoolLease, PostgresError>)
    }

    enum TakeAction {
        case lease(PoolLease)
        case wait(id: Int)
        case fail(PostgresError)
    }

    /// A resumption to perform outside the lock.
    struct Resumption {
        let continuation: LeaseContinuation
        let result: Result<PoolLease, PostgresError>

        func perform() {
            continuation.resume(returning: result)
        }
    }

    init(maximumConnections: Int) {
        self.maximumConnections = maximumConnections
    }

    mutating func take() -> TakeAction {
        if isClosed { return .fail(PostgresError(.poolClosed)) }
        // The most recently used connection first: it is the warmest, and the others may time out.
        if let connection = idle.popLast() { return .lease(.connection(connection)) }
        if openCount < maximumConnections {
            openCount += 1
            return .lease(.newConnection)
        }
        lastWaiterID += 1
        waiters[lastWaiterID] = .registered
        waitOrder.append(lastWaiterID)
        return .wait(id: lastWaiterID)
    }

    /// The waiter's task is about to suspend; returns its result at once if it has one already.
    mutating func park(_ id: Int, _ continuation: LeaseContinuation) -> Result<PoolLease, PostgresError>? {
        if case .resolved(let result) = waiters[id] {
            waiters[id] = nil
            return result
        }
        waiters[id] = .waiting(continuation)
        return nil
    }

    /// A waiter gave up (timeout or cancellation); nothing happens if it was served already.
    mutating func abandon(_ id: Int, with error: PostgresError) -> Resumption? {
        guard let index = waitOrder.firstIndex(of: id) else { return nil }
        waitOrder.remove(at: index)
        return resolve(id, .failure(error))
    }

    /// A leased connection came back healthy.
    mutating func release(_ connection: LibpqConnection) -> (Resumption?, closing: LibpqConnection?) {
        if isClosed {
            openCount -= 1
            return (nil, connection)
        }
        if let first = waitOrder.first {
            waitOrder.removeFirst()
            return (resolve(first, .success(.connection(connection))), nil)
        }
        idle.append(connection)
        return (nil, nil)
    }

    /// A leased connection was dropped (broken, or left inside a transaction), or one could not be
    /// opened: its slot goes to the first waiter, who opens a new one.
    mutating func discard() -> Resumption? {
        openCount -= 1
        guard !isClosed, let first = waitOrder.first else { return nil }
        waitOrder.removeFirst()
        openCount += 1
        return resolve(first, .success(.newConnection))
    }

    /// Refuses new leases, fails every waiter, and hands back the idle connections to close.
    mutating func close() -> (resumptions: [Resumption], idle: [LibpqConnection]) {
        isClosed = true
        let error = PostgresError(.poolClosed)
        let resumptions = waitOrder.compactMap { resolve($0, .failure(error)) }
        waitOrder.removeAll()
        let closing = idle
        openCount -= idle.count
        idle.removeAll()
        return (resumptions, closing)
    }

    private mutating func resolve(_ id: Int, _ result: Result<PoolLease, PostgresError>) -> Resumption? {
        if case .waiting(let continuation) = waiters[id] {
            waiters[id] = nil
            return Resumption(continuation: continuation, result: result)
        }
        waiters[id] = .resolved(result)
        return nil
    }
}
