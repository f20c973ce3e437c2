using System.Globalization;
using System.Net;
using RouterHost.Linux;
using RouterHost.Underlay;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// One owner per port: a second router on RouterHost's UDP port is refused instead of joining its SO_REUSEPORT group
/// (the kernel would split the peers' datagrams between the two processes), and a socket that joins the group anyway
/// receives nothing while the tunnel keeps working.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class PortOwnershipTests
{
    private const int RouterHostPort = 51820;

    [Fact]
    public void A_second_routerhost_run_on_the_same_port_is_refused_naming_the_port_and_the_first_process()
    {
        Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using var ns = NetworkNamespace.Create("wgowner");
        using var keys = new KeyPair();
        using var peerKeys = new KeyPair();
        string directory = Directory.CreateTempSubdirectory("rh-wgowner-").FullName;
        try
        {
            string first = WriteConfig(directory, "first.json", ns, "rhown0", keys, peerKeys);
            string second = WriteConfig(directory, "second.json", ns, "rhown1", keys, peerKeys);
            using RouterHostProcess running = RouterHostProcess.Start(["run", "--config", first]);
            Assert.True(running.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), running.Output);

            (int exitCode, string output) = RouterHostProcess.Run("run", "--config", second);

            Assert.NotEqual(0, exitCode);
            Assert.Contains($"stage 'wg': cannot listen on 0.0.0.0:{RouterHostPort} (set by Pipeline:Stages:1:Settings:ListenPort)", output, StringComparison.Ordinal);
            Assert.Contains($"bind(0.0.0.0:{RouterHostPort}) failed: EADDRINUSE (98)", output, StringComparison.Ordinal);
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"process {running.Id} ("), output, StringComparison.Ordinal);
            Assert.Contains($"ip netns exec {ns.Name} ss -ulpn 'sport = :{RouterHostPort}'", output, StringComparison.Ordinal);
            Assert.False(running.HasExited, running.Output);
            Assert.Equal(2, UdpSocketsOn(ns, RouterHostPort)); // the first router's two, nothing of the second left behind
            Assert.NotEqual(0, ns.Ip("link", "show", "rhown1").ExitCode);

            running.Terminate();
            Assert.True(running.WaitForExit(TimeSpan.FromSeconds(10)), running.Output);
            Assert.Equal(0, running.ExitCode);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_socket_of_the_same_user_that_joins_RouterHosts_port_receives_none_of_the_peers_datagrams_and_the_tunnel_keeps_working()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using GoPeerTunnel tunnel = GoPeerTunnel.Start("wgjoin");
        var (net, keys, peer, log) = tunnel;
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", endpoint: Endpoint(sideA: true, ipv6: false, RouterHostPort));
        string settings = GoPeerTunnel.PeerSettings(keys, peer, endpoint: null, psk: null).Replace("\"Sockets\": 1", "\"Sockets\": 2", StringComparison.Ordinal);
        using RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], settings), log);

        // Joined before the peer says anything: without the group's steering program the kernel would hash the peer's
        // flow to it one time in three.
        using UdpSocket joiner = UdpSocket.Open(new UdpSocketOptions(IPAddress.Any, RouterHostPort) { ReusePort = true, Gro = false, NetworkNamespace = net.A.Name });
        Assert.Equal(5, UdpSocketsOn(net.A, RouterHostPort)); // RouterHost's two IPv4 and two IPv6 sockets, and the joiner

        ExecResult ping = Ping(net.B, OverlayA4);
        Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n{node.Describe()}\n{log.Text}\n{peer.Log}");
        Assert.True(Ping(net.A, OverlayB6).Succeeded, node.Describe());

        // Each new source port is a new flow for the kernel to place: none of them reaches the joiner.
        for (int port = 51841; port <= 51846; port++)
        {
            peer.Wg("set", peer.InterfaceName, "listen-port", port.ToString(CultureInfo.InvariantCulture));
            ExecResult moved = Ping(net.B, OverlayA4);
            Assert.True(moved.Succeeded, $"from port {port}: {moved.StdOut}{moved.StdErr}\n{node.Describe()}\n{log.Text}");
        }

        using var transfer = BulkTransfer.Start(net.B, net.A, OverlayA4, 5011, 20L << 20, seed: 11);
        transfer.AssertCompletes(TimeSpan.FromMinutes(2), () => $"{node.Describe()}\n{log.Text}");
        Assert.False(Readable(joiner), "the joined socket received a datagram meant for RouterHost");
        Assert.Null(node.Fault);
    }

    private static string WriteConfig(string directory, string name, NetworkNamespace ns, string device, KeyPair keys, KeyPair peerKeys)
    {
        string wireGuard = $$"""
            { "PrivateKeyFile": "{{keys.PrivateKeyFile}}", "ListenPort": {{RouterHostPort}}, "ListenAddresses": [ "0.0.0.0" ], "Sockets": 2, "Namespace": "@NS",
              "Peers": { "far": { "PublicKey": "{{peerKeys.PublicKey}}", "AllowedIPs": [ "10.88.0.2/32" ] } } }
            """;
        string json = RouterHostNode.Config(ns, ["10.88.0.1/24"], wireGuard)
            .Replace("\"rhwg0\"", $"\"{device}\"", StringComparison.Ordinal)
            .Replace("\"Pipeline\": {", $"\"Plugins\": {{ \"Path\": \"{RepositoryPaths.HostPlugins}\" }},\n  \"Pipeline\": {{", StringComparison.Ordinal);
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, json);
        return path;
    }

    // UDP sockets bound to the port in the namespace, as the kernel lists them.
    private static int UdpSocketsOn(NetworkNamespace ns, int port)
    {
        string suffix = string.Create(CultureInfo.InvariantCulture, $":{port:X4}");
        return ns.Exec("cat", "/proc/net/udp", "/proc/net/udp6").EnsureSuccess().StdOut.Split('\n')
            .Count(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var local, ..] && local.EndsWith(suffix, StringComparison.Ordinal));
    }

    private static unsafe bool Readable(UdpSocket socket)
    {
        var fd = new RouterHost.Linux.Interop.Libc.pollfd { fd = socket.Handle.Fd, events = RouterHost.Linux.Interop.Libc.POLLIN };
        return RouterHost.Linux.Interop.Libc.poll(&fd, 1, 0) > 0;
    }
}
