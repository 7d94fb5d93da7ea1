import CRdKafka
import Logging
import Synchronization

/// What librdkafka's callbacks reach through the client's opaque pointer. It outlives the client
/// handle: `RDKafkaClient` releases it only after `rd_kafka_destroy` returned.
final class RDKafkaCallbackContext: Sendable {
    let logger: Logger
    let statistics: RDKafkaStatisticsRecorder?
    /// Set for producers.
    let deliveryReports: RDKafkaDeliveryReports?
    /// Set for consumers: drops fetched, not yet handed out messages of partitions being revoked.
    let partitionsRevoked: (@Sendable (Set<KafkaTopicPartition>) -> Void)?
    /// Client-level errors served since the owner last looked.
    private let clientErrors = Mutex<[KafkaError]>([])

    init(
        logger: Logger,
        statistics: RDKafkaStatisticsRecorder?,
        deliveryReports: RDKafkaDeliveryReports? = nil,
        partitionsRevoked: (@Sendable (Set<KafkaTopicPartition>) -> Void)? = nil
    ) {
        self.logger = logger
        self.statistics = statistics
        self.deliveryReports = deliveryReports
        self.partitionsRevoked = partitionsRevoked
    }

    func takeClientErrors() -> [KafkaError] {
        clientErrors.withLock { errors in
            defer { errors = [] }
            return errors
        }
    }

    fileprivate func append(_ error: KafkaError) {
        clientErrors.withLock { $0.append(error) }
    }

    static func of(_ rk: OpaquePointer?) -> RDKafkaCallbackContext? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Delivery reports collected by the delivery-report callback while the producer's poll thread is
/// inside `rd_kafka_poll` or `rd_kafka_flush`, taken as one batch when that call returns.
final class RDKafkaDeliveryReports: Sendable {
    struct Batch {
        var reports: [KafkaDeliveryReport] = []
        /// Indices into `reports` of messages someone awaits (`sendAndAwait`).
        var awaited: [Int] = []
    }

    private struct State {
        var batch = Batch()
        var topicNames: [UInt: String] = [:]
        /// The topic of the previous report: most reports in a batch share it.
        var lastTopic: (key: UInt, name: String)?
    }

    private let state = Mutex(State())

    /// Message opaques carry the message id shifted left by one; the low bit marks awaited messages.
    static func opaque(for id: KafkaProducerMessageID, awaited: Bool) -> UInt {
        UInt(id.rawValue << 1 | (awaited ? 1 : 0))
    }

    func take() -> Batch {
        state.withLock { state in
            defer { state.batch = Batch() }
            return state.batch
        }
    }

    fileprivate func append(_ message: UnsafePointer<rd_kafka_message_t>) {
        let opaque = UInt(bitPattern: message.pointee._private)
        let id = KafkaProducerMessageID(rawValue: UInt64(opaque >> 1))
        let partition = Int(message.pointee.partition)
        let error = message.pointee.err
        let status: KafkaDeliveryReport.Status
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            status = .acknowledged
        } else {
            let code: KafkaError.Code = error == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT ? .messageTimedOut : .deliveryFailed
            status = .failed(KafkaError(code, rdKafka: error, "message \(id)"))
        }
        let offset = message.pointee.offset >= 0 ? message.pointee.offset : nil
        let rkt = message.pointee.rkt
        state.withLock { state in
            let topic = Self.topicName(rkt, state: &state)
            if opaque & 1 == 1 { state.batch.awaited.append(state.batch.reports.count) }
            state.batch.reports.append(
                KafkaDeliveryReport(id: id, topic: topic, partition: partition, offset: offset, status: status)
            )
        }
    }

    /// Topic names by handle: the producer's topic handles live as long as the client, so one
    /// String per topic serves every report.
    private static func topicName(_ rkt: OpaquePointer?, state: inout State) -> String {
        guard let rkt else { return "" }
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(rkt)))
        if let last = state.lastTopic, last.key == key { return last.name }
        let name = state.topicNames[key] ?? String(cString: rd_kafka_topic_name(rkt))
        state.topicNames[key] = name
        state.lastTopic = (key, name)
        return name
    }
}

/// The C callbacks, registered on every client's configuration. They find their client's context
/// through `rd_kafka_opaque`, or the opaque argument where librdkafka passes one.
enum RDKafkaCallbacks {
    static func register(on configuration: OpaquePointer, role: KafkaConfiguration.ClientRole, context: RDKafkaCallbackContext) {
        rd_kafka_conf_set_log_cb(configuration, log)
        // Without an error callback librdkafka logs client errors itself, which is what the admin
        // client wants: nobody polls its queue for error events.
        if role != .admin { rd_kafka_conf_set_error_cb(configuration, error) }
        if context.statistics != nil { rd_kafka_conf_set_stats_cb(configuration, statistics) }
        if role == .producer { rd_kafka_conf_set_dr_msg_cb(configuration, deliveryReport) }
        if role == .consumer { rd_kafka_conf_set_rebalance_cb(configuration, rebalance) }
    }

    /// librdkafka's syslog levels mapped to swift-log's: these are librdkafka's own judgement of its
    /// connections and group membership, which an operator needs to see.
    private static let log: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
        rk, level, facility, text in
        guard let context = RDKafkaCallbackContext.of(rk) else { return }
        let logLevel: Logger.Level =
            switch level {
            case ...2: .critical
            case 3: .error
            case 4: .warning
            case 5: .notice
            case 6: .info
            default: .debug
            }
        context.logger.log(
            level: logLevel,
            "\(text.map { String(cString: $0) } ?? "")",
            metadata: [
                KafkaLogKeys.client: "\(rk.map { String(cString: rd_kafka_name($0)) } ?? "")",
                KafkaLogKeys.facility: "\(facility.map { String(cString: $0) } ?? "")",
            ]
        )
    }

    private static let error: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
        rk, code, reason, _ in
        guard let context = RDKafkaCallbackContext.of(rk) else { return }
        let err = rd_kafka_resp_err_t(rawValue: code)
        let failure: KafkaError
        if err == RD_KAFKA_RESP_ERR__FATAL, let rk {
            // The error event only says "fatal"; the cause is kept on the client.
            var text = [CChar](repeating: 0, count: 512)
            let cause = rd_kafka_fatal_error(rk, &text, text.count)
            failure = KafkaError(.fatal, rdKafka: cause, cText(text), fatal: true)
        } else {
            failure = KafkaError(.client, rdKafka: err, reason.map { String(cString: $0) })
        }
        // librdkafka logs these itself (through the log callback); the owner surfaces them as events.
        context.logger.debug(
            "librdkafka reported an error",
            metadata: [KafkaLogKeys.error: "\(failure)"]
        )
        context.append(failure)
    }

    private static let statistics: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutableRawPointer?) -> Int32 = {
        rk, json, length, _ in
        if let json, let recorder = RDKafkaCallbackContext.of(rk)?.statistics {
            recorder.record(json: UnsafeRawBufferPointer(start: json, count: length))
        }
        return 0  // librdkafka frees the JSON
    }

    private static let deliveryReport: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
        rk, message, _ in
        guard let message, let reports = RDKafkaCallbackContext.of(rk)?.deliveryReports else { return }
        reports.append(message)
    }

    /// Served on the consumer's poll thread. Before partitions go, the offsets the caller stored
    /// for them are committed, so the next owner starts exactly after what was processed.
    private static let rebalance: @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
    ) -> Void = { rk, err, partitions, _ in
        guard let rk, let context = RDKafkaCallbackContext.of(rk) else { return }
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        let changed = RDKafkaTopicPartitionList.entries(of: partitions).map(\.partition)
        let metadata: Logger.Metadata = [KafkaLogKeys.partitions: "\(changed.map(\.description).joined(separator: ","))"]
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            context.logger.info("Kafka partitions assigned", metadata: metadata)
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, partitions) {
                    let failure = KafkaError(.consumeFailed, consuming: error, "assign")
                    context.logger.info("Kafka assignment failed", metadata: [KafkaLogKeys.error: "\(failure)"])
                }
            } else {
                rd_kafka_assign(rk, partitions)
            }
        default:
            let lost = rd_kafka_assignment_lost(rk) != 0
            context.logger.info(
                lost ? "Kafka partitions lost" : "Kafka partitions revoked",
                metadata: metadata.merging([KafkaLogKeys.error: "\(String(cString: rd_kafka_err2name(err)))"]) { $1 }
            )
            context.partitionsRevoked?(Set(changed))
            // A lost assignment's generation is gone: the broker would refuse the commit.
            if !lost {
                let result = rd_kafka_commit(rk, nil, 0)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR && result != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    let failure = KafkaError(.commitFailed, rdKafka: result, "commit on revocation")
                    context.logger.info("Kafka commit on revocation failed", metadata: [KafkaLogKeys.error: "\(failure)"])
                }
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, partitions) { rd_kafka_error_destroy(error) }
            } else {
                rd_kafka_assign(rk, nil)
            }
        }
    }
}
