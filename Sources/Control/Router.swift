import Budget
import Deploy
import Foundation
import NIOHTTP1
import StateStore
import Supervisor

/// The API's routes, all under `/v1`:
///
///     GET  /v1/status                   the stack: services, states, health, live counters
///     POST /v1/services/stop|start|restart   {"services": ["web", ...]}; answers once done
///     POST /v1/down                     stop everything in order; answers when the stack is down
///     GET  /v1/events?since=T&service=S&limit=N   the history
///     GET  /v1/samples?since=T&service=S          sampled counters (`berth budget --since`)
///     POST /v1/deploy                   {"service", "spec", "set"}: progress as JSON lines, then the result
///     POST /v1/rollback                 {"service"}: the same, to the previous spec
///     POST /v1/deploy/cancel            {"service"}: a running deploy rolls back (Ctrl-C)
///     GET  /v1/deploys?service=S                  the deploy history
struct Router: Sendable {
    let handle: SupervisorHandle
    let history: HistoryStore?
    var deploys: DeployDesk?

    func route(method: HTTPMethod, uri: String, body: [UInt8], respond: @escaping @Sendable (Response) -> Void,
               stream: @escaping @Sendable () -> ResponseStream = { fatalError("no stream") }) {
        let (path, query) = Self.split(uri)
        switch (method, path) {
        case (.POST, "/v1/deploy"), (.POST, "/v1/rollback"):
            guard let deploys else { return respond(.error(.serviceUnavailable, "this berth does not deploy")) }
            guard var request = try? JSONDecoder().decode(DeployRequest.self, from: Data(body)), !request.service.isEmpty else {
                return respond(.error(.badRequest, "the body must be {\"service\": \"name\", \"spec\": ..., \"set\": {...}}"))
            }
            request.rollback = path == "/v1/rollback"
            deploys.deploy(request, stream: stream())
        case (.POST, "/v1/deploy/cancel"):
            guard let deploys else { return respond(.error(.serviceUnavailable, "this berth does not deploy")) }
            guard let request = try? JSONDecoder().decode([String: String].self, from: Data(body)), let service = request["service"] else {
                return respond(.error(.badRequest, "the body must be {\"service\": \"name\"}"))
            }
            respond(deploys.cancel(service) ? .json(["cancelled": service])
                : .error(.notFound, "no deploy of \(service) is running"))
        case (.GET, "/v1/deploys"):
            guard let history else { return respond(.error(.serviceUnavailable, "this supervisor keeps no history")) }
            let service = query["service"]
            DispatchQueue.global().async {
                do {
                    respond(.json(try history.deploys(service: service)))
                } catch {
                    respond(.error(.internalServerError, "cannot read the history: \(error)"))
                }
            }
        case (.GET, "/v1/status"):
            handle.status { respond(.json($0)) }
        case (.POST, "/v1/services/stop"), (.POST, "/v1/services/start"), (.POST, "/v1/services/restart"):
            guard let request = try? JSONDecoder().decode(ServicesRequest.self, from: Data(body)), !request.services.isEmpty else {
                return respond(.error(.badRequest, "the body must be {\"services\": [\"name\", ...]} with at least one name"))
            }
            let command: ControlCommand
            switch path {
            case "/v1/services/stop": command = .stop(request.services)
            case "/v1/services/start": command = .start(request.services)
            default: command = .restart(request.services)
            }
            perform(command, respond)
        case (.POST, "/v1/down"):
            perform(.down, respond)
        case (.GET, "/v1/events"):
            events(query: query, respond)
        case (.GET, "/v1/samples"):
            samples(query: query, respond)
        case (_, "/v1/samples"), (_, "/v1/status"), (_, "/v1/services/stop"), (_, "/v1/services/start"), (_, "/v1/services/restart"),
             (_, "/v1/down"), (_, "/v1/events"):
            respond(.error(.methodNotAllowed, "\(method) is not allowed on \(path)"))
        default:
            respond(.error(.notFound, "no such route: \(path)"))
        }
    }

    private func perform(_ command: ControlCommand, _ respond: @escaping @Sendable (Response) -> Void) {
        handle.perform(command) { result in
            switch result {
            case let .success(status): respond(.json(status))
            case let .failure(.unknownServices(names)):
                respond(.error(.notFound, ControlError.unknownServices(names).description))
            case let .failure(error):
                respond(.error(.conflict, error.description))
            }
        }
    }

    /// History reads may wait on the disk: they run off the server's event loop.
    private func events(query: [String: String], _ respond: @escaping @Sendable (Response) -> Void) {
        guard let history else { return respond(.error(.serviceUnavailable, "this supervisor keeps no history")) }
        let since = query["since"].flatMap(Double.init)
        let limit = query["limit"].flatMap(Int.init)
        if query["since"] != nil, since == nil { return respond(.error(.badRequest, "since must be Unix time in seconds")) }
        if query["limit"] != nil, limit == nil { return respond(.error(.badRequest, "limit must be a number")) }
        let service = query["service"]
        DispatchQueue.global().async {
            do {
                let events = try history.events(since: since, service: service, limit: limit)
                respond(.json(events.map(EventPayload.init)))
            } catch {
                respond(.error(.internalServerError, "cannot read the history: \(error)"))
            }
        }
    }

    private func samples(query: [String: String], _ respond: @escaping @Sendable (Response) -> Void) {
        guard let history else { return respond(.error(.serviceUnavailable, "this supervisor keeps no history")) }
        let since = query["since"].flatMap(Double.init)
        if query["since"] != nil, since == nil { return respond(.error(.badRequest, "since must be Unix time in seconds")) }
        let service = query["service"]
        DispatchQueue.global().async {
            do {
                respond(.json(try history.samples(since: since, service: service).map(UsageSample.init)))
            } catch {
                respond(.error(.internalServerError, "cannot read the history: \(error)"))
            }
        }
    }

    static func split(_ uri: String) -> (String, [String: String]) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, [:]) }
        var query: [String: String] = [:]
        for pair in uri[uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            query[key] = value
        }
        return (String(uri[..<mark]), query)
    }
}

struct ServicesRequest: Codable {
    var services: [String]
}

/// An event as the API shows it.
public struct EventPayload: Codable, Sendable, Equatable {
    public var time: Double
    public var service: String?
    public var kind: String
    public var detail: String?

    init(_ record: EventRecord) {
        time = record.time
        service = record.service
        kind = record.kind
        detail = record.detail
    }
}

extension UsageSample {
    init(_ record: SampleRecord) {
        self.init(time: record.time, service: record.service)
        memoryBytes = record.memoryBytes
        memoryPeakBytes = record.memoryPeakBytes
        oomKills = record.oomKills
        cpuMicroseconds = record.cpuMicroseconds
        periods = record.periods
        throttledPeriods = record.throttledPeriods
        throttledMicroseconds = record.throttledMicroseconds
        pids = record.pids
        pressureCPU = record.pressureCPU
        pressureMemory = record.pressureMemory
        pressureIO = record.pressureIO
    }
}
