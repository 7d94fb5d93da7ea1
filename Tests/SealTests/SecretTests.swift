import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import NIOCore
import Postgres
@testable import Seal
import ServiceKit
import ServiceTestSupport
import Signing
import Synchronization
import Testing

/// A seal key's private half is never logged, never answered, and never rests unwrapped.
@Suite struct SecretTests {
    @Test func aPrivateKeyAppearsInNoLogLineAndNoResponse() async throws {
        let harness = try SealHarness()
        let imported = Curve25519.Signing.PrivateKey()
        try await harness.run { seal in
            // Everything seal does with its keys: generate, seal licences, rotate, import, publish
            // keys and status lists, verify, render pages, refuse a bad import.
            let decided = SealHarness.constructionBundle(refusing: ["130100-JS-004"])
            try await harness.publish(decided)
            let issued = try await harness.licencesIssued(decided.caseNumber)
            let admin = try await harness.token(.admin)
            let holder = try await harness.region.token(Principal(subject: "applicant-42", role: .applicant, identity: "91130100MA0CXK4E5L"))
            _ = try await seal.request(.post, "/keys/rotation", token: admin)
            let body = try JSONValue(encoding: ["privateKeyMultibase": Multikey.encodeEd25519PrivateKey(imported.rawRepresentation)])
            #expect(try await seal.request(.post, "/keys/rotation", token: admin, body: body.canonicalBytes).status == .created)
            // The same import again fails: its problem must not echo the key either.
            #expect(try await seal.request(.post, "/keys/rotation", token: admin, body: body.canonicalBytes).status == .conflict)
            let later = SealHarness.constructionBundle()
            try await harness.publish(later)
            _ = try await harness.licencesIssued(later.caseNumber)
            for licence in issued.licences {
                let credential = try await seal.licence(licence.licenceNumber, token: holder)
                _ = try await seal.verify(.object(credential))
                _ = try await seal.get("/licences/\(licence.licenceNumber)/page", token: holder)
                _ = try await seal.verification(of: licence)
            }
            _ = try await seal.get("/keys")
            _ = try await seal.get("/issuers/130100")
            _ = try await seal.get("/status-lists/revocation-1")
            _ = try await seal.get("/status-lists/suspension-1")
            _ = try await seal.get("/metrics")

            // Every private key seal holds, unwrapped here with the test's own key encryption key.
            let stored = try await seal.sealDatabase { database in
                try await database.query("SELECT key_id, bureau, wrapped_private_key FROM seal_keys").decode((String, String, Data).self)
            }
            #expect(stored.count == 3)
            var privateKeys: [[UInt8]] = []
            for (keyID, bureau, wrapped) in stored {
                let raw = Array(try harness.keyEncryptionKey.open(Array(wrapped), context: SealKeyring.wrappingContext(keyID: keyID, bureau: bureau)))
                #expect(raw.count == 32)
                // At rest only wrapped: the raw bytes are not in the stored value.
                #expect(!Array(wrapped).contains(subsequence: raw))
                privateKeys.append(raw)
            }
            #expect(privateKeys.contains(Array(imported.rawRepresentation)))

            let lines = harness.logLines.withLock { $0 }
            let responses = harness.responses.withLock { $0 }
            #expect(lines.count > 10, "the test must have seen seal's logging")
            #expect(responses.count > 15)
            #expect(lines.contains { $0.contains("seal key rotated") })
            for key in privateKeys {
                let hex = key.map { String(format: "%02x", $0) }.joined()
                let forms = [
                    Data(key).base64EncodedString(),
                    Base64URL.encode(key),
                    hex,
                    hex.uppercased(),
                    Multikey.encodeEd25519PrivateKey(key),
                    Multibase.encode(key, as: .base58btc),
                    String(Base58.encode(key)),
                ]
                for line in lines {
                    #expect(!Array(line.utf8).contains(subsequence: key), "raw private key bytes in a log line")
                    for form in forms { #expect(!line.contains(form), "a private key in a log line: \(line)") }
                }
                for response in responses {
                    #expect(!response.contains(subsequence: key), "raw private key bytes in a response")
                    let text = String(decoding: response, as: UTF8.self)
                    for form in forms { #expect(!text.contains(form), "a private key in a response") }
                }
            }
        }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard !subsequence.isEmpty, subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { self[$0..<$0 + subsequence.count].elementsEqual(subsequence) }
    }
}
