extension VideoNativeInterface {
    // MARK: Sending

    /// Sends one video frame of the started stream (the seed's older signature; channel 0). PTS in ms; `seq` is
    /// not used (RTP numbers packets itself).
    /// Never blocks: the frame is checked against what the device's loop last published and queued for it.
    /// - Returns: 0; -309 empty; -305 not the started stream's visitor / type (or no stream); -304 over the
    ///   maximum frame size; -306 the first frame is not an IDR; -308 not H.264 Annex B or not the declared
    ///   format; -303 above the high watermark (or the queue to the loop is full); -310 before `initIvAvt`.
    public func sendVideoData(_ data: [UInt8], _ pts: Int64, _ seq: Int64, _ isKeyFrame: Bool, _ visitor: Int,
                              _ videoResType: Int) -> Int {
        sendAvtVideoData(data, pts, seq, isKeyFrame, visitor, 0, videoResType)
    }

    /// Sends one video frame (the seed's newer signature, with the channel).
    public func sendAvtVideoData(_ data: [UInt8], _ pts: Int64, _ seq: Int64, _ isKeyFrame: Bool, _ visitor: Int,
                                 _ channel: Int, _ videoResType: Int) -> Int {
        send(data, visitor: visitor, channel: channel, videoResType: videoResType) { device throws(DeviceError) in
            try device.sendVideo(data, ptsMilliseconds: pts, isKeyframe: isKeyFrame)
        }
    }

    /// Sends one audio frame of the started stream (the seed's older signature; channel 0).
    /// - Returns: as `sendVideoData` (-308 when the audio is not the declared and negotiated encoding).
    public func sendAudioData(_ data: [UInt8], _ pts: Int64, _ seq: Int64, _ visitor: Int, _ videoResType: Int) -> Int {
        sendAvtAudioData(data, pts, seq, visitor, 0, videoResType)
    }

    /// Sends one audio frame (the seed's newer signature, with the channel).
    public func sendAvtAudioData(_ data: [UInt8], _ pts: Int64, _ seq: Int64, _ visitor: Int, _ channel: Int,
                                 _ videoResType: Int) -> Int {
        send(data, visitor: visitor, channel: channel, videoResType: videoResType) { device throws(DeviceError) in
            try device.sendAudio(data, ptsMilliseconds: pts)
        }
    }

    private func send(_ data: [UInt8], visitor: Int, channel: Int, videoResType: Int,
                      _ body: (RingletDevice) throws(DeviceError) -> Void) -> Int {
        let device: RingletDevice? = locked { avtInfo != nil ? self.device : nil }
        guard let device else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        guard !data.isEmpty else { return IV_ERR_AVT_INPUT_PARAM_NULL }
        guard let stream = device.currentStream, Self.matches(stream, visitor, channel, videoResType) else {
            return IV_ERR_AVT_CHN_NOT_EXIT
        }
        do throws(DeviceError) {
            try body(device)
            return IV_ERR_NONE
        } catch {
            return SeedResultCodes.code(for: error, in: .media)
        }
    }

    static func matches(_ stream: StreamContext, _ visitor: Int, _ channel: Int, _ videoResType: Int) -> Bool {
        Int(stream.visitor) == visitor && Int(stream.channel) == channel && stream.resType.rawValue == videoResType
    }

    private func startedStream(_ visitor: Int, _ channel: Int, _ videoResType: Int) -> RingletDevice? {
        let device: RingletDevice? = locked { avtInfo != nil ? self.device : nil }
        guard let device, let stream = device.currentStream, Self.matches(stream, visitor, channel, videoResType) else {
            return nil
        }
        return device
    }

    /// The send side of the started stream, nil when (visitor, channel, type) is not it.
    public func getSendStreamStatus(_ visitor: Int, _ channel: Int, _ videoResType: Int) -> IvP2pSendInfo? {
        guard let status = startedStream(visitor, channel, videoResType)?.sendStatus() else { return nil }
        return IvP2pSendInfo(instNetRate: Int(status.instantaneousRate), aveSentRate: Int(status.averageRate),
                             sumSentAcked: Int(status.acknowledgedBytes), linkMode: status.link.rawValue)
    }

    /// Bytes waiting in the send queue of the started stream; -305 when (visitor, channel, type) is not it, -310
    /// before `initIvAvt`.
    public func getSendStreamBuf(_ visitor: Int, _ channel: Int, _ videoResType: Int) -> Int {
        guard locked({ avtInfo != nil }) else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        guard let status = startedStream(visitor, channel, videoResType)?.sendStatus() else {
            return IV_ERR_AVT_CHN_NOT_EXIT
        }
        return status.queuedBytes
    }

    /// Ends the device's send stream; the call goes on. Returns 0, -305 when (visitor, channel, type) is not the
    /// started stream, -310 before `initIvAvt`.
    public func sendFinishStream(_ visitor: Int, _ channel: Int, _ videoResType: Int) -> Int {
        guard locked({ avtInfo != nil }) else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        guard let device = startedStream(visitor, channel, videoResType) else { return IV_ERR_AVT_CHN_NOT_EXIT }
        do throws(DeviceError) {
            try device.finishStream()
            return IV_ERR_NONE
        } catch {
            return SeedResultCodes.code(for: error, in: .media)
        }
    }

    /// `sendFinishStream` with the seed's older arguments (channel 0).
    public func sendFinishStream(_ visitor: Int, _ videoResType: Int) -> Int {
        sendFinishStream(visitor, 0, videoResType)
    }
}
