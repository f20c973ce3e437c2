using static RouterHost.Plugins.AfXdp.Interop.Xsk;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// One producer of transmit descriptors (the queue's write path, or its <see cref="Abstractions.IQueue.WriteFromSelf"/>
/// path) with frames of its own: a private stack of free frames and the descriptors staged since the last publish,
/// touched only by the path's thread; and the frames the completion ring gave back, touched only under the
/// transmitter's gate. So the two paths share the TX ring without sharing a frame or a lock per packet.
/// </summary>
internal sealed class XskTxPath
{
    public XskTxPath(string name, uint firstFrame, int frameCount, int publishThreshold)
    {
        Name = name;
        FirstFrame = firstFrame;
        FrameCount = frameCount;
        Free = new uint[frameCount];
        Returned = new uint[frameCount];
        Staged = new xdp_desc[frameCount];
        PublishThreshold = Math.Clamp(publishThreshold, 1, frameCount);
        for (int i = frameCount - 1; i >= 0; i--)
        {
            Free[FreeCount++] = firstFrame + (uint)i;
        }
    }

    public string Name { get; }

    public uint FirstFrame { get; }

    public int FrameCount { get; }

    /// <summary>Staged descriptors are published once this many are waiting (and at every flush).</summary>
    public int PublishThreshold { get; }

    internal uint[] Free { get; }

    internal int FreeCount { get; set; }

    /// <summary>Frames back from the completion ring, not yet in <see cref="Free"/> (under the gate).</summary>
    internal uint[] Returned { get; }

    internal int ReturnedCount { get; set; }

    internal xdp_desc[] Staged { get; }

    internal int StagedCount { get; set; }

    /// <summary>Staged packets that found no room in the TX ring when published, not yet reported.</summary>
    internal long UnreportedRingFull { get; set; }

    /// <summary>Frames this path holds privately (free or staged): with the returned and in-flight ones, <see cref="FrameCount"/>.</summary>
    public int PrivateFrames => FreeCount + StagedCount;

    public bool Owns(uint frame) => frame - FirstFrame < (uint)FrameCount;

    /// <summary>Descriptors published to the TX ring.</summary>
    public long Published { get; internal set; }

    /// <summary>sendto calls made to wake the kernel.</summary>
    public long Kicks { get; internal set; }

    /// <summary>Kicks that failed with an errno other than EAGAIN (the last one in <see cref="LastKickErrno"/>).</summary>
    public long KickErrors { get; internal set; }

    public int LastKickErrno { get; internal set; }
}
