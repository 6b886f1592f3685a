import Foundation

/// Webhook resource names (procore-api.md §11.6), exactly as Procore spells them.
public enum Resource: String, Sendable, CaseIterable {
    case projects = "Projects"
    case companyVendors = "Company Vendors"
    case lineItemTypes = "Line Item Types"
    case projectStages = "Project Stages"
    case purchaseOrderContracts = "Purchase Order Contracts"
    case purchaseOrderContractLineItems = "Purchase Order Contract Line Items"
    case directCosts = "Direct Costs"
    case directCostLineItems = "Direct Cost Line Items"
    case costCodes = "Cost Codes"
    case projectVendors = "Project Vendors"

    /// Company-level resources; the rest happen inside a project. As Procore's resource lists have them (reference
    /// §11.6, a capture of Procore's company and project lists): a company hook takes triggers for company-level
    /// resources only, a project hook for project-level ones. Tax codes and requisitions are in neither list.
    var isCompanyLevel: Bool {
        [.projects, .companyVendors, .lineItemTypes, .projectStages].contains(self)
    }

    var category: String { isCompanyLevel ? "Company" : "Project" }

    /// The events Procore offers for this resource: Projects and Company Vendors are never deleted through Procore
    /// (only deactivated), so they offer create and update only (reference §11.6).
    var events: [String] {
        [.projects, .companyVendors].contains(self) ? ["create", "update"] : ["create", "update", "delete"]
    }
}

extension SandboxData {
    /// Queues a delivery for every hook with a matching trigger. A company-scoped hook also receives its company's
    /// project-level events (see docs/SANDBOX.md: not confirmed for Procore, allowed here).
    mutating func emit(
        _ resource: Resource, _ eventType: String, id: Int64, companyID: Int64, projectID: Int64?,
        related: (id: Int64, name: Resource)? = nil, source: EventSource, now: Date
    ) {
        let matching = hooks.filter { hook in
            guard hook.status == "active", hook.companyID == companyID else { return false }
            if let hookProject = hook.projectID, hookProject != projectID { return false }
            return triggers.contains {
                $0.hookID == hook.id && $0.resourceName == resource.rawValue && $0.eventType == eventType
            }
        }
        guard !matching.isEmpty else { return }
        let eventID = newID()
        let ulid = ULID.make(now: now)
        for hook in matching {
            let payload = Self.payload(
                version: hook.payloadVersion, eventID: eventID, ulid: ulid, resource: resource, eventType: eventType,
                id: id, companyID: companyID, projectID: projectID, related: related, source: source, now: now)
            deliveries.append(
                WebhookDelivery(
                    id: newID(), hookID: hook.id, eventID: eventID, resourceName: resource.rawValue,
                    eventType: eventType, payload: payload.render(), status: "enqueued", createdAt: now,
                    nextAttemptAt: now))
        }
    }

    static func payload(
        version: String, eventID: Int64, ulid: String, resource: Resource, eventType: String, id: Int64,
        companyID: Int64, projectID: Int64?, related: (id: Int64, name: Resource)?, source: EventSource, now: Date
    ) -> JSON {
        if version.hasPrefix("v4") {
            var object: JSON.Object = [
                "id": .string(ulid), "timestamp": .string(ProcoreFormat.preciseTimestamp(now)),
                "reason": .string(eventType), "company_id": .string(String(companyID)),
            ]
            object["project_id"] = projectID.map { .string(String($0)) } ?? .null
            object["user_id"] = .string(String(source.userID))
            object["resource_type"] = .string(resource.rawValue)
            object["resource_id"] = .string(String(id))
            return .object(object)
        }
        var object: JSON.Object = [
            "id": .int(eventID), "ulid": .string(ulid), "timestamp": .string(ProcoreFormat.preciseTimestamp(now)),
            "api_version": .string(version.hasPrefix("v3") ? "v3.0" : "v2"), "event_type": .string(eventType),
            "resource_name": .string(resource.rawValue), "resource_id": .int(id), "company_id": .int(companyID),
            "project_id": .int(projectID), "user_id": .int(source.userID),
            "metadata": [
                "source_user_id": .int(source.userID), "source_company_id": .int(companyID),
                "source_project_id": .int(projectID), "source_application_id": .string(source.clientID),
                "source_operation_id": .null,
            ],
        ]
        if version.hasPrefix("v3") {
            object["related_resources"] = .array(related.map { [["id": .int($0.id), "name": .string($0.name.rawValue)]] } ?? [])
        }
        return .object(object)
    }
}

/// Universally unique, lexicographically sortable identifiers (Crockford base32: 48-bit ms time + 80 random bits).
enum ULID {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    static func make(now: Date) -> String {
        var value = [UInt8](repeating: 0, count: 16)
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        for index in 0..<6 { value[index] = UInt8((millis >> (8 * (5 - index))) & 0xFF) }
        for index in 6..<16 { value[index] = UInt8.random(in: 0...255) }
        // 128 bits → 26 characters of 5 bits (the first carries 3 bits).
        var output = ""
        var bits = 0
        var buffer: UInt32 = 0
        var bitsToSkip = 2  // 130 - 128
        for byte in value {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 || (bitsToSkip > 0 && bits >= 3) {
                if bitsToSkip > 0 {
                    let take = 5 - bitsToSkip
                    bits -= take
                    output.append(alphabet[Int((buffer >> UInt32(bits)) & 0x7)])
                    bitsToSkip = 0
                } else {
                    bits -= 5
                    output.append(alphabet[Int((buffer >> UInt32(bits)) & 0x1F)])
                }
            }
            buffer &= (1 << UInt32(bits)) - 1
        }
        return output
    }
}
