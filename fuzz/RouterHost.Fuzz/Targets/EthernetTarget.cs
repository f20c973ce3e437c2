using RouterHost.Abstractions;
using RouterHost.Packets;
using RouterHost.Plugins.AfXdp.Internal;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// A frame as an AF_XDP queue receives it: <see cref="EthernetFrame.TryDecode"/>, then the IP packet it finds through
/// <see cref="PacketParser"/> as the stages would. Invariants: an accepted frame's IP length lies inside the frame, and
/// when the packet parses, the parser finds the same IP length the framing did.
/// </summary>
internal sealed class EthernetTarget : IFuzzTarget
{
    public const string TargetName = "ethernet";

    // 02:00:00:00:00:01 in wire order, the low 48 bits as EthernetFrame keeps MACs.
    private static readonly byte[] s_localMac = [0x02, 0, 0, 0, 0, 0x01];
    private static readonly ulong s_local = EthernetFrame.ToMac(s_localMac);

    public string Name => TargetName;

    public string Description => "AF_XDP Ethernet frames (plugins/AfXdp EthernetFrame), then the IP parser on what they carry";

    public void Run(ReadOnlySpan<byte> input)
    {
        DropReason reason = EthernetFrame.TryDecode(input, s_local, out int ipLength);
        if (!reason.IsNone)
        {
            InvariantViolationException.Check(ipLength == 0, "a refused frame reports no IP length");
            return;
        }

        InvariantViolationException.Check(ipLength >= 20 && ipLength <= input.Length - EthernetFrame.HeaderLength, "the IP length lies inside the frame");
        ReadOnlySpan<byte> ip = input.Slice(EthernetFrame.HeaderLength, ipLength);
        if (PacketParser.Parse(ip, out PacketLayout layout).IsNone)
        {
            InvariantViolationException.Check(layout.PacketLength == ipLength, "the framing and the IP parser agree on the IP packet's length");
        }
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        yield return new("ipv4-udp", Frame(s_localMac, 0x0800, SeedPackets.Udp(ipv6: false, 32)));
        yield return new("ipv6-tcp", Frame(s_localMac, 0x86DD, SeedPackets.Tcp(ipv6: true, 40)));
        yield return new("broadcast-ipv4-padded", Frame([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], 0x0800, [.. SeedPackets.Icmp(ipv6: false, 8, 0, []), 0, 0, 0, 0, 0, 0]));
        yield return new("multicast-ipv6", Frame([0x33, 0x33, 0, 0, 0, 1], 0x86DD, SeedPackets.Icmp(ipv6: true, 128, 0, [1, 2, 3, 4])));
        yield return new("arp", Frame([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], 0x0806, new byte[28]));
        yield return new("vlan", Frame(s_localMac, 0x8100, [0, 5, 0x08, 0x00, .. SeedPackets.Udp(ipv6: false, 8)]));
        yield return new("other-station", Frame([0x02, 0, 0, 0, 0, 0x09], 0x0800, SeedPackets.Udp(ipv6: false, 8)));
    }

    private static byte[] Frame(byte[] destination, ushort ethertype, byte[] payload)
    {
        byte[] frame = new byte[EthernetFrame.HeaderLength + payload.Length];
        destination.CopyTo(frame, 0);
        byte[] source = [0x02, 0, 0, 0, 0, 0x02];
        source.CopyTo(frame, 6);
        frame[12] = (byte)(ethertype >> 8);
        frame[13] = (byte)ethertype;
        payload.CopyTo(frame, EthernetFrame.HeaderLength);
        return frame;
    }
}
