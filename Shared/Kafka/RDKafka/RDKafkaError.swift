import CRdKafka

extension KafkaError {
    /// An error from a librdkafka response code, classified as retriable or fatal.
    init(
        _ code: Code,
        rdKafka err: rd_kafka_resp_err_t,
        _ context: String? = nil,
        fatal: Bool = false,
        file: String = #fileID,
        line: UInt = #line
    ) {
        let text = String(cString: rd_kafka_err2str(err))
        self.init(
            code,
            context.map { "\($0): \(text)" } ?? text,
            rdKafkaCode: err.rawValue,
            rdKafkaCodeName: String(cString: rd_kafka_err2name(err)),
            isRetriable: Self.retriableCodes.contains(err.rawValue),
            isFatal: fatal || err == RD_KAFKA_RESP_ERR__FATAL,
            file: file,
            line: line
        )
    }

    /// An error from a librdkafka error object, which knows whether it is retriable or fatal; destroys it.
    init(_ code: Code, consuming error: OpaquePointer, _ context: String? = nil, file: String = #fileID, line: UInt = #line) {
        defer { rd_kafka_error_destroy(error) }
        let err = rd_kafka_error_code(error)
        let text = String(cString: rd_kafka_error_string(error))
        self.init(
            code,
            context.map { "\($0): \(text)" } ?? text,
            rdKafkaCode: err.rawValue,
            rdKafkaCodeName: String(cString: rd_kafka_err2name(err)),
            isRetriable: rd_kafka_error_is_retriable(error) != 0 || Self.retriableCodes.contains(err.rawValue),
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            file: file,
            line: line
        )
    }

    /// Codes after which the same request may succeed: the broker, the network or a leader was
    /// temporarily away. Everything else (authorisation, invalid requests, fatal) needs a change first.
    private static let retriableCodes: Set<Int32> = Set(
        [
            RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__RESOLVE, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
            RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__QUEUE_FULL,
            RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE, RD_KAFKA_RESP_ERR__PURGE_QUEUE,
            RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
            RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR,
            RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH, RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH,
            RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED,
        ].map(\.rawValue)
    )
}

/// The text in a C buffer that librdkafka filled in, up to its terminating zero.
func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
