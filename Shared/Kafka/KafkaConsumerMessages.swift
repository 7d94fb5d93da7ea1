import DequeModule
import Dispatch
import Plumbing
import Synchronization

/// The messages of one ``KafkaConsumer``, in order per partition. It ends when the consumer's
/// ``KafkaConsumer/run()`` has returned, throwing if the consumer failed; what was fetched and not
/// taken by then is dropped, for the partitions' next owner to read.
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage
    public typealias Failure = any Error

    let buffer: KafkaConsumerMessageBuffer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: KafkaConsumerMessageBuffer

        public mutating func next() async throws -> KafkaConsumerMessage? {
            try await buffer.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(buffer: buffer)
    }

    /// Waits for the next message, then takes up to `maximum` in all of those already fetched,
    /// without waiting for more: a consumer that works through them together (one commit per batch,
    /// several keys at once) keeps up with a backlog and still answers a lone message at once.
    /// Empty when the consumer has finished.
    public func nextBatch(maximum: Int) async throws -> [KafkaConsumerMessage] {
        guard let first = try await buffer.next() else { return [] }
        return [first] + buffer.takeAvailable(maximum - 1)
    }
}

/// Messages the poll thread fetched and the caller has not taken yet. Bounded: when it is full the
/// poll thread stops fetching until the caller catches up, so librdkafka's own prefetch limit
/// applies and memory stays flat. (A caller that stops iterating for good stops the polls too, and
/// librdkafka leaves the group after `max.poll.interval.ms`, as Kafka expects of a stuck member.)
final class KafkaConsumerMessageBuffer: Sendable {
    private typealias Waiter = CheckedContinuation<KafkaConsumerMessage?, any Error>

    private struct State {
        var messages: Deque<KafkaConsumerMessage> = []
        var waiters: [(id: UInt64, continuation: Waiter)] = []
        var lastWaiterID: UInt64 = 0
        var finished = false
        var failure: KafkaError?
        var pollThreadWaitsForRoom = false
    }

    let capacity: Int
    private let state = Mutex(State())
    private let room = DispatchSemaphore(value: 0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    // MARK: The poll thread's side

    /// Adds a batch; a waiting caller gets its first message at once.
    func append(_ batch: [KafkaConsumerMessage]) {
        guard !batch.isEmpty else { return }
        let handOver: [(Waiter, KafkaConsumerMessage)] = state.withLock { state in
            state.messages.append(contentsOf: batch)
            var handOver: [(Waiter, KafkaConsumerMessage)] = []
            while !state.waiters.isEmpty, let message = state.messages.popFirst() {
                handOver.append((state.waiters.removeFirst().continuation, message))
            }
            return handOver
        }
        for (waiter, message) in handOver { waiter.resume(returning: message) }
    }

    /// Waits until the buffer has room or `timeout` passed; true if it has room.
    func waitForRoom(timeout: Duration) -> Bool {
        let full = state.withLock { state in
            state.pollThreadWaitsForRoom = state.messages.count >= capacity
            return state.pollThreadWaitsForRoom
        }
        guard full else { return true }
        _ = room.wait(timeout: .now() + .milliseconds(Int(timeout.wholeMilliseconds)))
        return state.withLock { $0.messages.count < capacity }
    }

    /// Drops the messages of partitions this consumer no longer owns: their new owner reads them.
    func removeMessages(of partitions: Set<KafkaTopicPartition>) {
        state.withLock { state in
            state.messages.removeAll { partitions.contains($0.topicPartition) }
        }
    }

    /// Ends the sequence; with a failure, the iterator throws it. The messages not taken yet are
    /// dropped: the consumer can no longer commit them, so their partitions' next owner reads them.
    func finish(failure: KafkaError? = nil) {
        let waiters = state.withLock { state in
            state.messages.removeAll()
            state.finished = true
            state.failure = failure
            defer { state.waiters = [] }
            return state.waiters.map(\.continuation)
        }
        for waiter in waiters {
            if let failure { waiter.resume(throwing: failure) } else { waiter.resume(returning: nil) }
        }
    }

    // MARK: The caller's side

    private enum Take {
        case message(KafkaConsumerMessage)
        case end(KafkaError?)
        case wait
    }

    private func take(_ state: inout State) -> Take {
        if let message = state.messages.popFirst() {
            if state.pollThreadWaitsForRoom && state.messages.count <= capacity / 2 {
                state.pollThreadWaitsForRoom = false
                room.signal()
            }
            return .message(message)
        }
        if state.finished { return .end(state.failure) }
        return .wait
    }

    /// Up to `maximum` messages that are here now; never waits.
    func takeAvailable(_ maximum: Int) -> [KafkaConsumerMessage] {
        guard maximum > 0 else { return [] }
        return state.withLock { state in
            var taken: [KafkaConsumerMessage] = []
            while taken.count < maximum, case .message(let message) = take(&state) {
                taken.append(message)
            }
            return taken
        }
    }

    func next() async throws -> KafkaConsumerMessage? {
        switch state.withLock({ take(&$0) }) {
        case .message(let message): return message
        case .end(let failure):
            if let failure { throw failure }
            return nil
        case .wait: break
        }
        let id = state.withLock { state in
            state.lastWaiterID += 1
            return state.lastWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let taken = state.withLock { state in
                    let taken = take(&state)
                    if case .wait = taken {
                        if Task.isCancelled { return Take.end(nil) }
                        state.waiters.append((id, continuation))
                    }
                    return taken
                }
                switch taken {
                case .message(let message): continuation.resume(returning: message)
                case .end(let failure):
                    if let failure { continuation.resume(throwing: failure) } else { continuation.resume(returning: nil) }
                case .wait: break
                }
            }
        } onCancel: {
            // A cancelled caller stops iterating; the messages stay for the next one.
            let waiter = state.withLock { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0).continuation }
            }
            waiter?.resume(returning: nil)
        }
    }
}
