import Testing
@testable import RingletSRTP
