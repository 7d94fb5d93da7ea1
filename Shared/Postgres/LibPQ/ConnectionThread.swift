import Dispatch
import Foundation
import Synchronization

/// One OS thread that runs a connection's blocking libpq calls, one job at a time, in order.
/// libpq blocks in the kernel while the server works; doing that on Swift's cooperative pool would
/// starve every other task, so each connection gets a thread of its own and tasks await its jobs.
final class ConnectionThread: Sendable {
    private enum Job {
        case run(@Sendable () -> Void)
        case stop
    }

    private let jobs = Mutex<[Job]>([])
    private let jobAvailable = DispatchSemaphore(value: 0)

    init(name: String) {
        // The thread holds this object until `stop()`; the connection that owns it stops it in deinit.
        let thread = Thread { [self] in runJobs() }
        thread.name = name
        thread.start()
    }

    private func runJobs() {
        while true {
            jobAvailable.wait()
            switch jobs.withLock({ $0.removeFirst() }) {
            case .run(let body): body()
            case .stop: return
            }
        }
    }

    /// Runs `body` on this thread, after the jobs submitted before it.
    func submit(_ body: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(.run(body)) }
        jobAvailable.signal()
    }

    /// Runs `body` on this thread and returns its result to the awaiting task.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws(PostgresError) -> Result) async throws(PostgresError) -> Result {
        let outcome: Swift.Result<Result, PostgresError> = await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: Swift.Result { () throws(PostgresError) in try body() }) }
        }
        return try outcome.get()
    }

    /// Ends the thread once the jobs already submitted have run.
    func stop() {
        jobs.withLock { $0.append(.stop) }
        jobAvailable.signal()
    }
}
