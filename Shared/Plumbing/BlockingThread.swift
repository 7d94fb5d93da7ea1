import DequeModule
import Dispatch
import Foundation
import Synchronization

/// A thread of its own for a C library's blocking calls (libpq waiting for the server, librdkafka's
/// polls, flushes and synchronous commits), so that none of them ever holds a thread of Swift's
/// cooperative pool. Jobs run one at a time, in the order they came; a poll loop is one long job.
public final class BlockingThread: Sendable {
    private struct State {
        var jobs: Deque<@Sendable () -> Void> = []
        var stopping = false
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    /// Starts the thread; it keeps this object alive until ``stop()``.
    public init(name: String) {
        let thread = Thread { [self] in serveJobs() }
        thread.name = name
        thread.start()
    }

    private func serveJobs() {
        while true {
            let job: (@Sendable () -> Void)? = state.withLock { $0.jobs.popFirst() }
            if let job {
                job()
            } else if state.withLock({ $0.stopping && $0.jobs.isEmpty }) {
                return
            } else {
                wakeUp.wait()
            }
        }
    }

    /// Runs `body` on this thread after the jobs submitted before it, and returns its result to
    /// the awaiting task; once the thread is stopping, fails with `stopped` instead.
    public func run<Result: Sendable, Failure: Error>(
        _ body: @escaping @Sendable () throws(Failure) -> Result,
        orFailWith stopped: @autoclosure () -> Failure
    ) async throws(Failure) -> Result {
        let outcome: Swift.Result<Result, Failure>? = await withCheckedContinuation { continuation in
            let accepted = submit {
                continuation.resume(returning: Swift.Result { () throws(Failure) -> Result in try body() })
            }
            if !accepted { continuation.resume(returning: nil) }
        }
        guard let outcome else { throw stopped() }
        return try outcome.get()
    }

    /// Queues `job` after the jobs submitted before it; false (and `job` never runs) once the thread is stopping.
    @discardableResult
    public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = state.withLock { state in
            guard !state.stopping else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { wakeUp.signal() }
        return accepted
    }

    /// Lets the thread finish the jobs it has and end; later jobs are refused.
    public func stop() {
        state.withLock { $0.stopping = true }
        wakeUp.signal()
    }
}
