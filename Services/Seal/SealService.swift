import Domain
import Foundation
import Hummingbird
import Messaging
import ServiceKit

/// The seal service. 一枚印章管审批: every licence of a decided case issued together under the
/// approval bureau's dedicated electronic seal (四证齐发), verified, revoked and suspended.
@main
struct SealService {
    static func main() async {
        await ServiceRunner.main(service: .seal) { runtime in
            try await buildApplication(runtime: runtime, seal: try SealSettings(region: runtime.configuration.region.value))
        }
    }
}

/// Seal's application: migrates its schema, then serves its routes, and beside them runs the
/// producer and `SealWorkers`, which make sure the bureau has a seal key and then run the outbox
/// publisher and the consumer of approval's decisions. Tests build it here too.
func buildApplication(runtime: ServiceRuntime, seal: SealSettings) async throws -> some ApplicationProtocol {
    try await runtime.migrate(SealMigrations.all)
    let region = runtime.configuration.region.value
    let addresses = SealAddresses(publicURL: seal.publicURL, region: region)
    let workflow = SealWorkflow(
        database: runtime.database,
        keyring: SealKeyring(bureau: region, encryptionKey: seal.keyEncryptionKey),
        addresses: addresses,
        bureauName: seal.bureauName,
        region: region,
        eventSource: runtime.eventSource,
        licencesIssuedTopic: runtime.topic(.licencesIssued),
        logger: runtime.logger
    )
    let producer = try runtime.makeProducer()
    let consumer = try runtime.eventConsumer(topics: [.bundleDecided, .decisionRevoked], producer: producer) { envelope, connection in
        try await workflow.apply(envelope, on: connection)
    }
    let workers = SealWorkers(
        runtime: runtime,
        workflow: workflow,
        services: [runtime.outboxPublisher(producer: producer), consumer]
    )
    let controller = SealController(
        workflow: workflow,
        verifier: LicenceVerifier(workflow: workflow, addresses: addresses, bureauName: seal.bureauName),
        addresses: addresses,
        bureauName: seal.bureauName,
        statusListTimeToLive: seal.statusListTimeToLive
    )
    return buildServiceApplication(
        runtime: runtime,
        readinessChecks: [workers],
        services: [producer, workers],
        personalData: SealController.personalData,
        routes: controller.addRoutes(to:)
    )
}
