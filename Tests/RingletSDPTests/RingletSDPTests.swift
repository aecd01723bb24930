import Testing
@testable import RingletSDP
