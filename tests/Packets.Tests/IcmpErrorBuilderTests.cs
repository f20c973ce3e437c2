using System.Buffers.Binary;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

public sealed class IcmpErrorBuilderTests
{
    private static readonly byte[] Router4 = IPAddress.Parse("10.255.0.1").GetAddressBytes();
    private static readonly byte[] Router6 = IPAddress.Parse("fd00:ff::1").GetAddressBytes();

    private static byte[] Udp4(int payload, string src = "10.1.0.1", string dst = "10.2.0.2", ushort fragment = 0)
    {
        var p = new byte[28 + payload];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), fragment);
        p[8] = 1;
        p[9] = 17;
        IPAddress.Parse(src).GetAddressBytes().CopyTo(p, 12);
        IPAddress.Parse(dst).GetAddressBytes().CopyTo(p, 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 33434);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(8 + payload));
        for (int i = 28; i < p.Length; i++)
        {
            p[i] = (byte)i;
        }

        return p;
    }

    private static byte[] Icmp4(byte type, string dst = "10.2.0.2")
    {
        var p = new byte[28];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 28);
        p[8] = 64;
        p[9] = 1;
        IPAddress.Parse("10.1.0.1").GetAddressBytes().CopyTo(p, 12);
        IPAddress.Parse(dst).GetAddressBytes().CopyTo(p, 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, 20)));
        p[20] = type;
        return p;
    }

    private static byte[] Udp6(int payload, string dst = "fd02::2", byte nextHeader = 17, byte firstL4Byte = 0)
    {
        var p = new byte[48 + payload];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(8 + payload));
        p[6] = nextHeader;
        p[7] = 1;
        IPAddress.Parse("fd01::1").GetAddressBytes().CopyTo(p, 8);
        IPAddress.Parse(dst).GetAddressBytes().CopyTo(p, 24);
        p[40] = firstL4Byte;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(44), (ushort)(8 + payload));
        return p;
    }

    [Fact]
    public void An_IPv4_time_exceeded_goes_from_the_router_to_the_original_source_and_quotes_the_original()
    {
        byte[] original = Udp4(100);
        var reply = new byte[IcmpErrorBuilder.MaxIPv4Length];

        Assert.Equal(DropReason.None, IcmpErrorBuilder.Build(original, IcmpError.TimeExceeded, Router4, reply, out int written));

        Assert.Equal(20 + 8 + original.Length, written);
        Assert.Equal(0x45, reply[0]);
        Assert.Equal(written, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(2)));
        Assert.Equal(1, reply[9]);
        Assert.Equal(Router4, reply[12..16]);
        Assert.Equal(original[12..16], reply[16..20]);
        Assert.True(InternetChecksum.Verifies(reply.AsSpan(0, 20)));
        Assert.Equal(11, reply[20]);
        Assert.Equal(0, reply[21]);
        Assert.True(InternetChecksum.Verifies(reply.AsSpan(20, written - 20)));
        Assert.Equal(original, reply[28..written]);
    }

    [Theory]
    [InlineData(IcmpError.NoRoute, 3, 0)]
    [InlineData(IcmpError.AdministrativelyProhibited, 3, 13)]
    [InlineData(IcmpError.PacketTooBig, 3, 4)]
    public void IPv4_errors_have_their_type_and_code(IcmpError error, byte type, byte code)
    {
        var reply = new byte[IcmpErrorBuilder.MaxIPv4Length];
        Assert.Equal(DropReason.None, IcmpErrorBuilder.Build(Udp4(10), error, Router4, reply, out _, mtu: 1400));
        Assert.Equal(type, reply[20]);
        Assert.Equal(code, reply[21]);
        if (error == IcmpError.PacketTooBig)
        {
            Assert.Equal(1400, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(26)));
        }
    }

    [Fact]
    public void A_large_IPv4_original_is_quoted_only_up_to_576_bytes_in_all()
    {
        byte[] original = Udp4(1400);
        Assert.Equal(DropReason.None, IcmpErrorBuilder.Plan(original, out int length));
        Assert.Equal(IcmpErrorBuilder.MaxIPv4Length, length);
        var reply = new byte[length];
        Assert.Equal(DropReason.None, IcmpErrorBuilder.Build(original, IcmpError.NoRoute, Router4, reply, out int written));
        Assert.Equal(576, written);
        Assert.Equal(original[..(576 - 28)], reply[28..]);
        Assert.True(InternetChecksum.Verifies(reply.AsSpan(20)));
    }

    [Fact]
    public void An_IPv6_error_quotes_up_to_1280_bytes_and_has_a_valid_pseudo_header_checksum()
    {
        byte[] original = Udp6(1400);
        var reply = new byte[IcmpErrorBuilder.MaxIPv6Length];

        Assert.Equal(DropReason.None, IcmpErrorBuilder.Build(original, IcmpError.TimeExceeded, Router6, reply, out int written));

        Assert.Equal(1280, written);
        Assert.Equal(0x60, reply[0]);
        Assert.Equal(1280 - 40, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(4)));
        Assert.Equal(58, reply[6]);
        Assert.Equal(Router6, reply[8..24]);
        Assert.Equal(original[8..24], reply[24..40]);
        Assert.Equal(3, reply[40]);
        ushort pseudo = PseudoHeaderChecksum.IPv6(reply.AsSpan(8, 16), reply.AsSpan(24, 16), 58, 1240);
        Assert.True(InternetChecksum.Verifies(reply.AsSpan(40, 1240), pseudo));
        Assert.Equal(original[..(1280 - 48)], reply[48..]);
    }

    [Theory]
    [InlineData((byte)3)]
    [InlineData((byte)4)]
    [InlineData((byte)5)]
    [InlineData((byte)11)]
    [InlineData((byte)12)]
    public void No_error_is_sent_about_an_IPv4_ICMP_error(byte type)
    {
        Assert.Equal(IcmpErrorBuilder.AboutIcmpError, IcmpErrorBuilder.Plan(Icmp4(type), out _));
    }

    [Fact]
    public void Errors_are_sent_about_ICMP_queries_but_not_about_ICMPv6_errors()
    {
        Assert.Equal(DropReason.None, IcmpErrorBuilder.Plan(Icmp4(8), out _));
        Assert.Equal(DropReason.None, IcmpErrorBuilder.Plan(Udp6(8, nextHeader: 58, firstL4Byte: 128), out _));
        Assert.Equal(IcmpErrorBuilder.AboutIcmpError, IcmpErrorBuilder.Plan(Udp6(8, nextHeader: 58, firstL4Byte: 1), out _));
    }

    [Fact]
    public void No_error_is_sent_about_a_non_first_fragment_but_one_is_about_a_first_fragment()
    {
        Assert.Equal(IcmpErrorBuilder.AboutFragment, IcmpErrorBuilder.Plan(Udp4(100, fragment: 185), out _));
        Assert.Equal(DropReason.None, IcmpErrorBuilder.Plan(Udp4(100, fragment: 0x2000), out _));
    }

    [Theory]
    [InlineData("10.1.0.1", "224.0.0.1")]
    [InlineData("10.1.0.1", "255.255.255.255")]
    [InlineData("0.0.0.0", "10.2.0.2")]
    [InlineData("127.0.0.1", "10.2.0.2")]
    [InlineData("239.1.1.1", "10.2.0.2")]
    public void No_error_is_sent_about_IPv4_packets_from_or_to_special_addresses(string src, string dst)
    {
        Assert.Equal(IcmpErrorBuilder.AboutSpecialAddress, IcmpErrorBuilder.Plan(Udp4(10, src, dst), out _));
    }

    [Fact]
    public void No_error_is_sent_about_IPv6_multicast_and_the_source_family_must_match()
    {
        Assert.Equal(IcmpErrorBuilder.AboutSpecialAddress, IcmpErrorBuilder.Plan(Udp6(10, dst: "ff02::1"), out _));
        var reply = new byte[1280];
        Assert.Equal(IcmpErrorBuilder.NoRoom, IcmpErrorBuilder.Build(Udp6(10), IcmpError.NoRoute, Router4, reply, out _));
        Assert.Equal(IcmpErrorBuilder.NoRoom, IcmpErrorBuilder.Build(Udp4(10), IcmpError.NoRoute, Router4, new byte[20], out _));
    }

    [Fact]
    public void Random_and_truncated_input_never_throws_and_a_reply_always_verifies()
    {
        byte[][] seeds = [Udp4(50), Udp6(50), Icmp4(8)];
        Gen<byte[]> gen = Gen.OneOf(
            Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)),
            Gen.Elements(seeds).SelectMany(s => Gen.Choose(0, s.Length).Select(n => s[..n])),
            Gen.Elements(seeds).SelectMany(s => Gen.Choose(0, s.Length - 1).SelectMany(i => Gen.Choose(0, 255).Select(v =>
            {
                byte[] copy = (byte[])s.Clone();
                copy[i] = (byte)v;
                return copy;
            }))));
        Prop.ForAll(gen.ToArbitrary(), original =>
        {
            var reply = new byte[1280];
            bool v6 = original.Length > 0 && (original[0] >> 4) == 6;
            DropReason result = IcmpErrorBuilder.Build(original, IcmpError.NoRoute, v6 ? Router6 : Router4, reply, out int written);
            if (result.IsNone)
            {
                Assert.InRange(written, 28, 1280);
                Assert.Equal(DropReason.None, PacketParser.Parse(reply.AsSpan(0, written), out _));
            }
            else
            {
                Assert.Equal(0, written);
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }
}
