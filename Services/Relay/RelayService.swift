import Domain
import Foundation
import Hummingbird
import Kafka
import Logging
import Messaging
import ServiceKit
import ServiceLifecycle

/// The relay service. 跨省通办: signed exchange of cases, status and results with partner regions.
@main
struct RelayService {
    static func main() async {
        await ServiceRunner.main(service: .relay) { runtime in
            let relay = try RelaySettings(environment: .process, homeRegion: runtime.configuration.region.value)
            return try await buildApplication(runtime: runtime, relay: relay)
        }
    }
}

/// Relay's HTTP application; tests build it through this function too. It migrates the relay's
/// schema, then runs the outbox publisher, the consumer of this region's events (outbound), the
/// handler of partners' envelopes (inbound), one delivery loop per partner and the housekeeping, beside the
/// operator's routes.
func buildApplication(runtime: ServiceRuntime, relay: RelaySettings, now: @escaping @Sendable () -> Date = Date.init) async throws -> some ApplicationProtocol {
    try await runtime.migrate(RelayMigrations.all)
    // The inbox exists before anyone reads it or a partner writes to it; if the broker is away now,
    // the topic provisioner creates it later.
    do {
        try await TopicSetup.ensure([runtime.topic(.relayInbox), runtime.topic(.relayQuarantine)], admin: runtime.kafkaAdmin)
    } catch {
        runtime.logger.warning("could not create the inbox topics yet", metadata: ["error": "\(error)"])
    }
    let home = runtime.configuration.region.value
    let producer = try runtime.makeProducer()
    let keyring = RelayKeyring(settings: relay, homeRegion: home, logger: runtime.logger)
    let homeEvents = HomeEventHandler(homeRegion: home, partners: relay.partners, logger: runtime.logger)
    let outbound = try runtime.eventConsumer(topics: HomeEventHandler.topics, producer: producer) { event, connection in
        try await homeEvents.apply(event, on: connection)
    }

    let inbox = PartnerEnvelopeHandler(
        consumer: try KafkaConsumer(configuration: runtime.consumerGroup("inbox"), topics: [runtime.topic(.relayInbox).name], logger: runtime.logger, metricsFactory: runtime.metrics.factory),
        producer: producer,
        database: runtime.database,
        inspector: EnvelopeInspector(homeRegion: home, registry: { keyring.partners }, clockSkew: relay.clockSkew, maximumBytes: relay.maximumEnvelopeBytes, maximumAge: RelayHousekeeping.seenIDRetention),
        quarantineTopic: runtime.topic(.relayQuarantine).name,
        caseReceivedTopic: runtime.topic(.caseReceived),
        materialChunkTopic: runtime.topic(.receivedMaterialChunk),
        materialsSupplementedTopic: runtime.topic(.handedInMaterialsSupplemented),
        caseWithdrawnTopic: runtime.topic(.handedInCaseWithdrawn),
        partnerUpdateTopic: runtime.topic(.partnerUpdate),
        eventSource: runtime.eventSource,
        logger: runtime.logger,
        metricsFactory: runtime.metrics.factory,
        now: now
    )

    let timing = DeliveryLoop.Timing(
        receiptTimeout: relay.receiptTimeout,
        retryLimit: relay.retryLimit,
        leaseLength: relay.deliveryTimeout * 2 + .seconds(10)
    )
    var deliveries: [any Service] = []
    for partner in relay.partners.sorted {
        let kafka = partner.kafkaConfiguration(clientID: "tongban-relay-\(home)-to-\(partner.region)", deliveryTimeout: relay.deliveryTimeout)
        deliveries.append(DeliveryLoop(
            partner: partner, homeRegion: home, keyring: keyring, database: runtime.database,
            producer: try KafkaProducer(configuration: kafka, logger: runtime.logger), timing: timing, logger: runtime.logger
        ))
    }
    runtime.logger.info("relay ready", metadata: [
        "relay.partners": "\(relay.partners.sorted.map(\.region).joined(separator: ","))",
        "relay.key_id": "\(relay.signingKey.keyID)",
    ])

    let workflow = RelayWorkflow(database: runtime.database, keyring: keyring, homeRegion: home)
    let housekeeping = RelayHousekeeping(workflow: workflow, metricsFactory: runtime.metrics.factory, logger: runtime.logger, logRetention: relay.logRetention)
    let controller = PartnerController(workflow: workflow)
    return buildServiceApplication(
        runtime: runtime,
        services: [producer, runtime.outboxPublisher(producer: producer), outbound, inbox, housekeeping] + deliveries,
        personalData: PartnerController.personalData
    ) { router in
        controller.addRoutes(to: router)
    }
}
