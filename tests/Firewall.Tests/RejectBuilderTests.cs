using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Packets;
using static RouterHost.Firewall.Tests.TestPackets;

namespace RouterHost.Firewall.Tests;

public class RejectBuilderTests
{
    private static (RejectResult Result, byte[] Reply) Build(byte[] original)
    {
        byte[] buffer = new byte[RejectBuilder.MaxReplyLength];
        buffer.AsSpan().Fill(0xEE);
        RejectResult result = RejectBuilder.Build(original, buffer, out int written);
        Assert.Equal(RejectBuilder.Plan(original, out int planned), result);
        Assert.Equal(planned, written);
        return (result, buffer[..written]);
    }

    private static void AssertChecksums(byte[] reply, byte protocol)
    {
        bool v6 = reply[0] >> 4 == 6;
        int header = v6 ? 40 : 20;
        if (!v6)
        {
            Assert.True(InternetChecksum.Verifies(reply.AsSpan(0, 20)));
        }

        ushort pseudo = protocol == IpProtocol.Icmp ? (ushort)0 : PseudoHeaderChecksum.ForPacket(reply, protocol, reply.Length - header);
        Assert.True(InternetChecksum.Verifies(reply.AsSpan(header), pseudo));
        Assert.True(PacketParser.Parse(reply, out PacketLayout layout).IsNone);
        Assert.Equal(reply.Length, layout.PacketLength);
        Assert.Equal(protocol, layout.Protocol);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rst_for_a_segment_with_ack_uses_its_ack_as_seq_and_no_ack_flag(bool v6)
    {
        byte[] original = Tcp(v6 ? V6A : V4A, v6 ? V6B : V4B, 40000, 22, TcpFlags.Ack | TcpFlags.Psh, seq: 111, ack: 0xDEADBEEF, payload: 100);
        (RejectResult result, byte[] reply) = Build(original);
        Assert.Equal(RejectResult.TcpReset, result);
        int h = v6 ? 40 : 20;
        Assert.Equal(h + 20, reply.Length);
        AssertChecksums(reply, IpProtocol.Tcp);
        Assert.Equal(22, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(h)));
        Assert.Equal(40000, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(h + 2)));
        Assert.Equal(0xDEADBEEFu, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(h + 4)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(h + 8)));
        Assert.Equal((byte)TcpFlags.Rst, reply[h + 13]);
        Assert.Equal(0x50, reply[h + 12]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(h + 14)));
        // Addresses swapped: from the original destination back to its source.
        int a = v6 ? 8 : 12;
        int len = v6 ? 16 : 4;
        Assert.Equal(original.AsSpan(a + len, len).ToArray(), reply.AsSpan(a, len).ToArray());
        Assert.Equal(original.AsSpan(a, len).ToArray(), reply.AsSpan(a + len, len).ToArray());
    }

    [Theory]
    [InlineData(TcpFlags.Syn, 0, 1001u)]
    [InlineData(TcpFlags.None, 10, 1010u)]
    [InlineData(TcpFlags.Fin, 5, 1006u)]
    [InlineData(TcpFlags.Syn | TcpFlags.Fin, 3, 1005u)]
    [InlineData(TcpFlags.Psh, 0, 1000u)]
    public void Rst_for_a_segment_without_ack_is_rst_ack_with_seq_0_and_ack_past_the_segment(TcpFlags flags, int payload, uint expectedAck)
    {
        foreach (bool v6 in new[] { false, true })
        {
            byte[] original = Tcp(v6 ? V6A : V4A, v6 ? V6B : V4B, 40000, 22, flags, seq: 1000, payload: payload);
            (RejectResult result, byte[] reply) = Build(original);
            Assert.Equal(RejectResult.TcpReset, result);
            int h = v6 ? 40 : 20;
            AssertChecksums(reply, IpProtocol.Tcp);
            Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(h + 4)));
            Assert.Equal(expectedAck, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(h + 8)));
            Assert.Equal((byte)(TcpFlags.Rst | TcpFlags.Ack), reply[h + 13]);
        }
    }

    [Fact]
    public void Rst_ack_wraps_the_sequence_space()
    {
        (_, byte[] reply) = Build(Tcp(V4A, V4B, 1, 2, TcpFlags.Syn, seq: uint.MaxValue));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(28)));
    }

    [Theory]
    [InlineData(10, 66)]
    [InlineData(520, 576)]
    [InlineData(1400, 576)]
    public void Icmpv4_unreachable_quotes_the_original_within_576_bytes(int payload, int expectedLength)
    {
        byte[] original = Udp(V4A, V4B, 5000, 53, payload);
        (RejectResult result, byte[] reply) = Build(original);
        Assert.Equal(RejectResult.IcmpUnreachable, result);
        Assert.Equal(expectedLength, reply.Length);
        AssertChecksums(reply, IpProtocol.Icmp);
        Assert.Equal((3, 13), (reply[20], reply[21]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(24)));
        Assert.Equal(original.AsSpan(0, reply.Length - 28).ToArray(), reply.AsSpan(28).ToArray());
        Assert.Equal(V4B, reply.AsSpan(12, 4).ToArray());
        Assert.Equal(V4A, reply.AsSpan(16, 4).ToArray());
        Assert.Equal(RejectBuilder.HopLimit, reply[8]);
    }

    [Theory]
    [InlineData(10, 106)]
    [InlineData(1184, 1280)]
    [InlineData(1400, 1280)]
    public void Icmpv6_unreachable_quotes_the_original_within_1280_bytes(int payload, int expectedLength)
    {
        byte[] original = Udp(V6A, V6B, 5000, 53, payload);
        (RejectResult result, byte[] reply) = Build(original);
        Assert.Equal(RejectResult.IcmpUnreachable, result);
        Assert.Equal(expectedLength, reply.Length);
        AssertChecksums(reply, IpProtocol.IcmpV6);
        Assert.Equal((1, 1), (reply[40], reply[41]));
        Assert.Equal(original.AsSpan(0, reply.Length - 48).ToArray(), reply.AsSpan(48).ToArray());
        Assert.Equal(V6B, reply.AsSpan(8, 16).ToArray());
        Assert.Equal(V6A, reply.AsSpan(24, 16).ToArray());
    }

    [Fact]
    public void Echo_requests_and_other_protocols_get_an_icmp_error()
    {
        Assert.Equal(RejectResult.IcmpUnreachable, Build(Icmp(V4A, V4B, 8)).Result);
        Assert.Equal(RejectResult.IcmpUnreachable, Build(Icmp(V6A, V6B, 128)).Result);
        Assert.Equal(RejectResult.IcmpUnreachable, Build(Ip(V4A, V4B, 47, new byte[30])).Result);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(11)]
    [InlineData(12)]
    public void Icmpv4_errors_are_never_answered(byte type) =>
        Assert.Equal(RejectResult.IcmpError, Build(Icmp(V4A, V4B, type)).Result);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(127)]
    public void Icmpv6_errors_are_never_answered(byte type) =>
        Assert.Equal(RejectResult.IcmpError, Build(Icmp(V6A, V6B, type)).Result);

    [Fact]
    public void Resets_are_never_answered() =>
        Assert.Equal(RejectResult.OriginalIsReset, Build(Tcp(V4A, V4B, 1, 2, TcpFlags.Rst | TcpFlags.Ack)).Result);

    [Fact]
    public void Later_fragments_are_never_answered()
    {
        byte[] fragment = Udp(V4A, V4B, 1, 2, 40);
        BinaryPrimitives.WriteUInt16BigEndian(fragment.AsSpan(6), 185); // offset 1480
        Ipv4Header.WriteChecksum(fragment.AsSpan(0, 20));
        Assert.Equal(RejectResult.LaterFragment, Build(fragment).Result);

        byte[] first = Tcp(V4A, V4B, 1, 2, TcpFlags.Syn, payload: 16);
        BinaryPrimitives.WriteUInt16BigEndian(first.AsSpan(6), Ipv4Header.MoreFragmentsFlag);
        Ipv4Header.WriteChecksum(first.AsSpan(0, 20));
        Assert.Equal(RejectResult.TcpReset, Build(first).Result);
    }

    [Theory]
    [InlineData(new byte[] { 255, 255, 255, 255 }, false)]
    [InlineData(new byte[] { 224, 0, 0, 251 }, false)]
    [InlineData(new byte[] { 239, 1, 2, 3 }, true)]
    [InlineData(new byte[] { 0, 0, 0, 0 }, true)]
    public void Broadcast_multicast_and_unspecified_addresses_are_never_answered(byte[] address, bool asSource)
    {
        byte[] packet = asSource ? Udp(address, V4B, 1, 2) : Udp(V4A, address, 1, 2);
        Assert.Equal(RejectResult.NotUnicast, Build(packet).Result);
        byte[] tcp = asSource ? Tcp(address, V4B, 1, 2, TcpFlags.Syn) : Tcp(V4A, address, 1, 2, TcpFlags.Syn);
        Assert.Equal(RejectResult.NotUnicast, Build(tcp).Result);
    }

    [Fact]
    public void Ipv6_multicast_and_unspecified_sources_are_never_answered()
    {
        byte[] multicast = [0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        Assert.Equal(RejectResult.NotUnicast, Build(Udp(V6A, multicast, 1, 2)).Result);
        Assert.Equal(RejectResult.NotUnicast, Build(Udp(multicast, V6B, 1, 2)).Result);
        Assert.Equal(RejectResult.NotUnicast, Build(Udp(new byte[16], V6B, 1, 2)).Result);
    }

    [Fact]
    public void A_short_destination_is_reported_not_overrun()
    {
        byte[] small = new byte[30];
        Assert.Equal(RejectResult.DestinationTooSmall, RejectBuilder.Build(Udp(V4A, V4B, 1, 2, 100), small, out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Random_and_truncated_bytes_never_throw_and_replies_always_parse()
    {
        byte[] seed = Tcp(V4A, V4B, 1, 2, TcpFlags.Syn, payload: 20);
        Gen<byte[]> mutated = Gen.Choose(0, seed.Length).SelectMany(cut =>
            Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), cut).Select(noise =>
            {
                byte[] bytes = seed[..cut];
                for (int i = 0; i < noise.Length; i += 7)
                {
                    bytes[i] = noise[i];
                }

                return bytes;
            }));
        Gen<byte[]> random = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b));
        byte[] buffer = new byte[RejectBuilder.MaxReplyLength];
        Prop.ForAll(Gen.OneOf(mutated, random).ToArbitrary(), bytes =>
        {
            RejectResult result = RejectBuilder.Build(bytes, buffer, out int written);
            return !result.IsReply() || PacketParser.Parse(buffer.AsSpan(0, written), out _).IsNone;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(5000));
    }

    [Fact]
    public void Building_allocates_nothing()
    {
        byte[] tcp = Tcp(V4A, V4B, 1, 2, TcpFlags.Syn);
        byte[] udp = Udp(V6A, V6B, 1, 2, 1400);
        byte[] buffer = new byte[RejectBuilder.MaxReplyLength];
        RejectBuilder.Build(tcp, buffer, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            RejectBuilder.Build(tcp, buffer, out _);
            RejectBuilder.Build(udp, buffer, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
