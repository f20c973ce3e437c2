using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Packets;
using RouterHost.Settings;

namespace RouterHost.Firewall.Tests;

public class CompiledRuleSetTests
{
    [Fact]
    public void Index_equals_linear_first_match_on_random_rule_sets_property()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), Gen.Choose(10, 400).ToArbitrary(), (seed, count) =>
        {
            var rng = new Random(seed);
            List<FirewallRule> rules = RandomRules.Rules(rng, count);
            CompiledRuleSet set = CompiledRuleSet.Build(rules);
            for (int i = 0; i < 300; i++)
            {
                PacketFields packet = RandomRules.Packet(rng);
                if (set.Match(packet) != RandomRules.LinearMatch(rules, packet))
                {
                    return false;
                }
            }

            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(100, 2)]
    [InlineData(1000, 3)]
    [InlineData(5000, 4)]
    public void Index_equals_linear_first_match_on_large_random_runs(int count, int seed)
    {
        var rng = new Random(seed);
        List<FirewallRule> rules = RandomRules.Rules(rng, count);
        CompiledRuleSet set = CompiledRuleSet.Build(rules);
        var matchedRules = new HashSet<int>();
        for (int i = 0; i < 20000; i++)
        {
            PacketFields packet = RandomRules.Packet(rng);
            int expected = RandomRules.LinearMatch(rules, packet);
            Assert.Equal(expected, set.Match(packet));
            matchedRules.Add(expected);
        }

        // The comparison is only meaningful if many different rules (not one catch-all) end up deciding.
        Assert.True(matchedRules.Count >= Math.Min(5, count / 2), $"only {matchedRules.Count} distinct outcomes");
    }

    [Fact]
    public void First_matching_rule_wins_and_the_default_depends_on_direction()
    {
        var web = new FirewallRule { Protocol = IpProtocol.Tcp, DestinationPorts = [PortRange.Single(443)], Action = RuleAction.Accept };
        var dropTcp = new FirewallRule { Protocol = IpProtocol.Tcp, Action = RuleAction.Reject };
        CompiledRuleSet set = CompiledRuleSet.Build([web, dropTcp]);
        PacketFields https = TestPackets.Fields(TestPackets.Tcp(TestPackets.V4A, TestPackets.V4B, 5000, 443, TcpFlags.Syn));
        PacketFields ssh = TestPackets.Fields(TestPackets.Tcp(TestPackets.V4A, TestPackets.V4B, 5000, 22, TcpFlags.Syn));
        PacketFields dns = TestPackets.Fields(TestPackets.Udp(TestPackets.V4A, TestPackets.V4B, 5000, 53));

        Assert.Equal(new RuleVerdict(RuleAction.Accept, 0), set.Evaluate(https, PacketDirection.Inbound));
        Assert.Equal(new RuleVerdict(RuleAction.Reject, 1), set.Evaluate(ssh, PacketDirection.Inbound));
        Assert.Equal(new RuleVerdict(RuleAction.Drop, -1), set.Evaluate(dns, PacketDirection.Inbound));
        Assert.Equal(new RuleVerdict(RuleAction.Accept, -1), set.Evaluate(dns, PacketDirection.Outbound));
    }

    [Fact]
    public void Ingress_egress_prefix_and_icmp_conditions_are_honoured()
    {
        PortId peer = PortId.Peer(3);
        var rule = new FirewallRule
        {
            Ingress = new HashSet<PortId> { peer },
            Sources = [IpPrefix.ParseContaining("10.0.0.0/8"), IpPrefix.ParseContaining("2001:db8::/32")],
            IcmpType = 8,
        };
        CompiledRuleSet set = CompiledRuleSet.Build([rule]);

        Assert.Equal(0, set.Match(TestPackets.Fields(TestPackets.Icmp(TestPackets.V4A, TestPackets.V4B, 8), peer)));
        Assert.Equal(0, set.Match(TestPackets.Fields(TestPackets.Icmp(TestPackets.V6A, TestPackets.V6B, 8), peer)));
        Assert.Equal(-1, set.Match(TestPackets.Fields(TestPackets.Icmp(TestPackets.V4A, TestPackets.V4B, 8), PortId.Peer(4))));
        Assert.Equal(-1, set.Match(TestPackets.Fields(TestPackets.Icmp(TestPackets.V4B, TestPackets.V4A, 8), peer)));
        Assert.Equal(-1, set.Match(TestPackets.Fields(TestPackets.Icmp(TestPackets.V4A, TestPackets.V4B, 0), peer)));
        Assert.Equal(-1, set.Match(TestPackets.Fields(TestPackets.Udp(TestPackets.V4A, TestPackets.V4B, 1, 2), peer)));
    }

    [Fact]
    public void Port_conditions_never_match_packets_without_ports()
    {
        var rule = new FirewallRule { DestinationPorts = [new PortRange(0, 65535)] };
        CompiledRuleSet set = CompiledRuleSet.Build([rule]);
        Assert.Equal(-1, set.Match(TestPackets.Fields(TestPackets.Icmp(TestPackets.V4A, TestPackets.V4B, 8))));
        Assert.Equal(0, set.Match(TestPackets.Fields(TestPackets.Udp(TestPackets.V4A, TestPackets.V4B, 1, 2))));
    }

    [Fact]
    public void Rules_that_cannot_match_by_construction_are_refused_at_build()
    {
        Assert.Throws<ArgumentException>(() => CompiledRuleSet.Build([new FirewallRule { DestinationPorts = [PortRange.Single(1)], IcmpType = 8 }]));
        Assert.Throws<ArgumentException>(() => CompiledRuleSet.Build([new FirewallRule { SourcePorts = [new PortRange(9, 3)] }]));
    }

    [Fact]
    public void An_empty_rule_set_applies_the_defaults()
    {
        CompiledRuleSet set = CompiledRuleSet.Empty(new FirewallDefaults(Outbound: RuleAction.Reject));
        PacketFields p = TestPackets.Fields(TestPackets.Udp(TestPackets.V4A, TestPackets.V4B, 1, 2));
        Assert.Equal(RuleAction.Reject, set.Evaluate(p, PacketDirection.Outbound).Action);
        Assert.Equal(RuleAction.Drop, set.Evaluate(p, PacketDirection.Inbound).Action);
    }

    [Fact]
    public void Prefixes_parse_and_print()
    {
        Assert.Equal("10.0.0.0/8", IpPrefix.ParseContaining("10.1.2.3/8").ToString());
        Assert.Equal("2001:db8::/32", IpPrefix.ParseContaining("2001:db8::1/32").ToString());
        Assert.Equal("::/0", IpPrefix.ParseContaining("::/0").ToString());
        Assert.True(IpPrefix.ParseContaining("::/0").Contains(true, UInt128.MaxValue));
        Assert.Equal(32, IpPrefix.ParseContaining("1.2.3.4").Length);
        Assert.Throws<FormatException>(() => IpPrefix.ParseContaining("1.2.3.4/33"));
    }

    [Fact]
    public void Matching_allocates_nothing()
    {
        var rng = new Random(9);
        List<FirewallRule> rules = RandomRules.Rules(rng, 3000);
        CompiledRuleSet set = CompiledRuleSet.Build(rules);
        PacketFields[] packets = Enumerable.Range(0, 64).Select(_ => RandomRules.Packet(rng)).ToArray();
        int sink = 0;
        // Warm up past tiered compilation, whose work could otherwise land in the measured window.
        for (int round = 0; round < 200; round++)
        {
            foreach (PacketFields p in packets)
            {
                sink += set.Evaluate(p, PacketDirection.Inbound).RuleIndex;
            }
        }

        Thread.Sleep(200);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 20; round++)
        {
            foreach (PacketFields p in packets)
            {
                sink += set.Evaluate(p, PacketDirection.Inbound).RuleIndex;
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(int.MinValue, sink);
    }
}
