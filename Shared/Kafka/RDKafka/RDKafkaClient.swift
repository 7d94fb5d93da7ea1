import CRdKafka
import Foundation
import Logging
import Plumbing
import Synchronization

/// One librdkafka client handle (`rd_kafka_t`) with the callbacks' context and, for consumers, the
/// consumer queue. Everything it owns is freed when it goes.
final class RDKafkaClient: Sendable {
    /// librdkafka's handles are thread-safe; the pointers themselves never change.
    nonisolated(unsafe) let handle: OpaquePointer
    /// The consumer queue, which also carries the client's events once `rd_kafka_poll_set_consumer` ran.
    nonisolated(unsafe) let consumerQueue: OpaquePointer?
    let context: RDKafkaCallbackContext
    let role: KafkaConfiguration.ClientRole
    private let topicHandles = Mutex(TopicHandles())
    /// Set by ``destroy(leavingGroup:)``: the handle is gone and deinit has nothing left to free.
    private let destroyed = Atomic(false)

    /// The producer's topic handles by name, and the last one used: most sends go to the same topic
    /// as the one before.
    private struct TopicHandles {
        var byName: [String: TopicHandle] = [:]
        var last: (name: String, handle: TopicHandle)?
    }

    /// A producer's handle for one topic, kept for the client's life to spare librdkafka a lookup per message.
    private struct TopicHandle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private init(handle: OpaquePointer, role: KafkaConfiguration.ClientRole, context: RDKafkaCallbackContext) {
        self.handle = handle
        self.role = role
        self.context = context
        if role == .consumer {
            rd_kafka_poll_set_consumer(handle)
            consumerQueue = rd_kafka_queue_get_consumer(handle)
        } else {
            consumerQueue = nil
        }
    }

    static func make(
        role: KafkaConfiguration.ClientRole,
        settings: [(key: String, value: String)],
        context: RDKafkaCallbackContext
    ) throws(KafkaError) -> RDKafkaClient {
        let configuration = try RDKafkaConfig.make(settings)
        let opaque = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(configuration, opaque.toOpaque())
        RDKafkaCallbacks.register(on: configuration, role: role, context: context)
        var errorText = [CChar](repeating: 0, count: 512)
        let type = role == .consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER
        guard let handle = rd_kafka_new(type, configuration, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(configuration)
            opaque.release()
            throw KafkaError(.clientCreation, cText(errorText))
        }
        context.logger.debug(
            "Kafka client created",
            metadata: [
                KafkaLogKeys.client: "\(String(cString: rd_kafka_name(handle)))",
                KafkaLogKeys.settings: "\(KafkaConfiguration.redacted(settings))",
            ]
        )
        return RDKafkaClient(handle: handle, role: role, context: context)
    }

    /// Everything the client owns, freed together.
    private struct Resources: @unchecked Sendable {
        let handle: OpaquePointer
        let consumerQueue: OpaquePointer?
        let topics: [OpaquePointer]
        let context: RDKafkaCallbackContext

        func free(flags: Int32 = 0) {
            if let consumerQueue { rd_kafka_queue_destroy(consumerQueue) }
            topics.forEach { rd_kafka_topic_destroy($0) }
            rd_kafka_destroy_flags(handle, flags)
            // Only now: librdkafka's threads, which call back into the context, have ended.
            Unmanaged.passUnretained(context).release()
        }
    }

    private var resources: Resources {
        Resources(
            handle: handle,
            consumerQueue: consumerQueue,
            topics: topicHandles.withLock { $0.byName.values.map(\.pointer) },
            context: context
        )
    }

    /// Destroys the handle now, on this thread; nothing may use the client afterwards. A consumer
    /// that is not `leavingGroup` sends no LeaveGroup: the group drops it after its session timeout.
    func destroy(leavingGroup: Bool) {
        guard !destroyed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        resources.free(flags: leavingGroup ? 0 : Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
    }

    deinit {
        guard !destroyed.load(ordering: .acquiring) else { return }
        let resources = self.resources
        // rd_kafka_destroy joins librdkafka's threads (and closes a consumer that was never closed),
        // which can take a while: never on the thread that happened to drop the last reference.
        Thread.detachNewThread { resources.free() }
    }

    var name: String { String(cString: rd_kafka_name(handle)) }

    static var libraryVersion: String { String(cString: rd_kafka_version_str()) }

    // MARK: - Producer

    /// librdkafka's "unassigned" partition: let the partitioner choose.
    private static let unassignedPartition: Int32 = -1

    private func topicHandle(_ topic: String) -> OpaquePointer? {
        topicHandles.withLock { handles in
            if let last = handles.last, last.name == topic { return last.handle.pointer }
            let known = handles.byName[topic] ?? rd_kafka_topic_new(handle, topic, nil).map(TopicHandle.init)
            guard let known else { return nil }
            handles.byName[topic] = known
            handles.last = (topic, known)
            return known.pointer
        }
    }

    /// Queues a message without blocking; its delivery report arrives through the poll with `opaque`.
    func produce(_ message: KafkaProducerMessage, opaque: UInt) throws(KafkaError) {
        guard let topic = topicHandle(message.topic) else {
            throw KafkaError(.messageRejected, rdKafka: rd_kafka_last_error(), "topic \(message.topic)")
        }
        let headers = message.headers.isEmpty ? nil : Self.makeHeaders(message.headers)
        let partition = message.partition.map { Int32(clamping: $0) } ?? Self.unassignedPartition
        let failure: OpaquePointer? = message.value.withUnsafeBytes { value in
            Self.withOptionalBytes(message.key) { key in
                withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7) { fields in
                    var count = 0
                    func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                        var field = rd_kafka_vu_t()
                        field.vtype = type
                        fill(&field)
                        fields[count] = field
                        count += 1
                    }
                    add(RD_KAFKA_VTYPE_RKT) { $0.u.rkt = topic }
                    add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition }
                    add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                    add(RD_KAFKA_VTYPE_VALUE) { $0.u.mem = .init(ptr: UnsafeMutableRawPointer(mutating: value.baseAddress), size: value.count) }
                    if let key {
                        add(RD_KAFKA_VTYPE_KEY) { $0.u.mem = .init(ptr: UnsafeMutableRawPointer(mutating: key.baseAddress), size: key.count) }
                    }
                    if let headers { add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers } }
                    add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: opaque) }
                    return rd_kafka_produceva(handle, fields.baseAddress, count)
                }
            }
        }
        if let failure {
            // On failure the headers are still ours.
            if let headers { rd_kafka_headers_destroy(headers) }
            let code: KafkaError.Code = rd_kafka_error_code(failure) == RD_KAFKA_RESP_ERR__QUEUE_FULL ? .queueFull : .messageRejected
            throw KafkaError(code, consuming: failure, "topic \(message.topic)")
        }
    }

    private static func makeHeaders(_ headers: [KafkaHeader]) -> OpaquePointer {
        let list = rd_kafka_headers_new(headers.count)!
        for header in headers {
            if let value = header.value {
                value.withUnsafeBytes { bytes in
                    _ = rd_kafka_header_add(list, header.key, -1, bytes.baseAddress, bytes.count)
                }
            } else {
                _ = rd_kafka_header_add(list, header.key, -1, nil, 0)
            }
        }
        return list
    }

    private static func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        if let bytes { bytes.withUnsafeBytes { body($0) } } else { body(nil) }
    }

    /// Serves queued callbacks (delivery reports, errors, statistics), waiting up to `timeout` for the first.
    func poll(timeoutMilliseconds: Int32) {
        rd_kafka_poll(handle, timeoutMilliseconds)
    }

    /// Makes a `poll` or `flush` waiting on another thread return now.
    func interruptPoll() {
        rd_kafka_yield(handle)
    }

    /// Waits until every queued message is delivered or failed; false if some are still outstanding.
    func flush(timeoutMilliseconds: Int32) -> Bool {
        rd_kafka_flush(handle, timeoutMilliseconds) == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Fails every message still queued or in flight, so that their delivery reports come now.
    func purgeOutstandingMessages() {
        rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        rd_kafka_poll(handle, 0)
    }

    /// Messages and requests waiting to be sent or acknowledged.
    var outstandingCount: Int {
        Int(rd_kafka_outq_len(handle))
    }
}
