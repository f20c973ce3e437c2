using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Netlink;
using RouterHost.Plugins.AfXdp.Internal;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// Next-hop MAC resolution against a fake kernel neighbour table and a fake clock: what the transmit paths see
/// (<see cref="NeighbourTable.Lookup"/>) after each resolver pass.
/// </summary>
public sealed class NeighbourResolverTests : IDisposable
{
    private const byte V4 = 4;
    private readonly FakeKernelNeighbours _kernel = new();
    private readonly FakeNextHops _nextHops = new("192.0.2.1", "fe80::1", "198.51.100.1");
    private readonly NeighbourTable _table;
    private readonly NeighbourResolver _resolver;
    private readonly NeighbourOptions _options = new(CacheSize: 4, RefreshMilliseconds: 1000, ResolveTimeoutMilliseconds: 3000, FailedRetryMilliseconds: 500, IdleMilliseconds: 10_000);
    private long _now = 1_000_000;

    public NeighbourResolverTests()
    {
        _table = new NeighbourTable(_options.CacheSize, _options.FailedRetryMilliseconds, () => _now);
        _resolver = new NeighbourResolver(_table, _nextHops, _kernel, _options, "xa", NullLogger.Instance);
    }

    public void Dispose()
    {
        _resolver.Dispose();
        _table.Dispose();
    }

    [Fact]
    public void A_next_hop_the_kernel_already_knows_resolves_in_one_pass_and_the_packet_after_gets_its_MAC()
    {
        _kernel.Resolve("192.0.2.1", "02-00-00-00-00-01");
        Assert.Equal(NeighbourStatus.Pending, Lookup(nextHop: 1));   // the first packet only asks
        _resolver.Step(_now);
        Assert.Equal(NeighbourStatus.Resolved, Lookup(nextHop: 1, out ulong mac));
        Assert.Equal(EthernetFrame.ToMac([2, 0, 0, 0, 0, 1]), mac);
        Assert.Empty(_kernel.Solicited);
    }

    [Fact]
    public void An_unknown_destination_is_solicited_pending_and_resolved_when_the_kernel_learns_it()
    {
        Assert.Equal(NeighbourStatus.Pending, LookupDirect("192.0.2.9"));
        _resolver.Step(_now);
        Assert.Equal([IPAddress.Parse("192.0.2.9")], _kernel.Solicited);
        Assert.Equal(NeighbourStatus.Pending, LookupDirect("192.0.2.9"));

        _kernel.Resolve("192.0.2.9", "02-00-00-00-00-09", NeighbourState.Stale);
        _now += 5;
        _resolver.Step(_now);
        Assert.Equal(NeighbourStatus.Resolved, LookupDirect("192.0.2.9"));
    }

    [Fact]
    public void A_neighbour_that_does_not_answer_fails_after_the_resolve_timeout_and_is_asked_again_after_the_retry_time()
    {
        LookupDirect("192.0.2.9");
        long until = _now + _options.ResolveTimeoutMilliseconds;
        while (_now <= until)
        {
            _now += _resolver.Step(_now) is var wait && wait > 0 ? wait : 1;
        }

        _resolver.Step(_now);
        Assert.Equal(NeighbourStatus.Failed, LookupDirect("192.0.2.9"));
        Assert.Equal(1, _resolver.Failures);
        int solicited = _kernel.Solicited.Count;

        _now += _options.FailedRetryMilliseconds;
        Assert.Equal(NeighbourStatus.Failed, LookupDirect("192.0.2.9"));   // due again: this one asks
        Assert.Equal(NeighbourStatus.Failed, LookupDirect("192.0.2.9"));   // and only once
        _resolver.Step(_now);
        Assert.Equal(solicited + 1, _kernel.Solicited.Count);
        Assert.Equal(NeighbourStatus.Pending, LookupDirect("192.0.2.9"));
    }

    [Fact]
    public void A_next_hop_id_the_table_does_not_know_is_reported_as_unknown()
    {
        Lookup(nextHop: 77);
        _resolver.Step(_now);
        Assert.Equal(NeighbourStatus.Unknown, Lookup(nextHop: 77));
    }

    [Fact]
    public void Gateways_on_the_devices_prefixes_are_resolved_before_any_packet_needs_them()
    {
        _kernel.Prefixes.Add((IPAddress.Parse("192.0.2.254"), 24));
        _kernel.Resolve("192.0.2.1", "02-00-00-00-00-01");
        _resolver.Step(_now);
        Assert.Equal(NeighbourStatus.Resolved, Lookup(nextHop: 1));
        Assert.DoesNotContain(IPAddress.Parse("fe80::1"), _kernel.Solicited);       // link-local: resolved when used
        Assert.DoesNotContain(IPAddress.Parse("198.51.100.1"), _kernel.Solicited);  // another interface's gateway
    }

    [Fact]
    public void A_used_neighbour_is_confirmed_each_refresh_and_a_changed_MAC_is_picked_up()
    {
        _kernel.Resolve("192.0.2.1", "02-00-00-00-00-01");
        Lookup(nextHop: 1);
        _resolver.Step(_now);
        Lookup(nextHop: 1);                               // used since the pass
        _kernel.Resolve("192.0.2.1", "02-00-00-00-00-02");
        _now += _options.RefreshMilliseconds;
        _resolver.Step(_now);

        Assert.Contains(IPAddress.Parse("192.0.2.1"), _kernel.Solicited);   // NTF_USE keeps the kernel's entry fresh
        Assert.Equal(NeighbourStatus.Resolved, Lookup(nextHop: 1, out ulong mac));
        Assert.Equal(EthernetFrame.ToMac([2, 0, 0, 0, 0, 2]), mac);
    }

    [Fact]
    public void An_unused_neighbour_is_not_solicited_on_refresh()
    {
        _kernel.Resolve("192.0.2.1", "02-00-00-00-00-01");
        Lookup(nextHop: 1);
        _resolver.Step(_now);
        _now += _options.RefreshMilliseconds;
        _resolver.Step(_now);
        Assert.Empty(_kernel.Solicited);
    }

    [Fact]
    public void Directly_connected_destinations_are_bounded_by_the_cache_size_and_forgotten_when_idle()
    {
        for (int i = 1; i <= 6; i++)
        {
            _kernel.Resolve($"192.0.2.{i}", $"02-00-00-00-00-0{i}");
            LookupDirect($"192.0.2.{i}");
            _now += 1;
            _resolver.Step(_now);
        }

        int resolved = Enumerable.Range(1, 6).Count(i => _table.FindDirect(V4, Address($"192.0.2.{i}")) is { Status: NeighbourStatus.Resolved });
        Assert.Equal(4, resolved);
        Assert.Null(_table.FindDirect(V4, Address("192.0.2.1")));   // the least recently used went first

        _now += _options.IdleMilliseconds + _options.RefreshMilliseconds;
        _resolver.Step(_now);
        Assert.All(Enumerable.Range(1, 6), i => Assert.Null(_table.FindDirect(V4, Address($"192.0.2.{i}"))));
    }

    [Fact]
    public void Requests_from_many_threads_reach_the_resolver_and_every_one_is_answered()
    {
        for (int i = 1; i <= 200; i++)
        {
            _kernel.Resolve($"10.0.{i / 256}.{i % 256}", "02-00-00-00-00-aa");
        }

        var table = new NeighbourTable(1024, 500, () => _now);
        using var resolver = new NeighbourResolver(table, null, _kernel, _options with { CacheSize = 1024 }, "xa", NullLogger.Instance);
        Parallel.For(1, 201, i => table.Lookup(0, V4, Address($"10.0.{i / 256}.{i % 256}"), out _));
        resolver.Step(_now);
        Assert.All(Enumerable.Range(1, 200), i => Assert.Equal(NeighbourStatus.Resolved, table.Lookup(0, V4, Address($"10.0.{i / 256}.{i % 256}"), out _)));
        table.Dispose();
    }

    private NeighbourStatus Lookup(int nextHop) => Lookup(nextHop, out _);

    private NeighbourStatus Lookup(int nextHop, out ulong mac) => _table.Lookup(nextHop, 0, 0, out mac);

    private NeighbourStatus LookupDirect(string address) => _table.Lookup(0, V4, Address(address), out _);

    private static UInt128 Address(string address) => BinaryPrimitives.ReadUInt32BigEndian(IPAddress.Parse(address).GetAddressBytes());
}
