namespace RouterHost.WireGuard.Tests.Support;

/// <summary>
/// The interop tests' two ends: RouterHost's namespace A and Debian's wireguard-go in namespace B
/// (<see cref="TunnelNamespaces"/>: underlay 192.168.77.0/24 and fd77::/64; wireguard-go's tunnel 10.88.0.2/24 and
/// fd88::2/64 on <see cref="WireGuardGoPort"/>), with RouterHost's keys and a log for its node. The test tells
/// wireguard-go about RouterHost (<see cref="WireGuardGoPeer.SetPeer"/>) and starts RouterHost
/// (<see cref="StartNode"/>, usually with <see cref="PeerSettings"/>). <see cref="Dispose"/> ends the node,
/// wireguard-go, the keys and the namespaces, in that order.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class GoPeerTunnel : IDisposable
{
    /// <summary>RouterHost's WireGuard port.</summary>
    public const int RouterHostPort = 51820;

    /// <summary>wireguard-go's port.</summary>
    public const int WireGuardGoPort = 51830;

    private GoPeerTunnel(NamespacePair net, KeyPair keys, WireGuardGoPeer peer)
    {
        Net = net;
        Keys = keys;
        Peer = peer;
    }

    /// <summary>A: RouterHost's namespace; B: wireguard-go's.</summary>
    public NamespacePair Net { get; }

    /// <summary>RouterHost's keys.</summary>
    public KeyPair Keys { get; }

    /// <summary>wireguard-go, running in B.</summary>
    public WireGuardGoPeer Peer { get; }

    /// <summary>What RouterHost's node logs.</summary>
    public CapturedLog Log { get; } = new();

    /// <summary>The node <see cref="StartNode"/> started, if any.</summary>
    public RouterHostNode? Node { get; private set; }

    /// <summary>The namespaces (named after <paramref name="prefix"/>), RouterHost's keys and wireguard-go in B.</summary>
    public static GoPeerTunnel Start(string prefix)
    {
        NamespacePair net = TunnelNamespaces.Create(prefix);
        KeyPair? keys = null;
        try
        {
            keys = new KeyPair();
            return new GoPeerTunnel(net, keys, WireGuardGoPeer.Start(net.B, WireGuardGoPort, ["10.88.0.2/24", "fd88::2/64"]));
        }
        catch
        {
            keys?.Dispose();
            net.Dispose();
            throw;
        }
    }

    /// <summary>
    /// RouterHost's WireGuard settings for a tunnel to <paramref name="peer"/> ("go", allowed 10.88.0.2/32 and
    /// fd88::2/128) on <see cref="RouterHostPort"/>, one socket, in the node's namespace; the endpoint and preshared key
    /// when given, and <paramref name="extra"/> settings (each followed by a comma).
    /// </summary>
    public static string PeerSettings(KeyPair keys, WireGuardGoPeer peer, string? endpoint, string? psk, string extra = "")
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(peer);
        string pskLine = psk is null ? string.Empty : $"\"PresharedKeyFile\": \"{keys.WriteSecret("peer.psk", psk)}\",";
        string endpointLine = endpoint is null ? string.Empty : $"\"Endpoint\": \"{endpoint}\",";
        return $$"""
            {
              "PrivateKeyFile": "{{keys.PrivateKeyFile}}", "ListenPort": {{RouterHostPort}}, "Sockets": 1, "Namespace": "@NS", {{extra}}
              "Peers": { "go": { "PublicKey": "{{peer.PublicKey}}", {{pskLine}} {{endpointLine}} "AllowedIPs": [ "10.88.0.2/32", "fd88::2/128" ] } }
            }
            """;
    }

    /// <summary>Starts RouterHost in A (tunnel 10.88.0.1/24 and fd88::1/64) with these WireGuard settings; <see cref="Dispose"/> ends it.</summary>
    public RouterHostNode StartNode(string wireGuardSettings, int tunMtu = 1420, string? routingSettings = null)
    {
        Node = RouterHostNode.Start(RouterHostNode.Config(Net.A, ["10.88.0.1/24", "fd88::1/64"], wireGuardSettings, tunMtu: tunMtu, routingSettings: routingSettings), Log);
        return Node;
    }

    /// <summary>The parts, for tests that use them by name: <c>var (net, keys, peer, log) = tunnel;</c>.</summary>
    public void Deconstruct(out NamespacePair net, out KeyPair keys, out WireGuardGoPeer peer, out CapturedLog log)
    {
        net = Net;
        keys = Keys;
        peer = Peer;
        log = Log;
    }

    /// <summary>RouterHost's state and log, and wireguard-go's log.</summary>
    public string Describe() => $"--- RouterHost:\n{Node?.Describe()}\n{Log.Text}\n--- wireguard-go:\n{Peer.Log}";

    /// <summary>Ends the node, wireguard-go, the keys and the namespaces.</summary>
    public void Dispose()
    {
        try
        {
            Node?.Dispose();
            Peer.Dispose();
            Keys.Dispose();
        }
        finally
        {
            Net.Dispose();
        }
    }
}
