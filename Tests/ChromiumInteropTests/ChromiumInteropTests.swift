import Testing
import RingletEngine
