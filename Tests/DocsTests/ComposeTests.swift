import Foundation
import Messaging
import Testing

/// Compose/ cannot be started on a machine without a Docker engine (this one has only the client),
/// so these tests are what holds it to the code: the services and files it names exist, its
/// containers run the package's executables, Kafka gets every topic of the registry at the
/// cluster's replication factor, and the ACLs give each user exactly what its code uses.
@Suite("Compose/")
struct ComposeTests {
    /// One region's stack as `docker compose -f …` sees it.
    struct Stack {
        var name: String
        var files: [String]
        var document: [String: Any]

        var services: [String: [String: Any]] {
            (document["services"] as? [String: Any] ?? [:]).compactMapValues { $0 as? [String: Any] }
        }

        func service(_ name: String) -> [String: Any] { services[name] ?? [:] }

        /// A service's environment after Compose's interpolation as far as the files decide it:
        /// `${NAME:-default}` becomes the default, `${NAME:?message}` and `${NAME}` become `${NAME}`.
        static func environment(of service: [String: Any]) -> [String: String] {
            (service["environment"] as? [String: Any] ?? [:]).compactMapValues { value in
                guard var text = value as? String else { return nil }
                for match in text.matches(of: /\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}/).reversed() {
                    text.replaceSubrange(match.range, with: match.output.2 == ":-" ? String(match.output.3 ?? "") : "${\(match.output.1)}")
                }
                return text
            }
        }

        static func command(of service: [String: Any]) -> [String] {
            (service["entrypoint"] as? [Any] ?? service["command"] as? [Any] ?? []).compactMap { $0 as? String }
        }

        static func configSources(of service: [String: Any]) -> [String: String] {
            var sources: [String: String] = [:]
            for case let entry as [String: Any] in service["configs"] as? [Any] ?? [] {
                if let source = entry["source"] as? String, let target = entry["target"] as? String { sources[target] = source }
            }
            return sources
        }

        /// The services running Tongban's image, by name.
        var tongbanServices: [String: [String: Any]] {
            services.filter { ($0.value["image"] as? String)?.contains("TONGBAN_IMAGE") == true }
        }

        /// The services that run a Kafka node (Compose/kafka/broker.sh).
        var brokers: [String: [String: Any]] {
            services.filter { Stack.command(of: $0.value).contains { $0.hasSuffix("kafka-broker.sh") } }
        }

        /// The repository path of the file behind a config.
        func configFile(_ name: String) -> String? {
            guard let config = (document["configs"] as? [String: Any])?[name] as? [String: Any],
                  let file = config["file"] as? String
            else { return nil }
            return "Compose/" + file.replacingOccurrences(of: "./", with: "")
        }
    }

    static func home() throws -> Stack {
        Stack(name: "home", files: ["Compose/compose.yaml"], document: try PlainYAML.load(Repository.text("Compose/compose.yaml")))
    }

    /// Both regions: the home file with the partner overlay on top.
    static func withPartner() throws -> Stack {
        let overlay = try PlainYAML.load(Repository.text("Compose/partner-region.yaml"))
        return Stack(name: "home + partner", files: ["Compose/compose.yaml", "Compose/partner-region.yaml"], document: PlainYAML.merge(try home().document, overlay))
    }

    /// The services of the partner overlay alone (those named partner-…).
    static func partnerServices(_ stack: Stack) -> [String: [String: Any]] {
        stack.services.filter { $0.key.hasPrefix("partner-") }
    }

    @Test("every service, config file, volume and gateway upstream that the compose files name exists")
    func referencesResolve() throws {
        for stack in [try Self.home(), try Self.withPartner()] {
            let names = Set(stack.services.keys)
            let volumes = Set((stack.document["volumes"] as? [String: Any] ?? [:]).keys)
            let configs = Set((stack.document["configs"] as? [String: Any] ?? [:]).keys)
            for (name, service) in stack.services {
                let dependencies: [String] = (service["depends_on"] as? [String: Any]).map { Array($0.keys) } ?? (service["depends_on"] as? [Any] ?? []).compactMap { $0 as? String }
                for dependency in dependencies {
                    #expect(names.contains(dependency), "\(stack.name): \(name) depends on \(dependency), which is no service")
                }
                for case let mount as String in service["volumes"] as? [Any] ?? [] {
                    let source = String(mount.split(separator: ":").first ?? "")
                    #expect(volumes.contains(source), "\(stack.name): \(name) mounts volume \(source), which is not declared")
                }
                for source in Stack.configSources(of: service).values {
                    #expect(configs.contains(source), "\(stack.name): \(name) uses config \(source), which is not declared")
                }
                #expect(service["image"] != nil, "\(stack.name): \(name) has no image")
            }
            for config in configs {
                let file = try #require(stack.configFile(config), "\(stack.name): config \(config) names no file")
                #expect(Repository.exists(file), "\(stack.name): config \(config) is \(file), which does not exist")
            }
            // The gateways send each port to a service by its DNS name.
            for (name, service) in stack.services where Stack.configSources(of: service)["/etc/caddy/Caddyfile"] != nil {
                let file = try #require(stack.configFile(Stack.configSources(of: service)["/etc/caddy/Caddyfile"] ?? ""))
                let upstreams = try Repository.text(file).matches(of: /import service ([a-z-]+)/).map { String($0.output.1) }
                #expect(!upstreams.isEmpty, "\(name) sends nowhere")
                for upstream in upstreams {
                    #expect(names.contains(upstream), "\(stack.name): \(name) sends requests to \(upstream), which is no service")
                }
            }
        }
        let build = try #require(try Self.home().service("intake")["build"] as? [String: Any])
        #expect(build["dockerfile"] as? String == "Compose/Dockerfile" && Repository.exists("Compose/Dockerfile"))
    }

    @Test("Tongban's containers run the package's executables: each service its own, the jobs real tongban subcommands")
    func commandsAreExecutables() throws {
        let products = try Repository.executableProducts()
        #expect(products.isSuperset(of: TopicRegistry.services + ["tongban"]))

        // The one Dockerfile builds and installs every executable product.
        let dockerfile = try Repository.text("Compose/Dockerfile")
        let listed = try #require(dockerfile.firstMatch(of: /ARG TONGBAN_EXECUTABLES="([^"]+)"/)).output.1
        #expect(Set(listed.split(separator: " ").map(String.init)) == products, "Compose/Dockerfile builds \(listed), Package.swift has \(products.sorted())")
        #expect(dockerfile.contains("install -m 0755 \"$bin/$product\""))
        #expect(dockerfile.contains("FROM ${SWIFT_RUNTIME_IMAGE}") && dockerfile.contains("bookworm"))
        // librdkafka is built by the same script, with the same patches, as on a developer's machine.
        #expect(dockerfile.contains("COPY Scripts/librdkafka /librdkafka") && dockerfile.contains("bash /librdkafka/build.sh /debs"))
        #expect(dockerfile.contains("pkg-config --atleast-version=2.8.0 rdkafka"))

        let subcommands = try Self.tongbanSubcommands()
        for stack in [try Self.home(), try Self.withPartner()] {
            var running: Set<String> = []
            for (name, service) in stack.tongbanServices {
                let command = Stack.command(of: service)
                let executable = try #require(command.first, "\(stack.name): \(name) has no command")
                if executable == "/bin/sh" {
                    // A job script: every tongban subcommand it runs exists.
                    let script = try #require(Stack.configSources(of: service)[command.last ?? ""].flatMap(stack.configFile))
                    for call in try Repository.text(script).matches(of: /^\s*tongban ([a-z]+)/.anchorsMatchLineEndings()) {
                        #expect(subcommands.contains(String(call.output.1)), "\(script) runs tongban \(call.output.1), which does not exist")
                    }
                    continue
                }
                #expect(products.contains(executable), "\(stack.name): \(name) runs \(executable), which Package.swift does not build")
                if executable == "tongban" {
                    #expect(command.count > 1 && subcommands.contains(command[1]), "\(stack.name): \(name) runs tongban \(command.dropFirst().first ?? "")")
                }
                // A service container runs its own service: intake runs intake, partner-seal runs seal.
                let serviceName = name.replacingOccurrences(of: "partner-", with: "")
                if TopicRegistry.services.contains(serviceName) {
                    #expect(command == [serviceName], "\(stack.name): \(name) runs \(command)")
                    running.insert(serviceName)
                }
            }
            if stack.name == "home" {
                #expect(running == Set(TopicRegistry.services), "the home region runs \(running.sorted())")
            }
        }
        // The partner region runs what a handed-over case needs.
        let partner = Set(Self.partnerServices(try Self.withPartner()).keys)
        #expect(partner.isSuperset(of: ["partner-relay", "partner-approval", "partner-seal"]))
    }

    @Test("each service's replica count is the operator's to change, and the jobs run once")
    func replicas() throws {
        let stack = try Self.home()
        for service in TopicRegistry.services {
            let deploy = try #require(stack.service(service)["deploy"] as? [String: Any], "\(service) has no deploy section")
            let replicas = try #require(deploy["replicas"] as? String)
            #expect(replicas == "${\(service.uppercased())_REPLICAS:-\(service == "relay" ? 1 : 2)}", "\(service): replicas \(replicas)")
        }
        for job in ["database-setup", "keys"] {
            #expect(stack.service(job)["restart"] as? String == "no")
        }
    }

    /// The lines of Compose/kafka/setup.sh that call its helpers, with `$VARIABLE`s filled in from
    /// the setup container's environment: `["topic", "tongban.intake.case-submitted.v1", "6", …]`.
    static func setupCalls(environment: [String: String]) throws -> [[String]] {
        let helpers: Set<String> = ["user", "topic", "produce", "consume", "group", "group_prefix", "provision"]
        var calls: [[String]] = []
        for line in try Repository.text("Compose/kafka/setup.sh").split(separator: "\n") {
            let words = line.split(separator: " ").map { word in
                var text = String(word).replacingOccurrences(of: "\"", with: "")
                for match in text.matches(of: /\$\{?([A-Z_]+)(?::\?)?\}?/).reversed() {
                    text.replaceSubrange(match.range, with: environment[String(match.output.1)] ?? "<unset \(match.output.1)>")
                }
                return text
            }
            guard let first = words.first, helpers.contains(first), words.count > 1, !words[1].hasPrefix("(") else { continue }
            calls.append(words)
        }
        return calls
    }

    @Test("every topic of the registry is created with its partitions and retention, at replication factor 3 at home")
    func topicsAreCreated() throws {
        for stack in [try Self.home(), try Self.withPartner()] {
            let setups = stack.services.filter { Stack.command(of: $0.value).contains { $0.hasSuffix("kafka-setup.sh") } }
            #expect(setups.count == (stack.name == "home" ? 1 : 2))
            for (name, setup) in setups {
                let environment = Stack.environment(of: setup)
                // The brokers this setup job talks to are one cluster: the nodes in its bootstrap list.
                let servers = Set((environment["KAFKA_BOOTSTRAP_SERVERS"] ?? "").split(separator: ",").map { String($0.split(separator: ":")[0]) })
                let brokers = stack.brokers.filter { servers.contains($0.key) }
                #expect(brokers.count == servers.count && !brokers.isEmpty, "\(name) talks to \(servers.sorted()), brokers are \(stack.brokers.keys.sorted())")
                let factor = Int(environment["REPLICATION_FACTOR"] ?? "") ?? 0
                #expect(factor == brokers.count, "\(name): replication factor \(factor) on \(brokers.count) brokers")
                if name == "kafka-setup" {
                    #expect(factor == 3 && environment["MIN_INSYNC_REPLICAS"] == "2")
                }
                for (broker, service) in brokers {
                    let brokerEnvironment = Stack.environment(of: service)
                    // Topics that services recreate after a loss get the same factor.
                    #expect(brokerEnvironment["REPLICATION_FACTOR"] == String(factor), "\(broker)")
                    #expect(brokerEnvironment["KAFKA_ADVERTISED_HOST"] == broker && service["hostname"] as? String == broker)
                    let voters = brokerEnvironment["KAFKA_CONTROLLER_QUORUM_VOTERS"] ?? ""
                    #expect(voters.split(separator: ",").count == brokers.count, "\(broker): voters \(voters)")
                    #expect(voters.contains("\(brokerEnvironment["KAFKA_NODE_ID"] ?? "?")@\(broker):9093"), "\(broker) is not in its own quorum \(voters)")
                }
                let nodeIDs = brokers.values.map { Stack.environment(of: $0)["KAFKA_NODE_ID"] ?? "" }
                #expect(Set(nodeIDs).count == brokers.count, "\(name): node ids \(nodeIDs)")

                let created = try Self.setupCalls(environment: environment).filter { $0[0] == "topic" }
                var expected: [String: [String]] = [:]
                for topic in TopicRegistry.all {
                    expected[topic.name] = [String(topic.partitions), String(topic.retention.components.seconds * 1000)]
                }
                let made = Dictionary(created.map { ($0[1], Array($0.dropFirst(2))) }) { first, _ in first }
                #expect(created.count == made.count, "a topic is created twice")
                #expect(made == expected, "Compose/kafka/setup.sh creates \(made), the registry has \(expected)")
            }
        }
        let script = try Repository.text("Compose/kafka/setup.sh")
        #expect(script.contains("--replication-factor \"$REPLICATION_FACTOR\""))
        #expect(try Repository.text("Compose/kafka/broker.sh").contains("default.replication.factor=${REPLICATION_FACTOR}"))
    }

    /// What the ACL lines of setup.sh grant, per user.
    struct Grants {
        var users: Set<String> = []
        var writes: [String: Set<String>] = [:]
        var reads: [String: Set<String>] = [:]
        var groups: [String: Set<String>] = [:]
        var groupPrefixes: [String: Set<String>] = [:]
        var provisioners: Set<String> = []
        var topics: Set<String> = []

        init(_ calls: [[String]]) {
            for call in calls {
                switch call[0] {
                case "user": users.insert(call[1])
                case "topic": topics.insert(call[1])
                case "produce": writes[call[1], default: []].insert(call[2])
                case "consume": reads[call[1], default: []].insert(call[2])
                case "group": groups[call[1], default: []].insert(call[2])
                case "group_prefix": groupPrefixes[call[1], default: []].insert(call[2])
                case "provision": provisioners.insert(call[1])
                default: break
                }
            }
        }

        var principals: Set<String> {
            Set(writes.keys).union(reads.keys).union(groups.keys).union(groupPrefixes.keys).union(provisioners)
        }
    }

    @Test("every ACL names a user that is created and a topic that is created; each service reaches exactly the topics and groups its code uses")
    func accessControl() throws {
        let stack = try Self.withPartner()
        let consumed = try Dictionary(uniqueKeysWithValues: TopicRegistry.services.map { service in
            (service, try Repository.consumedTopics(service: service.prefix(1).uppercased() + service.dropFirst()))
        })
        // The code's own consumer groups: `tongban.<service>` from ServiceKit, and
        // `tongban.<service>-<purpose>` for each `consumerGroup("<purpose>")` a service asks for.
        var codeGroups: [String: Set<String>] = [:]
        for service in TopicRegistry.services {
            var groups: Set<String> = ["tongban.\(service)"]
            for path in Repository.files(under: "Services/\(service.prefix(1).uppercased() + service.dropFirst())", extensions: [".swift"]) {
                for match in try Repository.swiftCode(path).matches(of: /consumerGroup\("([^"]+)"\)/) { groups.insert("tongban.\(service)-\(match.output.1)") }
            }
            codeGroups[service] = groups
        }
        #expect(consumed["seal"] == ["tongban.approval.bundle-decided.v1", "tongban.approval.decision-revoked.v1"], "the code scan finds seal's topics")
        #expect(consumed["relay"]?.contains("tongban.relay.inbox.v1") == true)
        #expect(codeGroups["relay"]?.contains("tongban.relay-inbox") == true)

        let inbox = Topic.relayInbox.name
        let decisions: Set<String> = [Topic.taskDecided.name, Topic.bundleDecided.name, Topic.decisionRevoked.name]
        for setup in ["kafka-setup", "partner-kafka-setup"] {
            let environment = Stack.environment(of: stack.service(setup))
            let grants = Grants(try Self.setupCalls(environment: environment))
            #expect(grants.principals.isSubset(of: grants.users), "\(setup): ACLs for users never created: \(grants.principals.subtracting(grants.users).sorted())")
            let named = grants.writes.values.reduce(Set<String>(), { $0.union($1) }).union(grants.reads.values.reduce(Set<String>(), { $0.union($1) }))
            #expect(named.isSubset(of: grants.topics), "\(setup): ACLs on topics never created: \(named.subtracting(grants.topics).sorted())")
            #expect(grants.users.isSuperset(of: TopicRegistry.services))

            for service in TopicRegistry.services {
                // It publishes what it owns (its dead letters too) and nothing else; the inbox is the partners'.
                let owned = Set(TopicRegistry.all.filter { $0.owner == service }.map(\.name)).subtracting([inbox])
                #expect(grants.writes[service] ?? [] == owned, "\(setup): \(service) may write \((grants.writes[service] ?? []).sorted()), owns \(owned.sorted())")
                #expect(grants.reads[service] ?? [] == consumed[service] ?? [], "\(setup): \(service) may read \((grants.reads[service] ?? []).sorted()), its code consumes \((consumed[service] ?? []).sorted())")
                #expect(grants.groups[service] ?? [] == codeGroups[service] ?? [], "\(setup): \(service)'s groups \((grants.groups[service] ?? []).sorted()), the code's \((codeGroups[service] ?? []).sorted())")
                #expect(grants.groupPrefixes[service] == nil)
                #expect(grants.provisioners.contains(service), "\(setup): \(service) cannot recreate lost topics")
            }

            // A department reads the decision topics, in groups named after it, and does nothing else.
            let department = try #require(environment["DEPARTMENT_USER"])
            #expect(grants.users.contains(department))
            #expect(grants.reads[department] == decisions)
            #expect(grants.writes[department] == nil && grants.groups[department] == nil && !grants.provisioners.contains(department))
            #expect(grants.groupPrefixes[department] == ["\(department)."])

            // A partner region's relay writes into the inbox and does nothing else.
            let partner = "partner-\(try #require(environment["PARTNER_REGION"]))"
            #expect(grants.users.contains(partner))
            #expect(grants.writes[partner] == [inbox])
            #expect(grants.reads[partner] == nil && grants.groups[partner] == nil && grants.groupPrefixes[partner] == nil)
        }

        // Each service signs in to its region's Kafka as its own user, with the password that user was made with.
        for (name, service) in stack.tongbanServices {
            let serviceName = name.replacingOccurrences(of: "partner-", with: "")
            guard TopicRegistry.services.contains(serviceName) else { continue }
            let environment = Stack.environment(of: service)
            let setup = Stack.environment(of: stack.service(name.hasPrefix("partner-") ? "partner-kafka-setup" : "kafka-setup"))
            #expect(environment["TONGBAN_KAFKA_SASL_USERNAME"] == serviceName, "\(name)")
            #expect(environment["TONGBAN_KAFKA_SECURITY_PROTOCOL"] == "sasl_plaintext" && environment["TONGBAN_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512", "\(name)")
            #expect(environment["TONGBAN_KAFKA_BOOTSTRAP_SERVERS"] == setup["KAFKA_BOOTSTRAP_SERVERS"], "\(name) talks to another cluster")
            let password = environment["TONGBAN_KAFKA_SASL_PASSWORD"]
            #expect(password != nil && password == setup["\(serviceName.uppercased())_KAFKA_PASSWORD"], "\(name) signs in with \(password ?? "nothing")")
        }
    }

    @Test("the partner overlay wires the two regions to each other: inboxes, users and passwords match")
    func partnerWiring() throws {
        let stack = try Self.withPartner()
        let keys = Stack.environment(of: stack.service("keys"))
        let home = Stack.environment(of: stack.service("kafka-setup"))
        let partner = Stack.environment(of: stack.service("partner-kafka-setup"))
        // Home's relay signs in at the partner's cluster as partner-<home region>, with the password the partner made that user with.
        #expect(partner["PARTNER_REGION"] == keys["TONGBAN_REGION"])
        #expect(home["PARTNER_REGION"] == keys["PARTNER_REGION"])
        #expect(partner["PARTNER_KAFKA_PASSWORD"] == keys["PARTNER_INBOX_PASSWORD"])
        #expect(home["PARTNER_KAFKA_PASSWORD"] == keys["HOME_INBOX_PASSWORD"])
        #expect(keys["PARTNER_BOOTSTRAP_SERVERS"] == partner["KAFKA_BOOTSTRAP_SERVERS"])
        #expect(keys["HOME_BOOTSTRAP_SERVERS"] == home["KAFKA_BOOTSTRAP_SERVERS"])
        let partnerRelay = Stack.environment(of: stack.service("partner-relay"))
        #expect(partnerRelay["TONGBAN_REGION"] == "110100" && partnerRelay["TONGBAN_RELAY_PARTNERS_FILE"] == "/keys/relay/110100/partners.json")
        #expect(partnerRelay["TONGBAN_KAFKA_BOOTSTRAP_SERVERS"] == partner["KAFKA_BOOTSTRAP_SERVERS"])

        // The partner's working days are the State Council's arrangement, as the shipped calendar's.
        func days(_ path: String) throws -> [String: [String: [String]]] {
            let object = try JSONSerialization.jsonObject(with: Data(Repository.text(path).utf8)) as? [String: Any]
            return (object?["years"] as? [String: [String: Any]] ?? [:]).mapValues { year in
                year.compactMapValues { $0 as? [String] }
            }
        }
        #expect(try days("Compose/partner/calendars/110100.json") == days("Shared/Domain/Calendars/130100.json"))
    }

    /// `tongban`'s subcommands, from Services/CLI/Tongban.swift (`subcommands: [Status.self, …]`).
    static func tongbanSubcommands() throws -> Set<String> {
        let code = try Repository.swiftCode("Services/CLI/Tongban.swift")
        let list = try #require(code.firstMatch(of: /subcommands: \[([^\]]+)\]/)).output.1
        return Set(list.matches(of: /(\w+)\.self/).map { $0.output.1.lowercased() })
    }
}
