import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceTestSupport
import Signing
@testable import ServiceKit
import TestSupport
import Testing
import TongbanClient

@Suite("an application built with the kit")
struct KitApplicationTests {
    static let decision = #"{"outcome":"approve","legalBasis":"食品安全法 第三十五条","workingDays":3}"#

    @Test("no token: 401 problem+json with a Bearer challenge")
    func missingToken() async throws {
        let kit = KitApplication()
        try await kit.build().test(.router) { client in
            try await client.execute(uri: "/departments/market-regulation/tasks/t-1/decision", method: .post, body: ByteBuffer(string: Self.decision)) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="tongban""#)
                let problem = response.problem
                #expect(problem?.type == "urn:tongban:problem:unauthenticated")
                #expect(problem?.status == 401)
                #expect(problem?.instance == "/departments/market-regulation/tasks/t-1/decision")
            }
        }
    }

    @Test("text from outside is checked before any route: a control character, bytes that are not UTF-8 or an over-long value in the query or the path is a 400 naming the field")
    func textAtTheEdge() async throws {
        let kit = KitApplication()
        let officer = try await kit.token(KitApplication.officer)
        let long = String(repeating: "a", count: 513)
        try await kit.build().test(.router) { client in
            for (uri, field, problem) in [
                ("/healthz?department=%00", "department", "U+0000"),
                ("/healthz?department=market%0Aregulation", "department", "U+000A"),
                ("/healthz?department=%FF", "department", "UTF-8"),
                ("/healthz?department=\(long)", "department", "at most 512"),
                ("/departments/market%00regulation/tasks/t-1/decision", "path", "U+0000"),
            ] {
                try await client.execute(uri: uri, method: uri.hasPrefix("/departments") ? .post : .get, headers: bearer(officer), body: ByteBuffer(string: Self.decision)) { response in
                    #expect(response.status == .badRequest, "\(uri)")
                    #expect(response.problem?.type == "urn:tongban:problem:validation", "\(uri)")
                    #expect(response.problem?.errors?.first?.field == field, "\(uri)")
                    #expect(response.problem?.errors?.first?.problem.contains(problem) == true, "\(uri): \(response.problem?.errors ?? [])")
                }
            }
            // Ordinary text, percent-encoded Chinese included, passes.
            try await client.execute(uri: "/healthz?department=%E5%B8%82%E5%9C%BA%E7%9B%91%E7%AE%A1&light=red", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("header values and the strings of a JSON body are checked too: not UTF-8 or a control character (tab, line feed and carriage return allowed in bodies) is a 400 naming the header or the field")
    func textInHeadersAndBodies() async throws {
        let kit = KitApplication()
        let officer = try await kit.token(KitApplication.officer)
        let uri = "/departments/market-regulation/tasks/t-1/decision"
        @Sendable func body(_ legalBasis: String) -> String {
            #"{"outcome":"approve","legalBasis":"\#(legalBasis)","workingDays":3}"#
        }
        try await kit.build().test(.router) { client in
            var headers = bearer(officer)
            headers.append(HTTPField(name: HTTPField.Name("Idempotency-Key")!, value: [0xFF, 0x41]))
            try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: Self.decision)) { response in
                #expect(response.status == .badRequest)
                #expect(response.problem?.errors?.first?.field == "idempotency-key")
                #expect(response.problem?.errors?.first?.problem == "is not UTF-8")
            }
            headers = bearer(officer)
            headers.append(HTTPField(name: HTTPField.Name("Idempotency-Key")!, lenientValue: Array("key\u{1}1".utf8)))
            try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: Self.decision)) { response in
                #expect(response.status == .badRequest)
                #expect(response.problem?.errors?.first?.problem.contains("U+0001") == true, "\(response.problem?.errors ?? [])")
            }
            for (legalBasis, problem) in [(#"第\u0000条"#, "U+0000"), (#"第\b条"#, "U+0008"), ("第\u{85}条", "U+0085"), (#"第\u007F条"#, "U+007F")] {
                try await client.execute(uri: uri, method: .post, headers: bearer(officer), body: ByteBuffer(string: body(legalBasis))) { response in
                    #expect(response.status == .badRequest, "\(legalBasis)")
                    #expect(response.problem?.errors?.first?.field == "legalBasis", "\(legalBasis)")
                    #expect(response.problem?.errors?.first?.problem.contains(problem) == true, "\(legalBasis): \(response.problem?.errors ?? [])")
                }
            }
            // A member's name is a string too; a nested one names its path.
            try await client.execute(uri: uri, method: .post, headers: bearer(officer), body: ByteBuffer(string: #"{"outcome":"approve","legalBasis":"x","workingDays":3,"notes":[{"a\u0001":"y"}]}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(response.problem?.errors?.first?.field == "notes[0]")
                #expect(response.problem?.errors?.first?.problem == "a member's name contains the control character U+0001")
            }
            // Lines and tabs are text; an escaped backslash before "u0000" is text as well.
            for legalBasis in [#"第一款\n第二款\t（一）"#, #"C:\\u0000"#] {
                try await client.execute(uri: uri, method: .post, headers: bearer(officer), body: ByteBuffer(string: body(legalBasis))) { response in
                    #expect(response.status == .ok, "\(legalBasis): \(response.problem?.errors ?? [])")
                }
            }
        }
    }

    @Test("the wrong role: 403")
    func wrongRole() async throws {
        let kit = KitApplication()
        let clerk = try await kit.token(Principal(subject: "clerk-3", role: .clerk, region: "130100"))
        try await kit.build().test(.router) { client in
            try await client.execute(uri: "/departments/market-regulation/tasks/t-1/decision", method: .post, headers: bearer(clerk), body: ByteBuffer(string: Self.decision)) { response in
                #expect(response.status == .forbidden)
                #expect(response.problem?.type == "urn:tongban:problem:forbidden")
            }
        }
    }

    @Test("to an officer of another department the task does not exist (404); of this one: 200")
    func ownDepartment() async throws {
        let kit = KitApplication()
        let officer = try await kit.token(KitApplication.officer)
        try await kit.build().test(.router) { client in
            try await client.execute(uri: "/departments/natural-resources/tasks/t-1/decision", method: .post, headers: bearer(officer), body: ByteBuffer(string: Self.decision)) { response in
                #expect(response.status == .notFound)
                #expect(response.problem?.detail == "No such task.")
            }
            try await client.execute(uri: "/departments/market-regulation/tasks/t-1/decision", method: .post, headers: bearer(officer), body: ByteBuffer(string: Self.decision)) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains(#""by":"officer-17""#))
            }
        }
    }

    @Test("an expired token: 401")
    func expiredToken() async throws {
        let kit = KitApplication()
        let expired = try await kit.token(KitApplication.officer, lifetime: .seconds(3600), now: Date().addingTimeInterval(-7200))
        try await kit.build().test(.router) { client in
            try await client.execute(uri: "/departments/market-regulation/tasks/t-1/decision", method: .post, headers: bearer(expired), body: ByteBuffer(string: Self.decision)) { response in
                #expect(response.status == .unauthorized)
                #expect(response.problem?.detail == "The token has expired.")
            }
        }
    }

    @Test("a forged token — another key, an edited payload, another issuer, or no signature: 401", arguments: ["other key", "edited payload", "other issuer", "alg none"])
    func forgedToken(forgery: String) async throws {
        let kit = KitApplication()
        let token: String
        switch forgery {
        case "other key":
            token = try await kit.token(KitApplication.officer, key: .generate())
        case "edited payload":
            // An applicant's genuine token with the role changed to admin, signature kept.
            let genuine = try await kit.token(Principal(subject: "applicant-7", role: .applicant)).split(separator: ".")
            let payload = String(decoding: try #require(Base64URL.decode(String(genuine[1]))), as: UTF8.self)
                .replacingOccurrences(of: #""role":"applicant""#, with: #""role":"officer","department":"market-regulation","region":"130100""#)
            token = [String(genuine[0]), Base64URL.encode(Array(payload.utf8)), String(genuine[2])].joined(separator: ".")
        case "other issuer":
            token = try await kit.token(KitApplication.officer, issuer: "someone-else")
        default:
            let claims = #"{"sub":"officer-17","iss":"tongban-local","aud":["tongban"],"iat":0,"exp":9999999999,"role":"officer","department":"market-regulation","region":"130100"}"#
            token = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + Base64URL.encode(Array(claims.utf8)) + "."
        }
        try await kit.build().test(.router) { client in
            try await client.execute(uri: "/departments/market-regulation/tasks/t-1/decision", method: .post, headers: bearer(token), body: ByteBuffer(string: Self.decision)) { response in
                #expect(response.status == .unauthorized)
                #expect(response.problem?.type == "urn:tongban:problem:unauthenticated")
            }
        }
    }

    @Test("an applicant sees their own case, by the verified identity their token carries; someone else's case, or one seen without an identity, is not found")
    func ownCase() async throws {
        let kit = KitApplication()
        let owner = try await kit.token(Principal(subject: "applicant-7", role: .applicant, identity: "91350100M000100Y43"))
        let stranger = try await kit.token(Principal(subject: "applicant-8", role: .applicant, identity: "91110000600037341L"))
        let unverified = try await kit.token(Principal(subject: "applicant-7", role: .applicant))
        try await kit.build().test(.router) { client in
            try await client.execute(uri: "/cases/130100-20261123-000001", method: .get, headers: bearer(owner)) { response in
                #expect(response.status == .ok)
            }
            for token in [stranger, unverified] {
                try await client.execute(uri: "/cases/130100-20261123-000001", method: .get, headers: bearer(token)) { response in
                    #expect(response.status == .notFound)
                    #expect(response.problem?.type == "urn:tongban:problem:not-found")
                }
            }
        }
    }

    @Test("malformed JSON: 400 problem+json; a wrong or missing field is named", arguments: [
        (#"{"outcome":"approve","#, "urn:tongban:problem:malformed-request", nil as String?),
        (#"{"outcome":"approve","legalBasis":"第三十五条","workingDays":"three"}"#, "urn:tongban:problem:validation", "workingDays"),
        (#"{"outcome":"approve","workingDays":3}"#, "urn:tongban:problem:validation", "legalBasis"),
        (#"{"outcome":null,"legalBasis":"第三十五条","workingDays":3}"#, "urn:tongban:problem:validation", "outcome"),
    ])
    func malformedBody(body: String, type: String, field: String?) async throws {
        let kit = KitApplication()
        let officer = try await kit.token(KitApplication.officer)
        try await kit.build().test(.router) { client in
            try await client.execute(uri: "/departments/market-regulation/tasks/t-1/decision", method: .post, headers: bearer(officer), body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest)
                let problem = response.problem
                #expect(problem?.type == type)
                #expect(problem?.errors?.first?.field == field)
            }
        }
    }

    @Test("an unexpected error: 500 that shows no statement, data or stack, and is logged under its request id")
    func unexpectedError() async throws {
        let kit = KitApplication()
        try await kit.build().test(.router) { client in
            try await client.execute(uri: "/failing", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "req-42"]) { response in
                #expect(response.status == .internalServerError)
                #expect(response.headers[.init("X-Request-Id")!] == "req-42")
                let problem = response.problem
                #expect(problem?.type == "urn:tongban:problem:internal")
                #expect(problem?.requestId == "req-42")
                for secret in ["SELECT", "intake.cases", "130102199003074578", "StorageFailure", ".swift"] {
                    #expect(!response.text.contains(secret), "the 500 body shows \(secret)")
                }
            }
        }
        let logged = kit.logLines.filter { $0.contains(#""request.id":"req-42""#) }
        #expect(logged.contains { $0.contains("unexpected error") && $0.contains("SELECT * FROM intake.cases") })
    }

    @Test("an unknown route: 404 problem+json")
    func unknownRoute() async throws {
        try await KitApplication().build().test(.router) { client in
            try await client.execute(uri: "/no/such/thing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.problem?.type == "urn:tongban:problem:not-found")
            }
        }
    }

    @Test("/metrics is Prometheus text, counting requests by route template and status")
    func metrics() async throws {
        let kit = KitApplication()
        let officer = try await kit.token(KitApplication.officer)
        try await kit.build().test(.router) { client in
            for task in ["t-1", "t-2", "t-3"] {
                try await client.execute(uri: "/departments/market-regulation/tasks/\(task)/decision", method: .post, headers: bearer(officer), body: ByteBuffer(string: Self.decision)) { _ in }
            }
            try await client.execute(uri: "/failing", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let samples = try PrometheusText.parse(response.text)
                let decided = samples.first {
                    $0.name == "http_requests_total" && $0.labels["route"] == "/departments/{department}/tasks/{task}/decision" && $0.labels["status"] == "200"
                }
                #expect(decided?.value == 3)
                #expect(samples.contains { $0.name == "http_requests_total" && $0.labels["route"] == "/failing" && $0.labels["status"] == "500" && $0.value == 1 })
                #expect(samples.contains { $0.name == "http_request_duration_seconds_count" && $0.labels["route"] == "/failing" && $0.value == 1 })
                // Raw paths never become labels.
                #expect(!samples.contains { $0.labels.values.contains("t-1") })
            }
        }
    }
}

@Suite("readiness while PostgreSQL stops and returns")
struct ReadinessRestartTests {
    @Test("/readyz is 200 with PostgreSQL up, 503 while it is stopped, 200 again once it returns")
    func readiness() async throws {
        let kit = KitApplication()
        try await kit.build().test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains(#""postgresql":"pass""#))
            }
            try await LocalInfrastructure.stop(.postgres)
            do {
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.text.contains(#""status":"fail""#))
                }
            } catch {
                try await LocalInfrastructure.start(.postgres)
                throw error
            }
            try await LocalInfrastructure.start(.postgres)
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}

@Suite("readiness while the broker stops and returns")
struct BrokerReadinessRestartTests {
    @Test("/readyz is 503 naming kafka while Tansu is stopped, and 200 once it returns")
    func brokerReadiness() async throws {
        let kit = KitApplication()
        try await kit.build().test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains(#""kafka":"pass""#))
            }
            try await LocalInfrastructure.stop(.tansu)
            do {
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.text.contains(#""kafka":"fail"#))
                    #expect(response.text.contains(#""postgresql":"pass""#))
                }
            } catch {
                try await LocalInfrastructure.start(.tansu)
                throw error
            }
            try await LocalInfrastructure.start(.tansu)
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
