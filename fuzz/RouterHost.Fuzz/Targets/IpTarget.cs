using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Firewall;
using RouterHost.Firewall.Stage;
using RouterHost.Packets;
using RouterHost.Pipeline;
using RouterHost.Routing.Stage;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// One IP packet through everything that parses a packet from outside: <see cref="PacketParser"/> (IPv4 with options,
/// IPv6 with extension headers, TCP/UDP/ICMP), <see cref="FlowHash"/>, the firewall's <see cref="PacketFields"/>, the
/// ICMP error and reject builders, and the Firewall and Routing stages' workers themselves (conntrack, the rule
/// classifier, ICMP RELATED quoting, TTL decrement, route lookup, ICMP errors) in the order a packet meets them.
/// The first byte: bit 0 = the packet comes from a peer (walks inbound) rather than an interface; bit 1 = complete
/// its checksums first. Invariants: a parsed layout lies inside the packet; every packet ends forwarded with an
/// egress or dropped/rejected with a reason; every packet the router makes (ICMP errors, resets) parses, has the
/// length it was planned with and carries correct checksums.
/// </summary>
internal sealed class IpTarget : IFuzzTarget
{
    public const string TargetName = "ip";

    private const int Headroom = 128;

    private const string RoutingSettings = """
        { "Routes": [ { "Destination": "198.51.100.0/24", "Interface": "lan1" },
                      { "Destination": "203.0.113.0/24", "Interface": "lan2", "Via": "198.51.100.254" },
                      { "Destination": "2001:db8::/64", "Interface": "lan1" } ],
          "IcmpSource": { "IPv4": "192.0.2.254", "IPv6": "2001:db8:1::1" },
          "IcmpErrors": { "Enabled": true, "PerSecond": 1000000, "Burst": 1000000 } }
        """;

    private const string FirewallSettings = """
        { "DefaultPolicy": { "Outbound": "accept", "Inbound": "drop" },
          "Rules": [
            { "Name": "telnet", "Action": "reject", "Protocol": "tcp", "Ports": [ "23" ] },
            { "Name": "snmp", "Action": "reject", "Protocol": "udp", "Ports": [ "161-162" ] },
            { "Name": "no-lan2", "Action": "drop", "To": [ "lan2" ] },
            { "Name": "ping-in", "Action": "accept", "Direction": "inbound", "Protocol": "icmp", "IcmpType": 8 },
            { "Name": "ssh-in", "Action": "accept", "Direction": "inbound", "Sources": [ "10.9.0.0/16" ], "Protocol": "tcp", "Ports": [ "22" ] },
            { "Name": "quiet-peers", "Action": "reject", "Direction": "outbound", "From": [ "alice" ], "Protocol": "icmp" } ],
          "Conntrack": { "Capacity": 4096 },
          "Reject": { "PerSecond": 1000000, "Burst": 1000000 } }
        """;

    private static readonly byte[] s_icmpSource4 = [192, 0, 2, 254];
    private static readonly byte[] s_icmpSource6 = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    private readonly byte[] _buffer = GC.AllocateArray<byte>(Headroom + 65536 + 64, pinned: true);
    private readonly byte[] _reply = new byte[2048];
    private readonly PacketBatch _batch = new(4);
    private readonly IStageWorker _firewall;
    private readonly IStageWorker _routing;
    private readonly PortId _lan0;
    private readonly PortId _alice;

    public IpTarget()
    {
        var ports = new PortRegistry();
        _lan0 = ports.AddInterface("lan0", ["inside"], "fuzz").Id;
        ports.AddInterface("lan1", [], "fuzz");
        ports.AddInterface("lan2", [], "fuzz");
        _alice = ports.AddPeer("tunnel", new PeerRegistration("alice", ["peers"], [IPNetwork.Parse("10.9.0.0/16"), IPNetwork.Parse("fd09::/64")], 0)).Id;
        var services = new StageServices();
        IStage firewall = new FirewallStagePlugin().Create(Context("Firewall", FirewallSettings, ports, services, 0));
        IStage routing = new RoutingStagePlugin().Create(Context("Routing", RoutingSettings, ports, services, 1));
        routing.Start(ports);
        firewall.Start(ports);
        _firewall = firewall.CreateWorker(0);
        _routing = routing.CreateWorker(0);
    }

    public string Name => TargetName;

    public string Description => "IPv4/IPv6 with options and extension headers, TCP/UDP/ICMP: the parser, flow hash, firewall fields, ICMP errors and resets, and the Firewall and Routing workers";

    public void Run(ReadOnlySpan<byte> input)
    {
        // Even an empty input reaches the parsers (see FuzzInput.Split).
        FuzzInput.Split(input, out byte control, out ReadOnlySpan<byte> rest);
        bool fromPeer = (control & 1) != 0;
        int length = Math.Min(rest.Length, _buffer.Length - Headroom - 64);
        Span<byte> packet = _buffer.AsSpan(Headroom, length);
        rest[..length].CopyTo(packet);
        if ((control & 2) != 0)
        {
            SeedPackets.FixChecksums(packet);
        }

        CheckParser(packet);
        CheckBuilders(packet);
        CheckStages(length, fromPeer);
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        yield return new("v4-tcp-syn", [0, .. SeedPackets.Tcp(ipv6: false, 0, flags: (byte)TcpFlags.Syn)]);
        yield return new("v4-tcp-telnet", [0, .. SeedPackets.Tcp(ipv6: false, 10, destinationPort: 23)]);
        yield return new("v6-tcp", [0, .. SeedPackets.Tcp(ipv6: true, 20, options: [2, 4, 5, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 1, 1])]);
        yield return new("v4-udp-snmp", [0, .. SeedPackets.Udp(ipv6: false, 16, destinationPort: 161)]);
        yield return new("v6-udp-from-peer", [1, .. SeedPackets.Udp(ipv6: true, 16)]);
        yield return new("v4-echo", [0, .. SeedPackets.Icmp(ipv6: false, 8, 0, [1, 2, 3, 4])]);
        yield return new("v6-echo-from-peer", [1, .. SeedPackets.Icmp(ipv6: true, 128, 0, [1, 2, 3, 4])]);
        yield return new("v4-icmp-error-quoting-tcp", [0, .. SeedPackets.Icmp(ipv6: false, 3, 4, SeedPackets.Tcp(ipv6: false, 0)[..28])]);
        yield return new("v6-too-big-quoting-udp", [1, .. SeedPackets.Icmp(ipv6: true, 2, 0, SeedPackets.Udp(ipv6: true, 8)[..48])]);

        // IPv6 extension headers: hop-by-hop (PadN), routing (type 2, one address), fragment, destination options, AH.
        byte[] hopByHop = [IpProtocol.Routing, 0, 1, 4, 0, 0, 0, 0];
        byte[] routing = [IpProtocol.Fragment, 2, 2, 1, 0, 0, 0, 0, .. SeedPackets.DestinationV6];
        byte[] fragment = [IpProtocol.DestinationOptions, 0, 0, 0, 0, 0, 0, 42];
        byte[] destination = [IpProtocol.AuthenticationHeader, 0, 1, 4, 0, 0, 0, 0];
        byte[] authentication = [IpProtocol.Udp, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] udp = SeedPackets.Udp(ipv6: true, 8)[40..];
        yield return new("v6-extension-chain", [2, .. SeedPackets.Ip(ipv6: true, IpProtocol.HopByHop, [.. hopByHop, .. routing, .. fragment, .. destination, .. authentication, .. udp], 0)]);

        // IPv4 with options (record route) and a later fragment.
        byte[] withOptions = SeedPackets.Udp(ipv6: false, 8);
        byte[] options = [7, 7, 4, 0, 0, 0, 0, 1];
        byte[] v4Options = [0x47, .. withOptions[1..20], .. options, .. withOptions[20..]];
        v4Options[3] = (byte)v4Options.Length;
        yield return new("v4-options", [2, .. v4Options]);
        byte[] laterFragment = SeedPackets.Udp(ipv6: false, 16);
        laterFragment[6] = 0x20;
        laterFragment[7] = 3;
        yield return new("v4-fragment", [2, .. laterFragment]);
        byte[] ttlOne = SeedPackets.Tcp(ipv6: false, 4);
        ttlOne[8] = 1;
        yield return new("v4-ttl-1", [2, .. ttlOne]);
    }

    private static StageContext Context(string name, string json, PortRegistry ports, StageServices services, int position)
    {
        string document = $$"""{ "{{name}}": { "Settings": {{json}} } }""";
        IConfigurationSection section = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(document))).Build().GetSection($"{name}:Settings");
        return new StageContext(name, section, NullLoggerFactory.Instance, ports, position, 3) { Services = services };
    }

    private static void CheckParser(ReadOnlySpan<byte> packet)
    {
        DropReason reason = PacketParser.Parse(packet, out PacketLayout layout);
        FlowHash.Compute(packet);
        InvariantViolationException.Check(FlowHash.Compute(packet, symmetric: true) != 0, "a flow hash is never 0");
        DropReason fieldsReason = PacketFields.TryRead(packet, PortId.Interface(0), PortId.None, out PacketFields fields);
        InvariantViolationException.Check(fieldsReason == reason, "the firewall's fields and the parser agree on whether a packet parses");
        if (!reason.IsNone)
        {
            return;
        }

        InvariantViolationException.Check(
            layout.TransportOffset <= layout.PacketLength && layout.PacketLength <= packet.Length,
            "the transport offset and the packet length lie inside the packet");
        InvariantViolationException.Check(
            !layout.HasTransportHeader || layout.PayloadOffset + layout.PayloadLength <= layout.PacketLength,
            "the transport header and payload lie inside the IP packet");
        InvariantViolationException.Check(!fields.HasPorts || layout.HasTransportHeader, "ports come only from a transport header");
    }

    private void CheckBuilders(ReadOnlySpan<byte> packet)
    {
        foreach (IcmpError error in (ReadOnlySpan<IcmpError>)[IcmpError.TimeExceeded, IcmpError.NoRoute, IcmpError.PacketTooBig])
        {
            if (!IcmpErrorBuilder.Plan(packet, out int planned).IsNone)
            {
                break;
            }

            bool v4 = packet[0] >> 4 == 4;
            DropReason built = IcmpErrorBuilder.Build(packet, error, v4 ? s_icmpSource4 : s_icmpSource6, _reply, out int written, mtu: 1280);
            InvariantViolationException.Check(built.IsNone && written == planned, "an ICMP error that was planned is built at its planned length");
            InvariantViolationException.Check(SeedPackets.ChecksumsVerify(_reply.AsSpan(0, written)), "an ICMP error parses and its checksums verify");
        }

        RejectResult plan = RejectBuilder.Plan(packet, out int replyLength);
        RejectResult result = RejectBuilder.Build(packet, _reply, out int replyWritten);
        InvariantViolationException.Check(plan == result, "a reject builds what it planned");
        if (result.IsReply())
        {
            InvariantViolationException.Check(replyWritten == replyLength, "a reject reply has its planned length");
            InvariantViolationException.Check(SeedPackets.ChecksumsVerify(_reply.AsSpan(0, replyWritten)), "a reject reply parses and its checksums verify");
        }
    }

    private void CheckStages(int length, bool fromPeer)
    {
        _batch.Clear();
        _batch.Direction = fromPeer ? PacketDirection.Inbound : PacketDirection.Outbound;
        ref Packet p = ref _batch.Append(_buffer, Headroom, length);
        p.Ingress = fromPeer ? _alice : _lan0;

        // The chain is [Firewall, Routing, tunnel]: from an interface the firewall decides first, from a peer routing does.
        IStageWorker first = fromPeer ? _routing : _firewall;
        IStageWorker second = fromPeer ? _firewall : _routing;
        first.Process(_batch);
        CheckOutcome(_batch, routed: fromPeer);
        _batch.RemoveDecided();
        if (_batch.Count > 0)
        {
            second.Process(_batch);
            CheckOutcome(_batch, routed: true);
        }

        foreach (PacketDirection direction in (ReadOnlySpan<PacketDirection>)[PacketDirection.Outbound, PacketDirection.Inbound])
        {
            if (_batch.Emitted(direction) is not { } emitted)
            {
                continue;
            }

            foreach (ref Packet made in emitted.AsSpan())
            {
                if (made.Verdict != PacketVerdict.Forward)
                {
                    continue;
                }

                InvariantViolationException.Check(!made.Egress.IsNone, "a packet the router makes has an egress");
                InvariantViolationException.Check(SeedPackets.ChecksumsVerify(made.Data), "a packet the router makes parses and its checksums verify");
            }
        }
    }

    private static void CheckOutcome(PacketBatch batch, bool routed)
    {
        foreach (ref Packet p in batch.AsSpan())
        {
            InvariantViolationException.Check(
                p.Verdict == PacketVerdict.Forward || !p.DropReason.IsNone,
                "a packet a stage drops or rejects has a reason");
            InvariantViolationException.Check(
                !routed || p.Verdict != PacketVerdict.Forward || !p.Egress.IsNone,
                "a packet routing lets through has an egress");
        }
    }
}
