import Foundation
public import Logging
public import Metrics
import Plumbing
public import ServiceLifecycle
import Synchronization

/// Sends messages, idempotently by default: librdkafka retries without duplicating or reordering.
///
/// `send` queues a message and returns its id at once; its delivery report arrives in
/// ``KafkaProducerEvents`` (from ``makeProducerWithEvents(configuration:logger:metricsFactory:)``).
/// `sendAndAwait` returns when the broker acknowledged the message, or throws why it was not
/// delivered — at the latest after ``KafkaConfiguration/messageTimeout``.
///
/// Delivery reports come only while ``run()`` runs (in a `ServiceGroup`, or a task of its own).
/// A graceful shutdown stops taking messages, waits up to ``KafkaConfiguration/shutdownFlushTimeout``
/// for the outstanding ones, and fails those still undelivered.
///
/// A fatal error (an idempotent producer the broker no longer knows, after it lost its log) leaves
/// the client unable to send anything again: ``run()`` then fails every outstanding message and
/// throws it, so the service stops and its supervisor starts a fresh one, rather than retrying forever.
public final class KafkaProducer: Service, Sendable {
    private enum Phase {
        case idle, running
        /// Shutdown requested: `flush` says whether outstanding messages get their flush timeout.
        case stopping(flush: Bool)
        case finished
    }

    private struct State {
        var phase = Phase.idle
        var runCalled = false
        var awaiting: [KafkaProducerMessageID: DeliveryWaiter] = [:]
        /// librdkafka's fatal error, which ends ``run()``.
        var fatalError: KafkaError?
    }

    private let client: RDKafkaClient
    private let deliveryReports: RDKafkaDeliveryReports
    private let pollThread: BlockingThread
    private let events: AsyncStream<KafkaProducerEvent>.Continuation?
    private let configuration: KafkaConfiguration
    private let logger: Logger
    private let state = Mutex(State())
    private let acceptsMessages = Atomic(true)
    private let lastID = Atomic<UInt64>(0)

    /// A producer whose delivery reports only `sendAndAwait` callers see.
    public convenience init(
        configuration: KafkaConfiguration,
        logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil
    ) throws(KafkaError) {
        try self.init(configuration: configuration, logger: logger, metricsFactory: metricsFactory, events: nil)
    }

    /// A producer and the sequence of its events (delivery reports of every message, client errors).
    public static func makeProducerWithEvents(
        configuration: KafkaConfiguration,
        logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil
    ) throws(KafkaError) -> (KafkaProducer, KafkaProducerEvents) {
        let (stream, continuation) = AsyncStream<KafkaProducerEvent>.makeStream(bufferingPolicy: .unbounded)
        let producer = try KafkaProducer(configuration: configuration, logger: logger, metricsFactory: metricsFactory, events: continuation)
        return (producer, KafkaProducerEvents(stream: stream))
    }

    private init(
        configuration: KafkaConfiguration,
        logger: Logger,
        metricsFactory: (any MetricsFactory)?,
        events: AsyncStream<KafkaProducerEvent>.Continuation?
    ) throws(KafkaError) {
        let settings = try configuration.librdkafkaSettings(for: .producer)
        let deliveryReports = RDKafkaDeliveryReports()
        let statistics = RDKafkaStatisticsRecorder(configuration, role: .producer, factory: metricsFactory)
        let context = RDKafkaCallbackContext(logger: logger, statistics: statistics, deliveryReports: deliveryReports)
        client = try RDKafkaClient.make(role: .producer, settings: settings, context: context)
        self.deliveryReports = deliveryReports
        self.events = events
        self.configuration = configuration
        self.logger = logger
        pollThread = BlockingThread(name: "kafka-producer-poll")
    }

    deinit {
        events?.finish()
        pollThread.stop()
    }

    /// Queues a message and returns at once; its delivery report carries the returned id.
    ///
    /// Throws ``KafkaError/Code-swift.struct/queueFull`` when librdkafka's queue is full (wait a
    /// moment and send again), and ``KafkaError/Code-swift.struct/shutDown`` after shutdown began.
    @discardableResult
    public func send(_ message: KafkaProducerMessage) throws(KafkaError) -> KafkaProducerMessageID {
        guard acceptsMessages.load(ordering: .relaxed) else {
            throw KafkaError(.shutDown, "the producer is shutting down")
        }
        let id = nextID()
        try client.produce(message, opaque: RDKafkaDeliveryReports.opaque(for: id, awaited: false))
        return id
    }

    /// Sends a message and returns when the broker acknowledged it; throws why it was not delivered
    /// (``KafkaError/Code-swift.struct/messageTimedOut`` when the broker stayed away past the
    /// message timeout). Waits even if the calling task is cancelled: the message is on its way.
    @discardableResult
    public func sendAndAwait(_ message: KafkaProducerMessage) async throws(KafkaError) -> KafkaDeliveryReport {
        let id = nextID()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>) in
            let registered = state.withLock { state in
                if case .finished = state.phase { return false }
                state.awaiting[id] = .single(continuation)
                return true
            }
            guard registered, acceptsMessages.load(ordering: .relaxed) else {
                if registered { state.withLock { _ = $0.awaiting.removeValue(forKey: id) } }
                continuation.resume(returning: .failure(KafkaError(.shutDown, "the producer is shutting down")))
                return
            }
            do throws(KafkaError) {
                try client.produce(message, opaque: RDKafkaDeliveryReports.opaque(for: id, awaited: true))
            } catch {
                state.withLock { $0.awaiting.removeValue(forKey: id) }?.resume(with: .failure(error))
            }
        }
        return try result.get()
    }

    /// Sends `messages` in the order given — so messages with one key reach their partition in that
    /// order — and returns every message's verdict, in the same order, once the broker answered for all.
    public func sendAndAwait(_ messages: [KafkaProducerMessage]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        guard !messages.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let batch = DeliveryBatch(count: messages.count, continuation: continuation)
            for (index, message) in messages.enumerated() {
                let id = nextID()
                let registered = state.withLock { state in
                    if case .finished = state.phase { return false }
                    state.awaiting[id] = .batch(batch, index)
                    return true
                }
                guard registered, acceptsMessages.load(ordering: .relaxed) else {
                    if registered { state.withLock { _ = $0.awaiting.removeValue(forKey: id) } }
                    batch.deliver(.failure(KafkaError(.shutDown, "the producer is shutting down")), at: index)
                    continue
                }
                do throws(KafkaError) {
                    try client.produce(message, opaque: RDKafkaDeliveryReports.opaque(for: id, awaited: true))
                } catch {
                    state.withLock { $0.awaiting.removeValue(forKey: id) }?.resume(with: .failure(error))
                }
            }
        }
    }

    /// Polls for delivery reports until shutdown, then flushes; throws librdkafka's fatal error if
    /// one came (see above). Runs its loop on a thread of its own.
    public func run() async throws {
        // A shutdown requested before run() started still gets its flush, right away.
        let starts = state.withLock { state in
            guard !state.runCalled else { return false }
            state.runCalled = true
            if case .idle = state.phase { state.phase = .running }
            return true
        }
        guard starts else { throw KafkaError(.shutDown, "run() was already called") }
        defer { pollThread.stop() }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await pollThread.run { [self] () throws(KafkaError) in try pollLoop() }
            } onCancel: {
                stop(flush: false)
            }
        } onGracefulShutdown: {
            self.triggerGracefulShutdown()
        }
    }

    /// Stops taking messages and lets ``run()`` deliver what is outstanding and return.
    public func triggerGracefulShutdown() {
        stop(flush: true)
    }

    private func stop(flush: Bool) {
        acceptsMessages.store(false, ordering: .relaxed)
        state.withLock { state in
            switch state.phase {
            case .idle, .running: state.phase = .stopping(flush: flush)
            case .stopping(let flushing): state.phase = .stopping(flush: flushing && flush)
            case .finished: break
            }
        }
        client.interruptPoll()
    }

    private func nextID() -> KafkaProducerMessageID {
        KafkaProducerMessageID(rawValue: lastID.add(1, ordering: .relaxed).newValue)
    }

    // MARK: - The poll thread

    private static let pollTimeoutMilliseconds: Int32 = 100

    private func pollLoop() throws(KafkaError) {
        while true {
            let (flush, fatalError): (Bool?, KafkaError?) = state.withLock { state in
                if case .stopping(let flush) = state.phase { return (flush, state.fatalError) }
                return (nil, nil)
            }
            if let flush {
                finish(flush: flush)
                if let fatalError { throw fatalError }
                return
            }
            client.poll(timeoutMilliseconds: Self.pollTimeoutMilliseconds)
            if dispatchEvents() >= Self.busyBatch {
                // Under load, let the next reports gather for a moment: fewer, larger batches cost
                // less per message, and a millisecond is nothing against the broker's round trip.
                usleep(1000)
            }
        }
    }

    /// A batch this large means the producer is busy.
    private static let busyBatch = 1000

    private func finish(flush: Bool) {
        let timeout = flush ? configuration.shutdownFlushTimeout.timeoutMilliseconds : 0
        if !client.flush(timeoutMilliseconds: timeout) {
            logger.info(
                "Kafka producer stopped with undelivered messages; they are reported as failed",
                metadata: [KafkaLogKeys.client: "\(client.name)", KafkaLogKeys.outstanding: "\(client.outstandingCount)"]
            )
            client.purgeOutstandingMessages()
        }
        dispatchEvents()
        let abandoned = state.withLock { state in
            state.phase = .finished
            defer { state.awaiting = [:] }
            return state.awaiting.values
        }
        for waiter in abandoned {
            waiter.resume(with: .failure(KafkaError(.shutDown, "the producer shut down before the message's delivery report")))
        }
        events?.finish()
    }

    /// Hands the delivery reports of one poll to their awaiting callers and to the events, as one batch.
    /// Returns how many delivery reports it handed over.
    @discardableResult
    private func dispatchEvents() -> Int {
        let batch = deliveryReports.take()
        if !batch.awaited.isEmpty {
            let continuations = state.withLock { state in
                batch.awaited.map { state.awaiting.removeValue(forKey: batch.reports[$0].id) }
            }
            for (index, waiter) in zip(batch.awaited, continuations) {
                let report = batch.reports[index]
                waiter?.resume(with: report.error.map { .failure($0) } ?? .success(report))
            }
        }
        if !batch.reports.isEmpty { events?.yield(.deliveryReports(batch.reports)) }
        for error in client.context.takeClientErrors() {
            events?.yield(.error(error))
            if error.isFatal {
                logger.error("Kafka producer failed for good; stopping", metadata: [KafkaLogKeys.client: "\(client.name)", KafkaLogKeys.error: "\(error)"])
                state.withLock { state in state.fatalError = state.fatalError ?? error }
                stop(flush: false)
            }
        }
        return batch.reports.count
    }
}

/// Who waits for a message's delivery report: one `sendAndAwait` caller, or one slot of a batch.
enum DeliveryWaiter: Sendable {
    case single(CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>)
    case batch(DeliveryBatch, Int)

    func resume(with result: Result<KafkaDeliveryReport, KafkaError>) {
        switch self {
        case .single(let continuation): continuation.resume(returning: result)
        case .batch(let batch, let index): batch.deliver(result, at: index)
        }
    }
}

/// The verdicts of one batch, handed to its caller when the last one is in.
final class DeliveryBatch: Sendable {
    private struct State {
        var results: [Result<KafkaDeliveryReport, KafkaError>?]
        var remaining: Int
    }

    private let state: Mutex<State>
    private let continuation: CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>

    init(count: Int, continuation: CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count))
        self.continuation = continuation
    }

    func deliver(_ result: Result<KafkaDeliveryReport, KafkaError>, at index: Int) {
        let complete: [Result<KafkaDeliveryReport, KafkaError>]? = state.withLock { state in
            guard state.results[index] == nil else { return nil }
            state.results[index] = result
            state.remaining -= 1
            return state.remaining == 0 ? state.results.map { $0! } : nil
        }
        if let complete { continuation.resume(returning: complete) }
    }
}
