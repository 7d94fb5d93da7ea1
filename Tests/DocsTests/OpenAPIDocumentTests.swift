import Foundation
import OpenAPIKit
import TestSupport
import Testing
import Yams

/// Docs/openapi.yaml is what applicants' portals, window terminals and departments' systems build
/// against: it must be a valid OpenAPI 3.1 document, and say how every operation fails.
@Suite("Docs/openapi.yaml")
struct OpenAPIDocumentTests {
    static func document() throws -> OpenAPI.Document {
        let path = LocalInfrastructure.repositoryRoot.appendingPathComponent("Docs/openapi.yaml")
        return try YAMLDecoder().decode(OpenAPI.Document.self, from: try String(contentsOf: path, encoding: .utf8))
    }

    @Test("parses as OpenAPI 3.1 and passes OpenAPIKit's validation (references resolve, operations have responses)")
    func validates() throws {
        let document = try Self.document()
        #expect(document.openAPIVersion.rawValue.hasPrefix("3.1"))
        try document.validate()
    }

    @Test("every operation names its service's tag, and every operation that needs a caller documents 401 and 403")
    func operationsAreComplete() throws {
        let document = try Self.document()
        let tags = Set((document.tags ?? []).map(\.name))
        for (path, item) in document.paths {
            guard let item = item.pathItemValue else { continue }
            for endpoint in item.endpoints {
                let name = "\(endpoint.method.rawValue) \(path.rawValue)"
                let operationTags = endpoint.operation.tags ?? []
                #expect(!operationTags.isEmpty && operationTags.allSatisfy(tags.contains), "\(name) has no known tag")
                let secured = endpoint.operation.security.map { !$0.isEmpty } ?? !(document.security.isEmpty)
                if secured {
                    let statuses = Set(endpoint.operation.responses.keys.map(\.rawValue))
                    #expect(statuses.contains("401") && statuses.contains("403"), "\(name) needs a caller but does not say what 401 and 403 mean")
                }
            }
        }
    }
}
