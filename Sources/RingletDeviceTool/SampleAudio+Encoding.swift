import RingletDevice
import RingletSampleMedia

extension SampleAudio {
    /// The sample tone in a negotiated audio encoding; nil for one the sample media has no tone in.
    package init?(_ encoding: AudioEncoding) {
        switch encoding {
        case .g711u: self = .muLaw
        case .g711a: self = .aLaw
        case .opus: self = .opus
        default: return nil
        }
    }

    /// The encoding this tone is in.
    package var encoding: AudioEncoding {
        switch self {
        case .muLaw: .g711u
        case .aLaw: .g711a
        case .opus: .opus
        }
    }
}
