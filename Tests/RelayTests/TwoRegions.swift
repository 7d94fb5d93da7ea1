import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Messaging
import Postgres
@testable import Relay
import ServiceKit
import ServiceTestSupport
import Signing
import TestSupport
import Testing

/// Two partner regions on one machine (跨省通办): A, 石家庄 130100, on the test profile's Tansu and
/// database; B, 济南 370100, on a Tansu broker and a database of its own. Each has its relay key
/// pair and a partner registry naming the other, with the other's inbox on the other's broker.
///
/// The regions' other services are played by publishing their events (`a.publish(…)`), or run as
/// their real executables (`a.start(.intake)`, `b.start(.approval)`: each its schema in its
/// region's database, on its region's broker) with the relays between them.
final class TwoRegions: Sendable {
    enum Side: Sendable { case a, b }

    static let regionA = "130100"
    static let nameA = "石家庄市"
    static let regionB = "370100"
    static let nameB = "济南市"

    let a: TestRegion
    let b: TestRegion
    let brokerB: TansuBroker
    let keyA = RelaySigningKey(keyID: "130100-relay-\(UUID().uuidString.prefix(4).lowercased())", privateKey: .init())
    let keyB: RelaySigningKey
    let folder: URL

    /// The relays' settings in these tests: short waits, so retries show within seconds, and a
    /// small envelope limit, so an oversized envelope is cheap to make.
    static let relaySettings = [
        "TONGBAN_RELAY_RECEIPT_TIMEOUT_SECONDS": "3",
        "TONGBAN_RELAY_DELIVERY_TIMEOUT_SECONDS": "2",
        "TONGBAN_RELAY_RETRY_LIMIT_SECONDS": "2",
        "TONGBAN_RELAY_MAX_ENVELOPE_BYTES": "65536",
        "TONGBAN_RELAY_CLOCK_SKEW_SECONDS": "300",
    ]

    /// B is 济南 unless told otherwise (the sample catalogue's partner is 北京 110100).
    init(regionB: String = TwoRegions.regionB, nameB: String = TwoRegions.nameB) async throws {
        brokerB = try await TansuBroker()
        keyB = RelaySigningKey(keyID: "\(regionB)-relay-\(UUID().uuidString.prefix(4).lowercased())", privateKey: .init())
        a = try TestRegion(region: Self.regionA)
        let logger = a.logger
        b = try TestRegion(region: regionB, cluster: try await .withOwnDatabase(kafkaBootstrapServers: brokerB.bootstrapServers, logger: logger))
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestInfrastructure.uniqueName("relay"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try write(keyA.privateJWK, to: "a-signing-key.jwk")
        try write(keyB.privateJWK, to: "b-signing-key.jwk")
        try write(Self.registry(region: regionB, name: nameB, key: keyB, bootstrapServers: b.cluster.kafkaBootstrapServers, inbox: b.topic(.relayInbox).name), to: "a-partners.json")
        try write(Self.registry(region: Self.regionA, name: Self.nameA, key: keyA, bootstrapServers: a.cluster.kafkaBootstrapServers, inbox: a.topic(.relayInbox).name), to: "b-partners.json")
    }

    func region(_ side: Side) -> TestRegion { side == .a ? a : b }
    func key(_ side: Side) -> RelaySigningKey { side == .a ? keyA : keyB }

    static func registry(region: String, name: String, key: RelaySigningKey, bootstrapServers: String, inbox: String) -> String {
        """
        {"partners": [{"region": "\(region)", "name": "\(name)", "keys": [\(key.publicJWK)],
          "inbox": {"bootstrapServers": "\(bootstrapServers)", "topic": "\(inbox)", "maximumEnvelopeBytes": \(relaySettings["TONGBAN_RELAY_MAX_ENVELOPE_BYTES"]!)}}]}
        """
    }

    func write(_ text: String, to name: String) throws {
        let path = folder.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    }

    /// The relay's environment for one side: its key file and partner registry, and the test settings.
    func relayEnvironment(_ side: Side, extra: [String: String] = [:]) -> [String: String] {
        let prefix = side == .a ? "a" : "b"
        return Self.relaySettings.merging([
            "TONGBAN_RELAY_SIGNING_KEY_FILE": folder.appendingPathComponent("\(prefix)-signing-key.jwk").path,
            "TONGBAN_RELAY_PARTNERS_FILE": folder.appendingPathComponent("\(prefix)-partners.json").path,
        ]) { $1 }.merging(extra) { $1 }
    }

    /// One side's relay, built as its executable builds it. Asked again, it is the same relay
    /// (schema, role, topic namespace) started anew over its own database: a restart.
    /// With `instanceOf`, another instance beside that running one: same role, password, schema.
    func relay(_ side: Side, instanceOf running: ServiceRuntime? = nil, environment extra: [String: String] = [:]) async throws -> (runtime: ServiceRuntime, app: some ApplicationProtocol) {
        let runtime = if let running {
            try ServiceRuntime(configuration: running.configuration, logger: running.logger, metrics: ServiceMetrics(), tokenVerifier: running.tokenVerifier)
        } else {
            try await region(side).runtime(for: .relay, environment: relayEnvironment(side, extra: extra))
        }
        let configuration = try RelaySettings(environment: EnvironmentVariables(relayEnvironment(side, extra: extra)), homeRegion: region(side).region)
        return (runtime, try await buildApplication(runtime: runtime, relay: configuration))
    }

    /// One side's HomeEventHandler over its relay's migrated schema, the relay not running: events
    /// applied by hand, and no delivery loop takes a case meanwhile.
    struct HomeEvents {
        let runtime: ServiceRuntime
        let handler: HomeEventHandler

        func apply(_ payload: some Encodable, as topic: Topic, key: String) async throws {
            let event = try Envelope(source: "/tongban/test/intake", type: topic.eventType, key: key, payload: payload)
            try await runtime.database.withTransaction { try await handler.apply(event, on: $0) }
        }
    }

    func homeEvents(_ side: Side) async throws -> HomeEvents {
        let relay = try await relay(side)
        let settings = try RelaySettings(environment: EnvironmentVariables(relayEnvironment(side)), homeRegion: region(side).region)
        return HomeEvents(runtime: relay.runtime, handler: HomeEventHandler(homeRegion: region(side).region, partners: settings.partners, logger: region(side).logger))
    }

    // MARK: Partners' envelopes, made by hand

    /// An envelope as `from`'s relay would sign it (or a forger, with another key).
    static func envelope(
        from sender: String, to receiver: String, kind: RelayEnvelopeKind, caseReference: String, sequence: Int,
        payload: some Encodable, issuedAt: Date = Date(), id: String = UUID().uuidString.lowercased(), key: RelaySigningKey
    ) throws -> [UInt8] {
        try PartnerEnvelope(
            id: id, sender: sender, receiver: receiver, kind: kind, caseReference: caseReference, sequence: sequence,
            issuedAt: issuedAt, payload: JSONValue(parsing: Envelope.encode(payload)), keyID: key.keyID
        ).signed(with: key)
    }

    /// Puts raw bytes on `side`'s inbox, as a partner's producer would, under `kafkaKey`.
    func deliver(_ value: [UInt8], to side: Side, kafkaKey: String) async throws {
        try await region(side).publish(Envelope(source: "/tongban/test/relay", type: Topic.relayInbox.eventType, key: kafkaKey, data: value), to: .relayInbox)
    }
}

// MARK: Sample cases

enum Samples {
    /// Whole seconds: events carry milliseconds, and a sample must compare equal after the trip.
    static let accepted = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    static let applicant = ApplicantRecord(kind: .enterprise, name: "河北冀鲁餐饮管理有限公司", identifier: "91130102MA0CXXXX1B", account: "applicant-7")
    static let licence = LicenceKind(type: "food-business-licence", name: "食品经营许可证", validityYears: 5)

    /// A matter needing the materials `materials` (none: the sample case's lease reference never
    /// travels, so a partner releases the case at once).
    static func matter(_ code: String, region: String, department: String = "market-regulation", materials: [String] = []) -> CaseSubmitted.Matter {
        .init(code: code, name: "事项 \(code)", department: department, departmentName: "\(region) \(department)", region: region,
              legalLimitDays: 20, promisedLimitDays: 5, mode: .standard, licence: licence, materials: materials)
    }

    /// A case number of `region`'s windows, unique per test run.
    static func caseNumber(_ region: String) -> String {
        "\(region)-20261123-\(String(format: "%06d", Int.random(in: 1...999_999)))"
    }

    static func submitted(_ caseNumber: String, region: String, matters: [CaseSubmitted.Matter], deficiencies: [CaseSubmitted.Deficiency] = []) -> CaseSubmitted {
        CaseSubmitted(
            caseNumber: caseNumber, region: region, bundle: matters.count > 1 ? .init(code: "open-restaurant", name: "开餐馆一件事") : nil,
            applicant: applicant, acceptedAt: accepted, catalogueVersion: "2026.11", matters: matters,
            materials: [MaterialReference(code: "lease", name: "经营场所租赁合同", mediaType: "application/pdf", sha256: String(repeating: "ab", count: 32), size: 20480, location: "/cases/\(caseNumber)/materials/1")],
            deficiencies: deficiencies
        )
    }

    static let deadlines = TaskDeadlines(legalLimitDays: 20, promisedLimitDays: 5, legalDeadline: accepted.addingTimeInterval(30 * 86400), promisedDeadline: accepted.addingTimeInterval(7 * 86400))

    static func decision(_ matter: CaseSubmitted.Matter, taskID: String, outcome: DecisionOutcome = .approved) -> MatterDecision {
        MatterDecision(taskID: taskID, matterCode: matter.code, matterName: matter.name, department: matter.department, departmentName: matter.departmentName,
                       mode: .standard, outcome: outcome, legalBasis: outcome == .rejected ? "《行政许可法》第三十八条" : nil, decidedBy: "officer-3",
                       decidedAt: accepted.addingTimeInterval(3600), deadlines: deadlines, onTime: true, licence: outcome == .approved ? licence : nil)
    }

    static func licenceSummary(_ matter: CaseSubmitted.Matter, number: String) -> LicenceSummary {
        LicenceSummary(licenceNumber: number, matterCode: matter.code, kind: licence, holderName: applicant.name, issuingRegion: matter.region,
                       validFrom: accepted.addingTimeInterval(7200), validUntil: nil, verificationURL: "http://127.0.0.1:8084/verifications/4f9c2a7be1d04c6a9b3e5f7a2c8d1e06")
    }
}

/// Rows of one of a relay's tables, counted.
func count(_ sql: PostgresQuery, in runtime: ServiceRuntime) async throws -> Int {
    try await runtime.database.query(sql).decode(Int.self).first ?? 0
}
