using Microsoft.Extensions.Configuration;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Firewall;
using RouterHost.Packets;
using RouterHost.Packets.Tests;

namespace RouterHost.FunctionalTests;

public sealed class FirewallStageTests
{
    private const string Routes = """
        { "Routes": [ { "Destination": "198.51.100.0/24", "Interface": "lan1" }, { "Destination": "2001:db8::/64", "Interface": "lan1" },
                      { "Destination": "203.0.113.0/24", "Interface": "lan2" } ] }
        """;

    private const string Rules = """
        {
          "DefaultPolicy": { "Outbound": "accept", "Inbound": "drop" },
          "Rules": [
            { "Name": "telnet", "Action": "reject", "Protocol": "tcp", "Ports": [ "23" ] },
            { "Name": "snmp", "Action": "reject", "Protocol": "udp", "Ports": [ "161-162" ] },
            { "Name": "no-lan2", "Action": "drop", "To": [ "lan2" ] },
            { "Name": "ssh-from-inside", "Action": "accept", "Direction": "inbound", "From": [ "group:inside" ], "Protocol": "tcp", "Ports": [ "22" ] },
            { "Name": "quiet-peers", "Action": "reject", "Direction": "outbound", "From": [ "alice" ], "Protocol": "icmp" }
          ]
        }
        """;

    private static byte[] Tcp(ushort port, TcpFlags flags = TcpFlags.Syn, string destination = "198.51.100.7", string? source = null) =>
        TestPackets.Tcp(new TestPackets.TcpSpec
        {
            IPv6 = destination.Contains(':', StringComparison.Ordinal),
            Destination = System.Net.IPAddress.Parse(destination).GetAddressBytes(),
            Source = source is null ? null : System.Net.IPAddress.Parse(source).GetAddressBytes(),
            DestinationPort = port,
            Flags = flags,
        });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_rejected_TCP_packet_is_answered_with_a_RST_toward_its_ingress_queue(bool ipv6)
    {
        using var h = new StageHarness(Routes, Rules);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp(23, destination: ipv6 ? "2001:db8::2" : "198.51.100.7"));
        batch[0].IngressQueue = 3;
        h.FirewallWorker!.Process(batch);
        Assert.Equal(PacketVerdict.Rejected, batch[0].Verdict);
        Assert.Equal(FirewallDropReasons.RuleReject, batch[0].DropReason);
        PacketBatch emitted = batch.Emitted(PacketDirection.Outbound)!;
        Assert.Equal(1, emitted.Count);
        Packet reply = emitted[0];
        Assert.Equal(StageHarness.Lan0, reply.Egress);
        Assert.Equal(3, reply.IngressQueue);
        Assert.True(PacketParser.Parse(reply.Data, out PacketLayout layout).IsNone);
        Assert.Equal(IpProtocol.Tcp, layout.Protocol);
        Assert.NotEqual(0, reply.Data[layout.TransportOffset + 13] & (byte)TcpFlags.Rst);
        Assert.True(TestPackets.ChecksumsValid(reply.Data.ToArray()));
    }

    [Fact]
    public void A_rejected_UDP_packet_is_answered_with_ICMP_administratively_prohibited()
    {
        using var h = new StageHarness(Routes, Rules);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, TestPackets.Udp(false, [1, 2, 3], destinationPort: 161));
        h.FirewallWorker!.Process(batch);
        Packet reply = batch.Emitted(PacketDirection.Outbound)![0];
        Assert.Equal(IpProtocol.Icmp, reply.Data[9]);
        Assert.Equal(3, reply.Data[20]);
        Assert.Equal(13, reply.Data[21]);
    }

    [Fact]
    public void Rejects_are_never_sent_about_ICMP_errors_and_are_rate_limited()
    {
        string limited = Rules.Replace("\"Rules\"", "\"Reject\": { \"PerSecond\": 0.001, \"Burst\": 1 }, \"Rules\"", StringComparison.Ordinal);
        using var h = new StageHarness(Routes, limited);

        // ICMP from alice is rejected by rule, but an ICMP error is never answered.
        byte[] error = TestPackets.Icmp(false, 3, 3, new byte[28]);
        PacketBatch errors = StageHarness.Batch(h.Alice, error);
        h.FirewallWorker!.Process(errors);
        Assert.Equal(FirewallDropReasons.RejectSuppressed, errors[0].DropReason);
        Assert.Equal(0, errors.Emitted(PacketDirection.Outbound)!.Count);

        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp(23), Tcp(23), Tcp(23));
        h.FirewallWorker.Process(batch);
        Assert.Equal(FirewallDropReasons.RuleReject, batch[0].DropReason);
        Assert.Equal(FirewallDropReasons.RejectRateLimited, batch[1].DropReason);
        Assert.Equal(FirewallDropReasons.RejectRateLimited, batch[2].DropReason);
        Assert.Equal(1, batch.Emitted(PacketDirection.Outbound)!.Count);
    }

    [Fact]
    public void A_reject_toward_a_peer_goes_back_to_the_peer()
    {
        using var h = new StageHarness(Routes, Rules);
        byte[] ping = TestPackets.Icmp(false, 8, 0, new byte[8]);
        PacketBatch batch = StageHarness.Batch(h.Alice, ping);
        h.FirewallWorker!.Process(batch);
        Assert.Equal(PacketVerdict.Rejected, batch[0].Verdict);
        Assert.Equal(h.Alice, batch.Emitted(PacketDirection.Outbound)![0].Egress);
    }

    [Fact]
    public void Inbound_traffic_is_dropped_by_default_unless_a_rule_accepts_it_and_replies_pass_by_conntrack()
    {
        using var h = new StageHarness(Routes, Rules);
        PacketBatch inbound = StageHarness.Batch(h.Alice, Tcp(80), Tcp(22));
        inbound[1].Ingress = StageHarness.Lan0;
        inbound.Direction = PacketDirection.Inbound;
        h.FirewallWorker!.Process(inbound);
        Assert.Equal(FirewallDropReasons.DefaultDrop, inbound[0].DropReason);
        Assert.Equal(PacketVerdict.Forward, inbound[1].Verdict);

        // An outbound connection (default accept) is tracked; its inbound reply passes despite the inbound default.
        PacketBatch open = StageHarness.Batch(StageHarness.Lan0, TestPackets.Udp(false, [1], sourcePort: 5000, destinationPort: 6000));
        h.FirewallWorker.Process(open);
        Assert.Equal(PacketVerdict.Forward, open[0].Verdict);
        byte[] reply = Swap(TestPackets.Udp(false, [2], sourcePort: 6000, destinationPort: 5000));
        PacketBatch replies = StageHarness.Batch(h.Alice, reply);
        replies.Direction = PacketDirection.Inbound;
        h.FirewallWorker.Process(replies);
        Assert.Equal(PacketVerdict.Forward, replies[0].Verdict);

        // An ICMP error about that connection is related and passes; one about an unknown flow is dropped.
        byte[] related = Swap(TestPackets.Icmp(false, 3, 4, open[0].Data.ToArray()[..28]));
        byte[] unrelated = Swap(TestPackets.Icmp(false, 3, 4, TestPackets.Udp(false, [1], sourcePort: 5001, destinationPort: 6000)[..28]));
        PacketBatch errors = StageHarness.Batch(h.Alice, related, unrelated);
        errors.Direction = PacketDirection.Inbound;
        h.FirewallWorker.Process(errors);
        Assert.Equal(PacketVerdict.Forward, errors[0].Verdict);
        Assert.Equal(FirewallDropReasons.DefaultDrop, errors[1].DropReason);
    }

    [Fact]
    public void A_rule_naming_an_egress_matches_before_routing_through_the_route_resolver()
    {
        using var h = new StageHarness(Routes, Rules);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp(80, destination: "203.0.113.9"), Tcp(80));
        h.FirewallWorker!.Process(batch);
        Assert.Equal(FirewallDropReasons.RuleDrop, batch[0].DropReason);
        Assert.Equal(PacketVerdict.Forward, batch[1].Verdict);
    }

    [Fact]
    public void A_reload_revalidates_tracked_connections_against_the_new_rules()
    {
        using var h = new StageHarness(Routes, Rules);
        PacketBatch open = StageHarness.Batch(StageHarness.Lan0, Tcp(8080), Tcp(8081));
        h.FirewallWorker!.Process(open);
        Assert.Equal(2, h.Firewall!.Conntrack.GetCounters().Entries);

        string forbidding = Rules.Replace("\"Rules\": [", "\"Rules\": [ { \"Action\": \"drop\", \"Protocol\": \"tcp\", \"Ports\": [ \"8081\" ] },", StringComparison.Ordinal);
        Assert.Empty(h.Firewall.Reconfigure(StageHarness.Section(forbidding, "Firewall"), h.Ports));
        Assert.Equal(1, h.Firewall.Conntrack.GetCounters().Entries);

        PacketBatch next = StageHarness.Batch(StageHarness.Lan0, Tcp(8080, TcpFlags.Ack), Tcp(8081, TcpFlags.Ack));
        h.FirewallWorker.Process(next);
        Assert.Equal(PacketVerdict.Forward, next[0].Verdict);
        Assert.Equal(FirewallDropReasons.RuleDrop, next[1].DropReason);
    }

    [Fact]
    public void Random_bytes_are_passed_dropped_or_rejected_with_a_reason_never_thrown()
    {
        using var h = new StageHarness(Routes, Rules);
        Prop.ForAll(
            Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)).ToArbitrary(),
            bytes =>
            {
                if (bytes.Length > 0)
                {
                    bytes[0] = (byte)((bytes[0] & 1) == 0 ? 0x45 : 0x60);
                }

                PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, bytes);
                h.FirewallWorker!.Process(batch);
                Packet p = batch[0];
                return p.Verdict == PacketVerdict.Forward || !p.DropReason.IsNone;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Settings_problems_name_their_key_paths()
    {
        IReadOnlyList<ConfigurationProblem> problems = new Firewall.Stage.FirewallStagePlugin().Validate(StageHarness.Section("""
            {
              "DefaultPolicy": { "Inbound": "maybe" },
              "Rules": [
                { "Protocol": "tcp" },
                { "Action": "accept", "Protocol": "icmp", "Ports": [ "22" ] },
                { "Action": "accept", "Protocol": "tcp", "Ports": [ "90-80", "70000" ] },
                { "Action": "drop", "Sources": [ "10.0.0.0/40" ], "Direction": "sideways" }
              ],
              "Conntrack": { "Capacity": 1, "Timeouts": { "TcpEstablished": "forever" } },
              "Reject": { "Burst": 0 }
            }
            """, "Firewall"));
        StageHarness.AssertProblemsName(
            problems,
            "Firewall:Settings:DefaultPolicy:Inbound",
            "Firewall:Settings:Rules:0:Action: is missing",
            "Firewall:Settings:Rules:1:Protocol",
            "Firewall:Settings:Rules:2:Ports:0",
            "Firewall:Settings:Rules:2:Ports:1",
            "Firewall:Settings:Rules:3:Sources:0",
            "Firewall:Settings:Rules:3:Direction",
            "Firewall:Settings:Conntrack:Capacity",
            "Firewall:Settings:Conntrack:Timeouts:TcpEstablished",
            "Firewall:Settings:Reject:Burst");
    }

    [Fact]
    public void A_rule_naming_a_port_the_router_lacks_fails_the_start_naming_it()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new StageHarness(Routes, """{ "Rules": [ { "Action": "drop", "From": [ "lan7" ] } ] }"""));
        Assert.Contains("Firewall:Settings:Rules:0:From", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'lan7'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_settings_values_never_throw_from_validation()
    {
        string[] keys = ["Action", "Direction", "Protocol", "Ports", "SourcePorts", "Sources", "IcmpType", "From"];
        Prop.ForAll(
            Gen.Elements(keys).Zip(Gen.Elements("", "x", "-1", "1-", "65536", "0.5", "tcp", "10.0.0.0/8", "::/0", "group:", "accept", "999999999999")).ArrayOf().ToArbitrary(),
            pairs =>
            {
                var settings = new Dictionary<string, string?>();
                foreach ((string key, string value) in pairs)
                {
                    settings[$"Firewall:Settings:Rules:0:{key}"] = value;
                }

                var root = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
                _ = new Firewall.Stage.FirewallStagePlugin().Validate(root.GetSection("Firewall:Settings"));
                return true;
            }).QuickCheckThrowOnFailure();
    }

    /// <summary>Swaps an IPv4 packet's addresses (its checksums are unchanged by the swap).</summary>
    private static byte[] Swap(byte[] packet)
    {
        byte[] source = packet[12..16];
        packet.AsSpan(16, 4).CopyTo(packet.AsSpan(12));
        source.CopyTo(packet, 16);
        return packet;
    }
}
