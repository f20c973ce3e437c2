using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RouterHost.Abstractions;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Underlay.Internal;

/// <summary>
/// The control messages the underlay reads and writes: <c>IP_PKTINFO</c> / <c>IPV6_PKTINFO</c> (the local address
/// of a received datagram; the source address of a sent one) and <c>UDP_GRO</c> / <c>UDP_SEGMENT</c> (the segment
/// size of a coalesced read; of a GSO send); on receive also <c>SO_TIMESTAMPNS</c> (when the kernel took the datagram in).
/// </summary>
internal static class ControlMessages
{
    /// <summary>Control bytes reserved per received datagram: a pktinfo and a GRO message with room to spare.</summary>
    public const int ReceiveSpace = 128;

    /// <summary>Control bytes per sent message: an <c>in6_pktinfo</c> (the larger) and a <c>UDP_SEGMENT</c>.</summary>
    public static readonly int SendSpace = CMSG_SPACE(Unsafe.SizeOf<in6_pktinfo>()) + CMSG_SPACE(sizeof(ushort));

    /// <summary>
    /// Reads a received datagram's control data. <paramref name="destination"/> is the local address it came to
    /// (with <paramref name="localPort"/>), or <see cref="UdpEndpoint.None"/> when there was no pktinfo;
    /// <paramref name="groSegmentSize"/> is the <c>UDP_GRO</c> segment size, or 0 when the datagram was not
    /// coalesced. Returns why the datagram must be dropped, or <see cref="DropReason.None"/>.
    /// </summary>
    public static DropReason Decode(ReadOnlySpan<byte> control, ushort localPort, out UdpEndpoint destination, out int groSegmentSize) =>
        Decode(control, localPort, out destination, out groSegmentSize, out _);

    /// <summary>
    /// As <see cref="Decode(ReadOnlySpan{byte}, ushort, out UdpEndpoint, out int)"/>, and
    /// <paramref name="receivedNs"/> is the kernel's receive time (<c>SO_TIMESTAMPNS</c>, nanoseconds since the Unix
    /// epoch, <c>CLOCK_REALTIME</c>), or 0 when the datagram carried none (timestamps off, or a malformed one: a
    /// timestamp is a measurement, never a reason to drop).
    /// </summary>
    public static DropReason Decode(ReadOnlySpan<byte> control, ushort localPort, out UdpEndpoint destination, out int groSegmentSize, out long receivedNs)
    {
        destination = default;
        groSegmentSize = 0;
        receivedNs = 0;
        var reader = new ControlMessageReader(control);
        while (reader.TryNext(out int level, out int type, out ReadOnlySpan<byte> data))
        {
            if (level == SOL_UDP && type == UDP_GRO)
            {
                if (data.Length < sizeof(int))
                {
                    return UnderlayDropReasons.GroBadSegmentSize;
                }

                int size = MemoryMarshal.Read<int>(data);
                if (size is <= 0 or > ushort.MaxValue)
                {
                    return UnderlayDropReasons.GroBadSegmentSize;
                }

                groSegmentSize = size;
            }
            else if (level == SOL_SOCKET && type == SO_TIMESTAMPNS && data.Length >= Unsafe.SizeOf<timespec>())
            {
                timespec stamp = MemoryMarshal.Read<timespec>(data);
                if (stamp.tv_sec > 0 && stamp.tv_sec < long.MaxValue / 1_000_000_000L && (ulong)stamp.tv_nsec < 1_000_000_000UL)
                {
                    receivedNs = (stamp.tv_sec * 1_000_000_000L) + stamp.tv_nsec;
                }
            }
            else if (level == SOL_IP && type == IP_PKTINFO && data.Length >= Unsafe.SizeOf<in_pktinfo>())
            {
                // ipi_spec_dst: the local address a reply comes from (for unicast, the one it was sent to).
                in_pktinfo info = MemoryMarshal.Read<in_pktinfo>(data);
                destination = UdpEndpoint.FromIPv4Bits(info.ipi_spec_dst.s_addr, localPort);
            }
            else if (level == SOL_IPV6 && type == IPV6_PKTINFO && data.Length >= Unsafe.SizeOf<in6_pktinfo>())
            {
                ReadOnlySpan<byte> address = data[..16];
                int ifindex = MemoryMarshal.Read<int>(data[16..]);
                destination = UdpEndpoint.FromAddress16(address, localPort, UdpEndpoint.IsLinkLocal(address) ? (uint)ifindex : 0);
            }
        }

        return reader.Malformed ? UnderlayDropReasons.ControlMalformed : DropReason.None;
    }

    /// <summary>
    /// Writes the control message that makes a datagram leave from <paramref name="source"/>'s address: an
    /// <c>in_pktinfo</c> (<c>ipi_spec_dst</c>) on an IPv4 socket, an <c>in6_pktinfo</c> (v4-mapped for IPv4; with
    /// the scope id as interface for a link-local address) on an IPv6 one. Returns the bytes written
    /// (<c>CMSG_SPACE</c>), 0 when <paramref name="source"/> is None or cannot be expressed on this socket.
    /// </summary>
    public static int WriteSource(Span<byte> control, in UdpEndpoint source, bool ipv6Socket)
    {
        if (source.IsNone || (!ipv6Socket && source.IsIPv6))
        {
            return 0;
        }

        if (ipv6Socket)
        {
            var info = default(in6_pktinfo);
            source.WriteAddress16(MemoryMarshal.AsBytes(new Span<in6_addr>(ref info.ipi6_addr)));
            info.ipi6_ifindex = (int)source.ScopeId;
            return Write(control, SOL_IPV6, IPV6_PKTINFO, in info);
        }

        var info4 = default(in_pktinfo);
        info4.ipi_spec_dst.s_addr = source.IPv4Bits;
        return Write(control, SOL_IP, IP_PKTINFO, in info4);
    }

    /// <summary>Writes a <c>UDP_SEGMENT</c> control message (a <c>__u16</c>, exactly <c>CMSG_LEN(2)</c> long as the kernel requires).</summary>
    public static int WriteSegmentSize(Span<byte> control, ushort segmentSize) => Write(control, SOL_UDP, UDP_SEGMENT, in segmentSize);

    private static int Write<T>(Span<byte> control, int level, int type, in T value)
        where T : unmanaged
    {
        int space = CMSG_SPACE(Unsafe.SizeOf<T>());
        Span<byte> target = control[..space];
        target.Clear();
        var header = new cmsghdr { cmsg_len = (nuint)CMSG_LEN(Unsafe.SizeOf<T>()), cmsg_level = level, cmsg_type = type };
        MemoryMarshal.Write(target, in header);
        MemoryMarshal.Write(target[CMSG_LEN(0)..], in value);
        return space;
    }
}
