using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

public class IpPacketTests
{
    [Fact]
    public void Ipv4_tcp_view_reads_addresses_hop_limit_and_ports()
    {
        byte[] bytes = TestPackets.Tcp(new TestPackets.TcpSpec { SourcePort = 1234, DestinationPort = 80, Ttl = 9, Flags = TcpFlags.Syn });
        Assert.Equal(DropReason.None, IpPacket.TryParse(bytes, out IpPacket packet));
        Assert.False(packet.IsIPv6);
        Assert.Equal(IpProtocol.Tcp, packet.Protocol);
        Assert.Equal(TestPackets.SourceV4, packet.Source.ToArray());
        Assert.Equal(TestPackets.DestinationV4, packet.Destination.ToArray());
        Assert.Equal(9, packet.HopLimit);
        Assert.True(packet.DontFragment);
        Assert.True(packet.TryGetTcp(out TcpHeader tcp));
        Assert.Equal(1234, tcp.SourcePort);
        Assert.Equal(TcpFlags.Syn, tcp.Flags);
        Assert.False(packet.TryGetUdp(out _));
        Assert.False(packet.TryGetIcmp(out _));
        Assert.Equal(0xC000_0201u, IpPacket.ToNumber(packet.Source));
    }

    [Fact]
    public void Ipv6_icmp_view_reads_the_icmpv6_header()
    {
        byte[] bytes = TestPackets.Icmp(true, 128, 0, TestPackets.Pattern(16));
        Assert.Equal(DropReason.None, IpPacket.TryParse(bytes, out IpPacket packet));
        Assert.True(packet.IsIPv6);
        Assert.Equal(TestPackets.SourceV6, packet.Source.ToArray());
        Assert.Equal(TestPackets.DestinationV6, packet.Destination.ToArray());
        Assert.False(packet.DontFragment);
        Assert.True(packet.TryGetIcmp(out IcmpHeader icmp));
        Assert.Equal(128, icmp.Type);
    }

    [Fact]
    public void Link_padding_is_not_part_of_the_packet()
    {
        byte[] bytes = [.. TestPackets.Udp(false, TestPackets.Pattern(4)), 0, 0, 0];
        Assert.Equal(DropReason.None, IpPacket.TryParse(bytes, out IpPacket packet));
        Assert.Equal(bytes.Length - 3, packet.Bytes.Length);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x45, 0, 0 })]
    [InlineData(new byte[] { 0x60, 0, 0, 0, 0, 0, 17, 64, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 })]
    [InlineData(new byte[] { 0x55, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 })]
    public void Unparsed_addresses_of_short_or_unknown_packets_are_empty(byte[] bytes)
    {
        Assert.True(IpPacket.SourceOf(bytes).IsEmpty);
        Assert.True(IpPacket.DestinationOf(bytes).IsEmpty);
        Assert.False(IpPacket.TryParse(bytes, out _).IsNone);
    }

    [Fact]
    public void Random_bytes_never_throw_and_the_view_agrees_with_the_header_types()
    {
        Gen<byte[]> gen = Gen.OneOf(ArbMap.Default.GeneratorFor<byte[]>(), PacketParserTests.MutatedValidPackets());
        Prop.ForAll(gen.ToArbitrary(), bytes =>
        {
            ReadOnlySpan<byte> source = IpPacket.SourceOf(bytes);
            ReadOnlySpan<byte> destination = IpPacket.DestinationOf(bytes);
            DropReason reason = IpPacket.TryParse(bytes, out IpPacket packet);
            if (!reason.IsNone)
            {
                return reason == PacketParser.Parse(bytes, out _);
            }

            PacketParser.Parse(bytes, out PacketLayout layout);
            bool agrees = packet.Layout.PacketLength == layout.PacketLength
                && packet.Layout.TransportOffset == layout.TransportOffset
                && packet.Bytes.Length == layout.PacketLength
                && source.SequenceEqual(packet.Source)
                && destination.SequenceEqual(packet.Destination);
            if (packet.IsIPv6)
            {
                agrees &= Ipv6Header.TryRead(bytes, out Ipv6Header v6).IsNone
                    && v6.Source.SequenceEqual(packet.Source)
                    && v6.Destination.SequenceEqual(packet.Destination)
                    && v6.HopLimit == packet.HopLimit
                    && !packet.DontFragment;
            }
            else
            {
                agrees &= Ipv4Header.TryRead(bytes, out Ipv4Header v4).IsNone
                    && v4.Source.SequenceEqual(packet.Source)
                    && v4.Destination.SequenceEqual(packet.Destination)
                    && v4.TimeToLive == packet.HopLimit
                    && v4.Protocol == packet.Protocol
                    && v4.DontFragment == packet.DontFragment;
            }

            ReadOnlySpan<byte> transport = packet.Transport;
            if (packet.TryGetTcp(out TcpHeader tcp))
            {
                agrees &= layout.HasTransportHeader && tcp.HeaderLength == layout.TransportHeaderLength
                    && tcp.SourcePort == layout.SourcePort && tcp.DestinationPort == layout.DestinationPort
                    && TcpHeader.TryRead(transport, out TcpHeader again).IsNone && again.Flags == tcp.Flags;
            }
            else if (packet.TryGetUdp(out UdpHeader udp))
            {
                agrees &= layout.HasTransportHeader && udp.SourcePort == layout.SourcePort && udp.DestinationPort == layout.DestinationPort;
            }
            else if (packet.TryGetIcmp(out IcmpHeader icmp))
            {
                agrees &= layout.HasTransportHeader && IcmpHeader.TryRead(transport, out IcmpHeader again).IsNone && again.Type == icmp.Type;
            }
            else
            {
                agrees &= !layout.HasTransportHeader;
            }

            return agrees;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }
}
