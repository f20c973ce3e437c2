using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Packets;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Plugins.LinuxTun;

/// <summary>
/// One queue (fd) of a TUN device.
/// <para>
/// Read: drains up to a batch of packets into the queue's own pinned slab without blocking, and blocks in
/// <c>poll</c> (with the close eventfd) only when the device has nothing. Each packet gets
/// <see cref="Headroom"/> bytes in front (the virtio-net header is read into its end; tunnel headers are
/// written there later) and <see cref="Tailroom"/> behind (padding and AEAD tag). The virtio header is
/// decoded without trusting it; non-GSO packets with a partial checksum are finished; superpackets keep
/// their <see cref="GsoInfo"/> for segmentation further on.
/// </para>
/// <para>
/// Write path (<see cref="Write"/>, <see cref="Flush"/>): packets go through a <see cref="GroCoalescer"/> and leave
/// at Flush as coalesced superpackets (one vectored write each, <see cref="TunWriteSink.WriteGso"/>) or as they came.
/// <see cref="WriteFromSelf"/> has its own sink and scratch and writes at once.
/// </para>
/// <para>
/// Superpackets: the queue is an <see cref="IGsoWriter"/> that takes exactly what the device takes from it
/// (<see cref="AcceptsGso"/>): TSO (IPv4 and IPv6) whenever packets carry a virtio-net header, USO only where it was
/// negotiated (a kernel that refuses TUN_F_USO4 does not know the virtio UDP_L4 type either). The host segments the
/// others before they get here; one written anyway is the counted drop <see cref="TunDropReasons.GsoDisabled"/>.
/// </para>
/// </summary>
internal sealed unsafe class TunQueue : IQueue, IGsoWriter
{
    /// <summary>Bytes before each read packet: the virtio header now, tunnel and UDP/IP headers later.</summary>
    public const int Headroom = 64;

    /// <summary>Bytes after each read packet: WireGuard padding (≤ 15) and the 16-byte tag, and spare.</summary>
    public const int Tailroom = 64;

    /// <summary>The largest packet a read can return (a TSO superpacket's IP total length limit).</summary>
    public const int MaxPacket = 65535;

    /// <summary>
    /// Bytes of packets one <see cref="Read"/> takes at most (it stops after the packet that reaches it): a batch of
    /// 64 KB superpackets is sealed and sent in a bounded time, so a ping that arrives while the lane works on one
    /// waits for at most this much of a bulk flow, not for a whole 2 MB slab.
    /// </summary>
    public const int ReadBudgetBytes = 256 << 10;

    private readonly SafeFileDescriptor _fd;
    private readonly CloseSignal _closing = new();
    private readonly bool _vnet;
    private readonly string _device;
    private readonly byte[] _slab;
    private readonly Memory<byte> _slabMemory;
    private readonly byte* _slabBase;
    private readonly GroCoalescer? _gro;
    private readonly TunWriteSink _sink;
    private readonly TunWriteSink _selfSink;
    private readonly DropTally _pendingDrops = new();

    public TunQueue(SafeFileDescriptor fd, int index, string device, TunOffloads offloads, bool gro, int batchSize, ILogger logger)
    {
        _fd = fd;
        Index = index;
        _device = device;
        _vnet = offloads.VnetHeader;
        Offloads = offloads;
        int perPacket = Headroom + MaxPacket + Tailroom;
        int slabLength = Math.Max(2 << 20, (batchSize * 2048) + perPacket);
        _slab = GC.AllocateArray<byte>(slabLength, pinned: true);
        _slabMemory = _slab;
        _slabBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_slab));
        _sink = new TunWriteSink(fd, _vnet, device, logger);
        _selfSink = new TunWriteSink(fd, _vnet, device, logger);
        if (gro && offloads.VnetHeader)
        {
            _gro = new GroCoalescer(Math.Max(batchSize, 64), coalesceUdp: offloads.Uso);
        }
    }

    public int Index { get; }

    public TunOffloads Offloads { get; }

    /// <summary>Superpackets (TSO/USO) read from the device.</summary>
    public long SuperpacketsRead { get; private set; }

    /// <summary>Superpackets written (coalesced or forwarded as such).</summary>
    public long SuperpacketsWritten => _sink.GsoWrites;

    /// <summary>Packets carried inside the superpackets written.</summary>
    public long SegmentsWritten => _sink.GsoSegments;

    /// <summary>The queue's file descriptor.</summary>
    public SafeHandle Handle => _fd;

    /// <summary>Whether writes are GRO-coalesced.</summary>
    public bool Coalescing => _gro is not null;

    public bool Read(PacketBatch batch)
    {
        batch.Clear();
        int vnetLength = _vnet ? TunDevice.VnetHeaderLength : 0;
        int pos = 0;
        while (true)
        {
            while (!batch.IsFull && pos < ReadBudgetBytes && _slab.Length - pos >= Headroom + MaxPacket + Tailroom)
            {
                byte* target = _slabBase + pos + Headroom - vnetLength;
                nint n = read(_fd, target, (nuint)(vnetLength + MaxPacket));
                if (n < 0)
                {
                    int errno = Errno.Last;
                    if (errno == Errno.EAGAIN)
                    {
                        break;
                    }

                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    throw new LinuxException($"reading queue {Index} of TUN device '{_device}'", errno);
                }

                int length = (int)n - vnetLength;
                if (length <= 0)
                {
                    batch.ReadDrops.Add(length < 0 ? TunDropReasons.ShortRead : DropReason.Malformed);
                    continue;
                }

                var packet = new Span<byte>(_slabBase + pos + Headroom, length);
                GsoInfo gso = default;
                if (_vnet)
                {
                    DropReason refused = VirtioOffload.Decode(new ReadOnlySpan<byte>(target, vnetLength), packet, out gso);
                    if (refused.IsNone && !gso.IsSuperpacket && gso.NeedsChecksum)
                    {
                        refused = VirtioOffload.CompleteChecksum(packet, ref gso);
                    }

                    if (!refused.IsNone)
                    {
                        batch.ReadDrops.Add(refused);
                        continue;
                    }
                }

                int span = Headroom + length + Tailroom;
                ref Packet p = ref batch.Append(_slabMemory.Slice(pos, span), Headroom, length);
                p.Gso = gso;
                if (gso.IsSuperpacket)
                {
                    SuperpacketsRead++;
                }
                pos += (span + 63) & ~63;
            }

            if (batch.Count > 0 || batch.ReadDrops.Total > 0)
            {
                return true;
            }

            if (_closing.IsClosed || !WaitReadable())
            {
                return false;
            }
        }
    }

    /// <summary>
    /// TCP superpackets (IPv4, IPv6) when the queue has the virtio-net header, UDP ones (USO) only when USO was
    /// negotiated; never <see cref="GsoType.None"/>. Fixed for the queue's lifetime.
    /// </summary>
    public bool AcceptsGso(GsoType type) => type switch
    {
        GsoType.TcpV4 or GsoType.TcpV6 => _vnet,
        GsoType.UdpL4 => _vnet && Offloads.Uso,
        _ => false,
    };

    public DropReason Write(in Packet packet)
    {
        if (packet.Gso.IsSuperpacket && !AcceptsGso(packet.Gso.Type))
        {
            return TunDropReasons.GsoDisabled;
        }

        if (_gro is null)
        {
            return _sink.Write(packet);
        }

        if (!_gro.TryAdd(packet))
        {
            _gro.Flush(_sink, _pendingDrops);
            if (!_gro.TryAdd(packet))
            {
                return _sink.Write(packet);
            }
        }

        return DropReason.None;
    }

    public DropReason WriteFromSelf(in Packet packet) =>
        packet.Gso.IsSuperpacket && !AcceptsGso(packet.Gso.Type) ? TunDropReasons.GsoDisabled : _selfSink.Write(packet);

    public void Flush(DropTally drops)
    {
        _gro?.Flush(_sink, drops);
        if (_pendingDrops.Total != 0)
        {
            for (int i = 0; i < _pendingDrops.ReasonCount; i++)
            {
                var (reason, count) = _pendingDrops.GetEntry(i);
                drops.Add(reason, count);
            }

            _pendingDrops.Clear();
        }
    }

    public void Close() => _closing.Close();

    public void Dispose()
    {
        if (!_closing.TryBeginDispose())
        {
            return;
        }

        _fd.Dispose();
        _closing.Dispose();
        _sink.Dispose();
        _selfSink.Dispose();
    }

    /// <summary>Blocks until the device has a packet (true) or the queue is closed (false).</summary>
    private bool WaitReadable()
    {
        Readiness wait = ReadinessWait.Wait(_fd, _closing.Event, ReadinessWait.Infinite);
        if (wait.Outcome == ReadinessOutcome.Failed)
        {
            throw LinuxException.FromErrno(wait.ErrorNumber, $"poll on queue {Index} of TUN device '{_device}'");
        }

        if (wait.Outcome == ReadinessOutcome.Closed || _closing.IsClosed)
        {
            return false;
        }

        if (wait.Outcome == ReadinessOutcome.Readable)
        {
            return true;
        }

        // Error: without a timeout the wait never times out.
        throw new LinuxException($"TUN device '{_device}' queue {Index} reported poll events 0x{wait.Events:x} (the device is gone?)");
    }
}
