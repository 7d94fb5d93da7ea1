import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Kafka
import Messaging
import Postgres
@testable import Relay
import ServiceKit
import ServiceTestSupport
import Signing
import TestSupport
import Testing
import TongbanClient

/// 跨省通办 carries the whole case: the materials of a partner's part go with it, in pieces that
/// fit the partner's inbox, and the partner's approval gets the case only once every material is
/// whole and matches the digest the origin signed.
@Suite("relay: materials travel with the case", .timeLimit(.minutes(5)))
struct RelayMaterialTests {
    /// A material with random content, and how intake and a partner's relay cut it.
    struct Material {
        var code: String
        var content: Data
        var sha256: String { SHA256.hash(data: content).hexadecimal }

        init(_ code: String, bytes: Int) {
            self.code = code
            content = Data((0..<bytes).map { _ in UInt8.random(in: 0...255) })
        }

        func reference(_ caseNumber: String) -> MaterialReference {
            MaterialReference(code: code, name: "材料 \(code)", mediaType: "application/pdf", sha256: sha256, size: content.count, location: "/cases/\(caseNumber)/materials/\(code)")
        }

        func pieces(_ caseNumber: String, pieceBytes: Int = MaterialChunk.regionalPieceBytes) -> [MaterialChunk] {
            MaterialChunk.split(content, caseNumber: caseNumber, sha256: sha256, pieceBytes: pieceBytes)
        }
    }

    /// The materials a region's topic of pieces carries for `caseNumber`, put together by SHA-256.
    static func assembled(_ events: [Envelope]) throws -> [String: Data] {
        let pieces = try events.map { try $0.decode(MaterialChunk.self) }
        return Dictionary(grouping: pieces, by: \.sha256).mapValues { $0.sorted { $0.index < $1.index }.reduce(Data()) { $0 + $1.data } }
    }

    @Test("B's part of a case goes with the materials its matters need, in pieces that fit B's inbox; B's approval gets the case once every one is whole")
    func materialsTravel() async throws {
        let regions = try await TwoRegions()
        let (a, b) = (regions.a, regions.b)
        let relayA = try await regions.relay(.a)
        let relayB = try await regions.relay(.b)
        try await relayA.app.test(.live) { _ in
            try await relayB.app.test(.live) { _ in
                let number = Samples.caseNumber(TwoRegions.regionA)
                // The site plan needs five envelopes at B's limit of 64 KiB; the form fits in one;
                // the health certificate is for A's own matter and stays home.
                let plan = Material("site-plan", bytes: 200_000)
                let form = Material("application-form", bytes: 900)
                let certificate = Material("health-certificate", bytes: 700)
                let away = Samples.matter("370100-SC-001", region: TwoRegions.regionB, materials: [plan.code, form.code])
                let home = Samples.matter("130100-SC-001", region: TwoRegions.regionA, materials: [certificate.code])
                var submitted = Samples.submitted(number, region: TwoRegions.regionA, matters: [home, away])
                submitted.materials = [plan, form, certificate].map { $0.reference(number) }
                _ = try await a.publish(submitted, to: .caseSubmitted, key: number)
                for piece in plan.pieces(number) + certificate.pieces(number) {
                    _ = try await a.publish(piece, to: .materialChunk, key: number)
                }

                // B has the hand-over and the whole plan, but not the form: the case waits.
                let planHere = try await eventually {
                    try await count("SELECT count(*) FROM material_chunks WHERE case_number = \(number) AND sha256 = \(plan.sha256)", in: relayB.runtime) == 5
                }
                #expect(planHere, "B's relay should hold the plan in five pieces")
                #expect(try await count("SELECT count(*) FROM cases_handed_in WHERE case_number = \(number) AND released_at IS NULL", in: relayB.runtime) == 1)
                #expect(try await count("SELECT count(*) FROM outbox WHERE event_key = \(number) AND topic = \(b.topic(.caseReceived).name)", in: relayB.runtime) == 0)

                for piece in form.pieces(number) {
                    _ = try await a.publish(piece, to: .materialChunk, key: number)
                }
                let received = try #require(try await b.events(on: .caseReceived, key: number).first).decode(CaseSubmitted.self)
                // Signed by A: the materials of B's matters, each with its digest, size and media type.
                #expect(received.materials == [plan, form].map { $0.reference(number) })
                #expect(received.matters == [away])

                // B's approval is given both materials, whole; nothing of A's own matter.
                let pieces = try await b.events(on: .receivedMaterialChunk, key: number, exactly: 2)
                let materials = try Self.assembled(pieces)
                #expect(materials == [plan.sha256: plan.content, form.sha256: form.content])
                #expect(try await count("SELECT count(*) FROM material_chunks WHERE case_number = \(number) AND sha256 = \(certificate.sha256)", in: relayB.runtime) == 0)

                // Every piece was acknowledged; nothing was quarantined.
                let settled = try await eventually {
                    try await count("SELECT count(*) FROM deliveries WHERE acknowledged_at IS NULL", in: relayA.runtime) == 0
                }
                #expect(settled)
                #expect(try await count("SELECT count(*) FROM deliveries WHERE kind = 'material-chunk'", in: relayA.runtime) == 6)
                #expect(try await count("SELECT count(*) FROM quarantine", in: relayB.runtime) == 0)
            }
        }
    }

    @Test("a piece that is not listed, out of order, a duplicate or that breaks its material's digest is quarantined with that reason, and the case waits until the right one comes")
    func badPieces() async throws {
        let regions = try await TwoRegions()
        let b = regions.b
        let relayB = try await regions.relay(.b)
        try await relayB.app.test(.live) { client in
            let number = Samples.caseNumber(TwoRegions.regionA)
            let drawing = Material("site-plan", bytes: 3000)
            let pieces = drawing.pieces(number, pieceBytes: 1024)
            #expect(pieces.count == 3)
            var submitted = Samples.submitted(number, region: TwoRegions.regionA, matters: [Samples.matter("370100-SC-001", region: TwoRegions.regionB, materials: [drawing.code])])
            submitted.materials = [drawing.reference(number)]
            submitted.handedOverFrom = .init(region: TwoRegions.regionA, caseNumber: number)
            let stranger = Material("not-listed", bytes: 500).pieces(number)[0]
            var altered = pieces[2]
            altered.data[altered.data.startIndex] ^= 0x01

            func envelope(_ sequence: Int, _ payload: some Encodable, kind: RelayEnvelopeKind = .materialChunk) throws -> [UInt8] {
                try TwoRegions.envelope(from: TwoRegions.regionA, to: TwoRegions.regionB, kind: kind, caseReference: number, sequence: sequence, payload: payload, key: regions.keyA)
            }
            // In this order, each on B's inbox under the case's key (one partition, read in order).
            let sent = [
                try envelope(1, submitted, kind: .caseHandedOver),
                try envelope(2, stranger),      // unlisted-material
                try envelope(2, pieces[1]),     // chunk-out-of-order
                try envelope(2, pieces[0]),
                try envelope(3, pieces[0]),     // duplicate-chunk
                try envelope(3, pieces[1]),
                try envelope(4, altered),       // digest-mismatch
            ]
            for value in sent {
                try await regions.deliver(value, to: .b, kafkaKey: number)
            }
            let reasons = [QuarantineReason.Code.unlistedMaterial, .chunkOutOfOrder, .duplicateChunk, .digestMismatch].map(\.rawValue)
            var seen: [String] = []
            let quarantined = try await eventually {
                seen = try await relayB.runtime.database.query("SELECT reason FROM quarantine WHERE case_reference = \(number) ORDER BY id").decode(String.self)
                return seen.count == reasons.count
            }
            #expect(quarantined && seen == reasons, "quarantined: \(seen)")
            // Each with its reason on the quarantine topic, for the operator.
            let messages = try await b.messages(on: .relayQuarantine, key: number, count: 4)
            #expect(messages.compactMap { $0.headers.first { $0.key == "dlq_reason" }?.value.map { String(decoding: $0, as: UTF8.self) } }.map { String($0.prefix { $0 != ":" }) } == reasons)
            // Two of three pieces are here and nothing went to approval: the case waits.
            #expect(try await count("SELECT count(*) FROM material_chunks WHERE case_number = \(number)", in: relayB.runtime) == 2)
            #expect(try await count("SELECT count(*) FROM cases_handed_in WHERE case_number = \(number) AND released_at IS NULL", in: relayB.runtime) == 1)
            #expect(try await count("SELECT count(*) FROM outbox WHERE event_key = \(number) AND topic <> \(b.topic(.relayInbox).name)", in: relayB.runtime) == 0)
            // The operator sees why: the case waits, two pieces of three are here, and what was set aside.
            let admin = try await b.token(Principal(subject: "ops-1", role: .admin))
            let answer = try await client.execute(uri: "/relay/cases/\(number)", method: .get, headers: [.authorization: "Bearer \(admin)"])
            #expect(answer.status == .ok)
            let standing = try Envelope.decoder.decode(RelayCaseStanding.self, from: Data(answer.body.readableBytesView))
            #expect(standing.exchanges.map(\.state) == [.waitingForMaterials])
            #expect(standing.exchanges.first?.materials == [.init(code: drawing.code, sha256: drawing.sha256, size: 3000, piecesHeld: 2, pieces: 3, whole: false)])
            #expect(standing.quarantined.map(\.reason) == reasons.reversed())
            #expect(try await client.execute(uri: "/relay/cases/\(Samples.caseNumber(TwoRegions.regionA))", method: .get, headers: [.authorization: "Bearer \(admin)"]).status == .notFound)

            // A sends the true last piece (its retransmission): the case is released, once, whole.
            try await regions.deliver(try envelope(4, pieces[2]), to: .b, kafkaKey: number)
            let released = try await b.events(on: .caseReceived, key: number, exactly: 1)
            #expect(released.count == 1)
            let materials = try Self.assembled(try await b.events(on: .receivedMaterialChunk, key: number))
            #expect(materials == [drawing.sha256: drawing.content])
        }
    }

    @Test("B's relay stopped while a case's pieces are on their way, and started again after they waited past the clock skew: the case is released once, whole, with nothing quarantined as stale")
    func restartMidTransfer() async throws {
        let regions = try await TwoRegions()
        let (a, b) = (regions.a, regions.b)
        // B allows 2 s of skew: its downtime is longer than that, and the pieces that waited it out
        // in its inbox are still fresh, by the time B's broker took them.
        let skew = ["TONGBAN_RELAY_CLOCK_SKEW_SECONDS": "2"]
        let relayA = try await regions.relay(.a)
        let number = Samples.caseNumber(TwoRegions.regionA)
        let form = Material("application-form", bytes: 2000)
        let plan = Material("site-plan", bytes: 300_000)
        let planPieces = plan.pieces(number, pieceBytes: MaterialChunk.pieceBytes(fittingMessagesOf: 65536)).count
        try await relayA.app.test(.live) { _ in
            let relayB = try await regions.relay(.b, environment: skew)
            try await relayB.app.test(.live) { _ in
                var submitted = Samples.submitted(number, region: TwoRegions.regionA, matters: [
                    Samples.matter("370100-SC-001", region: TwoRegions.regionB, materials: [form.code, plan.code]),
                ])
                submitted.materials = [form.reference(number), plan.reference(number)]
                _ = try await a.publish(submitted, to: .caseSubmitted, key: number)
                for piece in form.pieces(number) {
                    _ = try await a.publish(piece, to: .materialChunk, key: number)
                }
                // B has the hand-over and the form; the plan has not left A.
                let underway = try await eventually {
                    try await count("SELECT count(*) FROM material_chunks WHERE case_number = \(number)", in: relayB.runtime) == 1
                }
                #expect(underway)
            }
            // B is down. The plan comes whole to A's relay, which sends its pieces to B's inbox and,
            // with no receipt, sends them again: their first copies are older than B's skew by then.
            for piece in plan.pieces(number) {
                _ = try await a.publish(piece, to: .materialChunk, key: number)
            }
            let waited = try await eventually(timeout: .seconds(60)) {
                // (The form's piece may wait for its receipt too: B may have stopped before sending it.)
                try await count("""
                    SELECT count(*) FROM deliveries WHERE case_reference = \(number) AND kind = 'material-chunk' AND acknowledged_at IS NULL
                    HAVING count(*) FILTER (WHERE attempts < 3) = 0
                    """, in: relayA.runtime) >= planPieces
            }
            #expect(waited)

            let restarted = try await regions.relay(.b, environment: skew)
            try await restarted.app.test(.live) { _ in
                let released = try await b.events(on: .caseReceived, key: number, exactly: 1)
                #expect(released.count == 1)
                let materials = try Self.assembled(try await b.events(on: .receivedMaterialChunk, key: number, count: 3))
                #expect(materials == [form.sha256: form.content, plan.sha256: plan.content])
                #expect(try await count("SELECT count(*) FROM quarantine", in: restarted.runtime) == 0)
                // The first copies were applied; the later ones were only answered.
                #expect(try await count("SELECT count(*) FROM received_envelopes WHERE case_reference = \(number) AND kind = 'material-chunk' AND outcome = 'applied'", in: restarted.runtime) == planPieces + 1)
            }
        }
    }
}

/// 撤回 across the border without races: the withdrawal and the hand-over come on different topics,
/// in either order, and the hand-over may or may not have gone out.
@Suite("relay: withdrawals and hand-overs", .timeLimit(.minutes(3)))
struct RelayWithdrawalTests {
    @Test("a withdrawal before the hand-over went out stops it, whichever event came first; one after it goes to the partner next in the case's sequence")
    func withdrawalRaces() async throws {
        let regions = try await TwoRegions()
        // A's relay migrated and not running: no delivery loop takes a case meanwhile.
        let relayA = try await regions.homeEvents(.a)
        func deliveries(_ number: String) async throws -> [String] {
            try await relayA.runtime.database.query("SELECT kind FROM deliveries WHERE case_reference = \(number) ORDER BY sequence").decode(String.self)
        }
        let matters = [Samples.matter("370100-SC-001", region: TwoRegions.regionB)]

        // The withdrawal came first: the hand-over never goes.
        let first = Samples.caseNumber(TwoRegions.regionA)
        try await relayA.apply(CaseWithdrawn(caseNumber: first, reason: nil, withdrawnAt: Date()), as: .caseWithdrawn, key: first)
        try await relayA.apply(Samples.submitted(first, region: TwoRegions.regionA, matters: matters), as: .caseSubmitted, key: first)
        #expect(try await deliveries(first).isEmpty)

        // Handed over, not sent yet: the withdrawal stops it, and nothing goes.
        let second = Samples.caseNumber(TwoRegions.regionA)
        try await relayA.apply(Samples.submitted(second, region: TwoRegions.regionA, matters: matters), as: .caseSubmitted, key: second)
        #expect(try await deliveries(second) == ["case-handed-over"])
        try await relayA.apply(CaseWithdrawn(caseNumber: second, reason: nil, withdrawnAt: Date()), as: .caseWithdrawn, key: second)
        #expect(try await deliveries(second).isEmpty)
        #expect(try await count("SELECT count(*) FROM cases_handed_out WHERE case_number = \(second) AND stopped_at IS NOT NULL", in: relayA.runtime) == 1)

        // Sent already: the partner is told, after the hand-over.
        let third = Samples.caseNumber(TwoRegions.regionA)
        try await relayA.apply(Samples.submitted(third, region: TwoRegions.regionA, matters: matters), as: .caseSubmitted, key: third)
        let id = try #require(try await relayA.runtime.database.query("SELECT id FROM deliveries WHERE case_reference = \(third)").decode(Int64.self).first)
        try await relayA.runtime.database.withConnection { try await RelayRepository.markTransmitted(id, as: "e-1", nextAttemptIn: 30, on: $0) }
        try await relayA.apply(CaseWithdrawn(caseNumber: third, reason: nil, withdrawnAt: Date()), as: .caseWithdrawn, key: third)
        #expect(try await deliveries(third) == ["case-handed-over", "case-withdrawn"])
    }

    @Test("a case withdrawn while its materials are on their way is never given to approval, though the rest of its pieces arrive")
    func withdrawnWhileWaiting() async throws {
        let regions = try await TwoRegions()
        let b = regions.b
        let relayB = try await regions.relay(.b)
        try await relayB.app.test(.live) { _ in
            let number = Samples.caseNumber(TwoRegions.regionA)
            let drawing = RelayMaterialTests.Material("site-plan", bytes: 2000)
            let pieces = drawing.pieces(number, pieceBytes: 1024)
            var submitted = Samples.submitted(number, region: TwoRegions.regionA, matters: [Samples.matter("370100-SC-001", region: TwoRegions.regionB, materials: [drawing.code])])
            submitted.materials = [drawing.reference(number)]
            submitted.handedOverFrom = .init(region: TwoRegions.regionA, caseNumber: number)
            func envelope(_ sequence: Int, _ kind: RelayEnvelopeKind, _ payload: some Encodable) throws -> [UInt8] {
                try TwoRegions.envelope(from: TwoRegions.regionA, to: TwoRegions.regionB, kind: kind, caseReference: number, sequence: sequence, payload: payload, key: regions.keyA)
            }
            for value in [
                try envelope(1, .caseHandedOver, submitted),
                try envelope(2, .materialChunk, pieces[0]),
                try envelope(3, .caseWithdrawn, CaseWithdrawn(caseNumber: number, reason: "改期办理", withdrawnAt: Date())),
                try envelope(4, .materialChunk, pieces[1]),
            ] {
                try await regions.deliver(value, to: .b, kafkaKey: number)
            }
            // Everything was taken (the last piece too) and approval heard only of the withdrawal.
            let taken = try await eventually {
                try await count("SELECT count(*) FROM inbound_conversations WHERE case_reference = \(number) AND last_sequence = 4", in: relayB.runtime) == 1
            }
            #expect(taken)
            #expect(try await b.events(on: .handedInCaseWithdrawn, key: number).count == 1)
            #expect(try await count("SELECT count(*) FROM outbox WHERE event_key = \(number) AND topic = \(b.topic(.caseReceived).name)", in: relayB.runtime) == 0)
            #expect(try await count("SELECT count(*) FROM cases_handed_in WHERE case_number = \(number) AND withdrawn_at IS NOT NULL AND released_at IS NULL", in: relayB.runtime) == 1)
        }
    }
}

extension RelayMaterialTests {
    @Test("materials supplied later go to the partner that needs them (owed under 容缺) or asked for them (补正), listed in a signed materials-supplemented with only that partner's answers, their pieces after it")
    func supplementsForward() async throws {
        let regions = try await TwoRegions()
        let relayA = try await regions.homeEvents(.a)
        let number = Samples.caseNumber(TwoRegions.regionA)
        let away = Samples.matter("370100-WA-001", region: TwoRegions.regionB, department: "water", materials: ["water-application"])
        let home = Samples.matter("130100-SC-001", region: TwoRegions.regionA, materials: ["health-certificate"])
        let owed = CaseSubmitted.Deficiency(matterCode: away.code, materialCode: "water-report", name: "水资源论证报告", dueBy: "2026-12-04")
        var submitted = Samples.submitted(number, region: TwoRegions.regionA, matters: [home, away], deficiencies: [owed])
        submitted.materials = []
        try await relayA.apply(submitted, as: .caseSubmitted, key: number)
        // B's officer asked for the lease (its status envelope was taken).
        try await relayA.runtime.database.withConnection {
            try await RelayRepository.recordPartnerRequest("b-request-1", of: number, by: TwoRegions.regionB, materialCodes: ["lease-contract"], at: Date(), on: $0)
        }

        let report = RelayMaterialTests.Material("water-report", bytes: 5000)
        let lease = RelayMaterialTests.Material("lease-contract", bytes: 700)
        let certificate = RelayMaterialTests.Material("health-certificate", bytes: 600)
        let supplied = MaterialsSupplemented(caseNumber: number, materials: [report, lease, certificate].map { $0.reference(number) },
                                             answers: ["b-request-1", "a-request-7"], supplementedAt: Date())
        try await relayA.apply(supplied, as: .materialsSupplemented, key: number)
        for piece in report.pieces(number) + lease.pieces(number) + certificate.pieces(number) {
            try await relayA.apply(piece, as: .materialChunk, key: number)
        }

        let rows = try await relayA.runtime.database.query("""
            SELECT kind, payload FROM deliveries WHERE partner = '370100' AND case_reference = \(number) ORDER BY sequence
            """).decode((String, Data).self)
        #expect(rows.map(\.0) == ["case-handed-over", "materials-supplemented", "material-chunk", "material-chunk"])
        let sent = try Envelope.decoder.decode(MaterialsSupplemented.self, from: rows[1].1)
        #expect(sent.materials.map(\.code) == ["water-report", "lease-contract"])
        #expect(sent.answers == ["b-request-1"])
        let pieces = try rows.dropFirst(2).map { try Envelope.decoder.decode(MaterialChunk.self, from: $0.1) }
        #expect(Set(pieces.map(\.sha256)) == [report.sha256, lease.sha256])
    }
}
