using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Packets;
using static RouterHost.Samples.AfPacket.Interop.PacketSocketAbi;

namespace RouterHost.Samples.AfPacket.Tests;

public sealed class NeighbourDiscoveryTests
{
    private static readonly UInt128 Router = Address("fd01::1");
    private static readonly UInt128 Host = Address("fd01::2");

    [Fact]
    public void A_written_solicitation_goes_to_the_solicited_node_group_and_parses_back()
    {
        var frame = new byte[NeighbourDiscovery.SolicitationFrameLength];
        NeighbourDiscovery.WriteSolicitation(frame, Frames.RouterMac, Router, Host);

        Assert.Equal(0x3333_FF00_0002UL, Ethernet.ReadMac(frame));
        Assert.Equal(Address("ff02::1:ff00:2"), BinaryPrimitives.ReadUInt128BigEndian(frame.AsSpan(14 + 24)));
        Assert.True(NeighbourDiscovery.TryParse(frame.AsSpan(14), out NdMessage message));
        Assert.Equal(new NdMessage(NeighbourDiscovery.Solicitation, Router, Address("ff02::1:ff00:2"), Host, Frames.RouterMac), message);
    }

    [Fact]
    public void An_advertisement_teaches_its_target_and_link_address()
    {
        Assert.True(NeighbourDiscovery.TryParse(Advertisement(Host, Router, Host, Frames.HostMac), out NdMessage message));
        Assert.Equal(NeighbourDiscovery.Advertisement, message.Type);
        Assert.Equal(Host, message.Target);
        Assert.Equal(Router, message.Destination);
        Assert.Equal(Frames.HostMac, message.LinkAddress);
    }

    [Fact]
    public void The_classifier_hands_solicitations_and_advertisements_over_whatever_their_packet_type()
    {
        var frame = new byte[NeighbourDiscovery.SolicitationFrameLength];
        NeighbourDiscovery.WriteSolicitation(frame, Frames.HostMac, Host, Router);
        byte[] advertisement = Frames.Frame(Ethernet.TypeIPv6, Advertisement(Host, Router, Host, Frames.HostMac));
        var local = new LocalAddresses([], [Router]);

        Assert.Equal(FrameKind.NeighbourDiscovery, FrameClassifier.Classify(frame, [], PACKET_MULTICAST, TP_STATUS_USER, 1500, local, out int length, out _, out _));
        Assert.Equal(72, length);
        Assert.Equal(FrameKind.NeighbourDiscovery, FrameClassifier.Classify(advertisement, [], PACKET_HOST, TP_STATUS_USER, 1500, local, out _, out _, out _));
    }

    public static TheoryData<string> Corruptions() => ["hop limit", "code", "checksum", "zero option length", "option past the end", "long link option", "group link address", "truncated", "DAD with link option"];

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Malformed_messages_are_refused(string corruption)
    {
        byte[] ip = Advertisement(Host, Router, Host, Frames.HostMac);
        switch (corruption)
        {
            case "hop limit": ip[7] = 254; break;
            case "code": ip[41] = 1; Fix(ip); break;
            case "checksum": ip[42] ^= 1; break;
            case "zero option length": ip[65] = 0; Fix(ip); break;
            case "option past the end": ip[65] = 2; Fix(ip); break;
            case "long link option": ip = Resize(ip, 8, 2); break;
            case "group link address": ip[66] |= 1; Fix(ip); break;
            case "truncated": ip = ip[..60]; break;
            case "DAD with link option":
                ip = new byte[NeighbourDiscovery.SolicitationFrameLength];
                NeighbourDiscovery.WriteSolicitation(ip, Frames.HostMac, UInt128.Zero, Router);
                ip = ip[14..];
                break;
        }

        Assert.False(NeighbourDiscovery.TryParse(ip, out _));
    }

    [Fact]
    public void Any_options_parse_without_throwing_and_a_learned_link_address_is_never_a_group()
    {
        Gen<byte[]> options = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b));
        Prop.ForAll(options.ToArbitrary(), ArbMap.Default.ArbFor<bool>(), (tail, solicitation) =>
        {
            byte[] ip = Advertisement(Host, Router, Host, Frames.HostMac)[..64];
            ip = [.. ip, .. tail];
            if (solicitation)
            {
                ip[40] = NeighbourDiscovery.Solicitation;
            }

            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(ip.Length - 40));
            Fix(ip);
            return !NeighbourDiscovery.TryParse(ip, out NdMessage m) || (m.LinkAddress == 0 || !Ethernet.IsGroup(m.LinkAddress));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Learning_from_discovery_fills_the_same_table_as_ARP_without_mixing_families()
    {
        var table = new NeighbourTable(64, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        Assert.True(table.Learn(Host, Frames.HostMac, 1, create: true));
        Assert.True(table.Learn(NeighbourTable.V4(2), Frames.RouterMac, 1, create: true));

        Assert.Equal(Frames.HostMac, table.Peek(Host));
        Assert.Equal(Frames.RouterMac, table.Peek(NeighbourTable.V4(2)));
        Assert.Equal(0UL, table.Peek(2));
    }

    /// <summary>An advertisement (solicited, override) from <paramref name="source"/> for <paramref name="target"/> with its link-layer option.</summary>
    internal static byte[] Advertisement(UInt128 source, UInt128 destination, UInt128 target, ulong mac)
    {
        var ip = new byte[40 + 32];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), 32);
        ip[6] = 58;
        ip[7] = 255;
        BinaryPrimitives.WriteUInt128BigEndian(ip.AsSpan(8), source);
        BinaryPrimitives.WriteUInt128BigEndian(ip.AsSpan(24), destination);
        ip[40] = NeighbourDiscovery.Advertisement;
        ip[44] = 0x60;
        BinaryPrimitives.WriteUInt128BigEndian(ip.AsSpan(48), target);
        ip[64] = 2;
        ip[65] = 1;
        Ethernet.WriteMac(ip.AsSpan(66), mac);
        Fix(ip);
        return ip;
    }

    private static void Fix(byte[] ip)
    {
        int length = Math.Min(ip.Length, 40 + BinaryPrimitives.ReadUInt16BigEndian(ip.AsSpan(4)));
        ip[42] = ip[43] = 0;
        ushort pseudo = PseudoHeaderChecksum.IPv6(ip.AsSpan(8, 16), ip.AsSpan(24, 16), 58, length - 40);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(42), InternetChecksum.Compute(ip.AsSpan(40, length - 40), pseudo));
    }

    private static byte[] Resize(byte[] ip, int extra, byte optionUnits)
    {
        byte[] longer = [.. ip, .. new byte[extra]];
        longer[65] = optionUnits;
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(4), (ushort)(longer.Length - 40));
        Fix(longer);
        return longer;
    }

    private static UInt128 Address(string text) => Device.ToNumber6(System.Net.IPAddress.Parse(text));
}
