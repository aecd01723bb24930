import NIOCore
import NIOPosix

/// The event loops a client (the device SDK, the phone) runs on: the caller's group, or a group of one thread of
/// its own, which ``shutdown()`` stops.
public struct ClientEventLoops: Sendable {
    /// The group.
    public let group: any EventLoopGroup
    private let owned: MultiThreadedEventLoopGroup?

    /// `configured`, or a group of one thread when nil.
    public init(_ configured: (any EventLoopGroup)?) {
        if let configured {
            group = configured
            owned = nil
        } else {
            let own = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            group = own
            owned = own
        }
    }

    /// Stops the group if it is the client's own (a caller's group is left running).
    public func shutdown() async {
        try? await owned?.shutdownGracefully()
    }
}
