import Foundation
import Messaging
import Testing

/// The event payload types and the JSON Schemas in Docs/asyncapi.yaml are written side by side;
/// these tests keep them in agreement, so a department building against the document alone reads
/// exactly what the services write.
@Suite("event contracts: payload types against their published schemas")
struct EventContractTests {
    static let accepted = Date(timeIntervalSince1970: 1_795_400_000)
    static let applicant = ApplicantRecord(kind: .enterprise, name: "石家庄市长安区好味道餐饮有限公司", identifier: "91130102MA0CXXXX1B", account: "applicant-7")
    static let deadlines = TaskDeadlines(legalLimitDays: 20, promisedLimitDays: 5, legalDeadline: accepted.addingTimeInterval(30 * 86400), promisedDeadline: accepted.addingTimeInterval(7 * 86400))
    static let licence = LicenceKind(type: "food-business-licence", name: "食品经营许可证", validityYears: 5)
    static let material = MaterialReference(code: "lease", name: "经营场所租赁合同", mediaType: "application/pdf", sha256: String(repeating: "ab", count: 32), size: 20480, location: "/cases/130100-20261123-000042/materials/1")
    static let decision = MatterDecision(taskID: "t-1", matterCode: "130100-SC-001", matterName: "食品经营许可", department: "market-regulation", departmentName: "石家庄市市场监督管理局", mode: .standard, outcome: .rejected, legalBasis: "《食品经营许可和备案管理办法》第十二条", decidedBy: "officer-17", decidedAt: accepted.addingTimeInterval(86400), deadlines: deadlines, onTime: true, licence: licence)

    /// One realistic payload per topic, by topic name.
    static let samples: [String: any Encodable & Sendable] = {
        var samples: [String: any Encodable & Sendable] = [:]
        let caseSubmitted: CaseSubmitted = CaseSubmitted(
            caseNumber: "130100-20261123-000042", region: "130100",
            bundle: .init(code: "open-restaurant", name: "开餐馆一件事"), applicant: Self.applicant, acceptedAt: Self.accepted, catalogueVersion: "2026.11",
            matters: [.init(code: "130100-SC-001", name: "食品经营许可", department: "market-regulation", departmentName: "石家庄市市场监督管理局", region: "130100", legalLimitDays: 20, promisedLimitDays: 5, mode: .commitment, stepsBeforeDecision: ["joint-inspection"], verificationLimitDays: 10, licence: Self.licence)],
            materials: [Self.material],
            deficiencies: [.init(matterCode: "130100-SC-001", materialCode: "health-certificate", name: "从业人员健康证明", dueBy: "2026-11-30")],
            commitments: [.init(matterCode: "130100-SC-001", statement: "本人承诺经营场所符合食品安全要求，如有不实愿承担法律责任。", replacesMaterials: ["health-certificate"])],
            handedOverFrom: .init(region: "110100", caseNumber: "110100-20261120-000007")
        )
        samples[Topic.caseSubmitted.eventType] = caseSubmitted
        let caseReceived: CaseSubmitted = CaseSubmitted(caseNumber: "130100-20261123-000043", region: "110100", bundle: nil, applicant: Self.applicant, acceptedAt: Self.accepted, catalogueVersion: "2026.11", matters: [], materials: [], deficiencies: [])
        samples[Topic.caseReceived.eventType] = caseReceived
        let materialsSupplemented: MaterialsSupplemented = MaterialsSupplemented(caseNumber: "130100-20261123-000042", materials: [Self.material], answers: ["r-1"], supplementedAt: Self.accepted)
        samples[Topic.materialsSupplemented.eventType] = materialsSupplemented
        samples[Topic.handedInMaterialsSupplemented.eventType] = materialsSupplemented
        let chunk = MaterialChunk(caseNumber: "130100-20261123-000042", sha256: String(repeating: "ab", count: 32), index: 0, count: 2, data: Data("%PDF-1.7".utf8))
        samples[Topic.materialChunk.eventType] = chunk
        samples[Topic.receivedMaterialChunk.eventType] = chunk
        let caseWithdrawn: CaseWithdrawn = CaseWithdrawn(caseNumber: "130100-20261123-000042", reason: "选址变更", withdrawnAt: Self.accepted)
        samples[Topic.caseWithdrawn.eventType] = caseWithdrawn
        samples[Topic.handedInCaseWithdrawn.eventType] = caseWithdrawn
        let tasksOpened: TasksOpened = TasksOpened(caseNumber: "130100-20261123-000042", region: "130100", acceptedAt: Self.accepted, tasks: [.init(taskID: "t-1", matterCode: "130100-SC-001", matterName: "食品经营许可", department: "market-regulation", departmentName: "石家庄市市场监督管理局", mode: .standard, deadlines: Self.deadlines)])
        samples[Topic.tasksOpened.eventType] = tasksOpened
        let supplementRequested: SupplementRequested = SupplementRequested(caseNumber: "130100-20261123-000042", requestID: "r-1", taskID: "t-1", matterCode: "130100-SC-001", department: "market-regulation", items: [.init(materialCode: "floor-plan", name: "经营场所平面图")], reason: "平面图不清晰", requestedAt: Self.accepted)
        samples[Topic.supplementRequested.eventType] = supplementRequested
        let taskResumed: TaskResumed = TaskResumed(caseNumber: "130100-20261123-000042", taskID: "t-1", requestID: "r-1", resumedAt: Self.accepted, deadlines: Self.deadlines)
        samples[Topic.taskResumed.eventType] = taskResumed
        let taskDecided: TaskDecided = TaskDecided(caseNumber: "130100-20261123-000042", region: "130100", decision: Self.decision)
        samples[Topic.taskDecided.eventType] = taskDecided
        let bundleDecided: BundleDecided = BundleDecided(caseNumber: "130100-20261123-000042", region: "130100", bundle: .init(code: "open-restaurant", name: "开餐馆一件事"), applicant: Self.applicant, acceptedAt: Self.accepted, decidedAt: Self.accepted, decisions: [Self.decision], onTime: true)
        samples[Topic.bundleDecided.eventType] = bundleDecided
        let decisionRevoked: DecisionRevoked = DecisionRevoked(caseNumber: "130100-20261123-000042", taskID: "t-1", matterCode: "130100-SC-001", department: "market-regulation", reason: "承诺核查不符", legalBasis: "《行政许可法》第六十九条", revokedBy: "officer-17", revokedAt: Self.accepted, suspendedUntil: Self.accepted.addingTimeInterval(30 * 86400))
        samples[Topic.decisionRevoked.eventType] = decisionRevoked
        let licencesIssued: LicencesIssued = LicencesIssued(caseNumber: "130100-20261123-000042", issuedAt: Self.accepted, licences: [.init(licenceNumber: "JY11301020012345", matterCode: "130100-SC-001", kind: Self.licence, holderName: applicant.name, issuingRegion: "130100", validFrom: Self.accepted, validUntil: nil, verificationURL: "http://127.0.0.1:8084/verifications/4f9c2a7be1d04c6a9b3e5f7a2c8d1e06")], refused: [.init(matterCode: "130100-GG-002", matterName: "公共场所卫生许可", legalBasis: "《公共场所卫生管理条例》第八条")])
        samples[Topic.licencesIssued.eventType] = licencesIssued
        let progress = CaseProgress(caseNumber: "130100-20261123-000042", status: .supplementRequested, occurredAt: Self.accepted,
                                    matters: [.init(matterCode: "370100-SC-001", matterName: "食品经营许可", department: "market-regulation", departmentName: "济南市市场监督管理局", promisedDeadline: Self.accepted)],
                                    note: "平面图不清晰", supplementItems: [.init(materialCode: "floor-plan", name: "经营场所平面图")])
        let partnerUpdate: PartnerUpdate = PartnerUpdate(caseNumber: "130100-20261123-000042", partnerRegion: "370100", partnerName: "济南市", kind: .result, status: .licencesIssued, occurredAt: Self.accepted,
                                                         licences: [.init(licenceNumber: "JY13701020000001", matterCode: "370100-SC-001", kind: Self.licence, holderName: applicant.name, issuingRegion: "370100", validFrom: Self.accepted, validUntil: nil, verificationURL: "https://jinan.example/verifications/4f9c2a7be1d04c6a9b3e5f7a2c8d1e06")],
                                                         refused: [])
        samples[Topic.partnerUpdate.eventType] = partnerUpdate
        samples[Topic.relayInbox.eventType] = RelayEnvelopeSample(id: "5c1b1d1e-0000-4000-8000-000000000001", sender: "370100", receiver: "130100", kind: "status",
                                                                  caseReference: "130100-20261123-000042", sequence: 3, issuedAt: Self.accepted, payload: progress,
                                                                  keyID: "370100-relay-2026", signature: "z3yMApqCuCjXDWPrbjfR5mjCPTHqFG8Pux1TxQrEM35jQ")
        let alertRaised: AlertRaised = AlertRaised(
            alertID: "a-1", subject: .task, subjectID: "t-1", light: .yellow, caseNumber: "130100-20261123-000042",
            department: "market-regulation", departmentName: "石家庄市市场监督管理局", matterCode: "130100-SC-001", matterName: "食品经营许可",
            limitDays: 5, deadline: Self.accepted.addingTimeInterval(7 * 86400), remainingWorkingDays: 0.75, raisedAt: Self.accepted.addingTimeInterval(5 * 86400)
        )
        samples[Topic.alertRaised.eventType] = alertRaised
        return samples
    }()

    static func payload(_ value: any Encodable & Sendable, topic: Topic) throws -> [UInt8] {
        try Envelope(source: "/tongban/130100/test", type: topic.eventType, key: "130100-20261123-000042", payload: value).data
    }

    static let eventTopics = TopicRegistry.all.filter { !$0.isDeadLetterTopic }.map(\.name)

    @Test("every event topic has a sample payload here", arguments: eventTopics)
    func everyTopicHasASample(name: String) throws {
        let topic = try #require(TopicRegistry.topic(named: name))
        #expect(Self.samples[topic.eventType] != nil, "add a sample of \(topic.name)'s payload")
    }

    @Test("what the services write satisfies the topic's published schema", arguments: eventTopics)
    func samplesConform(name: String) throws {
        let topic = try #require(TopicRegistry.topic(named: name))
        let sample = try #require(Self.samples[topic.eventType])
        #expect(topic.violations(of: try Self.payload(sample, topic: topic)) == [])
    }

    @Test("the validator names what is wrong: a missing field, an unknown mode, an extra property, a bad case number")
    func violationsAreNamed() throws {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(try Self.payload(Self.samples[Topic.caseSubmitted.eventType]!, topic: .caseSubmitted))) as? [String: Any])
        json["acceptedAt"] = nil
        json["caseNumber"] = "130100-2026-42"
        json["surprise"] = true
        var matters = try #require(json["matters"] as? [[String: Any]])
        matters[0]["mode"] = "fast-track"
        json["matters"] = matters
        let violations = Topic.caseSubmitted.violations(of: Array(try JSONSerialization.data(withJSONObject: json)))
        #expect(violations.contains("$.acceptedAt: is required"))
        #expect(violations.contains { $0.hasPrefix("$.caseNumber: '130100-2026-42' does not match") })
        #expect(violations.contains("$.surprise: is not a property of this payload"))
        #expect(violations.contains("$.matters[0].mode: 'fast-track' is not one of standard, commitment, immediate"))
        #expect(violations.count == 4)
        #expect(Topic.caseSubmitted.violations(of: Array("not json".utf8)) == ["$: not JSON"])
    }

    @Test("true is not an integer and 1 is not a boolean")
    func booleansAndNumbers() {
        let schema = Schema.object([("size", Schema.integer("n")), ("onTime", Schema.boolean("b"))], required: [])
        #expect(SchemaValidator(schema).violations(of: Array(#"{"size":true,"onTime":1}"#.utf8)).sorted() == ["$.onTime: must be a boolean", "$.size: must be an integer"])
    }
}

/// The inbox's envelope as a partner's relay writes it (the signature here is only of the right form).
struct RelayEnvelopeSample: Encodable, Sendable {
    var id: String
    var sender: String
    var receiver: String
    var kind: String
    var caseReference: String
    var sequence: Int
    var issuedAt: Date
    var payload: CaseProgress
    var keyID: String
    var signature: String
}
