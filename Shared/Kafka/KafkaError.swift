import Plumbing

/// Every error the Kafka library throws or reports: what went wrong (``Code``), whether trying again
/// can help, librdkafka's own error code when it came from librdkafka, and where it was raised.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in the library's terms. Compare with the static members (`error.code == .messageTimedOut`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A setting was rejected; ``KafkaError/setting`` names it.
        public static let invalidConfiguration = Code("invalid configuration")
        /// librdkafka could not create the client.
        public static let clientCreation = Code("client creation failed")
        /// The producer's local queue is full: poll, wait a moment and send again.
        public static let queueFull = Code("producer queue full")
        /// librdkafka refused to queue the message (unknown partition, message too large…).
        public static let messageRejected = Code("message rejected")
        /// The message was not acknowledged within `message.timeout.ms` (the broker is gone or unreachable).
        public static let messageTimedOut = Code("message timed out")
        /// The broker answered the message with an error, or the message was purged.
        public static let deliveryFailed = Code("delivery failed")
        /// The consumer could not subscribe.
        public static let subscriptionFailed = Code("subscription failed")
        /// A consumer error reported with a fetched message or by the group.
        public static let consumeFailed = Code("consume failed")
        /// Storing or committing an offset failed.
        public static let commitFailed = Code("commit failed")
        /// An admin request (create topics, metadata) failed.
        public static let adminFailed = Code("admin request failed")
        /// A request did not complete in time.
        public static let timedOut = Code("timed out")
        /// The client has shut down and takes no more work.
        public static let shutDown = Code("client shut down")
        /// librdkafka raised a fatal error: this client instance can do nothing more and must be replaced.
        public static let fatal = Code("fatal client error")
        /// A client-level error reported by librdkafka (broker connection lost, all brokers down…).
        public static let client = Code("client error")
    }

    public let code: Code
    /// A human-readable explanation, without configuration values of secret settings.
    public let reason: String
    /// The configuration setting at fault, for ``Code/invalidConfiguration``.
    public let setting: String?
    /// librdkafka's `rd_kafka_resp_err_t`, when the error came from librdkafka.
    public let rdKafkaCode: Int32?
    /// librdkafka's symbolic name for ``rdKafkaCode``, such as `_MSG_TIMED_OUT` or `UNKNOWN_TOPIC_OR_PART`.
    public let rdKafkaCodeName: String?
    /// Trying the same thing again later may succeed.
    public let isRetriable: Bool
    /// The client that raised it is unusable from now on.
    public let isFatal: Bool
    public let file: String
    public let line: UInt

    init(
        _ code: Code,
        _ reason: String,
        setting: String? = nil,
        rdKafkaCode: Int32? = nil,
        rdKafkaCodeName: String? = nil,
        isRetriable: Bool = false,
        isFatal: Bool = false,
        file: String = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.reason = reason
        self.setting = setting
        self.rdKafkaCode = rdKafkaCode
        self.rdKafkaCodeName = rdKafkaCodeName
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "KafkaError(\(code)): \(reason)"
        if let rdKafkaCodeName { text += " [\(rdKafkaCodeName)]" }
        if isFatal { text += " (fatal)" } else if isRetriable { text += " (retriable)" }
        return text + " at \(file):\(line)"
    }
}

extension BlockingThread {
    /// Runs a librdkafka call on this thread; once the client has shut down, fails with ``KafkaError/Code-swift.struct/shutDown``.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws(KafkaError) -> Result) async throws(KafkaError) -> Result {
        try await run(body, orFailWith: KafkaError(.shutDown, "the client has shut down"))
    }
}
