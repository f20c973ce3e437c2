using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Plugins.Wintun.Internal;
using static RouterHost.Plugins.Wintun.Interop.Errors;
using static RouterHost.Plugins.Wintun.Interop.Wintun;

namespace RouterHost.Plugins.Wintun;

/// <summary>
/// The one queue of a Wintun adapter: its session.
/// <para>
/// Read: takes packets with WintunReceivePacket until the batch or the queue's slab is full or the ring is empty,
/// <b>copying</b> each into the queue's own pinned slab (with <see cref="Headroom"/> in front and
/// <see cref="Tailroom"/> behind) and releasing it at once, in receive order. Borrowing the ring's memory instead
/// would hold ring space for a whole batch's trip through the stages (the driver drops what does not fit), would
/// leave no headroom (each ring packet is preceded by its 4-byte size and the previous packet, so a tunnel header
/// written in place would corrupt the ring) and no tailroom; one copy per packet is what wireguard-go pays too.
/// When the ring is empty the reader spins briefly under high load (<see cref="ReadSpin"/>), then waits on
/// Wintun's read event together with the queue's close event, so <see cref="Close"/> wakes it.
/// </para>
/// <para>
/// Write (<see cref="Write"/>) and <see cref="WriteFromSelf"/> each have a <see cref="WintunSender"/>; nothing is
/// held, so <see cref="Flush"/> has nothing to do. The queue is no <see cref="IGsoWriter"/>: Wintun has no offloads;
/// the runner segments superpackets before they get here, and one written anyway is a counted drop.
/// </para>
/// <para>
/// Every thread enters the session through a <see cref="SessionGate"/>; <see cref="Dispose"/> ends the session only
/// once all of them have left.
/// </para>
/// </summary>
internal sealed unsafe partial class WintunQueue : IQueue
{
    /// <summary>Bytes before each read packet, for tunnel and UDP/IP headers written in place later.</summary>
    public const int Headroom = 64;

    /// <summary>Bytes after each read packet: WireGuard padding and tag.</summary>
    public const int Tailroom = 64;

    /// <summary>How long disposal waits for threads still inside the session before leaving it alive.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private const int SlotAlignment = 64;
    private const int MaxSlot = Headroom + WINTUN_MAX_IP_PACKET_SIZE + Tailroom;

    private readonly IWintunApi _api;
    private readonly SafeWintunSessionHandle _sessionHandle;
    private readonly nint _session;
    private readonly string _adapter;
    private readonly SessionGate _gate = new();
    private readonly WaitHandle _readEvent;
    private readonly ManualResetEvent _closeEvent = new(false);
    private readonly WaitHandle[] _waitHandles;
    private readonly Lock _closeLock = new();
    private readonly byte[] _slab;
    private readonly Memory<byte> _slabMemory;
    private readonly byte* _slabBase;
    private readonly WintunSender _sender;
    private readonly WintunSender _selfSender;
    private readonly ReadSpin _spin;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _trafficSeen;
    private volatile bool _isClosed;
    private bool _closeEventDisposed;
    private int _disposed;

    public WintunQueue(IWintunApi api, SafeWintunSessionHandle session, string adapter, int batchSize, ReadSpin spin, TimeProvider time, ILogger logger)
    {
        _api = api;
        _sessionHandle = session;
        _session = session.DangerousGetHandle();
        _adapter = adapter;
        _spin = spin;
        _time = time;
        _logger = logger;
        _readEvent = api.GetReadWaitEvent(_session);
        _waitHandles = [_readEvent, _closeEvent];
        int slabLength = Math.Max(2 << 20, (batchSize * 2048) + MaxSlot);
        _slab = GC.AllocateArray<byte>(slabLength, pinned: true);
        _slabMemory = _slab;
        _slabBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_slab));
        _sender = new WintunSender(api, _gate, _session, adapter, logger);
        _selfSender = new WintunSender(api, _gate, _session, adapter, logger);
    }

    public int Index => 0;

    /// <summary>Packets taken from the ring.</summary>
    public long PacketsRead { get; private set; }

    /// <summary>Times the reader polled the empty ring again instead of sleeping (adaptive spin).</summary>
    public long SpinPolls { get; private set; }

    /// <summary>Times the reader slept on the read event.</summary>
    public long Waits { get; private set; }

    /// <summary>Packets handed to the driver by both senders.</summary>
    public long PacketsWritten => _sender.Packets + _selfSender.Packets;

    /// <summary>Threads inside the session now (for tests and diagnostics).</summary>
    internal int ThreadsInside => _gate.Inside;

    /// <summary>Whether disposal has begun ending the session (new entries are refused).</summary>
    internal bool IsEnding => _gate.IsClosing;

    public bool Read(PacketBatch batch)
    {
        batch.Clear();
        if (_isClosed || !_gate.TryEnter())
        {
            return false;
        }

        try
        {
            return ReadInside(batch);
        }
        finally
        {
            _gate.Exit();
        }
    }

    public DropReason Write(in Packet packet) => _sender.Send(packet);

    public DropReason WriteFromSelf(in Packet packet) => _selfSender.Send(packet);

    public void Flush(DropTally drops)
    {
        // Every write went to the ring at once; nothing is held.
    }

    public void Close()
    {
        _isClosed = true;
        lock (_closeLock)
        {
            if (!_closeEventDisposed)
            {
                _closeEvent.Set();
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Close();
        if (_gate.CloseAndWait(DrainTimeout))
        {
            _readEvent.Dispose();
            _sessionHandle.Dispose();
        }
        else
        {
            // A thread is wedged inside the session: ending it under that thread would free the rings it is using.
            // Leave the session (and so the adapter) alive until the process exits instead.
            Log.SessionLeaked(_logger, _adapter, _gate.Inside);
            _sessionHandle.SetHandleAsInvalid();
        }

        lock (_closeLock)
        {
            _closeEventDisposed = true;
            _closeEvent.Dispose();
        }
    }

    private bool ReadInside(PacketBatch batch)
    {
        int pos = 0;
        long bytes = 0;
        long spinStart = 0;
        bool spinning = false;
        while (true)
        {
            int error = ERROR_NO_MORE_ITEMS;
            while (!batch.IsFull && _slab.Length - pos >= MaxSlot)
            {
                byte* packet = _api.ReceivePacket(_session, out uint size, out error);
                if (packet == null)
                {
                    break;
                }

                int length = (int)size;
                if (length == 0)
                {
                    _api.ReleaseReceivePacket(_session, packet);
                    batch.ReadDrops.Add(WintunDropReasons.EmptyRead);
                    continue;
                }

                new ReadOnlySpan<byte>(packet, length).CopyTo(new Span<byte>(_slabBase + pos + Headroom, length));
                _api.ReleaseReceivePacket(_session, packet);
                int span = Headroom + length + Tailroom;
                batch.Append(_slabMemory.Slice(pos, span), Headroom, length);
                pos += (span + SlotAlignment - 1) & ~(SlotAlignment - 1);
                bytes += length;
            }

            if (batch.Count > 0 || batch.ReadDrops.Total > 0)
            {
                PacketsRead += batch.Count;
                long written = _sender.Bytes + _selfSender.Bytes;
                _spin.Add(bytes + written - _trafficSeen, _time.GetTimestamp());
                _trafficSeen = written;
                return true;
            }

            if (_isClosed)
            {
                return false;
            }

            if (error != ERROR_NO_MORE_ITEMS)
            {
                ThrowReadFailed(error);
            }

            long now = _time.GetTimestamp();
            if (!spinning && _spin.ShouldSpin(now))
            {
                spinning = true;
                spinStart = now;
            }

            if (spinning && _spin.KeepSpinning(spinStart, now))
            {
                SpinPolls++;
                Thread.SpinWait(8);
                continue;
            }

            spinning = false;
            Waits++;
            if (WaitHandle.WaitAny(_waitHandles) == 1 || _isClosed)
            {
                return false;
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowReadFailed(int error) => throw new WintunException(
        $"reading from Wintun adapter '{_adapter}'",
        error,
        error switch
        {
            ERROR_HANDLE_EOF => "the adapter is going away: removed, disabled or its driver stopped",
            ERROR_INVALID_DATA => "the receive ring is corrupt",
            _ => null,
        });

    private static partial class Log
    {
        [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "Wintun adapter {Adapter}: {Threads} thread(s) still inside its session after shutdown; leaving the session open until the process exits")]
        public static partial void SessionLeaked(ILogger logger, string adapter, int threads);
    }
}
