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

/// Evaluation's HTTP application with its outbox publisher, its consumer of intake's, approval's and
/// seal's events, and the scanner that moves lights with time; tests build it through this function
/// too. Migrates evaluation's schema first.
func buildApplication(runtime: ServiceRuntime, settings: EvaluationSettings) async throws -> some ApplicationProtocol {
    try await runtime.migrate(EvaluationMigrations.all)
    let alerts = AlertDesk(settings: settings, runtime: runtime)
    let projection = SupervisionProjection(settings: settings, alerts: alerts, logger: runtime.logger)
    let producer = try runtime.makeProducer()
    let consumer = try runtime.eventConsumer(topics: SupervisionProjection.topics, producer: producer) { envelope, connection in
        try await projection.apply(envelope, on: connection)
    }
    let scanner = SupervisionScanner(database: runtime.database, alerts: alerts, interval: settings.scanInterval, logger: runtime.logger)
    let rectifications = RectificationStore(settings: settings)
    return buildServiceApplication(
        runtime: runtime,
        services: [producer, runtime.outboxPublisher(producer: producer), consumer, scanner]
    ) { router in
        RatingsController(database: runtime.database, settings: settings, rectifications: rectifications).addRoutes(to: router)
        RectificationsController(database: runtime.database, store: rectifications).addRoutes(to: router)
        SupervisionController(database: runtime.database, settings: settings, rectifications: rectifications).addRoutes(to: router)
        DashboardPage.addRoutes(to: router)
    }
}
