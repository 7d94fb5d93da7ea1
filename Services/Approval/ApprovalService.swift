import Domain
import Foundation
import Hummingbird
import Messaging
import ServiceKit

/// The approval service. 并联审批, 限时办结: departments' parallel tasks under working-day limits,
/// 补正 that stops a clock, 告知承诺 approved at once and verified afterwards.
@main
struct ApprovalService {
    static func main() async {
        await ServiceRunner.main(service: .approval) { runtime in
            try await buildApplication(runtime: runtime)
        }
    }
}

/// Approval's application: migrates its schema, then runs the outbox publisher, the consumer of
/// intake's and the relay's events, and the officers' routes. Tests build it through this function
/// too, with their own clock.
func buildApplication(
    runtime: ServiceRuntime,
    environment: EnvironmentVariables = .process,
    now: Now = .system
) async throws -> some ApplicationProtocol {
    let region = runtime.configuration.region.value
    let calendar = try WorkingCalendar.load(
        region: region,
        directory: environment.calendarDirectory
    )
    try await runtime.migrate(ApprovalMigrations.all)
    let workflow = ApprovalWorkflow(
        database: runtime.database,
        calendar: calendar,
        homeRegion: region,
        eventSource: runtime.eventSource,
        topicNamespace: runtime.configuration.topicNamespace,
        logger: runtime.logger,
        now: now
    )
    let producer = try runtime.makeProducer()
    let consumer = try runtime.eventConsumer(
        topics: [.caseSubmitted, .caseReceived, .receivedMaterialChunk, .materialsSupplemented, .handedInMaterialsSupplemented, .caseWithdrawn, .handedInCaseWithdrawn],
        producer: producer
    ) { envelope, connection in
        try await workflow.apply(envelope, on: connection)
    }
    return buildServiceApplication(
        runtime: runtime,
        services: [producer, runtime.outboxPublisher(producer: producer), consumer],
        personalData: TaskController.personalData
    ) { router in
        TaskController(workflow: workflow).addRoutes(to: router)
    }
}
