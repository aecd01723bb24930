import Testing
@testable import RingletTURN
