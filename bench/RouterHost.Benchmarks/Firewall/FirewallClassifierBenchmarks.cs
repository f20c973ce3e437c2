using BenchmarkDotNet.Attributes;
using RouterHost.Abstractions;
using RouterHost.Firewall;
using RouterHost.Packets;
using RouterHost.Settings;

namespace RouterHost.Benchmarks.Firewall;

/// <summary>
/// Rule decisions for 64 packets (a batch): the indexed classifier with 10 rules (baseline) and with 5000 rules,
/// and a linear first-match scan of the same 5000 rules for comparison. The rules look like a real policy:
/// per-subnet TCP/UDP services, ICMP, a few peer-scoped rules; the packets hit early rules, late rules and the
/// default.
/// </summary>
[MemoryDiagnoser]
public class FirewallClassifierBenchmarks
{
    private const int Packets = 64;
    private readonly PacketFields[] _packets = new PacketFields[Packets];
    private CompiledRuleSet _rules10 = CompiledRuleSet.Empty();
    private CompiledRuleSet _rules5000 = CompiledRuleSet.Empty();
    private FirewallRule[] _linear5000 = [];

    [GlobalSetup]
    public void Setup()
    {
        _rules10 = CompiledRuleSet.Build(Rules(10));
        _linear5000 = Rules(5000);
        _rules5000 = CompiledRuleSet.Build(_linear5000);
        var rng = new Random(1);
        for (int i = 0; i < Packets; i++)
        {
            int target = rng.Next(5000);
            bool udp = target % 3 == 1;
            _packets[i] = new PacketFields
            {
                Ingress = PortId.Peer(target % 4),
                Egress = PortId.Interface(0),
                Source = 0x0A00_0000u | ((uint)target << 8) | 7,
                Destination = 0xC0A8_0001u,
                Protocol = udp ? IpProtocol.Udp : IpProtocol.Tcp,
                HasPorts = true,
                SourcePort = 40000,
                // Half the packets aim at their subnet's service (a late rule), half at an unlisted port (default).
                DestinationPort = (ushort)(i % 2 == 0 ? 1000 + (target % 2000) : 9),
                TcpFlags = TcpFlags.Syn,
            };
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Packets)]
    public int Indexed10() => Run(_rules10);

    [Benchmark(OperationsPerInvoke = Packets)]
    public int Indexed5000() => Run(_rules5000);

    [Benchmark(OperationsPerInvoke = Packets)]
    public int Linear5000()
    {
        int sum = 0;
        FirewallRule[] rules = _linear5000;
        foreach (ref readonly PacketFields p in _packets.AsSpan())
        {
            int match = -1;
            for (int r = 0; r < rules.Length; r++)
            {
                if (rules[r].Matches(p))
                {
                    match = r;
                    break;
                }
            }

            sum += match;
        }

        return sum;
    }

    private int Run(CompiledRuleSet rules)
    {
        int sum = 0;
        foreach (ref readonly PacketFields p in _packets.AsSpan())
        {
            sum += (int)rules.Evaluate(p, PacketDirection.Inbound).Action;
        }

        return sum;
    }

    internal static FirewallRule[] Rules(int count)
    {
        var rules = new FirewallRule[count];
        for (int i = 0; i < count; i++)
        {
            var subnet = IpPrefix.Containing(false, 0x0A00_0000u | ((uint)i << 8), 24);
            rules[i] = (i % 10) switch
            {
                9 => new FirewallRule { Protocol = IpProtocol.Icmp, IcmpType = 8, Sources = [subnet] },
                8 => new FirewallRule
                {
                    Ingress = new HashSet<PortId> { PortId.Peer(i % 4) },
                    Protocol = IpProtocol.Tcp,
                    Sources = [subnet],
                    DestinationPorts = [new PortRange((ushort)(1000 + (i % 2000)), (ushort)(1010 + (i % 2000)))],
                    Action = RuleAction.Reject,
                },
                _ => new FirewallRule
                {
                    Protocol = i % 3 == 1 ? IpProtocol.Udp : IpProtocol.Tcp,
                    Sources = [subnet],
                    Destinations = [IpPrefix.Parse("192.168.0.0/16")],
                    DestinationPorts = [PortRange.Single((ushort)(1000 + (i % 2000)))],
                },
            };
        }

        return rules;
    }
}
