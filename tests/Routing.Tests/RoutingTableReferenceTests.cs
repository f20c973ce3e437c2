using System.Text;
using RouterHost.Settings;

namespace RouterHost.Routing.Tests;

/// <summary>Large random tables against the linear-scan reference, before and after incremental updates.</summary>
public sealed class RoutingTableReferenceTests
{
    private const int Prefixes = 100_000;
    private const int LookupsPerCheck = 20_000;

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void Table_of_100k_prefixes_agrees_with_the_reference_before_and_after_incremental_updates(bool ipv6, int seed)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var random = new RandomRoutes(seed, ipv6);
        var reference = new ReferenceTable();
        var builder = new RoutingTableBuilder();
        while (builder.PrefixCount < Prefixes)
        {
            IpPrefix prefix = random.Prefix(random.Length());
            int routes = random.Random.Next(10) == 0 ? 1 + random.Random.Next(4) : 1;
            for (int i = 0; i < routes; i++)
            {
                Route route = random.Route(prefix);
                Assert.Equal(reference.Add(route), builder.Add(route));
            }
        }

        Console.Error.WriteLine($"TIMING built adds {sw.Elapsed}");
        RoutingTable first = builder.Build();
        Console.Error.WriteLine($"TIMING build {sw.Elapsed}");
        Assert.Equal(reference.Routes.Count, first.RouteCount);
        CheckAgainst(reference, first, random);
        Console.Error.WriteLine($"TIMING check {sw.Elapsed}");

        // Round 1 through the long-lived builder, round 2 through RoutingTable.With; each a random mix of removals
        // (single routes and whole prefixes' worth) and additions (new prefixes and extra ECMP members).
        var firstReference = new ReferenceTable(reference);
        RoutingTable current = first;
        for (int round = 0; round < 2; round++)
        {
            var changes = new List<RouteChange>();
            for (int i = 0; i < 5_000; i++)
            {
                if (random.Random.Next(2) == 0 && reference.Routes.Count > 0)
                {
                    Route victim = reference.Routes[random.Random.Next(reference.Routes.Count)];
                    changes.Add(RouteChange.Remove(victim));
                    reference.Remove(victim);
                }
                else
                {
                    IpPrefix prefix = random.Random.Next(3) == 0 && reference.Routes.Count > 0
                        ? reference.Routes[random.Random.Next(reference.Routes.Count)].Prefix
                        : random.Prefix(random.Length());
                    Route route = random.Route(prefix);
                    changes.Add(RouteChange.Add(route));
                    reference.Add(route);
                }
            }

            if (round == 0)
            {
                builder.Apply(changes);
                current = builder.Build();
            }
            else
            {
                current = current.With(changes);
            }

            Console.Error.WriteLine($"TIMING round {round} {sw.Elapsed}");
            Assert.Equal(reference.Routes.Count, current.RouteCount);
            CheckAgainst(reference, current, random);
        }

        // The first snapshot was shared with every later one and must not have changed.
        CheckAgainst(firstReference, first, random);
    }

    private static void CheckAgainst(ReferenceTable reference, RoutingTable table, RandomRoutes random)
    {
        var failures = new StringBuilder();
        int failed = 0;
        for (int i = 0; i < LookupsPerCheck; i++)
        {
            byte[] address = random.Address(reference.Routes);
            uint hash = (uint)random.Random.Next();
            string? problem = reference.Check(table, address, hash);
            if (problem is not null && failed++ < 10)
            {
                failures.AppendLine(problem);
            }
        }

        Assert.True(failed == 0, $"{failed} of {LookupsPerCheck} lookups disagree with the reference:\n{failures}");
    }
}
