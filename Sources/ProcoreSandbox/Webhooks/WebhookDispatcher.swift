import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Sends queued webhook deliveries. Per hook, deliveries go in order; a failure pauses that hook's queue and retries
/// the failing delivery with exponential backoff (1 s, 2 s, … capped at 1 h); after 12 h of failures the hook's queue
/// is discarded. `settings.webhookTimeScale` divides those durations for tests.
public struct WebhookDispatcher: Sendable {
    let store: SandboxStore
    let client: any Client
    /// Hooks with a delivery on the wire: a second `tick` running at the same time leaves them alone, so a delivery
    /// is never sent twice by the sandbox itself (duplicates only come from the injected fault).
    private let inFlight = NIOLockedValueBox<Set<Int64>>([])

    public init(store: SandboxStore, client: any Client) {
        self.store = store
        self.client = client
    }

    /// Repeats `tick()` until cancelled.
    public func run(interval: Duration = .milliseconds(50)) async {
        while !Task.isCancelled {
            let sent = await tick()
            if sent == 0 { try? await Task.sleep(for: interval) }
        }
    }

    /// Attempts the due head delivery of every hook once. Returns how many were attempted.
    @discardableResult
    public func tick() async -> Int {
        let now = store.clock()
        let due: [(WebhookDelivery, WebhookHook)] = store.read { data in
            var seen = Set<Int64>()
            var heads: [(WebhookDelivery, WebhookHook)] = []
            for delivery in data.deliveries where ["enqueued", "retrying"].contains(delivery.status) {
                guard seen.insert(delivery.hookID).inserted else { continue }
                guard delivery.nextAttemptAt <= now, let hook = data.hooks.first(where: { $0.id == delivery.hookID }) else { continue }
                heads.append((delivery, hook))
            }
            return heads
        }.filter { delivery, _ in inFlight.withLockedValue { $0.insert(delivery.hookID).inserted } }
        await withTaskGroup(of: Void.self) { group in
            for (delivery, hook) in due {
                group.addTask {
                    await attempt(delivery, hook: hook)
                    _ = inFlight.withLockedValue { $0.remove(delivery.hookID) }
                }
            }
        }
        return due.count
    }

    func attempt(_ delivery: WebhookDelivery, hook: WebhookHook) async {
        let settings = store.settings
        let started = store.clock()
        let dropped = store.updateFaults { faults in
            guard faults.dropWebhooks > 0 else { return false }
            faults.dropWebhooks -= 1
            return true
        }
        if dropped {
            store.write { data in
                guard let index = data.deliveries.firstIndex(where: { $0.id == delivery.id }) else { return }
                data.deliveries[index].status = "discarded"
            }
            return
        }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "application/json")
        headers.replaceOrAdd(name: .userAgent, value: "Procore-Webhooks-Sandbox/1.0")
        if let authorization = hook.authorization { headers.replaceOrAdd(name: .authorization, value: authorization) }
        let request = ClientRequest(
            method: .POST, url: URI(string: hook.destinationURL), headers: headers, body: ByteBuffer(string: delivery.payload),
            timeout: .milliseconds(Int64(settings.webhookTimeout * 1000)))
        var status: Int?
        var body: String?
        var failure: String?
        do {
            let response = try await client.send(request).get()
            status = Int(response.status.code)
            body = response.body.map { String(buffer: $0) }.map { String($0.prefix(2000)) }
        } catch {
            failure = String(describing: error)
        }
        let success = status.map { (200..<300).contains($0) } ?? false
        if success, store.faults.duplicateWebhooks {
            // At-least-once: the same event may arrive twice.
            _ = try? await client.send(request).get()
        }
        let completed = store.clock()
        store.write { data in
            guard let index = data.deliveries.firstIndex(where: { $0.id == delivery.id }) else { return }
            let attemptID = data.newID()
            data.deliveries[index].attempts.append(
                .init(id: attemptID, success: success, responseStatus: status, responseBody: body, error: failure,
                      startedAt: started, completedAt: completed))
            if success {
                data.deliveries[index].status = "delivered"
                return
            }
            let scale = max(data.settings.webhookTimeScale, 1)
            let attempts = data.deliveries[index].attempts.count
            let backoff = min(pow(2, Double(attempts - 1)), 3600) / scale
            let firstFailure = data.deliveries[index].attempts.first?.startedAt ?? started
            if completed.timeIntervalSince(firstFailure) >= 12 * 3600 / scale {
                for other in data.deliveries.indices where data.deliveries[other].hookID == hook.id
                    && ["enqueued", "retrying"].contains(data.deliveries[other].status)
                {
                    data.deliveries[other].status = "discarded"
                }
            } else {
                data.deliveries[index].status = "retrying"
                data.deliveries[index].nextAttemptAt = completed.addingTimeInterval(backoff)
            }
        }
    }
}
