using System.Runtime.CompilerServices;
using RouterHost.Linux;
using static RouterHost.Plugins.AfXdp.Interop.Xsk;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// The transmit side of one AF_XDP socket, over its TX and completion rings and the transmit frames of its UMEM
/// (plain memory, so tests can play the kernel). Two producers use it — the write path and the
/// <see cref="Abstractions.IQueue.WriteFromSelf"/> path (<see cref="XskTxPath"/>), which may run at the same time on
/// different threads: each fills frames of its own without any lock, and only publishing descriptors to the TX ring
/// and reaping the completion ring happen under a spin gate, once per burst (the write path: at flush, or every
/// <see cref="XskTxPath.PublishThreshold"/> packets; the self path: per packet, which is rare).
/// <para>
/// After publishing, the kernel is kicked with <c>sendto(MSG_DONTWAIT)</c> when the TX ring asks for it
/// (need-wakeup; always so in copy mode, where each call sends at most the socket's TX budget — 32 frames, or the
/// TX ring's size where the kernel takes XDP_MAX_TX_SKB_BUDGET — and says EAGAIN while more wait).
/// Completions are validated like received descriptors: an address that is not a transmit frame in flight is
/// counted and ignored, so a frame can never be handed out twice.
/// </para>
/// </summary>
internal sealed unsafe class XskTransmitter
{
    private readonly XskRing _tx;
    private readonly XskRing _completion;
    private readonly byte* _umem;
    private readonly int _frameShift;
    private readonly uint _firstFrame;
    private readonly byte[] _inFlight;
    private readonly IXskKicker _kicker;

    /// <summary>Frames the kernel sends per kick in copy mode (<see cref="XskSocket.TxBudget"/>).</summary>
    private readonly int _kernelBatch;
    private int _gate;

    public XskTransmitter(XskRing tx, XskRing completion, UmemMemoryManager umem, UmemLayout layout, int publishThreshold, IXskKicker kicker, int kernelBatch = TX_BATCH_SIZE)
    {
        if (layout.Bytes > umem.Length)
        {
            throw new ArgumentException($"{layout.TotalFrames} frames of {layout.FrameSize} bytes do not fit in a UMEM of {umem.Length} bytes.", nameof(layout));
        }

        _tx = tx;
        _completion = completion;
        _umem = umem.Pointer;
        _frameShift = layout.FrameShift;
        FrameSize = layout.FrameSize;
        _firstFrame = (uint)layout.RxFrames;
        _inFlight = new byte[layout.TxFrames];
        _kicker = kicker;
        _kernelBatch = Math.Max(kernelBatch, 1);
        WritePath = new XskTxPath("write", _firstFrame, layout.WriteFrames, publishThreshold);
        SelfPath = new XskTxPath("self", _firstFrame + (uint)layout.WriteFrames, layout.SelfFrames, 1);
    }

    public int FrameSize { get; }

    /// <summary>The write path (<see cref="Abstractions.IQueue.Write"/> and <see cref="Abstractions.IQueue.Flush"/>).</summary>
    public XskTxPath WritePath { get; }

    /// <summary>The <see cref="Abstractions.IQueue.WriteFromSelf"/> path.</summary>
    public XskTxPath SelfPath { get; }

    /// <summary>Completions the kernel reported.</summary>
    public long Completed { get; private set; }

    /// <summary>Completion ring entries refused (not a transmit frame in flight).</summary>
    public long BadCompletions { get; private set; }

    /// <summary>Descriptors in the TX ring the kernel has not taken yet (any thread may ask).</summary>
    public uint Backlog => _tx.Backlog;

    /// <summary>Takes a free frame of <paramref name="path"/>, reaping completions (and kicking) when it has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTakeFrame(XskTxPath path, out uint frame)
    {
        if (path.FreeCount == 0 && !Replenish(path))
        {
            frame = 0;
            return false;
        }

        frame = path.Free[--path.FreeCount];
        return true;
    }

    /// <summary>The bytes of transmit <paramref name="frame"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Frame(uint frame) => new(_umem + ((long)frame << _frameShift), FrameSize);

    /// <summary>Gives back a frame taken but not staged.</summary>
    public static void ReturnFrame(XskTxPath path, uint frame) => path.Free[path.FreeCount++] = frame;

    /// <summary>
    /// Stages <paramref name="length"/> bytes of <paramref name="frame"/> for sending; publishes (and kicks) once the
    /// path's threshold is reached.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Stage(XskTxPath path, uint frame, int length)
    {
        path.Staged[path.StagedCount++] = new xdp_desc { addr = (ulong)frame << _frameShift, len = (uint)length };
        if (path.StagedCount >= path.PublishThreshold)
        {
            Publish(path);
        }
    }

    /// <summary>
    /// Publishes every staged descriptor of <paramref name="path"/> to the TX ring and kicks the kernel when it asks.
    /// Returns how many staged packets the ring had no room for (dropped, their frames free again); they are also
    /// added to <see cref="XskTxPath.UnreportedRingFull"/>.
    /// </summary>
    public int Publish(XskTxPath path)
    {
        if (path.StagedCount == 0)
        {
            return 0;
        }

        int staged = path.StagedCount;
        uint published;
        Enter();
        try
        {
            ReapLocked();
            published = _tx.Reserve((uint)staged, out uint index);
            for (uint i = 0; i < published; i++)
            {
                ref xdp_desc slot = ref _tx.Descriptor(index + i);
                slot = path.Staged[i];
                _inFlight[(uint)(slot.addr >> _frameShift) - _firstFrame] = 1;
            }

            if (published != 0)
            {
                _tx.Submit();
            }

            CollectLocked(path);
        }
        finally
        {
            Exit();
        }

        int dropped = staged - (int)published;
        for (int i = (int)published; i < staged; i++)
        {
            path.Free[path.FreeCount++] = (uint)(path.Staged[i].addr >> _frameShift);
        }

        path.StagedCount = 0;
        path.Published += published;
        path.UnreportedRingFull += dropped;
        Kick(path, (int)published);
        return dropped;
    }

    /// <summary>Kicks when descriptors wait in the TX ring (the reader calls it when idle, in case a kick fell short).</summary>
    public void KickIfBacklogged(XskTxPath path)
    {
        uint backlog = _tx.Backlog;
        if (backlog != 0)
        {
            Kick(path, (int)backlog);
        }
    }

    /// <summary>Reaps the completion ring into the paths' returned frames.</summary>
    public void Reap()
    {
        Enter();
        try
        {
            ReapLocked();
        }
        finally
        {
            Exit();
        }
    }

    private void Kick(XskTxPath path, int pending)
    {
        if (pending == 0 || !_tx.NeedsWakeup)
        {
            return;
        }

        int attempts = (pending / _kernelBatch) + 2;
        for (int i = 0; i < attempts; i++)
        {
            path.Kicks++;
            int errno = _kicker.Kick();
            if (errno == 0)
            {
                return;
            }

            if (errno == Errno.EAGAIN || errno == Errno.EBUSY)
            {
                // EAGAIN: the kernel sent its batch and more wait; EBUSY: the device dropped one and went on.
                if (_tx.Backlog == 0)
                {
                    return;
                }

                continue;
            }

            // ENOBUFS (no socket buffer yet), ENETDOWN, ENXIO: what remains is sent by a later kick or by poll.
            path.KickErrors++;
            path.LastKickErrno = errno;
            return;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Replenish(XskTxPath path)
    {
        Enter();
        try
        {
            ReapLocked();
            CollectLocked(path);
        }
        finally
        {
            Exit();
        }

        if (path.FreeCount != 0)
        {
            return true;
        }

        // Everything is in flight or staged: send what is staged, let the kernel work, and look again.
        Publish(path);
        KickIfBacklogged(path);
        Enter();
        try
        {
            ReapLocked();
            CollectLocked(path);
        }
        finally
        {
            Exit();
        }

        return path.FreeCount != 0;
    }

    private void ReapLocked()
    {
        uint count = _completion.Peek(_completion.Size, out uint index);
        if (count == 0)
        {
            return;
        }

        for (uint i = 0; i < count; i++)
        {
            ulong frameIndex = _completion.Address(index + i) >> _frameShift;
            ulong relative = frameIndex - _firstFrame;
            if (frameIndex < _firstFrame || relative >= (ulong)_inFlight.Length || _inFlight[relative] == 0)
            {
                BadCompletions++;
                continue;
            }

            _inFlight[relative] = 0;
            uint frame = (uint)frameIndex;
            XskTxPath owner = WritePath.Owns(frame) ? WritePath : SelfPath;
            owner.Returned[owner.ReturnedCount++] = frame;
            Completed++;
        }

        _completion.Release();
    }

    private static void CollectLocked(XskTxPath path)
    {
        for (int i = 0; i < path.ReturnedCount; i++)
        {
            path.Free[path.FreeCount++] = path.Returned[i];
        }

        path.ReturnedCount = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Enter()
    {
        if (Interlocked.CompareExchange(ref _gate, 1, 0) != 0)
        {
            EnterContended();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnterContended()
    {
        var spinner = new SpinWait();
        while (Interlocked.CompareExchange(ref _gate, 1, 0) != 0)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Exit() => Volatile.Write(ref _gate, 0);
}
