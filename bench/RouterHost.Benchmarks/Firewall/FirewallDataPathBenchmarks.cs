using BenchmarkDotNet.Attributes;
using RouterHost.Abstractions;
using RouterHost.Firewall;
using RouterHost.Packets;

namespace RouterHost.Benchmarks.Firewall;

/// <summary>
/// The rest of the firewall's per-packet work, beside its baseline of reading the packet's fields (parsing):
/// a connection-tracking hit (a reply on a tracked flow, in a table of 100 000 flows) and building a TCP RST.
/// </summary>
[MemoryDiagnoser]
public class FirewallDataPathBenchmarks
{
    private readonly byte[] _segment = PacketsBenchmarkTcp();
    private readonly byte[] _reply = new byte[RejectBuilder.MaxReplyLength];
    private readonly ConntrackTable _table = new(new ConntrackOptions { Capacity = 1 << 18 });
    private PacketFields _replyFields;
    private long _now;

    [GlobalSetup]
    public void Setup()
    {
        _now = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < 100_000; i++)
        {
            var p = new PacketFields
            {
                Source = 0x0A00_0000u | (uint)i,
                Destination = 0xC0A8_0001u,
                Protocol = IpProtocol.Tcp,
                HasPorts = true,
                SourcePort = (ushort)(1024 + (i & 0x3FFF)),
                DestinationPort = 443,
                TcpFlags = TcpFlags.Syn,
            };
            _table.Add(p, PacketDirection.Outbound, _now);
        }

        _replyFields = new PacketFields
        {
            Source = 0xC0A8_0001u,
            Destination = 0x0A00_0000u | 77,
            Protocol = IpProtocol.Tcp,
            HasPorts = true,
            SourcePort = 443,
            DestinationPort = 1024 + 77,
            TcpFlags = TcpFlags.Ack,
        };
        if (_table.Lookup(_replyFields, _now) != ConntrackMatch.Reply)
        {
            throw new InvalidOperationException("The benchmark flow is not tracked.");
        }
    }

    [Benchmark(Baseline = true)]
    public DropReason ReadFields() => PacketFields.TryRead(_segment, PortId.Peer(0), PortId.Interface(0), out _);

    [Benchmark]
    public ConntrackMatch ConntrackHit() => _table.Lookup(_replyFields, _now);

    [Benchmark]
    public int BuildRst()
    {
        RejectBuilder.Build(_segment, _reply, out int written);
        return written;
    }

    private static byte[] PacketsBenchmarkTcp() => RouterHost.Benchmarks.Packets.PacketsBenchmarkPackets.Tcp(payloadLength: 100, sequence: 7, id: 1);
}
