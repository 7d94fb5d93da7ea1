import ArgumentParser
import AsyncHTTPClient
import Foundation
import Messaging
import NIOCore
import NIOHTTP1
import TongbanClient

/// `tongban-bench transfer`: 跨省通办's materials from one region to another, beside
/// rdkafka_performance on the same broker in the same run. Scripts/benchmark.sh transfer starts the
/// five services of 石家庄 and the partner region 北京's relay, approval and seal (as Scripts/run.sh
/// does) on the bench profile's PostgreSQL and Tansu.
struct TransferBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Megabytes per second of materials handed over to a partner region, to its officers' task list, beside rdkafka_performance.",
        discussion: """
            --cases applications of 北京's beijing-branch-registration are registered at 石家庄's window, each \
            with four materials, one of them a scan of --document-bytes. The clock runs from the first \
            registration until 北京's officer sees every case among the open tasks — released there only \
            once every material came whole and matched the digest 石家庄 signed — and one case's scan, \
            downloaded from 北京's approval, matches. The rate counts the materials' bytes. Beside it: \
            rdkafka_performance producing and consuming the same bytes in messages of the partner's \
            envelope size, on the same broker.
            """
    )

    @Option(help: "Cases handed over.")
    var cases = 20

    @Option(help: "Bytes of each case's large scan (the premises proof).")
    var documentBytes = 2_000_000

    @Option(help: "Applications registered at once.")
    var concurrency = 4

    @Option(help: "The partner's envelope size (its TONGBAN_RELAY_MAX_ENVELOPE_BYTES), for rdkafka_performance's messages.")
    var envelopeBytes = 524_288

    @Option(help: "rdkafka_performance, as Scripts/setup.sh --benchmark-tools builds it.")
    var rdkafkaPerformance = ".local/tools/bin/rdkafka_performance"

    @Option(help: "Longest wait for every case to reach the partner's officers, in seconds.")
    var settleTimeout = 600

    static let materials = ["applicant-identity", "branch-registration-application", "parent-company-licence", "premises-proof"]

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let intake = environment["TONGBAN_INTAKE_URL"], let partnerApproval = environment["TONGBAN_PARTNER_APPROVAL_URL"],
              let bootstrapServers = environment["TONGBAN_KAFKA_BOOTSTRAP_SERVERS"]
        else {
            throw ExternalCommandError(description: "TONGBAN_INTAKE_URL, TONGBAN_PARTNER_APPROVAL_URL and TONGBAN_KAFKA_BOOTSTRAP_SERVERS must be set: run through Scripts/benchmark.sh transfer")
        }
        let clerk = try await SystemClient.issueToken(["--role", "clerk", "--subject", "bench-clerk-1", "--region", "130100"])
        let officer = try await SystemClient.issueToken(["--role", "officer", "--subject", "bench-bj-officer-1", "--department", "market-regulation", "--region", "110100"])
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(120))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await measure(http: http, intake: intake, partnerApproval: partnerApproval, bootstrapServers: bootstrapServers, clerk: clerk, officer: officer)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    func measure(http: HTTPClient, intake: String, partnerApproval: String, bootstrapServers: String, clerk: String, officer: String) async throws {

        let scans = (0..<cases).map { _ in Data("%PDF-1.7\n".utf8) + Data((0..<documentBytes).map { _ in UInt8.random(in: 0...255) }) }
        let applications = scans.enumerated().map { index, scan in
            ApplicationRequest(
                matter: "beijing-branch-registration",
                applicant: .init(name: "石家庄燕赵精密仪器有限公司", unifiedSocialCreditCode: "91350100M000100Y43"),
                site: .init(divisionCode: "130102", address: "石家庄市长安区中山东路 \(index + 1) 号"),
                materials: Self.materials.map { MaterialUpload.document($0, content: $0 == "premises-proof" ? scan : nil) }
            )
        }
        let totalBytes = applications.reduce(0) { total, application in
            total + application.materials.reduce(0) { $0 + (Data(base64Encoded: $1.contentBase64)?.count ?? 0) }
        }
        print("transfer: \(cases) cases for 北京, each with \(Self.materials.count) materials (a scan of \(documentBytes) bytes); \(totalBytes) bytes of materials in all")

        // 1. The reference, on the same broker, before the load.
        let reference = try await referenceRates(bootstrapServers: bootstrapServers, bytes: totalBytes)

        // 2. Registrations at 石家庄's window, then 北京's officer's task list until every case is there.
        let clock = ContinuousClock()
        let start = clock.now
        var numbers: [String] = []
        var scanOf: [String: Data] = [:]
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var next = 0
            func submit(_ index: Int) {
                let body = try! Envelope.encoder.encode(applications[index])
                group.addTask {
                    var request = HTTPClientRequest(url: intake + "/cases")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(clerk)")
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.headers.add(name: "Idempotency-Key", value: UUID().uuidString)
                    request.body = .bytes(ByteBuffer(bytes: body))
                    let response = try await http.execute(request, timeout: .seconds(120))
                    let answer = try await response.body.collect(upTo: 1 << 20)
                    guard response.status == .created else {
                        throw ExternalCommandError(description: "intake answered \(response.status.code): \(String(buffer: answer))")
                    }
                    return (index, try Envelope.decoder.decode(CaseReceipt.self, from: Data(answer.readableBytesView)).caseNumber)
                }
            }
            while next < min(concurrency, cases) { submit(next); next += 1 }
            while let (index, number) = try await group.next() {
                numbers.append(number)
                scanOf[number] = scans[index]
                if next < cases { submit(next); next += 1 }
            }
        }
        let registered = clock.now - start
        var seen: [String: String] = [:]
        let deadline = clock.now + .seconds(settleTimeout)
        while seen.count < cases, clock.now < deadline {
            var request = HTTPClientRequest(url: partnerApproval + "/tasks?state=open&limit=500")
            request.headers.add(name: "Authorization", value: "Bearer \(officer)")
            let response = try await http.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 64 << 20)
            for task in try Envelope.decoder.decode(DepartmentTaskList.self, from: Data(body.readableBytesView)).tasks where numbers.contains(task.caseNumber) {
                seen[task.caseNumber] = task.id
            }
            if seen.count < cases { try await Task.sleep(for: .milliseconds(50)) }
        }
        let elapsed = clock.now - start
        guard seen.count == cases else {
            throw ExternalCommandError(description: "only \(seen.count) of \(cases) cases reached 北京's officers within \(settleTimeout) s")
        }

        // 3. One case's scan as 北京's officer reads it: the bytes 石家庄's applicant handed in.
        let number = numbers[0]
        let task = try await get(partnerApproval + "/tasks/\(seen[number] ?? "")", token: officer, http: http)
        let listed = try Envelope.decoder.decode(DepartmentTask.self, from: task).materials ?? []
        guard listed.count == Self.materials.count, let location = listed.first(where: { $0.code == "premises-proof" })?.location,
              try await get(partnerApproval + location, token: officer, http: http) == scanOf[number]
        else {
            throw ExternalCommandError(description: "case \(number)'s materials did not arrive intact at 北京")
        }

        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(totalBytes) / seconds / 1e6
        print("")
        print("| what | MB/s |")
        print("| --- | --- |")
        print("| materials 石家庄 → 北京, registration to the partner officer's task list (\(cases) cases, \(format(seconds)) s; registrations took \(format(Double(registered.components.seconds))) s) | \(format(rate)) |")
        print("| rdkafka_performance produce, \(envelopeBytes)-byte messages, same bytes, same broker | \(format(reference.produce)) |")
        print("| rdkafka_performance consume, same messages | \(format(reference.consume)) |")
        print("| transfer / rdkafka_performance produce | \(format(rate / reference.produce * 100)) % |")
    }

    func referenceRates(bootstrapServers: String, bytes: Int) async throws -> (produce: Double, consume: Double) {
        guard FileManager.default.isExecutableFile(atPath: rdkafkaPerformance) else {
            throw ValidationError("rdkafka_performance is not at \(rdkafkaPerformance): run through Scripts/benchmark.sh transfer, which builds it")
        }
        let topic = "tongban.bench.transfer-\(UUID().uuidString.prefix(8).lowercased())"
        let messages = max(1, bytes / envelopeBytes)
        let produce = try await runToCompletion(rdkafkaPerformance, ["-P", "-t", topic, "-b", bootstrapServers, "-s", "\(envelopeBytes)", "-c", "\(messages)"], environment: [:])
        let consume = try await runToCompletion(rdkafkaPerformance, ["-G", "tongban.bench.transfer-\(UUID().uuidString.prefix(8))", "-t", topic, "-b", bootstrapServers, "-c", "\(messages)"], environment: [:])
        // "% 40 messages produced (20971520 bytes), 40 delivered (offset 0, 0 failed) in 400ms: 100 msgs/s and 52.43 MB/s, …"
        // "% 40 messages (20971520 bytes) consumed in 300ms: 133 msgs/s (69.91 MB/s)"
        func megabytes(_ output: String, _ pattern: Regex<(Substring, Substring)>) throws -> Double {
            guard let match = output.split(separator: "\n").compactMap({ $0.firstMatch(of: pattern) }).last, let value = Double(match.output.1) else {
                throw ExternalCommandError(description: "no summary in rdkafka_performance's output:\n\(output)")
            }
            return value
        }
        return (try megabytes(produce.output + produce.errors, #/delivered.* and ([0-9.]+) MB\/s/#),
                try megabytes(consume.output + consume.errors, #/consumed in \d+ms: \d+ msgs\/s \(([0-9.]+) MB\/s\)/#))
    }

    func get(_ url: String, token: String, http: HTTPClient) async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await http.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else { throw ExternalCommandError(description: "GET \(url) answered \(response.status.code): \(String(buffer: body))") }
        return Data(body.readableBytesView)
    }

    func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
