import Foundation
import KernelIR
import Testing
@testable import Backends

// Runs submitted from many threads at once each get their own arena and the right answer.

@Test func concurrentExecutionsFromEightThreadsAreCorrect() throws {
    let device = try CPUTestDevice.shared()
    let builder = GraphBuilder(name: "small_layer")
    let x = builder.parameter(TensorType(.f32, [4, 8]), name: "x")
    let w = builder.parameter(TensorType(.f32, [8, 3]), name: "w")
    let hidden = try builder.tanh(builder.matmul(x, w))
    let graph = builder.build(returning: [hidden, try builder.reduce(.sum, hidden, over: [1])])
    let executable = try device.compile(Fusion.schedule(graph))
    let inputSets = (0..<8).map { TestInputs.random(for: graph, seed: $0) }
    let expected = try inputSets.map { try Interpreter().run(graph, inputs: $0) }

    let threadCount = 8, runsPerThread = 125
    let failures = Failures()
    let group = DispatchGroup()
    for thread in 0..<threadCount {
        group.enter()
        Thread {
            defer { group.leave() }
            for run in 0..<runsPerThread {
                let seed = (thread + run) % inputSets.count
                do {
                    let actual = try device.evaluate(executable, on: inputSets[seed], synchronously: run % 2 == 0)
                    for (got, want) in zip(actual, expected[seed]) {
                        if let mismatch = Tolerance(for: .f32, reductionLength: 100).mismatches(got, want).first {
                            failures.record("thread \(thread) run \(run): \(mismatch)")
                        }
                    }
                } catch {
                    failures.record("thread \(thread) run \(run): \(error)")
                }
            }
        }.start()
    }
    group.wait()
    #expect(failures.messages.isEmpty, "\(failures.messages.count) of \(threadCount * runsPerThread) runs failed; first: \(failures.messages.first ?? "")")
}

/// Messages collected from several threads.
private final class Failures: @unchecked Sendable {
    // Safe because: `lock` guards `list`.
    private let lock = NSLock()
    private var list: [String] = []

    func record(_ message: String) {
        lock.lock()
        list.append(message)
        lock.unlock()
    }

    var messages: [String] {
        lock.lock()
        defer { lock.unlock() }
        return list
    }
}
