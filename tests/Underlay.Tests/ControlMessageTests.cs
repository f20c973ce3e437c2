using System.Net;
using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Underlay.Internal;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Underlay.Tests;

/// <summary>Control buffers as the kernel writes them, and crafted ones it never would.</summary>
public sealed class ControlMessageTests
{
    private const ushort LocalPort = 51820;

    [Fact]
    public void An_IPv4_pktinfo_gives_the_local_address_the_datagram_came_to()
    {
        byte[] control = Build(Message(SOL_IP, IP_PKTINFO, PktInfo4(ifindex: 3, specDst: "10.0.0.3", addr: "10.0.0.3")));
        Assert.Equal(DropReason.None, ControlMessages.Decode(control, LocalPort, out UdpEndpoint destination, out int gro));
        Assert.Equal(Endpoint("10.0.0.3"), destination);
        Assert.Equal(0, gro);
    }

    [Theory]
    [InlineData("2001:db8::7", 4, "2001:db8::7", 0u)]
    [InlineData("fe80::7", 4, "fe80::7", 4u)]
    [InlineData("::ffff:192.0.2.4", 2, "192.0.2.4", 0u)]
    public void An_IPv6_pktinfo_gives_the_local_address_with_a_scope_only_when_link_local(string address, int ifindex, string expected, uint scope)
    {
        byte[] control = Build(Message(SOL_IPV6, IPV6_PKTINFO, PktInfo6(address, ifindex)));
        Assert.Equal(DropReason.None, ControlMessages.Decode(control, LocalPort, out UdpEndpoint destination, out _));
        Assert.Equal(UdpEndpoint.Create(IPAddress.Parse(expected).GetAddressBytes(), LocalPort, scope), destination);
    }

    [Fact]
    public void A_GRO_message_beside_pktinfo_gives_the_segment_size()
    {
        byte[] control = Build(
            Message(SOL_UDP, UDP_GRO, BitConverter.GetBytes(1400)),
            Message(SOL_IPV6, IPV6_PKTINFO, PktInfo6("2001:db8::1", 1)));
        Assert.Equal(DropReason.None, ControlMessages.Decode(control, LocalPort, out UdpEndpoint destination, out int gro));
        Assert.Equal(1400, gro);
        Assert.Equal(UdpEndpoint.Create(IPAddress.Parse("2001:db8::1"), LocalPort), destination);
    }

    [Theory]
    [InlineData(new byte[] { 0x78, 0x05 })]
    [InlineData(new byte[] { 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff })]
    [InlineData(new byte[] { 0x70, 0x11, 0x01, 0x00 })]
    [InlineData(new byte[0])]
    public void A_GRO_message_that_is_not_one_int_from_1_to_65535_is_refused(byte[] data)
    {
        byte[] control = Build(Message(SOL_UDP, UDP_GRO, data));
        Assert.Equal(UnderlayDropReasons.GroBadSegmentSize, ControlMessages.Decode(control, LocalPort, out _, out _));
    }

    [Fact]
    public void Unknown_and_short_messages_are_skipped()
    {
        byte[] control = Build(
            Message(SOL_SOCKET, 29, new byte[16]),
            Message(SOL_IP, IP_PKTINFO, new byte[8]),
            Message(SOL_IPV6, IPV6_PKTINFO, new byte[19]));
        Assert.Equal(DropReason.None, ControlMessages.Decode(control, LocalPort, out UdpEndpoint destination, out int gro));
        Assert.True(destination.IsNone);
        Assert.Equal(0, gro);
    }

    [Fact]
    public void An_empty_buffer_and_trailing_bytes_shorter_than_a_header_end_the_walk_cleanly()
    {
        Assert.Equal(DropReason.None, ControlMessages.Decode([], LocalPort, out _, out _));
        byte[] control = [.. Build(Message(SOL_UDP, UDP_GRO, BitConverter.GetBytes(1200))), .. new byte[15]];
        Assert.Equal(DropReason.None, ControlMessages.Decode(control, LocalPort, out _, out int gro));
        Assert.Equal(1200, gro);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(15UL)]
    [InlineData(41UL)]
    [InlineData(0x1_0000_0010UL)]
    [InlineData(ulong.MaxValue)]
    public void A_header_whose_length_is_below_its_size_or_beyond_the_buffer_is_malformed(ulong length)
    {
        byte[] control = new byte[40];
        MemoryMarshal.Write(control, in length);
        MemoryMarshal.Write(control.AsSpan(8), SOL_UDP);
        MemoryMarshal.Write(control.AsSpan(12), UDP_GRO);
        var reader = new ControlMessageReader(control);
        Assert.False(reader.TryNext(out _, out _, out _));
        Assert.True(reader.Malformed);
        Assert.Equal(UnderlayDropReasons.ControlMalformed, ControlMessages.Decode(control, LocalPort, out _, out _));
    }

    [Fact]
    public void A_malformed_second_header_stops_the_walk_after_the_first()
    {
        byte[] first = Message(SOL_UDP, UDP_GRO, BitConverter.GetBytes(1000));
        byte[] control = new byte[first.Length + 24];
        first.CopyTo(control, 0);
        ulong tooLong = 100;
        MemoryMarshal.Write(control.AsSpan(first.Length), in tooLong);
        var reader = new ControlMessageReader(control);
        Assert.True(reader.TryNext(out int level, out int type, out ReadOnlySpan<byte> data));
        Assert.Equal((SOL_UDP, UDP_GRO, 4), (level, type, data.Length));
        Assert.False(reader.TryNext(out _, out _, out _));
        Assert.True(reader.Malformed);
    }

    [Fact]
    public void Messages_are_walked_at_their_aligned_lengths()
    {
        // cmsg_len 18 (a __u16) is followed by 6 bytes of padding: the next header is at 24.
        byte[] control = Build(
            Message(SOL_UDP, UDP_SEGMENT, BitConverter.GetBytes((ushort)1200)),
            Message(SOL_UDP, UDP_GRO, BitConverter.GetBytes(999)));
        Assert.Equal(48, control.Length);
        var reader = new ControlMessageReader(control);
        Assert.True(reader.TryNext(out _, out int type, out ReadOnlySpan<byte> data));
        Assert.Equal((UDP_SEGMENT, 2), (type, data.Length));
        Assert.True(reader.TryNext(out _, out type, out data));
        Assert.Equal((UDP_GRO, 999), (type, MemoryMarshal.Read<int>(data)));
        Assert.False(reader.TryNext(out _, out _, out _));
        Assert.False(reader.Malformed);
    }

    [Fact]
    public void The_segment_size_message_is_exactly_what_the_kernel_requires()
    {
        byte[] control = new byte[64];
        int written = ControlMessages.WriteSegmentSize(control, 1350);
        Assert.Equal(CMSG_SPACE(2), written);
        Assert.Equal((nuint)CMSG_LEN(2), MemoryMarshal.Read<nuint>(control));
        var reader = new ControlMessageReader(control.AsSpan(0, written));
        Assert.True(reader.TryNext(out int level, out int type, out ReadOnlySpan<byte> data));
        Assert.Equal((SOL_UDP, UDP_SEGMENT, (ushort)1350), (level, type, MemoryMarshal.Read<ushort>(data)));
    }

    [Theory]
    [InlineData("192.0.2.5", false, SOL_IP, IP_PKTINFO)]
    [InlineData("192.0.2.5", true, SOL_IPV6, IPV6_PKTINFO)]
    [InlineData("2001:db8::5", true, SOL_IPV6, IPV6_PKTINFO)]
    public void A_source_becomes_the_pktinfo_of_the_sockets_family_and_reads_back(string address, bool ipv6Socket, int level, int type)
    {
        byte[] control = new byte[ControlMessages.SendSpace];
        UdpEndpoint source = Endpoint(address);
        int written = ControlMessages.WriteSource(control, source, ipv6Socket);
        Assert.True(written > 0);
        var reader = new ControlMessageReader(control.AsSpan(0, written));
        Assert.True(reader.TryNext(out int l, out int t, out _));
        Assert.Equal((level, type), (l, t));
        Assert.Equal(DropReason.None, ControlMessages.Decode(control.AsSpan(0, written), LocalPort, out UdpEndpoint decoded, out _));
        Assert.Equal(source, decoded);
    }

    [Fact]
    public void No_source_or_an_IPv6_source_on_an_IPv4_socket_writes_nothing()
    {
        byte[] control = new byte[ControlMessages.SendSpace];
        Assert.Equal(0, ControlMessages.WriteSource(control, UdpEndpoint.None, ipv6Socket: true));
        Assert.Equal(0, ControlMessages.WriteSource(control, Endpoint("2001:db8::1"), ipv6Socket: false));
    }

    [Fact]
    public void Random_and_mutated_control_buffers_never_throw_and_every_message_lies_inside_the_buffer()
    {
        Gen<byte[]> valid =
            from gro in Gen.Choose(-5, 70000)
            from v6 in ArbMap.Default.GeneratorFor<bool>()
            from first in ArbMap.Default.GeneratorFor<bool>()
            let pktinfo = v6 ? Message(SOL_IPV6, IPV6_PKTINFO, PktInfo6("2001:db8::9", 2)) : Message(SOL_IP, IP_PKTINFO, PktInfo4(2, "10.1.1.1", "10.1.1.1"))
            let groMessage = Message(SOL_UDP, UDP_GRO, BitConverter.GetBytes(gro))
            select first ? Build(groMessage, pktinfo) : Build(pktinfo, groMessage);
        Gen<byte[]> mutated =
            from bytes in valid
            from flips in Gen.ArrayOf(Gen.Two(Gen.Choose(0, 80)), 3)
            from cut in Gen.Choose(0, 90)
            select Corrupt(bytes, flips, cut);
        Gen<byte[]> buffers = Gen.OneOf(ArbMap.Default.GeneratorFor<byte[]>(), valid, mutated);
        Prop.ForAll(buffers.ToArbitrary(), control =>
        {
            var reader = new ControlMessageReader(control);
            int messages = 0;
            while (reader.TryNext(out _, out _, out ReadOnlySpan<byte> data))
            {
                messages++;
                if (!data.IsEmpty && (!control.AsSpan().Overlaps(data, out int offset) || offset < 16 || offset + data.Length > control.Length))
                {
                    return false;
                }
            }

            DropReason reason = ControlMessages.Decode(control, LocalPort, out UdpEndpoint destination, out int gro);
            return messages <= (control.Length / 16) + 1
                && (reason.IsNone || reason == UnderlayDropReasons.ControlMalformed || reason == UnderlayDropReasons.GroBadSegmentSize)
                && gro is >= 0 and <= 65535
                && (destination.IsNone || destination.Port == LocalPort);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(5000));
    }

    [Fact]
    public void A_receive_timestamp_beside_pktinfo_gives_the_kernel_receive_time_in_nanoseconds()
    {
        byte[] control = Build(
            Message(SOL_SOCKET, SO_TIMESTAMPNS, Timespec(1_796_000_000, 123_456_789)),
            Message(SOL_IP, IP_PKTINFO, PktInfo4(ifindex: 3, specDst: "10.0.0.3", addr: "10.0.0.3")));
        Assert.Equal(DropReason.None, ControlMessages.Decode(control, LocalPort, out UdpEndpoint destination, out int gro, out long received));
        Assert.Equal(1_796_000_000_123_456_789L, received);
        Assert.Equal(Endpoint("10.0.0.3"), destination);
        Assert.Equal(0, gro);
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(-5L, 0L)]
    [InlineData(1_796_000_000L, 1_000_000_000L)]
    [InlineData(1_796_000_000L, -1L)]
    [InlineData(long.MaxValue, 0L)]
    public void A_receive_timestamp_out_of_range_is_no_measurement_and_no_drop(long seconds, long nanoseconds)
    {
        byte[] control = Build(Message(SOL_SOCKET, SO_TIMESTAMPNS, Timespec(seconds, nanoseconds)));
        Assert.Equal(DropReason.None, ControlMessages.Decode(control, LocalPort, out _, out _, out long received));
        Assert.Equal(0, received);
    }

    [Fact]
    public void A_receive_timestamp_shorter_than_a_timespec_is_ignored()
    {
        byte[] control = Build(Message(SOL_SOCKET, SO_TIMESTAMPNS, new byte[8]));
        Assert.Equal(DropReason.None, ControlMessages.Decode(control, LocalPort, out _, out _, out long received));
        Assert.Equal(0, received);
    }

    [Fact]
    public void Any_control_buffer_gives_a_receive_time_that_is_none_or_a_valid_instant()
    {
        Gen<byte[]> stamps = from seconds in ArbMap.Default.GeneratorFor<long>()
                             from nanoseconds in ArbMap.Default.GeneratorFor<long>()
                             select Build(Message(SOL_SOCKET, SO_TIMESTAMPNS, Timespec(seconds, nanoseconds)));
        Gen<byte[]> buffers = Gen.OneOf(ArbMap.Default.GeneratorFor<byte[]>(), stamps);
        Prop.ForAll(buffers.ToArbitrary(), control =>
        {
            ControlMessages.Decode(control, LocalPort, out _, out _, out long received);
            return received >= 0;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    private static byte[] Timespec(long seconds, long nanoseconds)
    {
        byte[] data = new byte[16];
        MemoryMarshal.Write(data, in seconds);
        MemoryMarshal.Write(data.AsSpan(8), in nanoseconds);
        return data;
    }

    private static UdpEndpoint Endpoint(string address) => UdpEndpoint.Create(IPAddress.Parse(address), LocalPort);

    private static byte[] Corrupt(byte[] bytes, (int Position, int Value)[] flips, int cut)
    {
        byte[] copy = bytes.AsSpan(0, Math.Min(cut, bytes.Length)).ToArray();
        foreach (var (position, value) in flips)
        {
            if (position < copy.Length)
            {
                copy[position] = (byte)value;
            }
        }

        return copy;
    }

    private static byte[] Message(int level, int type, byte[] data)
    {
        byte[] message = new byte[CMSG_SPACE(data.Length)];
        nuint length = (nuint)CMSG_LEN(data.Length);
        MemoryMarshal.Write(message, in length);
        MemoryMarshal.Write(message.AsSpan(8), in level);
        MemoryMarshal.Write(message.AsSpan(12), in type);
        data.CopyTo(message, 16);
        return message;
    }

    private static byte[] Build(params byte[][] messages) => messages.SelectMany(m => m).ToArray();

    private static byte[] PktInfo4(int ifindex, string specDst, string addr)
    {
        byte[] data = new byte[12];
        MemoryMarshal.Write(data, in ifindex);
        IPAddress.Parse(specDst).GetAddressBytes().CopyTo(data, 4);
        IPAddress.Parse(addr).GetAddressBytes().CopyTo(data, 8);
        return data;
    }

    private static byte[] PktInfo6(string address, int ifindex)
    {
        byte[] data = new byte[20];
        IPAddress.Parse(address).GetAddressBytes().CopyTo(data, 0);
        MemoryMarshal.Write(data.AsSpan(16), in ifindex);
        return data;
    }
}
