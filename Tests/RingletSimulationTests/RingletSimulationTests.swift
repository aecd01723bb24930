import Testing
@testable import RingletSimulation
