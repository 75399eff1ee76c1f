import Testing
@testable import StackFile

/// `x-berth.deploy` and `x-berth.proxy`: what a blue-green stack decodes to, with its defaults
/// explicit. The malformed forms are in `Malformed/x-berth-deploy-*.yml` and `x-berth-proxy-*.yml`.
@Suite struct DeployOptionsTests {
    static let stack = """
        services:
          proxy:
            command: [/usr/sbin/nginx, -c, conf/nginx.conf, -e, logs/error.log]
            x-berth:
              proxy: {kind: nginx, upstreams: conf/upstreams.conf, listen: "127.0.0.1:8080"}
          web:
            command: [hello-http]
            x-berth:
              deploy: {strategy: blue-green, ports: [8081, 8082], proxy: proxy, health: /up, drain: 2s}
        """

    @Test func blueGreenServiceDecodesWithDefaults() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", Self.stack)
        let stack = try scratch.load().stack
        let deploy = try #require(stack["web"]?.berth.deploy)
        #expect(deploy.bluePort == 8081)
        #expect(deploy.greenPort == 8082)
        #expect(deploy.port(of: .green) == 8082)
        #expect(deploy.proxy == "proxy")
        #expect(deploy.health == "/up")
        #expect(deploy.drain == .seconds(2))
        #expect(deploy.deployTimeout == .seconds(30))
    }

    @Test func proxyPathsAreAbsoluteAndTakenFromTheCommandLine() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", Self.stack)
        let proxy = try #require(try scratch.load().stack["proxy"]?.berth.proxy)
        #expect(proxy.kind == .nginx)
        #expect(proxy.upstreams == scratch.path + "/conf/upstreams.conf")
        #expect(proxy.config == scratch.path + "/conf/nginx.conf")
        #expect(proxy.errorLog == scratch.path + "/logs/error.log")
        #expect(proxy.listen == HostPort("127.0.0.1:8080"))
    }

    @Test func healthCheckInsteadOfHealthPathIsEnough() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", Self.stack.replacingOccurrences(of: ", health: /up", with: "")
            + "\n    healthcheck: {test: [CMD, /bin/true]}\n")
        #expect(try scratch.load().stack["web"]?.berth.deploy?.health == nil)
    }

    @Test func renderedStackLoadsBackTheSame() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", Self.stack)
        let stack = try scratch.load().stack
        scratch.write("rendered.yml", Emitter.yaml(StackEncoder.encode(stack), escapingDollars: true))
        #expect(try scratch.load(["rendered.yml"]).stack == stack)
    }
}
