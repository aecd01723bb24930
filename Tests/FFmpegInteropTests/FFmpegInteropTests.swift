import Testing
import RingletRTP
