using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Plugins.AfXdp.Internal;
using RouterHost.Settings;

namespace RouterHost.Plugins.AfXdp;

/// <summary>An address with its prefix length, as in <c>10.0.0.1/24</c>.</summary>
internal readonly record struct DeviceAddress(IPAddress Address, int PrefixLength)
{
    public override string ToString() => $"{Address}/{PrefixLength}";
}

/// <summary>
/// The AfXdp backend's settings (<c>Interfaces:&lt;name&gt;:Settings</c>), parsed with every problem located by key
/// path. See docs/configuration.md for each key:
/// <code>
/// "Device": "eth1", "Namespace": "ns", "QueueIds": [ 0, 1 ],
/// "FrameSize": 4096, "Headroom": 0,
/// "Rings": { "Fill": 2048, "Completion": 2048, "Rx": 2048, "Tx": 2048 },
/// "BindMode": "Auto|Copy|ZeroCopy", "XdpMode": "Auto|Native|Generic", "NeedWakeup": true,
/// "Mtu": 1500, "Addresses": [ "10.1.0.1/24", "fd01::1/64" ],
/// "Neighbours": { "CacheSize": 4096, "Refresh": "5s", "ResolveTimeout": "3s", "FailedRetry": "1s", "IdleTimeout": "5m" }
/// </code>
/// </summary>
internal sealed record AfXdpSettings(
    string Device,
    string? Namespace,
    IReadOnlyList<uint>? QueueIds,
    int FrameSize,
    int Headroom,
    uint FillRingSize,
    uint CompletionRingSize,
    uint RxRingSize,
    uint TxRingSize,
    XskBindMode BindMode,
    XdpAttachMode XdpMode,
    bool NeedWakeup,
    int? Mtu,
    IReadOnlyList<DeviceAddress> Addresses,
    NeighbourOptions Neighbours)
{
    public const int DefaultFrameSize = 4096;
    public const uint DefaultRingSize = 2048;
    public const uint MinRingSize = 64;
    public const uint MaxRingSize = 32768;
    public const int MaxQueueId = 4095;
    public const int MaxHeadroom = 1024;

    private static readonly string[] s_keys = ["Device", "Namespace", "QueueIds", "FrameSize", "Headroom", "Rings", "BindMode", "XdpMode", "NeedWakeup", "Mtu", "Addresses", "Neighbours"];
    private static readonly string[] s_ringKeys = ["Fill", "Completion", "Rx", "Tx"];
    private static readonly string[] s_neighbourKeys = ["CacheSize", "Refresh", "ResolveTimeout", "FailedRetry", "IdleTimeout"];

    /// <summary>The UMEM layout these settings ask for.</summary>
    public UmemLayout Layout => new(FrameSize, Headroom, (int)FillRingSize, (int)TxRingSize);

    /// <summary>The largest MTU a frame of these settings carries (frame − XDP headroom − Headroom − Ethernet header).</summary>
    public int MaxMtu => Layout.MaxReceiveFrame - EthernetFrame.HeaderLength;

    /// <summary>
    /// The link the router sees with the device's <paramref name="mtu"/>: the addresses are the router's own, since
    /// the XDP program gives every IP packet to RouterHost and the kernel never sees one addressed to them.
    /// </summary>
    public InterfaceLink Link(int mtu) =>
        new([.. Addresses.Select(a => new InterfaceAddress(a.Address, a.PrefixLength))], InterfaceAddressOwner.Router, mtu);

    public XskSocketOptions SocketOptions => new(Layout, FillRingSize, CompletionRingSize, RxRingSize, TxRingSize, BindMode, NeedWakeup);

    public static AfXdpSettings Parse(IConfigurationSection settings, string interfaceName, List<ConfigurationProblem> problems)
    {
        var reader = new SettingsReader(problems);
        reader.CheckKeys(settings, s_keys);
        string device = reader.DeviceName(settings, "Device", interfaceName);
        string? ns = reader.NamespaceName(settings, "Namespace");
        IReadOnlyList<uint>? queueIds = ParseQueueIds(settings.GetSection("QueueIds"), reader);
        int frameSize = (int)reader.Integer(settings, "FrameSize", DefaultFrameSize, 2048, 4096);
        if (frameSize is not (2048 or 4096))
        {
            reader.Problem($"{settings.Path}:FrameSize", $"must be 2048 or 4096 (got '{settings["FrameSize"]}')");
            frameSize = DefaultFrameSize;
        }

        int headroom = (int)reader.Integer(settings, "Headroom", 0, 0, MaxHeadroom);
        IConfigurationSection rings = settings.GetSection("Rings");
        reader.CheckKeys(rings, s_ringKeys);
        uint fill = RingSize(rings, "Fill", reader);
        uint completion = RingSize(rings, "Completion", reader);
        uint rx = RingSize(rings, "Rx", reader);
        uint tx = RingSize(rings, "Tx", reader);
        if (completion < tx)
        {
            reader.Problem($"{rings.Path}:Completion", $"must be at least Rings:Tx ({tx}): every transmit frame in flight needs a completion slot");
        }

        XskBindMode bindMode = (XskBindMode)(reader.Choice(settings, "BindMode", "Auto", "Copy", "ZeroCopy") ?? 0);
        XdpAttachMode xdpMode = (XdpAttachMode)(reader.Choice(settings, "XdpMode", "Auto", "Native", "Generic") ?? 0);
        if (bindMode == XskBindMode.ZeroCopy && xdpMode == XdpAttachMode.Generic)
        {
            reader.Problem($"{settings.Path}:BindMode", "ZeroCopy needs the driver's own XDP: generic XDP (XdpMode Generic) works in copy mode only");
        }

        bool needWakeup = reader.Boolean(settings, "NeedWakeup", true);
        var result = new AfXdpSettings(device, ns, queueIds, frameSize, headroom, fill, completion, rx, tx, bindMode, xdpMode, needWakeup, null, [], NeighbourOptions.Default);
        int? mtu = null;
        if (settings["Mtu"] is not null)
        {
            mtu = (int)reader.Integer(settings, "Mtu", 1500, 68, 65535);
            if (mtu > result.MaxMtu)
            {
                reader.Problem($"{settings.Path}:Mtu", $"{mtu} does not fit in a frame: a {frameSize}-byte frame carries at most an MTU of {result.MaxMtu} ({frameSize} − {Interop.Xsk.XDP_PACKET_HEADROOM} XDP headroom − {headroom} Headroom − 14 Ethernet); lower the MTU or raise FrameSize");
            }
        }

        var addresses = new List<DeviceAddress>();
        foreach ((string path, string text) in reader.Strings(settings.GetSection("Addresses")))
        {
            if (TryParseAddress(text, out DeviceAddress address))
            {
                if (address.Address.AddressFamily == AddressFamily.InterNetworkV6 && mtu is < 1280)
                {
                    reader.Problem(path, $"IPv6 needs an MTU of at least 1280 (Mtu is {mtu})");
                }

                addresses.Add(address);
            }
            else
            {
                reader.Problem(path, $"'{text}' is not an address with a prefix length, such as 10.0.0.1/24 or fd00::1/64");
            }
        }

        IConfigurationSection neighbours = settings.GetSection("Neighbours");
        reader.CheckKeys(neighbours, s_neighbourKeys);
        NeighbourOptions defaults = NeighbourOptions.Default;
        var neighbourOptions = new NeighbourOptions(
            (int)reader.Integer(neighbours, "CacheSize", defaults.CacheSize, 16, 1 << 20),
            Milliseconds(reader.Duration(neighbours, "Refresh", TimeSpan.FromMilliseconds(defaults.RefreshMilliseconds), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1))),
            Milliseconds(reader.Duration(neighbours, "ResolveTimeout", TimeSpan.FromMilliseconds(defaults.ResolveTimeoutMilliseconds), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1))),
            Milliseconds(reader.Duration(neighbours, "FailedRetry", TimeSpan.FromMilliseconds(defaults.FailedRetryMilliseconds), TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10))),
            Milliseconds(reader.Duration(neighbours, "IdleTimeout", TimeSpan.FromMilliseconds(defaults.IdleMilliseconds), TimeSpan.FromSeconds(1), TimeSpan.FromDays(1))));
        return result with { Mtu = mtu, Addresses = addresses, Neighbours = neighbourOptions };
    }

    internal static bool TryParseAddress(string? text, out DeviceAddress address)
    {
        bool parsed = AddressPrefixText.TryParse(text, out IPAddress? ip, out int prefix);
        address = parsed ? new DeviceAddress(ip!, prefix) : default;
        return parsed;
    }

    private static IReadOnlyList<uint>? ParseQueueIds(IConfigurationSection section, SettingsReader reader)
    {
        if (section.Value is null && !section.GetChildren().Any())
        {
            return null;
        }

        var ids = new List<uint>();
        int before = reader.Problems.Count;
        foreach ((string path, string text) in reader.Strings(section))
        {
            if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint id) || id > MaxQueueId)
            {
                reader.Problem(path, $"must be a queue id between 0 and {MaxQueueId} (got '{text}')");
            }
            else if (ids.Contains(id))
            {
                reader.Problem(path, $"queue {id} is listed twice");
            }
            else
            {
                ids.Add(id);
            }
        }

        if (ids.Count == 0)
        {
            if (reader.Problems.Count == before)
            {
                reader.Problem(section.Path, "must list at least one queue id (or be left out: every receive queue of the device)");
            }

            return null;
        }

        return ids;
    }

    private static uint RingSize(IConfigurationSection rings, string key, SettingsReader reader)
    {
        long size = reader.Integer(rings, key, DefaultRingSize, MinRingSize, MaxRingSize);
        if ((size & (size - 1)) != 0)
        {
            reader.Problem($"{rings.Path}:{key}", $"must be a power of two between {MinRingSize} and {MaxRingSize} (got {size})");
            return DefaultRingSize;
        }

        return (uint)size;
    }

    private static long Milliseconds(TimeSpan value) => (long)value.TotalMilliseconds;
}
