/// The events of one producer: delivery reports in batches, and client errors. It ends when the
/// producer's ``KafkaProducer/run()`` returns. Iterate it, or the events pile up in memory.
public struct KafkaProducerEvents: AsyncSequence, Sendable {
    public typealias Element = KafkaProducerEvent
    public typealias Failure = Never

    let stream: AsyncStream<KafkaProducerEvent>

    public struct AsyncIterator: AsyncIteratorProtocol {
        var iterator: AsyncStream<KafkaProducerEvent>.AsyncIterator

        public mutating func next() async -> KafkaProducerEvent? {
            await iterator.next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> KafkaProducerEvent? {
            await iterator.next(isolation: actor)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(iterator: stream.makeAsyncIterator())
    }
}
