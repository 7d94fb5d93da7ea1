import Foundation
import Messaging
import TestSupport
import Testing

@Suite("the topic registry and Docs/asyncapi.yaml")
struct TopicRegistryTests {
    @Test("every topic is named tongban.<owner>.<event>.v<N>, once, and owned by a service")
    func names() {
        let names = TopicRegistry.all.map(\.name)
        #expect(Set(names).count == names.count)
        for topic in TopicRegistry.all {
            #expect(topic.name.wholeMatch(of: /tongban\.[a-z]+\.[a-z][a-z0-9-]*\.v[1-9][0-9]*/) != nil, "\(topic.name)")
            #expect(TopicRegistry.services.contains(topic.owner))
            #expect(topic.partitions >= 1)
        }
        for service in TopicRegistry.services {
            #expect(names.contains("tongban.\(service).dlq.v1"))
        }
    }

    @Test("the committed Docs/asyncapi.yaml is what the registry generates (run `tongban docs asyncapi` after changing a topic)")
    func asyncAPIMatchesRegistry() throws {
        let path = LocalInfrastructure.repositoryRoot.appendingPathComponent("Docs/asyncapi.yaml")
        let committed = try String(contentsOf: path, encoding: .utf8)
        #expect(committed == AsyncAPIDocument.render())
        for topic in TopicRegistry.all {
            #expect(committed.contains("address: \(topic.name)\n"))
        }
    }
}
