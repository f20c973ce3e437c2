using System.Buffers.Binary;
using System.Diagnostics;
using RouterHost.Abstractions;
using RouterHost.Packets;
using RouterHost.Underlay;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// Active queue management on one lane's receive path: CoDel (<see cref="CoDel"/>) over the time each datagram waited
/// in its socket's receive buffer (the kernel's receive timestamp, <see cref="UdpReceiveQueue.SojournNs"/>), applied
/// to the decrypted packet. When the sojourn has stayed above the target for an interval — a sender keeps a standing
/// queue in front of us, and everything behind it, a ping or a DNS answer included, waits that long — CoDel picks
/// packets to signal: one whose IP header says ECN-capable (ECT(0) or ECT(1)) is marked Congestion Experienced (counted
/// in <see cref="Marked"/>), any other is dropped (<see cref="Dropped"/>, the drop reason <c>wireguard.aqm_drop</c>).
/// <para>
/// Only bulk-sized packets (at least <see cref="BulkBytes"/> bytes) are signalled, and fed to CoDel: the flow that
/// fills the queue is the one sending full-sized segments, while a sparse flow's small packets (pings, DNS, TCP ACKs)
/// are never dropped — the fair choice fq_codel makes by flow, made here by size, because the standing queue is the
/// kernel's FIFO in front of the socket, which only the sender's back-off can shorten.
/// </para>
/// One instance per worker (lane); no allocation after the first packet of each source, no locks.
/// </summary>
internal sealed class ReceiveAqm
{
    /// <summary>A packet dropped by the receive path's AQM (its transport did not negotiate ECN).</summary>
    public static readonly DropReason AqmDrop = DropReason.Register("wireguard.aqm_drop");

    /// <summary>The smallest inner packet the AQM signals (and measures): smaller ones belong to sparse flows.</summary>
    public const int BulkBytes = 576;

    private readonly long _targetNs;
    private readonly long _intervalNs;
    private CoDel[] _byQueue = [];

    /// <summary>An AQM with the given settings (<see cref="ReceiveAqmSettings.Enabled"/> is the caller's test).</summary>
    public ReceiveAqm(ReceiveAqmSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _targetNs = settings.Target.Ticks * 100;
        _intervalNs = settings.Interval.Ticks * 100;
    }

    /// <summary>Packets marked CE.</summary>
    public long Marked { get; private set; }

    /// <summary>Packets dropped.</summary>
    public long Dropped { get; private set; }

    /// <summary>A monotonic nanosecond clock (read once per batch).</summary>
    public static long NowNs() => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));

    /// <summary>
    /// Takes one decrypted, still-forwarded packet <paramref name="p"/> (its window is the inner IP packet) read from
    /// source <paramref name="queue"/> after waiting <paramref name="sojournNs"/>, at <paramref name="nowNs"/>; marks
    /// it CE or drops it when CoDel says so. Returns true when it did either.
    /// </summary>
    public bool Apply(ref Packet p, int queue, long sojournNs, long nowNs)
    {
        if (p.Length < BulkBytes || (uint)queue >= 1024)
        {
            return false;
        }

        CoDel[] codels = _byQueue;
        if ((uint)queue >= (uint)codels.Length)
        {
            codels = Grow(queue);
        }

        if (!codels[queue].Signal(sojournNs, nowNs))
        {
            return false;
        }

        if (TryMarkCongestion(p.Data))
        {
            Marked++;
        }
        else
        {
            Dropped++;
            p.Drop(AqmDrop);
        }

        return true;
    }

    /// <summary>
    /// Sets an ECN-capable IP packet's ECN field to CE (11), keeping an IPv4 header checksum right (incremental update,
    /// RFC 1624); true when the packet is ECN-capable (an ECT codepoint, or CE already), false for Not-ECT or a packet
    /// too short to be IP.
    /// </summary>
    public static bool TryMarkCongestion(Span<byte> packet)
    {
        if (packet.Length >= 20 && packet[0] >> 4 == 4)
        {
            int tos = packet[1];
            if ((tos & 3) == 0)
            {
                return false;
            }

            if ((tos & 3) == 3)
            {
                return true;
            }

            ushort oldWord = BinaryPrimitives.ReadUInt16BigEndian(packet);
            packet[1] = (byte)(tos | 3);
            ushort newWord = BinaryPrimitives.ReadUInt16BigEndian(packet);
            ushort check = BinaryPrimitives.ReadUInt16BigEndian(packet[10..]);
            BinaryPrimitives.WriteUInt16BigEndian(packet[10..], IncrementalChecksum.Update(check, oldWord, newWord));
            return true;
        }

        if (packet.Length >= 40 && packet[0] >> 4 == 6)
        {
            // Traffic class: the low nibble of byte 0 and the high nibble of byte 1; ECN is its two low bits.
            int ecn = (packet[1] >> 4) & 3;
            if (ecn == 0)
            {
                return false;
            }

            packet[1] |= 0x30;
            return true;
        }

        return false;
    }

    private CoDel[] Grow(int queue)
    {
        var grown = new CoDel[queue + 1];
        _byQueue.CopyTo(grown, 0);
        for (int i = _byQueue.Length; i < grown.Length; i++)
        {
            grown[i] = new CoDel(_targetNs, _intervalNs);
        }

        _byQueue = grown;
        return grown;
    }
}
