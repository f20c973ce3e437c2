using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Packets;
using RouterHost.Plugins.Wintun.Internal;
using static RouterHost.Plugins.Wintun.Interop.Errors;
using static RouterHost.Plugins.Wintun.Interop.Wintun;

namespace RouterHost.Plugins.Wintun;

/// <summary>
/// Writes packets into a session's send ring: validate, allocate ring space, copy, finish a pending checksum in the
/// ring copy, send. Everything that could refuse a packet is checked before allocating, because an allocated packet
/// must be sent (the ring only moves past packets in allocation order). A queue has one sender for its write path and
/// another for <see cref="IQueue.WriteFromSelf"/>, so their counters have one writer each.
/// </summary>
internal sealed unsafe partial class WintunSender
{
    private readonly IWintunApi _api;
    private readonly SessionGate _gate;
    private readonly nint _session;
    private readonly string _adapter;
    private readonly ILogger _logger;
    private long _packets;
    private long _bytes;
    private long _failures;

    public WintunSender(IWintunApi api, SessionGate gate, nint session, string adapter, ILogger logger)
    {
        _api = api;
        _gate = gate;
        _session = session;
        _adapter = adapter;
        _logger = logger;
    }

    /// <summary>Packets handed to the driver.</summary>
    public long Packets => Volatile.Read(ref _packets);

    /// <summary>Bytes handed to the driver (read by the queue's reader for its spin decision).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    public DropReason Send(in Packet packet)
    {
        if (packet.Gso.IsSuperpacket)
        {
            return WintunDropReasons.Superpacket;
        }

        int length = packet.Length;
        if (length > WINTUN_MAX_IP_PACKET_SIZE)
        {
            return WintunDropReasons.TooLarge;
        }

        ReadOnlySpan<byte> data = packet.Data;
        if (!IsIpPacket(data))
        {
            return WintunDropReasons.NotIp;
        }

        GsoInfo gso = packet.Gso;
        if (gso.NeedsChecksum && (gso.ChecksumStart >= length || gso.ChecksumOffset > length - gso.ChecksumStart - 2))
        {
            return WintunDropReasons.BadChecksumOffset;
        }

        if (!_gate.TryEnter())
        {
            return DropReason.Closed;
        }

        try
        {
            byte* target = _api.AllocateSendPacket(_session, (uint)length, out int error);
            if (target == null)
            {
                return Refused(error);
            }

            var ring = new Span<byte>(target, length);
            data.CopyTo(ring);
            if (gso.NeedsChecksum)
            {
                // Bounds were checked above, so this cannot refuse: the packet is already allocated and must go.
                VirtioOffload.CompleteChecksum(ring, ref gso);
            }

            _api.SendPacket(_session, target);
            _packets++;
            _bytes += length;
            return DropReason.None;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>The driver indicates only IPv4 packets of 20 bytes or more and IPv6 packets of 40 or more.</summary>
    internal static bool IsIpPacket(ReadOnlySpan<byte> data) =>
        data.Length >= 20 && ((data[0] >> 4) == 4 || (data.Length >= 40 && (data[0] >> 4) == 6));

    private DropReason Refused(int error)
    {
        if (error == ERROR_BUFFER_OVERFLOW)
        {
            return WintunDropReasons.RingFull;
        }

        if ((_failures++ & 4095) == 0)
        {
            Log.SendFailed(_logger, _adapter, Win32Error.Describe(error), _failures);
        }

        return error == ERROR_HANDLE_EOF ? WintunDropReasons.AdapterGone : WintunDropReasons.WriteFailed;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "Writing to Wintun adapter {Adapter} failed: {Error} ({Count} failures so far; logged every 4096)")]
        public static partial void SendFailed(ILogger logger, string adapter, string error, long count);
    }
}
