@testable import Approval
import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import Postgres
import ServiceKit
import ServiceTestSupport
import TestSupport
import Testing
import TongbanClient

/// Approval through its HTTP API, its PostgreSQL schema and Tansu: the test plays intake by
/// publishing its events, the officers through the API, and reads what approval publishes.
@Suite("the approval service")
struct ApprovalServiceTests {
    @Test("a three-department bundle is decided once, after the third department decided, in any order")
    func threeDepartmentBundle() async throws {
        let fixture = try ApprovalFixture()
        let caseNumber = ApprovalFixture.caseNumber()
        try await fixture.withApproval { client, runtime in
            _ = try await fixture.region.publish(
                ApprovalFixture.submission(caseNumber, matters: [ApprovalFixture.constructionPermit, ApprovalFixture.planningPermit, ApprovalFixture.businessLicence]),
                to: .caseSubmitted, key: caseNumber
            )
            let housing = try await fixture.officer("housing-construction")
            let resources = try await fixture.officer("natural-resources")
            let market = try await fixture.officer("market-regulation")
            let housingTask = try #require(try await client.awaitTasks(token: housing, caseNumber: caseNumber).first)
            let resourcesTask = try #require(try await client.awaitTasks(token: resources, caseNumber: caseNumber).first)
            let marketTask = try #require(try await client.awaitTasks(token: market, caseNumber: caseNumber).first)
            // All three open at once, each with its own limits: 10 working days promised from
            // Monday 23 November ends with Monday 7 December; 3 with Thursday 26 November.
            #expect([housingTask.state, resourcesTask.state, marketTask.state] == [.open, .open, .open])
            #expect(housingTask.deadlines.promisedDeadline == at("2026-12-08T00:00:00+08:00"))
            #expect(housingTask.deadlines.legalDeadline == at("2026-12-22T00:00:00+08:00"))
            #expect(marketTask.deadlines.promisedDeadline == at("2026-11-27T00:00:00+08:00"))
            #expect(housingTask.nextStep == "joint-inspection")

            let opened = try await fixture.region.events(on: .tasksOpened, key: caseNumber).first?.payload(TasksOpened.self)
            #expect(opened?.tasks.map(\.department) == ["housing-construction", "natural-resources", "market-regulation"])

            // The market regulator decides first, the resources bureau second: the case stays open.
            fixture.clock.set("2026-11-24T10:00:00+08:00")
            let marketDecision = try await client.call(.post, "/tasks/\(marketTask.id)/approval", token: market, json: #"{"legalBasis":"《市场主体登记管理条例》第十九条"}"#)
            #expect(marketDecision.status == .ok)
            fixture.clock.set("2026-11-25T10:00:00+08:00")
            let resourcesDecision = try await client.call(.post, "/tasks/\(resourcesTask.id)/rejection", token: resources,
                                                         json: #"{"legalBasis":"《城乡规划法》第四十条","reason":"总平面图与控制性详细规划不符"}"#)
            #expect(resourcesDecision.status == .ok)
            #expect(try await client.task(housingTask.id, token: housing)?.case?.state == .open)
            #expect(try await ApprovalFixture.committed(.bundleDecided, caseNumber: caseNumber, in: runtime) == 0)

            // Housing must record the joint inspection (联合踏勘) before it decides.
            fixture.clock.set("2026-11-26T10:00:00+08:00")
            let early = try await client.call(.post, "/tasks/\(housingTask.id)/approval", token: housing, json: "{}")
            #expect(early.status == .conflict)
            #expect(early.problem?.type == "urn:tongban:problem:steps-outstanding")
            let wrongStep = try await client.call(.post, "/tasks/\(housingTask.id)/inspections", token: housing, json: #"{"step":"fire-check","result":"passed","findings":"—"}"#)
            #expect(wrongStep.status == .unprocessableContent)
            #expect(wrongStep.problem?.errors?.map(\.field) == ["step"])
            let inspection = try await client.call(.post, "/tasks/\(housingTask.id)/inspections", token: housing,
                                                  json: #"{"step":"joint-inspection","result":"passed","findings":"现场与图纸一致"}"#)
            #expect(inspection.status == .created)
            let housingDecision = try await client.call(.post, "/tasks/\(housingTask.id)/approval", token: housing, json: #"{"comment":"准予许可"}"#)
            #expect(housingDecision.status == .ok)

            // Exactly one bundle decision, carrying all three, decided when the third one was.
            let bundles = try await fixture.eventsAfterTheFirst(on: .bundleDecided, caseNumber: caseNumber)
            #expect(bundles.count == 1)
            #expect(try await ApprovalFixture.committed(.bundleDecided, caseNumber: caseNumber, in: runtime) == 1)
            let bundle = try #require(bundles.first?.payload(BundleDecided.self))
            #expect(bundle.decidedAt == at("2026-11-26T10:00:00+08:00"))
            #expect(bundle.bundle?.code == "construction-start")
            #expect(bundle.applicant.account == "enterprise-88")
            let outcomes = Dictionary(uniqueKeysWithValues: bundle.decisions.map { ($0.matterCode, $0.outcome) })
            #expect(outcomes == ["construction-permit": .approved, "planning-permit": .rejected, "business-licence": .approved])
            let refusal = bundle.decisions.first { $0.matterCode == "planning-permit" }
            #expect(refusal?.legalBasis == "《城乡规划法》第四十条")
            #expect(refusal?.decidedBy == "officer-natural-resources")
            #expect(refusal?.deadlines.promisedDeadline == at("2026-12-08T00:00:00+08:00"))
            #expect(bundle.decisions.allSatisfy(\.onTime) && bundle.onTime)
            #expect(try await client.task(housingTask.id, token: housing)?.case?.state == .decided)

            let decided = try await fixture.region.events(on: .taskDecided, key: caseNumber, count: 3)
            #expect(decided.compactMap { $0.payload(TaskDecided.self)?.decision.department } == ["market-regulation", "natural-resources", "housing-construction"])

            // Deciding it again is a conflict.
            let again = try await client.call(.post, "/tasks/\(marketTask.id)/rejection", token: market, json: #"{"legalBasis":"x","reason":"y"}"#)
            #expect(again.status == .conflict)
            #expect(again.problem?.type == "urn:tongban:problem:already-decided")
        }
    }

    @Test("to an officer of another department the task does not exist (404, as a missing one); an officer of another region is refused (403) whatever the task; nothing changes")
    func otherDepartmentIsForbidden() async throws {
        let fixture = try ApprovalFixture()
        let caseNumber = ApprovalFixture.caseNumber()
        try await fixture.withApproval { client, _ in
            _ = try await fixture.region.publish(ApprovalFixture.submission(caseNumber, matters: [ApprovalFixture.planningPermit]), to: .caseSubmitted, key: caseNumber)
            let resources = try await fixture.officer("natural-resources")
            let task = try #require(try await client.awaitTasks(token: resources, caseNumber: caseNumber).first)

            let health = try await fixture.officer("health")
            for (method, path, body) in [
                (HTTPRequest.Method.get, "/tasks/\(task.id)", nil),
                (.post, "/tasks/\(task.id)/approval", "{}"),
                (.post, "/tasks/\(task.id)/claim", nil),
            ] as [(HTTPRequest.Method, String, String?)] {
                let response = try await client.call(method, path, token: health, json: body)
                let missing = try await client.call(method, path.replacingOccurrences(of: "\(task.id)", with: "\(UUID())"), token: health, json: body)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(response.problem?.type == "urn:tongban:problem:not-found")
                #expect(missing.status == .notFound && missing.problem?.detail == response.problem?.detail)
            }
            #expect(try await client.tasks(token: health).isEmpty)

            let elsewhere = try await fixture.officer("natural-resources", region: "130200")
            let response = try await client.call(.post, "/tasks/\(task.id)/approval", token: elsewhere, json: "{}")
            #expect(response.status == .forbidden)
            #expect(try await client.call(.post, "/tasks/\(UUID())/approval", token: elsewhere, json: "{}").status == .forbidden)
            // Before anything of the request is read: a malformed id or body changes nothing.
            #expect(try await client.call(.post, "/tasks/not-a-task/approval", token: elsewhere, json: "{not json").status == .forbidden)

            #expect(try await client.task(task.id, token: resources)?.state == .open)
        }
    }

    @Test("a rejection without a legal basis is a 422 naming the field, and nothing is decided")
    func rejectionNeedsALegalBasis() async throws {
        let fixture = try ApprovalFixture()
        let caseNumber = ApprovalFixture.caseNumber()
        try await fixture.withApproval { client, _ in
            _ = try await fixture.region.publish(ApprovalFixture.submission(caseNumber, matters: [ApprovalFixture.businessLicence]), to: .caseSubmitted, key: caseNumber)
            let market = try await fixture.officer("market-regulation")
            let task = try #require(try await client.awaitTasks(token: market, caseNumber: caseNumber).first)

            for body in [#"{"reason":"经营范围涉及前置许可"}"#, #"{"legalBasis":"   ","reason":"经营范围涉及前置许可"}"#] {
                let response = try await client.call(.post, "/tasks/\(task.id)/rejection", token: market, json: body)
                #expect(response.status == .unprocessableContent)
                #expect(response.problem?.type == "urn:tongban:problem:unprocessable")
                #expect(response.problem?.errors?.map(\.field) == ["legalBasis"])
            }
            // A body that is not the right shape at all stays a 400.
            let malformed = try await client.call(.post, "/tasks/\(task.id)/rejection", token: market, json: #"{"legalBasis":42}"#)
            #expect(malformed.status == .badRequest)
            #expect(try await client.task(task.id, token: market)?.state == .open)

            let rejected = try await client.call(.post, "/tasks/\(task.id)/rejection", token: market,
                                                json: #"{"legalBasis":"《市场主体登记管理条例》第二十六条","reason":"经营范围涉及前置许可"}"#)
            #expect(rejected.status == .ok)
            let decision = try rejected.decode(TongbanClient.DepartmentTask.self).decision
            #expect(decision?.outcome == .rejected)
            #expect(decision?.legalBasis == "《市场主体登记管理条例》第二十六条")
        }
    }

    @Test("a supplement request stops the clock; the supplement resumes it with deadlines moved by the suspended working time")
    func supplementSuspendsTheClock() async throws {
        let fixture = try ApprovalFixture()
        let caseNumber = ApprovalFixture.caseNumber()
        try await fixture.withApproval { client, _ in
            _ = try await fixture.region.publish(ApprovalFixture.submission(caseNumber, matters: [ApprovalFixture.planningPermit]), to: .caseSubmitted, key: caseNumber)
            let resources = try await fixture.officer("natural-resources")
            let task = try #require(try await client.awaitTasks(token: resources, caseNumber: caseNumber).first)
            // Accepted Monday 23 November: promised 10 working days end with Monday 7 December,
            // legal 20 with Monday 21 December.
            #expect(task.deadlines.promisedDeadline == at("2026-12-08T00:00:00+08:00"))
            #expect(task.deadlines.legalDeadline == at("2026-12-22T00:00:00+08:00"))

            // Wednesday 25, 10:00: Tuesday and ten hours of Wednesday gone.
            fixture.clock.set("2026-11-25T10:00:00+08:00")
            let requested = try await client.call(.post, "/tasks/\(task.id)/supplement-requests", token: resources,
                                                 json: #"{"items":[{"materialCode":"site-plan","name":"总平面图（盖章版）"}],"reason":"总平面图未加盖设计单位出图章"}"#)
            #expect(requested.status == .created)
            let event = try #require(try await fixture.region.events(on: .supplementRequested, key: caseNumber).first?.payload(SupplementRequested.self))
            #expect(event.taskID == task.id)
            #expect(event.requestedAt == at("2026-11-25T10:00:00+08:00"))
            #expect(event.items.map(\.materialCode) == ["site-plan"])

            // Friday 27: two days later, the clock has not moved.
            fixture.clock.set("2026-11-27T10:00:00+08:00")
            let waiting = try #require(try await client.task(task.id, token: resources))
            #expect(waiting.state == .suspended)
            #expect(waiting.deadlines.suspended)
            #expect(waiting.deadlines.promisedRemainingWorkingDays == 8.58)
            #expect(try await client.tasks(token: resources, query: "?state=suspended").map(\.id) == [task.id])
            // Not decidable while it waits.
            let early = try await client.call(.post, "/tasks/\(task.id)/approval", token: resources, json: "{}")
            #expect(early.problem?.type == "urn:tongban:problem:waiting-for-supplement")

            // The supplement arrives Monday 30 at 10:00: Wednesday's last 14 hours, Thursday, Friday
            // and Monday's first 10 hours were held, 3 working days.
            _ = try await fixture.region.publish(
                MaterialsSupplemented(caseNumber: caseNumber, materials: [], answers: [event.requestID], supplementedAt: at("2026-11-30T10:00:00+08:00")),
                to: .materialsSupplemented, key: caseNumber
            )
            let resumed = try #require(try await fixture.region.events(on: .taskResumed, key: caseNumber).first?.payload(TaskResumed.self))
            #expect(resumed.requestID == event.requestID)
            #expect(resumed.resumedAt == at("2026-11-30T10:00:00+08:00"))
            #expect(resumed.deadlines.promisedDeadline == at("2026-12-11T00:00:00+08:00"))
            #expect(resumed.deadlines.legalDeadline == at("2026-12-25T00:00:00+08:00"))

            // Monday 30, 22:00: twelve more hours counted since the supplement.
            fixture.clock.set("2026-11-30T22:00:00+08:00")
            let running = try #require(try await client.task(task.id, token: resources))
            #expect(running.state == .open)
            #expect(!running.deadlines.suspended)
            #expect(running.deadlines.promisedDeadline == at("2026-12-11T00:00:00+08:00"))
            #expect(running.deadlines.promisedRemainingWorkingDays == 8.08)
            #expect(running.supplementRequests.first?.ending == .supplied)

            // Decided on Thursday 10 December: late against the old deadline, on time against the moved one.
            fixture.clock.set("2026-12-10T16:00:00+08:00")
            let approved = try await client.call(.post, "/tasks/\(task.id)/approval", token: resources, json: "{}")
            #expect(approved.status == .ok)
            let decided = try #require(try await fixture.region.events(on: .taskDecided, key: caseNumber).first?.payload(TaskDecided.self))
            #expect(decided.decision.onTime)
            #expect(decided.decision.deadlines.promisedDeadline == at("2026-12-11T00:00:00+08:00"))
        }
    }

    @Test("a commitment matter is approved at acceptance, an immediate one decided; a failed verification revokes the approval")
    func commitmentApprovedThenRevoked() async throws {
        let fixture = try ApprovalFixture()
        let caseNumber = ApprovalFixture.caseNumber()
        let foodLicence = ApprovalFixture.matter("food-business-licence", "食品经营许可", department: "market-regulation", departmentName: "石家庄市市场监督管理局",
                                                 mode: .commitment, verificationLimitDays: 5)
        let hygiene = ApprovalFixture.matter("public-place-hygiene", "公共场所卫生许可", department: "health", departmentName: "石家庄市卫生健康委员会", mode: .immediate)
        try await fixture.withApproval { client, _ in
            _ = try await fixture.region.publish(ApprovalFixture.submission(caseNumber, matters: [foodLicence, hygiene]), to: .caseSubmitted, key: caseNumber)

            // Both decided at acceptance by the system, so the bundle is decided at once.
            let bundle = try #require(try await fixture.region.events(on: .bundleDecided, key: caseNumber).first?.payload(BundleDecided.self))
            #expect(bundle.decisions.map(\.outcome) == [.approved, .approved])
            #expect(bundle.decisions.map(\.decidedBy) == ["system", "system"])
            #expect(bundle.decidedAt == at(ApprovalFixture.acceptedAt))

            let market = try await fixture.officer("market-regulation")
            let task = try #require(try await client.awaitTasks(token: market, caseNumber: caseNumber).first)
            #expect(task.state == .verifying)
            #expect(task.decision?.outcome == .approved)
            // Five working days from Monday 23 November: the end of Monday 30.
            #expect(task.verification?.deadline == at("2026-12-01T00:00:00+08:00"))
            #expect(task.verification?.state == .pending)
            #expect(try await client.tasks(token: market, query: "?dueBefore=2026-12-02T00:00:00%2B08:00").map(\.id) == [task.id])
            #expect(try await client.tasks(token: market, query: "?dueBefore=2026-11-30T00:00:00%2B08:00").isEmpty)

            fixture.clock.set("2026-11-27T15:00:00+08:00")
            let withoutBasis = try await client.call(.post, "/tasks/\(task.id)/verification", token: market, json: #"{"passed":false,"findings":"现场无冷藏设施"}"#)
            #expect(withoutBasis.status == .unprocessableContent)
            #expect(withoutBasis.problem?.errors?.map(\.field) == ["legalBasis"])

            let failed = try await client.call(.post, "/tasks/\(task.id)/verification", token: market,
                                              json: #"{"passed":false,"findings":"现场无冷藏设施，与承诺不符","legalBasis":"《食品经营许可和备案管理办法》第五十条"}"#)
            #expect(failed.status == .ok)
            #expect(try failed.decode(TongbanClient.DepartmentTask.self).state == .revoked)

            let revoked = try #require(try await fixture.region.events(on: .decisionRevoked, key: caseNumber).first?.payload(DecisionRevoked.self))
            #expect(revoked.taskID == task.id)
            #expect(revoked.matterCode == "food-business-licence")
            #expect(revoked.legalBasis == "《食品经营许可和备案管理办法》第五十条")
            #expect(revoked.reason.contains("现场无冷藏设施"))
            #expect(revoked.revokedBy == "officer-market-regulation")
            #expect(revoked.revokedAt == at("2026-11-27T15:00:00+08:00"))

            let again = try await client.call(.post, "/tasks/\(task.id)/verification", token: market, json: #"{"passed":true,"findings":"复查合格"}"#)
            #expect(again.status == .conflict)
        }
    }

    @Test("the same case-submitted event delivered twice, and the same case submitted again, open one set of tasks")
    func duplicateSubmissions() async throws {
        let fixture = try ApprovalFixture()
        let caseNumber = ApprovalFixture.caseNumber()
        try await fixture.withApproval { client, runtime in
            let submission = ApprovalFixture.submission(caseNumber, matters: [ApprovalFixture.planningPermit, ApprovalFixture.businessLicence])
            let first = try await fixture.region.publish(submission, to: .caseSubmitted, key: caseNumber)
            try await fixture.region.publish(first, to: .caseSubmitted)
            let resent = try await fixture.region.publish(submission, to: .caseSubmitted, key: caseNumber)
            // One partition keeps one case's events in order: once the last one is in the inbox,
            // the others were applied (or found applied) before it.
            let applied = try await eventually {
                try await runtime.database.query("SELECT count(*) FROM inbox WHERE event_id = \(resent.id)").decode(Int.self).first == 1
            }
            #expect(applied)

            let resources = try await fixture.officer("natural-resources")
            let market = try await fixture.officer("market-regulation")
            #expect(try await client.tasks(token: resources).filter { $0.caseNumber == caseNumber }.count == 1)
            #expect(try await client.tasks(token: market).filter { $0.caseNumber == caseNumber }.count == 1)
            let opened = try await fixture.eventsAfterTheFirst(on: .tasksOpened, caseNumber: caseNumber)
            #expect(opened.count == 1)
            #expect(try await ApprovalFixture.committed(.tasksOpened, caseNumber: caseNumber, in: runtime) == 1)
        }
    }

    @Test("a withdrawn case closes its open tasks; nothing more can be decided and no bundle decision follows")
    func withdrawal() async throws {
        let fixture = try ApprovalFixture()
        let caseNumber = ApprovalFixture.caseNumber()
        try await fixture.withApproval { client, runtime in
            _ = try await fixture.region.publish(ApprovalFixture.submission(caseNumber, matters: [ApprovalFixture.planningPermit, ApprovalFixture.businessLicence]), to: .caseSubmitted, key: caseNumber)
            let resources = try await fixture.officer("natural-resources")
            let market = try await fixture.officer("market-regulation")
            let resourcesTask = try #require(try await client.awaitTasks(token: resources, caseNumber: caseNumber).first)
            let marketTask = try #require(try await client.awaitTasks(token: market, caseNumber: caseNumber).first)
            #expect(try await client.call(.post, "/tasks/\(marketTask.id)/approval", token: market, json: "{}").status == .ok)

            _ = try await fixture.region.publish(CaseWithdrawn(caseNumber: caseNumber, reason: "项目暂缓", withdrawnAt: at("2026-11-24T15:00:00+08:00")), to: .caseWithdrawn, key: caseNumber)
            #expect(try await eventually { try await client.task(resourcesTask.id, token: resources)?.state == .withdrawn })
            #expect(try await client.task(marketTask.id, token: market)?.state == .decided)
            #expect(try await client.tasks(token: resources).isEmpty)

            let late = try await client.call(.post, "/tasks/\(resourcesTask.id)/approval", token: resources, json: "{}")
            #expect(late.status == .conflict)
            #expect(late.problem?.type == "urn:tongban:problem:case-withdrawn")
            #expect(try await ApprovalFixture.committed(.bundleDecided, caseNumber: caseNumber, in: runtime) == 0)
        }
    }

    @Test("two officers deciding a case's last two tasks at once, on two approval instances, decide the bundle once")
    func concurrentLastDecisions() async throws {
        let fixture = try ApprovalFixture()
        let caseNumber = ApprovalFixture.caseNumber()
        let runtime = try await fixture.region.runtime(for: .approval)
        try await TopicSetup.ensure(TopicRegistry.all.map(fixture.region.topic), admin: runtime.kafkaAdmin)
        // A second instance: the same schema, role and topics, its own pool and consumer.
        let twin = try ServiceRuntime(configuration: runtime.configuration, logger: runtime.logger, metrics: ServiceMetrics(), tokenVerifier: runtime.tokenVerifier)
        let clock = fixture.clock
        let first = try await buildApplication(runtime: runtime, environment: EnvironmentVariables([:]), now: clock.now)
        let second = try await buildApplication(runtime: twin, environment: EnvironmentVariables([:]), now: clock.now)
        try await first.test(.live) { one in
            try await second.test(.live) { other in
                _ = try await fixture.region.publish(
                    ApprovalFixture.submission(caseNumber, matters: [ApprovalFixture.planningPermit, ApprovalFixture.businessLicence]),
                    to: .caseSubmitted, key: caseNumber
                )
                let resources = try await fixture.officer("natural-resources")
                let market = try await fixture.officer("market-regulation")
                let resourcesTask = try #require(try await one.awaitTasks(token: resources, caseNumber: caseNumber).first)
                let marketTask = try #require(try await other.awaitTasks(token: market, caseNumber: caseNumber).first)
                fixture.clock.set("2026-11-25T11:00:00+08:00")
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    group.addTask { try await one.call(.post, "/tasks/\(resourcesTask.id)/approval", token: resources, json: "{}").status }
                    group.addTask { try await other.call(.post, "/tasks/\(marketTask.id)/approval", token: market, json: "{}").status }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses == [.ok, .ok])
                let bundles = try await fixture.eventsAfterTheFirst(on: .bundleDecided, caseNumber: caseNumber)
                #expect(bundles.count == 1)
                #expect(try await ApprovalFixture.committed(.bundleDecided, caseNumber: caseNumber, in: runtime) == 1)
                #expect(bundles.first?.payload(BundleDecided.self)?.decisions.count == 2)
            }
        }
    }

    @Test("a case the relay hands over opens tasks for this region's matters only, and its bundle decision names the origin case")
    func caseHandedOverByTheRelay() async throws {
        let fixture = try ApprovalFixture()
        let caseNumber = ApprovalFixture.caseNumber()
        let registration = ApprovalFixture.matter("tax-registration", "涉税信息确认", department: "taxation", departmentName: "国家税务总局石家庄市税务局", mode: .immediate)
        let shanghaiMatter = ApprovalFixture.matter("sh-permit", "上海市某许可", department: "market-regulation", departmentName: "上海市市场监督管理局", region: "310100")
        var submission = ApprovalFixture.submission(caseNumber, matters: [registration, shanghaiMatter])
        submission.handedOverFrom = .init(region: "310100", caseNumber: "310100-20261123-000007")
        let handedOver = submission
        try await fixture.withApproval { _, _ in
            _ = try await fixture.region.publish(handedOver, to: .caseReceived, key: caseNumber, source: "/tongban/130100/relay")
            let opened = try #require(try await fixture.region.events(on: .tasksOpened, key: caseNumber).first?.payload(TasksOpened.self))
            #expect(opened.tasks.map(\.matterCode) == ["tax-registration"])
            let bundle = try #require(try await fixture.region.events(on: .bundleDecided, key: caseNumber).first?.payload(BundleDecided.self))
            #expect(bundle.decisions.map(\.matterCode) == ["tax-registration"])
            #expect(bundle.handedOverFrom == .init(region: "310100", caseNumber: "310100-20261123-000007"))
        }
    }

    @Test("a task one officer claimed is theirs: a colleague's decision is a 409")
    func claimedTask() async throws {
        let fixture = try ApprovalFixture()
        let caseNumber = ApprovalFixture.caseNumber()
        try await fixture.withApproval { client, _ in
            _ = try await fixture.region.publish(ApprovalFixture.submission(caseNumber, matters: [ApprovalFixture.businessLicence]), to: .caseSubmitted, key: caseNumber)
            let zhang = try await fixture.officer("market-regulation", subject: "officer-zhang")
            let li = try await fixture.officer("market-regulation", subject: "officer-li")
            let task = try #require(try await client.awaitTasks(token: zhang, caseNumber: caseNumber).first)
            #expect(try await client.call(.post, "/tasks/\(task.id)/claim", token: zhang).status == .ok)
            let colleague = try await client.call(.post, "/tasks/\(task.id)/approval", token: li, json: "{}")
            #expect(colleague.status == .conflict)
            #expect(colleague.problem?.type == "urn:tongban:problem:claimed-by-another-officer")
            let own = try await client.call(.post, "/tasks/\(task.id)/approval", token: zhang, json: "{}")
            #expect(own.status == .ok)
            #expect(try own.decode(TongbanClient.DepartmentTask.self).decision?.decidedBy == "officer-zhang")
        }
    }

    @Test("a submitted case approval can never open (a negative limit) goes to the dead-letter topic, and opens nothing")
    func invalidSubmissionIsDeadLettered() async throws {
        let fixture = try ApprovalFixture()
        let caseNumber = ApprovalFixture.caseNumber()
        let broken = ApprovalFixture.matter("business-licence", "营业执照", department: "market-regulation", departmentName: "石家庄市市场监督管理局", legal: -1, promised: 3)
        try await fixture.withApproval { _, runtime in
            let sent = try await fixture.region.publish(ApprovalFixture.submission(caseNumber, matters: [broken]), to: .caseSubmitted, key: caseNumber)
            let letters = try await fixture.region.events(on: Topic.deadLetters(of: "approval"), key: caseNumber)
            #expect(letters.map(\.id) == [sent.id])
            #expect(try await ApprovalFixture.committed(.tasksOpened, caseNumber: caseNumber, in: runtime) == 0)
        }
    }
}
