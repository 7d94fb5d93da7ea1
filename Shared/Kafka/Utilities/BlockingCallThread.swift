import DequeModule
import Dispatch
import Foundation
import Synchronization

/// A thread of its own for librdkafka's blocking calls (polls, flushes, synchronous commits, admin
/// requests), so none of them ever occupies a thread of Swift's cooperative pool. Jobs run one at a
/// time, in order; a poll loop is one long job.
final class BlockingCallThread: Sendable {
    private struct State {
        var jobs: Deque<@Sendable () -> Void> = []
        var stopping = false
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    /// Starts the thread; it keeps this object alive until ``stop()``.
    init(name: String) {
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

    /// Runs `body` on this thread and returns its result; fails with ``KafkaError/Code-swift.struct/shutDown``
    /// once the thread is stopping.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws(KafkaError) -> T) async throws(KafkaError) -> T {
        let result: Result<T, KafkaError> = await withCheckedContinuation { continuation in
            let accepted = enqueue {
                continuation.resume(returning: Result { () throws(KafkaError) -> T in try body() })
            }
            if !accepted {
                continuation.resume(returning: .failure(KafkaError(.shutDown, "the client has shut down")))
            }
        }
        return try result.get()
    }

    private func enqueue(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = state.withLock { state in
            guard !state.stopping else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { wakeUp.signal() }
        return accepted
    }

    /// Lets the thread finish the jobs it has and end; later jobs are refused.
    func stop() {
        state.withLock { $0.stopping = true }
        wakeUp.signal()
    }
}
