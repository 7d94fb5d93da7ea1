import Hummingbird
import ServiceKit

/// The seal service. 一枚印章管审批: licences issued together under the bureau's dedicated electronic seal.
@main
struct SealService {
    static func main() async {
        await ServiceRunner.main(service: .seal) { runtime in
            buildApplication(runtime: runtime)
        }
    }
}

/// Seal's HTTP application; tests build it through this function too.
func buildApplication(runtime: ServiceRuntime) -> some ApplicationProtocol {
    buildServiceApplication(runtime: runtime)
}
