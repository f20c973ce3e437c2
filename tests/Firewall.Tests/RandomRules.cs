using RouterHost.Abstractions;
using RouterHost.Packets;
using RouterHost.Settings;

namespace RouterHost.Firewall.Tests;

/// <summary>
/// Random rule sets and packets drawn from small pools of addresses, ports and types, so that rules overlap,
/// nest and actually match: the interesting case for comparing the index with a linear scan.
/// </summary>
internal static class RandomRules
{
    private static readonly byte[] Protocols = [IpProtocol.Tcp, IpProtocol.Udp, IpProtocol.Icmp, IpProtocol.IcmpV6, 47];

    public static List<FirewallRule> Rules(Random rng, int count)
    {
        var rules = new List<FirewallRule>(count);
        for (int i = 0; i < count; i++)
        {
            bool icmp = rng.Next(6) == 0;
            bool ports = !icmp && rng.Next(2) == 0;
            rules.Add(new FirewallRule
            {
                Action = (RuleAction)rng.Next(3),
                Ingress = rng.Next(4) == 0 ? Ports(rng) : null,
                Egress = rng.Next(5) == 0 ? Ports(rng) : null,
                Sources = rng.Next(2) == 0 ? Prefixes(rng) : [],
                Destinations = rng.Next(2) == 0 ? Prefixes(rng) : [],
                Protocol = rng.Next(3) == 0 ? null : Protocols[rng.Next(Protocols.Length)],
                SourcePorts = ports && rng.Next(3) == 0 ? Ranges(rng) : [],
                DestinationPorts = ports ? Ranges(rng) : [],
                IcmpType = icmp && rng.Next(4) != 0 ? (byte)rng.Next(6) : null,
                IcmpCode = icmp && rng.Next(3) == 0 ? (byte)rng.Next(3) : null,
            });
        }

        return rules;
    }

    public static PacketFields Packet(Random rng)
    {
        bool v6 = rng.Next(3) == 0;
        byte protocol = Protocols[rng.Next(Protocols.Length)];
        var p = new PacketFields
        {
            Ingress = PortId.Interface(rng.Next(5)),
            Egress = rng.Next(4) == 0 ? PortId.None : PortId.Peer(rng.Next(5)),
            IsIPv6 = v6,
            Source = Address(rng, v6),
            Destination = Address(rng, v6),
            Protocol = protocol,
        };
        if (protocol is IpProtocol.Tcp or IpProtocol.Udp && rng.Next(10) != 0)
        {
            p.HasPorts = true;
            p.SourcePort = Port(rng);
            p.DestinationPort = Port(rng);
        }
        else if ((protocol == IpProtocol.Icmp && !v6) || (protocol == IpProtocol.IcmpV6 && v6))
        {
            p.IsIcmp = true;
            p.IcmpType = (byte)rng.Next(7);
            p.IcmpCode = (byte)rng.Next(4);
        }

        return p;
    }

    public static int LinearMatch(IReadOnlyList<FirewallRule> rules, in PacketFields packet)
    {
        for (int i = 0; i < rules.Count; i++)
        {
            if (rules[i].Matches(packet))
            {
                return i;
            }
        }

        return -1;
    }

    private static HashSet<PortId> Ports(Random rng)
    {
        var set = new HashSet<PortId>();
        int n = rng.Next(0, 3);
        for (int i = 0; i <= n; i++)
        {
            set.Add(rng.Next(2) == 0 ? PortId.Interface(rng.Next(5)) : PortId.Peer(rng.Next(5)));
        }

        return set;
    }

    private static List<IpPrefix> Prefixes(Random rng)
    {
        var list = new List<IpPrefix>();
        int n = rng.Next(1, 4);
        for (int i = 0; i < n; i++)
        {
            bool v6 = rng.Next(3) == 0;
            list.Add(IpPrefix.Containing(v6, Address(rng, v6), v6 ? rng.Next(0, 129) : rng.Next(0, 33)));
        }

        return list;
    }

    private static List<PortRange> Ranges(Random rng)
    {
        var list = new List<PortRange>();
        int n = rng.Next(1, 4);
        for (int i = 0; i < n; i++)
        {
            ushort a = Port(rng);
            ushort b = rng.Next(2) == 0 ? a : Port(rng);
            list.Add(new PortRange(Math.Min(a, b), Math.Max(a, b)));
        }

        return list;
    }

    private static ushort Port(Random rng) => rng.Next(4) switch
    {
        0 => (ushort)rng.Next(65536),
        1 => (ushort)(rng.Next(2) == 0 ? 0 : 65535),
        _ => (ushort)(20 + rng.Next(12)),
    };

    // Addresses cluster in a few /16s (v4) or /32s (v6), with the extremes of the space, so prefixes nest and overlap.
    private static UInt128 Address(Random rng, bool v6)
    {
        if (v6)
        {
            UInt128 top = rng.Next(4) switch { 0 => 0, 1 => UInt128.MaxValue, _ => (UInt128)(0x2001_0db8u + (uint)rng.Next(3)) << 96 };
            return top | ((UInt128)(ulong)rng.NextInt64() << rng.Next(0, 64)) | (uint)rng.Next(4);
        }

        uint blockTop = rng.Next(5) switch { 0 => 0, 1 => 0xFFFF_0000, 2 => 0x0A00_0000, 3 => 0xC0A8_0000, _ => 0x0A01_0000 };
        return blockTop | (uint)rng.Next(rng.Next(2) == 0 ? 16 : 65536);
    }
}
