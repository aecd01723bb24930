import RingletCore
import RingletSTUN

extension TURNServer {
    /// Queues a response of `type` to `flow`: the attributes, SOFTWARE, then MESSAGE-INTEGRITY under `key` and
    /// FINGERPRINT if asked (RFC 8489 §6.3, §9.2.4).
    mutating func sendResponse(_ type: STUNMessageType, transactionID: STUNTransactionID, flow: ClientFlow,
                               attributes: [STUNAttribute], key: STUNIntegrityKey?, fingerprint: Bool)
    {
        guard key != nil || admitUnauthenticatedAnswer(to: flow) else { return }
        var all = attributes
        if let software = softwareAttribute { all.append(software) }
        guard let message = try? STUNMessage(type: type, transactionID: transactionID, attributes: all),
              let bytes = try? message.encoded(messageIntegrity: key, fingerprint: fingerprint)
        else { return }
        outputs.append(.toClient(flow: flow, payload: bytes))
    }

    /// Whether an answer without credentials (401, 438, 400, 420 before authentication, a Binding response) may
    /// go to `flow`: over UDP each source IP gets ``Configuration/unauthenticatedAnswersPerSecond`` (burst
    /// ``Configuration/unauthenticatedAnswerBurst``), because its source address may be spoofed and the answer is
    /// larger than the request (reflection). TCP sources cannot be spoofed and are not limited. A refused answer
    /// is counted in ``Counters/droppedRateLimited``.
    mutating func admitUnauthenticatedAnswer(to flow: ClientFlow) -> Bool {
        guard flow.transport == .udp else { return true }
        guard unauthenticatedAnswers.take(flow.client.ip, now: inputInstant) else {
            counters.droppedRateLimited &+= 1
            return false
        }
        return true
    }

    /// Queues a success response to `request`.
    mutating func sendSuccess(for request: STUNMessage, flow: ClientFlow, attributes: [STUNAttribute],
                              key: STUNIntegrityKey?)
    {
        sendResponse(STUNMessageType(method: request.type.method, messageClass: .successResponse),
                     transactionID: request.transactionID, flow: flow, attributes: attributes, key: key,
                     fingerprint: request.hasFingerprint)
    }

    /// Queues an error response with ERROR-CODE `code` and counts the refusal.
    mutating func sendError(method: STUNMethod, transactionID: STUNTransactionID, flow: ClientFlow, code: Int,
                            reason: String, extra: [STUNAttribute] = [], key: STUNIntegrityKey?, fingerprint: Bool)
    {
        counters.refusals[code, default: 0] &+= 1
        var attributes: [STUNAttribute] = []
        if let error = try? STUNErrorCode(code: code, reason: reason) {
            attributes.append(STUNAttribute(error, transactionID: transactionID))
        }
        attributes.append(contentsOf: extra)
        sendResponse(STUNMessageType(method: method, messageClass: .errorResponse), transactionID: transactionID,
                     flow: flow, attributes: attributes, key: key, fingerprint: fingerprint)
    }

    /// Queues an error response to `request`.
    mutating func sendError(for request: STUNMessage, flow: ClientFlow, code: Int, reason: String,
                            extra: [STUNAttribute] = [], key: STUNIntegrityKey?)
    {
        sendError(method: request.type.method, transactionID: request.transactionID, flow: flow, code: code,
                  reason: reason, extra: extra, key: key, fingerprint: request.hasFingerprint)
    }

    /// 420 with UNKNOWN-ATTRIBUTES if `request` carries comprehension-required attributes outside `known`
    /// (RFC 8489 §6.3.1); returns true when it answered.
    mutating func refuseUnknownAttributes(_ request: STUNMessage, known: Set<STUNAttributeType>, flow: ClientFlow,
                                          key: STUNIntegrityKey?) -> Bool
    {
        let unknown = request.unknownComprehensionRequired(known: known)
        guard !unknown.isEmpty else { return false }
        var extra: [STUNAttribute] = []
        if let list = try? STUNUnknownAttributes(Array(unknown.prefix(32))) {
            extra.append(STUNAttribute(list, transactionID: request.transactionID))
        }
        sendError(for: request, flow: flow, code: 420, reason: "Unknown Attribute", extra: extra, key: key)
        return true
    }
}
