import Domain
import Hummingbird
import Logging
import Messaging
import ServiceKit

/// The intake service. 一窗受理: the single window — matter catalogue, one-time notice, applications and bundles.
@main
struct IntakeService {
    static func main() async {
        await ServiceRunner.main(service: .intake) { runtime in
            let settings = try IntakeSettings(region: runtime.configuration.region, environment: .process)
            return try await buildApplication(runtime: runtime, settings: settings)
        }
    }
}

/// Intake's HTTP application, its outbox publisher and its consumer of approval's and seal's
/// events; tests build it through this function too. Migrates intake's schema first.
func buildApplication(runtime: ServiceRuntime, settings: IntakeSettings) async throws -> some ApplicationProtocol {
    try await runtime.migrate(IntakeMigrations.all)
    let repository = IntakeRepository(database: runtime.database)
    let workflow = IntakeWorkflow(
        database: runtime.database,
        repository: repository,
        settings: settings,
        homeRegion: runtime.configuration.region,
        eventSource: runtime.eventSource,
        topicNamespace: runtime.configuration.topicNamespace
    )
    let events = CaseEventHandler(repository: repository, catalogue: settings.catalogue)
    let producer = try runtime.makeProducer()
    let consumer = try runtime.eventConsumer(topics: CaseEventHandler.topics, producer: producer) { envelope, connection in
        try await events.apply(envelope, on: connection)
    }
    runtime.logger.info("catalogue loaded", metadata: [
        "catalogue.version": "\(settings.catalogue.version)",
        "catalogue.matters": "\(settings.catalogue.matters.count)",
        "catalogue.bundles": "\(settings.catalogue.bundles.count)",
    ])
    return buildServiceApplication(
        runtime: runtime,
        services: [producer, runtime.outboxPublisher(producer: producer), consumer],
        personalData: CasesController.personalData
    ) { router in
        CatalogueController(catalogue: settings.catalogue).addRoutes(to: router)
        CasesController(workflow: workflow).addRoutes(to: router)
    }
}
