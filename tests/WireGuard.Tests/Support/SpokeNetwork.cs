namespace RouterHost.WireGuard.Tests.Support;

/// <summary>
/// A hub namespace and wireguard-go spokes around it, each spoke in a namespace of its own with its own veth link
/// to the hub: spoke <c>i</c> on 192.168.(77+i).2/24, the hub's end 192.168.(77+i).1/24. Every spoke knows only the
/// hub (<see cref="Keys"/>' public key, allowed IPs the whole overlay 10.88.0.0/24, endpoint the hub's end of its link);
/// the test starts RouterHost in <see cref="Hub"/>. <see cref="Dispose"/> ends what was added with <see cref="Own"/>
/// (RouterHost), then the spokes, links and namespaces.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SpokeNetwork : IDisposable
{
    /// <summary>The hub's usual WireGuard port.</summary>
    public const int HubPort = 51820;

    /// <summary>Every spoke's wireguard-go port.</summary>
    public const int SpokePort = 51830;

    private readonly List<IDisposable> _owned = [];

    private SpokeNetwork(NamespacePair net, KeyPair keys)
    {
        Net = net;
        Keys = keys;
    }

    /// <summary>A: the hub; B: the first spoke's namespace.</summary>
    public NamespacePair Net { get; }

    /// <summary>The hub's namespace.</summary>
    public NetworkNamespace Hub => Net.A;

    /// <summary>The hub's keys.</summary>
    public KeyPair Keys { get; }

    /// <summary>The spokes, in the order of the overlays given.</summary>
    public List<WireGuardGoPeer> Spokes { get; } = [];

    /// <summary>The hub's end of spoke <paramref name="index"/>'s link (192.168.(77+index).1).</summary>
    public static string HubUnderlay(int index) => $"192.168.{77 + index}.1";

    /// <summary>Spoke <paramref name="index"/>'s end of its link (192.168.(77+index).2).</summary>
    public static string SpokeUnderlay(int index) => $"192.168.{77 + index}.2";

    /// <summary>
    /// Starts one wireguard-go spoke per entry of <paramref name="overlays"/> (its tunnel addresses) on
    /// <paramref name="spokePort"/>, each peering with the hub at <paramref name="hubPort"/>(its index).
    /// </summary>
    public static SpokeNetwork Start(string prefix, string[][] overlays, int spokePort, Func<int, int> hubPort, int? persistentKeepalive = null)
    {
        ArgumentNullException.ThrowIfNull(overlays);
        ArgumentNullException.ThrowIfNull(hubPort);
        NamespacePair net = NamespacePair.Create(prefix, "ul1", "ul0", [HubUnderlay(0) + "/24"], [SpokeUnderlay(0) + "/24"]);
        var network = new SpokeNetwork(net, new KeyPair());
        network._owned.Add(net);
        network._owned.Add(network.Keys);
        try
        {
            for (int i = 0; i < overlays.Length; i++)
            {
                NetworkNamespace ns = net.B;
                if (i > 0)
                {
                    ns = network.Own(NetworkNamespace.Create($"{prefix}{(char)('c' + i)}"));
                    network.Own(VethPair.Create(net.A, $"ul{i + 1}", ns, "ul0", [HubUnderlay(i) + "/24"], [SpokeUnderlay(i) + "/24"]));
                }

                WireGuardGoPeer spoke = network.Own(WireGuardGoPeer.Start(ns, spokePort, overlays[i]));
                spoke.SetPeer(network.Keys.PublicKey, "10.88.0.0/24", endpoint: $"{HubUnderlay(i)}:{hubPort(i)}", persistentKeepalive: persistentKeepalive);
                network.Spokes.Add(spoke);
            }

            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Ends <paramref name="item"/> before everything made so far.</summary>
    public T Own<T>(T item)
        where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    /// <summary>RouterHost and the peers first, then the links and namespaces they live in.</summary>
    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }
}
