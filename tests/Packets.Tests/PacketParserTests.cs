using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

public class PacketParserTests
{
    [Fact]
    public void Ipv4_tcp_packet_is_laid_out()
    {
        byte[] packet = TestPackets.Tcp(new TestPackets.TcpSpec { Options = [1, 1, 1, 1], Payload = TestPackets.Pattern(100), SourcePort = 1234, DestinationPort = 80 });
        Assert.Equal(DropReason.None, PacketParser.Parse(packet, out PacketLayout layout));
        Assert.Equal(4, layout.IpVersion);
        Assert.Equal(IpProtocol.Tcp, layout.Protocol);
        Assert.Equal(20, layout.TransportOffset);
        Assert.Equal(24, layout.TransportHeaderLength);
        Assert.Equal(44, layout.PayloadOffset);
        Assert.Equal(100, layout.PayloadLength);
        Assert.Equal(packet.Length, layout.PacketLength);
        Assert.Equal(1234, layout.SourcePort);
        Assert.Equal(80, layout.DestinationPort);
        Assert.False(layout.IsFragment);

        Assert.Equal(DropReason.None, Ipv4Header.TryRead(packet, out Ipv4Header ip));
        Assert.True(ip.ChecksumValid);
        Assert.True(ip.DontFragment);
        Assert.Equal(64, ip.TimeToLive);
        Assert.Equal(DropReason.None, TcpHeader.TryRead(packet.AsSpan(20), out TcpHeader tcp));
        Assert.Equal(TcpFlags.Ack, tcp.Flags);
        Assert.Equal(4, tcp.Options.Length);
    }

    [Fact]
    public void Ipv4_options_move_the_transport_header()
    {
        byte[] packet = TestPackets.Tcp(new TestPackets.TcpSpec { Ipv4Options = [1, 1, 1, 0], Payload = [9] });
        Assert.Equal(DropReason.None, PacketParser.Parse(packet, out PacketLayout layout));
        Assert.Equal(24, layout.TransportOffset);
        Assert.Equal(1, layout.PayloadLength);
    }

    [Fact]
    public void Link_padding_after_the_ip_total_length_is_ignored()
    {
        byte[] packet = TestPackets.Udp(false, [1, 2, 3]);
        byte[] padded = [.. packet, 0, 0, 0, 0, 0];
        Assert.Equal(DropReason.None, PacketParser.Parse(padded, out PacketLayout layout));
        Assert.Equal(packet.Length, layout.PacketLength);
        Assert.Equal(3, layout.PayloadLength);
    }

    [Fact]
    public void Ipv6_udp_and_icmp_packets_are_laid_out()
    {
        byte[] udp = TestPackets.Udp(true, TestPackets.Pattern(12), 53, 5353);
        Assert.Equal(DropReason.None, PacketParser.Parse(udp, out PacketLayout layout));
        Assert.True(layout.IsIPv6);
        Assert.Equal(40, layout.TransportOffset);
        Assert.Equal(12, layout.PayloadLength);
        Assert.Equal(53, layout.SourcePort);

        byte[] icmp = TestPackets.Icmp(true, 128, 0, [0, 1, 0, 2]);
        Assert.Equal(DropReason.None, PacketParser.Parse(icmp, out layout));
        Assert.Equal(IpProtocol.IcmpV6, layout.Protocol);
        Assert.Equal(8, layout.TransportHeaderLength);
        Assert.Equal(DropReason.None, IcmpHeader.TryRead(icmp.AsSpan(40), out IcmpHeader header));
        Assert.Equal(128, header.Type);

        byte[] icmp4 = TestPackets.Icmp(false, 8, 0, []);
        Assert.Equal(DropReason.None, PacketParser.Parse(icmp4, out layout));
        Assert.Equal(IpProtocol.Icmp, layout.Protocol);
    }

    [Fact]
    public void Ipv6_extension_chain_is_walked_to_the_upper_layer()
    {
        byte[] tcp = TestPackets.Tcp(new TestPackets.TcpSpec { IPv6 = true, Payload = [1, 2, 3] });
        byte[] packet = WithExtensions(tcp, (IpProtocol.HopByHop, 8), (IpProtocol.DestinationOptions, 16), (IpProtocol.Routing, 24));
        Assert.Equal(DropReason.None, PacketParser.Parse(packet, out PacketLayout layout));
        Assert.Equal(IpProtocol.Tcp, layout.Protocol);
        Assert.Equal(40 + 8 + 16 + 24, layout.TransportOffset);
        Assert.Equal(3, layout.PayloadLength);
    }

    [Fact]
    public void Ipv6_authentication_header_length_is_in_4_byte_units()
    {
        byte[] udp = TestPackets.Udp(true, [5]);
        byte[] packet = WithExtensions(udp, (IpProtocol.AuthenticationHeader, 24));
        Assert.Equal(DropReason.None, PacketParser.Parse(packet, out PacketLayout layout));
        Assert.Equal(64, layout.TransportOffset);
    }

    [Fact]
    public void Ipv6_first_fragment_has_its_transport_header_and_later_fragments_do_not()
    {
        byte[] udp = TestPackets.Udp(true, TestPackets.Pattern(16));
        byte[] first = WithExtensions(udp, (IpProtocol.Fragment, 8));
        first[40 + 3] = 1; // offset 0, M set
        Assert.Equal(DropReason.None, PacketParser.Parse(first, out PacketLayout layout));
        Assert.True(layout.IsFragment);
        Assert.True(layout.MoreFragments);
        Assert.True(layout.HasTransportHeader);

        byte[] later = WithExtensions(udp, (IpProtocol.Fragment, 8));
        BinaryPrimitives.WriteUInt16BigEndian(later.AsSpan(42), 1480); // offset 1480, last
        Assert.Equal(DropReason.None, PacketParser.Parse(later, out layout));
        Assert.True(layout.IsFragment);
        Assert.Equal(1480, layout.FragmentOffset);
        Assert.False(layout.HasTransportHeader);
        Assert.Equal(0, layout.SourcePort);
    }

    [Fact]
    public void Ipv4_later_fragment_has_no_transport_header()
    {
        byte[] packet = TestPackets.Udp(false, TestPackets.Pattern(16), dontFragment: false);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 185); // offset 1480
        Ipv4Header.WriteChecksum(packet);
        Assert.Equal(DropReason.None, PacketParser.Parse(packet, out PacketLayout layout));
        Assert.True(layout.IsFragment);
        Assert.Equal(1480, layout.FragmentOffset);
        Assert.False(layout.HasTransportHeader);
    }

    [Fact]
    public void Ipv4_first_fragment_udp_length_may_exceed_the_fragment()
    {
        byte[] packet = TestPackets.Udp(false, TestPackets.Pattern(16), dontFragment: false);
        packet[6] = 0x20; // MF
        Ipv4Header.WriteChecksum(packet);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), 3000);
        Assert.Equal(DropReason.None, PacketParser.Parse(packet, out PacketLayout layout));
        Assert.True(layout.MoreFragments);
        Assert.Equal(16, layout.PayloadLength);
    }

    public static TheoryData<string, string, string> MalformedPackets()
    {
        var data = new TheoryData<string, string, string>();
        void Add(string name, byte[] packet, DropReason reason) => data.Add(name, Convert.ToHexString(packet), reason.Name);

        byte[] tcp4 = TestPackets.Tcp(new TestPackets.TcpSpec { Payload = TestPackets.Pattern(20) });
        byte[] udp4 = TestPackets.Udp(false, TestPackets.Pattern(20));
        byte[] tcp6 = TestPackets.Tcp(new TestPackets.TcpSpec { IPv6 = true, Payload = TestPackets.Pattern(20) });

        Add("empty", [], PacketDropReasons.Truncated);
        Add("ipv4 shorter than 20", tcp4[..19], PacketDropReasons.Truncated);
        Add("version 5", Mutate(tcp4, p => p[0] = 0x55), PacketDropReasons.BadIpVersion);
        Add("version 0 single byte", [0x00], PacketDropReasons.BadIpVersion);
        Add("ihl 4", Mutate(tcp4, p => p[0] = 0x44), PacketDropReasons.Ipv4BadIhl);
        Add("ihl 0", Mutate(tcp4, p => p[0] = 0x40), PacketDropReasons.Ipv4BadIhl);
        Add("ihl beyond buffer", Mutate(tcp4, p => p[0] = 0x4F)[..40], PacketDropReasons.Ipv4BadIhl);
        Add("total length below header", Mutate(tcp4, p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 19)), PacketDropReasons.Ipv4BadTotalLength);
        Add("total length beyond buffer", tcp4[..^1], PacketDropReasons.Ipv4BadTotalLength);
        Add("fragment past 65535", Mutate(tcp4, p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), 0x1FFF)), PacketDropReasons.Ipv4BadFragment);
        Add("ipv4 header checksum off by one bit", MutateKeepingChecksum(tcp4, p => p[8] ^= 1), PacketDropReasons.Ipv4BadChecksum);
        Add("ipv4 header checksum zero", MutateKeepingChecksum(tcp4, p => { p[10] = 0; p[11] = 0; }), PacketDropReasons.Ipv4BadChecksum);
        Add("loose source route", WithIpv4Options([0x83, 7, 4, 10, 0, 0, 1, 0]), PacketDropReasons.Ipv4SourceRoute);
        Add("strict source route", WithIpv4Options([0x89, 7, 4, 10, 0, 0, 1, 0]), PacketDropReasons.Ipv4SourceRoute);
        Add("source route after no-ops", WithIpv4Options([1, 1, 1, 0x83, 7, 4, 10, 0, 0, 1, 0, 0]), PacketDropReasons.Ipv4SourceRoute);
        Add("option length 1", WithIpv4Options([7, 1, 0, 0]), PacketDropReasons.Ipv4BadOption);
        Add("option length past the header", WithIpv4Options([7, 9, 4, 0]), PacketDropReasons.Ipv4BadOption);
        Add("option without its length byte", WithIpv4Options([1, 1, 1, 7]), PacketDropReasons.Ipv4BadOption);
        Add("tcp truncated", Fit(tcp4, 30), PacketDropReasons.TcpTruncated);
        Add("tcp data offset 4", Mutate(tcp4, p => p[32] = 0x40), PacketDropReasons.TcpBadDataOffset);
        Add("tcp data offset past end", Mutate(Fit(tcp4, 50), p => p[32] = 0xF0), PacketDropReasons.TcpBadDataOffset);
        Add("udp truncated", Fit(udp4, 26), PacketDropReasons.UdpTruncated);
        Add("udp length 7", Mutate(udp4, p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), 7)), PacketDropReasons.UdpBadLength);
        Add("udp length past end", Mutate(udp4, p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), 29)), PacketDropReasons.UdpBadLength);
        Add("icmp truncated", Fit(TestPackets.Icmp(false, 8, 0, []), 27), PacketDropReasons.IcmpTruncated);
        Add("ipv6 shorter than 40", tcp6[..39], PacketDropReasons.Truncated);
        Add("ipv6 payload length beyond buffer", tcp6[..^1], PacketDropReasons.Ipv6BadPayloadLength);
        Add("ipv6 jumbogram", Mutate(tcp6, p => { p[4] = 0; p[5] = 0; p[6] = IpProtocol.HopByHop; }), PacketDropReasons.Ipv6BadExtensionHeader);

        byte[] udp6 = TestPackets.Udp(true, TestPackets.Pattern(8));
        Add("extension header past end", Mutate(WithExtensions(udp6, (IpProtocol.DestinationOptions, 8)), p => p[41] = 10), PacketDropReasons.Ipv6BadExtensionHeader);
        Add("extension header cut to one byte", Fit(Mutate(udp6, p => p[6] = IpProtocol.Routing), 41), PacketDropReasons.Ipv6BadExtensionHeader);
        Add("hop-by-hop not first", WithExtensions(udp6, (IpProtocol.DestinationOptions, 8), (IpProtocol.HopByHop, 8)), PacketDropReasons.Ipv6BadExtensionHeader);
        Add("two fragment headers", WithExtensions(udp6, (IpProtocol.Fragment, 8), (IpProtocol.Fragment, 8)), PacketDropReasons.Ipv6BadExtensionHeader);
        Add("nine extension headers", WithExtensions(udp6, Enumerable.Repeat((IpProtocol.DestinationOptions, 8), 9).ToArray()), PacketDropReasons.Ipv6TooManyExtensionHeaders);
        Add("fragment past 65535", Mutate(WithExtensions(udp6, (IpProtocol.Fragment, 8)), p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(42), 0xFFF8)), PacketDropReasons.Ipv6BadFragment);
        Add("non-final fragment not a multiple of 8", Mutate(WithExtensions(TestPackets.Udp(true, TestPackets.Pattern(9)), (IpProtocol.Fragment, 8)), p => p[43] = 1), PacketDropReasons.Ipv6BadFragment);
        Add("ipv6 tcp truncated", Fit(tcp6, 50), PacketDropReasons.TcpTruncated);
        Add("type-0 routing header", Mutate(WithExtensions(udp6, (IpProtocol.Routing, 24)), p => p[42] = 0), PacketDropReasons.Ipv6RoutingType0);
        Add("type-0 routing header after hop-by-hop", Mutate(WithExtensions(udp6, (IpProtocol.HopByHop, 8), (IpProtocol.Routing, 24)), p => p[50] = 0), PacketDropReasons.Ipv6RoutingType0);
        Add("type-0 routing header with no segments left", Mutate(WithExtensions(udp6, (IpProtocol.Routing, 8)), p => { p[42] = 0; p[43] = 0; }), PacketDropReasons.Ipv6RoutingType0);
        return data;
    }

    [Theory]
    [MemberData(nameof(MalformedPackets))]
    public void Malformed_packet_is_refused_with_its_reason(string name, string hex, string reason)
    {
        byte[] packet = Convert.FromHexString(hex);
        DropReason actual = PacketParser.Parse(packet, out PacketLayout layout);
        Assert.True(reason == actual.Name, $"{name}: expected {reason}, got {actual.Name}");
        Assert.Equal(default(PacketLayout).IpVersion, layout.IpVersion);
    }

    [Fact]
    public void Ipv4_options_that_do_not_route_pass()
    {
        // Record route (7), timestamp (68) and router alert (148) are not source routes; end-of-list stops the walk.
        byte[] packet = WithIpv4Options([7, 7, 4, 0, 0, 0, 0, 68, 8, 5, 0, 0, 0, 0, 0, 148, 4, 0, 0, 0, 0x83, 0, 0, 0]);
        Assert.Equal(DropReason.None, PacketParser.Parse(packet, out PacketLayout layout));
        Assert.Equal(44, layout.TransportOffset);
    }

    [Fact]
    public void Ipv6_routing_headers_other_than_type_0_pass()
    {
        byte[] udp6 = TestPackets.Udp(true, TestPackets.Pattern(8));
        byte[] segmentRouting = WithExtensions(udp6, (IpProtocol.Routing, 24));
        byte[] mobile = Mutate(WithExtensions(udp6, (IpProtocol.Routing, 24)), p => p[42] = 2);
        Assert.Equal(DropReason.None, PacketParser.Parse(segmentRouting, out _));
        Assert.Equal(DropReason.None, PacketParser.Parse(mobile, out _));
    }

    [Fact]
    public void Source_routes_type_0_routing_headers_and_bad_checksums_are_refused_whatever_surrounds_them()
    {
        // Each generated header is judged against a model of the three rules; every other option or extension
        // header is left to pass.
        Gen<(byte[] Packet, string Expected)> ipv4 =
            from options in Gen.ListOf(Gen.Elements<byte[]>(
                [1], [7, 7, 4, 0, 0, 0, 0], [68, 4, 5, 0], [148, 4, 0, 0], [130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                [0x83, 7, 4, 10, 0, 0, 1], [0x89, 3, 4]))
            from end in ArbMap.Default.GeneratorFor<bool>()
            from corrupt in Gen.Frequency((3, Gen.Constant(-1)), (1, Gen.Choose(4, 19)))
            let bytes = Options(options, end)
            where bytes is not null
            select Ipv4Case(bytes, corrupt);
        Gen<(byte[] Packet, string Expected)> ipv6 =
            from chain in Gen.ListOf(Gen.Elements(IpProtocol.HopByHop, IpProtocol.DestinationOptions, IpProtocol.Routing))
            from routingType in Gen.Elements<byte>(0, 2, 3, 4, 253)
            where chain.Count <= 8
            select Ipv6Case(chain, routingType);
        Prop.ForAll(Gen.OneOf(ipv4, ipv6).ToArbitrary(), c =>
        {
            DropReason reason = PacketParser.Parse(c.Packet, out _);
            return (reason.IsNone ? "none" : reason.Name) == c.Expected;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void Every_truncation_of_valid_packets_is_refused_or_parsed_in_bounds()
    {
        byte[][] packets =
        [
            TestPackets.Tcp(new TestPackets.TcpSpec { Options = [1, 1, 1, 1, 1, 1, 1, 1], Payload = TestPackets.Pattern(30) }),
            TestPackets.Tcp(new TestPackets.TcpSpec { IPv6 = true, Payload = TestPackets.Pattern(30) }),
            WithExtensions(TestPackets.Udp(true, TestPackets.Pattern(10)), (IpProtocol.HopByHop, 8), (IpProtocol.Fragment, 8), (IpProtocol.DestinationOptions, 16)),
            TestPackets.Icmp(false, 3, 1, TestPackets.Pattern(28)),
        ];
        foreach (byte[] packet in packets)
        {
            for (int length = 0; length < packet.Length; length++)
            {
                DropReason reason = PacketParser.Parse(packet.AsSpan(0, length), out PacketLayout layout);
                Assert.False(reason.IsNone, $"a {length}-byte truncation of a {packet.Length}-byte packet parsed");
            }
        }
    }

    [Fact]
    public void Random_bytes_never_throw_and_layouts_stay_in_bounds()
    {
        Gen<byte[]> gen = Gen.OneOf(
            ArbMap.Default.GeneratorFor<byte[]>(),
            MutatedValidPackets());
        Prop.ForAll(gen.ToArbitrary(), bytes =>
        {
            DropReason reason = PacketParser.Parse(bytes, out PacketLayout layout);
            if (!reason.IsNone)
            {
                return reason.Name.StartsWith("packet.", StringComparison.Ordinal);
            }

            return layout.PacketLength <= bytes.Length
                && layout.TransportOffset <= layout.PacketLength
                && layout.PayloadOffset + layout.PayloadLength <= layout.PacketLength;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }

    private static byte[] WithIpv4Options(byte[] options) =>
        TestPackets.Tcp(new TestPackets.TcpSpec { Ipv4Options = options, Payload = TestPackets.Pattern(12) });

    // Concatenates options (end-of-list after them when asked) padded to 4 bytes; null past IPv4's 40 bytes.
    private static byte[]? Options(IList<byte[]> options, bool endOfList)
    {
        var bytes = new List<byte>();
        foreach (byte[] option in options)
        {
            bytes.AddRange(option);
        }

        if (endOfList)
        {
            bytes.Add(0);
        }

        while (bytes.Count % 4 != 0)
        {
            bytes.Add(0);
        }

        return bytes.Count <= 40 ? [.. bytes] : null;
    }

    private static (byte[] Packet, string Expected) Ipv4Case(byte[] options, int corruptAt)
    {
        byte[] packet = WithIpv4Options(options);
        bool sourceRoute = false;
        for (int i = 0; i < options.Length && options[i] != 0;)
        {
            if (options[i] == 1)
            {
                i++;
                continue;
            }

            sourceRoute |= options[i] is 0x83 or 0x89;
            i += options[i + 1];
        }

        if (corruptAt >= 0)
        {
            // Past the version, length and total length, any flipped bit can only show in the checksum.
            packet[corruptAt] ^= 0x10;
            return (packet, "packet.ipv4.bad_checksum");
        }

        return (packet, sourceRoute ? "packet.ipv4.source_route" : "none");
    }

    private static (byte[] Packet, string Expected) Ipv6Case(List<byte> chain, byte routingType)
    {
        byte[] packet = WithExtensions(TestPackets.Udp(true, TestPackets.Pattern(8)), [.. chain.Select((t, i) => (t, 8 * (i % 3 + 1)))]);
        bool type0 = false;
        int at = 40;
        for (int i = 0; i < chain.Count; i++)
        {
            if (chain[i] == IpProtocol.Routing)
            {
                packet[at + 2] = routingType;
                type0 |= routingType == 0;
            }

            at += 8 * (i % 3 + 1);
        }

        // Hop-by-hop anywhere but first is malformed, and the parser stops at the first problem it meets.
        for (int i = 0; i < chain.Count; i++)
        {
            if (chain[i] == IpProtocol.HopByHop && i != 0)
            {
                int firstType0 = chain.FindIndex(t => t == IpProtocol.Routing && routingType == 0);
                return (packet, firstType0 >= 0 && firstType0 < i ? "packet.ipv6.routing_type0" : "packet.ipv6.bad_extension_header");
            }
        }

        return (packet, type0 ? "packet.ipv6.routing_type0" : "none");
    }

    internal static Gen<byte[]> MutatedValidPackets() =>
        from ipv6 in ArbMap.Default.GeneratorFor<bool>()
        from kind in Gen.Choose(0, 3)
        from payload in Gen.Choose(0, 200)
        from flips in Gen.ArrayOf(Gen.Two(Gen.Choose(0, 300)), 3)
        from cut in Gen.Choose(0, 400)
        select Corrupt(kind switch
        {
            0 => TestPackets.Tcp(new TestPackets.TcpSpec { IPv6 = ipv6, Payload = TestPackets.Pattern(payload) }),
            1 => TestPackets.Udp(ipv6, TestPackets.Pattern(payload)),
            2 => WithExtensions(TestPackets.Udp(true, TestPackets.Pattern(payload)), (IpProtocol.HopByHop, 8), (IpProtocol.Fragment, 8)),
            _ => TestPackets.Icmp(ipv6, 3, 0, TestPackets.Pattern(payload)),
        }, flips, cut);

    private static byte[] Corrupt(byte[] packet, (int, int)[] flips, int cut)
    {
        foreach ((int at, int value) in flips)
        {
            if (at < packet.Length)
            {
                packet[at] = (byte)value;
            }
        }

        return packet[..Math.Min(cut, packet.Length)];
    }

    /// <summary>Inserts IPv6 extension headers (type, total length) between the fixed header and the upper layer.</summary>
    internal static byte[] WithExtensions(byte[] ipv6Packet, params (byte Type, int Length)[] extensions)
    {
        int extra = 0;
        foreach ((_, int length) in extensions)
        {
            extra += length;
        }

        byte upper = ipv6Packet[6];
        byte[] result = new byte[ipv6Packet.Length + extra];
        ipv6Packet.AsSpan(0, 40).CopyTo(result);
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(4), (ushort)(ipv6Packet.Length - 40 + extra));
        result[6] = extensions.Length > 0 ? extensions[0].Type : upper;
        int at = 40;
        for (int i = 0; i < extensions.Length; i++)
        {
            (byte type, int length) = extensions[i];
            result[at] = i + 1 < extensions.Length ? extensions[i + 1].Type : upper;
            result[at + 1] = type switch
            {
                IpProtocol.Fragment => 0,
                IpProtocol.AuthenticationHeader => (byte)((length / 4) - 2),
                _ => (byte)((length / 8) - 1),
            };
            if (type == IpProtocol.Routing)
            {
                result[at + 2] = 4; // a segment routing header (RFC 8754); type 0 is refused (RFC 5095)
            }

            at += length;
        }

        ipv6Packet.AsSpan(40).CopyTo(result.AsSpan(at));
        return result;
    }

    // Changes a copy; an IPv4 header whose length still fits gets its checksum recomputed, so the change itself is
    // what the parser sees (MutateKeepingChecksum leaves the old checksum in place).
    private static byte[] Mutate(byte[] packet, Action<byte[]> change)
    {
        byte[] copy = MutateKeepingChecksum(packet, change);
        return Rechecksum(copy);
    }

    private static byte[] MutateKeepingChecksum(byte[] packet, Action<byte[]> change)
    {
        byte[] copy = (byte[])packet.Clone();
        change(copy);
        return copy;
    }

    private static byte[] Rechecksum(byte[] packet)
    {
        if (packet.Length >= 20 && packet[0] >> 4 == 4 && (packet[0] & 0xF) * 4 is int ihl && ihl >= 20 && ihl <= packet.Length)
        {
            packet[10] = 0;
            packet[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), (ushort)~InternetChecksum.SumScalar(packet.AsSpan(0, ihl)));
        }

        return packet;
    }

    // Cuts a packet to length bytes and makes its IP length say so, so the cut shows up at the layer beyond IP.
    private static byte[] Fit(byte[] packet, int length)
    {
        byte[] copy = packet[..length];
        if (copy[0] >> 4 == 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(2), (ushort)length);
            Rechecksum(copy);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(4), (ushort)(length - 40));
        }

        return copy;
    }
}
