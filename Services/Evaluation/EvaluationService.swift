import Hummingbird
import Messaging
import ServiceKit

/// The evaluation service. 好差评 and 电子监察: ratings, rectification and independent supervision of every clock.
@main
struct EvaluationService {
    static func main() async {
        await ServiceRunner.main(service: .evaluation) { runtime in
            let settings = try EvaluationSettings(region: runtime.configuration.region, environment: .process)
            return try await buildApplication(runtime: runtime, settings: settings)
        }
    }
}

/// Evaluation's HTTP application with its outbox publisher, its consumer of intake's, approval's,
/// seal's and the relay's events, and the scanner that moves lights with time; tests build it
/// through this function too. Migrates evaluation's schema first.
func buildApplication(runtime: ServiceRuntime, settings: EvaluationSettings) async throws -> some ApplicationProtocol {
    try await runtime.migrate(EvaluationMigrations.all)
    let supervision = EvaluationWorkflow(
        database: runtime.database,
        settings: settings,
        alerts: AlertDesk(settings: settings, runtime: runtime),
        logger: runtime.logger
    )
    let ratings = RatingsWorkflow(database: runtime.database, settings: settings)
    let producer = try runtime.makeProducer()
    let consumer = try runtime.eventConsumer(topics: EvaluationWorkflow.topics, producer: producer) { envelope, connection in
        try await supervision.apply(envelope, on: connection)
    }
    let scanner = SupervisionScanner(workflow: supervision, interval: settings.scanInterval, logger: runtime.logger)
    return buildServiceApplication(
        runtime: runtime,
        services: [producer, runtime.outboxPublisher(producer: producer), consumer, scanner],
        personalData: RatingsController.personalData.union(RectificationsController.personalData).union(SupervisionController.personalData)
    ) { router in
        RatingsController(workflow: ratings).addRoutes(to: router)
        RectificationsController(workflow: ratings).addRoutes(to: router)
        SupervisionController(workflow: supervision).addRoutes(to: router)
        DashboardPage.addRoutes(to: router)
    }
}
