import RingletCore
import RingletSTUN

extension TURNClient {
    /// Where the client is in its life (RFC 8656 §7–§8).
    public enum State: Hashable, Sendable {
        /// Made, ``TURNClient/start(now:)`` not yet called.
        case idle
        /// Allocate sent (possibly again with credentials after the 401 challenge).
        case allocating
        /// The allocation exists: relayed address known, refreshed before it expires.
        case allocated
        /// ``TURNClient/close(now:)`` sent a Refresh with LIFETIME 0 and waits for its answer.
        case closing
        /// Closed; nothing more happens.
        case closed
        /// Failed (see the ``Event/failed(_:)`` event); nothing more happens.
        case failed
    }

    /// One thing the caller must do: transmit bytes to the server, or take note of an event.
    public enum Output: Sendable, Equatable {
        /// Bytes for the server: one datagram over UDP, or bytes to append to the stream over TCP.
        case transmit([UInt8])
        /// Something happened.
        case event(Event)
    }

    /// What the client reports (RFC 8656 §7–§12).
    public enum Event: Sendable, Equatable {
        /// The allocation exists: the relayed transport address (a relayed ICE candidate), the server-reflexive
        /// address the server saw (XOR-MAPPED-ADDRESS, a server-reflexive ICE candidate) and the lifetime granted.
        case allocated(relayed: TransportAddress, mapped: TransportAddress?, lifetime: Duration)
        /// A Refresh succeeded; the allocation now lasts `lifetime` from the response.
        case refreshed(lifetime: Duration)
        /// The server installed (or refreshed) a permission for this peer IP (RFC 8656 §9).
        case permissionCreated(IPAddress)
        /// A CreatePermission for this IP failed; data queued for it was dropped. The allocation lives on.
        case permissionFailed(IPAddress, Failure)
        /// A channel is bound to `peer`: data to it now travels as ChannelData (RFC 8656 §12).
        case channelBound(channel: UInt16, peer: TransportAddress)
        /// A ChannelBind failed; data to `peer` keeps using Send indications. The allocation lives on.
        case channelBindFailed(peer: TransportAddress, Failure)
        /// Data relayed from a peer (a Data indication or ChannelData). The slice shares the input's storage.
        case data(from: TransportAddress, ArraySlice<UInt8>)
        /// The allocation failed or was lost; the client is finished.
        case failed(Failure)
        /// The allocation was released (or never made) after ``TURNClient/close(now:)``; the client is finished.
        case closed
    }

    /// Why a request failed: the TURN error (its code names the kind), the request's method, and the STUN
    /// ERROR-CODE number when the server answered with one (e.g. 401, 437, 486, 508).
    public struct Failure: Hashable, Sendable, CustomStringConvertible {
        /// What went wrong, with a code such as ``TURNError/Code/errorResponse`` or ``TURNError/Code/requestTimedOut``.
        public let error: TURNError
        /// The method of the request that failed.
        public let method: STUNMethod
        /// The ERROR-CODE number of the server's error response, nil if there was none (timeout, bad response).
        public let errorCode: Int?

        /// Makes a failure.
        public init(error: TURNError, method: STUNMethod, errorCode: Int?) {
            self.error = error
            self.method = method
            self.errorCode = errorCode
        }

        /// "Allocate failed: 401 …".
        public var description: String {
            "\(method) failed" + (errorCode.map { ": \($0)" } ?? "") + " (\(error))"
        }
    }

    /// Counters of input the client dropped or repeated work it did; all start at zero.
    public struct Statistics: Hashable, Sendable {
        /// Inputs that were neither valid STUN nor valid ChannelData, or STUN with malformed attributes.
        public var malformedDropped = 0
        /// Responses whose transaction ID (or method) matched no outstanding request.
        public var unmatchedResponses = 0
        /// Responses whose MESSAGE-INTEGRITY did not verify, or success responses without one.
        public var integrityFailures = 0
        /// ChannelData on a channel the client never asked for.
        public var unknownChannelDropped = 0
        /// Requests, unexpected indications, and data arriving while there is no allocation.
        public var unexpectedDropped = 0
        /// Requests sent again after their RTO passed (UDP only).
        public var retransmissions = 0
        /// Data for a peer dropped because its permission queue was full.
        public var queueDrops = 0
    }
}

extension CodedError.Code where Domain == TURNErrors {
    /// The server answered a TURN client request with an error response; ``TURNClient/Failure/errorCode`` holds
    /// its number (RFC 8656 §19: 401, 403, 437, 438, 440–443, 486, 508, …).
    public static var errorResponse: Self { Self("errorResponse") }
    /// A TURN client request got no response within its retransmissions (RFC 8489 §6.2.1) or Ti over TCP.
    public static var requestTimedOut: Self { Self("requestTimedOut") }
    /// A response verified but lacked a required attribute or carried a malformed one.
    public static var invalidResponse: Self { Self("invalidResponse") }
    /// The TURN client has no allocation (yet, or any more) for the operation asked for.
    public static var notAllocated: Self { Self("notAllocated") }
}
