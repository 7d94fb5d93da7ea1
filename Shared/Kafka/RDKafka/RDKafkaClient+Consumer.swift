import CRdKafka
import Foundation
import Plumbing

extension RDKafkaClient {
    func subscribe(to topics: [String]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(capacity: topics.count)
        for topic in topics { list.add(topic: topic, partition: -1) }
        let result = rd_kafka_subscribe(handle, list.pointer)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.subscriptionFailed, rdKafka: result, "subscribe to \(topics.joined(separator: ","))")
        }
    }

    /// Takes up to `maximumCount` fetched messages without waiting; only when none is there does it
    /// wait up to `timeoutMilliseconds` for one. Serves rebalances and other events on the way.
    /// Messages carrying an error are not returned as messages but as errors.
    func consumeBatch(
        maximumCount: Int,
        timeoutMilliseconds: Int32,
        topicNames: inout RDKafkaTopicNames
    ) -> (messages: [KafkaConsumerMessage], errors: [KafkaError]) {
        guard let consumerQueue else { return ([], []) }
        return withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<rd_kafka_message_t>?.self, capacity: maximumCount) { slots in
            var count = rd_kafka_consume_batch_queue(consumerQueue, 0, slots.baseAddress, maximumCount)
            if count == 0 {
                count = rd_kafka_consume_batch_queue(consumerQueue, timeoutMilliseconds, slots.baseAddress, 1)
            }
            guard count > 0 else { return ([], []) }
            var messages: [KafkaConsumerMessage] = []
            messages.reserveCapacity(count)
            var errors: [KafkaError] = []
            for slot in slots.prefix(count) {
                guard let message = slot else { continue }
                defer { rd_kafka_message_destroy(message) }
                if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    messages.append(Self.makeMessage(message, topicNames: &topicNames))
                } else if message.pointee.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    let detail = String(cString: rd_kafka_message_errstr(message))
                    let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
                    errors.append(KafkaError(.consumeFailed, rdKafka: message.pointee.err, "\(topic)[\(message.pointee.partition)]: \(detail)"))
                }
            }
            return (messages, errors)
        }
    }

    private static func makeMessage(
        _ message: UnsafeMutablePointer<rd_kafka_message_t>,
        topicNames: inout RDKafkaTopicNames
    ) -> KafkaConsumerMessage {
        let fields = message.pointee
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaConsumerMessage(
            topic: topicNames.name(of: fields.rkt),
            partition: Int(fields.partition),
            offset: fields.offset,
            key: fields.key.map { Array(UnsafeRawBufferPointer(start: $0, count: fields.key_len)) },
            value: fields.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: fields.len)) } ?? [],
            headers: headers(of: message),
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
        )
    }

    private static func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var list: OpaquePointer?
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        var headers: [KafkaHeader] = []
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        var index = 0
        while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            headers.append(
                KafkaHeader(
                    key: name.map { String(cString: $0) } ?? "",
                    value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                )
            )
            index += 1
        }
        return headers
    }

    /// Wakes a poll thread waiting in `consumeBatch`.
    func wakeUpConsumer() {
        if let consumerQueue { rd_kafka_queue_yield(consumerQueue) }
    }

    /// Stores `offset` (the next one to read) per partition, for the next commit.
    func storeOffsets(_ offsets: [KafkaTopicPartition: Int64]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(capacity: offsets.count)
        for (partition, offset) in offsets {
            list.add(topic: partition.topic, partition: Int32(clamping: partition.partition), offset: offset)
        }
        let result = rd_kafka_offsets_store(handle, list.pointer)
        if let failed = list.entries.first(where: { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }) {
            throw KafkaError(.commitFailed, rdKafka: failed.error, "store offset for \(failed.partition) (is it still assigned?)")
        }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.commitFailed, rdKafka: result, "store offsets")
        }
    }

    /// Commits the stored offsets and waits for the broker's answer. Blocks: call it on a thread of ours.
    func commitStoredOffsets() throws(KafkaError) {
        let result = rd_kafka_commit(handle, nil, 0)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR || result == RD_KAFKA_RESP_ERR__NO_OFFSET else {
            throw KafkaError(.commitFailed, rdKafka: result, "commit")
        }
    }

    /// The committed offsets (the next message to read) of these partitions. Blocks.
    func committedOffsets(of partitions: [KafkaTopicPartition], timeoutMilliseconds: Int32) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(topic: partition.topic, partition: Int32(clamping: partition.partition)) }
        let result = rd_kafka_committed(handle, list.pointer, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.commitFailed, rdKafka: result, "committed offsets")
        }
        return list.entries.reduce(into: [:]) { offsets, entry in
            if entry.offset >= 0 { offsets[entry.partition] = entry.offset }
        }
    }

    /// The partitions currently assigned to this consumer. Blocks briefly (asks librdkafka's main thread).
    func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let result = rd_kafka_assignment(handle, &list)
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.consumeFailed, rdKafka: result, "assignment")
        }
        return RDKafkaTopicPartitionList.entries(of: list).map(\.partition)
    }


    /// The client's fatal error, if librdkafka raised one.
    func fatalClientError() -> KafkaError? {
        var text = [CChar](repeating: 0, count: 512)
        let cause = rd_kafka_fatal_error(handle, &text, text.count)
        guard cause != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(.fatal, rdKafka: cause, cText(text), fatal: true)
    }
}

/// Topic names of fetched messages, one String per topic handle, kept by the poll thread: every
/// message of a topic shares it instead of building its own.
struct RDKafkaTopicNames {
    private var names: [UInt: String] = [:]

    mutating func name(of rkt: OpaquePointer?) -> String {
        guard let rkt, let cName = rd_kafka_topic_name(rkt) else { return "" }
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(rkt)))
        // Checked against the handle's own name, in case librdkafka reused a freed handle's address.
        if let known = names[key], known.withCString({ strcmp($0, cName) == 0 }) { return known }
        let name = String(cString: cName)
        names[key] = name
        return name
    }
}
