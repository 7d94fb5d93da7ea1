import Crypto
import Foundation
import MessageLog
import Messaging
@testable import Relay
import Signing
import Testing

/// The signed message log's chain, checked as `tongban relay log verify` checks it: plain code
/// over entries made as the relay makes them.
@Suite("relay: the signed message log's chain")
struct MessageLogTests {
    static let keyA = RelaySigningKey(keyID: "130100-relay-test", privateKey: .init())
    static let keyB = RelaySigningKey(keyID: "370100-relay-test", privateKey: .init())
    static let keys: [String: MessageLog.Key] = [
        keyA.keyID: .init(region: "130100", jwk: Ed25519JWK(keyID: keyA.keyID, publicKey: keyA.privateKey.publicKey)),
        keyB.keyID: .init(region: "370100", jwk: Ed25519JWK(keyID: keyB.keyID, publicKey: keyB.privateKey.publicKey)),
    ]

    /// A's log with B: a hand-over sent, B's receipt taken, a status taken.
    static func chain() throws -> [MessageLog.Entry] {
        let number = "130100-20261123-000042"
        let envelopes: [(MessageLog.Direction, RelaySigningKey, RelayEnvelopeKind, Int, [UInt8])] = [
            (.sent, keyA, .caseHandedOver, 1, Array(#"{"caseNumber":"130100-20261123-000042"}"#.utf8)),
            (.received, keyB, .receipt, 0, Array(#"{"acknowledgedSequence":1}"#.utf8)),
            (.received, keyB, .status, 1, Array(#"{"status":"accepted"}"#.utf8)),
        ]
        var entries: [MessageLog.Entry] = []
        var previous = MessageLog.genesis
        for (index, (direction, key, kind, sequence, payload)) in envelopes.enumerated() {
            let (sender, receiver) = direction == .sent ? ("130100", "370100") : ("370100", "130100")
            let id = UUID().uuidString.lowercased()
            let signed = try PartnerEnvelope(
                id: id, sender: sender, receiver: receiver, kind: kind, caseReference: number, sequence: sequence,
                issuedAt: Date(), payload: JSONValue(parsing: payload), keyID: key.keyID
            ).signed(with: key)
            var entry = MessageLog.Entry(partner: "370100", position: index + 1, direction: direction, envelopeID: id, kind: kind.rawValue, caseReference: number,
                                         sequence: sequence, keyID: key.keyID, signed: signed, loggedAt: Date(), previousHash: previous, entryHash: "")
            entry.entryHash = entry.expectedHash
            previous = entry.entryHash
            entries.append(entry)
        }
        return entries
    }

    static func verify(_ entries: [MessageLog.Entry], head: (Int, String)? = nil) -> Result<MessageLog.Verified, MessageLog.Finding> {
        MessageLog.verify(entries, partner: "370100", head: head ?? (entries.last?.position ?? 0, entries.last?.entryHash ?? MessageLog.genesis), keys: keys)
    }

    @Test("an untouched chain holds: every hash, every link and every signature")
    func holds() throws {
        let entries = try Self.chain()
        #expect(try Self.verify(entries).get() == MessageLog.Verified(partner: "370100", entries: 3, first: 1, last: 3, pruned: false))
    }

    @Test("one byte changed, an entry removed, the last entry removed, a foreign key or another envelope's fields: the first bad entry is named")
    func tampering() throws {
        let entries = try Self.chain()
        func finding(_ changed: [MessageLog.Entry], head: (Int, String)? = nil) -> MessageLog.Finding? {
            if case .failure(let finding) = Self.verify(changed, head: head) { return finding }
            return nil
        }
        var altered = entries
        altered[1].signed[altered[1].signed.count / 2] ^= 0x01
        #expect(finding(altered)?.entry.contains("#2 (received receipt") == true)
        #expect(finding(altered)?.problem.contains("altered") == true)

        #expect(finding([entries[0], entries[2]])?.entry.contains("#3") == true)
        #expect(finding(Array(entries.prefix(2)), head: (3, entries[2].entryHash))?.entry == "370100 head")

        // Re-hashed after the change: the chain breaks at the next entry.
        var rehashed = entries
        rehashed[0].signed[10] ^= 0x01
        rehashed[0].entryHash = rehashed[0].expectedHash
        #expect(finding(rehashed)?.entry.contains("#1") == true, "the signature no longer holds over the changed bytes")

        // An entry that claims another envelope's id.
        var relabelled = entries
        relabelled[2].envelopeID = entries[1].envelopeID
        relabelled[2].entryHash = relabelled[2].expectedHash
        #expect(finding(relabelled)?.entry.contains("#3") == true)

        // Signed by B's key but logged as this region's own.
        var forged = entries
        forged[1].direction = .sent
        forged[1].entryHash = forged[1].expectedHash
        #expect(finding(forged)?.entry.contains("#2") == true)
    }

    @Test("a chain pruned by its retention holds from its first kept entry, which anchors it")
    func pruned() throws {
        let entries = try Self.chain()
        #expect(try Self.verify(Array(entries.dropFirst())).get().pruned)
    }
}
