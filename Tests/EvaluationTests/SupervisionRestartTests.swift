@testable import Evaluation
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import ServiceKit
import ServiceTestSupport
import Testing
import TongbanClient

/// An evaluation that stops and starts again on the same schema and consumer group remembers which
/// light changes it raised: none is raised twice, and those that happen while it was down are
/// raised when it reads the clocks again.
@Suite("supervision across a restart")
struct SupervisionRestartTests {
    @Test("after a restart, the yellow raised before is not raised again; the red reached while stopped is raised once")
    func alertsSurviveARestart() async throws {
        let region = try TestRegion()
        let runtime = try await region.runtime(for: .evaluation)
        try await TopicSetup.ensure(TopicRegistry.all.map(region.topic), admin: runtime.kafkaAdmin)
        let clock = ManualClock(EvaluationFixture.at("2026-11-27T12:00"))
        let number = "130100-20261116-000009"
        let matter = Sample.MatterSpec(code: "130100-SC-001", name: "食品经营许可", department: Sample.marketRegulation, legal: 20, promised: 10)
        try await EvaluationFixture.run(region: region, runtime: runtime, clock: clock) { fixture in
            try await fixture.publish(Sample.opened(number, accepted: SupervisionTests.accepted, tasks: [("t-9", matter)]), to: .tasksOpened, key: number)
            try await fixture.waitForCase(number) { $0.light == .yellow }
        }
        // Stopped; time passes beyond the promised limit; a new instance starts.
        clock.set(EvaluationFixture.at("2026-12-02T09:00"))
        let restarted = try ServiceRuntime(configuration: runtime.configuration, logger: runtime.logger, metrics: ServiceMetrics(), tokenVerifier: runtime.tokenVerifier)
        try await EvaluationFixture.run(region: region, runtime: restarted, clock: clock) { fixture in
            let red = try await fixture.waitForCase(number) { $0.light == .red }
            #expect(red.alerts.map(\.light) == [.yellow, .red])
            let events = try await fixture.region.events(on: .alertRaised, key: number, exactly: 2)
            #expect(try events.map { try $0.decode(AlertRaised.self).light } == [.yellow, .red])
        }
    }
}
