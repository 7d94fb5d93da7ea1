// swift-tools-version:6.2
import PackageDescription

/// Swift 6 language mode, strict concurrency, and every warning an error — for our own targets only.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let unixSignals = Target.Dependency.product(name: "UnixSignals", package: "swift-service-lifecycle")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")

/// One executable per service; each is built on ServiceKit and tells its whole story in its own folder.
func service(_ name: String, dependencies: [Target.Dependency] = [], resources: [Resource] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["ServiceKit", "Plumbing", "TongbanClient", hummingbird, lifecycle, logging] + dependencies,
        path: "Services/\(name)",
        resources: resources,
        swiftSettings: strict
    )
}

let package = Package(
    name: "tongban",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "intake", targets: ["Intake"]),
        .executable(name: "relay", targets: ["Relay"]),
        .executable(name: "approval", targets: ["Approval"]),
        .executable(name: "seal", targets: ["Seal"]),
        .executable(name: "evaluation", targets: ["Evaluation"]),
        .executable(name: "tongban", targets: ["CLI"]),
        .executable(name: "tongban-bench", targets: ["Benchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        // The benchmark's and the fault tests' HTTP client (HummingbirdTesting builds it for the tests anyway).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
        // Tests only: Docs/openapi.yaml is validated as OpenAPI 3.1.
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0", traits: []),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // C libraries from the system, found through pkg-config.
        .systemLibrary(name: "CRdKafka", path: "Shared/CRdKafka", pkgConfig: "rdkafka"),
        .systemLibrary(name: "CLibPQ", path: "Shared/CLibPQ", pkgConfig: "libpq"),
        .systemLibrary(name: "CQREncode", path: "Shared/CQREncode", pkgConfig: "libqrencode"),
        .systemLibrary(name: "CZlib", path: "Shared/CZlib", pkgConfig: "zlib"),

        .target(
            name: "ServiceKit",
            dependencies: [
                "Postgres", "Kafka", "Messaging", "Domain", "Plumbing", "Signing", "TongbanClient", hummingbird, lifecycle, unixSignals, logging,
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Shared/ServiceKit",
            swiftSettings: strict
        ),

        // What both C wrappers and the services' loops share: a thread for blocking calls, backoff, worker loops.
        .target(
            name: "Plumbing",
            dependencies: [logging, .product(name: "DequeModule", package: "swift-collections")],
            path: "Shared/Plumbing",
            swiftSettings: strict
        ),
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka", "Plumbing", logging, metrics, lifecycle,
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Shared/Kafka",
            swiftSettings: strict
        ),
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ", "Plumbing", logging, lifecycle],
            path: "Shared/Postgres",
            swiftSettings: strict
        ),
        .target(
            name: "Domain",
            path: "Shared/Domain",
            resources: [.copy("Calendars")],
            swiftSettings: strict
        ),
        .target(
            name: "Signing",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/Signing",
            swiftSettings: strict
        ),
        // The relay's signed, hash-chained message log: written by the relay, read by `tongban relay log`.
        .target(
            name: "MessageLog",
            dependencies: ["Postgres", "Signing", .product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/MessageLog",
            swiftSettings: strict
        ),
        .target(
            name: "Messaging",
            dependencies: ["Kafka", "Postgres", "Plumbing", "Signing", logging, metrics, lifecycle, .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/Messaging",
            swiftSettings: strict
        ),

        // How users talk to the services over HTTP: the demo, the benchmark and whole-system tests.
        .target(
            name: "TongbanClient",
            // Domain: the catalogue's own types (a matter's mode, licence, requirements) are in intake's answers.
            dependencies: ["Messaging", "Domain", "Signing", .product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/Client",
            swiftSettings: strict
        ),

        service(
            "Intake",
            dependencies: ["Domain", "Messaging", "Postgres", "Kafka", "Signing", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Catalogue")]
        ),
        service("Relay", dependencies: [
            "Signing", "Messaging", "MessageLog", "Postgres", "Kafka", "Domain", metrics,
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        service("Approval"),
        service("Seal", dependencies: [
            "Signing", "Messaging", "Postgres", "Kafka", "Domain", "CQREncode", "CZlib", metrics,
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        service("Evaluation"),
        .executableTarget(
            name: "CLI",
            dependencies: [
                "ServiceKit", "Messaging", "MessageLog", "Postgres", "Kafka", "Signing", "TongbanClient", "Domain", argumentParser, logging,
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Services/CLI",
            swiftSettings: strict
        ),

        .executableTarget(
            name: "Benchmarks",
            dependencies: [
                "Kafka", "Postgres", "Messaging", "TongbanClient", "Domain", argumentParser, logging,
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks",
            swiftSettings: strict
        ),

        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .target(
            name: "ServiceTestSupport",
            dependencies: [
                "ServiceKit", "Messaging", "Kafka", "Postgres", "TestSupport", "TongbanClient", hummingbird, logging,
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/ServiceTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "DocsTests",
            dependencies: [
                // The five services, built as their executables build them, to read their routes.
                "Intake", "Approval", "Seal", "Evaluation", "Relay",
                "Messaging", "ServiceKit", "ServiceTestSupport", "TestSupport", "Domain", "Postgres", logging,
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/DocsTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "GroundTests",
            dependencies: ["CRdKafka", "CLibPQ", "Postgres", "TestSupport"],
            path: "Tests/GroundTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["Postgres", "TestSupport"],
            path: "Tests/PostgresTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "DomainTests",
            dependencies: ["Domain"],
            path: "Tests/DomainTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "MessagingTests",
            dependencies: [
                "Messaging", "Kafka", "Postgres", "TestSupport", logging, metrics, lifecycle,
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            path: "Tests/MessagingTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ServiceKitTests",
            dependencies: [
                "ServiceKit", "ServiceTestSupport", "Domain", "Kafka", "Signing", "TestSupport", "TongbanClient", hummingbird, logging, lifecycle,
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/ServiceKitTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntakeTests",
            dependencies: [
                "Intake", "ServiceTestSupport", "ServiceKit", "Messaging", "Domain", "TestSupport", "TongbanClient", hummingbird, logging,
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/IntakeTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "SigningTests",
            dependencies: ["Signing", .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/SigningTests",
            resources: [.copy("Vectors")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SealTests",
            dependencies: [
                "Seal", "Signing", "ServiceKit", "ServiceTestSupport", "Messaging", "Postgres", "TestSupport", "TongbanClient",
                hummingbird, logging,
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/SealTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ApprovalTests",
            dependencies: [
                "Approval", "ServiceTestSupport", "ServiceKit", "Messaging", "Domain", "Postgres", "TestSupport", "TongbanClient", hummingbird, logging,
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/ApprovalTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelayTests",
            dependencies: [
                "Relay", "Signing", "MessageLog", "ServiceKit", "ServiceTestSupport", "Messaging", "Kafka", "Postgres", "TestSupport", "TongbanClient",
                hummingbird, logging, lifecycle,
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/RelayTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "EvaluationTests",
            dependencies: [
                "Evaluation", "ServiceKit", "ServiceTestSupport", "Messaging", "Postgres", "Domain", "TestSupport", "TongbanClient",
                hummingbird, logging,
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/EvaluationTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "SystemTests",
            dependencies: [
                "ServiceTestSupport", "TongbanClient", "ServiceKit", "Messaging", "TestSupport", "Domain",
                // Docs/openapi.yaml, read as plain values for the route tests.
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/SystemTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaTests",
            dependencies: [
                "Kafka", "CRdKafka", "TestSupport", logging, lifecycle,
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            path: "Tests/KafkaTests",
            swiftSettings: strict
        ),
    ]
)
