import ArgumentParser
import Foundation
import Kafka
import Logging

/// `tongban-bench kafka`: produces and consumes a million 512-byte messages through Shared/Kafka and
/// through librdkafka's own rdkafka_performance, on the same broker in the same run, with the same
/// librdkafka settings, and prints both side by side.
struct KafkaBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Kafka throughput of the Shared/Kafka wrapper beside rdkafka_performance."
    )

    @Option(help: "Messages to produce and then consume in each run.")
    var messages = 1_000_000

    @Option(help: "Bytes per message value.")
    var size = 512

    @Option(help: "Partitions of each benchmark topic.")
    var partitions = 6

    @Option(help: "The broker (defaults to TONGBAN_KAFKA_BOOTSTRAP_SERVERS).")
    var bootstrapServers = ProcessInfo.processInfo.environment["TONGBAN_KAFKA_BOOTSTRAP_SERVERS"] ?? "127.0.0.1:19292"

    @Option(help: "rdkafka_performance, as Scripts/setup.sh --benchmark-tools builds it.")
    var rdkafkaPerformance = ".local/tools/bin/rdkafka_performance"

    @Option(help: "Rounds of produce and consume for each; the best round of each counts.")
    var rounds = 3

    @Option(help: "The wrapper must reach this share of rdkafka_performance's messages per second.")
    var target = 0.8

    /// librdkafka settings both clients run with, beyond each one's defaults.
    var producerSettings: [String: String] {
        [
            "enable.idempotence": "true", "acks": "all", "linger.ms": "5", "batch.size": "1000000",
            "partitioner": "murmur2_random", "statistics.interval.ms": "1000",
        ]
    }

    /// rdkafka_performance's own consumer settings (it sets these in -G mode), given to the wrapper too.
    var consumerSettings: [String: String] {
        ["queued.min.messages": "1000000", "session.timeout.ms": "6000", "auto.offset.reset": "earliest", "statistics.interval.ms": "1000"]
    }

    func validate() throws {
        guard messages > 0, size >= 0, partitions > 0, rounds > 0 else {
            throw ValidationError("messages, partitions and rounds must be positive, size not negative")
        }
    }

    func run() async throws {
        var logger = Logger(label: "tongban.bench.kafka")
        logger.logLevel = .warning
        print("Kafka benchmark: \(messages) messages of \(size) bytes, \(partitions) partitions, broker \(bootstrapServers), \(rounds) rounds")
        print("librdkafka \(KafkaVersion.librdkafka)")
        print("producer settings (both): \(describe(producerSettings)), no key, no compression")
        print("consumer settings (both): \(describe(consumerSettings)); rdkafka_performance -G, the wrapper's KafkaConsumerMessages")

        let admin = try KafkaAdmin(configuration: baseConfiguration(), logger: logger)
        var reference = (produce: [Throughput](), consume: [Throughput]())
        var wrapper = (produce: [Throughput](), consume: [Throughput]())
        for round in 1...rounds {
            print("\nround \(round)")
            let runID = UUID().uuidString.prefix(8).lowercased()
            let referenceTopic = "tongban.bench.rdkafka-performance-\(runID)"
            let wrapperTopic = "tongban.bench.wrapper-\(runID)"
            for topic in [referenceTopic, wrapperTopic] {
                try await admin.createTopic(topic, partitions: partitions, replicationFactor: 1)
            }
            // Who goes first alternates, so that neither always meets the broker fresher.
            if round % 2 == 1 {
                reference.produce.append(try await rdkafkaPerformanceProduce(topic: referenceTopic))
                wrapper.produce.append(try await wrapperProduce(topic: wrapperTopic, logger: logger))
                reference.consume.append(try await rdkafkaPerformanceConsume(topic: referenceTopic))
                wrapper.consume.append(try await wrapperConsume(topic: wrapperTopic, logger: logger))
            } else {
                wrapper.produce.append(try await wrapperProduce(topic: wrapperTopic, logger: logger))
                reference.produce.append(try await rdkafkaPerformanceProduce(topic: referenceTopic))
                wrapper.consume.append(try await wrapperConsume(topic: wrapperTopic, logger: logger))
                reference.consume.append(try await rdkafkaPerformanceConsume(topic: referenceTopic))
            }
        }

        // The best round of each: on a shared machine the slower rounds measure the neighbours.
        let best = { (runs: [Throughput]) in runs.max { $0.messagesPerSecond < $1.messagesPerSecond }! }
        let rows = [
            ("produce", best(reference.produce), best(wrapper.produce)),
            ("consume", best(reference.consume), best(wrapper.consume)),
        ]
        print("\nbest of \(rounds) rounds:")
        print("| phase   | rdkafka_performance msgs/s | MB/s   | Shared/Kafka msgs/s | MB/s   | wrapper / reference |")
        print("| ------- | -------------------------- | ------ | ------------------- | ------ | ------------------- |")
        var belowTarget: [String] = []
        for (phase, reference, wrapper) in rows {
            let ratio = wrapper.messagesPerSecond / reference.messagesPerSecond
            if ratio < target { belowTarget.append(phase) }
            print(
                "| \(pad(phase, 7)) | \(pad(Int(reference.messagesPerSecond), 26)) | \(pad(format(reference.megabytesPerSecond), 6)) "
                    + "| \(pad(Int(wrapper.messagesPerSecond), 19)) | \(pad(format(wrapper.megabytesPerSecond), 6)) | \(pad(format(ratio * 100) + " %", 19)) |"
            )
        }
        print("")
        if belowTarget.isEmpty {
            print("The wrapper reached at least \(Int(target * 100)) % of rdkafka_performance's messages per second, producing and consuming.")
        } else {
            print("BELOW TARGET (\(Int(target * 100)) %): \(belowTarget.joined(separator: ", "))")
            throw ExitCode(1)
        }
    }

    // MARK: - rdkafka_performance

    func rdkafkaPerformanceProduce(topic: String) async throws -> Throughput {
        let arguments = ["-P", "-t", topic, "-b", bootstrapServers, "-s", "\(size)", "-c", "\(messages)"] + settingArguments(producerSettings)
        let (output, cpu) = try await runReference(arguments)
        // "% 1000000 messages produced (512000000 bytes), 1000000 delivered (offset 0, 0 failed) in 4000ms: 250000 msgs/s and 128.00 MB/s, …"
        let numbers = try summary(output, matching: #/(\d+) delivered \(offset -?\d+, (\d+) failed\) in (\d+)ms/#)
        guard numbers[1] == 0, numbers[0] == messages else {
            throw ExternalCommandError(description: "rdkafka_performance delivered \(numbers[0]) messages, \(numbers[1]) failed:\n\(output)")
        }
        let result = Throughput(messages: numbers[0], bytes: numbers[0] * size, elapsed: .milliseconds(numbers[2]), cpuSeconds: cpu)
        report("rdkafka_performance produce", result)
        return result
    }

    func rdkafkaPerformanceConsume(topic: String) async throws -> Throughput {
        let group = "tongban.bench.rdkafka-performance-\(UUID().uuidString.prefix(8).lowercased())"
        // Its default mode (rd_kafka_consumer_poll per message) is its fastest here; -B 1000 was slower.
        let arguments = ["-G", group, "-t", topic, "-b", bootstrapServers, "-c", "\(messages)"] + settingArguments(consumerSettings)
        let (output, cpu) = try await runReference(arguments)
        // "% 1000000 messages (512000000 bytes) consumed in 1700ms: 588235 msgs/s (301.18 MB/s)"
        let numbers = try summary(output, matching: #/(\d+) messages \((\d+) bytes\) consumed in (\d+)ms/#)
        guard numbers[0] == messages else {
            throw ExternalCommandError(description: "rdkafka_performance consumed \(numbers[0]) messages:\n\(output)")
        }
        let result = Throughput(messages: numbers[0], bytes: numbers[1], elapsed: .milliseconds(numbers[2]), cpuSeconds: cpu)
        report("rdkafka_performance consume", result)
        return result
    }

    /// Runs rdkafka_performance; returns its output and the CPU time its whole run took.
    private func runReference(_ arguments: [String]) async throws -> (output: String, cpuSeconds: Double) {
        guard FileManager.default.isExecutableFile(atPath: rdkafkaPerformance) else {
            throw ValidationError("rdkafka_performance is not at \(rdkafkaPerformance): run Scripts/benchmark.sh kafka, which builds it")
        }
        let (status, standardOutput, standardError, cpuSeconds) = try await runToCompletion(rdkafkaPerformance, arguments, environment: [:])
        let output = standardOutput + standardError
        guard status == 0 else {
            throw ExternalCommandError(description: "rdkafka_performance exited with \(status):\n\(output)")
        }
        return (output, cpuSeconds)
    }

    /// The numbers in the last line of rdkafka_performance's output that matches: its final summary.
    private func summary(_ output: String, matching pattern: Regex<(Substring, Substring, Substring, Substring)>) throws -> [Int] {
        guard let match = output.split(separator: "\n").compactMap({ $0.firstMatch(of: pattern) }).last else {
            throw ExternalCommandError(description: "no summary in rdkafka_performance's output:\n\(output)")
        }
        return [match.output.1, match.output.2, match.output.3].map { Int($0) ?? 0 }
    }

    private func settingArguments(_ settings: [String: String]) -> [String] {
        settings.sorted { $0.key < $1.key }.flatMap { ["-X", "\($0.key)=\($0.value)"] }
    }

    // MARK: - The wrapper

    private func baseConfiguration() -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: bootstrapServers)
        configuration.clientID = "tongban-bench"
        configuration.statisticsInterval = .seconds(1)
        return configuration
    }

    private func wrapperProduce(topic: String, logger: Logger) async throws -> Throughput {
        var configuration = baseConfiguration()
        configuration.additionalSettings = producerSettings
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration, logger: logger)
        let message = KafkaProducerMessage(topic: topic, key: nil, value: [UInt8](repeating: UInt8(ascii: "x"), count: size))
        let expected = messages
        let clock = ContinuousClock()

        let startCPU = processCPUSeconds()
        let start = clock.now
        let (acknowledged, failed, end) = try await withThrowingTaskGroup(of: Deliveries?.self) { group in
            group.addTask {
                try await producer.run()
                return nil
            }
            // Delivery reports are counted while the messages are still being sent.
            group.addTask { await countDeliveries(events, expected: expected, clock: clock) }
            var sent = 0
            while sent < expected {
                if try queue(message, on: producer) {
                    sent += 1
                } else {
                    // As rdkafka_performance does: give the poll thread a moment to drain the queue.
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            var deliveries: Deliveries?
            while let finished = try await group.next() {
                guard let finished else { continue }
                deliveries = finished
                producer.triggerGracefulShutdown()
            }
            return deliveries!
        }
        guard failed == 0, acknowledged == expected else {
            throw ExternalCommandError(description: "the wrapper delivered \(acknowledged) messages, \(failed) failed")
        }
        let result = Throughput(
            messages: acknowledged, bytes: acknowledged * size, elapsed: end - start, cpuSeconds: processCPUSeconds() - startCPU
        )
        report("Shared/Kafka produce", result)
        return result
    }

    /// Sends a message; false when librdkafka's queue is full.
    private func queue(_ message: KafkaProducerMessage, on producer: KafkaProducer) throws -> Bool {
        do {
            try producer.send(message)
            return true
        } catch where error.code == .queueFull {
            return false
        }
    }

    private func wrapperConsume(topic: String, logger: Logger) async throws -> Throughput {
        var configuration = baseConfiguration()
        configuration.groupID = "tongban.bench.wrapper-\(UUID().uuidString.prefix(8).lowercased())"
        configuration.additionalSettings = consumerSettings
        let startCPU = processCPUSeconds()
        let consumer = try KafkaConsumer(configuration: configuration, topics: [topic], logger: logger)
        let expected = messages
        let clock = ContinuousClock()

        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await consumer.run() }
            var count = 0
            var bytes = 0
            var start: ContinuousClock.Instant?
            var last: KafkaConsumerMessage?
            for try await message in consumer.messages {
                // Timed from the first message, as rdkafka_performance does: the group join is not throughput.
                if start == nil { start = clock.now }
                count += 1
                bytes += message.value.count
                if count == expected {
                    last = message
                    break
                }
            }
            let end = clock.now
            if let last { try await consumer.commit(last) }
            consumer.triggerGracefulShutdown()
            try await group.waitForAll()
            guard count == expected, let start else {
                throw ExternalCommandError(description: "the wrapper consumed \(count) of \(expected) messages")
            }
            return Throughput(messages: count, bytes: bytes, elapsed: end - start, cpuSeconds: processCPUSeconds() - startCPU)
        }
        report("Shared/Kafka consume", result)
        return result
    }

    // MARK: - Figures

    private func report(_ what: String, _ throughput: Throughput) {
        print("\(pad(what, 28, left: true)) \(throughput.messages) messages in \(format(throughput.seconds)) s: \(Int(throughput.messagesPerSecond)) msgs/s, \(format(throughput.megabytesPerSecond)) MB/s, \(format(throughput.cpuSeconds)) s of CPU")
    }

    private func describe(_ settings: [String: String]) -> String {
        settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}

/// Messages acknowledged and failed, and when the last delivery report came.
typealias Deliveries = (acknowledged: Int, failed: Int, end: ContinuousClock.Instant)

/// Counts delivery reports until `expected` have come.
private func countDeliveries(_ events: KafkaProducerEvents, expected: Int, clock: ContinuousClock) async -> Deliveries {
    var acknowledged = 0
    var failed = 0
    for await event in events {
        guard case .deliveryReports(let reports) = event else { continue }
        for report in reports {
            if report.isAcknowledged { acknowledged += 1 } else { failed += 1 }
        }
        if acknowledged + failed >= expected { break }
    }
    return (acknowledged, failed, clock.now)
}

struct Throughput {
    var messages: Int
    var bytes: Int
    var elapsed: Duration
    /// CPU time of the whole client run (start to exit, the group join included): how much of the
    /// shared machine it took, which the broker then did not have.
    var cpuSeconds: Double

    var seconds: Double {
        let (seconds, attoseconds) = elapsed.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var messagesPerSecond: Double { Double(messages) / seconds }
    /// Megabytes of 10^6 bytes, as rdkafka_performance counts them.
    var megabytesPerSecond: Double { Double(bytes) / seconds / 1e6 }
}

private func format(_ value: Double) -> String {
    String(format: "%.2f", value)
}

private func pad(_ value: some CustomStringConvertible, _ width: Int, left: Bool = false) -> String {
    let text = value.description
    let padding = String(repeating: " ", count: max(width - text.count, 0))
    return left ? text + padding : padding + text
}
