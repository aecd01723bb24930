import Testing
@testable import RingletRTP
