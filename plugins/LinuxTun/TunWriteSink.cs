using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Packets;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Plugins.LinuxTun;

/// <summary>
/// Writes packets to a TUN fd: one <c>write</c> per packet (the virtio-net header goes into the packet's
/// headroom when there is room, otherwise a two-part <c>writev</c>), one <c>writev</c> per superpacket (virtio
/// header, IP+L4 header, payload fragments: no payload copy). Owns its scratch, so a queue has one for its write
/// path and another for <see cref="IQueue.WriteFromSelf"/>. Single-threaded.
/// <para>
/// <see cref="WriteGso"/> is the backend's own vectored GSO write: not part of the plugin contract (the host only
/// writes whole packets), it is what the queue's <see cref="GroCoalescer"/> flushes coalesced superpackets through.
/// </para>
/// </summary>
internal sealed unsafe partial class TunWriteSink : IGsoSink, IDisposable
{
    private const int MaxFragments = 128;

    private readonly SafeFileDescriptor _fd;
    private readonly bool _vnet;
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly byte* _header;
    private readonly iovec* _iov;
    private readonly MemoryHandle[] _pins = new MemoryHandle[MaxFragments];
    private long _errors;

    /// <summary>Superpackets written (each one writev carrying a virtio GSO header).</summary>
    public long GsoWrites;

    /// <summary>Packets (segments) carried by those superpackets.</summary>
    public long GsoSegments;

    public TunWriteSink(SafeFileDescriptor fd, bool vnet, string name, ILogger logger)
    {
        _fd = fd;
        _vnet = vnet;
        _name = name;
        _logger = logger;
        _header = (byte*)NativeMemory.AllocZeroed(16);
        _iov = (iovec*)NativeMemory.AllocZeroed((nuint)(sizeof(iovec) * (MaxFragments + 2)));
    }

    public DropReason Write(in Packet packet)
    {
        int vnetLength = _vnet ? TunDevice.VnetHeaderLength : 0;
        if (!_vnet && packet.Gso.IsSuperpacket)
        {
            return TunDropReasons.GsoDisabled;
        }

        Span<byte> buffer = packet.Buffer.Span;
        fixed (byte* start = buffer)
        {
            byte* data = start + packet.Offset;
            if (!_vnet)
            {
                return Result(write(_fd, data, (nuint)packet.Length), packet.Length);
            }

            DropReason result;
            if (packet.Offset >= vnetLength)
            {
                // The header goes right in front of the packet: one plain write, nothing copied.
                if (!VirtioOffload.TryEncode(packet.Gso, new Span<byte>(data - vnetLength, vnetLength)))
                {
                    return TunDropReasons.WriteInvalid;
                }

                result = Result(write(_fd, data - vnetLength, (nuint)(packet.Length + vnetLength)), packet.Length + vnetLength);
            }
            else
            {
                if (!VirtioOffload.TryEncode(packet.Gso, new Span<byte>(_header, vnetLength)))
                {
                    return TunDropReasons.WriteInvalid;
                }

                _iov[0] = new iovec { iov_base = _header, iov_len = (nuint)vnetLength };
                _iov[1] = new iovec { iov_base = data, iov_len = (nuint)packet.Length };
                result = Result(writev(_fd, _iov, 2), packet.Length + vnetLength);
            }

            if (result.IsNone && packet.Gso.IsSuperpacket)
            {
                // A superpacket forwarded as it came (e.g. TSO from another TUN), not coalesced here.
                GsoWrites++;
                int payloadBytes = packet.Length - packet.Gso.HeaderLength;
                GsoSegments += (payloadBytes + packet.Gso.SegmentSize - 1) / Math.Max(1, (int)packet.Gso.SegmentSize);
            }

            return result;
        }
    }

    public DropReason WriteGso(Span<byte> header, ReadOnlySpan<ReadOnlyMemory<byte>> payloads, in GsoInfo gso)
    {
        if (!_vnet)
        {
            return TunDropReasons.GsoDisabled;
        }

        if (payloads.Length > MaxFragments)
        {
            return TunDropReasons.WriteTooLarge;
        }

        if (!VirtioOffload.TryEncode(gso, new Span<byte>(_header, TunDevice.VnetHeaderLength)))
        {
            return TunDropReasons.WriteInvalid;
        }

        int pinned = 0;
        try
        {
            fixed (byte* h = header)
            {
                _iov[0] = new iovec { iov_base = _header, iov_len = TunDevice.VnetHeaderLength };
                _iov[1] = new iovec { iov_base = h, iov_len = (nuint)header.Length };
                int total = TunDevice.VnetHeaderLength + header.Length;
                for (int i = 0; i < payloads.Length; i++)
                {
                    _pins[i] = payloads[i].Pin();
                    pinned++;
                    _iov[2 + i] = new iovec { iov_base = _pins[i].Pointer, iov_len = (nuint)payloads[i].Length };
                    total += payloads[i].Length;
                }

                DropReason result = Result(writev(_fd, _iov, 2 + payloads.Length), total);
                if (result.IsNone)
                {
                    GsoWrites++;
                    int payloadBytes = total - TunDevice.VnetHeaderLength - header.Length;
                    GsoSegments += (payloadBytes + gso.SegmentSize - 1) / Math.Max(1, (int)gso.SegmentSize);
                }

                return result;
            }
        }
        finally
        {
            for (int i = 0; i < pinned; i++)
            {
                _pins[i].Dispose();
            }
        }
    }

    public void Dispose()
    {
        NativeMemory.Free(_header);
        NativeMemory.Free(_iov);
    }

    private DropReason Result(nint written, int expected)
    {
        if (written == expected)
        {
            return DropReason.None;
        }

        int errno = written < 0 ? Errno.Last : Errno.EIO;
        DropReason reason = errno switch
        {
            Errno.EINVAL => TunDropReasons.WriteInvalid,
            Errno.ENOBUFS or Errno.EAGAIN or Errno.ENOMEM => TunDropReasons.WriteNoBuffers,
            Errno.EMSGSIZE => TunDropReasons.WriteTooLarge,
            _ => TunDropReasons.WriteFailed,
        };
        if ((_errors++ & 4095) == 0)
        {
            Log.WriteFailed(_logger, _name, written < 0 ? Errno.Describe(errno) : $"short write of {written} of {expected} bytes", _errors);
        }

        return reason;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "Writing to {Device} failed: {Error} ({Count} write errors so far; logged every 4096)")]
        public static partial void WriteFailed(ILogger logger, string device, string error, long count);
    }
}
