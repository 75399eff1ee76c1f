import Dispatch
import Foundation
import Testing
@testable import StateStore

@Suite("Asynchronous, bounded writes")
struct WriteQueueTests {
    @Test("5000 writes return while the writer is held; flush then sees them all, in order")
    func writesDoNotBlock() throws {
        try withTemporaryDirectory { directory in
            let log = FailureLog()
            let store = try openStore(in: directory, log: log)
            store.startSession(session("s1", at: 0))
            #expect(store.settle())

            // With the writer queue held, a write that waited for the disk
            // would never return; every one of these must.
            let release = store.pauseWriter()
            for index in 0..<5000 {
                store.record(EventRecord(time: Double(index), sessionID: "s1", service: "web",
                                         kind: "health", detail: "check \(index)"))
            }
            let pendingWhileHeld = store.pendingWrites
            // Reads run on their own connection, beside the held writer.
            let visibleWhileHeld = try store.events().count
            release()

            #expect(pendingWhileHeld == 5000)
            #expect(visibleWhileHeld == 0)
            #expect(store.settle())
            #expect(store.pendingWrites == 0)
            #expect(store.droppedWrites == 0)

            let events = try store.events()
            #expect(events.count == 5000)
            #expect(events.map(\.detail) == (0..<5000).map { "check \($0)" })
            let ids = events.compactMap(\.id)
            #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
            #expect(log.reported.isEmpty)
        }
    }

    @Test("writes beyond the pending cap are dropped and counted, and the cap frees up")
    func pendingCap() throws {
        try withTemporaryDirectory { directory in
            let log = FailureLog()
            let store = try openStore(in: directory, log: log, maxPendingWrites: 3)

            let release = store.pauseWriter()
            for index in 0..<10 {
                store.record(EventRecord(time: Double(index), kind: "warning", detail: "\(index)"))
            }
            #expect(store.pendingWrites == 3)
            #expect(store.droppedWrites == 7)
            release()
            #expect(store.settle())

            #expect(try store.events().map(\.detail) == ["0", "1", "2"])
            #expect(store.pendingWrites == 0)

            // Once drained, writes are accepted again.
            store.record(EventRecord(time: 20, kind: "warning", detail: "after"))
            #expect(store.settle())
            #expect(try store.events().last?.detail == "after")
            #expect(store.droppedWrites == 7)
            // Dropping is not a write failure.
            #expect(log.reported.isEmpty)
            #expect(store.failedWrites == 0)
        }
    }

    @Test("flush gives up at its timeout while the writer is held, then succeeds")
    func flushTimeout() throws {
        try withTemporaryDirectory { directory in
            let store = try openStore(in: directory)
            let release = store.pauseWriter()
            store.record(EventRecord(time: 1, kind: "warning"))
            #expect(store.flush(timeout: .milliseconds(50)) == false)
            #expect(store.flush(timeout: .zero) == false)
            release()
            #expect(store.settle())
            #expect(try store.events().count == 1)
        }
    }

    @Test("the store is shared across threads safely")
    func concurrentWriters() throws {
        try withTemporaryDirectory { directory in
            let store = try openStore(in: directory)
            store.startSession(session("s1", at: 0))
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                for index in 0..<500 {
                    store.record(EventRecord(time: Double(index), sessionID: "s1",
                                             service: "svc\(worker)", kind: "health"))
                }
            }
            #expect(store.settle())
            #expect(try store.events().count == 2000)
            #expect(try store.events(service: "svc2").count == 500)
            #expect(store.pendingWrites == 0)
        }
    }
}
