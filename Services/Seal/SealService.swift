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
            try buildApplication(runtime: runtime, seal: try SealSettings(region: runtime.configuration.region.value))
        }
    }
}

/// Seal's application: its routes, and beside them the producer and `SealWorkers`, which migrate
/// the schema, make sure the bureau has a seal key, and then run the outbox publisher and the
/// consumer of approval's decisions. Tests build it here too.
func buildApplication(runtime: ServiceRuntime, seal: SealSettings) throws -> some ApplicationProtocol {
    let region = runtime.configuration.region.value
    let addresses = SealAddresses(publicURL: seal.publicURL, region: region)
    let keyring = SealKeyring(database: runtime.database, bureau: region, encryptionKey: seal.keyEncryptionKey, logger: runtime.logger)
    let register = LicenceRegister(database: runtime.database)
    let issuance = Issuance(
        keyring: keyring,
        addresses: addresses,
        bureauName: seal.bureauName,
        region: region,
        eventSource: runtime.eventSource,
        licencesIssuedTopic: runtime.topic(.licencesIssued),
        logger: runtime.logger
    )
    let withdrawal = Withdrawal(logger: runtime.logger)
    let producer = try runtime.makeProducer()
    let bundleDecidedType = Topic.bundleDecided.eventType
    let decisionRevokedType = Topic.decisionRevoked.eventType
    let consumer = try runtime.eventConsumer(topics: [.bundleDecided, .decisionRevoked], producer: producer) { envelope, connection in
        switch envelope.type {
        case bundleDecidedType: try await issuance.apply(envelope, on: connection)
        case decisionRevokedType: try await withdrawal.apply(envelope, on: connection)
        default: throw PermanentEventFailure("seal does not handle events of type \(envelope.type)")
        }
    }
    let workers = SealWorkers(
        runtime: runtime,
        keyring: keyring,
        services: [runtime.outboxPublisher(producer: producer), consumer]
    )
    let controller = SealController(
        keyring: keyring,
        register: register,
        verifier: LicenceVerifier(keyring: keyring, register: register, addresses: addresses, bureauName: seal.bureauName),
        addresses: addresses,
        bureauName: seal.bureauName,
        statusListTimeToLive: seal.statusListTimeToLive
    )
    return buildServiceApplication(
        runtime: runtime,
        readinessChecks: [workers],
        services: [producer, workers],
        routes: controller.addRoutes(to:)
    )
}
