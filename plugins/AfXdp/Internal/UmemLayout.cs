namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// How one queue's UMEM is divided into frames (chunks): receive frames first (as many as the fill ring holds, so
/// every one can be with the kernel at once), then the write path's transmit frames, then the
/// <see cref="Abstractions.IQueue.WriteFromSelf"/> path's. There are exactly as many transmit frames as TX ring
/// entries, so the TX ring can never overflow and the completion ring (at least as large) never either.
/// </summary>
/// <param name="FrameSize">Bytes per frame: 2048 or 4096.</param>
/// <param name="Headroom">Bytes the kernel leaves free before received data, on top of XDP_PACKET_HEADROOM.</param>
/// <param name="RxFrames">Receive frames.</param>
/// <param name="TxFrames">Transmit frames (write path and self path together).</param>
internal sealed record UmemLayout(int FrameSize, int Headroom, int RxFrames, int TxFrames)
{
    /// <summary>The most transmit frames kept for <see cref="Abstractions.IQueue.WriteFromSelf"/> (replies, hairpins).</summary>
    public const int MaxSelfFrames = 64;

    public int FrameShift => System.Numerics.BitOperations.Log2((uint)FrameSize);

    public int SelfFrames => Math.Clamp(TxFrames / 4, 1, MaxSelfFrames);

    public int WriteFrames => TxFrames - SelfFrames;

    public int TotalFrames => RxFrames + TxFrames;

    public long Bytes => (long)TotalFrames * FrameSize;

    /// <summary>The largest frame (Ethernet header included) the kernel delivers into a receive frame.</summary>
    public int MaxReceiveFrame => FrameSize - Interop.Xsk.XDP_PACKET_HEADROOM - Headroom;
}
