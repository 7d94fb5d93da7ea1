import Crypto
import Foundation
import Signing
import Testing

/// eddsa-jcs-2022 against the W3C test vector: the same key and document give the same bytes at
/// every step, down to the published proofValue.
@Suite struct DataIntegrityTests {
    static func text(_ name: String) throws -> String {
        String(decoding: try CanonicalizationTests.vector("eddsa-jcs-2022/\(name)"), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func object(_ name: String) throws -> JSONObject {
        try #require(try JSONValue(parsing: text(name)).objectValue)
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    struct Vector {
        var key: Curve25519.Signing.PrivateKey
        var publicKeyMultibase: String
        var document: JSONObject
        var options: EddsaJcs2022.ProofOptions
    }

    static func vector() throws -> Vector {
        let pair = try object("keyPair.json")
        let privateMultibase = try #require(pair["privateKeyMultibase"]?.stringValue)
        let seed = try #require(Multikey.decodeEd25519PrivateKey(privateMultibase))
        let config = try object("proofConfigJCS.json")
        return Vector(
            key: try Curve25519.Signing.PrivateKey(rawRepresentation: seed),
            publicKeyMultibase: try #require(pair["publicKeyMultibase"]?.stringValue),
            document: try object("unsigned.json"),
            options: EddsaJcs2022.ProofOptions(
                verificationMethod: try #require(config["verificationMethod"]?.stringValue),
                proofPurpose: try #require(config["proofPurpose"]?.stringValue),
                created: JSONValue.parseDateTime(try #require(config["created"]?.stringValue))
            )
        )
    }

    @Test func keyPairIsAMultikey() throws {
        let vector = try Self.vector()
        #expect(Multikey.encodeEd25519PublicKey(vector.key.publicKey.rawRepresentation) == vector.publicKeyMultibase)
        #expect(vector.publicKeyMultibase.hasPrefix("z6Mk"))
    }

    @Test func everyIntermediateStepMatches() throws {
        let vector = try Self.vector()
        #expect(JSONValue.object(vector.document).canonicalText == (try Self.text("canonDocJCS.txt")))
        #expect(Self.hex(SHA256.hash(data: vector.document.canonicalBytes)) == (try Self.text("docHashJCS.txt")))
        let proofConfig = try Self.object("proofConfigJCS.json")
        #expect(JSONValue.object(proofConfig).canonicalText == (try Self.text("proofCanonJCS.txt")))
        #expect(Self.hex(SHA256.hash(data: proofConfig.canonicalBytes)) == (try Self.text("proofHashJCS.txt")))
        #expect(Self.hex(EddsaJcs2022.hashData(document: vector.document, proofConfiguration: proofConfig)) == (try Self.text("combinedHashJCS.txt")))
    }

    /// Ed25519 (RFC 8032) is deterministic, so the same key and data give the published signature.
    @Test func createsTheByteIdenticalProof() throws {
        let vector = try Self.vector()
        let proof = try EddsaJcs2022.createProof(for: vector.document, options: vector.options, key: vector.key)
        #expect(proof["proofValue"]?.stringValue == (try Self.text("sigBTC58JCS.txt")))
        let proofValue = try #require(proof["proofValue"]?.stringValue)
        let signature = try #require(Multibase.decode(proofValue))
        #expect(Self.hex(signature) == (try Self.text("sigHexJCS.txt")))
        let published = try Self.object("signedJCS.json")
        #expect(JSONValue.object(try EddsaJcs2022.sign(vector.document, options: vector.options, key: vector.key)) == .object(published))
    }

    @Test func verifiesThePublishedCredential() throws {
        let vector = try Self.vector()
        let published = try Self.object("signedJCS.json")
        let proof = try EddsaJcs2022.verify(published) { method in
            method.hasSuffix("#" + vector.publicKeyMultibase) ? vector.key.publicKey : nil
        }
        #expect(proof.verificationMethod.hasPrefix("did:key:z6Mk"))
        #expect(proof.created == JSONValue.parseDateTime("2023-02-24T23:36:38Z"))
    }

    /// One changed character anywhere — in the document, in the proof's options, or the signature
    /// itself — and the proof no longer verifies.
    @Test func anyChangeBreaksIt() throws {
        let vector = try Self.vector()
        let published = try Self.object("signedJCS.json")
        let resolve: (String) -> Curve25519.Signing.PublicKey? = { _ in vector.key.publicKey }

        var renamed = published
        renamed["credentialSubject"] = ["id": "did:example:abcdefgh", "alumniOf": "The School of Examplez"]
        #expect(throws: EddsaJcs2022.Failure.signatureMismatch) { try EddsaJcs2022.verify(renamed, resolveKey: resolve) }

        var backdated = published
        var proof = try #require(published["proof"]?.objectValue)
        proof["created"] = "2023-02-24T23:36:39Z"
        backdated["proof"] = .object(proof)
        #expect(throws: EddsaJcs2022.Failure.signatureMismatch) { try EddsaJcs2022.verify(backdated, resolveKey: resolve) }

        var contextDropped = published
        contextDropped["@context"] = ["https://www.w3.org/ns/credentials/v2"]
        #expect(throws: EddsaJcs2022.Failure.contextMismatch) { try EddsaJcs2022.verify(contextDropped, resolveKey: resolve) }

        #expect(throws: EddsaJcs2022.Failure.noProof) { try EddsaJcs2022.verify(vector.document, resolveKey: resolve) }
        #expect(throws: EddsaJcs2022.Failure.unknownVerificationMethod(vector.options.verificationMethod)) {
            try EddsaJcs2022.verify(published) { _ in nil }
        }
        let otherKey = Curve25519.Signing.PrivateKey()
        #expect(throws: EddsaJcs2022.Failure.signatureMismatch) { try EddsaJcs2022.verify(published) { _ in otherKey.publicKey } }
    }

    /// Relay's envelopes: a detached signature over the canonical form survives reformatting and
    /// member order, and catches any change.
    @Test func detachedSignatureOverTheCanonicalForm() throws {
        let key = Curve25519.Signing.PrivateKey()
        let envelope: JSONObject = ["sender": "130100", "receiver": "440300", "kind": "case-handed-over", "payload": ["caseNumber": "130100-20261123-000042", "amount": 1.50]]
        let signed = try CanonicalSignature.signing(envelope, with: key)
        let signature = try #require(signed["signature"]?.stringValue)
        let reformatted = try #require(try JSONValue(parsing: """
            { "payload": {"amount": 1.5, "caseNumber": "130100-20261123-000042"},
              "kind": "case-handed-over", "receiver": "440300", "sender": "130100",
              "signature": "\(signature)" }
            """).objectValue)
        #expect(CanonicalSignature.hasValidSignature(reformatted, by: key.publicKey))
        var tampered = reformatted
        tampered["receiver"] = "440301"
        #expect(!CanonicalSignature.hasValidSignature(tampered, by: key.publicKey))
        #expect(!CanonicalSignature.hasValidSignature(reformatted, by: Curve25519.Signing.PrivateKey().publicKey))
    }

    @Test func base58AndBase64URLRoundTrip() throws {
        for bytes: [UInt8] in [[], [0], [0, 0, 1], [0xFF, 0xFE, 0x10], Array(0..<64)] {
            #expect(Multibase.decode(Multibase.encode(bytes, as: .base58btc)) == bytes)
            #expect(Multibase.decode(Multibase.encode(bytes, as: .base64url)) == bytes)
        }
        #expect(Multibase.encode(Array("Hello World!".utf8), as: .base58btc) == "z2NEpo7TZRRrLZSi2U")
        #expect(Multibase.encode(Array("Hello World!".utf8), as: .base64url) == "uSGVsbG8gV29ybGQh")
        #expect(Multibase.decode("z0OIl") == nil)
    }
}
