using System.Net;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Documentation;

/// <summary>
/// Where a documented configuration is run as a reader runs it: namespace A stands for RouterHost's machine and B for
/// the WireGuard peer's (wireguard-go), joined by a veth pair <c>ul0</c>; <see cref="Etc"/> stands for
/// <c>/etc/routerhost</c>. And the checks every such test ends with: the configuration validates without a warning,
/// pings and TCP both ways pass the tunnel, routerhost stops cleanly. <see cref="Dispose"/> removes it all.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class DocumentedSite : IDisposable
{
    private DocumentedSite(NamespacePair net, string etc)
    {
        Net = net;
        Etc = etc;
    }

    /// <summary>A: RouterHost's machine; B: the peer's.</summary>
    public NamespacePair Net { get; }

    /// <summary>The folder standing for <c>/etc/routerhost</c>.</summary>
    public string Etc { get; }

    /// <summary>The namespaces (named after <paramref name="prefix"/>) with <paramref name="addressA"/> and <paramref name="addressB"/> on the link.</summary>
    public static DocumentedSite Create(string prefix, string addressA, string addressB)
    {
        NamespacePair net = NamespacePair.Create(prefix, "ul0", "ul0", [addressA], [addressB]);
        return new DocumentedSite(net, Directory.CreateTempSubdirectory($"rh-{prefix}-").FullName);
    }

    /// <summary><c>routerhost validate</c> accepts <paramref name="config"/> with no warning; returns what it printed.</summary>
    public static string AssertValid(string config)
    {
        var (exit, output) = RouterHostProcess.Run("validate", "--config", config);
        Assert.True(exit == 0, output);
        Assert.DoesNotContain("warning:", output, StringComparison.Ordinal);
        return output;
    }

    /// <summary>A ping from <paramref name="from"/> to <paramref name="target"/> is answered; the failure shows both sides' logs.</summary>
    public static void AssertPing(NetworkNamespace from, string target, RouterHostProcess router, WireGuardGoPeer peer)
    {
        ExecResult ping = TunnelNamespaces.Ping(from, IPAddress.Parse(target));
        Assert.True(ping.Succeeded, $"ping {target} from {from}: {ping.StdOut}{ping.StdErr}\n--- routerhost:\n{router.Output}\n--- {peer.InterfaceName}:\n{peer.Log}");
    }

    /// <summary>16 MiB of TCP from A to <paramref name="inB"/> and from B to <paramref name="inA"/> (ports and seeds as given) arrive intact.</summary>
    public void AssertTcpBothWays(RouterHostProcess router, (string Address, int Port, int Seed) inB, (string Address, int Port, int Seed) inA)
    {
        using var outward = BulkTransfer.Start(Net.A, Net.B, IPAddress.Parse(inB.Address), inB.Port, 16L << 20, seed: inB.Seed);
        using var inward = BulkTransfer.Start(Net.B, Net.A, IPAddress.Parse(inA.Address), inA.Port, 16L << 20, seed: inA.Seed);
        outward.AssertCompletes(TimeSpan.FromMinutes(2), () => router.Output);
        inward.AssertCompletes(TimeSpan.FromMinutes(2), () => router.Output);
    }

    /// <summary>routerhost ends with 0 on SIGTERM.</summary>
    public static void AssertStops(RouterHostProcess router)
    {
        router.Terminate();
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(30)), router.Output);
        Assert.Equal(0, router.ExitCode);
    }

    /// <summary>Deletes the folder and the namespaces.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Etc, recursive: true);
        }
        finally
        {
            Net.Dispose();
        }
    }
}
