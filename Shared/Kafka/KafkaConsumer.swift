public import Logging
public import Metrics
import Plumbing
public import ServiceLifecycle
import Synchronization

/// A member of a consumer group that reads its share of the partitions of some topics.
///
/// Nothing is committed automatically: the caller stores the offset of each message it has
/// processed (``storeOffset(_:)``) and commits (``commit()``), or does both at once
/// (``commit(_:)``). Before partitions move to another member, and when the consumer stops, the
/// stored offsets are committed, so the next owner starts right after what was processed; what
/// was not processed is read again (at least once).
///
/// ``run()`` joins the group and fetches on a thread of its own; ``messages`` hands the messages
/// over. A graceful shutdown commits, closes the client and ends ``messages``.
///
/// A stopping consumer sends no LeaveGroup: the group hands its partitions on after the session
/// timeout (6 s by default), as it would after a crash. Tansu, the local broker, keeps a leader that
/// left while the group was rebalancing as the group's leader for good, and then no member ever
/// gets a partition again (every service restarted at once after a broker loss did exactly that);
/// on Apache Kafka the cost is those seconds in a rolling restart.
public final class KafkaConsumer: Service, Sendable {
    /// The messages fetched for this consumer. Iterate it from one task at a time.
    public let messages: KafkaConsumerMessages

    private let client: RDKafkaClient
    /// Whether `client` still has its librdkafka handle. Calls from other threads hold this lock;
    /// the poll thread destroys the handle under it when the consumer stops.
    private let clientOpen = Mutex(true)
    private let buffer: KafkaConsumerMessageBuffer
    private let topics: [String]
    private let logger: Logger
    private let runCalled = Atomic(false)
    private let stopRequested = Atomic(false)
    private let pollThread: BlockingThread
    /// Commits and other blocking requests, so they never wait behind a poll.
    private let requestThread: BlockingThread

    /// Most messages taken from librdkafka in one go.
    static let batchSize = 1000
    private static let pollTimeout = Duration.milliseconds(100)

    /// A consumer in ``KafkaConfiguration/groupID``'s group for `topics`; it joins when ``run()`` starts.
    public init(
        configuration: KafkaConfiguration,
        topics: [String],
        logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil
    ) throws(KafkaError) {
        guard !topics.isEmpty else {
            throw KafkaError(.subscriptionFailed, "no topics to subscribe to")
        }
        let settings = try configuration.librdkafkaSettings(for: .consumer)
        let buffer = KafkaConsumerMessageBuffer(capacity: 10 * Self.batchSize)
        let statistics = RDKafkaStatisticsRecorder(configuration, role: .consumer, factory: metricsFactory)
        var logger = logger
        logger[metadataKey: KafkaLogKeys.group] = "\(configuration.groupID ?? "")"
        let context = RDKafkaCallbackContext(logger: logger, statistics: statistics) { revoked in
            buffer.removeMessages(of: revoked)
        }
        client = try RDKafkaClient.make(role: .consumer, settings: settings, context: context)
        self.buffer = buffer
        self.topics = topics
        self.logger = logger
        messages = KafkaConsumerMessages(buffer: buffer)
        pollThread = BlockingThread(name: "kafka-consumer-poll")
        requestThread = BlockingThread(name: "kafka-consumer-requests")
    }

    deinit {
        pollThread.stop()
        requestThread.stop()
    }

    /// Marks `message` processed: the next commit includes it (and everything before it in its partition).
    /// Throws if its partition is no longer assigned to this consumer; its new owner reads it again.
    public func storeOffset(_ message: KafkaConsumerMessage) throws(KafkaError) {
        try withOpenClient { client throws(KafkaError) in try client.storeOffsets([message.topicPartition: message.offset + 1]) }
    }

    /// Commits the stored offsets and returns when the group coordinator has them.
    public func commit() async throws(KafkaError) {
        try await requestThread.run { [self] () throws(KafkaError) in
            try withOpenClient { client throws(KafkaError) in try client.commitStoredOffsets() }
        }
    }

    /// Stores `message`'s offset and commits: it will not be read again by this group.
    public func commit(_ message: KafkaConsumerMessage) async throws(KafkaError) {
        try storeOffset(message)
        try await commit()
    }

    /// The partitions this consumer holds now.
    public func assignment() async throws(KafkaError) -> Set<KafkaTopicPartition> {
        Set(try await requestThread.run { [self] () throws(KafkaError) in
            try withOpenClient { client throws(KafkaError) in try client.assignment() }
        })
    }

    /// The group's committed offsets (the next message to read) for these partitions; partitions
    /// without a committed offset are left out.
    public func committedOffsets(for partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        try await requestThread.run { [self] () throws(KafkaError) in
            try withOpenClient { client throws(KafkaError) in
                try client.committedOffsets(of: partitions, timeoutMilliseconds: timeout.timeoutMilliseconds)
            }
        }
    }

    /// Joins the group and fetches until shutdown, then commits, closes and ends ``messages``.
    public func run() async throws {
        guard !runCalled.exchange(true, ordering: .relaxed) else { throw KafkaError(.shutDown, "run() was already called") }
        defer {
            pollThread.stop()
            requestThread.stop()
        }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await pollThread.run { [self] () throws(KafkaError) in try pollLoop() }
            } onCancel: {
                triggerGracefulShutdown()
            }
        } onGracefulShutdown: {
            self.triggerGracefulShutdown()
        }
    }

    /// Lets ``run()`` commit, close and return.
    public func triggerGracefulShutdown() {
        if !stopRequested.exchange(true, ordering: .relaxed) {
            try? withOpenClient { client throws(KafkaError) in client.wakeUpConsumer() }
        }
    }

    private func withOpenClient<Result: Sendable>(_ body: (RDKafkaClient) throws(KafkaError) -> Result) throws(KafkaError) -> Result {
        try clientOpen.withLock { open throws(KafkaError) -> Result in
            guard open else { throw KafkaError(.shutDown, "the consumer has stopped") }
            return try body(client)
        }
    }

    // MARK: - The poll thread

    private func pollLoop() throws(KafkaError) {
        var failure: KafkaError?
        do throws(KafkaError) {
            try client.subscribe(to: topics)
            logger.info("Kafka consumer subscribed", metadata: [KafkaLogKeys.topic: "\(topics.joined(separator: ","))"])
            var topicNames = RDKafkaTopicNames()
            while !stopRequested.load(ordering: .relaxed) {
                guard buffer.waitForRoom(timeout: Self.pollTimeout) else { continue }
                let (messages, errors) = client.consumeBatch(
                    maximumCount: Self.batchSize,
                    timeoutMilliseconds: Self.pollTimeout.timeoutMilliseconds,
                    topicNames: &topicNames
                )
                buffer.append(messages)
                // librdkafka has logged its client errors already; only a fatal one ends the consumer.
                if let fatal = client.context.takeClientErrors().first(where: \.isFatal) {
                    throw client.fatalClientError() ?? fatal
                }
                for error in errors {
                    if error.isFatal { throw client.fatalClientError() ?? error }
                    logger.info("Kafka consumer error", metadata: [KafkaLogKeys.error: "\(error)"])
                }
            }
        } catch {
            failure = error
            logger.info("Kafka consumer failed", metadata: [KafkaLogKeys.error: "\(error)"])
        }
        do throws(KafkaError) {
            try client.commitStoredOffsets()
        } catch {
            logger.info("Kafka consumer could not commit its last offsets; they are read again", metadata: [KafkaLogKeys.error: "\(error)"])
        }
        clientOpen.withLock { open in
            open = false
            client.destroy(leavingGroup: false)
        }
        logger.info("Kafka consumer stopped; its group hands its partitions on after the session timeout")
        buffer.finish(failure: failure)
        if let failure { throw failure }
    }
}
