import CAccPlugin
import Dispatch

/// One execution submitted to a plugin, from `executable_execute` until its `AccEvent` is
/// ready: it keeps the executable and the borrowed buffers alive until then, and turns the
/// plugin's completion into an ``Event``.
final class PluginRun: @unchecked Sendable {
    // Safe because: every property is immutable after init; ``finish(_:)`` runs exactly once,
    // from whichever single path observed the plugin's completion (the call itself, one
    // `event_await`, or the one `event_on_ready` callback).

    /// Completes when the outputs are written, with the run's error.
    let completion = Event()
    private let device: DeviceID
    private let library: PluginLibrary
    private let executable: PluginExecutable
    private let buffers: [PluginBuffer]
    private let eventHandle: OpaquePointer?

    /// A run the plugin accepted; `eventHandle` is its `AccEvent`, or `nil` when the plugin ran it
    /// before returning. `buffers` are borrowed, and returned when the run finishes.
    init(device: DeviceID, library: PluginLibrary, executable: PluginExecutable, buffers: [PluginBuffer], eventHandle: OpaquePointer?) {
        self.device = device
        self.library = library
        self.executable = executable
        self.buffers = buffers
        self.eventHandle = eventHandle
    }

    /// Waits for the plugin on the calling thread (`event_await`), then finishes.
    func awaitCompletion() {
        guard let eventHandle else { return finish(nil) }
        do throws(PluginFailure) {
            _ = try library.call { (arguments: inout AccEventAwaitArgs) in arguments.event = eventHandle }
            finish(nil)
        } catch {
            finish(error)
        }
    }

    /// Arranges for ``completion`` to complete without blocking the caller: through the plugin's
    /// `event_on_ready` callback (ABI 1.1), else by a thread that waits in `event_await`.
    func completeAsynchronously() {
        guard let eventHandle else { return finish(nil) }
        if library.has(\AccPluginApi.event_on_ready) {
            let context = Unmanaged.passRetained(self).toOpaque()
            do throws(PluginFailure) {
                _ = try library.call { (arguments: inout AccEventOnReadyArgs) in
                    arguments.event = eventHandle
                    arguments.user_data = context
                    arguments.callback = { error, context in
                        guard let context else { return }
                        let run = Unmanaged<PluginRun>.fromOpaque(context).takeRetainedValue()
                        run.finish(run.library.take(error))
                    }
                }
                return
            } catch {
                // The plugin refused the callback, so it will never call it: wait for the event instead.
                Unmanaged<PluginRun>.fromOpaque(context).release()
            }
        }
        DispatchQueue.global(qos: .userInitiated).async { self.awaitCompletion() }
    }

    /// Releases the plugin's event and the buffers, then completes ``completion``.
    private func finish(_ failure: PluginFailure?) {
        if let eventHandle {
            // A failure to destroy leaves nothing to do but drop the message.
            _ = try? library.call { (arguments: inout AccEventDestroyArgs) in arguments.event = eventHandle }
        }
        for buffer in buffers { buffer.endBorrow() }
        completion.complete(error: failure.map { $0.backendError(on: device, during: "executing '\(executable.schedule.name)'") })
    }
}
