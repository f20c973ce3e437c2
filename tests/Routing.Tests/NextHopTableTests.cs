using System.Net;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHost.Routing.Tests;

public sealed class NextHopTableTests
{
    [Fact]
    public void An_address_keeps_one_id_and_ids_start_at_1()
    {
        var table = new NextHopTable();
        int a = table.Intern(IPAddress.Parse("10.0.0.254"));
        int b = table.Intern(IPAddress.Parse("fe80::1"));
        Assert.Equal(1, a);
        Assert.Equal(2, b);
        Assert.Equal(a, table.Intern(IPAddress.Parse("10.0.0.254")));
        Assert.Equal(2, table.Count);
        Assert.Equal(IPAddress.Parse("10.0.0.254"), table.GetAddress(a));
        Assert.Equal(IPAddress.Parse("fe80::1"), table.GetAddress(b));
    }

    [Fact]
    public void Unknown_ids_and_short_spans_copy_nothing()
    {
        var table = new NextHopTable();
        int v6 = table.Intern(IPAddress.Parse("2001:db8::1"));
        Span<byte> small = stackalloc byte[4];
        Assert.Equal(0, table.CopyAddress(0, small));
        Assert.Equal(0, table.CopyAddress(-1, small));
        Assert.Equal(0, table.CopyAddress(v6 + 1, small));
        Assert.Equal(0, table.CopyAddress(v6, small));
        Assert.Null(table.GetAddress(99));
    }

    [Fact]
    public void Routes_through_one_gateway_share_its_id_in_the_table_they_are_built_into()
    {
        var builder = new RoutingTableBuilder();
        builder.Add(new Route(IpPrefix.Parse("10.2.0.0/16"), PortId.Interface(0), IPAddress.Parse("10.0.0.254")));
        builder.Add(new Route(IpPrefix.Parse("10.3.0.0/16"), PortId.Interface(0), IPAddress.Parse("10.0.0.254")));
        builder.Add(new Route(IpPrefix.Parse("10.4.0.0/16"), PortId.Interface(0)));
        RoutingTable table = builder.Build();

        Assert.True(table.TryLookup(IPAddress.Parse("10.2.1.1").GetAddressBytes(), 0, out RouteTarget first));
        Assert.True(table.TryLookup(IPAddress.Parse("10.3.1.1").GetAddressBytes(), 0, out RouteTarget second));
        Assert.True(table.TryLookup(IPAddress.Parse("10.4.1.1").GetAddressBytes(), 0, out RouteTarget direct));
        Assert.NotEqual(0, first.NextHop);
        Assert.Equal(first.NextHop, second.NextHop);
        Assert.Equal(0, direct.NextHop);
        Assert.Equal(IPAddress.Parse("10.0.0.254"), table.NextHops.GetAddress(first.NextHop));

        // A later snapshot (seeded from this one) interns into the same table: the id stays.
        RoutingTable later = table.With([RouteChange.Add(new Route(IpPrefix.Parse("10.5.0.0/16"), PortId.Interface(1), IPAddress.Parse("10.0.0.254")))]);
        Assert.True(later.TryLookup(IPAddress.Parse("10.5.0.1").GetAddressBytes(), 0, out RouteTarget fifth));
        Assert.Equal(first.NextHop, fifth.NextHop);
    }

    [Fact]
    public void Readers_always_see_the_address_an_id_was_given_while_the_table_grows()
    {
        var table = new NextHopTable();
        var addresses = Enumerable.Range(0, 5000).Select(i => new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i])).ToArray();
        bool stop = false;
        long mismatches = 0;
        var reader = new Thread(() =>
        {
            Span<byte> bytes = stackalloc byte[16];
            while (!Volatile.Read(ref stop))
            {
                int count = table.Count;
                for (int id = 1; id <= count; id++)
                {
                    if (table.CopyAddress(id, bytes) != 4 || bytes[0] != 10 || ((bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) != id - 1)
                    {
                        Interlocked.Increment(ref mismatches);
                    }
                }
            }
        });
        reader.Start();
        foreach (IPAddress address in addresses)
        {
            table.Intern(address);
        }

        Volatile.Write(ref stop, true);
        reader.Join();
        Assert.Equal(0, Interlocked.Read(ref mismatches));
        Assert.Equal(addresses.Length, table.Count);
    }

    [Fact]
    public void Interning_any_addresses_gives_equal_ids_exactly_to_equal_addresses()
    {
        Gen<byte[][]> gen = Gen.ArrayOf(Gen.Elements(4, 16).SelectMany(n => Gen.ArrayOf(Gen.Elements<byte>(0, 1, 255), n)));
        Prop.ForAll(gen.ToArbitrary(), raw =>
        {
            var table = new NextHopTable();
            var ids = new Dictionary<string, int>();
            foreach (byte[] bytes in raw)
            {
                var address = new IPAddress(bytes);
                int id = table.Intern(address);
                string key = address.ToString();
                if (ids.TryGetValue(key, out int seen) ? seen != id : ids.ContainsValue(id))
                {
                    return false;
                }

                ids[key] = id;
                if (!address.Equals(table.GetAddress(id)))
                {
                    return false;
                }
            }

            return table.Count == ids.Count;
        }).QuickCheckThrowOnFailure();
    }
}
